"""The collectors' queue in SQL (``work_item``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.domain.work_items import NewWorkItem, QueueItem, WorkItemKind
from bot.services.ports import PREVIEW_CHARS, InboxEntry, InboxFacets, InboxFilter
from storage.raw_sql import RawStatement
from storage.tables.cases import CaseRow, CustomerRow
from storage.tables.messages import MessageRow
from storage.tables.work import WorkItemRow

W = WorkItemRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
M = MessageRow.__table__  # type: ignore[attr-defined]


def work_item_values(item: NewWorkItem) -> dict[str, object]:
    return {"case_id": item.case_id, "message_id": item.message_id, "kind": item.kind.value,
            "priority": int(item.priority), "detail": item.detail, "due_at": item.due_at,
            "created_at": item.created_at, "done_at": None, "done_by": None}


#: a new item (statement built once: the inbound path adds one per message a person reads)
_ADD = RawStatement(insert(W).values(
    {name: bindparam(f"b_{name}", type_=W.c[name].type) for name in (
        "case_id", "message_id", "kind", "priority", "detail", "due_at", "created_at",
        "done_at", "done_by")}).returning(W.c.id))


class SqlWorkQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: NewWorkItem) -> int:
        rows = _ADD.all(self.session.connection(),
                        {f"b_{name}": value for name, value in work_item_values(item).items()})
        return int(rows[0][0])

    def open_items(self, limit: int = 100) -> list[QueueItem]:
        return self._open(limit=limit)

    def open_for_case(self, case_id: int) -> list[QueueItem]:
        return self._open(case_id=case_id)

    def _open(self, *, limit: int | None = None, case_id: int | None = None
              ) -> list[QueueItem]:
        from storage.read_statements import READS

        if case_id is not None:
            rows = self.session.execute(READS["open_items_for_case"], {"case_id": case_id})
        else:
            rows = self.session.execute(READS["open_items"], {"limit": limit})
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

    # ------------------------------------------------------------------ the inbox
    def _latest(self, case_ids: Any, *where: Any) -> Any:
        """Per case of ``case_ids`` (a select of ids), its latest message matching
        ``where`` — the customer's latest, when they wrote at all: a subquery with the
        message's columns and ``rn == 1`` for the one."""
        theirs = case((M.c.direction == "in", 0), else_=1)
        rank = func.row_number().over(partition_by=M.c.case_id,
                                      order_by=(theirs, M.c.created_at.desc(), M.c.id.desc()))
        return (select(M.c.case_id, M.c.direction, M.c.channel, M.c.created_at,
                       func.substr(M.c.body, 1, PREVIEW_CHARS).label("body"),
                       M.c.intent, M.c.campaign_id, rank.label("rn"))
                .where(M.c.case_id.in_(case_ids), *where).subquery())

    def inbox(self, wanted: InboxFilter, limit: int = 200) -> list[InboxEntry]:
        open_cases = select(W.c.case_id).where(W.c.done_at.is_(None),
                                               W.c.case_id.is_not(None))
        last = self._latest(open_cases)
        camp = self._latest(open_cases, M.c.direction == "out", M.c.campaign_id.is_not(None))
        q = (select(W.c.id, W.c.kind, W.c.priority, CA.c.account_id, W.c.detail,
                    W.c.created_at, W.c.due_at, CA.c.held_by, CU.c.name, CA.c.language,
                    camp.c.campaign_id, last.c.direction, last.c.channel, last.c.created_at,
                    last.c.body, last.c.intent)
             .select_from(W.outerjoin(CA, CA.c.id == W.c.case_id)
                          .outerjoin(CU, CU.c.id == CA.c.customer_id)
                          .outerjoin(last, and_(last.c.case_id == W.c.case_id, last.c.rn == 1))
                          .outerjoin(camp, and_(camp.c.case_id == W.c.case_id,
                                                camp.c.rn == 1)))
             .where(W.c.done_at.is_(None)))
        if wanted.kinds:
            q = q.where(W.c.kind.in_(list(wanted.kinds)))
        if wanted.campaign:
            q = q.where(camp.c.campaign_id == wanted.campaign)
        if wanted.language:
            q = q.where(CA.c.language == wanted.language)
        if wanted.holder == InboxFilter.NOBODY:
            q = q.where(or_(CA.c.held_by.is_(None), W.c.case_id.is_(None)))
        elif wanted.holder:
            q = q.where(CA.c.held_by == wanted.holder)
        rows = self.session.execute(q.order_by(W.c.priority, W.c.created_at, W.c.id)
                                    .limit(limit))
        return [InboxEntry(QueueItem(i, WorkItemKind(k), p, a, d, ensure_utc(c),
                                     None if due is None else ensure_utc(due), h),
                           name, lang, cid, ldir, lch,
                           None if lat is None else ensure_utc(lat), lbody, lint)
                for (i, k, p, a, d, c, due, h, name, lang, cid, ldir, lch, lat, lbody, lint)
                in rows]

    def inbox_facets(self) -> InboxFacets:
        s = self.session
        open_items = W.c.done_at.is_(None)
        kinds = dict(s.execute(select(W.c.kind, func.count()).where(open_items)
                               .group_by(W.c.kind)).all())
        joined = W.join(CA, CA.c.id == W.c.case_id)
        languages = s.execute(select(CA.c.language).distinct().select_from(joined)
                              .where(open_items)).scalars().all()
        holders = s.execute(select(CA.c.held_by).distinct().select_from(joined)
                            .where(open_items, CA.c.held_by.is_not(None))).scalars().all()
        open_cases = select(W.c.case_id).where(open_items, W.c.case_id.is_not(None))
        camp = self._latest(open_cases, M.c.direction == "out", M.c.campaign_id.is_not(None))
        campaigns = s.execute(select(camp.c.campaign_id).distinct()
                              .where(camp.c.rn == 1)).scalars().all()
        return InboxFacets({str(k): int(n) for k, n in kinds.items()},
                           tuple(sorted(c for c in campaigns if c)),
                           tuple(sorted(x for x in languages if x)),
                           tuple(sorted(h for h in holders if h)))
