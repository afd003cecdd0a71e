"""The shared send-rate buckets (``RateBuckets``), the same contract in memory, on SQLite
and on PostgreSQL: slots one interval apart, a burst after a pause and no more, buckets
independent by key, and no slot ever given twice when many take at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.services.ports import RateBuckets
from storage.memory.rate_buckets import MemoryRateBuckets
from storage.rate_buckets import SqlRateBuckets

T0 = 1_800_000_000.0  # seconds since the epoch
KEY = "twilio:+15005550006"


@pytest.fixture(params=["memory", "sqlite",
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def buckets(request: pytest.FixtureRequest) -> Iterator[RateBuckets]:
    if request.param == "memory":
        yield MemoryRateBuckets()
    else:
        engine: Engine = request.getfixturevalue(
            "sqlite_engine" if request.param == "sqlite" else "pg_engine")
        yield SqlRateBuckets(engine)


def approx(values: float | list[float]) -> object:
    """Seconds to a few microseconds (epoch times as doubles hold about that much)."""
    return pytest.approx(values, abs=1e-5)


def test_slots_come_one_interval_apart(buckets: RateBuckets) -> None:
    waits = [buckets.take(KEY, 0.1, 1, T0) for _ in range(5)]
    assert waits == approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # later callers see the queue drain as time passes
    assert buckets.take(KEY, 0.1, 1, T0 + 0.25) == approx(0.25)


def test_a_burst_after_a_pause_and_no_more(buckets: RateBuckets) -> None:
    assert [buckets.take(KEY, 0.5, 3, T0) for _ in range(4)] == approx(
        [0.0, 0.0, 0.0, 0.5])
    # a long pause fills the bucket to its burst, never beyond
    later = T0 + 3600
    assert [buckets.take(KEY, 0.5, 3, later) for _ in range(5)] == approx(
        [0.0, 0.0, 0.0, 0.5, 1.0])


def test_buckets_are_independent_by_key(buckets: RateBuckets) -> None:
    assert buckets.take(KEY, 1.0, 1, T0) == 0
    assert buckets.take("twilio:MG" + "0" * 32, 1.0, 1, T0) == 0
    assert buckets.take(KEY, 1.0, 1, T0) == approx(1.0)


def test_a_bad_rate_is_refused(buckets: RateBuckets) -> None:
    with pytest.raises(ValueError):
        buckets.take(KEY, 0.0, 1, T0)
    with pytest.raises(ValueError):
        buckets.take(KEY, 0.1, 0, T0)


def test_many_takers_at_the_same_instant_never_share_a_slot(buckets: RateBuckets) -> None:
    """24 threads (as many connections) take at once: every slot is given exactly once,
    whoever created the bucket."""
    takers = 24
    start = threading.Barrier(takers)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        start.wait()
        wait = buckets.take(KEY, 0.05, 1, T0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(waits) == approx([n * 0.05 for n in range(takers)])
