"""The outbox: outbound ``message`` rows waiting for a worker.

Planning and replies *enqueue* rows (unique idempotency key: enqueueing the same logical
message twice inserts one row). Workers *claim* due rows: on PostgreSQL with
``FOR UPDATE SKIP LOCKED`` so several workers never take the same row; on SQLite one
worker runs. A claimed row is ``sending`` with a lease (``next_attempt_at``); a worker
that dies leaves it to be claimed again when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from storage.models import MessageRow

M = MessageRow.__table__  # type: ignore[attr-defined]
LEASE = timedelta(minutes=5)


class OutboxStatus:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # the policy said no at send time


def enqueue_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping any whose idempotency key exists; returns rows added."""
    if not rows:
        return 0
    ins = postgresql.insert(M) if conn.dialect.name == "postgresql" else sqlite.insert(M)
    # RETURNING gives the rows really inserted on both backends (an executemany's
    # rowcount is -1 on psycopg)
    stmt = ins.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(M.c.id)
    return len(conn.execute(stmt, rows).all())


def outbox_row(
    *, case_id: int | None, contact_point_id: int | None, channel: str, address: str,
    body: str, subject: str | None, idempotency_key: str, now: datetime,
    purpose: str, template_id: str | None = None, lang: str | None = None,
    step_id: str | None = None, variant: str | None = None, campaign_id: str | None = None,
    fallback_channels: Sequence[str] = (), not_before: datetime | None = None,
    reply_token: str | None = None, thread_ref: str | None = None, actor: str = "bot",
    ref: str | None = None,
) -> dict[str, Any]:
    return {
        "case_id": case_id, "contact_point_id": contact_point_id, "direction": "out",
        "channel": channel, "address": address, "template_id": template_id, "lang": lang,
        "step_id": step_id, "variant": variant, "campaign_id": campaign_id,
        "purpose": purpose, "fallback_channels": list(fallback_channels),
        "status": OutboxStatus.QUEUED, "idempotency_key": idempotency_key,
        "subject": subject, "body": body, "attempts": 0,
        "next_attempt_at": not_before or now, "created_at": now, "reply_token": reply_token,
        "thread_ref": thread_ref, "actor": actor, "ref": ref,
    }


def claim_due(engine: Engine, now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due rows for this worker; returns their ids (now ``sending``).

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then ``UPDATE``, in the order due.
    SQLite: one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING id`` — a write
    from its first statement, so a concurrent writer makes it wait (busy timeout) instead
    of failing as a read transaction upgraded to a write would; ids come back ascending.
    """
    if limit < 1:
        return []
    due = or_(M.c.status == OutboxStatus.QUEUED, M.c.status == OutboxStatus.SENDING)
    q = (select(M.c.id).where(due, M.c.direction == "out", M.c.next_attempt_at <= now)
         .order_by(M.c.next_attempt_at, M.c.id).limit(limit))
    claim = dict(status=OutboxStatus.SENDING, next_attempt_at=now + LEASE,
                 attempts=M.c.attempts + 1)
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            return sorted(conn.execute(
                update(M).where(M.c.id.in_(q.scalar_subquery())).values(**claim)
                .returning(M.c.id)).scalars())
        ids = list(conn.execute(q.with_for_update(skip_locked=True)).scalars())
        if ids:
            conn.execute(update(M).where(M.c.id.in_(ids)).values(**claim))
    return ids
