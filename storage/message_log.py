"""The ``message`` table: every message in and out (outbound rows are the outbox).

:class:`SqlMessageLog` records customers' messages and answers the lookups that match a
reply to its case; :class:`SqlOutboxRepository` enqueues outbound messages inside a unit
of work (the tick and the workers use their own set-based paths, see ``plan_store.py``
and ``delivery_store.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.domain.messages import ChannelKind
from bot.domain.outbox import NewOutboxMessage
from bot.services.ports import DeliveryUpdate, NewInboundMessage, StoredMessage
from storage.db import upsert
from storage.raw_sql import RawStatement
from storage.tables.messages import MessageRow

M = MessageRow.__table__  # type: ignore[attr-defined]
_FIELDS = tuple(f for f in StoredMessage.__slots__)  # type: ignore[attr-defined]
_COLUMNS = tuple(M.c[name] for name in _FIELDS)


def stored_message(row: Any) -> StoredMessage:
    """A message from a row of ``_COLUMNS`` (or any row with those names)."""
    values = dict(zip(_FIELDS, row, strict=True))
    values["fallback_channels"] = tuple(values["fallback_channels"] or ())
    for name in ("next_attempt_at", "created_at", "sent_at"):
        if values[name] is not None:
            values[name] = ensure_utc(values[name])
    return StoredMessage(**values)


def select_messages() -> Any:
    """A select of every StoredMessage column."""
    return select(*_COLUMNS)


#: the outbox insert, per dialect (built once, when the dialect is first used: a statement
#: built per call costs more CPU than a one-row insert takes the database, and a process
#: on SQLite never imports PostgreSQL's dialect)
_ENQUEUE: dict[str, Any] = {}
#: a customer's message (``reading`` and ``intent`` None when it was not parsed)
_ADD_INBOUND = RawStatement(insert(M).values(
    {**{name: bindparam(f"b_{name}") for name in (
        "case_id", "channel", "address", "provider_id", "subject", "body", "thread_ref",
        "created_at", "intent", "reading")},
     "direction": "in", "status": "received", "actor": "customer", "attempts": 0,
     "fallback_channels": []}).returning(M.c.id))
_SET_READING = RawStatement(update(M).where(M.c.id == bindparam("b_id")).values(
    intent=bindparam("b_intent"), reading=bindparam("b_reading")))


def enqueue(conn: Connection, messages: Sequence[NewOutboxMessage]) -> list[int]:
    """Insert outbox messages, skipping any whose idempotency key exists; returns the ids
    of the rows added (RETURNING: an executemany's rowcount is -1 on psycopg)."""
    if not messages:
        return []
    stmt = _ENQUEUE.get(conn.dialect.name)
    if stmt is None:
        stmt = _ENQUEUE[conn.dialect.name] = (
            upsert(conn, M)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(M.c.id)
        )
    return [row[0] for row in conn.execute(stmt, list(messages)).all()]


def delivery_values(u: DeliveryUpdate) -> dict[str, Any]:
    """The columns a :class:`DeliveryUpdate` sets (None fields are left alone)."""
    values: dict[str, Any] = {"status": u.status}
    for name in ("provider_id", "sent_at", "error_code", "error_reason"):
        value = getattr(u, name)
        if value is not None:
            values[name] = value
    if u.set_next_attempt:
        values["next_attempt_at"] = u.next_attempt_at
    return values


class SqlMessageLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, *where: Any) -> StoredMessage | None:
        row = self.session.execute(select_messages().where(*where).limit(1)).first()
        return None if row is None else stored_message(row)

    def add_inbound(self, message: NewInboundMessage) -> int:
        reading = message.reading
        rows = _ADD_INBOUND.all(self.session.connection(), {
            "b_case_id": message.case_id, "b_channel": message.channel,
            "b_address": message.address, "b_provider_id": message.provider_id,
            "b_subject": message.subject, "b_body": message.body,
            "b_thread_ref": message.thread_ref, "b_created_at": message.created_at,
            "b_intent": message.intent,
            "b_reading": None if reading is None else dict(reading)})
        return int(rows[0][0])

    def get(self, message_id: int) -> StoredMessage | None:
        return self._one(M.c.id == message_id)

    def set_intent(self, message_id: int, intent: str) -> None:
        self.session.execute(update(M).where(M.c.id == message_id).values(intent=intent))

    def set_reading(self, message_id: int, intent: str, reading: Mapping[str, Any]) -> None:
        _SET_READING.run(self.session.connection(), {
            "b_id": message_id, "b_intent": intent, "b_reading": dict(reading)})

    def set_case(self, message_id: int, case_id: int) -> None:
        self.session.execute(update(M).where(M.c.id == message_id).values(case_id=case_id))

    def outbound_by_provider_id(self, channel: ChannelKind, provider_id: str
                                ) -> StoredMessage | None:
        return self._one(M.c.channel == channel.value, M.c.provider_id == provider_id,
                         M.c.direction == "out")

    def update_delivery(self, u: DeliveryUpdate) -> None:
        values = delivery_values(u)
        if u.release_attempt:
            values["attempts"] = M.c.attempts - 1
        self.session.execute(update(M).where(M.c.id == u.message_id).values(values))

    def _case_of_outbound(self, *where: Any) -> int | None:
        found = self.session.execute(select(M.c.case_id).where(
            *where, M.c.direction == "out", M.c.case_id.is_not(None)).limit(1)).scalar()
        return None if found is None else int(found)

    def case_for_reply_token(self, token: str) -> int | None:
        return self._case_of_outbound(M.c.reply_token == token)

    def case_for_provider_id(self, provider_id: str) -> int | None:
        return self._case_of_outbound(M.c.provider_id == provider_id)

    def last_case_written_to(self, address: str, case_ids: Sequence[int]) -> int | None:
        found = self.session.execute(
            select(M.c.case_id).where(M.c.address == address, M.c.direction == "out",
                                      M.c.case_id.in_(list(case_ids)))
            .order_by(M.c.created_at.desc()).limit(1)).scalar()
        return None if found is None else int(found)

    def last_inbound_channel(self, case_id: int) -> ChannelKind | None:
        found = self.session.execute(
            select(M.c.channel).where(M.c.case_id == case_id, M.c.direction == "in")
            .order_by(M.c.created_at.desc()).limit(1)).scalar()
        return None if found is None else ChannelKind(found)

    def for_case(self, case_id: int, limit: int = 20) -> list[StoredMessage]:
        from storage.read_statements import READS

        rows = self.session.execute(READS["messages_for_case"],
                                    {"case_id": case_id, "limit": limit})
        return [stored_message(r) for r in rows]


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, messages: Sequence[NewOutboxMessage]) -> list[int]:
        return enqueue(self.session.connection(), messages)
