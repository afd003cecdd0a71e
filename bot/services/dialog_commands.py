"""Carrying out what the dialog decided (``dialog.Turn.commands``) on the case."""

from __future__ import annotations

from datetime import datetime

from bot.conversations import dialog
from bot.domain.case import LEGAL_QUEUE, Case, Hold, TransitionError
from bot.domain.contacts import ContactPoint
from bot.domain.messages import InboundMessage
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.ports import UnitOfWork

_LEGAL_HOLDS = {"attorney": Hold.ATTORNEY, "bankruptcy": Hold.BANKRUPTCY, "cease": Hold.CEASE}
ACTOR = "customer"


def carry_out(uow: UnitOfWork, case: Case, cp: ContactPoint | None, event: InboundMessage,
              turn: dialog.Turn, now: datetime, message_id: int) -> bool:
    """Carry out the turn's commands; True when a promise could not be recorded."""
    promise_failed = False
    for command in turn.commands:
        try:
            _one(uow, case, cp, event, command, now, message_id)
        except TransitionError as exc:
            # e.g. a promise on a disputed case: a person sorts it out
            promise_failed |= isinstance(command, dialog.MakePromise)
            uow.work_items.add(work_item(WorkItemKind.NEEDS_REVIEW, now, case_id=case.id,
                                         message_id=message_id, detail=str(exc)))
    return promise_failed


def _one(uow: UnitOfWork, case: Case, cp: ContactPoint | None, event: InboundMessage,
         command: dialog.Command, now: datetime, message_id: int) -> None:
    if isinstance(command, dialog.MakePromise):
        case.make_promise(list(command.terms), now, ACTOR, source_message_id=message_id)
    elif isinstance(command, dialog.ClaimPayment):
        if Hold.PAYMENT_CLAIMED not in case.holds and not case.closed:
            case.claim_payment(now, command.grace_days, ACTOR)
    elif isinstance(command, dialog.OpenDispute):
        case.open_dispute(now, ACTOR, command.reason)
    elif isinstance(command, dialog.PlaceLegalHold):
        hold = _LEGAL_HOLDS.get(command.kind)
        if hold is not None and not case.closed:
            case.place_hold(hold, now, ACTOR, f"customer reply ({command.kind})")
        elif not case.closed and case.held_by is None:
            # a complaint or a threat of action: the legal-review queue holds the
            # conversation (the bot goes quiet) until a person has looked at it
            case.take_over(LEGAL_QUEUE, now)
    elif isinstance(command, dialog.PlaceHold):
        if not case.closed:
            case.place_hold(command.hold, now, ACTOR, command.reason)
    elif isinstance(command, dialog.OptOutContact):
        # ``this`` is the address the reply came from; named media and ``all`` reach
        # the customer's other contact points too. From an address not on file (matched
        # by a reply token: perhaps a forwarded email) nothing is suppressed.
        if cp is not None:
            case.opt_out_scope(command.scope, event.channel, event.sender, now, "reply",
                               ACTOR)
    elif isinstance(command, dialog.MarkWrongParty):
        if cp is not None:
            case.invalidate_contact(event.channel, event.sender, now, "wrong party",
                                    ACTOR, wrong_party=True)
    elif isinstance(command, dialog.MarkShared):
        if cp is not None:
            case.mark_shared(event.channel, event.sender, now, command.reason, ACTOR)
    elif isinstance(command, dialog.MarkVerified):
        if cp is not None and not cp.shared:  # others read a shared address: never
            cp.verified = True
    elif isinstance(command, dialog.QueueForHuman):
        uow.work_items.add(work_item(command.kind, now, case_id=case.id,
                                     message_id=message_id, detail=command.detail,
                                     due_at=command.due_at))
