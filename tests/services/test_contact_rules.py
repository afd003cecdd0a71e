"""Who is written to, and how often (issue #12), on the in-memory backend with the real
policy, templates and sandbox channels: caps per person and per address, shared contact
points, opt-out scope by medium, no fallback after a refusal, the campaign's profile at
send time, wrong party, private Telegram chats, time-barred debts, the validation notice.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.services.case_view import case_view
from bot.services.planning import PlanningService
from bot.services.ports import StoredMessage
from tests.services.app import CAMPAIGNS, App, activate_campaigns, memory_app
from tests.services.test_import_helpers import HEADER, import_cases_file, settings, write_csv
from tests.world import local_today, make_case

PHONE, EMAIL = "+14155550123", "jordan@example.com"
CN_PHONE = "+8613800138000"
#: a Monday noon in Shanghai, with no Chinese public holiday in the week after it
CN_NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def campaign_dir(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    (folder / "c.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def planning(app: App) -> PlanningService:
    """Planning over the campaign files of the app's settings, imported and active (as an
    operator would: the workers send only under active campaigns)."""
    activate_campaigns(app.c, Path(app.c.settings.campaign_dir))
    return app.c.planning()


def outbound(app: App, account: str) -> list[StoredMessage]:
    with app.c.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None and case.id is not None
        return [m for m in uow.messages.for_case(case.id, limit=100) if m.direction == "out"]


# ---------------------------------------------------------------- caps per person
CN_DAILY = """
    id: cn-daily
    name: CN daily
    profile: CN
    steps:
""" + "".join(f"""
      - id: d{n}
        trigger: {{dpd: {n}}}
        channels: [sms]
        template: reminder
