"""Frequency caps in rolling windows, per channel and across channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.messages import ChannelKind
from bot.policy import Purpose, ReasonCode, SentRecord, check_contact, get_profile
from bot.policy.frequency import check_frequency, evaluate
from tests.policy.factories import NY, at, email, make_case, sms, telegram

US = get_profile("US-RegF")
CN = get_profile("CN")
SMS, EMAIL, TG = ChannelKind.SMS, ChannelKind.EMAIL, ChannelKind.TELEGRAM
NOON = at(NY, 2025, 3, 12, 12)


def decide(history, cp=None, now=NOON, purpose=Purpose.DUNNING, profile=US):  # type: ignore[no-untyped-def]
    cp = cp or sms()
    case = make_case(contacts=[cp], timezone="America/New_York")
    return check_contact(case, cp, profile, history, now, purpose)


def test_second_sms_within_24_hours_is_denied() -> None:
    history = [(SMS, NOON - timedelta(hours=3))]
    d = decide(history)
    assert d.codes == (ReasonCode.FREQUENCY_CHANNEL,)
    assert d.reasons[0].channel is SMS
    assert d.not_before == NOON + timedelta(hours=21)


def test_sms_exactly_24_hours_later_is_allowed() -> None:
    assert decide([(SMS, NOON - timedelta(days=1))]).allowed
    assert not decide([(SMS, NOON - timedelta(days=1) + timedelta(seconds=1))]).allowed


def test_other_channel_same_day_is_allowed() -> None:
    assert decide([(SMS, NOON - timedelta(hours=3))], cp=email()).allowed


def test_fourth_sms_in_seven_days_is_denied() -> None:
    history = [(SMS, NOON - timedelta(days=d)) for d in (2, 4, 6)]
    d = decide(history)
    assert d.codes == (ReasonCode.FREQUENCY_CHANNEL,)
    assert "3 sent on sms in the last 7 days" in d.reasons[0].detail
    # the oldest leaves the window after 7 days: one day later
    assert d.not_before == NOON + timedelta(days=1)
    assert decide([(SMS, NOON - timedelta(days=d)) for d in (2, 4, 7)]).allowed


def test_eighth_contact_across_channels_is_denied() -> None:
    history = [(SMS, NOON - timedelta(days=d, hours=1)) for d in (1, 3, 5)] + \
              [(EMAIL, NOON - timedelta(days=d, hours=2)) for d in (1, 2, 4, 6)]
    d = decide(history, cp=telegram())
    assert d.codes == (ReasonCode.FREQUENCY_TOTAL,)
    assert d.reasons[0].channel is None
    assert "all channels" in d.reasons[0].detail
    # the seventh is fine
    assert decide(history[1:], cp=telegram()).allowed


def test_cn_allows_two_messages_a_day_across_channels() -> None:
    case_now = at(NY, 2025, 3, 12, 12)
    hist = [(SMS, case_now - timedelta(hours=2))]
    assert evaluate(hist, TG, case_now, CN)[0] == []
    hist.append((EMAIL, case_now - timedelta(hours=1)))
    reasons = check_frequency(hist, TG, case_now, CN)
    assert [r.code for r in reasons] == [ReasonCode.FREQUENCY_TOTAL]
    assert check_frequency(hist, TG, case_now, US) == []


def test_failed_and_non_message_records_do_not_count() -> None:
    failed = SentRecord(SMS, NOON - timedelta(hours=1), failed=True)
    legal = SentRecord(None, NOON - timedelta(hours=1), step_id="legal")
    assert decide([failed, legal]).allowed
    assert not decide([SentRecord(SMS, NOON - timedelta(hours=1))]).allowed


def test_replies_are_exempt_from_caps() -> None:
    history = [(SMS, NOON - timedelta(minutes=10))] * 5
    assert decide(history, purpose=Purpose.REPLY).allowed
    assert not decide(history).allowed


def test_future_records_do_not_count() -> None:
    # a record timestamped after "now" (clock skew) must not block the present
    assert check_frequency([(SMS, NOON + timedelta(hours=1))], SMS, NOON, US) == []


def test_naive_history_times_are_utc() -> None:
    naive = (NOON - timedelta(hours=1)).replace(tzinfo=None)
    assert [r.code for r in check_frequency([(SMS, naive)], SMS, NOON, US)] == [
        ReasonCode.FREQUENCY_CHANNEL]


@settings(max_examples=200, deadline=None)
@given(offsets=st.lists(st.integers(min_value=0, max_value=14 * 24 * 60), max_size=12))
def test_channel_caps_match_a_plain_count(offsets: list[int]) -> None:
    now = datetime(2025, 3, 12, 16, tzinfo=UTC)
    history = [(SMS, now - timedelta(minutes=m)) for m in offsets]
    reasons, free = evaluate(history, SMS, now, US)
    day = sum(1 for m in offsets if m < 24 * 60)
    week = sum(1 for m in offsets if m < 7 * 24 * 60)
    expect_channel = day >= 1 or week >= 3
    expect_total = week >= 7
    codes = [r.code for r in reasons]
    assert (ReasonCode.FREQUENCY_CHANNEL in codes) is expect_channel
    assert (ReasonCode.FREQUENCY_TOTAL in codes) is expect_total
    if reasons:
        # at the freeing instant every cap has room, and not a second before
        assert free is not None and free > now
        assert evaluate(history, SMS, free, US)[0] == []
        assert evaluate(history, SMS, free - timedelta(seconds=1), US)[0] != []


# ---------------------------------------------------------------- per person, per address
def mine(channel: ChannelKind, when: datetime, address: str = "+14155550123",
         account: str = "ACC-2", **kw: object) -> SentRecord:
    return SentRecord(channel, when, address=address, account=account, **kw)  # type: ignore[arg-type]


def test_caps_count_what_the_customers_other_accounts_got() -> None:
    """FCA CONC 7.9.4R / CN: frequency per customer, not per account."""
    related = [mine(EMAIL, NOON - timedelta(hours=2), address="x@example.com")]
    reasons, _ = evaluate([], EMAIL, NOON, US, related=related, address="y@example.com")
    assert [r.code for r in reasons] == [ReasonCode.FREQUENCY_CHANNEL]
    assert reasons[0].accounts == ("ACC-2",) and "with 1 other account" in reasons[0].detail
    assert "ACC-2" not in str(reasons[0])  # the decision log never holds another account
    week = [mine(SMS, NOON - timedelta(days=d), account=f"ACC-{d}") for d in (1, 2, 3)]
    reasons, _ = evaluate([], SMS, NOON + timedelta(hours=1), CN, related=week)
    assert [r.code for r in reasons] == [ReasonCode.FREQUENCY_CHANNEL]  # 3 in 7 days
    assert reasons[0].accounts == ("ACC-1", "ACC-2", "ACC-3")


def test_another_customers_messages_count_at_the_shared_address_only() -> None:
    theirs = [mine(SMS, NOON - timedelta(hours=1), other_customer=True, account="THEIRS")]
    reasons, free = evaluate([], SMS, NOON, US, related=theirs, address="+14155550123")
    assert [r.code for r in reasons] == [ReasonCode.FREQUENCY_CONTACT_POINT]
    assert reasons[0].accounts == ("THEIRS",) and free == NOON + timedelta(hours=23)
    # not the person's caps, and not another address
    assert evaluate([], SMS, NOON, US, related=theirs, address="+14155550999") == ([], None)
    assert evaluate([], EMAIL, NOON, US, related=theirs, address="x@example.com") == ([], None)


def test_the_address_cap_is_time_bound_in_a_decision() -> None:
    cp = sms()
    case = make_case(contacts=[cp], timezone="America/New_York")
    theirs = [mine(SMS, NOON - timedelta(hours=1), other_customer=True)]
    d = check_contact(case, cp, US, [], NOON, related=theirs)
    assert d.codes == (ReasonCode.FREQUENCY_CONTACT_POINT,)
    assert d.not_before == NOON + timedelta(hours=23)
    assert "(counted: ACC-2)" in d.explain()
    assert check_contact(case, cp, US, [], NOON, Purpose.REPLY, related=theirs).allowed
