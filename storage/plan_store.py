"""The planning tick's reads and writes in SQL (:class:`bot.services.ports.PlanStore`).

Reads stream open cases in batches (``storage/case_stream.py``). A batch's writes go in
one transaction that writes first: on SQLite a transaction that reads first cannot take
the write lock once another process has written (it fails instead of waiting).

On SQLite the tick's commits let the write-ahead log grow to :data:`TICK_WAL_PAGES`
pages before one of them copies it into the database file (SQLite's default is 1,000
pages, less than one batch writes: every batch's commit then checkpointed, writing the
same index pages to the log and again to the file and waiting for two fsyncs each
time). A batch's rows land all over the random-key indexes (idempotency keys, decision
keys, reply tokens), so consecutive batches rewrite largely the same pages, and a
checkpoint copies only a page's last version: over 200,000 cases the tick wrote 2.2 GB
with checkpoints every batch, 1.45 GB with them every few dozen. The tick ends with a
checkpoint of its own (:meth:`SqlPlanStore.finish`), so other connections do not
inherit a long log to copy.
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, func, select, tuple_, update
from sqlalchemy.engine import Dialect, Engine

from bot.services.ports import CaseBundle, Escalation, TickBatch, TickBatchResult
from storage.case_stream import CLOSED_STATUSES, stream_open_cases
from storage.tables.cases import CaseRow
from storage.tables.messages import CaseEventRow, ContactDecisionRow, MessageRow
from storage.tables.work import WorkItemRow
from storage.work_queue import work_item_values

CA = CaseRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
WI = WorkItemRow.__table__  # type: ignore[attr-defined]
log = logging.getLogger("duebot.planning")
#: cases per guarded status update (two bound values each)
_MOVE_CHUNK = 400
#: the tables the tick reads, whose statistics the query planner needs current
_READ_TABLES = ("collection_case", "customer", "contact_point", "promise", "payment",
                "message", "contact_decision")
#: statistics are stale once a table's rows changed by more than this share (and
#: :data:`_STALE_ROWS` rows): autovacuum's default analyze threshold
_STALE_SHARE = 0.1
_STALE_ROWS = 1000
#: PostgreSQL: a batch's commit does not wait for its write-ahead log to reach the disk
#: (this transaction only). A crash in the fraction of a second before the server
#: flushes it can lose the last batches written, never part of one: the next tick plans
#: them again under the same keys. The log is flushed in order, so anything committed
#: later that relies on them (a worker's claim of a queued message) makes them durable
#: first.
_PG_NO_FLUSH_WAIT = "SET LOCAL synchronous_commit = off"
#: SQLite: pages the write-ahead log may hold before a tick's commit checkpoints it
#: (64 MiB of 4 KiB pages; see the module docs)
TICK_WAL_PAGES = 16384
_PG_STALE = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(%(t)s) "
    "AND (c.reltuples < 0 OR COALESCE(s.n_mod_since_analyze, 0) > "
    "%(share)s * GREATEST(c.reltuples, 0) + %(rows)s)")


def _bind_processors(table: Any, columns: Sequence[str], dialect: Dialect
                     ) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor for ``dialect`` (None: the value goes as it is): the
    values a SQLAlchemy statement would send, for statements run on the DB-API cursor."""
    return [table.c[c].type._cached_bind_processor(dialect) for c in columns]


def _values(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
            processors: Sequence[Callable[[Any], Any] | None]) -> list[Sequence[Any]]:
    """``rows`` as sequences of database values in ``columns``' order.

    The values a batch's rows share (its instant, the few fallback lists) are processed
    once each: a processor's result is kept for the value it was given.
    """
    get = operator.itemgetter(*columns)
    if len(columns) == 1:
        return [(get(r),) for r in rows]
    fixes: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (i, f, {}) for i, f in enumerate(processors) if f is not None]
    if not fixes:
        return [get(r) for r in rows]
    out: list[Sequence[Any]] = []
    for r in rows:
        v = list(get(r))
        for i, f, seen in fixes:
            x = v[i]
            if x is None:
                continue
            k = tuple(x) if type(x) is list else x
            try:
                v[i] = seen[k]
            except KeyError:
                v[i] = seen[k] = f(x)
            except TypeError:  # not hashable
                v[i] = f(x)
        out.append(v)
    return out


@functools.lru_cache(maxsize=16)
def _sqlite_insert_sql(table: Any, columns: tuple[str, ...], key: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    return (f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}) '
            f'ON CONFLICT ("{key}") DO NOTHING')


