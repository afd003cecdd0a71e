"""The TRANSITIONS table, move by move, through the public methods of Case."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.domain import events as ev
from bot.domain.case import TRANSITIONS, Case, CaseStatus, Hold, PromiseStatus, TransitionError
from bot.domain.messages import ChannelKind
from tests.domain.factories import AT, DUE, EMAIL, PHONE, new_case, reach, status_moves

S = CaseStatus
LATER = AT + timedelta(hours=1)


def _promise(c: Case) -> None:
    c.make_promise([(10_000, DUE + timedelta(days=45))], LATER, "bot")


def _pay_all(c: Case) -> None:
    c.record_payment("PAY-X", c.balance_minor, LATER)


def _write_off(c: Case) -> None:
    c.write_off(LATER, "collector:ann", "uneconomic")


def _attorney(c: Case) -> None:
    c.place_hold(Hold.ATTORNEY, LATER, "collector:ann", "letter from counsel")


def _bankruptcy(c: Case) -> None:
    c.place_hold(Hold.BANKRUPTCY, LATER, "import", "chapter 7")


def _dispute(c: Case) -> None:
    c.open_dispute(LATER, "customer", "never had this card")


def _escalate(c: Case) -> None:
    c.escalate_to_legal_review(LATER, "campaign", "no response after final notice")


def _release_attorney(c: Case) -> None:
    c.release_hold(Hold.ATTORNEY, LATER, "collector:ann", "counsel withdrew")


def _promise_then_attorney() -> Case:
    c = reach(S.PROMISED)
    _attorney(c)
    c.events.clear()
    return c


def _dispute_then_attorney() -> Case:
    c = reach(S.DISPUTED)
    _attorney(c)
    c.events.clear()
    return c


def _promised_legal_review() -> Case:
    """Promise pending, then attorney, escalated, attorney withdrew during the review."""
    c = _promise_then_attorney()
    _escalate(c)
    _release_attorney(c)
    assert c.status is S.LEGAL_REVIEW
    c.events.clear()
    return c


def _legal_review_under_attorney() -> Case:
    c = reach(S.LEGAL_HOLD)
    _escalate(c)
    c.events.clear()
    return c


# (from, to, how it is done, starting case, the move)
MOVES: list[tuple[S, S, str, Callable[[], Case], Callable[[Case], None]]] = [
    (S.ACTIVE, S.PROMISED, "make_promise", lambda: reach(S.ACTIVE), _promise),
    (S.ACTIVE, S.DISPUTED, "open_dispute", lambda: reach(S.ACTIVE), _dispute),
    (S.ACTIVE, S.LEGAL_HOLD, "attorney hold", lambda: reach(S.ACTIVE), _attorney),
    (S.ACTIVE, S.LEGAL_REVIEW, "escalate", lambda: reach(S.ACTIVE), _escalate),
    (S.ACTIVE, S.CLOSED_PAID, "full payment", lambda: reach(S.ACTIVE), _pay_all),
    (S.ACTIVE, S.CLOSED_WRITTEN_OFF, "write_off", lambda: reach(S.ACTIVE), _write_off),
    (S.PROMISED, S.ACTIVE, "cancel_promise", lambda: reach(S.PROMISED),
     lambda c: c.cancel_promise("P1", LATER, "collector:ann", "mistaken")),
    (S.PROMISED, S.ACTIVE, "promise broken", lambda: reach(S.PROMISED),
     lambda c: c.break_overdue_promises(DUE + timedelta(days=46), LATER)),
    (S.PROMISED, S.ACTIVE, "promise kept, balance left", lambda: reach(S.PROMISED),
     lambda c: c.record_payment("PAY-P", 10_000, LATER)),
    (S.PROMISED, S.DISPUTED, "open_dispute", lambda: reach(S.PROMISED), _dispute),
    (S.PROMISED, S.LEGAL_HOLD, "bankruptcy hold", lambda: reach(S.PROMISED), _bankruptcy),
    (S.PROMISED, S.CLOSED_PAID, "full payment", lambda: reach(S.PROMISED), _pay_all),
    (S.PROMISED, S.CLOSED_WRITTEN_OFF, "write_off", lambda: reach(S.PROMISED), _write_off),
    (S.DISPUTED, S.ACTIVE, "dispute verified", lambda: reach(S.DISPUTED),
     lambda c: c.resolve_dispute("verified", LATER, "collector:ann")),
    (S.DISPUTED, S.LEGAL_HOLD, "attorney hold", lambda: reach(S.DISPUTED), _attorney),
    (S.DISPUTED, S.CLOSED_PAID, "full payment", lambda: reach(S.DISPUTED), _pay_all),
    (S.DISPUTED, S.CLOSED_WRITTEN_OFF, "dispute upheld", lambda: reach(S.DISPUTED),
     lambda c: c.resolve_dispute("upheld", LATER, "collector:ann")),
    (S.DISPUTED, S.CLOSED_WRITTEN_OFF, "write_off", lambda: reach(S.DISPUTED), _write_off),
    (S.LEGAL_HOLD, S.ACTIVE, "legal hold released", lambda: reach(S.LEGAL_HOLD),
     _release_attorney),
    (S.LEGAL_HOLD, S.PROMISED, "legal hold released, promise pending",
     _promise_then_attorney, _release_attorney),
    (S.LEGAL_HOLD, S.DISPUTED, "legal hold released, dispute open",
     _dispute_then_attorney, _release_attorney),
    (S.LEGAL_HOLD, S.LEGAL_REVIEW, "escalate", lambda: reach(S.LEGAL_HOLD), _escalate),
    (S.LEGAL_HOLD, S.CLOSED_PAID, "full payment", lambda: reach(S.LEGAL_HOLD), _pay_all),
    (S.LEGAL_HOLD, S.CLOSED_WRITTEN_OFF, "write_off", lambda: reach(S.LEGAL_HOLD), _write_off),
    (S.LEGAL_REVIEW, S.ACTIVE, "return_from_legal_review", lambda: reach(S.LEGAL_REVIEW),
     lambda c: c.return_from_legal_review(LATER, "collector:ann", "settled talks")),
    (S.LEGAL_REVIEW, S.ACTIVE, "promise during review", lambda: reach(S.LEGAL_REVIEW), _promise),
    (S.LEGAL_REVIEW, S.PROMISED, "return, promise pending", _promised_legal_review,
     lambda c: c.return_from_legal_review(LATER, "collector:ann", "counsel says go on")),
    (S.LEGAL_REVIEW, S.DISPUTED, "open_dispute", lambda: reach(S.LEGAL_REVIEW), _dispute),
    (S.LEGAL_REVIEW, S.LEGAL_HOLD, "return, attorney hold still on",
     _legal_review_under_attorney,
     lambda c: c.return_from_legal_review(LATER, "collector:ann", "no action")),
    (S.LEGAL_REVIEW, S.LEGAL_HOLD, "bankruptcy hold", lambda: reach(S.LEGAL_REVIEW),
     _bankruptcy),
    (S.LEGAL_REVIEW, S.CLOSED_PAID, "full payment", lambda: reach(S.LEGAL_REVIEW), _pay_all),
    (S.LEGAL_REVIEW, S.CLOSED_WRITTEN_OFF, "write_off", lambda: reach(S.LEGAL_REVIEW),
     _write_off),
]


def test_every_allowed_move_has_a_public_method_and_nothing_else_is_allowed():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    covered = {(a, b) for a, b, *_ in MOVES}
    assert covered == table


@pytest.mark.parametrize(("old", "new", "how", "start", "move"), MOVES,
                         ids=[f"{a}->{b}:{how}" for a, b, how, *_ in MOVES])
def test_allowed_move(old, new, how, start, move):
    case = start()
    assert case.status is old
    move(case)
    moves = status_moves(case)
    assert moves, f"{how} recorded no StatusChanged"
    assert moves[0] == (old.value, new.value)
    assert case.status is new or (how == "promise during review" and case.status is S.PROMISED)
    for a, b in moves:  # every step, including follow-on moves, is in the table
        assert S(b) in TRANSITIONS[S(a)]
    changed = next(e for e in case.events if isinstance(e, ev.StatusChanged))
    assert changed.at == LATER and changed.account_id == "ACC-1" and changed.reason


def test_closed_statuses_are_terminal():
    assert TRANSITIONS[S.CLOSED_PAID] == frozenset()
    assert TRANSITIONS[S.CLOSED_WRITTEN_OFF] == frozenset()


def _refused(case: Case, action: Callable[[Case], object], match: str) -> None:
    """The move raises TransitionError naming the problem and leaves the case untouched."""
    before = copy.deepcopy(case)
    with pytest.raises(TransitionError, match=match):
        action(case)
    assert case == before
    assert case.events == before.events


CLOSED = [S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF]


@pytest.mark.parametrize("status", [*CLOSED, S.DISPUTED, S.LEGAL_HOLD])
def test_promise_refused_on_closed_disputed_and_legal_hold(status):
    _refused(reach(status), _promise, f"ACC-1 is {status.value}.*(promise|cannot)")


@pytest.mark.parametrize("status", [S.DISPUTED, S.PROMISED, *CLOSED])
def test_escalate_refused_unless_active_or_legal_hold(status):
    _refused(reach(status), _escalate, "ACC-1 is")


def test_resolve_dispute_without_one_open():
    _refused(reach(S.ACTIVE), lambda c: c.resolve_dispute("verified", LATER, "x"),
             "no open dispute")


def test_resolve_dispute_with_unknown_outcome():
    _refused(reach(S.DISPUTED), lambda c: c.resolve_dispute("maybe", LATER, "x"),
             "verified.*upheld")


def test_dispute_upheld_on_a_paid_case_is_refused_whole():
    case = reach(S.DISPUTED)
    _pay_all(case)
    assert case.status is S.CLOSED_PAID
    case.events.clear()
    _refused(case, lambda c: c.resolve_dispute("upheld", LATER, "collector:ann"),
             "closed_paid")
    # verifying still works: it only lifts the dispute hold
    case.resolve_dispute("verified", LATER, "collector:ann")
    assert Hold.DISPUTE not in case.holds and case.status is S.CLOSED_PAID


def test_payment_on_written_off_case():
    _refused(reach(S.CLOSED_WRITTEN_OFF),
             lambda c: c.record_payment("P-9", 1_000, LATER), "written off")


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_payment(amount):
    _refused(reach(S.ACTIVE), lambda c: c.record_payment("P-9", amount, LATER), "positive")


def test_hand_back_by_another_collector_and_when_not_held():
    case = reach(S.ACTIVE)
    case.take_over("ann", AT)
    _refused(case, lambda c: c.hand_back("bob", LATER), "held by ann, not bob")
    _refused(case, lambda c: c.take_over("bob", LATER), "already held by ann")
    _refused(reach(S.ACTIVE), lambda c: c.hand_back("ann", LATER), "not held")


def test_return_from_legal_review_when_not_in_review():
    _refused(reach(S.ACTIVE), lambda c: c.return_from_legal_review(LATER, "x", "y"),
             "not in legal review")


@pytest.mark.parametrize("status", CLOSED)
def test_closed_case_refuses_holds_disputes_claims_and_write_off(status):
    case = reach(status)
    _refused(case, lambda c: c.place_hold(Hold.CEASE, LATER, "customer"), "cannot place")
    _refused(case, _dispute, "cannot open a dispute")
    _refused(case, lambda c: c.claim_payment(LATER, 5), "cannot record a payment claim")
    _refused(case, _write_off, "cannot write off")
    _refused(case, _escalate, "cannot escalate")


def test_promise_argument_errors():
    case = reach(S.ACTIVE)
    _refused(case, lambda c: c.make_promise([], LATER, "bot"), "at least one")
    _refused(case, lambda c: c.make_promise([(0, DUE)], LATER, "bot"), "positive")
    _refused(case, lambda c: c.make_promise([(100, DUE), (-5, DUE)], LATER, "bot"), "positive")


def test_cancel_unknown_or_settled_promise():
    case = reach(S.PROMISED)
    _refused(case, lambda c: c.cancel_promise("P7", LATER, "x", "y"), "no promise P7")
    case.record_payment("PAY-P", 10_000, LATER)
    assert case.promises[0].status is PromiseStatus.KEPT
    _refused(case, lambda c: c.cancel_promise("P1", LATER, "x", "y"), "P1 is kept")


def test_release_a_hold_that_is_not_there():
    _refused(reach(S.ACTIVE), lambda c: c.release_hold(Hold.CEASE, LATER, "x"), "no cease hold")


def test_unknown_contact_point_is_refused():
    case = reach(S.ACTIVE)
    _refused(case, lambda c: c.opt_out(ChannelKind.SMS, "+14155550999", LATER, "reply"),
             "no such sms contact point")
    _refused(case, lambda c: c.invalidate_contact(ChannelKind.EMAIL, "x@example.com", LATER,
                                                  "bounce"), "no such email contact point")
    # the known ones work
    assert case.opt_out(ChannelKind.SMS, PHONE, LATER, "reply")
    assert case.invalidate_contact(ChannelKind.EMAIL, EMAIL, LATER, "bounce")


def test_error_message_names_the_case_and_both_statuses():
    case = new_case(account_id="ACC-77")
    case.write_off(AT, "collector:ann", "uneconomic")
    with pytest.raises(TransitionError) as info:
        case.make_promise([(100, DUE)], AT, "bot")
    assert "ACC-77" in str(info.value) and "closed_written_off" in str(info.value)
    assert isinstance(info.value, ValueError)