""" for n in range(1, 9))


def cn_case(account: str, dpd: int, today: date, phone: str = CN_PHONE) -> Any:
    return make_case(account, dpd, today, timezone="Asia/Shanghai", country="CN",
                     language="zh", currency="CNY", phone=phone)


async def test_one_person_with_two_accounts_and_one_phone_hears_once_a_day_three_a_week(
        tmp_path: Path) -> None:
    """CN profile: 1 SMS a day and 3 in 7 days per person, whatever the accounts (FCA
    CONC 7.9.4R, CN daily limits per person). Before: 2 a day, 6 in 7 days."""
    clock = FixedClock(CN_NOON)
    app = memory_app(clock, campaign_dir=campaign_dir(tmp_path, CN_DAILY), jurisdiction="CN")
    today = clock.now().astimezone(UTC).date()
    app.add(cn_case("ACC-A", 1, today), cn_case("ACC-B", 1, today), customer="PERSON-1")
    per_day = []
    for _ in range(7):
        planning(app).tick()
        per_day.append(len([e for e in await app.delivered() if e.address == CN_PHONE]))
        clock.advance(timedelta(days=1))
    assert per_day[0] == 1 and max(per_day) == 1
    assert sum(per_day) == 3


async def test_plan_explain_names_the_other_account_counted(tmp_path: Path) -> None:
    clock = FixedClock(CN_NOON)
    app = memory_app(clock, campaign_dir=campaign_dir(tmp_path, CN_DAILY), jurisdiction="CN")
    today = clock.now().astimezone(UTC).date()
    app.add(cn_case("ACC-A", 1, today), cn_case("ACC-B", 1, today), customer="PERSON-1")
    plans = {p.case.account_id: p for p in planning(app).plans()}
    # the dry run lets the first account through and counts it for the second
    assert plans["ACC-A"].chosen is not None and plans["ACC-B"].chosen is None
    [denied] = plans["ACC-B"].decisions
    lines = denied.explain()
    assert "frequency_channel" in lines and "(counted: ACC-A)" in lines
    assert "ACC-A" not in str(denied.to_record())  # the decision log keeps no account


async def test_two_debtors_behind_one_number_never_hear_on_the_same_day(
        clock: FixedClock) -> None:
    """Reg F 1006.6(d): at most one debtor's message a day at a shared address; the
    second is planned again the next day. Before: two SMS in the same minute."""
    app = memory_app(clock)
    today = local_today(clock)
    app.add(make_case("DEBTOR-1", 1, today))
    app.add(make_case("DEBTOR-2", 1, today))  # another customer, the same phone
    report = planning(app).tick()
    assert report.enqueued == 1
    assert [e.address for e in await app.delivered()] == [PHONE]
    [plan] = [p for p in planning(app).plans() if p.case.account_id == "DEBTOR-2"]
    assert "frequency_contact_point" in plan.decisions[0].explain()
    clock.advance(timedelta(days=1))
    planning(app).tick()
    assert [e.address for e in await app.delivered()] == [PHONE]


async def test_send_time_caps_count_the_other_messages_of_the_same_batch(
        clock: FixedClock) -> None:
    """Two messages queued apart (two planning processes) and claimed together: the
    worker lets the first through and defers the second."""
    from bot.domain.outbox import outbox_message

    app = memory_app(clock)
    activate_campaigns(app.c)
    today = local_today(clock)
    one, two = app.add(make_case("ONE", 1, today), make_case("TWO", 1, today))
    with app.c.uow() as uow:
        uow.outbox.enqueue([outbox_message(
            case_id=c.id, contact_point_id=None, channel="sms", address=PHONE, body="Hello",
            subject=None, idempotency_key=f"k-{c.account_id}", now=clock.now(),
            purpose="dunning", template_id="reminder", step_id="reminder",
            campaign_id="standard-retail-us") for c in (one, two)])
        uow.commit()
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.deferred) == (1, 1)
    assert len(await app.delivered()) == 1


# ---------------------------------------------------------------- shared contact points
def import_rows(app: App, tmp_path: Path, rows: list[list[str]]) -> Any:
    path = write_csv(tmp_path / "book.csv", [*HEADER, "customer_id"], rows)
    return import_cases_file(path, app.c.uow(), settings())


def row(n: int, customer: str, phone: str = "", email: str = "") -> list[str]:
    return [f"ACC-{n}", f"Customer {n}", "100.00", "USD", "2026-11-30", phone, email, customer]


async def test_a_number_several_customers_hold_is_flagged_at_import(
        clock: FixedClock, tmp_path: Path) -> None:
    app = memory_app(clock)
    report = import_rows(app, tmp_path, [
        row(1, "C1", phone="+14155550123"), row(2, "C2", phone="(415) 555-0123"),
        row(3, "C1", email="one@example.com"), row(4, "C4", phone="+14155550777")])
    [warning] = report.warnings()
    assert "+141****0123" in warning and "ACC-1, ACC-2, ACC-3" in warning
    assert "2 customers" in warning and "5550123" not in warning.replace("****0123", "")
    with app.c.uow() as uow:
        view = case_view(uow, "ACC-2")
        assert view is not None
        assert [c["shared"] for c in view["contact_points"]] == [True]
        alone = case_view(uow, "ACC-4")
        assert alone is not None and [c["shared"] for c in alone["contact_points"]] == [False]


async def test_a_shared_address_gets_limited_content_even_when_verified(
        clock: FixedClock, tmp_path: Path) -> None:
    """A mailbox two customers hold: never a verified disclosure, though a verification
    was recorded there. Before: the balance went to the shared mailbox."""
    app = memory_app(clock)
    import_rows(app, tmp_path, [row(1, "C1", email="family@example.com"),
                                row(2, "C2", email="family@example.com")])
    with app.c.uow() as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None
        case.contacts[0].verified = True
        uow.commit()
    planning(app).tick()
    [sent] = await app.delivered()
    assert sent.address == "family@example.com"
    assert "100.00" not in sent.body and "ACC-1" not in sent.body


# ---------------------------------------------------------------- opt-out scope
async def test_dont_email_me_by_sms_stops_email_and_not_the_texts(clock: FixedClock) -> None:
    """Reg F 1006.14(h): a request not to use a medium. Before: the SMS number was
    opted out and email kept going."""
    app = memory_app(clock)
    app.add(make_case("ACC", 3, local_today(clock), email=EMAIL))
    await app.say("ACC", "don't email me again")
    case = app.case("ACC")
    sms, email = case.contact(ChannelKind.SMS, PHONE), case.contact(ChannelKind.EMAIL, EMAIL)
    assert sms is not None and email is not None
    assert email.opted_out_at is not None and sms.opted_out_at is None
    [confirmation] = await app.delivered()
    assert confirmation.address == PHONE and "recorded your request" in confirmation.body


async def test_a_bare_stop_opts_out_the_address_it_came_from(clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC", 3, local_today(clock), email=EMAIL))
    await app.say("ACC", "stop sending these", ChannelKind.EMAIL)
    case = app.case("ACC")
    assert case.contact(ChannelKind.EMAIL, EMAIL).opted_out_at is not None  # type: ignore[union-attr]
    assert case.contact(ChannelKind.SMS, PHONE).opted_out_at is None  # type: ignore[union-attr]


async def test_leave_me_alone_stops_every_medium_and_places_a_cease_hold(
        clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC", 3, local_today(clock), email=EMAIL))
    await app.say("ACC", "leave me alone")
    case = app.case("ACC")
    assert all(cp.opted_out_at is not None for cp in case.contacts)
    assert Hold.CEASE in case.holds


# ---------------------------------------------------------------- no fallback after 21610
SMS_THEN_EMAIL = """
    id: sms-first
    name: SMS first
    profile: US-RegF
    {extra}
    steps:
      - {{id: notice, trigger: {{dpd: 1}}, channels: [sms, email], template: first_notice}}
