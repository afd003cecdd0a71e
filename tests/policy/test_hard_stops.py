"""One test per hard stop, through the engine: the stop denies, and without it the same
contact is allowed (so deleting the rule makes the test fail)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.domain.case import CaseStatus, Hold
from bot.policy import Purpose, ReasonCode, check_contact, get_profile
from bot.policy.hard_stops import check_case
from tests.policy.factories import NY, at, make_case, sms

US = get_profile("US-RegF")
NOON = at(NY, 2025, 3, 12, 12)  # a Wednesday, not a holiday
TODAY = date(2025, 3, 12)
T0 = datetime(2025, 3, 1, 12, tzinfo=NOON.tzinfo)


def decide(case, purpose=Purpose.DUNNING, now=NOON):  # type: ignore[no-untyped-def]
    return check_contact(case, case.contacts[0], US, [], now, purpose)


def test_baseline_case_is_allowed() -> None:
    assert decide(make_case()).allowed


@pytest.mark.parametrize("status", [CaseStatus.CLOSED_PAID, CaseStatus.CLOSED_WRITTEN_OFF])
def test_closed_case_is_never_dunned(status: CaseStatus) -> None:
    case = make_case(status=status)
    d = decide(case)
    assert not d.allowed
    assert d.codes == (ReasonCode.CLOSED,)
    assert not decide(case, Purpose.PROMISE_REMINDER).allowed
    # the customer may still get an answer to their own message
    assert decide(case, Purpose.REPLY).allowed


HOLD_CODES = {
    Hold.DISPUTE: ReasonCode.HOLD_DISPUTE,
    Hold.CEASE: ReasonCode.HOLD_CEASE,
    Hold.ATTORNEY: ReasonCode.HOLD_ATTORNEY,
    Hold.BANKRUPTCY: ReasonCode.HOLD_BANKRUPTCY,
    Hold.VULNERABLE: ReasonCode.HOLD_VULNERABLE,
    Hold.HUMAN: ReasonCode.HOLD_HUMAN,
    Hold.OPTED_OUT: ReasonCode.HOLD_OPTED_OUT,
    Hold.WRONG_PARTY: ReasonCode.HOLD_WRONG_PARTY,
    Hold.PAYMENT_CLAIMED: ReasonCode.HOLD_PAYMENT_CLAIMED,
    Hold.DECEASED: ReasonCode.HOLD_DECEASED,
    Hold.COMPLAINT: ReasonCode.HOLD_COMPLAINT,
    Hold.BREATHING_SPACE: ReasonCode.HOLD_BREATHING_SPACE,
}
REPLY_ALLOWED = {Hold.DISPUTE, Hold.CEASE, Hold.PAYMENT_CLAIMED}


@pytest.mark.parametrize("hold", list(Hold))
def test_every_hold_denies_dunning_and_reminders(hold: Hold) -> None:
    case = make_case()
    assert decide(case).allowed
    case.place_hold(hold, T0, "tester", "test")
    d = decide(case)
    assert not d.allowed
    assert HOLD_CODES[hold] in d.codes
    assert HOLD_CODES[hold] in decide(case, Purpose.PROMISE_REMINDER).codes


@pytest.mark.parametrize("hold", list(Hold))
def test_replies_under_each_hold_follow_the_table(hold: Hold) -> None:
    case = make_case()
    case.place_hold(hold, T0, "tester", "test")
    d = decide(case, Purpose.REPLY)
    assert d.allowed is (hold in REPLY_ALLOWED), d.explain()


@pytest.mark.parametrize("hold", list(Hold))
def test_a_persons_reply_goes_under_the_holds_that_mean_a_person_answers(hold: Hold) -> None:
    """Vulnerable, deceased, complaint, breathing space: the bot stays silent so that a
    person answers; that person's reply must go. Every other hold binds a person too."""
    from bot.policy.hard_stops import PERSON_ONLY

    case = make_case()
    case.place_hold(hold, T0, "tester", "test",
                    TODAY if hold is Hold.BREATHING_SPACE else None)
    d = check_contact(case, case.contacts[0], US, [], NOON, Purpose.REPLY, by_person=True)
    assert d.allowed is (hold in REPLY_ALLOWED | PERSON_ONLY), d.explain()
    assert {Hold.VULNERABLE, Hold.DECEASED, Hold.COMPLAINT,
                           Hold.BREATHING_SPACE} == PERSON_ONLY
    assert not check_contact(case, case.contacts[0], US, [], NOON,
                             Purpose.DUNNING, by_person=True).allowed


def test_a_breathing_space_stops_everything_until_its_last_day_then_lapses() -> None:
    """UK Debt Respite Scheme: no contact about the debt during the moratorium."""
    case = make_case()
    case.place_hold(Hold.BREATHING_SPACE, T0, "user:ann", "moratorium notice", TODAY)
    d = decide(case)
    assert d.codes == (ReasonCode.HOLD_BREATHING_SPACE,)
    assert "until 2025-03-12" in d.reasons[0].detail
    assert not decide(case, Purpose.REPLY).allowed
    assert decide(case, now=NOON + timedelta(days=1)).allowed  # after its last day


