"""SQLite: the tick's commits leave the write-ahead log to grow (one checkpoint every
few dozen batches, not one per batch) and the tick ends by checkpointing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.services.ports import TickBatch
from storage.backend import SqlBackend
from storage.plan_store import TICK_WAL_PAGES
from tests.storage.contract.test_unit_of_work import add, outbox
from tests.world import local_today, make_case


def _autocheckpoints(engine: Engine) -> set[int]:
    """``wal_autocheckpoint`` of every connection the pool holds (opened at once)."""
    conns = [engine.connect() for _ in range(3)]
    try:
        return {c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() for c in conns}
    finally:
        for c in conns:
            c.close()


def _wal_frames(engine: Engine) -> tuple[int, int]:
    """(frames in the log, frames of it checkpointed), by a passive checkpoint."""
    with engine.connect() as conn:
        _busy, log, done = conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log, done


def test_a_tick_batch_is_not_checkpointed_at_commit_and_finish_checkpoints(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    backend = SqlBackend(sqlite_engine, clock)
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with sqlite_engine.connect() as conn:  # start from an empty log
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(TRUNCATE)")
    assert _autocheckpoints(sqlite_engine) == {1000}
    store: Any = backend.plan_store
    # about 2,500 pages: more than SQLite's default checkpoint threshold (1,000 pages),
    # which would have copied the log into the file at this commit
    rows = [outbox(case, f"k-{i}", clock, body="x" * 3000) for i in range(3000)]
    assert store.write(TickBatch(outbox=rows)).enqueued == 3000
    before = _file_pages(sqlite_engine)
    # the rows are in the log, not yet in the database file
    assert 1000 < _wal_frames_written(sqlite_engine) < TICK_WAL_PAGES
    assert _file_pages(sqlite_engine) == before
    assert _autocheckpoints(sqlite_engine) == {1000}  # the pool's connections as they were
    store.finish()
    assert _file_pages(sqlite_engine) > before + 1000  # copied into the file
    log, done = _wal_frames(sqlite_engine)
    assert log == done  # nothing left to copy


def _wal_frames_written(engine: Engine) -> int:
    """Frames in the log since it was last emptied (the log file's size)."""
    return (Path(f"{engine.url.database}-wal").stat().st_size - 32) // (4096 + 24)


def _file_pages(engine: Engine) -> int:
    """Pages in the database file itself (what checkpoints copied there)."""
    return Path(str(engine.url.database)).stat().st_size // 4096


def test_postgresql_tick_commits_skip_the_flush_wait_only_for_the_batch(
        pg_engine: Engine, clock: FixedClock) -> None:
    backend = SqlBackend(pg_engine, clock)
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    store: Any = backend.plan_store
    assert store.write(TickBatch(outbox=[outbox(case, "k-1", clock)])).enqueued == 1
    conns = [pg_engine.connect() for _ in range(3)]
    try:  # the pool's connections keep the server's setting
        assert {c.exec_driver_sql("SHOW synchronous_commit").scalar_one()
                for c in conns} == {"on"}
    finally:
        for c in conns:
            c.close()
    store.finish()  # nothing to do on PostgreSQL
    with backend.uow() as uow:
        assert [m.idempotency_key for m in uow.messages.for_case(case.id or 0)] == ["k-1"]
