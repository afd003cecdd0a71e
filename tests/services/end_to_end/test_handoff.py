"""Handoff: while a collector holds a case the bot sends nothing on it, by any path.

Paths that send: the planning tick (campaign steps), inbound auto-replies, replies and
confirmations queued before the take-over, and the dispatcher's fallback re-render to
another channel. Each is exercised with real peers; none may reach one. The customer's
messages go to the queue; the collector's own reply does go out; after release the bot
answers again.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.domain.case import LEGAL_QUEUE, CaseStatus
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.outbox import OutboxStatus, outbox_message
from bot.services import handoff
from storage.models import ContactDecisionRow
from tests.services.app import activate_campaigns
from tests.services.end_to_end.world import World, world

PHONE = "+14155550101"
EMAIL = "jordan@example.org"
CHAT = 424242301
CAMPAIGNS = Path(__file__).resolve().parents[3] / "campaigns"


def planner(w: World):  # type: ignore[no-untyped-def]
    activate_campaigns(w.container, CAMPAIGNS)
    return w.container.planning()


def campaign_row(w: World, account: str, key: str, *, channel: str = "sms",
                 address: str = PHONE, fallback: tuple[str, ...] = ()) -> None:
    case = w.case(account)
    cp = next(c for c in case.contacts if c.address == address)
    with w.container.uow() as uow:
        uow.outbox.enqueue([outbox_message(
            case_id=case.id, contact_point_id=cp.id, channel=channel, address=address,
            body="Acme Bank: please get in touch.", subject="A message from Acme Bank",
            idempotency_key=key, now=w.clock.now(), purpose="dunning",
            template_id="first_notice", lang="en", campaign_id="standard-retail-us",
            step_id="first_notice", fallback_channels=fallback)])
        uow.session.commit()


def take(w: World, account: str = "ACC-1001", who: str = "ann") -> None:
    with w.container.uow() as uow:
        handoff.take(uow, account, who)


def release(w: World, account: str = "ACC-1001", who: str = "ann") -> None:
    with w.container.uow() as uow:
        handoff.release(uow, account, who)


async def test_nothing_reaches_any_peer_while_a_collector_holds_the_case(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(email=EMAIL, chat=CHAT)
        w.seed("ACC-2002", phone="+14155550202", customer_ref="other")  # not held: control

        # before the take-over: a fallback in flight, a reply, a confirmation, a campaign row
        w.twilio.fail(PHONE, code=30007)  # carrier filtering: the dispatcher re-renders...
        campaign_row(w, "ACC-1001", "campaign:sms", fallback=("email",))
        stats = await w.container.dispatcher.run_once()
        assert stats.failed == 1 and stats.fallbacks == 1  # ...for email, queued not sent
        w.twilio.clear_failures()
        await w.chat(CHAT, "how can I pay?")  # an auto-reply, queued
        await w.email(EMAIL, "please stop emailing me")  # a confirmation, queued
        campaign_row(w, "ACC-1001", "campaign:chat", channel="telegram", address=str(CHAT))
        delivered = w.delivered_count()
        assert delivered == 0

        take(w)
        # the planning tick: the control case gets its notice, the held one nothing
        report = planner(w).tick()
        assert report.enqueued == 1
        assert [r.case_id for r in w.outbox(None) if r.step_id == "final_notice"] == [
            w.case("ACC-2002").id]
        with w.container.uow() as uow:
            held_id = w.case().id
            denied = uow.session.exec(select(ContactDecisionRow).where(
                ContactDecisionRow.case_id == held_id)).all()
            assert denied and all(any(r.startswith("hold_human") for r in d.reasons)
                                  for d in denied)
        # the customer writes on every channel: each message goes to the queue
        await w.sms(PHONE, "how much do I owe?")
        await w.email(EMAIL, "I will pay 200 on December 10")
        await w.chat(CHAT, "this is not my debt")
        stats = await w.dispatch()
        assert w.sms_to(PHONE) == [] and w.mail_to(EMAIL) == [] and w.chat_to(CHAT) == []
        assert len(w.sms_to("+14155550202")) == 1  # the control case's notice went out
        held = [r for r in w.outbox() if r.status != OutboxStatus.FAILED]
        assert held and all(r.status == OutboxStatus.SUPPRESSED for r in held)
        assert all("hold_human" in (r.error_code or "") for r in held)
        assert {r.purpose for r in held} == {"dunning", "reply", "confirmation"}
        assert w.kinds().count("held_conversation") == 3
        case = w.case()
        assert case.pending_promises() == [] and case.status is CaseStatus.ACTIVE

        # the collector's own reply does go out
        with w.container.uow() as uow:
            handoff.reply(uow, "ACC-1001", "ann", "Hi Jordan, this is Ann.")
        await w.dispatch()
        assert w.chat_to(CHAT) == ["Hi Jordan, this is Ann."]  # the last channel they used

        # handed back: the bot answers again (and nothing held back resurfaces)
        release(w)
        await w.sms(PHONE, "how can I pay?")
        await w.dispatch()
        assert len(w.sms_to(PHONE)) == 1 and "pay.example.com" in w.sms_to(PHONE)[0]
        assert w.mail_to(EMAIL) == [] and w.chat_to(CHAT) == ["Hi Jordan, this is Ann."]


async def test_collector_reply_by_sms_reaches_the_peer(sqlite_engine: Engine,
                                                       clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "call me tomorrow at 3pm")
        take(w)
        await w.dispatch()  # the callback acknowledgement queued before: silent
        assert w.sms_to(PHONE) == []
        with w.container.uow() as uow, pytest.raises(handoff.HandoffError,
                                                     match="take the conversation first"):
            handoff.reply(uow, "ACC-1001", "bob", "hello")
        with w.container.uow() as uow:
            handoff.reply(uow, "ACC-1001", "ann", "Hi, Ann from Acme Bank. 3pm works.")
        await w.dispatch()
        assert w.sms_to(PHONE) == ["Hi, Ann from Acme Bank. 3pm works."]
        [row] = [r for r in w.outbox() if r.actor == "collector:ann"]
        assert row.status == OutboxStatus.SENT and row.provider_id.startswith("SM")


async def test_a_complaint_case_is_taken_from_the_legal_review_queue(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        await w.sms(PHONE, "I will file a complaint about you")
        assert w.case().held_by == LEGAL_QUEUE
        take(w)
        assert w.case().held_by == "ann"
        release(w)
        await w.sms(PHONE, "how can I pay?")
        await w.dispatch()
        assert len(w.sms_to(PHONE)) == 2  # the complaint's acknowledgement, then the answer


async def test_release_lifts_a_verification_lock(sqlite_engine: Engine, clock: FixedClock
                                                ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT, chat_verified=False)
        await w.chat(CHAT, "what's my balance")
        for wrong in ("1981-01-01", "1982-02-02", "1983-03-03"):
            await w.chat(CHAT, wrong)
        conv = w.conversation()
        assert conv is not None and conv.state == "locked"
        take(w)  # the collector checks the customer by phone, then hands back
        release(w)
        conv = w.conversation()
        assert conv is not None and (conv.state, conv.verify_failures) == ("idle", 0)
        await w.chat(CHAT, "what's my balance")
        await w.chat(CHAT, "1980-05-17")
        await w.dispatch()
        assert "$1,000.00" in w.chat_to(CHAT)[-1]


async def test_collector_outcomes_record_the_same_events_as_the_bots(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed()
        w.seed("ACC-2002", phone="+14155550202", customer_ref="other")
        await w.sms(PHONE, "I will pay 200 on December 10")
        with w.container.uow() as uow:
            handoff.record_promise(uow, "ACC-2002", "ann", w.container.profile,
                                   [("200", date(2026, 12, 10))])
        bot = [(t, p) for t, a, p in w.events() if a == "customer"]
        person = [(t, p) for t, a, p in w.events("ACC-2002") if a == "collector:ann"]
        strip = [(t, {k: v for k, v in p.items() if k != "source_message_id"})
                 for t, p in bot]
        assert strip == [(t, {k: v for k, v in p.items() if k != "source_message_id"})
                         for t, p in person]
        assert [t for t, _ in person] == ["PromiseMade", "StatusChanged"]

        # out of policy is refused with the reason, and changes nothing
        with w.container.uow() as uow, pytest.raises(handoff.HandoffError,
                                                     match="more than 60 days ahead"):
            handoff.record_promise(uow, "ACC-2002", "ann", w.container.profile,
                                   [("200", date(2026, 12, 1) + timedelta(days=61))])
        with w.container.uow() as uow, pytest.raises(handoff.HandoffError,
                                                     match="below the minimum"):
            handoff.record_plan(uow, "ACC-2002", "ann", w.container.profile, 12,
                                date(2026, 12, 8))  # 12 × 83.34 < 10 % of 1,000.00
        assert len(w.case("ACC-2002").pending_promises()) == 1

        # a plan and a dispute, as the bot records them
        with w.container.uow() as uow:
            handoff.record_plan(uow, "ACC-2002", "ann", w.container.profile, 3,
                                date(2026, 12, 8))
        assert [p.amount_minor for p in w.case("ACC-2002").pending_promises()] == [
            33_334, 33_334, 33_332]
        await w.sms(PHONE, "this is not my debt")
        with w.container.uow() as uow:
            handoff.record_dispute(uow, "ACC-2002", "ann", "not mine, says the customer")
        bot_dispute = [t for t, a, _ in w.events() if a == "customer"][2:]
        person_dispute = [t for t, a, _ in w.events("ACC-2002") if a == "collector:ann"][-4:]
        assert bot_dispute == person_dispute == [
            "PromiseCancelled", "StatusChanged", "HoldPlaced", "DisputeOpened"]
        with w.container.uow() as uow, pytest.raises(handoff.HandoffError,
                                                     match="cannot be taken"):
            handoff.record_promise(uow, "ACC-2002", "ann", w.container.profile,
                                   [("200", date(2026, 12, 10))])


async def test_an_opt_out_while_held_is_recorded_but_not_answered_by_the_bot(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(chat=CHAT)
        take(w)
        await w.sms(PHONE, "please stop texting me")
        await w.chat(CHAT, "/stop")  # Telegram's in-band answer is the bot speaking too
        await w.dispatch()
        assert w.delivered_count() == 0
        case = w.case()
        assert all(cp.opted_out_at is not None for cp in case.contacts)
        assert w.event_types().count("OptedOut") == 2
        details = [item.detail for item in w.work()]
        assert details == ["new message for ann; opt-out recorded",
                           "opted out (telegram-stop) while held by ann"]
        # the opt-out binds the collector as well
        with w.container.uow() as uow, pytest.raises(handoff.HandoffError,
                                                     match="no usable contact point"):
            handoff.reply(uow, "ACC-1001", "ann", "Hi, Ann here.", ChannelKind.SMS)