@functools.lru_cache(maxsize=16)
def _pg_staging_sql(table: Any, columns: tuple[str, ...], key: str) -> tuple[str, str, str]:
    """The statements of :func:`_insert_new_pg`: create the staging table (once per
    session), COPY into it, and move its rows into ``table`` in their order."""
    stage = f"_stage_{table.name}"
    names = ", ".join(f'"{c}"' for c in columns)
    create = (f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
              f'SELECT 0::bigint AS ord, {names} FROM "{table.name}" WITH NO DATA')
    copy = f'COPY "{stage}" (ord, {names}) FROM STDIN'
    move = (f'WITH s AS (DELETE FROM "{stage}" RETURNING *) '
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM s ORDER BY ord '
            f'ON CONFLICT ("{key}") DO NOTHING')
    return create, copy, move


@contextmanager
def _raw(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]
         ) -> Iterator[tuple[Any, tuple[str, ...], list[Sequence[Any]]]]:
    """A DB-API cursor on ``conn``, ``rows``' columns and their database values (as the
    column types bind them); the cursor is closed afterwards."""
    columns = tuple(rows[0])
    values = _values(rows, columns, _bind_processors(table, columns, conn.dialect))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor, columns, values
    finally:
        cursor.close()


def _insert_new_pg(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]],
                   key: str) -> int:
    with _raw(conn, table, rows) as (cursor, columns, values):
        create, copy_sql, move = _pg_staging_sql(table, columns, key)
        cursor.execute(create)
        with cursor.copy(copy_sql) as copy:
            for i, row in enumerate(values):
                copy.write_row((i, *row))
        cursor.execute(move)
        return int(cursor.rowcount)


