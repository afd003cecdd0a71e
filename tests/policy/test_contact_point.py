"""Contact-point rules through the engine: each one denies, and the allow side is shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.messages import ChannelKind
from bot.policy import Purpose, ReasonCode, check_contact, get_profile
from bot.policy.contact_point import ContactRole, contact_role
from tests.policy.factories import NY, SMS_ADDR, RoledContactPoint, at, make_case, sms

US = get_profile("US-RegF")
NOON = at(NY, 2025, 3, 12, 12)
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def decide(cp, purpose=Purpose.DUNNING):  # type: ignore[no-untyped-def]
    case = make_case(contacts=[cp])
    return check_contact(case, cp, US, [], NOON, purpose)


def test_clean_contact_point_is_allowed() -> None:
    assert decide(sms()).allowed


def test_opted_out_contact_point_denied_for_every_purpose() -> None:
    cp = sms(opted_out_at=T0, opt_out_source="carrier-stop")
    for purpose in (Purpose.DUNNING, Purpose.REPLY):
        d = decide(cp, purpose)
        assert d.codes == (ReasonCode.OPTED_OUT,), purpose
    assert ReasonCode.OPTED_OUT in decide(cp, Purpose.PROMISE_REMINDER).codes
    assert "carrier-stop" in d.reasons[0].detail
    assert d.reasons[0].channel is ChannelKind.SMS


def test_invalid_address_denied() -> None:
    d = decide(sms(invalid_at=T0, invalid_reason="unknown number"))
    assert d.codes == (ReasonCode.INVALID_ADDRESS,)
    assert d.reasons[0].detail == "unknown number"


def test_wrong_party_denied_even_for_replies() -> None:
    cp = sms(wrong_party_at=T0)
    assert decide(cp).codes == (ReasonCode.WRONG_PARTY,)
    assert decide(cp, Purpose.REPLY).codes == (ReasonCode.WRONG_PARTY,)


def test_no_consent_denies_dunning_but_not_a_reply() -> None:
    cp = sms(consent=False)
    assert decide(cp).codes == (ReasonCode.NO_CONSENT,)
    assert decide(cp, Purpose.PROMISE_REMINDER).codes[-1] is ReasonCode.NO_CONSENT
    assert decide(cp, Purpose.REPLY).allowed


@pytest.mark.parametrize("role", ["emergency", "third_party", "EMERGENCY", "employer"])
def test_third_parties_are_never_messaged(role: str) -> None:
    cp = RoledContactPoint(ChannelKind.SMS, SMS_ADDR, role=role)
    assert ReasonCode.THIRD_PARTY in decide(cp, Purpose.PROMISE_REMINDER).codes
    for purpose in (Purpose.DUNNING, Purpose.REPLY):
        d = decide(cp, purpose)
        assert d.codes == (ReasonCode.THIRD_PARTY,), (role, purpose)
    assert role.lower() in d.reasons[0].detail


def test_customer_role_and_missing_role_are_the_customer() -> None:
    assert decide(RoledContactPoint(ChannelKind.SMS, SMS_ADDR, role="customer")).allowed
    assert contact_role(sms()) is ContactRole.CUSTOMER
    assert contact_role(RoledContactPoint(ChannelKind.SMS, SMS_ADDR, role="")) is \
        ContactRole.CUSTOMER


def test_reasons_never_carry_the_full_address() -> None:
    d = decide(sms(opted_out_at=T0, invalid_at=T0, wrong_party_at=T0, consent=False))
    assert len(d.codes) == 4
    text = d.explain() + repr(d) + repr(d.to_record())
    assert SMS_ADDR not in text
    assert "0123" in text  # masked form keeps the tail
