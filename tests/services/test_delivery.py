"""Crash-safe delivery on the in-memory backend: each outcome is recorded as its send
returns, a crash repeats at most the messages in flight, the lease is renewed while a
slow batch is out (and lost claims are not sent), a stopping worker gives back what it
has not sent."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest

from bot.domain.clock import Clock, FixedClock, SystemClock
from bot.domain.messages import ChannelKind, DeliveryResult, InboundEvent, OutboundMessage
from bot.domain.outbox import outbox_message
from bot.policy.profiles import get_profile
from bot.services.dispatch import Dispatcher
from bot.services.ports import Channel
from storage.memory.backend import MemoryBackend


class Phone(Channel):
    """An SMS provider that accepts everything; ``gate`` (when set) makes each send wait
    for it, ``holds[n]`` the n-th send (from 1), ``delay`` makes each send take that
    long."""

    kind: ClassVar[ChannelKind] = ChannelKind.SMS
    name: ClassVar[str] = "phone"
    max_body_len: ClassVar[int] = 1600

    def __init__(self, *, delay: float = 0.0, rate: float = 10_000.0) -> None:
        self.delay = delay
        self.rate_per_sec = rate
        self.accepted: list[str] = []
        self.gate: asyncio.Event | None = None
        self.holds: dict[int, asyncio.Event] = {}
        self.entered = 0

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        self.entered += 1
        hold = self.holds.get(self.entered)
        if hold is not None:
            await hold.wait()
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        self.accepted.append(outbound.idempotency_key)
        return DeliveryResult.accepted(f"P-{outbound.idempotency_key}")

    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        return []


def queue(backend: MemoryBackend, now: datetime, n: int) -> list[int]:
    """``n`` due confirmations (no case: nothing for the policy to stop)."""
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([outbox_message(
            case_id=None, contact_point_id=None, channel="sms", address=f"+1415555{i:04d}",
            body="hello", subject=None, idempotency_key=f"k-{i}", now=now,
            purpose="confirmation") for i in range(n)])
        uow.commit()
    return ids


def dispatcher(backend: MemoryBackend, clock: Clock, phone: Phone, **kw: Any) -> Dispatcher:
    return Dispatcher(backend.uow, backend.delivery_store, clock, {ChannelKind.SMS: phone},
                      get_profile("US-RegF"), **kw)


def statuses(backend: MemoryBackend, ids: list[int]) -> Counter[str]:
    got = backend.delivery_store.claimed(ids)
    return Counter(m.status for m in got.values())


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(poll(), timeout)


async def test_each_outcome_is_recorded_as_its_send_returns(clock: FixedClock) -> None:
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 5)
    phone = Phone()
    fourth = phone.holds[4] = asyncio.Event()
    d = dispatcher(backend, clock, phone, concurrency=1)
    seen: list[tuple[str, str]] = []
    d.listeners.append(lambda channel, outcome: seen.append((channel, outcome)))

    sent_before: list[Counter[str]] = []

    async def hold_the_fourth() -> None:
        await wait_until(lambda: phone.entered == 4)
        # three sends have returned: their outcomes are in the store already
        sent_before.append(statuses(backend, ids))
        fourth.set()

    watcher = asyncio.create_task(hold_the_fourth())
    stats = await d.run_once(limit=10)
    await watcher
    assert sent_before == [Counter(sent=3, sending=2)]
    assert stats.sent == 5 and statuses(backend, ids) == Counter(sent=5)
    assert seen == [("sms", "sent")] * 5
    got = backend.delivery_store.claimed(ids)
    assert {m.provider_id for m in got.values()} == {f"P-k-{i}" for i in range(5)}


class Mortal:
    """A worker's way to the store, cut at once when the worker "dies" (kill -9): what
    it had not written by then is never written."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.dead = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)
        if not callable(method):
            return method

        def call(*args: Any) -> Any:
            if self.dead:
                raise RuntimeError("the worker is dead")
            return method(*args)
        return call


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_a_crash_repeats_at_most_the_messages_in_flight(concurrency: int) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 15, 0).astimezone())
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 60)
    phone = Phone(delay=0.002)
    crashes = 0
    for stop_after in (7, 19, 33, 41):  # "kill -9" the worker after that many sends
        store = Mortal(backend.delivery_store)
        d = Dispatcher(backend.uow, store, clock, {ChannelKind.SMS: phone},  # type: ignore[arg-type]
                       get_profile("US-RegF"), concurrency=concurrency)
        task = asyncio.create_task(d.drain(limit=25))
        await wait_until(lambda n=stop_after: len(phone.accepted) >= n)  # type: ignore[misc]
        store.dead = True
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        crashes += 1
        clock.advance(d.lease + timedelta(seconds=1))  # its leases run out
    await dispatcher(backend, clock, phone, concurrency=concurrency).drain(limit=25)
    counts = Counter(phone.accepted)
    assert set(counts) == {f"k-{i}" for i in range(60)}, "nothing lost"
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= crashes * concurrency
    assert statuses(backend, ids) == Counter(sent=60)


