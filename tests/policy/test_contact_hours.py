"""Contact window, ambiguous zones, holidays and customer-stated hours, at the boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.messages import ChannelKind
from bot.policy import Purpose, ReasonCode, check_contact, get_profile
from bot.policy.contact_hours import (
    check_hours,
    holiday_country,
    holiday_name,
    next_allowed,
    resolve_zones,
)
from tests.policy.factories import (
    LA,
    LONDON,
    NY,
    SHANGHAI,
    SMS_ADDR,
    ForbiddenHoursContactPoint,
    at,
    make_case,
    sms,
)

US = get_profile("US-RegF")
UK = get_profile("UK-FCA")
CN = get_profile("CN")


def decide(case, now, purpose=Purpose.DUNNING, profile=US, **kw):  # type: ignore[no-untyped-def]
    return check_contact(case, case.contacts[0], profile, [], now, purpose, **kw)


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "allowed"),
    [(7, 59, 59, False), (8, 0, 0, True), (20, 59, 59, True), (21, 0, 0, False),
     (23, 30, 0, False), (3, 0, 0, False)],
)
def test_us_window_0800_to_2100_local(hh: int, mm: int, ss: int, allowed: bool) -> None:
    d = decide(make_case(), at(NY, 2025, 3, 12, hh, mm, ss))
    assert d.allowed is allowed
    if not allowed:
        assert d.codes == (ReasonCode.OUTSIDE_HOURS,)
        assert "America/New_York" in d.reasons[0].detail


@pytest.mark.parametrize(("hh", "mm", "allowed"),
                         [(7, 59, False), (8, 0, True), (21, 59, True), (22, 0, False)])
def test_cn_window_ends_at_2200(hh: int, mm: int, allowed: bool) -> None:
    case = make_case(timezone="Asia/Shanghai")
    assert decide(case, at(SHANGHAI, 2025, 3, 12, hh, mm), profile=CN).allowed is allowed


def test_21h30_is_fine_in_china_but_not_in_the_us() -> None:
    assert decide(make_case(timezone="Asia/Shanghai"), at(SHANGHAI, 2025, 3, 12, 21, 30),
                  profile=CN).allowed
    assert not decide(make_case(timezone="Asia/Shanghai"), at(SHANGHAI, 2025, 3, 12, 21, 30),
                      profile=US).allowed


def test_window_uses_customer_local_time_not_utc() -> None:
    # 13:00 UTC is 09:00 in New York (EDT) but 06:00 in Los Angeles
    now = datetime(2025, 6, 11, 13, 0, tzinfo=UTC)
    assert decide(make_case(timezone="America/New_York"), now).allowed
    assert not decide(make_case(timezone="America/Los_Angeles"), now).allowed


class TestAmbiguousZone:
    def case(self):  # type: ignore[no-untyped-def]
        return make_case(timezone="America/New_York",
                         timezone_candidates=("America/New_York", "America/Los_Angeles"))

    def test_inside_in_one_zone_only_is_denied(self) -> None:
        d = decide(self.case(), at(NY, 2025, 3, 12, 9, 0))  # 06:00 in LA
        assert d.codes == (ReasonCode.OUTSIDE_HOURS,)
        assert "America/Los_Angeles" in d.reasons[0].detail
        assert "America/New_York" not in d.reasons[0].detail

    def test_inside_in_every_zone_is_allowed(self) -> None:
        assert decide(self.case(), at(LA, 2025, 3, 12, 8, 0)).allowed  # 11:00 NY
        assert decide(self.case(), at(NY, 2025, 3, 12, 20, 59)).allowed  # 17:59 LA

    def test_evening_closes_with_the_eastern_zone(self) -> None:
        assert not decide(self.case(), at(NY, 2025, 3, 12, 21, 0)).allowed  # 18:00 LA

    def test_next_allowed_is_the_intersection(self) -> None:
        d = decide(self.case(), at(NY, 2025, 3, 12, 7, 0))
        assert d.not_before == at(LA, 2025, 3, 12, 8, 0)


def test_us_public_holiday_closes_the_whole_day() -> None:
    case = make_case()
    d = decide(case, at(NY, 2025, 7, 4, 12))
    assert d.codes == (ReasonCode.HOLIDAY,)
    assert "Independence Day" in d.reasons[0].detail
    assert decide(case, at(NY, 2025, 7, 3, 12)).allowed
    assert decide(case, at(NY, 2025, 7, 5, 12)).allowed
    assert d.not_before == at(NY, 2025, 7, 5, 8, 0)


def test_holidays_follow_the_customers_local_date_in_every_zone() -> None:
    # 19:00 on 3 July in New York is 09:00 on 4 July in Guam: a holiday in one candidate
    case = make_case(timezone="America/New_York",
                     timezone_candidates=("America/New_York", "Pacific/Guam"))
    d = decide(case, at(NY, 2025, 7, 3, 19, 0))
    assert d.codes == (ReasonCode.HOLIDAY,)
    assert "Pacific/Guam" in d.reasons[0].detail
    assert decide(make_case(), at(NY, 2025, 7, 3, 19, 0)).allowed


def test_uk_and_cn_holidays() -> None:
    uk_case = make_case(timezone="Europe/London")
    assert decide(uk_case, at(LONDON, 2025, 12, 26, 12), profile=UK).codes == (
        ReasonCode.HOLIDAY,)  # Boxing Day
    assert decide(uk_case, at(LONDON, 2025, 7, 4, 12), profile=UK).allowed
    cn_case = make_case(timezone="Asia/Shanghai")
    assert decide(cn_case, at(SHANGHAI, 2025, 1, 29, 12), profile=CN).codes == (
        ReasonCode.HOLIDAY,)  # Spring Festival


def test_customer_country_selects_the_holiday_calendar() -> None:
    case = make_case(timezone="Europe/London", country="GB")
    assert decide(case, at(LONDON, 2025, 12, 26, 12), profile=US).codes == (ReasonCode.HOLIDAY,)
    assert holiday_country("gb", US) == "GB"
    assert holiday_country("ZZ", US) == "US"  # unknown to the package: the profile's
    assert holiday_country(None, CN) == "CN"
    assert holiday_name("US", datetime(2025, 12, 25).date()) == "Christmas Day"


class TestCustomerHours:
    def test_preferred_window_narrows(self) -> None:
        cp = sms(preferred_start=time(18, 0), preferred_end=time(20, 0))
        case = make_case(contacts=[cp])
        d = decide(case, at(NY, 2025, 3, 12, 10, 0))
        assert d.codes == (ReasonCode.PREFERRED_HOURS,)
        assert d.not_before == at(NY, 2025, 3, 12, 18, 0)
        assert decide(case, at(NY, 2025, 3, 12, 18, 0)).allowed
        assert not decide(case, at(NY, 2025, 3, 12, 20, 0)).allowed

    def test_preferred_window_wrapping_midnight(self) -> None:
        cp = sms(preferred_start=time(19, 0), preferred_end=time(9, 0))
        case = make_case(contacts=[cp])
        assert decide(case, at(NY, 2025, 3, 12, 8, 30)).allowed
        assert decide(case, at(NY, 2025, 3, 12, 20, 0)).allowed
        assert decide(case, at(NY, 2025, 3, 12, 12, 0)).codes == (ReasonCode.PREFERRED_HOURS,)
        # the profile window still applies inside the preference
        assert decide(case, at(NY, 2025, 3, 12, 22, 0)).codes[0] is ReasonCode.OUTSIDE_HOURS

    def test_forbidden_hours(self) -> None:
        cp = ForbiddenHoursContactPoint(ChannelKind.SMS, SMS_ADDR,
                                        forbidden_start=time(9, 0), forbidden_end=time(17, 0))
        case = make_case(contacts=[cp])
        assert decide(case, at(NY, 2025, 3, 12, 8, 30)).allowed
        d = decide(case, at(NY, 2025, 3, 12, 9, 0))
        assert d.codes == (ReasonCode.PREFERRED_HOURS,)
        assert d.not_before == at(NY, 2025, 3, 12, 17, 0)
        assert decide(case, at(NY, 2025, 3, 12, 17, 0)).allowed


def test_unknown_timezone_denies() -> None:
    case = make_case(timezone="Mars/Olympus")
    d = decide(case, at(NY, 2025, 3, 12, 12))
    assert d.codes == (ReasonCode.UNKNOWN_TIMEZONE,)
    assert d.not_before is None
    zones, reasons = resolve_zones("Europe/Paris", ["Nowhere/X", "Europe/Paris"])
    assert [z.key for z in zones] == ["Europe/Paris"] and len(reasons) == 1


class TestReplies:
    def test_reply_within_grace_goes_out_at_night(self) -> None:
        now = at(NY, 2025, 3, 12, 23, 10)
        d = decide(make_case(), now, Purpose.REPLY, inbound_at=now - timedelta(minutes=5))
        assert d.allowed

    def test_reply_after_the_grace_waits_for_the_window(self) -> None:
        now = at(NY, 2025, 3, 12, 23, 10)
        d = decide(make_case(), now, Purpose.REPLY, inbound_at=now - timedelta(hours=2))
        assert d.codes == (ReasonCode.OUTSIDE_HOURS,)
        d = decide(make_case(), now, Purpose.REPLY)
        assert d.codes == (ReasonCode.OUTSIDE_HOURS,)

    def test_dunning_gets_no_grace(self) -> None:
        now = at(NY, 2025, 3, 12, 23, 10)
        d = decide(make_case(), now, inbound_at=now - timedelta(minutes=1))
        assert d.codes == (ReasonCode.OUTSIDE_HOURS,)


def test_dst_change_day_uses_wall_clock() -> None:
    # 2025-03-09: New York springs forward at 02:00
    assert not decide(make_case(), at(NY, 2025, 3, 9, 7, 59)).allowed
    assert decide(make_case(), at(NY, 2025, 3, 9, 8, 0)).allowed


ZONE_SETS = [("America/New_York",), ("America/New_York", "America/Los_Angeles"),
             ("Asia/Shanghai",), ("Europe/London", "America/Chicago"), ("Pacific/Auckland",)]


@settings(max_examples=150, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
                      timezones=st.just(UTC)),
    zones=st.sampled_from(ZONE_SETS),
    profile=st.sampled_from([US, UK, CN]),
)
def test_next_allowed_agrees_with_check_hours(when: datetime, zones: tuple[str, ...],
                                              profile) -> None:  # type: ignore[no-untyped-def]
    zs, _ = resolve_zones(zones[0], zones)
    nxt = next_allowed(when, zs, profile)
    assert nxt is not None and nxt >= when
    assert check_hours(nxt, zs, profile) == []
    if check_hours(when, zs, profile) == []:
        assert nxt == when
    else:
        # nothing earlier is allowed: the instant just before is still refused
        assert check_hours(nxt - timedelta(seconds=1), zs, profile) != []
