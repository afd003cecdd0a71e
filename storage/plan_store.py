"""The planning tick's reads and writes in SQL (:class:`bot.services.ports.PlanStore`).

Reads stream open cases in batches (``storage/case_stream.py``). A batch's writes go in
one transaction that writes first: on SQLite a transaction that reads first cannot take
the write lock once another process has written (it fails instead of waiting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.services.ports import CaseBundle, Escalation, TickBatch, TickBatchResult
from storage.case_stream import CLOSED_STATUSES, stream_open_cases
from storage.models import CaseEventRow, CaseRow, ContactDecisionRow, MessageRow, WorkItemRow
from storage.work_queue import work_item_values

CA = CaseRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
WI = WorkItemRow.__table__  # type: ignore[attr-defined]
#: cases per guarded status update (two bound values each)
_MOVE_CHUNK = 400


def _unseen(conn: Connection, column: Any, rows: list[Any], key: str) -> list[Any]:
    """The rows whose ``key`` value is not in ``column`` yet (one indexed IN query),
    each key once."""
    if not rows:
        return []
    existing = set(conn.execute(select(column).where(column.in_([r[key] for r in rows])))
                   .scalars())
    fresh: dict[str, Any] = {}
    for r in rows:
        if r[key] not in existing:
            fresh.setdefault(r[key], r)
    return list(fresh.values())


def insert_new(conn: Connection, table: Any, rows: list[Any], key: str) -> int:
    """Insert the rows whose unique ``key`` is not in ``table`` yet; returns how many.

    SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` as one executemany, whose rowcount is
    the number of rows really inserted. psycopg reports -1 for an executemany, so on
    PostgreSQL the new keys are read first (one indexed IN query) and only those
    inserted; a key a racing writer adds in between is still skipped by the conflict
    clause (the count is then one too high, the rows are right). No RETURNING: it would
    turn the executemany into multi-row statements built per batch.
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        rows = _unseen(conn, table.c[key], rows, key)
        if rows:
            conn.execute(postgresql.insert(table).on_conflict_do_nothing(
                index_elements=[key]), rows)
        return len(rows)
    return int(conn.execute(sqlite.insert(table).on_conflict_do_nothing(
        index_elements=[key]), rows).rowcount)


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


class SqlPlanStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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

    def write(self, batch: TickBatch, before_commit: Callable[[], None] | None = None
              ) -> TickBatchResult:
        with self.engine.begin() as conn:
            enqueued = insert_new(conn, MS, batch.outbox, "idempotency_key")
            moved: set[int] = set()
            decisions = list(batch.decisions)
            if batch.escalations:
                at = batch.escalations[0].work_item.created_at
                moved = _move_cases(conn, batch.escalations, at)
                done = [e for e in batch.escalations if e.case_id in moved]
                events = [{"case_id": e.case_id, "type": x.type, "payload": x.payload(),
                           "actor": x.actor, "at": x.at} for e in done for x in e.events]
                if events:
                    conn.execute(insert(EV), events)
                if done:
                    conn.execute(insert(WI), [work_item_values(e.work_item) for e in done])
                decisions += [e.decision for e in done]
            recorded = insert_new(conn, CD, decisions, "key")
            if before_commit is not None:
                before_commit()
        return TickBatchResult(enqueued, recorded, frozenset(moved))