"""


@pytest.mark.parametrize("allowed", [False, True])
async def test_a_refused_sms_is_not_sent_by_email_on_the_next_tick_unless_the_campaign_says(
        clock: FixedClock, tmp_path: Path, allowed: bool) -> None:
    """Twilio 21610 (the customer texted STOP to the carrier): the worker neither retries
    nor falls back, and the next tick does not re-plan the step on email (``no_fallback``)
    unless the campaign sets ``fallback_after_refusal``. Before: the next tick sent it."""
    extra = "fallback_after_refusal: true" if allowed else ""
    app = memory_app(clock, campaign_dir=campaign_dir(tmp_path, SMS_THEN_EMAIL.format(
        extra=extra)), sandbox_rules={ChannelKind.SMS: {"opted_out": [PHONE]}})
    app.add(make_case("ACC", 1, local_today(clock), email=EMAIL))
    planning(app).tick()
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.failed, stats.fallbacks) == (0, 1, 0)
    clock.advance(timedelta(minutes=5))
    report = planning(app).tick()
    if allowed:
        assert report.enqueued == 1
        assert [e.address for e in await app.delivered()] == [EMAIL]
    else:
        assert report.enqueued == 0
        assert await app.delivered() == []
        [plan] = list(planning(app).plans())
        assert [r.code.value for r in plan.decisions[0].reasons] == ["no_fallback"]


async def test_an_opt_out_before_the_step_went_is_not_followed_by_it_on_email(
        clock: FixedClock, tmp_path: Path) -> None:
    """The customer texts STOP while the step's SMS waits in the outbox: the worker holds
    it back, and the next tick does not send the step by email instead."""
    app = memory_app(clock, campaign_dir=campaign_dir(tmp_path, SMS_THEN_EMAIL.format(
        extra="")))
    app.add(make_case("ACC", 1, local_today(clock), email=EMAIL))
    assert planning(app).tick().enqueued == 1
    await app.say("ACC", "STOP")
    stats = await app.c.dispatcher.drain()
    assert stats.suppressed == 1
    clock.advance(timedelta(days=1))  # the step's stage lasts: before, it went by email now
    assert planning(app).tick().enqueued == 0
    assert await app.delivered() == []  # (the carrier answers STOP itself)
    [plan] = list(planning(app).plans())
    assert [r.code.value for r in plan.decisions[0].reasons] == ["no_fallback"]


# ---------------------------------------------------------------- the campaign's profile
async def test_the_send_time_recheck_uses_the_campaigns_profile_not_the_deployments(
        tmp_path: Path) -> None:
    """DUEBOT_JURISDICTION=CN and a US-RegF campaign: queued at 20:55 New York, not sent
    at 21:30 (Reg F 1006.6(b)(1)). Before: the worker checked CN's 22:00 and sent it."""
    ny_2055 = datetime(2026, 12, 2, 1, 55, tzinfo=UTC)  # 20:55 on Dec 1 in New York
    clock = FixedClock(ny_2055)
    app = memory_app(clock, jurisdiction="CN")
    app.add(make_case("ACC", 1, date(2026, 12, 1)))
    assert planning(app).tick().enqueued == 1
    clock.advance(timedelta(minutes=35))
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.deferred) == (0, 1)
    assert await app.delivered() == []


async def test_the_campaigns_profile_renders_the_mini_miranda(clock: FixedClock) -> None:
    """A CN deployment running a US campaign: the verified email carries the US
    debt-collector disclosure. Before: rendered under CN, without it."""
    app = memory_app(clock, jurisdiction="CN")
    case = make_case("ACC", 1, local_today(clock), phone=None, email=EMAIL)
    case.contacts[0].verified = True
    app.add(case)
    planning(app).tick()
    [message] = outbound(app, "ACC")
    assert "This is a communication from a debt collector" in message.body


