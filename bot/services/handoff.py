"""Collectors at work: the queue, taking over a conversation, replying, handing back,
and recording outcomes with the same validation and events as the bot's."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.case import LEGAL_QUEUE, Case, TransitionError
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.domain.money import MoneyError, to_minor
from bot.domain.outbox import MessagePurpose, outbox_message
from bot.domain.work_items import QueueItem, WorkItemKind
from bot.policy.decision import Purpose, Reason, ReasonCode, only_time_bound
from bot.policy.profiles import JurisdictionProfile
from bot.services.ports import UnitOfWork

if TYPE_CHECKING:
    from bot.conversations import dialog


class HandoffError(ValueError):
    """A collector action that cannot be done; the message says why."""


class NotFound(HandoffError):
    """The case or work item named does not exist."""


def _case(uow: UnitOfWork, account_id: str) -> Case:
    case = uow.cases.get(account_id)
    if case is None:
        raise NotFound(f"no case with account id {account_id!r}")
    return case


def queue(uow: UnitOfWork, limit: int = 100) -> list[QueueItem]:
    """Open work items, most urgent first (priority, then age)."""
    return uow.work_items.open_items(limit)


def close_item(uow: UnitOfWork, item_id: int, collector: str) -> None:
    if uow.work_items.close(item_id, collector, uow.clock.now()) is None:
        raise NotFound(f"no work item {item_id}")
    uow.commit()


def take(uow: UnitOfWork, account_id: str, collector: str) -> None:
    """From now on the bot sends nothing on this case until :func:`release`.

    A case the legal-review queue holds (after a complaint) is taken from that queue:
    looking at it is what the queue waits for.
    """
    case = _case(uow, account_id)
    now = uow.clock.now()
    if case.held_by == LEGAL_QUEUE and collector != LEGAL_QUEUE:
        case.hand_back(LEGAL_QUEUE, now)
    case.take_over(collector, now)
    uow.commit()


def release(uow: UnitOfWork, account_id: str, collector: str, *,
            close_items: bool = False) -> int:
    """Hand the conversation back to the bot, which starts afresh: whatever it last
    asked is stale, and a verification lock is lifted (the collector dealt with it).

    ``close_items``: also close the case's open queue items (except a legal review,
    which a supervisor ends); returns how many were closed."""
    case = _case(uow, account_id)
    now = uow.clock.now()
    case.hand_back(collector, now)
    assert case.id is not None
    uow.conversations.reset(case.id, now)
    closed = 0
    if close_items:
        for item in uow.work_items.open_for_case(case.id):
            if item.kind is not WorkItemKind.LEGAL_REVIEW:
                closed += bool(uow.work_items.close(item.id, collector, now))
    uow.commit()
    return closed


class ReplyRefused(HandoffError):
    """The compliance policy refuses the reply now; ``reasons`` say why."""

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = reasons
        super().__init__("refused by policy: " + "; ".join(
            f"{r.code.value} ({r.detail})" if r.detail else r.code.value for r in reasons))


def reply_refusal(case: Case, cp: ContactPoint, profile: JurisdictionProfile,
                  now: datetime, collector: str) -> list[Reason]:
    """Why the policy would refuse a collector's reply to ``cp`` sent now, as the
    dispatcher checks it at send time (an answer to the customer: no frequency caps; the
    collector's own hold does not count); only reasons that waiting would not lift
    (a reason bound to the hours only defers the message)."""
    # imported here: the policy engine (holiday calendars) and the outbound rendering are
    # needed to answer a customer, not to look at a case or the queue (a command's start)
    from bot.policy.engine import check_contact

    decision = check_contact(case, cp, profile, [], now, Purpose.REPLY, inbound_at=now,
                             by_person=True)
    reasons = [r for r in decision.reasons
               if not (r.code is ReasonCode.HOLD_HUMAN and case.held_by == collector)]
    return [] if not reasons or only_time_bound(reasons) else reasons


def reply(uow: UnitOfWork, account_id: str, collector: str, text: str,
          channel: ChannelKind | None = None, profile: JurisdictionProfile | None = None
          ) -> int:
    """Queue the collector's message to the customer; returns the outbox message id.

    Only the collector holding the conversation may write. With ``profile`` the reply
    is checked against it first (holds, opt-outs, wrong party...: :func:`reply_refusal`)
    and refused with the reasons (:class:`ReplyRefused`); the dispatcher checks it again
    when it sends.
    """
    text = text.strip()
    if not text:
        raise HandoffError("the reply is empty")
    case = _case(uow, account_id)
    if case.held_by != collector:
        raise HandoffError(f"take the conversation first (held by {case.held_by or 'nobody'})")
    assert case.id is not None
    now = uow.clock.now()
    if channel is None:
        channel = uow.messages.last_inbound_channel(case.id)
    kinds = [channel] if channel else [ChannelKind.TELEGRAM, ChannelKind.EMAIL, ChannelKind.SMS]
    from bot.services.outbound import contact_for

    cp = next((c for c in (contact_for(case, k) for k in kinds) if c is not None), None)
    if cp is None:
        raise HandoffError("no usable contact point on that channel (opted out or invalid)")
    if profile is not None:
        refused = reply_refusal(case, cp, profile, now, collector)
        if refused:
            raise ReplyRefused(refused)
    key = f"collector:{collector}:{case.id}:{uuid.uuid4().hex}"  # every reply is new
    ids = uow.outbox.enqueue([outbox_message(
        case_id=case.id, contact_point_id=cp.id, channel=cp.channel.value, address=cp.address,
        body=text, subject="Re: your account" if cp.channel is ChannelKind.EMAIL else None,
        idempotency_key=key, now=now, purpose=MessagePurpose.COLLECTOR.value,
        lang=case.language, actor=f"collector:{collector}")])
    uow.commit()
    return ids[0]


_PROBLEMS = {
    "date_in_past": "a date is before today ({today})",
    "date_too_far": "a payment is due more than {limits.max_promise_horizon_days} days ahead "
                    "(a plan: its first payment, and at most {limits.max_instalments} monthly "
                    "payments)",
    "amount_above_balance": "an amount is more than the balance",
    "amount_below_minimum": "an amount is below the minimum payment (a plan: below "
                            "{limits.min_instalment_percent}% of the balance)",
    "too_many_instalments": "more than {limits.max_instalments} instalments",
    "instalments_above_balance": "the instalments add up to more than the balance",
}


def _limits(profile: JurisdictionProfile) -> dialog.Limits:
    from bot.conversations import dialog  # the dialog's rules: when a promise is recorded

    return dialog.Limits(profile.max_promise_horizon_days, profile.min_instalment_percent,
                         profile.max_instalments)


def record_promise(uow: UnitOfWork, account_id: str, collector: str, profile:
                   JurisdictionProfile, instalments: list[tuple[str | Decimal, date]], *,
                   actor: str | None = None) -> None:
    """Record a promise (one or more instalments) agreed on the phone or in chat.

    The same rules as the bot's apply: dates from today up to the profile's horizon,
    amounts within the balance and above the minimum.
    """
    case = _case(uow, account_id)
    try:
        terms: list[tuple[int | None, date | None]] = [
            (to_minor(a, case.currency), d) for a, d in instalments]
    except MoneyError as exc:
        raise HandoffError(str(exc)) from None
    _promise(uow, case, actor or f"collector:{collector}", profile, terms)


def _promise(uow: UnitOfWork, case: Case, actor: str, profile: JurisdictionProfile,
             terms: list[tuple[int | None, date | None]]) -> None:
    if not terms:
        raise HandoffError("a promise needs at least one instalment")
    from bot.conversations import dialog

    now = uow.clock.now()
    today = now.astimezone(ZoneInfo(case.timezone)).date()
    facts = dialog.CaseFacts(balance_minor=case.balance_minor, currency=case.currency,
                             today=today, minimum_payment_minor=case.minimum_payment_minor)
    limits = _limits(profile)
    _, problems = dialog.check_terms(terms, facts, limits)
    if problems:
        raise HandoffError("out of policy: " + "; ".join(
            _PROBLEMS[p].format(limits=limits, today=today) for p in problems))
    try:
        case.make_promise(terms, now, actor)
    except TransitionError as exc:
        raise HandoffError(str(exc)) from None
    uow.commit()


def record_plan(uow: UnitOfWork, account_id: str, collector: str,
                profile: JurisdictionProfile, count: int, first_due: date, *,
                actor: str | None = None) -> None:
    """An instalment plan: ``count`` equal payments, monthly from ``first_due``."""
    case = _case(uow, account_id)
    if count < 2:
        raise HandoffError("a plan has at least 2 instalments")
    each = -(-case.balance_minor // count)
    from bot.conversations import dialog

    _promise(uow, case, actor or f"collector:{collector}", profile,
             list(dialog.plan_terms(count, each, first_due, case.balance_minor)))


def record_dispute(uow: UnitOfWork, account_id: str, collector: str, reason: str, *,
                   actor: str | None = None) -> None:
    case = _case(uow, account_id)
    try:
        case.open_dispute(uow.clock.now(), actor or f"collector:{collector}",
                          reason.strip()[:500])
    except TransitionError as exc:
        raise HandoffError(str(exc)) from None
    uow.commit()


def resolve_dispute(uow: UnitOfWork, account_id: str, collector: str, outcome: str, *,
                    actor: str | None = None) -> None:
    case = _case(uow, account_id)
    try:
        case.resolve_dispute(outcome, uow.clock.now(), actor or f"collector:{collector}")
    except TransitionError as exc:
        raise HandoffError(str(exc)) from None
    uow.commit()
