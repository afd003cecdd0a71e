"""The collectors' queue in SQL (``work_item``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.domain.work_items import NewWorkItem, QueueItem, WorkItemKind
from storage.models import CaseRow, WorkItemRow

W = WorkItemRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]


def work_item_values(item: NewWorkItem) -> dict[str, object]:
    return {"case_id": item.case_id, "message_id": item.message_id, "kind": item.kind.value,
            "priority": int(item.priority), "detail": item.detail, "due_at": item.due_at,
            "created_at": item.created_at, "done_at": None, "done_by": None}


class SqlWorkQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: NewWorkItem) -> int:
        result = self.session.execute(insert(W).values(work_item_values(item))
                                      .returning(W.c.id))
        return int(result.scalar_one())

    def open_items(self, limit: int = 100) -> list[QueueItem]:
        return self._open(limit=limit)

    def open_for_case(self, case_id: int) -> list[QueueItem]:
        return self._open(case_id=case_id)

    def _open(self, *, limit: int | None = None, case_id: int | None = None
              ) -> list[QueueItem]:
        q = (select(W.c.id, W.c.kind, W.c.priority, CA.c.account_id, W.c.detail,
                    W.c.created_at, W.c.due_at, CA.c.held_by)
             .select_from(W.outerjoin(CA, CA.c.id == W.c.case_id))
             .where(W.c.done_at.is_(None)))
        if case_id is not None:
            q = q.where(W.c.case_id == case_id)
        rows = self.session.execute(q.order_by(W.c.priority, W.c.created_at, W.c.id)
                                    .limit(limit))
        return [QueueItem(i, WorkItemKind(k), p, a, d, ensure_utc(c),
                          None if due is None else ensure_utc(due), h)
                for i, k, p, a, d, c, due, h in rows]

    def close(self, item_id: int, by: str, at: datetime) -> bool | None:
        done = self.session.execute(select(W.c.done_at).where(W.c.id == item_id)).first()
        if done is None:
            return None
        if done[0] is not None:
            return False
        self.session.execute(update(W).where(W.c.id == item_id, W.c.done_at.is_(None))
                             .values(done_at=at, done_by=by))
        return True
