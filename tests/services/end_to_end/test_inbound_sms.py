"""Every intent through SMS: the signed Twilio webhook in, the Twilio-like REST peer out.

Each test lets a customer text the app, runs the real dispatcher and reads what reached
the peer; the case is read back from the database. SMS is always ``limited``: no amount,
no account, no word that reveals a debt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.domain.case import LEGAL_QUEUE, CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from channels.twilio.sms import INBOUND_PATH
from tests.services.end_to_end.world import (
    BRAND,
    World,
    assert_discloses_nothing,
    world,
)

PHONE = "+14155550101"
SECRETS = ("ACC-1001", "1001", "1,000", "1000.00", "Jordan")


def only_sms(w: World, phone: str = PHONE) -> str:
    [body] = w.sms_to(phone)
    assert_discloses_nothing(body, *SECRETS)
    return body


# ------------------------------------------------------------------ promise
async def test_promise_is_recorded_and_confirmed(sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I will pay 200 on December 10")
        await w.dispatch()
        case = w.case()
        assert case.status is CaseStatus.PROMISED
        [promise] = case.pending_promises()
        assert (promise.amount_minor, promise.due) == (20_000, date(2026, 12, 10))
        made = [(a, p) for t, a, p in w.events() if t == "PromiseMade"]
        assert made == [("customer", {"promise_ref": "P1", "amount_minor": 20_000,
                                      "due": "2026-12-10", "source_message_id": 1})]
        body = only_sms(w)
        assert "Dec 10, 2026" in body and BRAND in body
        assert "200" not in body.replace("2026", "")
        assert w.kinds() == []


async def test_chinese_case_is_answered_in_chinese(sqlite_engine: Engine, clock: FixedClock
                                                  ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(language="zh", currency="CNY", timezone="Asia/Shanghai")
        await w.sms(PHONE, "我下周五还200")
        await w.dispatch()
        [promise] = w.case().pending_promises()
        assert (promise.amount_minor, promise.due) == (20_000, date(2026, 12, 11))
        body = only_sms(w)
        assert "谢谢" in body and "2026年12月11日" in body


async def test_promise_the_head_doubts_goes_to_a_person(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    # "not sure when": the review head finds the reading too often wrong to act on alone,
    # so nothing is recorded or asked and a person reads it.
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I can pay 200 but not sure when")
        await w.dispatch()
        answer = only_sms(w)
        assert "member of our team" in answer and "Which date" not in answer
        assert w.case().pending_promises() == []
        assert w.conversation() is None or w.conversation().state != "ask_date"


async def test_promise_without_a_date_is_asked_for_its_date(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    # A dateless offer the head accepts: the dialog asks which date before recording it.
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I can pay 200")
        await w.dispatch()
        assert "Which date" in only_sms(w)
        assert w.case().pending_promises() == []
        await w.sms(PHONE, "friday")
        await w.dispatch()
        [promise] = w.case().pending_promises()
        # the clock is on Tuesday 1 December
        assert (promise.amount_minor, promise.due) == (20_000, date(2026, 12, 4))


async def test_date_too_far_is_countered_and_yes_confirms(sqlite_engine: Engine,
                                                          clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I'll pay on 20 March 2027")
        await w.dispatch()
        offer = only_sms(w)
        assert "Jan 30, 2027" in offer and "YES" in offer  # 60 days: the profile's horizon
        assert w.case().pending_promises() == []
        await w.sms(PHONE, "ok")
        await w.dispatch()
        [promise] = w.case().pending_promises()
        assert promise.due == date(2027, 1, 30)
        assert "noted the date" in w.sms_to(PHONE)[1]


async def test_amount_above_the_balance_goes_to_a_person(sqlite_engine: Engine,
                                                         clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I will pay 2000 on friday")
        await w.dispatch()
        assert w.case().pending_promises() == []
        assert w.kinds() == ["promise_negotiation"]
        assert "member of our team" in only_sms(w)
        assert w.conversation().state == "idle"  # nothing to say YES to on SMS


async def test_promise_on_a_disputed_case_is_not_confirmed(sqlite_engine: Engine,
                                                           clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "this is not my debt")
        await w.sms(PHONE, "I will pay 200 on December 10")
        await w.dispatch()
        assert w.case().pending_promises() == []
        assert w.kinds() == ["dispute", "needs_review"]
        texts = w.sms_to(PHONE)
        assert len(texts) == 2 and "will read your message" in texts[1]
        assert not any("noted the date" in t for t in texts)


# ------------------------------------------------------------------ paid, dispute, hardship
async def test_paid_claims_a_payment_and_pauses_reminders(sqlite_engine: Engine,
                                                          clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I paid it yesterday")
        await w.dispatch()
        case = w.case()
        assert Hold.PAYMENT_CLAIMED in case.holds
        assert case.payment_claim_until == date(2026, 12, 6)
        assert "PaymentClaimed" in w.event_types()
        [item] = w.work()
        assert (item.kind, item.message_id) == ("payment_claim", 1)
        assert "check our records" in only_sms(w)
        # a campaign reminder due meanwhile is held back at send time
        with w.container.uow() as uow:
            uow.outbox.enqueue([outbox_message(
                case_id=case.id, contact_point_id=case.contacts[0].id, channel="sms",
                address=PHONE, body="Reminder from Acme Bank", subject=None,
                idempotency_key="campaign:1", now=clock.now(), purpose="dunning",
                template_id="reminder", lang="en", campaign_id="standard-retail-us", step_id="s1")])
            uow.session.commit()
        stats = await w.dispatch()
        assert stats.suppressed == 1 and len(w.sms_to(PHONE)) == 1
        assert "hold_payment_claimed" in (w.outbox()[-1].error_code or "")


async def test_dispute_holds_the_case_and_queues_it(sqlite_engine: Engine, clock: FixedClock
                                                   ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "this is not my debt")
        await w.dispatch()
        case = w.case()
        assert case.status is CaseStatus.DISPUTED and Hold.DISPUTE in case.holds
        assert "DisputeOpened" in w.event_types()
        [item] = w.work()
        assert (item.kind, item.priority) == ("dispute", 20)
        assert "looks into what you said" in only_sms(w)


async def test_hardship_on_sms_offers_help_by_phone_without_amounts(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I lost my job and can't pay")
        await w.dispatch()
        body = only_sms(w)
        assert "several months" in body and "+1 800 555 0100" in body
        assert w.kinds() == ["hardship"]
        assert w.case().pending_promises() == []


async def test_refusal_goes_to_a_person(sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I won't pay")
        await w.dispatch()
        assert w.kinds() == ["refusal"]
        assert "member of our team" in only_sms(w)


# ------------------------------------------------------------------ opt-out, wrong party
async def test_opt_out_suppresses_and_confirms_exactly_once(sqlite_engine: Engine,
                                                            clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "please stop texting me", sid="SM" + "a" * 32)
        await w.sms(PHONE, "please stop texting me", sid="SM" + "a" * 32)  # Twilio retries
        await w.sms(PHONE, "stop texting me!!", sid="SM" + "b" * 32)  # and the customer
        await w.dispatch()
        body = only_sms(w)
        assert "no more text messages" in body
        cp = w.case().contact(ChannelKind.SMS, PHONE)
        assert cp is not None and cp.opted_out_at is not None
        assert w.event_types().count("OptedOut") == 1
        assert Hold.OPTED_OUT in w.case().holds  # the only contact point
        # nothing else reaches the number, even an answer to a question
        await w.sms(PHONE, "how can I pay?")
        await w.dispatch()
        assert len(w.sms_to(PHONE)) == 1


async def test_carrier_stop_keyword_is_answered_by_twilio_not_again_by_us(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        response = await w.sms(PHONE, "STOP", OptOutType="STOP")
        assert "<Message>" not in response.text
        await w.dispatch()
        assert w.sms_to(PHONE) == []
        cp = w.case().contact(ChannelKind.SMS, PHONE)
        assert cp is not None and cp.opted_out_at is not None
        assert w.event_types().count("OptedOut") == 1


async def test_opt_out_with_paid_records_the_claim(sqlite_engine: Engine, clock: FixedClock
                                                  ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "please stop texting me, I already paid")
        await w.dispatch()
        assert Hold.PAYMENT_CLAIMED in w.case().holds
        assert w.kinds() == ["payment_claim"]
        assert "no more text messages" in only_sms(w)


async def test_wrong_party_invalidates_the_number_and_discloses_nothing(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "wrong number, I don't know this person")
        await w.dispatch()
        cp = w.case().contact(ChannelKind.SMS, PHONE)
        assert cp is not None and cp.wrong_party_at is not None
        assert "ContactPointInvalidated" in w.event_types()
        assert Hold.WRONG_PARTY in w.case().holds
        body = only_sms(w)
        assert "removed this number" in body


# ------------------------------------------------------------------ legal, callback, question
async def test_attorney_places_a_legal_hold_and_queues(sqlite_engine: Engine,
                                                       clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "talk to my lawyer")
        await w.dispatch()
        case = w.case()
        assert case.status is CaseStatus.LEGAL_HOLD and Hold.ATTORNEY in case.holds
        [item] = w.work()
        assert (item.kind, item.priority) == ("legal", 10)
        assert "handle it from here" in only_sms(w)
        await w.sms(PHONE, "how can I pay?")  # an attorney hold silences every reply
        await w.dispatch()
        assert len(w.sms_to(PHONE)) == 1


async def test_complaint_goes_to_the_legal_review_queue(sqlite_engine: Engine,
                                                        clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I will file a complaint about you")
        await w.dispatch()
        assert w.case().held_by == LEGAL_QUEUE
        assert "handle it from here" in only_sms(w)  # its own acknowledgement goes out
        await w.sms(PHONE, "how can I pay?")
        await w.dispatch()
        assert len(w.sms_to(PHONE)) == 1
        assert w.kinds() == ["legal", "held_conversation"]


async def test_callback_is_queued_with_the_requested_time(sqlite_engine: Engine,
                                                          clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "call me tomorrow at 3pm")
        await w.dispatch()
        [item] = w.work()
        assert item.kind == "callback"
        assert item.due_at == datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 3pm in New York
        assert "call you back" in only_sms(w)


async def test_how_to_pay_is_answered(sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "how can I pay?")
        await w.dispatch()
        assert "https://pay.example.com" in only_sms(w)


async def test_balance_question_on_sms_never_gets_the_balance(sqlite_engine: Engine,
                                                              clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "how much do I owe?")
        await w.dispatch()
        body = only_sms(w)
        assert "member of our team" in body
        assert w.kinds() == ["question"]
        assert w.conversation().state == "idle"


async def test_unclear_message_only_goes_to_a_person(sqlite_engine: Engine,
                                                     clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "asdf qwerty zxcv")
        await w.sms(PHONE, "I saw the letter you sent to my mother last week about it")
        await w.sms(PHONE, "thanks")
        await w.dispatch()
        # a reading not safe to act on gets the neutral handoff answer, nothing else
        assert all("member of our team" in body for body in w.sms_to(PHONE))
        assert len(w.sms_to(PHONE)) <= 1
        # the rules' legal reading the model disagrees with is read by a person; noise
        # ("asdf qwerty zxcv") is read as `other` with confidence and changes nothing
        assert w.kinds() == ["low_confidence"]
        assert all(item.message_id is not None for item in w.work())


# ------------------------------------------------------------------ unknown sender
async def test_unknown_sender_gets_one_neutral_reply_a_day(sqlite_engine: Engine,
                                                           clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        stranger = "+14155550999"
        await w.sms(stranger, "who is this? how much do I owe?")
        await w.sms(stranger, "hello??")
        await w.dispatch()
        [body] = w.sms_to(stranger)
        assert_discloses_nothing(body, *SECRETS)
        assert "could not match your message" in body
        assert w.kinds(None) == ["unknown_sender", "unknown_sender"]
        w.later(timedelta(days=1))
        await w.sms(stranger, "hello again")
        await w.dispatch()
        assert len(w.sms_to(stranger)) == 2


async def test_unknown_sender_writing_chinese_gets_chinese(sqlite_engine: Engine,
                                                           clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        await w.sms("+8613800138000", "你好，请问你是谁")
        await w.dispatch()
        [body] = w.sms_to("+8613800138000")
        assert_discloses_nothing(body)
        assert "您好" in body or "你好" in body


# ------------------------------------------------------------------ the door
async def test_a_forged_webhook_changes_nothing(sqlite_engine: Engine, clock: FixedClock
                                               ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        before = w.counts()
        response = await w.http.post(INBOUND_PATH, data={
            "MessageSid": "SM" + "f" * 32, "From": PHONE, "To": "+15005550006",
            "Body": "this is not my debt", "AccountSid": w.twilio.account_sid},
            headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
        assert response.status_code == 403
        assert w.counts() == before and w.case().status is CaseStatus.ACTIVE


async def test_the_same_message_twice_changes_nothing_the_second_time(
        engine: Engine, clock: FixedClock) -> None:
    """Idempotency on both backends: Twilio's retry of one MessageSid."""
    async with world(engine, clock) as w:
        w.seed()
        sid = "SM" + "c" * 32
        await w.sms(PHONE, "I will pay 200 on December 10", sid=sid)
        await w.dispatch()
        once = w.counts()
        events = w.events()
        await w.sms(PHONE, "I will pay 200 on December 10", sid=sid)
        await w.dispatch()
        assert w.counts() == once
        assert w.events() == events
        assert len(w.sms_to(PHONE)) == 1
        assert once["PromiseRow"] == 1 and once["InboundEventRow"] == 1


async def test_several_accounts_on_one_number_the_last_one_written_about_answers(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed("ACC-1001", customer_ref="jordan")
        second = w.seed("ACC-1002", phone=None, customer_ref="jordan")  # same customer
        cp = w.case("ACC-1002").contact(ChannelKind.SMS, PHONE)
        assert cp is not None
        with w.container.uow() as uow:
            uow.outbox.enqueue([outbox_message(
                case_id=second.id, contact_point_id=cp.id, channel="sms", address=PHONE,
                body="Acme Bank: please get in touch.", subject=None,
                idempotency_key="campaign:acc2", now=clock.now(), purpose="dunning",
                template_id="first_notice", lang="en", campaign_id="standard-retail-us",
                step_id="s")])
            uow.session.commit()
        await w.dispatch()
        w.later(timedelta(minutes=5))
        await w.sms(PHONE, "I paid it yesterday")
        await w.dispatch()
        assert Hold.PAYMENT_CLAIMED in w.case("ACC-1002").holds
        assert Hold.PAYMENT_CLAIMED not in w.case("ACC-1001").holds
        assert w.kinds("ACC-1002") == ["payment_claim"] and w.kinds("ACC-1001") == []
