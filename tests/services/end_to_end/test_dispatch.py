"""Dispatch of planned messages through the sandbox channel: fallback on a permanent
failure, no retry after an opt-out, retries with capped exponential backoff, and the
policy checked again at send time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    FailureReason,
    OutboundMessage,
)
from bot.domain.outbox import outbox_message
from bot.services.dispatch import Dispatcher
from bot.services.outbound import fallback_message
from bot.services.ports import Direction
from channels.sandbox import SandboxSmsChannel
from storage.memory.sandbox import MemorySandboxStore
from storage.message_log import enqueue
from storage.models import ContactDecisionRow
from storage.uow import SqlUnitOfWork
from tests.world import (
    container_for,
    count,
    local_today,
    make_case,
    outbox,
    planning_for,
    sandbox_channels,
    seed,
)

PHONE, EMAIL = "+14155550123", "jordan@example.com"


def delivered(store: Any, channel: ChannelKind) -> list[str]:
    return [e.address for e in store.list() if e.direction is Direction.OUT
            and e.channel is channel]


async def test_a_permanent_failure_falls_back_to_the_next_channel(engine: Engine,
                                                                  clock: FixedClock) -> None:
    seed(engine, clock, make_case("ACC-1", 1, local_today(clock), email=EMAIL))
    c = container_for(engine, clock, email={"rejects": [EMAIL]})
    planning = planning_for(c)
    planning.tick()  # first_notice: telegram (none), email, sms
    stats = await c.dispatcher.drain()
    assert (stats.sent, stats.failed, stats.fallbacks) == (1, 1, 1)
    rows = {r["channel"]: r for r in outbox(engine)}
    assert (rows["email"]["status"], rows["email"]["error_reason"]) == ("failed",
                                                                       "invalid_address")
    assert rows["sms"]["status"] == "sent" and rows["sms"]["step_id"] == "first_notice"
    assert rows["sms"]["idempotency_key"] == rows["email"]["idempotency_key"] + ">sms"
    store = c.channels[ChannelKind.SMS].store  # type: ignore[attr-defined]
    assert delivered(store, ChannelKind.SMS) == [PHONE]
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None
        email = case.contact(ChannelKind.EMAIL, EMAIL)
        assert email is not None and email.invalid_at is not None
    clock.advance(timedelta(hours=2))
    assert planning.tick().enqueued == 0  # the step went out (on SMS)


async def test_an_opt_out_is_never_retried_nor_sent_elsewhere(engine: Engine,
                                                              clock: FixedClock) -> None:
    seed(engine, clock, make_case("ACC-2", 1, local_today(clock), email=EMAIL))
    c = container_for(engine, clock, email={"opted_out": [EMAIL]})
    planning_for(c).tick()
    stats = await c.dispatcher.drain()
    assert (stats.sent, stats.failed, stats.retried, stats.fallbacks) == (0, 1, 0, 0)
    [row] = outbox(engine)
    assert (row["status"], row["error_reason"], row["attempts"]) == ("failed", "opted_out", 1)
    clock.advance(timedelta(hours=3))
    assert (await c.dispatcher.drain()).claimed == 0
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-2")
        assert case is not None
        email = case.contact(ChannelKind.EMAIL, EMAIL)
        assert email is not None and email.opted_out_at == clock.now() - timedelta(hours=3)


class Flaky(SandboxSmsChannel):
    """An SMS sandbox whose provider is down for the first ``failures`` sends."""

    def __init__(self, *args: Any, failures: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.failures = failures
        self.calls = 0

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        self.calls += 1
        if self.calls <= self.failures:
            return DeliveryResult.transient(FailureReason.UNAVAILABLE, code="503")
        return await super().send(outbound)


def flaky_dispatcher(engine: Engine, clock: FixedClock, failures: int) -> tuple[Dispatcher,
                                                                                 Flaky, Any]:
    store = MemorySandboxStore()
    channels: dict[ChannelKind, Any] = dict(sandbox_channels(clock, store))
    flaky = Flaky(ChannelKind.SMS, store, clock=clock, failures=failures)
    channels[ChannelKind.SMS] = flaky
    c = container_for(engine, clock)
    dispatcher = Dispatcher(
        c.uow, c.delivery_store, clock, channels, c.profile,
        fallback=lambda case, message, kind, remaining: fallback_message(
            c.renderer, c.brand, case, message, kind, remaining, clock.now()),
        max_attempts=4, base_backoff=timedelta(seconds=30), max_backoff=timedelta(minutes=1))
    return dispatcher, flaky, store


def queue_sms(engine: Engine, clock: FixedClock) -> None:
    [case] = seed(engine, clock, make_case("ACC-3", 3, local_today(clock), email=EMAIL))
    with engine.begin() as conn:
        enqueue(conn, [outbox_message(
            case_id=case.id, contact_point_id=case.contacts[0].id, channel="sms",
            address=PHONE, body="Hi Jordan, please call us.", subject=None,
            idempotency_key="k-1", now=clock.now(), purpose="dunning",
            template_id="reminder", lang="en", step_id="reminder",
            campaign_id="standard-retail-us", fallback_channels=["email"])])


async def test_transient_failures_back_off_exponentially_up_to_a_cap(engine: Engine,
                                                                     clock: FixedClock) -> None:
    queue_sms(engine, clock)
    dispatcher, _, store = flaky_dispatcher(engine, clock, failures=2)
    waits = []
    for _ in range(2):
        stats = await dispatcher.drain()
        assert stats.retried == 1
        [row] = outbox(engine)
        assert row["status"] == "queued"
        waits.append(row["next_attempt_at"] - clock.now())
        assert (await dispatcher.drain()).claimed == 0  # not before its time
        clock.advance(waits[-1])
    assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
    assert (await dispatcher.drain()).sent == 1
    [row] = outbox(engine)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert delivered(store, ChannelKind.SMS) == [PHONE]


async def test_after_the_last_attempt_the_next_channel_takes_over(engine: Engine,
                                                                  clock: FixedClock) -> None:
    queue_sms(engine, clock)
    dispatcher, flaky, store = flaky_dispatcher(engine, clock, failures=10)
    waits = []
    for _ in range(3):
        assert (await dispatcher.drain()).retried == 1
        [row] = outbox(engine)
        waits.append(row["next_attempt_at"] - clock.now())
        clock.advance(waits[-1])
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=60)]
    stats = await dispatcher.drain()  # the fourth and last attempt fails too
    assert (stats.failed, stats.fallbacks, stats.sent) == (1, 1, 1)
    rows = {r["channel"]: r for r in outbox(engine)}
    assert (rows["sms"]["status"], rows["sms"]["attempts"]) == ("failed", 4)
    assert rows["email"]["status"] == "sent" and rows["email"]["template_id"] == "reminder"
    assert flaky.calls == 4 and delivered(store, ChannelKind.EMAIL) == [EMAIL]


async def test_the_policy_is_checked_again_at_send_time(engine: Engine,
                                                        clock: FixedClock) -> None:
    today = local_today(clock)
    seed(engine, clock, make_case("ACC-4", 1, today), make_case("ACC-5", 1, today,
                                                                 phone="+14155550125"))
    c = container_for(engine, clock)
    planning_for(c).tick()
    with SqlUnitOfWork(engine, clock) as uow:  # a cease request arrives before sending
        case = uow.cases.get("ACC-4")
        assert case is not None
        case.place_hold(Hold.CEASE, clock.now(), "customer", "stop")
        uow.commit()
    clock.advance(timedelta(hours=12))  # 22:00 in New York: ACC-5 must wait for morning
    stats = await c.dispatcher.drain()
    assert (stats.sent, stats.suppressed, stats.deferred) == (0, 1, 1)
    rows = {r["address"]: r for r in outbox(engine)}
    assert rows[PHONE]["status"] == "suppressed"
    waiting = rows["+14155550125"]
    assert waiting["status"] == "queued"
    assert waiting["next_attempt_at"].isoformat() == "2026-12-02T13:00:00+00:00"  # 08:00 NY
    assert count(engine, ContactDecisionRow, ContactDecisionRow.__table__.c.allowed.is_(False)
                 ) == 2
    clock.set(waiting["next_attempt_at"])
    assert (await c.dispatcher.drain()).sent == 1
