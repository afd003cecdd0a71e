"""The planning tick and the dispatch workers on the in-memory backend: the shipped
campaigns, the real policy and templates, the sandbox channels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.case import CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.work_items import WorkItemKind
from bot.services.case_upkeep import break_overdue_promises, update_days_past_due
from bot.services.planning import PlanningService
from tests.services.app import App, activate_campaigns, memory_app
from tests.world import local_today, make_case

PHONE, EMAIL = "+14155550123", "jordan@example.com"


@pytest.fixture
def app(clock: FixedClock) -> App:
    return memory_app(clock)


def planning(app: App) -> PlanningService:
    activate_campaigns(app.c)
    return app.c.planning()


async def test_a_tick_queues_each_due_step_once_and_workers_send_it(app: App) -> None:
    today = local_today(app.clock)
    app.add(make_case("DUE", 3, today, email=EMAIL),
            make_case("EARLY", -30, today, phone="+14155550111"),
            make_case("HELD", 3, today, phone="+14155550222", holds={Hold.DISPUTE: ""},
                      status=CaseStatus.DISPUTED))
    first = planning(app).tick()
    assert (first.cases, first.enqueued, first.errors) == (3, 1, 0)
    assert first.denied >= 1  # the disputed case
    again = planning(app).tick()  # queued already: the step is not due again
    assert again.enqueued == 0
    [sent] = await app.delivered()
    assert sent.address in (PHONE, EMAIL) and "Acme Bank" in sent.body
    assert await app.delivered() == []


async def test_a_long_overdue_case_goes_to_legal_review_once(app: App) -> None:
    app.add(make_case("OLD", 75, local_today(app.clock)))
    report = planning(app).tick()
    assert report.escalated == 1
    case = app.case("OLD")
    assert case.status is CaseStatus.LEGAL_REVIEW
    with app.c.uow() as uow:
        assert [i.kind for i in uow.work_items.open_items()] == [WorkItemKind.LEGAL_REVIEW]
    assert planning(app).tick().escalated == 0


async def test_an_opt_out_from_the_provider_is_recorded_and_not_sent_elsewhere(
        clock: FixedClock) -> None:
    # the sandbox answers like Twilio's 21610 (the customer texted STOP to the carrier)
    app = memory_app(clock, sandbox_rules={ChannelKind.SMS: {"opted_out": [PHONE]}})
    app.add(make_case("DUE", 3, local_today(clock)))
    planning(app).tick()
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.failed, stats.fallbacks) == (0, 1, 0)
    sms = app.case("DUE").contact(ChannelKind.SMS, PHONE)
    assert sms is not None and sms.opted_out_at is not None
    assert await app.delivered() == []


async def test_a_refused_address_falls_back_to_the_next_channel(clock: FixedClock) -> None:
    # first_notice prefers telegram, then email, then sms: the mailbox does not exist
    app = memory_app(clock, sandbox_rules={ChannelKind.EMAIL: {"rejects": [EMAIL]}})
    app.add(make_case("DUE", 3, local_today(clock), email=EMAIL))
    planning(app).tick()
    stats = await app.c.dispatcher.drain()
    assert (stats.failed, stats.fallbacks, stats.sent) == (1, 1, 1)
    assert [e.address for e in await app.delivered()] == [PHONE]
    email = app.case("DUE").contact(ChannelKind.EMAIL, EMAIL)
    assert email is not None and email.invalid_at is not None


async def test_promises_break_when_their_day_is_over_and_days_past_due_move(app: App) -> None:
    today = local_today(app.clock)
    case = make_case("P", 10, today)
    case.make_promise([(10_000, today)], app.clock.now(), "customer")
    app.add(case)
    later = app.clock.now() + timedelta(days=1)
    report = break_overdue_promises(app.c.maintenance, app.c.uow, later)
    assert (report.cases, report.promises) == (1, 1)
    assert update_days_past_due(app.c.maintenance, later) == 1
    assert app.case("P").days_past_due == 11
