"""What a person does to a case beyond the conversation: return it from legal review,
write it off, reassign it, cancel a promise, set or clear a hold that protects the
customer. Each records who did it and why (the case's events are the audit trail)."""

from __future__ import annotations

from datetime import date

from bot.domain.case import PROTECTIVE_HOLDS, Case, Hold, TransitionError
from bot.services.ports import UnitOfWork


class CaseWorkError(ValueError):
    """The action cannot be done on this case; the message says why."""


class CaseNotFound(CaseWorkError):
    """There is no case with this account id."""


def _case(uow: UnitOfWork, account_id: str) -> Case:
    case = uow.cases.get(account_id)
    if case is None:
        raise CaseNotFound(f"no case with account id {account_id!r}")
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
PERSON_HOLDS = PROTECTIVE_HOLDS
#: holds a person may clear: the protective ones and a payment claim found unpaid
CLEARABLE_HOLDS = PERSON_HOLDS | {Hold.PAYMENT_CLAIMED}


def parse_hold(name: str | Hold, allowed: frozenset[Hold] = PERSON_HOLDS) -> Hold:
    """The hold called ``name`` among ``allowed``; :class:`CaseWorkError` naming them."""
    try:
        hold: Hold | None = Hold(name.strip().lower() if isinstance(name, str) else name)
    except ValueError:
        hold = None
    if hold is None or hold not in allowed:
        known = ", ".join(sorted(h.value for h in allowed))
        raise CaseWorkError(f"{str(name)!r} is not a hold a person sets or clears here "
                            f"(use one of: {known})")
    return hold


def set_hold(uow: UnitOfWork, account_id: str, hold: Hold | str, actor: str, reason: str,
             until: date | None = None) -> None:
    """Place a hold that protects the customer (vulnerable, deceased, bankruptcy, attorney,
    complaint, cease, breathing space): nothing automated goes out while it is in force,
    and what the customer writes goes to a person; attorney and bankruptcy put the case on
    legal hold.

    ``until``: the last day of a breathing space (required for it, refused for others);
    placing a breathing space again with another end date moves it. Recorded with
    ``actor`` and ``reason`` in the case's events; who may do it is the role check's
    (``bot/services/roles.py``)."""
    kind = parse_hold(hold, PERSON_HOLDS)
    why = _reason(reason)
    case = _case(uow, account_id)
    if kind is Hold.BREATHING_SPACE:
        if until is None:
            raise CaseWorkError("a breathing space needs its end date (--until YYYY-MM-DD)")
        from bot.policy.engine import local_date  # its calendars: only when needed here

        today = local_date(case, uow.clock.now())
        if until < today:
            raise CaseWorkError(f"the breathing space would already have ended "
                                f"({until.isoformat()} is before {today.isoformat()})")
    elif until is not None:
        raise CaseWorkError(f"only a breathing space has an end date, not {kind.value}")
    elif kind in case.holds:
        raise CaseWorkError(f"case {account_id} already has a {kind} hold")
    try:
        case.place_hold(kind, uow.clock.now(), actor, why, until=until)
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()


def clear_hold(uow: UnitOfWork, account_id: str, hold: Hold | str, actor: str,
               reason: str) -> None:
    """Lift a hold that protects the customer (a supervisor's decision) or a payment claim
    found unpaid, recorded with ``actor`` and ``reason``."""
    kind = parse_hold(hold, CLEARABLE_HOLDS)
    why = _reason(reason)
    case = _case(uow, account_id)
    try:
        case.release_hold(kind, uow.clock.now(), actor, why)
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    if kind is Hold.PAYMENT_CLAIMED:
        case.payment_claim_until = None
    uow.commit()


def add_note(uow: UnitOfWork, account_id: str, actor: str, text: str) -> None:
    case = _case(uow, account_id)
    try:
        case.add_note(text, uow.clock.now(), actor)
    except TransitionError as exc:
        raise CaseWorkError(str(exc)) from None
    uow.commit()
