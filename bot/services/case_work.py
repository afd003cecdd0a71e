"""What a person does to a case beyond the conversation: return it from legal review,
write it off, reassign it, cancel a promise. Each records who did it and why."""

from __future__ import annotations

from bot.domain.case import Case, Hold, TransitionError
from bot.services.ports import UnitOfWork


class CaseWorkError(ValueError):
    """The action cannot be done on this case; the message says why."""


def _case(uow: UnitOfWork, account_id: str) -> Case:
    case = uow.cases.get(account_id)
    if case is None:
        raise CaseWorkError(f"no case with account id {account_id!r}")
    return case


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CaseWorkError("say why (a reason is recorded with the change)")
    return reason[:500]


def return_from_legal_review(uow: UnitOfWork, account_id: str, actor: str,
                             reason: str) -> None:
    """Back to collection: the status the case rests in (legal hold, disputed, promised or
    active); the case is not escalated again in the same delinquency cycle."""
    case = _case(uow, account_id)
    try:
        case.return_from_legal_review(uow.clock.now(), actor, _reason(reason))
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()


def write_off(uow: UnitOfWork, account_id: str, actor: str, reason: str) -> None:
    """Close the case as written off: nothing more is sent or planned for it."""
    case = _case(uow, account_id)
    try:
        case.write_off(uow.clock.now(), actor, _reason(reason))
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()


def reassign(uow: UnitOfWork, account_id: str, actor: str, collector: str | None) -> None:
    """Give the case to ``collector`` (None: to nobody)."""
    case = _case(uow, account_id)
    case.assign(collector.strip() if collector else None, uow.clock.now(), actor)
    uow.commit()


def cancel_promise(uow: UnitOfWork, account_id: str, actor: str, ref: str,
                   reason: str) -> None:
    """Cancel a pending promise (recorded in error, replaced by a plan...)."""
    case = _case(uow, account_id)
    try:
        case.cancel_promise(ref, uow.clock.now(), actor, _reason(reason))
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()


#: holds a person sets to protect the customer (the others follow from what happens:
#: opt-outs, wrong party, a claimed payment, a dispute, a conversation taken)
PERSON_HOLDS = frozenset({Hold.VULNERABLE, Hold.DECEASED, Hold.BANKRUPTCY, Hold.ATTORNEY,
                          Hold.COMPLAINT, Hold.CEASE})
#: holds a person may clear: the protective ones and a payment claim found unpaid
CLEARABLE_HOLDS = PERSON_HOLDS | {Hold.PAYMENT_CLAIMED}


def parse_hold(name: str, allowed: frozenset[Hold]) -> Hold:
    try:
        hold = Hold(name.strip().lower())
    except ValueError:
        hold = None
    if hold is None or hold not in allowed:
        raise CaseWorkError(f"hold must be one of {', '.join(sorted(h.value for h in allowed))}"
                            f" (got {name!r})")
    return hold


def set_hold(uow: UnitOfWork, account_id: str, hold: str, actor: str, reason: str) -> None:
    """Place a protective hold (vulnerable, deceased, bankruptcy, attorney, complaint,
    cease) with the reason; attorney and bankruptcy put the case on legal hold."""
    which = parse_hold(hold, PERSON_HOLDS)
    case = _case(uow, account_id)
    if which in case.holds:
        raise CaseWorkError(f"case {account_id} already has a {which} hold")
    try:
        case.place_hold(which, uow.clock.now(), actor, _reason(reason))
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()


def clear_hold(uow: UnitOfWork, account_id: str, hold: str, actor: str, reason: str) -> None:
    """Lift a hold a person set (or a payment claim found unpaid), with the reason."""
    which = parse_hold(hold, CLEARABLE_HOLDS)
    case = _case(uow, account_id)
    try:
        case.release_hold(which, uow.clock.now(), actor, _reason(reason))
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    if which is Hold.PAYMENT_CLAIMED:
        case.payment_claim_until = None
    uow.commit()


def add_note(uow: UnitOfWork, account_id: str, actor: str, text: str) -> None:
    case = _case(uow, account_id)
    try:
        case.add_note(text, uow.clock.now(), actor)
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()
