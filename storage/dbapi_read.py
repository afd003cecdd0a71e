"""The read-only command line's stores on a DB-API connection (sqlite3, psycopg), without
SQLAlchemy or SQLModel.

``duebot cases list``, ``cases show``, ``queue list`` and ``report`` only read, and
importing SQLAlchemy's ORM and SQLModel took most of their start. :class:`ReadBackend`
serves what they read, through the same ports as the SQL backend (a unit of work's
``cases``, ``messages``, ``events``, ``work_items`` and ``campaigns``, and the
``outcome_source``), running the statements of :mod:`storage.read_statements` as
compiled ahead of time (:mod:`storage.read_sql`) and decoding values as their column
types do (the case aggregate through :mod:`storage.case_rows`, as the SQL repository
loads it). ``tests/storage/test_dbapi_read.py`` checks that both give the same on
SQLite and PostgreSQL. Anything that writes is refused (:class:`ReadOnlyError`).

A driver's error is raised as SQLAlchemy raises it (``OperationalError``... with the
driver's error as ``orig``), imported only then: the command line explains a missing
database or schema the same way on either path.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from types import TracebackType
from typing import Any, NoReturn, Self

from bot.domain.clock import Clock, ensure_utc
from bot.domain.work_items import QueueItem, WorkItemKind
from bot.services.ports import (
    CampaignVersion,
    CaseSummary,
    EventRecord,
    OutcomeFacts,
    StoredMessage,
)
from bot.services.reports import event_kind
from storage import case_rows
from storage.read_sql import READS


class ReadOnlyError(RuntimeError):
    """A store that writes was asked of the read-only backend (a bug in the wiring)."""


def _sqlite_utc(text: str) -> datetime:
    return ensure_utc(datetime.fromisoformat(text))


#: per dialect, column kind -> decoder of a raw value that is not None
_DECODE: dict[str, dict[str, Any]] = {
    "sqlite": {"utc": _sqlite_utc, "date": date.fromisoformat, "time": time.fromisoformat,
               "json": json.loads, "bool": bool},
    "postgresql": {"utc": ensure_utc, "date": None, "time": None, "json": json.loads,
                   "bool": None},
}


def _sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``:memory:`` for none)."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    return rest.split("?", 1)[0] or ":memory:"


def connect(url: str) -> tuple[Any, str]:
    """A DB-API connection to the database at the SQLAlchemy ``url`` and its dialect's
    name (``sqlite`` or ``postgresql``); ValueError for another database."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    try:
        if scheme == "sqlite":
            import sqlite3

            conn = sqlite3.connect(_sqlite_path(url), timeout=30, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            return conn, "sqlite"
        if scheme in ("postgresql", "postgres"):
            import psycopg

            return psycopg.connect("postgresql" + url[len(url.split(":", 1)[0]):]), \
                "postgresql"
    except Exception as exc:
        _raise_database_error(exc, None)
    raise ValueError(f"no read-only path for {scheme!r} databases")


def _raise_database_error(exc: Exception, statement: str | None) -> NoReturn:
    """Raise a driver's ``exc`` as SQLAlchemy would (other exceptions as they are)."""
    module = type(exc).__module__.split(".", 1)[0]
    if module not in ("sqlite3", "psycopg"):
        raise exc
    from importlib import import_module

    from sqlalchemy.exc import DBAPIError

    base = import_module(module).Error
    raise DBAPIError.instance(statement, None, exc, base, hide_parameters=True) from exc


class _Reader:
    """Runs the compiled reads on one DB-API connection."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn, self.dialect = conn, dialect
        self.reads = READS[dialect]
        self.decoders = _DECODE[dialect]
        self.raw = case_rows.SQLITE if dialect == "sqlite" else case_rows.NATIVE

    def _statement(self, name: str, params: Mapping[str, Any]) -> tuple[str, Any]:
        sql, positional, literals, expanding, _ = self.reads[name]
        values = {**literals, **params}
        named: dict[str, Any] = {}
        for key in expanding:
            items = list(values[key])
            if not items:
                raise ValueError(f"{name}: {key} is empty")
            if positional is not None:
                marks = ", ".join("?" * len(items))
            else:
                names = [f"{key}_{n}" for n in range(1, len(items) + 1)]
                marks = ", ".join(f"%({n})s" for n in names)
                named.update(zip(names, items, strict=True))
            sql = sql.replace(f"__[POSTCOMPILE_{key}]", marks)
        if positional is None:
            return sql, {**{k: v for k, v in values.items() if k not in expanding}, **named}
        args: list[Any] = []
        for key in positional:
            if key in expanding:
                args.extend(values[key])
            else:
                args.append(values[key])
        return sql, args

    def rows(self, name: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The rows of the read ``name``: decoded by its columns' types, or (the case
        reads) raw."""
        sql, args = self._statement(name, params or {})
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        except Exception as exc:
            _raise_database_error(exc, sql)
        finally:
            cursor.close()
        kinds = self.reads[name][4]
        if kinds is None:
            return list(rows)
        decoders = [None if k is None else self.decoders[k] for k in kinds]
        if not any(decoders):
            return [tuple(r) for r in rows]
        return [tuple(v if f is None or v is None else f(v)
                      for v, f in zip(row, decoders, strict=True)) for row in rows]

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self._run("BEGIN")

    def end(self) -> None:
        if self.dialect == "sqlite":
            if self.conn.in_transaction:
                self._run("ROLLBACK")
        else:
            self.conn.rollback()

    def _run(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except Exception as exc:
            _raise_database_error(exc, sql)


# ---------------------------------------------------------------- repositories
class ReadCases:
    """The unit of work's ``cases``: one case as the SQL repository loads it, and the
    list of cases (``holds`` filters are the console's, not served here)."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def get(self, account_id: str) -> Any:
        found = self.reader.rows("case_id", {"account_id": account_id})
        return None if not found else self.get_by_id(found[0][0])

    def get_by_id(self, case_id: int) -> Any:
        held = case_rows.read_holding(self.reader.rows, {"id": case_id}, self.reader.raw)
        bundle = held.bundles.get(case_id)
        return None if bundle is None else bundle.case

    def count(self, statuses: Sequence[str] | None = None) -> int:
        if statuses:
            rows = self.reader.rows("case_count_in", {"statuses": list(statuses)})
        else:
            rows = self.reader.rows("case_count")
        return int(rows[0][0])

    def summaries(self, statuses: Sequence[str] | None = None, limit: int = 50,
                  offset: int = 0, holds: Sequence[str] | None = None) -> list[CaseSummary]:
        if holds:
            raise ReadOnlyError("filtering by holds is not served by the read-only path")
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if statuses:
            params["statuses"] = list(statuses)
        rows = self.reader.rows("case_summaries_in" if statuses else "case_summaries", params)
        return [CaseSummary(a, st, dpd, bal, cur, seg, risk, tuple(h or {}))
                for a, st, dpd, bal, cur, seg, risk, h in rows]

    def __getattr__(self, name: str) -> NoReturn:
        raise ReadOnlyError(f"cases.{name} is not served by the read-only path")


_MESSAGE_FIELDS: tuple[str, ...] = tuple(StoredMessage.__slots__)  # type: ignore[attr-defined]


class ReadMessages:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def for_case(self, case_id: int, limit: int = 20) -> list[StoredMessage]:
        out = []
        for row in self.reader.rows("messages_for_case", {"case_id": case_id, "limit": limit}):
            values = dict(zip(_MESSAGE_FIELDS, row, strict=True))
            values["fallback_channels"] = tuple(values["fallback_channels"] or ())
            out.append(StoredMessage(**values))
        return out

    def __getattr__(self, name: str) -> NoReturn:
        raise ReadOnlyError(f"messages.{name} is not served by the read-only path")


class ReadEvents:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def for_case(self, case_id: int) -> list[EventRecord]:
        return [EventRecord(i, t, a, at, p or {}) for i, t, a, at, p in
                self.reader.rows("events_for_case", {"case_id": case_id})]


class ReadWorkQueue:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def open_items(self, limit: int = 100) -> list[QueueItem]:
        return self._items(self.reader.rows("open_items", {"limit": limit}))

    def open_for_case(self, case_id: int) -> list[QueueItem]:
        return self._items(self.reader.rows("open_items_for_case", {"case_id": case_id}))

    @staticmethod
    def _items(rows: Iterable[Any]) -> list[QueueItem]:
        return [QueueItem(i, WorkItemKind(k), p, a, d, c, due, h)
                for i, k, p, a, d, c, due, h in rows]

    def __getattr__(self, name: str) -> NoReturn:
        raise ReadOnlyError(f"work_items.{name} is not served by the read-only path")


class ReadCampaignVersions:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def versions(self, campaign_id: str | None = None) -> list[CampaignVersion]:
        rows = (self.reader.rows("campaign_versions") if campaign_id is None else
                self.reader.rows("campaign_versions_of", {"campaign_id": campaign_id}))
        return [CampaignVersion(*row) for row in rows]

    def __getattr__(self, name: str) -> NoReturn:
        raise ReadOnlyError(f"campaigns.{name} is not served by the read-only path")


def outcome_facts(rows: Any) -> OutcomeFacts:
    """:class:`OutcomeFacts` from the ``facts_*`` reads (``rows(name)``: a read's rows
    decoded by its columns' types); the SQL backend's ``outcome_source`` builds them here
    too."""
    opt_outs: list[tuple[int, datetime]] = []
    disputes: list[tuple[int, datetime]] = []
    complaints: list[tuple[int, datetime]] = []
    by_kind = {"opt_out": opt_outs, "dispute": disputes, "complaint": complaints}
    for case_id, at, kind_name, payload in rows("facts_events"):
        kind = event_kind(kind_name, payload or {})
        if kind is not None:
            by_kind[kind].append((case_id, ensure_utc(at)))
    payments: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for case_id, paid_at, amount in rows("facts_payments"):
        payments[case_id].append((ensure_utc(paid_at), amount))
    return OutcomeFacts(
        [(c, ensure_utc(at), step, variant, camp)
         for c, at, step, variant, camp in rows("facts_sent")],
        [(c, ensure_utc(at), intent) for c, at, intent in rows("facts_inbound")],
        [(c, None if made is None else ensure_utc(made), due, status)
         for c, made, due, status in rows("facts_promises")],
        opt_outs,
        {r[0]: (r[1], r[2], r[3], r[4]) for r in rows("facts_cases")},
        dict(payments), disputes, complaints)


# ---------------------------------------------------------------- unit of work, backend
class ReadUnitOfWork:
    """``with uow: ...``: one read transaction on the backend's connection; ``commit``
    is refused."""

    def __init__(self, backend: ReadBackend) -> None:
        self.backend = backend
        self.clock = backend.clock
        self.published: list[Any] = []

    def __enter__(self) -> Self:
        reader = self.backend.reader()
        reader.begin()
        self._reader = reader
        self.cases = ReadCases(reader)
        self.messages = ReadMessages(reader)
        self.events = ReadEvents(reader)
        self.work_items = ReadWorkQueue(reader)
        self.campaigns = ReadCampaignVersions(reader)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._reader.end()

    def flush(self) -> None:
        raise ReadOnlyError("the read-only unit of work writes nothing")

    commit = flush

    def rollback(self) -> None:
        self._reader.end()

    def __getattr__(self, name: str) -> NoReturn:
        raise ReadOnlyError(f"uow.{name} is not served by the read-only path")


class _ReadOutcomeSource:
    def __init__(self, backend: ReadBackend) -> None:
        self.backend = backend

    def outcome_facts(self) -> OutcomeFacts:
        reader = self.backend.reader()
        reader.begin()
        try:
            return outcome_facts(reader.rows)
        finally:
            reader.end()


class ReadBackend:
    """The stores the read-only commands use, over one DB-API connection made on first
    use (``url``: the SQLAlchemy URL of the settings)."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.url = url
        self.clock = clock
        self._reader: _Reader | None = None

    def reader(self) -> _Reader:
        if self._reader is None:
            self._reader = _Reader(*connect(self.url))
        return self._reader

    def uow(self) -> ReadUnitOfWork:
        return ReadUnitOfWork(self)

    @property
    def outcome_source(self) -> _ReadOutcomeSource:
        return _ReadOutcomeSource(self)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.conn.close()
            self._reader = None

    def schema_current(self) -> bool:
        raise ReadOnlyError("the read-only path checks no schema")

    def preload(self) -> None:
        return None

    def __getattr__(self, name: str) -> NoReturn:
        # an AttributeError: ``getattr(backend, "engine", None)`` says there is none
        raise AttributeError(f"{name} is not served by the read-only path")

