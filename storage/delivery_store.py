"""The dispatch workers' side of the outbox in SQL (:class:`bot.services.ports.DeliveryStore`).

Claiming: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` so several workers never take the same
row; on SQLite one ``UPDATE ... RETURNING`` (one worker runs there). A claimed row is
``sending`` with a lease (``next_attempt_at``) that the worker renews while it lives; a
worker that dies leaves it to be claimed again when the lease runs out. The claim's
``attempts`` is its fencing token: renewing and releasing touch a row only while it is
still ``sending`` with the attempt count this claim gave it. Everything else is
set-based: a few queries per batch; an outcome is recorded as soon as its send returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, tuple_, update
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Engine

from bot.domain.case import Case
from bot.domain.clock import ensure_utc
from bot.domain.messages import ChannelKind
from bot.domain.outbox import SENT_STATUSES, OutboxStatus
from bot.policy.decision import Purpose
from bot.policy.history import SentRecord
from bot.services.ports import DecisionRecord, DeliveryUpdate, StoredMessage
from storage.case_stream import load_cases_by_id
from storage.message_log import delivery_values, select_messages, stored_message
from storage.models import ContactDecisionRow, MessageRow

M = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
#: what counts against the frequency caps
CAPPED_PURPOSES = (Purpose.DUNNING.value, Purpose.PROMISE_REMINDER.value)
_SENT = [s.value for s in SENT_STATUSES]
_IN_CHUNK = 1000


class SqlDeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[int]:
        """PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then ``UPDATE``, in the order
        due. SQLite: one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING id`` — a
        write from its first statement, so a concurrent writer makes it wait (busy
        timeout) instead of failing as a read transaction upgraded to a write would; ids
        come back ascending."""
        if limit < 1:
            return []
        due = or_(M.c.status == OutboxStatus.QUEUED.value,
                  M.c.status == OutboxStatus.SENDING.value)
        q = (select(M.c.id).where(due, M.c.direction == "out", M.c.next_attempt_at <= now)
             .order_by(M.c.next_attempt_at, M.c.id).limit(limit))
        claim = dict(status=OutboxStatus.SENDING.value, next_attempt_at=lease_until,
                     attempts=M.c.attempts + 1)
        with self.engine.begin() as conn:
            if conn.dialect.name != "postgresql":
                return sorted(conn.execute(
                    update(M).where(M.c.id.in_(q.scalar_subquery())).values(**claim)
                    .returning(M.c.id)).scalars())
            ids = list(conn.execute(q.with_for_update(skip_locked=True)).scalars())
            if ids:
                conn.execute(update(M).where(M.c.id.in_(ids)).values(**claim))
        return ids

    def claimed(self, ids: Sequence[int]) -> dict[int, StoredMessage]:
        out: dict[int, StoredMessage] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _IN_CHUNK):
                for row in conn.execute(select_messages().where(
                        M.c.id.in_(list(ids[i:i + _IN_CHUNK])))):
                    message = stored_message(row)
                    out[message.id] = message
        return out

    def cases(self, case_ids: Sequence[int]) -> dict[int, Case]:
        bundles = load_cases_by_id(self.engine, case_ids, with_messages=False)
        return {case_id: b.case for case_id, b in bundles.items()}

    def histories(self, case_ids: Sequence[int], since: datetime
                  ) -> dict[int, list[tuple[int, SentRecord]]]:
        out: dict[int, list[tuple[int, SentRecord]]] = defaultdict(list)
        ids = list(case_ids)
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _IN_CHUNK):
                rows = conn.execute(
                    select(M.c.case_id, M.c.channel, M.c.sent_at, M.c.step_id, M.c.id)
                    .where(M.c.case_id.in_(ids[i:i + _IN_CHUNK]), M.c.direction == "out",
                           M.c.status.in_(_SENT), M.c.purpose.in_(CAPPED_PURPOSES),
                           M.c.sent_at >= since))
                for case_id, ch, at, step, rid in rows:
                    if at is not None:
                        out[case_id].append(
                            (rid, SentRecord(ChannelKind(ch), ensure_utc(at), step)))
        return out

    def record(self, updates: Sequence[DeliveryUpdate],
               decisions: Sequence[DecisionRecord] = ()) -> None:
        """Bulk ``UPDATE ... WHERE id = :id`` per shape of update, in one transaction."""
        groups: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = defaultdict(list)
        for u in updates:
            values = delivery_values(u)
            groups[(tuple(sorted(values)), u.release_attempt)].append(
                {"b_id": u.message_id, **{f"b_{k}": v for k, v in values.items()}})
        with self.engine.begin() as conn:
            for (names, release), params in groups.items():
                sets: dict[str, Any] = {n: bindparam(f"b_{n}") for n in names}
                if release:
                    sets["attempts"] = sql_case((M.c.attempts > 0, M.c.attempts - 1), else_=0)
                conn.execute(update(M).where(M.c.id == bindparam("b_id")).values(sets), params)
            if decisions:
                conn.execute(insert(CD), list(decisions))

    def renew(self, claims: Mapping[int, int], lease_until: datetime) -> list[int]:
        return self._fenced(claims, {"next_attempt_at": lease_until})

    def release(self, claims: Mapping[int, int], now: datetime) -> list[int]:
        return self._fenced(claims, {
            "status": OutboxStatus.QUEUED.value, "next_attempt_at": now,
            "attempts": sql_case((M.c.attempts > 0, M.c.attempts - 1), else_=0)})

    def _fenced(self, claims: Mapping[int, int], values: dict[str, Any]) -> list[int]:
        """``UPDATE`` the rows still held under these claims; returns their ids."""
        pairs = list(claims.items())
        done: list[int] = []
        with self.engine.begin() as conn:
            for i in range(0, len(pairs), _IN_CHUNK):
                chunk = pairs[i:i + _IN_CHUNK]
                done += conn.execute(
                    update(M).where(M.c.id.in_([k for k, _ in chunk]),
                                    M.c.status == OutboxStatus.SENDING.value,
                                    tuple_(M.c.id, M.c.attempts).in_(chunk))
                    .values(values).returning(M.c.id)).scalars()
        return sorted(done)
