"""The inbound use cases (customer messages, signals, receipts) on the in-memory backend:
no database, the sandbox channels, the real parser, dialog and templates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.case import CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import (
    ANSWERED_BY_PROVIDER,
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    ReceiptStatus,
    SignalKind,
)
from bot.domain.work_items import WorkItemKind
from tests.services.app import App, memory_app
from tests.world import local_today, make_case

PHONE = "+14155550123"


@pytest.fixture
def app(clock: FixedClock) -> App:
    return memory_app(clock)


def queue(app: App) -> list[WorkItemKind]:
    with app.c.uow() as uow:
        return [i.kind for i in uow.work_items.open_items()]


async def test_a_promise_is_recorded_and_confirmed(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    await app.say("ACC-1", "I can pay 50 on friday")
    case = app.case("ACC-1")
    assert case.status is CaseStatus.PROMISED
    assert [p.amount_minor for p in case.promises] == [5_000]
    [answer] = await app.delivered()
    # on SMS (lock screens) the confirmation gives the date, never an amount
    assert answer.address == PHONE and "Dec 4, 2026" in answer.body and "$" not in answer.body
    with app.c.uow() as uow:
        [message, _] = uow.messages.for_case(case.id or 0)[::-1]
    assert (message.direction, message.intent) == ("in", "promise_to_pay")


async def test_a_dispute_pauses_collection_and_goes_to_a_person(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    await app.say("ACC-1", "this is not my loan, I never borrowed from you")
    case = app.case("ACC-1")
    assert case.status is CaseStatus.DISPUTED and Hold.DISPUTE in case.holds
    assert queue(app) == [WorkItemKind.DISPUTE]


async def test_an_opt_out_is_recorded_and_confirmed_once(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    await app.say("ACC-1", "please stop texting me")
    await app.say("ACC-1", "stop texting me")
    sms = app.case("ACC-1").contact(ChannelKind.SMS, PHONE)
    assert sms is not None and sms.opted_out_at is not None
    answers = await app.delivered()
    assert len(answers) == 1


async def test_a_held_case_gets_a_person_not_the_bot(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    from bot.services import handoff

    with app.c.uow() as uow:
        handoff.take(uow, "ACC-1", "ann")
    await app.say("ACC-1", "can I pay next week?")
    assert app.case("ACC-1").promises == []
    assert queue(app) == [WorkItemKind.HELD_CONVERSATION]
    assert await app.delivered() == []


async def test_the_same_message_twice_changes_nothing_the_second_time(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    phone = app.c.sandbox_phone(ChannelKind.SMS)
    assert phone is not None
    raw = phone.inbound_raw(PHONE, "I can pay 50 on friday")  # type: ignore[attr-defined]
    [event] = phone.parse_inbound(raw)  # type: ignore[attr-defined]
    assert not (await app.c.inbound.accept(event)).duplicate
    assert (await app.c.inbound.accept(event)).duplicate
    assert len(app.case("ACC-1").promises) == 1


async def test_an_unknown_sender_gets_one_neutral_answer_a_day(app: App) -> None:
    phone = app.c.sandbox_phone(ChannelKind.SMS)
    assert phone is not None
    await phone.receive("+14155550999", "who is this?", app.c.inbound)
    await phone.receive("+14155550999", "hello??", app.c.inbound)
    [answer] = await app.delivered()
    assert "Acme Bank" in answer.body and "$" not in answer.body
    assert queue(app) == [WorkItemKind.UNKNOWN_SENDER, WorkItemKind.UNKNOWN_SENDER]


@pytest.mark.parametrize(("channel", "expected"), [
    (ChannelKind.SMS, "Acme Bank: for help call +1 800 555 0199 or email care@acme.example. "
                      "Reply STOP to opt out."),
    # the profile's own Telegram opt-out instruction, which the linter now requires
    (ChannelKind.TELEGRAM, "Acme Bank: call +1 800 555 0199 or email care@acme.example. "
                           "Send /stop to stop these messages."),
])
async def test_help_is_answered_in_band_with_the_english_text_unchanged(
        app: App, channel: ChannelKind, expected: str) -> None:
    address = PHONE if channel is ChannelKind.SMS else "424242"
    app.add(make_case("ACC-1", 10, local_today(app.clock), phone=None,
                      contacts=[ContactPoint(channel, address)]))
    result = await app.c.inbound.accept(ContactSignal(
        channel, address, SignalKind.HELP, app.clock.now(), "keyword", "H1"))
    assert result.replies == [expected]


async def test_help_is_answered_in_the_customers_language(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock), language="zh",
                      timezone="Asia/Shanghai", country="CN"))
    result = await app.c.inbound.accept(ContactSignal(
        ChannelKind.SMS, PHONE, SignalKind.HELP, app.clock.now(), "keyword", "H1"))
    [text] = result.replies
    assert "请致电 +1 800 555 0199" in text and "回复TD退订" in text


async def test_help_answered_by_the_provider_is_not_answered_again(app: App) -> None:
    result = await app.c.inbound.accept(ContactSignal(
        ChannelKind.SMS, PHONE, SignalKind.HELP, app.clock.now(), "keyword", "H1",
        ANSWERED_BY_PROVIDER))
    assert result.replies == []


async def test_a_late_sent_receipt_never_overwrites_a_final_status(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    await app.say("ACC-1", "how do I pay?")
    [answer] = await app.delivered()
    for status in (ReceiptStatus.DELIVERED, ReceiptStatus.SENT):
        app.clock.advance(timedelta(seconds=1))
        await app.c.inbound.accept(DeliveryReceipt(ChannelKind.SMS, answer.provider_id, status,
                                                   app.clock.now()))
    with app.c.uow() as uow:
        sent = uow.messages.outbound_by_provider_id(ChannelKind.SMS, answer.provider_id)
    assert sent is not None and sent.status == "delivered"


async def test_wrong_party_marks_the_number_and_discloses_nothing(app: App) -> None:
    app.add(make_case("ACC-1", 10, local_today(app.clock)))
    await app.say("ACC-1", "wrong number, I don't know this person")
    sms = app.case("ACC-1").contact(ChannelKind.SMS, PHONE)
    assert sms is not None and sms.wrong_party_at is not None
    for entry in await app.delivered():
        assert "Jordan" not in entry.body and "$" not in entry.body
