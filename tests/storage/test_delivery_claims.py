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


def test_held_connections_write_each_group_in_one_committed_statement(
        engine: Engine, clock: FixedClock) -> None:
    """While a batch is out (``hold_connections``) a group of outcomes of one shape is
    one statement on a connection kept for the batch, committed at once (another
    connection sees it); mixed shapes still go in one transaction; the release gives
    every connection back to the pool."""
    from sqlalchemy import event

    from bot.services.ports import DeliveryUpdate
    from storage.delivery_store import SqlDeliveryStore

    queue(engine, clock, 12)
    now = clock.now()
    store = SqlDeliveryStore(engine)
    ids = store.claim(now, 12, now + LEASE)
    checkouts: list[int] = []
    event.listen(engine, "checkout", lambda *_: checkouts.append(1))
    store.hold_connections()
    store.hold_connections()  # nested: released by the outer call only
    for i in range(0, 8, 2):
        store.record([DeliveryUpdate(m, "sent", provider_id=f"P-{m}", sent_at=now,
                                     set_next_attempt=True) for m in ids[i:i + 2]])
        with engine.connect() as other:
            assert list(other.execute(select(M.c.status).where(
                M.c.id.in_(ids[i:i + 2])))) == [("sent",), ("sent",)]
    assert len(checkouts) == 1 + 4, "one held connection, plus the checks' own"
    later = now + timedelta(hours=1)
    store.record([DeliveryUpdate(ids[8], "sent", sent_at=now, set_next_attempt=True),
                  DeliveryUpdate(ids[9], "queued", error_reason="deferred",
                                 next_attempt_at=later, set_next_attempt=True,
                                 release_attempt=True)])
    store.release_connections()
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    store.release_connections()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    store.record([DeliveryUpdate(m, "failed", error_reason="rejected",
                                 set_next_attempt=True) for m in ids[10:]])
    got = store.claimed(ids)
    assert [got[m].status for m in ids] == ["sent"] * 9 + ["queued"] + ["failed"] * 2
    assert [got[m].provider_id for m in ids[:8]] == [f"P-{m}" for m in ids[:8]]
    assert (got[ids[9]].attempts, got[ids[9]].next_attempt_at) == (0, later)
    with engine.begin() as conn:  # the pool's connections are as it gave them
        conn.execute(M.update().where(M.c.id == ids[0]).values(status="parked"))
        conn.rollback()
    assert store.claimed([ids[0]])[ids[0]].status == "sent"


def test_claimed_reads_every_column_as_the_orm_types_do(engine: Engine,
                                                         clock: FixedClock) -> None:
    """``claimed`` reads on the DB-API cursor: each column comes back as SQLAlchemy's
    column types give it (aware datetimes, JSON lists, None)."""
    from storage.delivery_store import SqlDeliveryStore
    from storage.message_log import select_messages, stored_message

    now = clock.now()
    with engine.begin() as conn:
        enqueue(conn, [outbox_message(
            case_id=None, contact_point_id=None, channel="email", address="a@example.com",
            body="héllo 你好", subject="Subject", idempotency_key="k-full", now=now,
            purpose="dunning", template_id="t", lang="en", step_id="s",
            campaign_id="c", fallback_channels=["sms", "telegram"])])
    queue(engine, clock, 3)
    store = SqlDeliveryStore(engine)
    ids = store.claim(now, 10, now + LEASE)
    got = store.claimed(ids)
    with engine.connect() as conn:
        expected = {m.id: m for m in map(stored_message, conn.execute(
            select_messages().where(M.c.id.in_(ids))))}
    assert got == expected and len(got) == 4
    full = next(m for m in got.values() if m.idempotency_key == "k-full")
    assert full.fallback_channels == ("sms", "telegram")
    assert full.created_at == now and full.next_attempt_at == now + LEASE
    assert full.created_at.tzinfo is not None and full.sent_at is None