def insert_new(conn: Connection, table: Any, rows: list[Any], key: str) -> int:
    """Insert the rows whose unique ``key`` is not in ``table`` yet, in their order (new
    ids ascend as the rows do; of rows sharing a key the first is kept); returns how many.

    A row already stored under a key is left as it is: a message queued before keeps its
    idempotency key and everything else (so a retried email keeps its Message-ID).
    SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` as one executemany on the DB-API cursor,
    whose rowcount is the number of rows really inserted. PostgreSQL: the rows are copied
    (``COPY``) into a temporary staging table, then moved with one ``INSERT ... SELECT ...
    ORDER BY ... ON CONFLICT DO NOTHING``, whose rowcount is exact (no read of the
    existing keys first; a key a racing writer adds is skipped by the conflict clause).
    Values are bound as the column types bind them.
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        return _insert_new_pg(conn, table, rows, key)
    with _raw(conn, table, rows) as (cursor, columns, values):
        cursor.executemany(_sqlite_insert_sql(table, columns, key), values)
        return int(cursor.rowcount)


def insert_all(conn: Connection, table: Any, rows: list[Any]) -> None:
    """Insert every row, in order (no conflict to skip): ``COPY`` on PostgreSQL, an
    executemany on the DB-API cursor on SQLite; values bound by the column types."""
    if not rows:
        return
    with _raw(conn, table, rows) as (cursor, columns, values):
        names = ", ".join(f'"{c}"' for c in columns)
        if conn.dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                               values)


@contextmanager
def _committed(conn: Connection) -> Iterator[Connection]:
    """A transaction on ``conn``, committed at the end (rolled back on an error)."""
    with conn.begin():
        yield conn


def _move_cases(conn: Connection, escalations: list[Escalation], at: Any) -> set[int]:
    """Save status changes guarded by the version read with each case: one UPDATE ...
    WHERE (id, version) IN (...) RETURNING id per status and chunk. Returns the ids
    really moved; a case whose version changed since it was read is left alone."""
    by_status: dict[str, list[tuple[int, int]]] = {}
    for e in escalations:
        by_status.setdefault(e.status, []).append((e.case_id, e.version))
    moved: set[int] = set()
    for status, pairs in by_status.items():
        for i in range(0, len(pairs), _MOVE_CHUNK):
            chunk = pairs[i:i + _MOVE_CHUNK]
            # ``id IN`` lets SQLite use the primary key; a row-value IN alone scans the table
            stmt = (update(CA).where(CA.c.id.in_([c for c, _ in chunk]),
                                     tuple_(CA.c.id, CA.c.version).in_(chunk))
                    .values(status=status, version=CA.c.version + 1, updated_at=at)
                    .returning(CA.c.id))
            moved.update(conn.execute(stmt).scalars())
    return moved


def stale_tables(conn: Connection) -> list[str]:
    """The tables of :data:`_READ_TABLES` whose planner statistics are stale.

    PostgreSQL: never analyzed, or more rows changed since the last ANALYZE than
    autovacuum would wait for (the counters of ``pg_stat_user_tables``). SQLite: a table
    with rows and no statistics, or whose size (its highest rowid, a cheap proxy) is off
    the one recorded in ``sqlite_stat1`` by more than that share.
    """
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(_PG_STALE, {
            "t": list(_READ_TABLES), "share": _STALE_SHARE, "rows": _STALE_ROWS}).scalars())
    recorded: dict[str, int] = {}
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'sqlite_stat1'").first() is not None:
        for table, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
            n = int(str(stat).split()[0]) if stat else 0
            recorded[table] = max(recorded.get(table, 0), n)
    stale = []
    for table in _READ_TABLES:
        size = conn.exec_driver_sql(f'SELECT max(rowid) FROM "{table}"').scalar() or 0
        if table not in recorded:
            if size > _STALE_ROWS:
                stale.append(table)
        elif abs(size - recorded[table]) > _STALE_SHARE * recorded[table] + _STALE_ROWS:
            stale.append(table)
    return stale


class SqlPlanStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def prepare(self) -> None:
        """ANALYZE the tables the tick reads whose statistics are stale
        (:func:`stale_tables`): a portfolio just imported, or an outbox grown by the last
        ticks, would otherwise be read with plans made for tables a fraction of their
        size (or, on SQLite, with no statistics at all)."""
        with self.engine.connect() as conn:
            stale = stale_tables(conn)
        if not stale:
            return
        with self.engine.begin() as conn:  # writes only (see the module docs)
            for table in stale:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
        log.info("tick: statistics refreshed for %s", ", ".join(stale))

    def open_case_span(self) -> tuple[int, int] | None:
        with self.engine.connect() as conn:
            lo, hi = conn.execute(select(func.min(CA.c.id), func.max(CA.c.id)).where(
                CA.c.status.not_in(CLOSED_STATUSES))).one()
        return None if lo is None else (int(lo), int(hi))

    def stream_open_cases(self, *, batch_size: int, after_id: int = 0,
                          until_id: int | None = None, limit: int | None = None
                          ) -> Iterator[list[CaseBundle]]:
        return stream_open_cases(self.engine, batch_size=batch_size, after_id=after_id,
                                 until_id=until_id, limit=limit)

    def finish(self) -> None:
        """SQLite: copy the write-ahead log the tick grew into the database file (a passive
        checkpoint: it never waits for readers or writers). PostgreSQL: nothing to do."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(PASSIVE)")

    def write(self, batch: TickBatch, before_commit: Callable[[], None] | None = None
              ) -> TickBatchResult:
        if self.engine.dialect.name != "sqlite":
            return self._write(batch, before_commit)
        with self.engine.connect() as conn:
            # a connection setting (outside the transaction), put back for the pool's
            # next user of this connection
            driver = conn.connection.dbapi_connection
            assert driver is not None
            default = driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            driver.execute(f"PRAGMA wal_autocheckpoint={TICK_WAL_PAGES}")
            try:
                return self._write(batch, before_commit, conn)
            finally:
                driver.execute(f"PRAGMA wal_autocheckpoint={int(default)}")

    def _write(self, batch: TickBatch, before_commit: Callable[[], None] | None,
               connection: Connection | None = None) -> TickBatchResult:
        """:meth:`write` in one transaction (on ``connection`` when given)."""
        begin = self.engine.begin() if connection is None else _committed(connection)
        with begin as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(_PG_NO_FLUSH_WAIT)
            enqueued = insert_new(conn, MS, batch.outbox, "idempotency_key")
            moved: set[int] = set()
            decisions = list(batch.decisions)
            if batch.escalations:
                at = batch.escalations[0].work_item.created_at
                moved = _move_cases(conn, batch.escalations, at)
                done = [e for e in batch.escalations if e.case_id in moved]
                events = [{"case_id": e.case_id, "type": x.type, "payload": x.payload(),
                           "actor": x.actor, "at": x.at} for e in done for x in e.events]
                insert_all(conn, EV, events)
                insert_all(conn, WI, [work_item_values(e.work_item) for e in done])
                decisions += [e.decision for e in done]
            recorded = insert_new(conn, CD, decisions, "key")
            if before_commit is not None:
                before_commit()
        return TickBatchResult(enqueued, recorded, frozenset(moved))
