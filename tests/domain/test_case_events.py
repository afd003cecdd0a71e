"""Every change to a case records domain events with the right type and payload."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain import events as ev
from bot.domain.case import CaseStatus, Hold
from bot.domain.messages import ChannelKind
from tests.domain.factories import AT, DUE, PHONE, new_case, reach

S = CaseStatus
T1 = AT + timedelta(hours=1)


def _kinds(case):
    return [type(e) for e in case.events]


def test_promise_events_and_payload():
    case = reach(S.ACTIVE)
    made = case.make_promise([(20_000, date(2027, 1, 5)), (10_000, date(2026, 12, 20))],
                             T1, "bot", source_message_id=42)
    assert [p.ref for p in made] == ["P1", "P2"]
    assert [p.due for p in made] == [date(2026, 12, 20), date(2027, 1, 5)]  # date order
    assert _kinds(case) == [ev.PromiseMade, ev.PromiseMade, ev.StatusChanged]
    first = case.events[0]
    assert first.payload() == {"promise_ref": "P1", "amount_minor": 10_000,
                               "due": "2026-12-20", "source_message_id": 42}
    assert (first.account_id, first.at, first.actor, first.type) == ("ACC-1", T1, "bot",
                                                                     "PromiseMade")
    assert case.events[2].payload() == {"old": "active", "new": "promised",
                                        "reason": "promise to pay"}


def test_superseding_promise_cancels_the_pending_one():
    case = reach(S.PROMISED)
    case.make_promise([(30_000, date(2027, 2, 1))], T1, "collector:ann")
    assert _kinds(case) == [ev.PromiseCancelled, ev.PromiseMade]  # still promised: no move
    assert case.events[0].payload() == {"promise_ref": "P1", "reason": "superseded"}
    assert case.events[1].payload()["promise_ref"] == "P2"
    assert [(p.ref, p.status.value) for p in case.promises] == [("P1", "cancelled"),
                                                                ("P2", "pending")]


def test_payment_events_carry_reference_amount_and_balance():
    case = reach(S.PROMISED)
    case.record_payment("BANK-7", 10_000, T1, actor="import")
    assert _kinds(case) == [ev.PaymentReceived, ev.PromiseKept, ev.StatusChanged]
    assert case.events[0].payload() == {"reference": "BANK-7", "amount_minor": 10_000,
                                        "balance_after_minor": 90_000}
    assert case.events[0].at == T1 and case.events[0].actor == "import"
    assert case.events[1].payload() == {"promise_ref": "P1"}
    assert case.events[2].payload()["new"] == "active"


def test_closing_records_cancelled_promises_and_case_closed():
    case = reach(S.PROMISED)
    case.write_off(T1, "collector:ann", "deceased")
    assert _kinds(case) == [ev.StatusChanged, ev.PromiseCancelled, ev.CaseClosed]
    assert case.events[0].payload() == {"old": "promised", "new": "closed_written_off",
                                        "reason": "deceased"}
    assert case.events[1].payload() == {"promise_ref": "P1", "reason": "case closed"}
    assert case.events[2].payload() == {"outcome": "closed_written_off"}


def test_hold_events():
    case = reach(S.ACTIVE)
    case.place_hold(Hold.VULNERABLE, AT, "collector:ann", "bereavement")
    case.place_hold(Hold.VULNERABLE, AT, "collector:ann", "again")  # idempotent
    case.release_hold(Hold.VULNERABLE, T1, "collector:bob", "spoke to family")
    assert _kinds(case) == [ev.HoldPlaced, ev.HoldReleased]
    assert case.events[0].payload() == {"hold": "vulnerable", "reason": "bereavement"}
    assert case.events[1].payload() == {"hold": "vulnerable", "reason": "spoke to family"}
    assert case.events[1].actor == "collector:bob"


def test_dispute_events():
    case = reach(S.PROMISED)
    case.open_dispute(AT, "customer", "not mine")
    assert _kinds(case) == [ev.PromiseCancelled, ev.StatusChanged, ev.HoldPlaced,
                            ev.DisputeOpened]
    assert case.events[0].payload()["reason"] == "disputed"
    assert case.events[3].payload() == {"reason": "not mine"}
    case.open_dispute(AT, "customer", "again")  # already open: nothing new
    assert len(case.events) == 4
    case.events.clear()
    case.resolve_dispute("verified", T1, "collector:ann")
    assert _kinds(case) == [ev.DisputeResolved, ev.HoldReleased, ev.StatusChanged]
    assert case.events[0].payload() == {"outcome": "verified"}
    assert case.status is S.ACTIVE and Hold.DISPUTE not in case.holds


def test_placing_a_dispute_hold_opens_a_dispute():
    case = reach(S.ACTIVE)
    case.place_hold(Hold.DISPUTE, AT, "collector:ann", "customer wrote in")
    assert case.status is S.DISPUTED
    assert ev.DisputeOpened in _kinds(case)


def test_dispute_upheld_writes_off():
    case = reach(S.DISPUTED)
    case.resolve_dispute("upheld", T1, "collector:ann")
    assert _kinds(case) == [ev.DisputeResolved, ev.HoldReleased, ev.StatusChanged,
                            ev.CaseClosed]
    assert case.status is S.CLOSED_WRITTEN_OFF


def test_escalation_events():
    case = reach(S.ACTIVE)
    case.escalate_to_legal_review(T1, "campaign", "dpd 90")
    assert _kinds(case) == [ev.StatusChanged, ev.EscalatedToLegal]
    assert case.events[1].payload() == {"reason": "dpd 90"}


def test_opt_out_events_mask_the_address():
    case = reach(S.ACTIVE)
    assert case.opt_out(ChannelKind.SMS, PHONE, T1, "keyword STOP")
    assert not case.opt_out(ChannelKind.SMS, PHONE, T1, "keyword STOP")  # once only
    (event,) = case.events
    assert isinstance(event, ev.OptedOut)
    payload = event.payload()
    assert payload["channel"] == "sms" and payload["source"] == "keyword STOP"
    assert PHONE not in str(payload) and payload["address_masked"].endswith("0123")
    assert case.opt_in(ChannelKind.SMS, PHONE, T1, "START")
    assert isinstance(case.events[-1], ev.OptedIn)
    assert not case.opt_in(ChannelKind.SMS, PHONE, T1, "START")


def test_invalidation_events():
    case = reach(S.ACTIVE)
    assert case.invalidate_contact(ChannelKind.SMS, PHONE, T1, "carrier 30006")
    assert not case.invalidate_contact(ChannelKind.SMS, PHONE, T1, "carrier 30006")
    (event,) = case.events
    assert isinstance(event, ev.ContactPointInvalidated)
    assert event.payload()["reason"] == "carrier 30006"
    sms = case.contacts[0]
    assert sms.invalid_at == T1 and sms.invalid_reason == "carrier 30006" and not sms.usable


def test_take_over_and_hand_back_events():
    case = reach(S.ACTIVE)
    case.take_over("ann", AT)
    case.take_over("ann", AT)  # the same collector again: nothing new
    assert _kinds(case) == [ev.HoldPlaced, ev.ConversationTaken]
    assert case.events[1].payload() == {"collector": "ann"}
    assert case.events[1].actor == "collector:ann"
    assert case.held_by == "ann" and case.holds[Hold.HUMAN] == "ann"
    case.hand_back("ann", T1)
    assert _kinds(case)[2:] == [ev.HoldReleased, ev.ConversationReleased]
    assert case.held_by is None and Hold.HUMAN not in case.holds


def test_releasing_the_human_hold_frees_the_conversation():
    case = reach(S.ACTIVE)
    case.take_over("ann", AT)
    case.release_hold(Hold.HUMAN, T1, "collector:lead", "ann is away")
    assert case.held_by is None
    case.take_over("bob", T1)
    assert case.held_by == "bob"


def test_assign_events():
    case = reach(S.ACTIVE)
    case.assign("ann", AT, "collector:lead")
    case.assign("ann", AT, "collector:lead")
    case.assign(None, T1, "collector:lead")
    assert [e.payload() for e in case.events] == [{"collector": "ann"}, {"collector": None}]


def test_payment_claim_event_and_hold():
    case = reach(S.ACTIVE)
    case.claim_payment(AT, grace_days=3)
    assert _kinds(case) == [ev.HoldPlaced, ev.PaymentClaimed]
    assert case.events[1].payload() == {"until": "2026-12-04"}
    assert case.payment_claim_until == date(2026, 12, 4)
    case.record_payment("R1", 5_000, T1)
    assert Hold.PAYMENT_CLAIMED not in case.holds
    assert ev.HoldReleased in _kinds(case)


def test_every_event_is_stamped_with_the_case_and_time():
    case = new_case(account_id="ACC-9")
    case.make_promise([(1_000, DUE)], AT, "bot")
    case.record_payment("R", 1_000, T1)
    case.place_hold(Hold.CEASE, T1, "customer")
    assert case.events and all(e.account_id == "ACC-9" and e.at.tzinfo for e in case.events)