async def test_the_lease_is_renewed_while_a_slow_batch_is_out() -> None:
    clock = SystemClock()
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 6)
    phone = Phone(delay=0.15)
    d = dispatcher(backend, clock, phone, concurrency=1, lease=timedelta(seconds=0.3))
    stolen: list[int] = []

    async def other_worker() -> None:
        while len(phone.accepted) < 6:
            now = clock.now()
            stolen.extend(backend.delivery_store.claim(now, 10, now + timedelta(minutes=1)))
            await asyncio.sleep(0.02)

    thief = asyncio.create_task(other_worker())
    stats = await d.run_once(limit=10)  # 0.9 s of sending under a 0.3 s lease
    await thief
    assert stolen == [] and stats.sent == 6
    assert Counter(phone.accepted) == Counter({f"k-{i}": 1 for i in range(6)})
    assert statuses(backend, ids) == Counter(sent=6)


async def test_a_claim_lost_to_another_worker_is_not_sent_here() -> None:
    clock = SystemClock()
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 5)
    phone = Phone(delay=0.1)
    d = dispatcher(backend, clock, phone, concurrency=1, lease=timedelta(seconds=0.15))
    real_renew = backend.delivery_store.renew
    # the worker stalled past its lease: another one has claimed its messages since
    backend.delivery_store.renew = lambda claims, until: []  # type: ignore[method-assign]
    stats = await d.run_once(limit=10)
    backend.delivery_store.renew = real_renew  # type: ignore[method-assign]
    assert 1 <= stats.sent < 5 and len(phone.accepted) == stats.sent
    assert stats.released == 0  # not ours to give back
    assert statuses(backend, ids) == Counter(sent=stats.sent, sending=5 - stats.sent)


async def test_a_stopping_worker_gives_back_what_it_has_not_sent(clock: FixedClock) -> None:
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 10)
    phone = Phone()
    phone.gate = asyncio.Event()
    d = dispatcher(backend, clock, phone, concurrency=2)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_once(limit=10, stop=stop))
    await wait_until(lambda: phone.entered == 2)
    stop.set()
    phone.gate.set()
    stats = await task
    assert (stats.sent, stats.released) == (2, 8)
    got = backend.delivery_store.claimed(ids)
    assert statuses(backend, ids) == Counter(sent=2, queued=8)
    given_back = [m for m in got.values() if m.status == "queued"]
    assert all(m.attempts == 0 and m.next_attempt_at == clock.now() for m in given_back)
    # due at once for the next worker
    assert sorted(backend.delivery_store.claim(clock.now(), 20, clock.now())) == sorted(
        m.id for m in given_back)


def test_the_worker_settings_are_checked() -> None:
    backend = MemoryBackend(FixedClock(datetime(2026, 12, 1).astimezone()))
    with pytest.raises(ValueError, match="concurrency"):
        dispatcher(backend, SystemClock(), Phone(), concurrency=0)
    with pytest.raises(ValueError, match="lease"):
        dispatcher(backend, SystemClock(), Phone(), lease=timedelta(0))


async def test_a_limiter_shared_elsewhere_can_pace_a_channel(clock: FixedClock) -> None:
    """A deployment-wide rate (one limiter for every worker) fits where the per-process
    token bucket is."""

    class Counting:
        def __init__(self) -> None:
            self.acquired = 0

        async def acquire(self) -> None:
            self.acquired += 1

    backend = MemoryBackend(clock)
    queue(backend, clock.now(), 4)
    shared = Counting()
    phone = Phone(rate=0.001)  # its own bucket would take 1000 s per message
    d = dispatcher(backend, clock, phone, limiters={ChannelKind.SMS: shared})
    assert (await asyncio.wait_for(d.drain(), 5)).sent == 4 and shared.acquired == 4


