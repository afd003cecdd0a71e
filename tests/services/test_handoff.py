"""Collectors' use cases on the in-memory backend: take, reply, release, record outcomes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.conversations.dialog import Conversation, State
from bot.domain.case import LEGAL_QUEUE, CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.work_items import WorkItemKind, work_item
from bot.services import handoff
from tests.services.app import App, memory_app
from tests.world import local_today, make_case


@pytest.fixture
def app(clock: FixedClock) -> App:
    application = memory_app(clock)
    application.add(make_case("ACC-1", 10, local_today(clock), email="jordan@example.com"))
    return application


async def test_take_reply_release(app: App) -> None:
    with app.c.uow() as uow, pytest.raises(handoff.HandoffError, match="take the conversation"):
        handoff.reply(uow, "ACC-1", "ann", "Hello")
    with app.c.uow() as uow:
        handoff.take(uow, "ACC-1", "ann")
    with app.c.uow() as uow, pytest.raises(handoff.HandoffError, match="held by ann"):
        handoff.reply(uow, "ACC-1", "bob", "Hello")
    await app.say("ACC-1", "hi, I want to talk", ChannelKind.EMAIL)
    with app.c.uow() as uow:
        mid = handoff.reply(uow, "ACC-1", "ann", "  Hello Jordan, Ann here.  ")
        message = uow.messages.get(mid)
    # the collector answers where the customer last wrote
    assert message is not None and (message.channel, message.body, message.purpose) == (
        "email", "Hello Jordan, Ann here.", "collector")
    [sent] = await app.delivered()
    assert sent.body == "Hello Jordan, Ann here."
    case = app.case("ACC-1")
    with app.c.uow() as uow:
        uow.conversations.save(case.id or 0, Conversation(State.LOCKED, verify_failures=3),
                               app.clock.now())
        uow.commit()
    with app.c.uow() as uow:
        handoff.release(uow, "ACC-1", "ann")
    with app.c.uow() as uow:
        conversation = uow.conversations.get(case.id or 0)
    assert conversation is not None and conversation.state is State.IDLE
    assert app.case("ACC-1").held_by is None


def test_an_empty_reply_and_an_unknown_case_are_refused(app: App) -> None:
    with app.c.uow() as uow, pytest.raises(handoff.HandoffError, match="empty"):
        handoff.reply(uow, "ACC-1", "ann", "   ")
    with app.c.uow() as uow, pytest.raises(handoff.NotFound):
        handoff.take(uow, "NOPE", "ann")


def test_taking_a_case_from_the_legal_review_queue(app: App) -> None:
    with app.c.uow() as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None
        case.take_over(LEGAL_QUEUE, app.clock.now())
        uow.commit()
    with app.c.uow() as uow:
        handoff.take(uow, "ACC-1", "ann")
    assert app.case("ACC-1").held_by == "ann"


def test_the_queue_and_closing_items(app: App) -> None:
    case = app.case("ACC-1")
    with app.c.uow() as uow:
        low = uow.work_items.add(work_item(WorkItemKind.PAYMENT_CLAIM, app.clock.now(),
                                           case_id=case.id))
        high = uow.work_items.add(work_item(WorkItemKind.DISPUTE, app.clock.now(),
                                            case_id=case.id))
        uow.commit()
    with app.c.uow() as uow:
        assert [i.id for i in handoff.queue(uow)] == [high, low]
    with app.c.uow() as uow:
        handoff.close_item(uow, high, "ann")
    with app.c.uow() as uow:
        assert [i.id for i in handoff.queue(uow)] == [low]
        with pytest.raises(handoff.NotFound):
            handoff.close_item(uow, 10**9, "ann")


def test_promises_plans_and_disputes_follow_the_policy(app: App) -> None:
    today = local_today(app.clock)
    profile = app.c.profile
    with app.c.uow() as uow, pytest.raises(handoff.HandoffError, match="out of policy"):
        handoff.record_promise(uow, "ACC-1", "ann", profile,
                               [(Decimal("50.00"), today - timedelta(days=1))])
    with app.c.uow() as uow, pytest.raises(handoff.HandoffError, match="at least 2"):
        handoff.record_plan(uow, "ACC-1", "ann", profile, 1, today)
    with app.c.uow() as uow:
        handoff.record_plan(uow, "ACC-1", "ann", profile, 3, today + timedelta(days=3))
    case = app.case("ACC-1")
    assert case.status is CaseStatus.PROMISED and len(case.promises) == 3
    assert sum(p.amount_minor or 0 for p in case.promises) == case.balance_minor
    with app.c.uow() as uow:
        handoff.record_dispute(uow, "ACC-1", "ann", "says the fee is wrong")
    assert Hold.DISPUTE in app.case("ACC-1").holds
    with app.c.uow() as uow:
        handoff.resolve_dispute(uow, "ACC-1", "sue", "verified")
    assert Hold.DISPUTE not in app.case("ACC-1").holds
