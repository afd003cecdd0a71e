"""The use cases the console calls (on the in-memory application): the parser's reading
kept with a message, a reply checked against the policy before it is queued, the case
timeline, the inbox and review lists, plan previews, template previews and saves,
campaign edits, reply drafts and the sandbox phone — each with its role check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.case import Case, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.policy.profiles import get_profile
from bot.services import handoff
from bot.services.campaign_admin import CampaignError
from bot.services.case_view import case_view, timeline
from bot.services.plan_preview import Outcome, PlanFilter, plan_preview
from bot.services.ports import InboxFilter
from bot.services.roles import Actor, Forbidden, Role
from bot.services.template_desk import TemplateDeskError
from tests.services.app import App, activate_campaigns, memory_app

ANN = Actor("ann", Role.COLLECTOR)
SUE = Actor("sue", Role.SUPERVISOR)
ADA = Actor("ada", Role.ADMIN)
ACCOUNT = "ACC-4401"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def app(clock: FixedClock) -> App:
    app = memory_app(clock)
    activate_campaigns(app.c)
    app.add(Case(account_id=ACCOUNT, currency="USD", balance_minor=100_000,
                 due_date=date(2026, 11, 1), customer_name="Sam Lee",
                 minimum_payment_minor=5_000, timezone="America/New_York", country="US",
                 contacts=[ContactPoint(ChannelKind.SMS, "+14155550144"),
                           ContactPoint(ChannelKind.EMAIL, "sam@example.com",
                                        verified=True)]))
    return app


async def test_the_parsers_reading_is_kept_with_a_customers_message(app: App) -> None:
    await app.say(ACCOUNT, "I can pay 50 on friday")
    case = app.case(ACCOUNT)
    assert case.id is not None
    with app.c.uow() as uow:
        [message] = [m for m in uow.messages.for_case(case.id) if m.direction == "in"]
    reading = message.reading
    assert reading is not None and message.intent == reading["intent"] == "promise_to_pay"
    [term] = reading["promises"]
    assert term["date"] == "2026-12-04" and term["amount"] is not None
    assert float(term["amount"]) == 50
    assert 0 < reading["confidence"] <= 1 and reading["lang"] == "en"
    assert reading["needs_human"] is False and reading["opt_out"] is False


def test_a_reply_the_policy_refuses_is_not_queued(app: App, clock: FixedClock) -> None:
    desk = app.c.desk
    desk.take(ANN, ACCOUNT)
    with app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        case.place_hold(Hold.BANKRUPTCY, clock.now(), "collector:ann", "chapter 7")
        uow.commit()
    with pytest.raises(handoff.ReplyRefused) as refused:
        desk.reply(ANN, ACCOUNT, "Hello Sam")
    assert [r.code.value for r in refused.value.reasons] == ["hold_bankruptcy"]
    assert "bankruptcy" in str(refused.value)
    case = app.case(ACCOUNT)
    assert case.id is not None
    with app.c.uow() as uow:
        assert [m for m in uow.messages.for_case(case.id) if m.direction == "out"] == []
    # the collector's own hold is no reason; hours are for the dispatcher to wait out
    with app.c.uow() as uow:
        held = uow.cases.get(ACCOUNT)
        assert held is not None
        held.release_hold(Hold.BANKRUPTCY, clock.now(), "collector:sue", "dismissed")
        uow.commit()
    clock.set(datetime(2026, 12, 2, 4, 0, tzinfo=UTC))  # 23:00 in New York
    assert desk.reply(ANN, ACCOUNT, "Hello Sam") > 0
    case = app.case(ACCOUNT)
    assert handoff.reply_refusal(case, case.contacts[0], get_profile("US-RegF"),
                                 clock.now(), "ann") == []


@pytest.mark.parametrize("hold", [Hold.VULNERABLE, Hold.DECEASED, Hold.COMPLAINT])
async def test_a_collector_answers_under_the_holds_that_ask_for_a_person(
        app: App, clock: FixedClock, hold: Hold) -> None:
    """The bot stays silent under these holds so that a person answers: the collector's
    reply is queued and the dispatcher sends it."""
    desk = app.c.desk
    desk.take(ANN, ACCOUNT)
    with app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        case.place_hold(hold, clock.now(), "collector:ann", "told us on the phone")
        uow.commit()
    assert desk.reply(ANN, ACCOUNT, "Hello Sam, I am here to help") > 0
    stats = await app.c.dispatcher.drain()
    assert stats.sent == 1, stats


def test_the_timeline_merges_messages_events_promises_and_payments(app: App,
                                                                   clock: FixedClock) -> None:
    app.c.desk.take(ANN, ACCOUNT)
    clock.advance(timedelta(minutes=5))
    app.c.desk.reply(ANN, ACCOUNT, "Hi Sam")
    clock.advance(timedelta(minutes=5))
    app.c.desk.record_promise(ANN, ACCOUNT, [("100", date(2026, 12, 10))])
    with app.c.uow() as uow:
        view = case_view(uow, ACCOUNT, messages=50, events=None)
    assert view is not None
    entries = timeline(view)
    kinds = [(e["kind"], e["item"].get("type") or e["item"].get("body")
              or e["item"].get("ref")) for e in entries]
    assert kinds.index(("message", "Hi Sam")) < kinds.index(("event", "PromiseMade"))
    assert [k for k, _ in kinds].count("promise") == 1
    ats = [e["at"] for e in entries if e["kind"] != "promise"]
    assert ats == sorted(ats)
    assert view["queue_items"] == []


def test_inbox_filters_are_checked_and_review_is_for_supervisors(app: App) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        app.c.desk.inbox(ANN, InboxFilter(kinds=("nonsense",)))
    assert app.c.desk.inbox(ANN) == []
    with pytest.raises(Forbidden):
        app.c.desk.review(ANN)
    assert set(app.c.desk.review(SUE)) == {"disputes", "legal_review", "holds"}


def test_a_plan_preview_explains_and_filters(app: App) -> None:
    planning = app.c.planning()
    every = plan_preview(planning, app.c.uow, ANN, PlanFilter(on_date=date(2026, 12, 2)))
    [row] = every.rows
    assert row.account_id == ACCOUNT and row.campaign_id == "standard-retail-us"
    assert row.considered[0][2] == "takes it" and row.risk.startswith("risk")
    assert every.campaigns == ("standard-retail-us",) and every.complete
    other = (row.outcome is Outcome.SEND and Outcome.DENY) or Outcome.SEND
    assert plan_preview(planning, app.c.uow, ANN, PlanFilter(outcome=other,
                                                             on_date=date(2026, 12, 2))
                        ).rows == []
    assert plan_preview(planning, app.c.uow, ANN, PlanFilter(campaign="nope")).rows == []
    with pytest.raises(handoff.NotFound):
        plan_preview(planning, app.c.uow, ANN, PlanFilter(account="NOPE"))


def test_template_previews_and_saves(app: App, clock: FixedClock, tmp_path: Path) -> None:
    desk = app.c.template_desk
    with pytest.raises(Forbidden):
        desk.source(ANN, "first_notice")
    text = desk.source(ADA, "first_notice")
    zh = desk.preview(ADA, "first_notice", text, lang="zh", channel=ChannelKind.SMS)
    assert zh.clean and [t.level for t in zh.texts] == ["limited"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.texts[0].body)
    assert zh.texts[0].sms is not None and "segment" in zh.texts[0].sms
    broken = desk.preview(ADA, "first_notice", "id: first_notice\nlevel: [", lang="en",
                          channel=ChannelKind.SMS)
    assert broken.error is not None and not broken.texts
    with pytest.raises(TemplateDeskError, match="DUEBOT_TEMPLATE_DIR"):
        desk.save(ADA, "first_notice", text)
    writable = memory_app(clock, template_dir=tmp_path).c.template_desk
    with pytest.raises(TemplateDeskError) as refused:
        writable.save(ADA, "first_notice", text.replace("{{ opt_out }}", "We will sue."))
    assert refused.value.findings and not (tmp_path / "first_notice.yaml").exists()
    where = writable.save(ADA, "first_notice", text)
    assert Path(where).read_text(encoding="utf-8") == text


def test_a_campaign_edit_keeps_its_id(app: App) -> None:
    admin = app.c.campaign_admin
    body = admin.version(ADA, "standard-retail-us").body
    with pytest.raises(Forbidden):
        admin.edit(SUE, "standard-retail-us", body)
    with pytest.raises(CampaignError) as renamed:
        admin.edit(ADA, "standard-retail-us", body.replace("id: standard-retail-us",
                                                           "id: renamed", 1))
    [problem] = renamed.value.problems
    assert problem.line is not None and "must stay" in problem.reason
    assert admin.edit(ADA, "standard-retail-us", body).new is False
    done = admin.edit(ADA, "standard-retail-us", body + "\n# edited\n")
    assert done.new and done.status == "draft"


def test_reply_drafts_follow_the_contact_points_level(app: App) -> None:
    drafts = app.c.reply_drafts
    with pytest.raises(handoff.HandoffError, match="not a reply template"):
        drafts.draft(ANN, ACCOUNT, "first_notice")
    # the balance is for a verified right party only: never by SMS
    with pytest.raises(handoff.HandoffError, match="no text for this channel"):
        drafts.draft(ANN, ACCOUNT, "balance_info", ChannelKind.SMS)
    assert "1,000.00" in drafts.draft(ANN, ACCOUNT, "balance_info", ChannelKind.EMAIL)
    assert "1,000" not in drafts.draft(ANN, ACCOUNT, "how_to_pay", ChannelKind.SMS)
    app.c.desk.take(SUE, ACCOUNT)
    with pytest.raises(Forbidden):
        drafts.draft(ANN, ACCOUNT, "how_to_pay")


async def test_the_sandbox_phone_plays_the_customer(app: App) -> None:
    phones = app.c.sandbox_phones
    assert set(phones.kinds()) == set(ChannelKind)
    with pytest.raises(Forbidden):
        await phones.reply(ANN, ACCOUNT, ChannelKind.SMS, "hello")
    with pytest.raises(handoff.HandoffError, match="no telegram"):
        await phones.reply(ADA, ACCOUNT, ChannelKind.TELEGRAM, "hello")
    with pytest.raises(handoff.HandoffError, match="NUL"):
        await phones.reply(ADA, ACCOUNT, ChannelKind.SMS, "a\x00b")
    await phones.reply(ADA, ACCOUNT, ChannelKind.SMS, "HELP")
    threads = {t.channel: t for t in phones.threads(ADA, ACCOUNT)}
    sms = threads[ChannelKind.SMS].entries
    assert sms[0].body == "HELP" and sms[0].direction.value == "in"
    assert threads[ChannelKind.SMS].masked.startswith("+141")
    [recent] = phones.recent(ADA)
    assert recent.account_id == ACCOUNT
    with app.c.uow() as uow:
        [entry] = uow.audit.recent(action="sandbox.reply")
    assert entry.target == ACCOUNT
