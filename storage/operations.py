"""What health checks and metrics read, in SQL (:class:`bot.services.ports.OperationsStore`).

The outbox queries use the ``(status, next_attempt_at)`` index: they touch only the rows
waiting or being sent, never the history of sent messages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.domain.clock import ensure_utc
from bot.domain.outbox import OutboxStatus
from bot.services.ports import OutboxHealth
from storage.db import upsert
from storage.tables.messages import MessageRow
from storage.tables.operations import JobRunRow

M = MessageRow.__table__  # type: ignore[attr-defined]
J = JobRunRow.__table__  # type: ignore[attr-defined]
_PENDING = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)


class SqlOperationsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def outbox_health(self, now: datetime) -> OutboxHealth:
        with self.engine.connect() as conn:
            depth = {(status, channel): int(n) for status, channel, n in conn.execute(
                select(M.c.status, M.c.channel, func.count()).where(M.c.status.in_(_PENDING))
                .group_by(M.c.status, M.c.channel))}
            oldest = conn.execute(select(func.min(M.c.next_attempt_at)).where(
                M.c.status.in_(_PENDING), M.c.next_attempt_at <= now)).scalar_one()
        return OutboxHealth(depth, ensure_utc(oldest) if oldest is not None else None)

    def job_finished(self, job: str, started_at: datetime, finished_at: datetime) -> None:
        with self.engine.begin() as conn:
            ins = upsert(conn, J).values(job=job, started_at=started_at,
                                         finished_at=finished_at)
            conn.execute(ins.on_conflict_do_update(
                index_elements=["job"], set_={"started_at": ins.excluded.started_at,
                                              "finished_at": ins.excluded.finished_at}))

    def jobs_finished(self) -> dict[str, datetime]:
        with self.engine.connect() as conn:
            return {job: ensure_utc(at) for job, at in conn.execute(
                select(J.c.job, J.c.finished_at))}
