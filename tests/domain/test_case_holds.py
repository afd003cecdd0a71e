"""Holds: opt-outs, legal holds and their release, wrong party, collectors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.case import CaseStatus, Hold, PromiseStatus
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from tests.domain.factories import AT, EMAIL, PHONE, new_case, reach

S = CaseStatus
T1 = AT + timedelta(hours=1)


def test_opting_out_of_every_contact_point_places_the_opted_out_hold():
    case = reach(S.ACTIVE)
    case.opt_out(ChannelKind.SMS, PHONE, AT, "STOP")
    assert Hold.OPTED_OUT not in case.holds  # email still open
    case.opt_out(ChannelKind.EMAIL, EMAIL, T1, "unsubscribe link")
    assert case.holds[Hold.OPTED_OUT] == "every contact point opted out"
    case.opt_in(ChannelKind.EMAIL, EMAIL, T1, "customer asked")
    assert Hold.OPTED_OUT not in case.holds
    assert case.contacts[0].opted_out_at == AT  # the other opt-out stays


def test_opt_out_on_a_closed_case_is_recorded_without_a_hold():
    case = reach(S.CLOSED_PAID)
    case.opt_out(ChannelKind.SMS, PHONE, AT, "STOP")
    case.opt_out(ChannelKind.EMAIL, EMAIL, AT, "STOP")
    assert case.contacts[0].opted_out_at == AT and Hold.OPTED_OUT not in case.holds


@pytest.mark.parametrize("hold", [Hold.ATTORNEY, Hold.BANKRUPTCY])
@pytest.mark.parametrize("start", [S.ACTIVE, S.PROMISED])
def test_legal_hold_and_release_restores_the_status(hold, start):
    case = reach(start)
    case.place_hold(hold, AT, "collector:ann", "notice received")
    assert case.status is S.LEGAL_HOLD
    if start is S.PROMISED:  # the promise survives the hold
        assert case.promises[0].status is PromiseStatus.PENDING
    case.release_hold(hold, T1, "collector:ann", "withdrawn")
    assert case.status is start


def test_legal_hold_stays_while_either_legal_hold_remains():
    case = reach(S.ACTIVE)
    case.place_hold(Hold.ATTORNEY, AT, "collector:ann")
    case.place_hold(Hold.BANKRUPTCY, AT, "import")
    case.release_hold(Hold.ATTORNEY, T1, "collector:ann")
    assert case.status is S.LEGAL_HOLD
    case.release_hold(Hold.BANKRUPTCY, T1, "collector:ann")
    assert case.status is S.ACTIVE


def test_dispute_during_legal_hold_is_kept_and_surfaces_on_release():
    case = reach(S.LEGAL_HOLD)
    case.open_dispute(AT, "customer", "not mine")
    assert case.status is S.LEGAL_HOLD and Hold.DISPUTE in case.holds
    case.release_hold(Hold.ATTORNEY, T1, "collector:ann")
    assert case.status is S.DISPUTED
    case.resolve_dispute("verified", T1, "collector:ann")
    assert case.status is S.ACTIVE


def test_promise_broken_during_legal_hold_returns_to_active():
    case = reach(S.PROMISED)
    case.place_hold(Hold.ATTORNEY, AT, "collector:ann")
    due = case.promises[0].due
    assert due is not None
    assert case.break_overdue_promises(due + timedelta(days=1), T1) == ["P1"]
    assert case.status is S.LEGAL_HOLD
    case.release_hold(Hold.ATTORNEY, T1, "collector:ann")
    assert case.status is S.ACTIVE


def test_non_legal_holds_do_not_move_the_status():
    case = reach(S.PROMISED)
    for hold in (Hold.CEASE, Hold.VULNERABLE, Hold.PAYMENT_CLAIMED):
        case.place_hold(hold, AT, "customer")
    assert case.status is S.PROMISED
    for hold in (Hold.CEASE, Hold.VULNERABLE, Hold.PAYMENT_CLAIMED):
        case.release_hold(hold, T1, "collector:ann")
    assert case.status is S.PROMISED and not case.holds


def test_wrong_party_on_every_contact_point_places_the_hold():
    case = reach(S.ACTIVE)
    case.invalidate_contact(ChannelKind.SMS, PHONE, AT, "says wrong person", wrong_party=True)
    assert Hold.WRONG_PARTY not in case.holds
    assert case.contacts[0].wrong_party_at == AT and case.contacts[0].invalid_at is None
    assert case.contacts[0].why_unusable() == "wrong_party"
    case.invalidate_contact(ChannelKind.EMAIL, EMAIL, T1, "wrong person", wrong_party=True)
    assert Hold.WRONG_PARTY in case.holds
    assert case.status is S.ACTIVE  # a hold, not a status


def test_wrong_party_with_the_rest_invalid_places_the_hold():
    case = reach(S.ACTIVE)
    case.invalidate_contact(ChannelKind.EMAIL, EMAIL, AT, "hard bounce")
    assert Hold.WRONG_PARTY not in case.holds
    case.invalidate_contact(ChannelKind.SMS, PHONE, T1, "wrong person", wrong_party=True)
    assert Hold.WRONG_PARTY in case.holds


def test_contact_usability_reasons():
    cp = ContactPoint(ChannelKind.SMS, PHONE)
    assert cp.usable and cp.why_unusable() is None
    assert ContactPoint(ChannelKind.SMS, PHONE, consent=False).why_unusable() == "no_consent"
    assert not ContactPoint(ChannelKind.SMS, PHONE, role="emergency").usable
    assert ContactPoint(ChannelKind.SMS, PHONE, opted_out_at=AT,
                        invalid_at=AT).why_unusable() == "opted_out"


def test_holds_survive_a_payment_that_does_not_close():
    case = reach(S.ACTIVE)
    case.place_hold(Hold.CEASE, AT, "customer")
    case.record_payment("R1", 1_000, T1)
    assert Hold.CEASE in case.holds


def test_payment_claim_extends_with_a_new_claim():
    case = new_case()
    case.claim_payment(AT, 3)
    case.claim_payment(AT + timedelta(days=2), 3)
    assert case.payment_claim_until == date(2026, 12, 6)
    assert Hold.PAYMENT_CLAIMED in case.holds


# ---------------------------------------------------------------- issue #12
def test_an_opt_out_applies_exactly_its_scope():
    """Reg F 1006.14(h): a request not to use a medium stops that medium."""
    case = reach(S.ACTIVE)
    changed = case.opt_out_scope(("email",), ChannelKind.SMS, PHONE, AT, "reply")
    assert [cp.channel for cp in changed] == [ChannelKind.EMAIL]
    assert case.contact(ChannelKind.SMS, PHONE).opted_out_at is None
    assert case.opt_out_scope(("this",), ChannelKind.SMS, PHONE, T1, "reply")[0].address == PHONE
    assert Hold.OPTED_OUT in case.holds and Hold.CEASE not in case.holds
    assert case.opt_out_scope(("calls",), ChannelKind.SMS, PHONE, T1, "reply") == []


def test_stopping_all_contact_is_a_cease_request():
    case = reach(S.ACTIVE)
    case.opt_out_scope(("all",), ChannelKind.SMS, PHONE, AT, "reply")
    assert all(cp.opted_out_at == AT for cp in case.contacts)
    assert Hold.CEASE in case.holds


def test_a_shared_address_loses_its_verification_once():
    case = reach(S.ACTIVE)
    case.contact(ChannelKind.EMAIL, EMAIL).verified = True
    assert case.mark_shared(ChannelKind.EMAIL, EMAIL, AT, "a relative answered")
    assert not case.mark_shared(ChannelKind.EMAIL, EMAIL, T1, "again")
    email = case.contact(ChannelKind.EMAIL, EMAIL)
    assert email.shared and not email.verified
    assert [e.type for e in case.events].count("ContactPointShared") == 1