# ---------------------------------------------------------------- wrong party
async def test_a_wrong_number_is_acknowledged_once_then_hears_nothing(clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC", 3, local_today(clock), email=EMAIL))
    await app.say("ACC", "wrong number")
    [ack] = await app.delivered()
    assert ack.address == PHONE and "removed this number" in ack.body
    await app.say("ACC", "wrong number, who is this?")
    await app.say("ACC", "please stop texting me about John")
    assert await app.delivered() == []  # before: a second ack and an opt-out confirmation
    case = app.case("ACC")
    assert case.contact(ChannelKind.SMS, PHONE).wrong_party_at is not None  # type: ignore[union-attr]


async def test_a_relative_answering_marks_the_address_shared_not_wrong(
        clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC", 3, local_today(clock), email=EMAIL))
    await app.say("ACC", "This is his wife, he is at work")
    sms = app.case("ACC").contact(ChannelKind.SMS, PHONE)
    assert sms is not None and sms.shared and sms.wrong_party_at is None
    with app.c.uow() as uow:
        assert [i.detail for i in uow.work_items.open_items()] == [
            "a relative answered for the customer"]


# ---------------------------------------------------------------- time-barred debts
async def test_a_time_barred_debt_never_goes_to_legal_review(clock: FixedClock,
                                                             tmp_path: Path) -> None:
    """Reg F 1006.26(b). Before: a 2017 debt still reached the legal_review step."""
    app = memory_app(clock)
    path = write_csv(tmp_path / "old.csv", [*HEADER, "limitation_date"], [
        ["OLD", "Old Debt", "900.00", "USD", "2017-03-01", PHONE, EMAIL, "2023-03-01"]])
    import_cases_file(path, app.c.uow(), settings())
    report = planning(app).tick()
    assert report.escalated == 0
    [plan] = list(planning(app).plans())
    legal = [d for d in plan.decisions if d.step_id == "legal_review"]
    assert legal and "time_barred" in [r.code.value for r in legal[0].reasons]


async def test_a_time_barred_debt_shown_in_full_carries_the_disclosure(
        clock: FixedClock) -> None:
    app = memory_app(clock)
    case = make_case("OLD", 1, local_today(clock), phone=None, email=EMAIL, time_barred=True)
    case.contacts[0].verified = True
    app.add(case)
    planning(app).tick()
    [message] = outbound(app, "OLD")
    assert "1,200.00" in message.body
    assert "Because of the age of your debt, we will not sue you for it." in message.body


# ---------------------------------------------------------------- validation notice
async def test_the_first_message_is_followed_by_the_validation_notice(clock: FixedClock) -> None:
    """Reg F 1006.34: within five days of the first message, the notice with its
    itemisation and the end of the validation period, tracked on the case."""
    app = memory_app(clock)
    app.add(make_case("ACC", 1, local_today(clock), email=EMAIL))
    planning(app).tick()
    [first] = await app.delivered()
    clock.advance(timedelta(days=1))
    planning(app).tick()
    [notice] = await app.delivered()
    assert notice.address == EMAIL and first.address == EMAIL
    assert "Total amount of the debt now: $1,200.00" in notice.body
    assert "dispute all or part of the debt" in notice.body
    assert "This is a communication from a debt collector" in notice.body
    with app.c.uow() as uow:
        view = case_view(uow, "ACC", campaigns=app.c.campaign_book)
    assert view is not None and view["profile"] == "US-RegF"
    validation = view["validation"]
    assert validation["notice_sent_at"] is not None
    # sent Wed 2 Dec; received (at the latest) five business days later, Wed 9 Dec;
    # thirty days after that
    assert validation["period_ends"] == "2027-01-08"
    assert validation["period_ends"] in notice.body.replace("January 8, 2027", "2027-01-08")


async def test_without_a_way_to_send_the_notice_collection_stops_after_five_days(
        clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC", 1, local_today(clock)))  # a phone only: no email for it
    planning(app).tick()
    assert len(await app.delivered()) == 1
    clock.advance(timedelta(days=5))
    planning(app).tick()
    assert await app.delivered() == []
    [plan] = list(planning(app).plans())
    codes = {r.code.value for d in plan.decisions for r in d.reasons}
    assert "validation_notice_missing" in codes


def test_the_shipped_campaign_sends_the_notice_by_email(clock: FixedClock) -> None:
    app = memory_app(clock)
    campaign = app.c.load_campaigns(CAMPAIGNS)["standard-retail-us"]
    step = campaign.step("validation_notice")
    assert (step.template, [c.value for c in step.channels]) == (
        "validation_notice", ["email", "telegram"])


def test_a_contact_point_marked_shared_stays_out_of_verification() -> None:
    from bot.services.outbound import disclosure_for, notice_disclosure

    cp = ContactPoint(ChannelKind.EMAIL, EMAIL, verified=True, shared=True)
    assert disclosure_for(cp).value == "limited" and notice_disclosure(cp).value == "limited"