async def test_one_address_hears_its_messages_in_queue_order(clock: FixedClock) -> None:
    backend = MemoryBackend(clock)
    with backend.uow() as uow:
        uow.outbox.enqueue([outbox_message(
            case_id=None, contact_point_id=None, channel="sms", address=address,
            body="hello", subject=None, idempotency_key=key, now=clock.now(),
            purpose="confirmation")
            for key, address in [("first", "+14155550001"), ("other", "+14155550002"),
                                 ("second", "+14155550001")]])
        uow.commit()
    phone = Phone()
    first = phone.holds[1] = asyncio.Event()
    d = dispatcher(backend, clock, phone, concurrency=8)

    async def release_the_first() -> None:
        # the other address is not held up by the first one's slow send
        try:
            await wait_until(lambda: "other" in phone.accepted)
            await asyncio.sleep(0.05)  # room for "second" to overtake, were it sent now
        finally:
            first.set()

    releaser = asyncio.create_task(release_the_first())
    stats = await asyncio.wait_for(d.run_once(limit=10), 10)
    await releaser
    assert stats.sent == 3
    assert phone.accepted == ["other", "first", "second"]


class Counting:
    """The store, noting each ``record`` (how many outcomes it wrote) and, when the
    phone is given, the most messages ever sent but not recorded."""

    def __init__(self, store: Any, phone: Phone) -> None:
        self.store = store
        self.phone = phone
        self.groups: list[int] = []
        self.recorded = 0
        self.most_unrecorded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def record(self, updates: Any, decisions: Any = ()) -> None:
        self.most_unrecorded = max(self.most_unrecorded,
                                   len(self.phone.accepted) - self.recorded)
        self.store.record(updates, decisions)
        self.groups.append(len(updates))
        self.recorded += len(updates)


async def test_outcomes_are_committed_in_groups_of_at_most_the_concurrency(
        clock: FixedClock) -> None:
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 60)
    phone = Phone(delay=0.002)
    store = Counting(backend.delivery_store, phone)
    d = Dispatcher(backend.uow, store, clock, {ChannelKind.SMS: phone},  # type: ignore[arg-type]
                   get_profile("US-RegF"), concurrency=8)
    stats = await d.run_once(limit=60)
    assert stats.sent == 60 and statuses(backend, ids) == Counter(sent=60)
    assert sum(store.groups) == 60 and len(store.groups) < 60 / 2
    assert max(store.groups) <= 8 and store.most_unrecorded <= 8


async def test_an_outcome_waits_for_company_at_most_the_linger(clock: FixedClock) -> None:
    """Seven senders are held by a slow channel: the eighth's outcome is committed after
    OUTCOME_LINGER all the same."""
    from bot.services.dispatch import OUTCOME_LINGER

    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 8)
    phone = Phone()
    first, gate = asyncio.Event(), asyncio.Event()
    phone.holds[1] = first
    for n in range(2, 9):
        phone.holds[n] = gate
    d = dispatcher(backend, clock, phone, concurrency=8)
    task = asyncio.create_task(d.run_once(limit=8))
    await wait_until(lambda: phone.entered == 8)
    first.set()
    await wait_until(lambda: len(phone.accepted) == 1)
    assert statuses(backend, ids) == Counter(sending=8)  # not alone yet
    await asyncio.sleep(OUTCOME_LINGER * 2)
    assert statuses(backend, ids) == Counter(sending=7, sent=1)
    gate.set()
    assert (await task).sent == 8 and statuses(backend, ids) == Counter(sent=8)


async def test_a_stopping_worker_gives_back_the_batch_it_claimed_ahead(
        clock: FixedClock) -> None:
    backend = MemoryBackend(clock)
    ids = queue(backend, clock.now(), 8)
    phone = Phone()
    fourth = phone.holds[4] = asyncio.Event()
    d = dispatcher(backend, clock, phone, concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, limit=4))
    # three quarters of the first batch handed over: the next four are claimed ahead
    await wait_until(lambda: phone.entered == 4 and statuses(backend, ids)["sending"] == 5)
    stop.set()
    fourth.set()
    await asyncio.wait_for(task, 5)
    assert phone.accepted == [f"k-{i}" for i in range(4)]
    got = backend.delivery_store.claimed(ids)
    assert statuses(backend, ids) == Counter(sent=4, queued=4)
    assert all(m.attempts == 0 and m.next_attempt_at == clock.now()
               for m in got.values() if m.status == "queued")


async def test_one_address_hears_its_messages_in_queue_order_across_batches(
        clock: FixedClock) -> None:
    """The next batch is claimed while the current one goes out, and sent after it."""
    backend = MemoryBackend(clock)
    with backend.uow() as uow:
        uow.outbox.enqueue([outbox_message(
            case_id=None, contact_point_id=None, channel="sms", address="+14155550001",
            body="hello", subject=None, idempotency_key=f"m-{i}", now=clock.now(),
            purpose="confirmation") for i in range(6)])
        uow.commit()
    phone = Phone(delay=0.01)
    stats = await dispatcher(backend, clock, phone, concurrency=8).drain(limit=2)
    assert stats.sent == 6 and phone.accepted == [f"m-{i}" for i in range(6)]
