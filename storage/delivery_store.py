"""The dispatch workers' side of the outbox in SQL (:class:`bot.services.ports.DeliveryStore`).

Claiming: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` so several workers never take the same
row; on SQLite one ``UPDATE ... RETURNING`` (one worker runs there). A claimed row is
``sending`` with a lease (``next_attempt_at``) that the worker renews while it lives; a
worker that dies leaves it to be claimed again when the lease runs out. The claim's
``attempts`` is its fencing token: renewing and releasing touch a row only while it is
still ``sending`` with the attempt count this claim gave it. Everything else is
set-based: a few queries per batch; outcomes are recorded a few at a time, as their
sends return.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, and_, any_, bindparam, insert, or_, select, tuple_, update
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Dialect, Engine

from bot.domain.case import Case
from bot.domain.clock import ensure_utc
from bot.domain.messages import ChannelKind
from bot.domain.outbox import SENT_STATUSES, OutboxStatus
from bot.policy.decision import Purpose
from bot.policy.history import SentRecord
from bot.services.ports import DecisionRecord, DeliveryUpdate, RelatedSend, StoredMessage
from storage.case_stream import load_cases_by_id
from storage.message_log import _COLUMNS as _MESSAGE_COLUMNS
from storage.message_log import delivery_values, stored_message
from storage.tables.cases import CaseRow, ContactPointRow
from storage.tables.messages import ContactDecisionRow, MessageRow
from storage.types import UTCDateTime

M = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
_SENDING = OutboxStatus.SENDING.value
#: what counts against the frequency caps
CAPPED_PURPOSES = (Purpose.DUNNING.value, Purpose.PROMISE_REMINDER.value)
_SENT = [s.value for s in SENT_STATUSES]
_IN_CHUNK = 1000


#: rows per ``UPDATE ... FROM (VALUES ...)`` statement (bound parameters stay well under
#: SQLite's and PostgreSQL's limits)
_VALUES_ROWS = 500
#: SQLite has ``UPDATE ... FROM`` since 3.33
_SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33)


@functools.lru_cache(maxsize=64)
def _update_sql(dialect: Dialect, names: tuple[str, ...], release_attempt: bool,
                rows: int) -> str:
    """One statement setting ``names`` (and giving back the claim's attempt) on ``rows``
    messages: ``UPDATE message SET ... FROM (VALUES (id, <names>), ...) WHERE id = ...``,
    parameters row after row. PostgreSQL: the times are cast (a column of NULLs in
    VALUES would be text); SQLite before 3.33 (no ``UPDATE ... FROM``): one row's
    ``UPDATE ... WHERE id = ?``, for an executemany."""
    table = f'"{M.name}"'
    extra = ['"attempts" = CASE WHEN "attempts" > 0 THEN "attempts" - 1 ELSE 0 END'] \
        if release_attempt else []
    if dialect.name == "sqlite":
        if not _SQLITE_UPDATE_FROM:
            sets = [f'"{name}" = ?' for name in names] + extra
            return f'UPDATE {table} SET {", ".join(sets)} WHERE "id" = ?'
        row = "(" + ", ".join(["?"] * (len(names) + 1)) + ")"
        sets = [f'"{name}" = v.column{i + 2}' for i, name in enumerate(names)] + extra
        return (f'UPDATE {table} SET {", ".join(sets)} FROM (VALUES {", ".join([row] * rows)})'
                f' AS v WHERE {table}."id" = v.column1')
    row = "(" + ", ".join(["%s"] * (len(names) + 1)) + ")"
    sets = [f'"{name}" = v."{name}"' if not isinstance(M.c[name].type, UTCDateTime)
            else f'"{name}" = CAST(v."{name}" AS {M.c[name].type.compile(dialect)})'
            for name in names] + extra
    columns = ", ".join(f'"{c}"' for c in ("id", *names))
    return (f'UPDATE {table} SET {", ".join(sets)} FROM (VALUES {", ".join([row] * rows)})'
            f' AS v ({columns}) WHERE {table}."id" = v."id"')


@functools.lru_cache(maxsize=64)
def _binders(dialect: Dialect, names: tuple[str, ...]) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None: the value goes as it is)."""
    return [M.c[name].type._cached_bind_processor(dialect) for name in names]


def _update(cursor: Any, dialect: Dialect, names: tuple[str, ...], release: bool,
            rows: list[list[Any]]) -> None:
    """Run :func:`_update_sql` for ``rows`` (``[id, *values]`` each)."""
    if dialect.name == "sqlite" and not _SQLITE_UPDATE_FROM:
        cursor.executemany(_update_sql(dialect, names, release, 1),
                           [[*row[1:], row[0]] for row in rows])
        return
    for i in range(0, len(rows), _VALUES_ROWS):
        chunk = rows[i:i + _VALUES_ROWS]
        cursor.execute(_update_sql(dialect, names, release, len(chunk)),
                       [value for row in chunk for value in row])


@functools.lru_cache(maxsize=64)
def _claimed_sql(dialect: Dialect, count: int) -> str:
    """``SELECT <every StoredMessage column> FROM message WHERE id IN (<count> ids)``;
    PostgreSQL: ``WHERE id = ANY(%s)``, the ids one array (``count`` unused)."""
    columns = ", ".join(f'"{c.name}"' for c in _MESSAGE_COLUMNS)
    select_from = f'SELECT {columns} FROM "{M.name}" WHERE "id"'
    if dialect.name == "postgresql":
        return f"{select_from} = ANY(%s)"
    return f'{select_from} IN ({", ".join(["?"] * count)})'


@functools.lru_cache(maxsize=8)
def _result_processors(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """Each StoredMessage column's result processor (None: the value is used as is)."""
    return [c.type._cached_result_processor(dialect, None) for c in _MESSAGE_COLUMNS]


def _update_groups(cursor: Any, dialect: Dialect,
                   groups: Mapping[tuple[tuple[str, ...], bool], list[list[Any]]]) -> None:
    """Each group's values bound as its columns bind them, then its update."""
    for (names, release), rows in groups.items():
        for i, bind in enumerate(_binders(dialect, names), start=1):
            if bind is not None:
                for row in rows:
                    if row[i] is not None:
                        row[i] = bind(row[i])
        _update(cursor, dialect, names, release, rows)


def _among(dialect: Dialect, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``: one parameter
    instead of one per value (the driver parses a statement's placeholders each time
    it is sent, and a batch's list is a thousand of them)."""
    if dialect.name != "postgresql":
        return column.in_(list(values))
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


class SqlDeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: :meth:`hold_connections` not yet released, and the held connections idle
        self._holders = 0
        self._idle: list[Any] = []
        self._held_lock = threading.Lock()

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
                conn.execute(update(M).where(_among(conn.dialect, M.c.id, ids)).values(**claim))
        return ids

    def claimed(self, ids: Sequence[int]) -> dict[int, StoredMessage]:
        """The claimed messages, read on the DB-API cursor (a batch's rows, every column:
        SQLAlchemy's row processing cost more than the query), each column's value
        converted as its type converts results."""
        out: dict[int, StoredMessage] = {}
        with self.engine.connect() as conn:
            dialect = conn.dialect
            processors = [(i, p) for i, p in enumerate(_result_processors(dialect))
                          if p is not None]
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for i in range(0, len(ids), _IN_CHUNK):
                    chunk = list(ids[i:i + _IN_CHUNK])
                    if dialect.name == "postgresql":  # one array parameter
                        cursor.execute(_claimed_sql(dialect, 0), [chunk])
                    else:
                        cursor.execute(_claimed_sql(dialect, len(chunk)), chunk)
                    for raw in cursor.fetchall():
                        row = list(raw)
                        for k, process in processors:
                            if row[k] is not None:
                                row[k] = process(row[k])
                        message = stored_message(row)
                        out[message.id] = message
            finally:
                cursor.close()
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
                    select(M.c.case_id, M.c.channel, M.c.sent_at, M.c.step_id, M.c.id,
                           M.c.address)
                    .where(_among(conn.dialect, M.c.case_id, ids[i:i + _IN_CHUNK]),
                           M.c.direction == "out",
                           M.c.status.in_(_SENT), M.c.purpose.in_(CAPPED_PURPOSES),
                           M.c.sent_at >= since))
                for case_id, ch, at, step, rid, address in rows:
                    if at is not None:
                        out[case_id].append((rid, SentRecord(
                            ChannelKind(ch), ensure_utc(at), step, address=address)))
        return out

    def related_histories(self, targets: Sequence[tuple[int, str]], since: datetime
                          ) -> dict[tuple[int, str], list[RelatedSend]]:
        """Who else holds each address (indexed ``contact_point.address``), then their
        cases' capped messages since ``since`` or in flight (indexed by case)."""
        out: dict[tuple[int, str], list[RelatedSend]] = defaultdict(list)
        addresses = sorted({a for _, a in targets})
        if not addresses:
            return out
        holders: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        customer_of: dict[int, int] = {}
        messages: dict[int, list[tuple[int, str, datetime, str, str]]] = defaultdict(list)
        with self.engine.connect() as conn:
            for i in range(0, len(addresses), _IN_CHUNK):
                for address, case_id, customer_id, account in conn.execute(
                        select(CP.c.address, CA.c.id, CA.c.customer_id, CA.c.account_id)
                        .select_from(CP.join(CA, CA.c.customer_id == CP.c.customer_id))
                        .where(_among(conn.dialect, CP.c.address,
                                      addresses[i:i + _IN_CHUNK]))):
                    holders[address].append((case_id, customer_id, account))
                    customer_of[case_id] = customer_id
            wanted = {c for case_id, a in targets for c, _, _ in holders.get(a, ())
                      if c != case_id}
            ids = sorted(wanted)
            for i in range(0, len(ids), _IN_CHUNK):
                for rid, case_id, channel, sent_at, created_at, status, address in conn.execute(
                        select(M.c.id, M.c.case_id, M.c.channel, M.c.sent_at, M.c.created_at,
                               M.c.status, M.c.address)
                        .where(_among(conn.dialect, M.c.case_id, ids[i:i + _IN_CHUNK]),
                               M.c.direction == "out", M.c.purpose.in_(CAPPED_PURPOSES),
                               or_(and_(M.c.status.in_(_SENT), M.c.sent_at >= since),
                                   M.c.status == _SENDING))):
                    at = sent_at if status != _SENDING else created_at
                    if at is not None:
                        messages[case_id].append((rid, channel, ensure_utc(at), status,
                                                  address))
        for case_id, address in targets:
            mine = customer_of.get(case_id)
            for other_id, customer_id, account in holders.get(address, ()):
                if other_id == case_id:
                    continue
                other = customer_id != mine
                for rid, channel, at, status, to in messages.get(other_id, ()):
                    if other and to != address:
                        continue
                    out[(case_id, address)].append(RelatedSend(rid, SentRecord(
                        ChannelKind(channel), at, address=to, account=account,
                        other_customer=other), status == _SENDING))
        return out

    def record(self, updates: Sequence[DeliveryUpdate],
               decisions: Sequence[DecisionRecord] = ()) -> None:
        """One transaction: per shape of update, one ``UPDATE ... FROM (VALUES ...)``
        on the DB-API cursor for its messages (values bound as the column types bind
        them; a few outcomes at a time come here, and SQLAlchemy's statement building and
        parameter handling, or a statement per row, cost more than the database's
        work), then the decisions.

        While connections are held (:meth:`hold_connections`), outcomes that make one
        statement (one shape, no decisions: a group of sends that went) are written as
        that single statement on a held connection in autocommit mode: the statement is
        its own transaction, committed (on PostgreSQL durably) before this returns, in
        one round trip instead of a pool checkout with its ping, ``BEGIN``, the
        statement and ``COMMIT``."""
        groups: dict[tuple[tuple[str, ...], bool], list[list[Any]]] = defaultdict(list)
        for u in updates:
            values = delivery_values(u)
            groups[(tuple(values), u.release_attempt)].append([u.message_id,
                                                                *values.values()])
        dialect = self.engine.dialect
        if (self._holders and not decisions and len(groups) == 1
                and len(updates) <= _VALUES_ROWS
                and (dialect.name == "postgresql" or _SQLITE_UPDATE_FROM)):
            self._record_alone(dialect, groups)
            return
        with self.engine.begin() as conn:
            if groups:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    _update_groups(cursor, dialect, groups)
                finally:
                    cursor.close()
            if decisions:
                conn.execute(insert(CD), list(decisions))

    def _record_alone(self, dialect: Dialect,
                      groups: Mapping[tuple[tuple[str, ...], bool], list[list[Any]]]) -> None:
        """One statement on a held connection, in autocommit mode (see :meth:`record`);
        a connection that fails is thrown away."""
        with self._held_lock:
            raw = self._idle.pop() if self._idle else None
        if raw is None:
            raw = self.engine.raw_connection()
            if dialect.name == "postgresql":
                raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        try:
            cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                _update_groups(cursor, dialect, groups)
            finally:
                cursor.close()
        except BaseException:
            raw.invalidate()
            raise
        with self._held_lock:
            if self._holders:
                self._idle.append(raw)
                return
        self._give_back(raw)

    def hold_connections(self) -> None:
        """Keep the connections :meth:`record` uses open until
        :meth:`release_connections` (a dispatcher sending a batch); calls nest."""
        with self._held_lock:
            self._holders += 1

    def release_connections(self) -> None:
        """The end of a :meth:`hold_connections`: the last one returns the held
        connections to the engine's pool."""
        with self._held_lock:
            self._holders = max(0, self._holders - 1)
            idle, self._idle = (self._idle, []) if not self._holders else ([], self._idle)
        for raw in idle:
            self._give_back(raw)

    def _give_back(self, raw: Any) -> None:
        """Return a held connection to the pool as the pool gave it (not autocommit)."""
        try:
            if self.engine.dialect.name == "postgresql":
                raw.driver_connection.autocommit = False
        except Exception:  # a broken connection: the pool must not have it back
            raw.invalidate()
            return
        raw.close()

    @property
    def record_writers(self) -> int:
        """SQLite: one writer at a time (another waits on the database lock, polling);
        PostgreSQL: transactions committing at once share the write-ahead log's flushes."""
        return 2 if self.engine.dialect.name == "postgresql" else 1

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
