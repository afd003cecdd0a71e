"""The audit trail (``audit_log``)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.services.ports import AuditRecord
from storage.tables.users import AuditRow

A = AuditRow.__table__  # type: ignore[attr-defined]


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: AuditRecord) -> None:
        self.session.execute(insert(A).values(
            at=record.at, actor=record.actor[:120], action=record.action[:40],
            target=None if record.target is None else record.target[:160],
            detail=dict(record.detail)))

    def recent(self, limit: int = 100, *, action: str | None = None,
               actor: str | None = None) -> list[AuditRecord]:
        q = select(A.c.id, A.c.at, A.c.actor, A.c.action, A.c.target, A.c.detail)
        if action is not None:
            q = q.where(A.c.action == action)
        if actor is not None:
            q = q.where(A.c.actor.startswith(actor, autoescape=True))
        rows = self.session.execute(q.order_by(A.c.id.desc()).limit(limit))
        return [AuditRecord(ensure_utc(at), who, what, target, detail or {}, i)
                for i, at, who, what, target, detail in rows]
