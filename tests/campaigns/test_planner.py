"""plan_case: which step is due, catch-up, events, conditions, variants, channel fallback."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campaigns import Campaign, idempotency_key, parse_campaign, plan_case
from bot.domain.case import CaseStatus, Hold
from bot.domain.messages import ChannelKind
from bot.policy import Action, Decision, Purpose, ReasonCode, SentRecord, get_profile
from tests.policy.factories import (
    NY,
    SMS_ADDR,
    RoledContactPoint,
    at,
    email,
    make_case,
    sms,
    telegram,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PATH = ROOT / "campaigns" / "example.yaml"
EXAMPLE = parse_campaign(EXAMPLE_PATH.read_text(encoding="utf-8"), str(EXAMPLE_PATH))
US = get_profile("US-RegF")
#: the US profile without its validation-notice rule: the tests of step scheduling below
#: plan histories without a notice (the rule has its own tests, with ``US``)
US_STEPS = dataclasses.replace(US, validation_notice_days=None)
DUE = date(2025, 3, 3)  # a Monday; days 1..60 after it hold no US public holiday
SMS, EMAIL, TG = ChannelKind.SMS, ChannelKind.EMAIL, ChannelKind.TELEGRAM


def day(dpd: int, hour: int = 12, minute: int = 0) -> datetime:
    d = DUE + timedelta(days=dpd)
    return at(NY, d.year, d.month, d.day, hour, minute)


def case(**kw: Any):  # type: ignore[no-untyped-def]
    return make_case(due=DUE, **kw)


def plan(c, now, history=(), campaign=EXAMPLE, **kw):  # type: ignore[no-untyped-def]
    return plan_case(c, campaign, kw.pop("profile", US_STEPS), list(history), now, **kw)


def sent(step: str, when: datetime, channel: ChannelKind | None = SMS, **kw: Any) -> SentRecord:
    return SentRecord(channel, when, step_id=step, campaign_id=EXAMPLE.id, **kw)


def simple(channels: list[str], **step: Any) -> Campaign:
    return Campaign.model_validate({
        "id": "simple", "name": "Simple", "profile": "US-RegF",
        "steps": [{"id": "notice", "trigger": {"dpd": 1}, "channels": channels,
                   "template": "first_notice", **step}],
    })


def only(decisions: list[Decision]) -> Decision:
    assert len(decisions) == 1, [d.explain() for d in decisions]
    return decisions[0]


# ---------------------------------------------------------------- days past due


def test_first_notice_on_day_one_uses_the_first_available_channel() -> None:
    d = only(plan(case(), day(1)))
    assert d.allowed
    assert (d.step_id, d.template_id, d.channel, d.purpose) == (
        "first_notice", "first_notice", EMAIL, Purpose.DUNNING)  # no telegram contact
    assert d.address == "jane.doe@example.com"
    assert d.campaign_id == EXAMPLE.id and d.variant is None
    assert d.idempotency_key == idempotency_key("ACC-0001", "first_notice", None, DUE +
                                                timedelta(days=1))
    assert d.risk_band == "medium"  # dpd 1 (10) + 1,200.00 (10) + no reply (15) = 35


def test_telegram_first_when_the_customer_has_it() -> None:
    d = only(plan(case(contacts=[sms(), email(), telegram()]), day(1)))
    assert d.channel is TG


def test_nothing_due_before_the_first_trigger() -> None:
    assert plan(case(), day(-5)) == []


def test_courtesy_reminder_before_the_due_date_with_catch_up() -> None:
    assert only(plan(case(), day(-3))).template_id == "courtesy_reminder"
    assert only(plan(case(), day(-1))).template_id == "courtesy_reminder"  # caught up
    assert plan(case(), day(-1), [sent("courtesy", day(-3))]) == []


def test_a_cured_case_gets_no_dpd_step() -> None:
    c = case(minimum_payment_minor=50_00)
    c.record_payment("R1", 50_00, day(2))
    assert c.compute_days_past_due(DUE + timedelta(days=6)) == 0
    assert plan(c, day(6)) == []


def test_a_missed_step_is_caught_up_until_the_next_steps_day() -> None:
    assert only(plan(case(), day(3))).step_id == "first_notice"
    assert plan(case(), day(4), [sent("first_notice", day(1))]) == []
    # on day 5 the stage is "reminder"; the unsent first notice is skipped, not sent late
    assert only(plan(case(), day(5))).step_id == "reminder"


def test_steps_sent_in_an_earlier_cycle_do_not_count() -> None:
    previous_cycle = sent("first_notice", day(-40))
    assert only(plan(case(), day(1), [previous_cycle])).allowed
    assert plan(case(), day(1, 15), [sent("first_notice", day(1, 9))]) == []


def test_outside_hours_is_a_denial_with_the_next_possible_time() -> None:
    d = only(plan(case(), day(1, 7)))
    assert not d.allowed
    assert set(d.codes) == {ReasonCode.NO_CONTACT_POINT, ReasonCode.OUTSIDE_HOURS,
                            ReasonCode.NO_CHANNEL}
    assert d.codes.count(ReasonCode.OUTSIDE_HOURS) == 1  # not repeated per channel
    assert d.not_before == day(1, 8)
    assert d.step_id == "first_notice" and d.template_id == "first_notice"
    assert "DENY step first_notice" in d.explain() and "outside_hours" in d.explain()


# ---------------------------------------------------------------- channel fallback


def test_opted_out_contact_falls_back_to_the_next_channel() -> None:
    camp = simple(["sms", "email"])
    assert only(plan(case(), day(1), campaign=camp)).channel is SMS
    out = case(contacts=[sms(opted_out_at=day(-10)), email()])
    d = only(plan(out, day(1), campaign=camp))
    assert d.allowed and d.channel is EMAIL


def test_frequency_cap_on_one_channel_falls_back_to_another() -> None:
    camp = simple(["sms", "email"])
    reply = SentRecord(SMS, day(1, 9))
    assert only(plan(case(), day(1), [reply], campaign=camp)).channel is EMAIL


def test_third_party_is_never_contacted() -> None:
    camp = simple(["sms", "email"])
    emergency = RoledContactPoint(SMS, "+14155559876", role="emergency")
    c = case(contacts=[emergency, email(opted_out_at=day(-10))])
    d = only(plan(c, day(1), campaign=camp))
    assert not d.allowed
    assert {ReasonCode.THIRD_PARTY, ReasonCode.OPTED_OUT, ReasonCode.NO_CHANNEL} <= set(d.codes)
    # the customer's own number after the emergency contact is the one used
    c = case(contacts=[emergency, sms(), email()])
    d = only(plan(c, day(1), campaign=camp))
    assert d.address == SMS_ADDR


def test_failed_delivery_falls_back_with_a_new_idempotency_key() -> None:
    first = only(plan(case(), day(1)))
    failed = sent("first_notice", day(1, 9), EMAIL, failed=True)
    d = only(plan(case(), day(1), [failed]))
    assert d.allowed and d.channel is SMS
    assert d.idempotency_key != first.idempotency_key
    # the failed attempt neither counts as sent nor against the caps
    assert only(plan(case(), day(1), [failed])).allowed


def test_no_contact_points_at_all() -> None:
    d = only(plan(case(contacts=[]), day(1)))
    assert d.codes == (ReasonCode.NO_CONTACT_POINT,) * 3 + (ReasonCode.NO_CHANNEL,)


# ---------------------------------------------------------------- hard stops


def test_a_hard_stop_is_reported_alone() -> None:
    c = case()
    c.place_hold(Hold.CEASE, day(0), "customer")
    d = only(plan(c, day(1)))
    assert d.codes == (ReasonCode.HOLD_CEASE,)
    assert d.not_before is None


@pytest.mark.parametrize("status", [CaseStatus.CLOSED_PAID, CaseStatus.CLOSED_WRITTEN_OFF])
def test_closed_cases_plan_nothing(status: CaseStatus) -> None:
    assert plan(case(status=status), day(5)) == []


def test_disabled_campaign_plans_nothing() -> None:
    camp = EXAMPLE.model_copy(update={"enabled": False})
    assert plan(case(), day(1), campaign=camp) == []


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(case(), datetime(2025, 3, 4, 12))


# ---------------------------------------------------------------- promises


def promised(due_dpd: int, *more_dpd: int):  # type: ignore[no-untyped-def]
    c = case()
    terms = [(40_00, DUE + timedelta(days=d)) for d in (due_dpd, *more_dpd)]
    c.make_promise(terms, day(4), "customer")
    return c


def test_pending_promise_blocks_dunning() -> None:
    d = only(plan(promised(8), day(5)))
    assert d.step_id == "reminder" and d.codes == (ReasonCode.PENDING_PROMISE,)


def test_reminder_the_day_before_the_promise_instead() -> None:
    decisions = plan(promised(8), day(7))
    first, second = decisions
    assert first.allowed and first.step_id == "promise_due_tomorrow"
    assert (first.purpose, first.ref, first.template_id) == (
        Purpose.PROMISE_REMINDER, "P1", "promise_due_tomorrow")
    assert second.step_id == "reminder" and second.codes == (ReasonCode.SUPERSEDED,)
    history = [sent("promise_due_tomorrow", day(7, 9), ref="P1")]
    assert only(plan(promised(8), day(7), history)).step_id == "reminder"


def test_instalments_use_the_instalment_step() -> None:
    d = plan(promised(8, 22), day(7))[0]
    assert d.allowed and d.step_id == "instalment_due" and d.ref == "P1"
    d = plan(promised(8, 22), day(21))[0]
    assert d.step_id == "instalment_due" and d.ref == "P2"


def test_promise_broken_after_its_grace_day() -> None:
    c = promised(8)
    history = [sent("reminder", day(5))]
    assert plan(c, day(9), history) == []  # due day 8, +1 day, + after_days 1 = day 10
    d = only(plan(c, day(10), history))
    assert d.allowed and (d.step_id, d.ref, d.purpose) == ("promise_broken", "P1",
                                                           Purpose.DUNNING)
    history.append(sent("promise_broken", day(10, 9), EMAIL, ref="P1"))
    assert plan(c, day(11), history) == []


def test_promise_broken_catch_up_ends() -> None:
    c = promised(8)
    history = [sent("reminder", day(5))]
    replied = [day(6)]  # (else a no-response nudge is due too)
    assert only(plan(c, day(13), history, inbound=replied)).step_id == "promise_broken"
    assert plan(c, day(14), history, inbound=replied) == []  # 10 + 3 catch-up days


def test_a_new_promise_cancels_the_broken_promise_message() -> None:
    c = promised(8)
    c.break_overdue_promises(DUE + timedelta(days=9), day(9))
    c.make_promise([(40_00, DUE + timedelta(days=20))], day(9, 15), "customer")
    history = [sent("reminder", day(5))]
    assert plan(c, day(10), history) == []


def test_broken_promise_and_dpd_step_on_the_same_day() -> None:
    c = promised(13)
    history = [sent("first_notice", day(1)), sent("reminder", day(5), EMAIL)]
    first, second = plan(c, day(15), history, inbound=[day(6)])
    assert first.step_id == "promise_broken" and first.allowed
    assert second.step_id == "follow_up" and second.codes == (ReasonCode.SUPERSEDED,)


# ---------------------------------------------------------------- no response


def test_no_response_after_seven_days_of_silence() -> None:
    history = [sent("first_notice", day(1)), sent("reminder", day(5))]
    assert plan(case(), day(11), history) == []
    d = only(plan(case(), day(12), history))
    assert d.step_id == "no_response" and d.allowed
    assert d.ref == f"silence:{(DUE + timedelta(days=5)).isoformat()}"
    # an inbound message since our last one: no nudge
    assert plan(case(), day(12), history, inbound=[day(6)]) == []
    # once per silence
    history.append(sent("no_response", day(12, 9), EMAIL, ref=d.ref))
    assert plan(case(), day(14), history) == []


# ---------------------------------------------------------------- conditions, legal review


def test_conditions_choose_between_steps_sharing_a_trigger() -> None:
    history = [sent("reminder", day(5))]
    replied = [day(6)]
    c = case(risk_band_override="high")
    assert only(plan(c, day(15), history, inbound=replied)).step_id == "follow_up_high_risk"
    c = case(risk_band_override="low")
    assert only(plan(c, day(15), history, inbound=replied)).step_id == "follow_up"


def legal_history() -> list[SentRecord]:
    return [sent("pre_legal", day(45)), SentRecord(EMAIL, day(55))]


def test_legal_review_at_sixty_days() -> None:
    d = only(plan(case(), day(60), legal_history()))
    assert d.allowed and d.action is Action.LEGAL_REVIEW and d.step_id == "legal_review"
    assert d.channel is None and d.template_id is None
    assert d.explain() == "LEGAL REVIEW step legal_review"
    escalated = [*legal_history(), sent("legal_review", day(60, 13), None)]
    assert plan(case(), day(61), escalated) == []


def test_legal_review_respects_hard_stops() -> None:
    c = case()
    c.make_promise([(40_00, DUE + timedelta(days=65))], day(58), "customer")
    d = only(plan(c, day(60), legal_history()))
    assert d.action is Action.LEGAL_REVIEW and d.codes == (ReasonCode.PENDING_PROMISE,)


def test_condition_not_met_is_recorded_on_the_trigger_day_only() -> None:
    small = case(balance_minor=50_00)
    d = only(plan(small, day(60), legal_history()))
    assert d.codes == (ReasonCode.CONDITION_NOT_MET,)
    assert "balance 50.00 below 100.00" in d.reasons[0].detail
    assert plan(small, day(61), legal_history()) == []


# ---------------------------------------------------------------- variants


def test_variant_is_stable_recorded_and_drives_the_channel_order() -> None:
    seen: Counter[str] = Counter()
    history = [sent("first_notice", day(1), EMAIL)]
    for i in range(200):
        c = case()
        c.account_id = f"ACC-{i:05d}"
        d = only(plan(c, day(5), history))
        assert d.step_id == "reminder" and d.variant in ("A", "B")
        assert d.channel is (SMS if d.variant == "A" else EMAIL)
        assert d == only(plan(c, day(5), history))  # stable
        assert d.idempotency_key == idempotency_key(c.account_id, "reminder", d.variant,
                                                    DUE + timedelta(days=5))
        seen[d.variant or ""] += 1
    assert seen["A"] > 60 and seen["B"] > 60


# ---------------------------------------------------------------- a whole delinquency


@settings(max_examples=25, deadline=None)
@given(skipped=st.sets(st.integers(min_value=-5, max_value=75), max_size=25))
def test_simulated_delinquency_sends_each_step_once_in_order(skipped: set[int]) -> None:
    c = case(contacts=[sms(), email(), telegram()])
    history: list[SentRecord] = []
    escalated = False
    for n in range(-5, 76):
        if n in skipped:
            continue
        now = day(n, 12)
        decisions = plan(c, now, history)
        allowed = [d for d in decisions if d.allowed]
        assert len(allowed) <= 1
        for d in allowed:
            assert not escalated
            history.append(SentRecord(d.channel, now, step_id=d.step_id,
                                      campaign_id=d.campaign_id, variant=d.variant, ref=d.ref))
            escalated = d.action is Action.LEGAL_REVIEW
    keys = [(r.step_id, r.ref) for r in history]
    assert len(keys) == len(set(keys)), keys
    order = [EXAMPLE.step(r.step_id).trigger.dpd for r in history  # type: ignore[arg-type]
             if EXAMPLE.step(r.step_id).trigger.dpd is not None]  # type: ignore[arg-type]
    assert order == sorted(order)
    if not {60, 61, 62} <= skipped:
        assert escalated and history[-1].step_id == "legal_review"


# ---------------------------------------------------------------- issue #12: per person
def test_caps_count_the_related_records_and_name_the_accounts() -> None:
    other = SentRecord(SMS, day(1, 9), address=SMS_ADDR, account="ACC-0002")
    d = only(plan(case(contacts=[sms()]), day(1), campaign=simple(["sms"]), related=[other]))
    assert not d.allowed
    assert ReasonCode.FREQUENCY_CHANNEL in d.codes and "(counted: ACC-0002)" in d.explain()


def test_related_records_never_count_as_this_cases_step() -> None:
    # the other account's first notice is not this account's: it does not end the stage
    other = SentRecord(EMAIL, day(-40), step_id="first_notice", campaign_id=EXAMPLE.id,
                       account="ACC-0002")
    assert only(plan(case(), day(1), related=[other])).allowed


# ---------------------------------------------------------------- no fallback after a refusal
def refused_sms(when: datetime) -> SentRecord:
    return SentRecord(SMS, when, step_id="notice", campaign_id="simple", address=SMS_ADDR,
                      failed=True, refused=True)


def test_a_refusal_is_not_followed_by_the_same_step_on_another_channel() -> None:
    d = only(plan(case(), day(1, 13), [refused_sms(day(1, 12))],
                  campaign=simple(["sms", "email"])))
    assert d.codes == (ReasonCode.NO_FALLBACK,) and d.not_before is None
    assert "fallback_after_refusal" in d.explain()


def test_the_campaign_may_allow_the_fallback_after_a_refusal() -> None:
    campaign = simple(["sms", "email"]).model_copy(update={"fallback_after_refusal": True})
    d = only(plan(case(), day(1, 13), [refused_sms(day(1, 12))], campaign=campaign))
    assert d.allowed and d.channel is EMAIL
    # and the other channel's own consent still decides
    no_consent = case(contacts=[sms(), email(consent=False)])
    d = only(plan(no_consent, day(1, 13), [refused_sms(day(1, 12))], campaign=campaign))
    assert not d.allowed and ReasonCode.NO_CONSENT in d.codes


def test_a_bounce_still_falls_back() -> None:
    bounced = SentRecord(SMS, day(1, 12), step_id="notice", campaign_id="simple",
                         address=SMS_ADDR, failed=True)
    d = only(plan(case(), day(1, 13), [bounced], campaign=simple(["sms", "email"])))
    assert d.allowed and d.channel is EMAIL


# ---------------------------------------------------------------- time-barred debts
def test_a_time_barred_debt_gets_no_legal_review() -> None:
    for barred in (case(time_barred=True), case(limitation_date=DUE + timedelta(days=50))):
        d = only(plan(barred, day(60), legal_history()))
        assert not d.allowed and d.action is Action.LEGAL_REVIEW
        assert ReasonCode.TIME_BARRED in d.codes
    assert only(plan(case(limitation_date=DUE + timedelta(days=61)), day(60),
                      legal_history())).allowed


# ---------------------------------------------------------------- validation notice (US)
def notice(when: datetime) -> SentRecord:
    return sent("validation_notice", when, EMAIL, ref="validation")


def test_the_validation_notice_follows_the_first_message() -> None:
    decisions = plan(case(), day(2), [sent("first_notice", day(1), EMAIL)], profile=US)
    first = decisions[0]
    assert (first.step_id, first.template_id, first.ref) == (
        "validation_notice", "validation_notice", "validation")
    assert first.allowed and first.channel is EMAIL
    # nothing before the first message, nothing once it went
    assert only(plan(case(), day(1), profile=US)).step_id == "first_notice"
    assert plan(case(), day(4), [sent("first_notice", day(1), EMAIL), notice(day(2))],
                profile=US) == []
    # a pending promise does not hold it back (it asks for nothing)
    c = case()
    c.make_promise([(40_00, DUE + timedelta(days=20))], day(1, 13), "customer")
    d = plan(c, day(2), [sent("first_notice", day(1), EMAIL)], profile=US)[0]
    assert d.step_id == "validation_notice" and d.allowed


def test_without_the_notice_in_five_days_collection_stops() -> None:
    history = [sent("first_notice", day(1), SMS)]
    no_email = case(contacts=[sms()])
    late = plan(no_email, day(6), history, profile=US)
    dpd = [d for d in late if d.step_id == "reminder"]
    assert dpd and ReasonCode.VALIDATION_NOTICE_MISSING in dpd[0].codes
    early = plan(no_email, day(5), history, profile=US)
    assert [d.step_id for d in early if d.allowed] == ["reminder"]


def test_nothing_overshadows_the_notice_during_its_validation_period() -> None:
    history = [sent("first_notice", day(1), EMAIL), notice(day(2))]
    # the period ends 5 business days + 30 days after day 2 (DUE + 2 = Wed 5 March 2025)
    d = only(plan(case(), day(30), history, profile=US))
    assert d.step_id == "final_notice" and d.codes == (ReasonCode.VALIDATION_PERIOD,)
    assert d.not_before is not None
    assert d.not_before.astimezone(NY).date() == date(2025, 4, 12)  # the day after it ends
    after = only(plan(case(), day(40), history, profile=US))
    assert after.step_id == "final_notice" and after.allowed
    # legal review waits too; the ordinary steps do not
    late_notice = [sent("first_notice", day(1), EMAIL), notice(day(50))]
    legal = only(plan(case(), day(60), [*late_notice, *legal_history()], profile=US))
    assert legal.action is Action.LEGAL_REVIEW and ReasonCode.VALIDATION_PERIOD in legal.codes
    assert only(plan(case(), day(5), history, profile=US)).allowed


def test_a_dispute_inside_the_validation_period_pauses_collection_until_verified() -> None:
    history = [sent("first_notice", day(1), EMAIL), notice(day(2))]
    c = case()
    c.open_dispute(day(3), "customer", "not mine")
    d = only(plan(c, day(5), history, profile=US))
    assert ReasonCode.HOLD_DISPUTE in d.codes
    c.resolve_dispute("verified", day(6), "collector:ann")
    assert only(plan(c, day(7), history, profile=US)).allowed