def test_only_a_breathing_space_has_an_end_date() -> None:
    from bot.domain.case import TransitionError

    with pytest.raises(TransitionError, match="only a breathing space"):
        make_case().place_hold(Hold.VULNERABLE, T0, "user:ann", "x", TODAY)


def test_collector_holding_the_conversation_silences_the_bot() -> None:
    case = make_case()
    case.take_over("alice", T0)
    d = decide(case)
    assert d.codes == (ReasonCode.HOLD_HUMAN,)
    assert "alice" in d.reasons[0].detail
    assert not decide(case, Purpose.REPLY).allowed
    case.hand_back("alice", T0)
    assert decide(case).allowed


def test_dispute_status_denies_until_verified() -> None:
    case = make_case()
    case.open_dispute(T0, "customer", "not my debt")
    assert ReasonCode.HOLD_DISPUTE in decide(case).codes
    case.resolve_dispute("verified", T0, "collector:bob")
    assert decide(case).allowed


def test_legal_review_queue_denies_dunning() -> None:
    case = make_case()
    case.escalate_to_legal_review(T0, "system", "dpd 60")
    assert decide(case).codes == (ReasonCode.LEGAL_REVIEW,)
    assert decide(case, Purpose.REPLY).allowed


def test_legal_hold_status_without_a_recorded_hold_still_denies() -> None:
    case = make_case(status=CaseStatus.LEGAL_HOLD)
    assert ReasonCode.LEGAL_HOLD in decide(case).codes
    assert not decide(case, Purpose.REPLY).allowed


class TestPendingPromise:
    def promised(self, due: date):  # type: ignore[no-untyped-def]
        case = make_case()
        case.make_promise([(50_00, due)], T0, "customer")
        return case

    def test_no_dunning_while_promise_pending(self) -> None:
        case = self.promised(TODAY + timedelta(days=5))
        d = decide(case)
        assert d.codes == (ReasonCode.PENDING_PROMISE,)
        assert "P1" in d.reasons[0].detail

    def test_no_dunning_on_the_due_date_itself(self) -> None:
        assert decide(self.promised(TODAY)).codes == (ReasonCode.PENDING_PROMISE,)

    def test_dunning_resumes_once_the_due_date_has_passed(self) -> None:
        # not yet marked broken by the nightly job, but its day is over
        assert decide(self.promised(TODAY - timedelta(days=1))).allowed

    def test_reminder_allowed_the_day_before(self) -> None:
        case = self.promised(TODAY + timedelta(days=1))
        assert decide(case, Purpose.PROMISE_REMINDER).allowed
        assert not decide(case).allowed

    @pytest.mark.parametrize("days_ahead", [0, 2, 10])
    def test_reminder_denied_on_other_days(self, days_ahead: int) -> None:
        case = self.promised(TODAY + timedelta(days=days_ahead))
        assert decide(case, Purpose.PROMISE_REMINDER).codes == (ReasonCode.REMINDER_NOT_DUE,)

    def test_reminder_without_a_promise_is_denied(self) -> None:
        assert decide(make_case(), Purpose.PROMISE_REMINDER).codes == (
            ReasonCode.REMINDER_NOT_DUE,)

    def test_reminder_day_is_the_customers_local_day(self) -> None:
        # 23:30 in New York on the 12th is already the 13th in UTC
        case = self.promised(TODAY + timedelta(days=1))
        late = at(NY, 2025, 3, 12, 23, 30)
        assert check_case(case, Purpose.PROMISE_REMINDER, TODAY) == []
        d = check_contact(case, case.contacts[0], US, [], late, Purpose.PROMISE_REMINDER)
        assert ReasonCode.REMINDER_NOT_DUE not in d.codes
        assert ReasonCode.OUTSIDE_HOURS in d.codes

    def test_undated_promise_blocks_dunning(self) -> None:
        case = make_case()
        case.make_promise([(50_00, None)], T0, "customer")
        assert decide(case).codes == (ReasonCode.PENDING_PROMISE,)


def test_all_reasons_are_collected_not_just_the_first() -> None:
    case = make_case(contacts=[sms(consent=False)])
    case.place_hold(Hold.CEASE, T0, "customer")
    case.place_hold(Hold.VULNERABLE, T0, "collector:bob")
    d = check_contact(case, case.contacts[0], US, [], at(NY, 2025, 3, 12, 7, 0))
    assert set(d.codes) == {ReasonCode.HOLD_CEASE, ReasonCode.HOLD_VULNERABLE,
                            ReasonCode.NO_CONSENT, ReasonCode.OUTSIDE_HOURS}
    assert d.not_before is None  # hard stops never clear by themselves


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_contact(make_case(), sms(), US, [], datetime(2025, 3, 12, 12))
