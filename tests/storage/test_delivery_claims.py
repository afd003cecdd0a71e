"""Workers claiming outbox rows: concurrent claimers on PostgreSQL never share a row and
skip locked rows instead of waiting; on SQLite a second worker refuses to start."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.domain.outbox import outbox_message
from bot.entrypoints.runners import RunnerError, SingletonLock, singleton
from bot.services.dispatch import LEASE
from storage.message_log import enqueue
from storage.models import MessageRow
from tests.world import claim_due

M = MessageRow.__table__  # type: ignore[attr-defined]


def queue(engine: Engine, clock: FixedClock, n: int) -> None:
    with engine.begin() as conn:
        enqueue(conn, [outbox_message(
            case_id=None, contact_point_id=None, channel="sms", address=f"+1415555{i:04d}",
            body="hello", subject=None, idempotency_key=f"k-{i}", now=clock.now(),
            purpose="confirmation") for i in range(n)])


@pytest.mark.postgres
def test_concurrent_claimers_never_get_the_same_row(pg_engine: Engine,
                                                    clock: FixedClock) -> None:
    queue(pg_engine, clock, 600)
    start = threading.Barrier(4)

    def claimer() -> list[int]:
        got: list[int] = []
        start.wait()
        while ids := claim_due(pg_engine, clock.now(), 7):
            got += ids
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: claimer(), range(4)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 600
    assert all(results), "every claimer got some rows"
    with pg_engine.connect() as conn:
        assert set(conn.execute(select(M.c.status)).scalars()) == {"sending"}


@pytest.mark.postgres
def test_a_locked_row_is_skipped_not_waited_for(pg_engine: Engine, clock: FixedClock) -> None:
    queue(pg_engine, clock, 10)
    with pg_engine.connect() as holder:
        holder.begin()
        held = list(holder.execute(select(M.c.id).order_by(M.c.id).limit(4)
                                   .with_for_update()).scalars())
        with ThreadPoolExecutor(1) as pool:  # another worker, while those are locked
            other = pool.submit(claim_due, pg_engine, clock.now(), 100).result(timeout=10)
        assert sorted(other) == sorted(set(range(1, 11)) - set(held))
        holder.rollback()
    # once released, the held rows are claimable; the others wait for their lease
    assert sorted(claim_due(pg_engine, clock.now(), 100)) == sorted(held)
    assert claim_due(pg_engine, clock.now() + LEASE + timedelta(seconds=1), 100) != []


def test_sqlite_allows_one_worker(sqlite_engine: Engine) -> None:
    with singleton(sqlite_engine, "worker", "worker"):
        with pytest.raises(RunnerError, match="another worker is already running"), \
                singleton(sqlite_engine, "worker", "worker"):
            pass
        other_role = SingletonLock(sqlite_engine, "scheduler")
        assert other_role.acquire()
        other_role.release()
    again = SingletonLock(sqlite_engine, "worker")
    assert again.acquire()
    again.release()


@pytest.mark.postgres
def test_postgres_allows_one_scheduler(pg_engine: Engine) -> None:
    first = SingletonLock(pg_engine, "scheduler")
    assert first.acquire()
    try:
        assert not SingletonLock(pg_engine, "scheduler").acquire()
    finally:
        first.release()
    second = SingletonLock(pg_engine, "scheduler")
    assert second.acquire()
    second.release()


@pytest.mark.parametrize("update_from", [True, False])
def test_outcomes_are_recorded_alike_with_or_without_update_from(
        engine: Engine, clock: FixedClock, update_from: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Outcomes go in one ``UPDATE ... FROM (VALUES ...)`` per shape (SQLite before
    3.33: an executemany of single-row updates); both write the same rows, several
    shapes and more rows than one statement takes."""
    import storage.delivery_store as delivery_store
    from bot.services.ports import DeliveryUpdate
    from storage.delivery_store import SqlDeliveryStore

    if engine.dialect.name == "postgresql" and not update_from:
        pytest.skip("PostgreSQL always has UPDATE ... FROM")
    monkeypatch.setattr(delivery_store, "_SQLITE_UPDATE_FROM", update_from)
    monkeypatch.setattr(delivery_store, "_VALUES_ROWS", 7)
    delivery_store._update_sql.cache_clear()
    queue(engine, clock, 30)
    now = clock.now()
    store = SqlDeliveryStore(engine)
    ids = store.claim(now, 30, now + LEASE)
    later = now + timedelta(hours=1)
    store.record(
        [DeliveryUpdate(i, "sent", provider_id=f"P-{i}", sent_at=now, set_next_attempt=True)
         for i in ids[:20]]
        + [DeliveryUpdate(i, "queued", error_code="451", error_reason="unavailable",
                          next_attempt_at=later, set_next_attempt=True) for i in ids[20:25]]
        + [DeliveryUpdate(i, "queued", error_reason="deferred", next_attempt_at=later,
                          set_next_attempt=True, release_attempt=True) for i in ids[25:]])
    delivery_store._update_sql.cache_clear()
    got = store.claimed(ids)
    assert [(got[i].status, got[i].provider_id, got[i].sent_at, got[i].next_attempt_at,
             got[i].attempts) for i in ids[:20]] == [("sent", f"P-{i}", now, None, 1)
                                                    for i in ids[:20]]
    assert {(got[i].status, got[i].error_code, got[i].error_reason, got[i].next_attempt_at,
             got[i].attempts) for i in ids[20:25]} == {
        ("queued", "451", "unavailable", later, 1)}
    assert {(got[i].status, got[i].error_reason, got[i].attempts) for i in ids[25:]} == {
        ("queued", "deferred", 0)}
