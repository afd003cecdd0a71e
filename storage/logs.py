"""Append-only records: the decision log, domain events, and inbound event keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import import_module

from sqlalchemy import bindparam, insert
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.services.ports import DecisionRecord, EventRecord
from storage.raw_sql import RawStatement
from storage.tables.messages import CaseEventRow, ContactDecisionRow, InboundEventRow

CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
IE = InboundEventRow.__table__  # type: ignore[attr-defined]
#: the longest inbound event key kept (``inbound_event.key``)
MAX_KEY = 400


class SqlDecisionLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, decisions: Sequence[DecisionRecord]) -> None:
        if decisions:
            self.session.execute(insert(CD), list(decisions))


class SqlEventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_case(self, case_id: int) -> list[EventRecord]:
        from storage.read_statements import READS

        rows = self.session.execute(READS["events_for_case"], {"case_id": case_id})
        return [EventRecord(i, t, a, ensure_utc(at), p or {}) for i, t, a, at, p in rows]


#: the key's insert, per dialect, built when the dialect first needs it (a process on
#: SQLite never imports PostgreSQL's dialect: a command line's start): a key already there
#: (or being inserted by a transaction not yet committed: the insert waits for it under
#: the unique index) inserts nothing
_FIRST_TIME: dict[str, RawStatement] = {}


def _first_time(dialect: str) -> RawStatement:
    found = _FIRST_TIME.get(dialect)
    if found is None:
        module = import_module(f"sqlalchemy.dialects.{dialect}")
        found = _FIRST_TIME[dialect] = RawStatement(
            module.insert(IE).values(key=bindparam("b_key"), at=bindparam("b_at"))
            .on_conflict_do_nothing(index_elements=["key"]).returning(IE.c.id))
    return found


class SqlInboundLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_time(self, key: str, at: datetime) -> bool:
        conn = self.session.connection()
        return _first_time(conn.dialect.name).first(
            conn, {"b_key": key[:MAX_KEY], "b_at": at}) is not None
