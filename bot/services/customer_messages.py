"""A customer's message: record it, find its case, and, unless a person holds the
conversation, parse it, let the pure dialog decide (``bot/conversations/dialog.py``),
apply the decision to the case and queue the answers."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversations import dialog
from bot.domain.case import Case, Hold
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind, InboundMessage, SinkResult
from bot.domain.money import exponent, from_minor
from bot.domain.verification import VerificationMethod
from bot.domain.work_items import WorkItemKind, work_item
from bot.replies.intent_model import IntentModel
from bot.replies.model import Intent, Reply
from bot.replies.parser import parse_reply
from bot.services.chat_linking import ChatOnboarding, OutcomeKind
from bot.services.dialog_commands import carry_out
from bot.services.ports import NewInboundMessage, UnitOfWork
from bot.services.readings import reading_record
from bot.services.reply_texts import ReplyTexts

log = logging.getLogger("duebot.inbound")
#: how an opt-out scope names each channel (LABELING.md, "opt_out_scope")
MEDIUM = {ChannelKind.SMS: "sms", ChannelKind.EMAIL: "email", ChannelKind.TELEGRAM: "chat"}


@dataclass(frozen=True)
class DialogSettings:
    """How the dialog runs for this deployment."""

    limits: dialog.Limits
    verification: VerificationMethod = VerificationMethod.DOB
    day_first: bool = False  # how a typed date of birth is read (05/06 = 5 June)
    #: the reply parser's learned second opinion (None: the rules decide alone)
    intent_model: IntentModel | None = None


#: holds under which a person answers whatever the customer writes (the bot stays silent)
_PERSON_ANSWERS: dict[Hold, tuple[WorkItemKind, str]] = {
    Hold.DECEASED: (WorkItemKind.BEREAVEMENT, "message on the case of a deceased customer"),
    Hold.VULNERABLE: (WorkItemKind.VULNERABLE, "vulnerable customer wrote"),
    Hold.COMPLAINT: (WorkItemKind.COMPLAINT, "customer with an open complaint wrote"),
    Hold.BREATHING_SPACE: (WorkItemKind.BREATHING_SPACE,
                           "customer in a breathing space (debt respite) wrote"),
}


def match_case(uow: UnitOfWork, event: InboundMessage) -> Case | None:
    """The case a message is about: by reply token or thread, else by the sender's
    address (with several accounts, the one we wrote to last on that address)."""
    for ref, lookup in ((event.reply_token, uow.messages.case_for_reply_token),
                        (event.thread_ref, uow.messages.case_for_provider_id)):
        if not ref:
            continue
        case_id = lookup(ref)
        if case_id is not None:
            case = uow.cases.get_by_id(case_id)
            if case is not None and case.contact(event.channel, event.sender) is not None:
                return case
            if case is not None and event.reply_token:
                return case  # the token is unguessable: it identifies the case
    cases = uow.cases.find_by_contact(event.channel, event.sender)
    if len(cases) <= 1:
        return cases[0] if cases else None
    last = uow.messages.last_case_written_to(event.sender, [c.id for c in cases if c.id])
    return next((c for c in cases if c.id == last), cases[0])


def handle_message(uow: UnitOfWork, event: InboundMessage, now: datetime, result: SinkResult,
                   texts: ReplyTexts, settings: DialogSettings,
                   onboarding: ChatOnboarding | None) -> None:
    if event.channel is ChannelKind.EMAIL and event.sender != event.sender.lower():
        event = dataclasses.replace(event, sender=event.sender.lower())  # as imported
    case = match_case(uow, event)
    onboarding_turn = (onboarding is not None and event.channel is ChannelKind.TELEGRAM
                       and onboarding.awaiting_answer(event.sender, now))
    conversing = case is not None and not onboarding_turn
    reply = None
    if conversing:
        assert case is not None
        # read before it is recorded, so the message is stored with its reading at once;
        # the language the customer wrote in, not the case's: a Chinese reply on an
        # English case is read as Chinese
        reply = parse_reply(event.text, now.astimezone(ZoneInfo(case.timezone)),
                            from_minor(case.balance_minor, case.currency), case.currency,
                            None, settings.intent_model)
    message_id = uow.messages.add_inbound(NewInboundMessage(
        case_id=case.id if case else None, channel=event.channel.value, address=event.sender,
        body=event.text, subject=event.subject, provider_id=event.provider_id,
        thread_ref=event.thread_ref,
        created_at=event.received_at if event.received_at <= now else now,
        intent=reply.intent.value if reply is not None else None,
        reading=reading_record(reply) if reply is not None else None))
    if onboarding_turn:
        assert onboarding is not None
        _onboarding_answer(uow, event, now, result, message_id, onboarding)
        return
    if case is None or reply is None:
        texts.queue_unknown_sender(uow, event, now, message_id)
        return
    _converse(uow, case, event, now, message_id, reply, texts, settings)


def _converse(uow: UnitOfWork, case: Case, event: InboundMessage, now: datetime,
              message_id: int, reply: Reply, texts: ReplyTexts,
              settings: DialogSettings) -> None:
    cp = case.contact(event.channel, event.sender)
    local_now = now.astimezone(ZoneInfo(case.timezone))
    assert case.id is not None
    person = None
    if case.held_by is not None or Hold.HUMAN in case.holds:
        person = (WorkItemKind.HELD_CONVERSATION, f"new message for {case.held_by}")
    else:
        person = next((answer for hold, answer in _PERSON_ANSWERS.items()
                       if case.hold_in_force(hold, local_now.date())), None)
    if cp is not None and cp.wrong_party_at is not None:
        # a wrong number was acknowledged once: from then on nothing at all goes there
        # (an opt-out is still recorded, silently)
        if reply.opt_out and cp.opted_out_at is None:  # a stranger speaks for this one only
            case.opt_out(event.channel, event.sender, now, "reply")
        log.info("inbound %s on case ****%s from a wrong-party address: no answer",
                 event.channel, case.account_id[-4:])
        return
    if person is not None:
        # a person answers, the bot stays silent; but an opt-out binds the person too
        kind, detail = person
        scope = ("this",) if reply.intent is Intent.WRONG_PARTY else reply.opt_out_scope
        if reply.opt_out and cp is not None and case.opt_out_scope(
                scope, event.channel, event.sender, now, "reply"):
            detail += "; opt-out recorded"
        uow.work_items.add(work_item(kind, now, case_id=case.id, message_id=message_id,
                                     detail=detail))
        return
    conv = uow.conversations.get(case.id) or dialog.Conversation()
    # the dialog reads the expected answer to verify on this address, or to check an
    # answer to a question asked before (perhaps on another channel): never otherwise,
    # so it is not read for every SMS
    can_ask = cp is not None and not cp.shared and event.channel is not ChannelKind.SMS
    expected = (_expected_answer(uow, case, settings.verification)
                if can_ask or conv.state is dialog.State.VERIFY else None)
    facts = dialog.CaseFacts(
        balance_minor=case.balance_minor, currency=case.currency, today=local_now.date(),
        minimum_payment_minor=case.minimum_payment_minor, closed=case.closed,
        verified=bool(cp and cp.verified and cp.channel is not ChannelKind.SMS
                      and not cp.shared),
        # SMS is never verified (lock screens): there is no verification text for it;
        # nor is an address others read too (shared)
        can_verify=expected is not None and can_ask,
        contact_opted_out=bool(cp and cp.opted_out_at is not None),
        expected_answer=expected, verify_method=settings.verification.value,
        day_first=settings.day_first, timezone=case.timezone,
        medium=MEDIUM[event.channel])
    turn = dialog.decide(reply, conv, facts, settings.limits, now, exp=exponent(case.currency))
    plan: list[tuple[int, int, Any]] = []
    for spec in turn.replies:
        plan = spec.values.get("plan_options", plan)
    if carry_out(uow, case, cp, event, turn, now, message_id):
        # never confirm what was not recorded (a promise on a disputed case...)
        turn.replies = [dialog.ReplySpec("handoff_ack") if s.template_id in
                        ("promise_confirmed", "promise_counter_offer") else s
                        for s in turn.replies]
        turn.conversation = dialog.Conversation(
            verify_failures=turn.conversation.verify_failures)
    uow.conversations.save(case.id, turn.conversation, now)
    texts.queue_turn(uow, case, cp, event, turn, now, message_id, plan)
    log.info("inbound %s on case ****%s: %s", event.channel, case.account_id[-4:], turn.note)


def _expected_answer(uow: UnitOfWork, case: Case, method: VerificationMethod) -> str | None:
    """What the customer must answer to the verification question, if we know it."""
    identity = uow.customers.identity(case.customer_id) if case.customer_id else None
    if identity is None:
        return None
    if method is VerificationMethod.ID_LAST4:
        return identity.id_last4
    return identity.date_of_birth.isoformat() if identity.date_of_birth else None


def _onboarding_answer(uow: UnitOfWork, event: InboundMessage, now: datetime,
                       result: SinkResult, message_id: int, onboarding: ChatOnboarding) -> None:
    outcome = onboarding.on_answer(event.sender, event.text, now)
    result.replies.append(outcome.text)
    case = uow.cases.get(outcome.case_ref) if outcome.case_ref else None
    if outcome.kind is OutcomeKind.LINKED and case is not None:
        cp = case.contact(ChannelKind.TELEGRAM, event.sender)
        if cp is None:
            cp = ContactPoint(ChannelKind.TELEGRAM, event.sender, consent=True,
                              consent_source="telegram-link", verified=True)
            case.contacts.append(cp)
        cp.verified = True
        if cp.opted_out_at is not None:
            case.opt_in(ChannelKind.TELEGRAM, event.sender, now, "telegram-link")
        assert case.id is not None
        uow.messages.set_case(message_id, case.id)
    if outcome.needs_human:
        uow.work_items.add(work_item(WorkItemKind.VERIFICATION_LOCKED, now,
                                     case_id=case.id if case else None,
                                     message_id=message_id, detail=outcome.kind.value))


class CustomerIdentities:
    """``IdentitySource`` for chat onboarding: the expected answers from the customer."""

    def __init__(self, uow_factory: Any) -> None:
        self.uow_factory = uow_factory

    def expected_answer(self, case_ref: str, method: VerificationMethod) -> str | None:
        with self.uow_factory() as uow:
            case = uow.cases.get(case_ref)
            return None if case is None else _expected_answer(uow, case, method)
