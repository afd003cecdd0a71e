"""The application's inbound sink: every channel's messages, signals and receipts land here.

For a customer message: record it, find its case (reply token, thread, contact point),
and — unless a collector holds the conversation — parse it, let the pure dialog decide
(``bot/conversations/dialog.py``), apply the decision to the case, and queue the replies
in the outbox. Everything for one event happens in one transaction, and each event is
processed once: a provider's retry of the same message changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.conversations import dialog
from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import PlanOption, RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import TemplateRenderer
from bot.domain.case import Case, Hold, TransitionError
from bot.domain.contacts import ContactPoint, mask_address
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    InboundEvent,
    InboundMessage,
    ReceiptStatus,
    SignalKind,
    SinkResult,
)
from bot.domain.money import exponent, from_minor
from bot.domain.verification import VerificationMethod
from bot.policy.profiles import JurisdictionProfile
from bot.replies.parser import parse_reply
from bot.services.chat_linking import ChatOnboarding, OutcomeKind
from bot.services.dispatch import LEGAL_QUEUE
from bot.services.messages import contact_for
from bot.settings import Settings
from storage.models import (
    ConversationRow,
    CustomerRow,
    InboundEventRow,
    MessageRow,
    WorkItemRow,
)
from storage.outbox import enqueue_many, outbox_row
from storage.uow import SqlUnitOfWork

log = logging.getLogger("duebot.inbound")

_RECEIPT_STATUS = {
    ReceiptStatus.DELIVERED: "delivered",
    ReceiptStatus.READ: "delivered",
    ReceiptStatus.UNDELIVERED: "undelivered",
    ReceiptStatus.FAILED: "failed",
    ReceiptStatus.SENT: "sent",
    ReceiptStatus.QUEUED: "sent",
}


def event_key(event: InboundEvent) -> str:
    """What makes an event a repeat (a message and the STOP signal it carries differ;
    status callbacks repeat the provider id with a new status)."""
    if isinstance(event, InboundMessage):
        return f"msg:{event.channel}:{event.provider_id}"
    if isinstance(event, DeliveryReceipt):
        return f"rcpt:{event.channel}:{event.provider_id}:{event.status}"
    pid = event.provider_id or f"{event.received_at.isoformat()}"
    return f"sig:{event.channel}:{event.kind}:{event.address}:{pid}"


class CustomerIdentities:
    """``IdentitySource`` for chat onboarding: the expected answers from the customer row."""

    def __init__(self, uow_factory: Any) -> None:
        self.uow_factory = uow_factory

    def expected_answer(self, case_ref: str, method: VerificationMethod) -> str | None:
        with self.uow_factory() as uow:
            case = uow.cases.get(case_ref)
            if case is None or case.customer_id is None:
                return None
            customer = uow.session.get(CustomerRow, case.customer_id)
        if customer is None:
            return None
        if method is VerificationMethod.DOB:
            return customer.date_of_birth.isoformat() if customer.date_of_birth else None
        return customer.id_last4


class InboundService:
    """Implements :class:`bot.services.ports.InboundSink` over the database."""

    def __init__(self, uow_factory: Any, settings: Settings, profile: JurisdictionProfile,
                 renderer: TemplateRenderer, onboarding: ChatOnboarding | None = None) -> None:
        self.uow_factory = uow_factory
        self.settings = settings
        self.profile = profile
        self.renderer = renderer
        self.onboarding = onboarding
        self.limits = dialog.Limits(profile.max_promise_horizon_days,
                                    profile.min_instalment_percent, profile.max_instalments)

    async def accept(self, event: InboundEvent) -> SinkResult:
        return self.handle(event)

    # ------------------------------------------------------------------ dispatch on type
    def handle(self, event: InboundEvent) -> SinkResult:
        with self.uow_factory() as uow:
            now = uow.clock.now()
            try:
                with uow.session.begin_nested():
                    uow.session.add(InboundEventRow(key=event_key(event)[:400], at=now))
            except IntegrityError:
                return SinkResult(duplicate=True)
            result = SinkResult()
            if isinstance(event, InboundMessage):
                self._message(uow, event, now, result)
            elif isinstance(event, DeliveryReceipt):
                self._receipt(uow, event)
            else:
                self._signal(uow, event, now, result)
            uow.commit()
            return result

    # ------------------------------------------------------------------ receipts
    def _receipt(self, uow: SqlUnitOfWork, event: DeliveryReceipt) -> None:
        row = uow.session.exec(select(MessageRow).where(
            MessageRow.channel == event.channel.value, MessageRow.provider_id == event.provider_id,
            MessageRow.direction == "out")).first()
        if row is None:
            log.info("receipt for an unknown %s message", event.channel)
            return
        status = _RECEIPT_STATUS[event.status]
        if row.status in ("delivered", "undelivered", "failed") and status == "sent":
            return  # a late "sent" never overwrites a final status
        row.status = status
        if event.code:
            row.error_code = event.code
        if event.reason:
            row.error_reason = event.reason.value
        uow.session.add(row)

    # ------------------------------------------------------------------ signals
    def _signal(self, uow: SqlUnitOfWork, event: ContactSignal, now: datetime,
                result: SinkResult) -> None:
        if event.kind is SignalKind.LINK_REQUEST:
            self._link_request(uow, event, now, result)
            return
        if event.kind is SignalKind.HELP:
            if event.channel is ChannelKind.TELEGRAM:
                result.replies.append(self._help_text())
            return
        cases = uow.cases.find_by_contact(event.channel, event.address)
        confirm: Case | None = None
        for case in cases:
            if case.closed and event.kind is not SignalKind.OPT_OUT:
                continue
            if event.kind is SignalKind.OPT_OUT:
                changed = case.opt_out(event.channel, event.address, now, event.source)
                if changed and case.held_by is not None:
                    uow.session.add(WorkItemRow(
                        case_id=case.id, kind="held_conversation", priority=10,
                        detail=f"opted out ({event.source}) while held by {case.held_by}",
                        created_at=now))
                elif changed and confirm is None and event.channel is ChannelKind.TELEGRAM \
                        and event.source == "telegram-stop":
                    confirm = case
            elif event.kind is SignalKind.OPT_IN:
                case.opt_in(event.channel, event.address, now, event.source)
            elif event.kind is SignalKind.INVALID:
                case.invalidate_contact(event.channel, event.address, now, event.source)
        # the in-band answer to /stop is the bot speaking: not while a person holds a case
        if confirm is not None and not any(c.held_by is not None for c in cases):
            result.replies.append(self._render_text(confirm, "opt_out_confirmed",
                                                    event.channel))
        if not cases:
            log.info("%s signal for an unknown %s address %s", event.kind, event.channel,
                     mask_address(event.address))

    def _help_text(self) -> str:
        s = self.settings
        return (f"{s.brand_name}: call {s.support_phone} or email {s.support_email}. "
                f"Send /stop to stop messages here.")

    def _link_request(self, uow: SqlUnitOfWork, event: ContactSignal, now: datetime,
                      result: SinkResult) -> None:
        if self.onboarding is None:
            result.replies.append(self._help_text())
            return
        prompt = self.onboarding.on_link_request(event.address, event.detail, now)
        result.replies.append(prompt.text)
        if prompt.needs_human:
            uow.session.add(WorkItemRow(kind="verification_locked", priority=20,
                                        detail="locked chat opened a link", created_at=now))

    # ------------------------------------------------------------------ messages
    def _match(self, uow: SqlUnitOfWork, event: InboundMessage) -> Case | None:
        for ref, column in ((event.reply_token, MessageRow.reply_token),
                            (event.thread_ref, MessageRow.provider_id)):
            if not ref:
                continue
            row = uow.session.exec(select(MessageRow.case_id).where(
                column == ref, MessageRow.direction == "out",
                col(MessageRow.case_id).is_not(None))).first()
            if row is not None:
                case = uow.cases.get_by_id(row)
                if case is not None and case.contact(event.channel, event.sender) is not None:
                    return case
                if case is not None and event.reply_token:
                    return case  # the token is unguessable: it identifies the case
        cases = uow.cases.find_by_contact(event.channel, event.sender)
        if not cases:
            return None
        if len(cases) == 1:
            return cases[0]
        # several accounts: the one we wrote to last on this address
        last = uow.session.exec(select(MessageRow.case_id).where(
            MessageRow.address == event.sender, MessageRow.direction == "out",
            col(MessageRow.case_id).in_([c.id for c in cases]))
            .order_by(col(MessageRow.created_at).desc())).first()
        return next((c for c in cases if c.id == last), cases[0])

    def _message(self, uow: SqlUnitOfWork, event: InboundMessage, now: datetime,
                 result: SinkResult) -> None:
        if event.channel is ChannelKind.EMAIL and event.sender != event.sender.lower():
            event = dataclasses.replace(event, sender=event.sender.lower())  # as imported
        case = self._match(uow, event)
        msg = uow.messages.add(MessageRow(
            case_id=case.id if case else None, direction="in", channel=event.channel.value,
            address=event.sender, status="received", provider_id=event.provider_id,
            subject=event.subject, body=event.text, thread_ref=event.thread_ref,
            created_at=event.received_at if event.received_at <= now else now,
            actor="customer"))
        assert msg.id is not None

        if (self.onboarding is not None and event.channel is ChannelKind.TELEGRAM
                and self.onboarding.awaiting_answer(event.sender, now)):
            self._onboarding_answer(uow, event, now, result, msg)
            return
        if case is None:
            self._unknown_sender(uow, event, now, msg)
            return
        cp = case.contact(event.channel, event.sender)
        zone = ZoneInfo(case.timezone)
        local_now = now.astimezone(zone)
        reply = parse_reply(event.text, local_now, from_minor(case.balance_minor, case.currency),
                            case.currency, case.language)
        msg.intent = reply.intent.value
        person = None
        if case.held_by is not None or Hold.HUMAN in case.holds:
            person = ("held_conversation", f"new message for {case.held_by}")
        elif Hold.VULNERABLE in case.holds:
            person = ("vulnerable", "vulnerable customer wrote")
        if person is not None:
            # a person answers, the bot stays silent; but an opt-out binds the person too
            kind, detail = person
            if reply.opt_out and cp is not None and cp.opted_out_at is None:
                case.opt_out(event.channel, event.sender, now, "reply")
                detail += "; opt-out recorded"
            uow.session.add(WorkItemRow(case_id=case.id, message_id=msg.id, kind=kind,
                                        priority=10, detail=detail, created_at=now))
            return
        conv_row = uow.session.exec(select(ConversationRow).where(
            ConversationRow.case_id == case.id)).first()
        conv = dialog.Conversation() if conv_row is None else dialog.Conversation(
            dialog.State(conv_row.state), dict(conv_row.context or {}), conv_row.expires_at,
            conv_row.verify_failures)
        expected = self._expected(uow, case)
        facts = dialog.CaseFacts(
            balance_minor=case.balance_minor, currency=case.currency, today=local_now.date(),
            minimum_payment_minor=case.minimum_payment_minor, closed=case.closed,
            verified=bool(cp and cp.verified and cp.channel is not ChannelKind.SMS),
            # SMS is never verified (lock screens): there is no verification text for it
            can_verify=(expected is not None and cp is not None
                        and event.channel is not ChannelKind.SMS),
            contact_opted_out=bool(cp and cp.opted_out_at is not None),
            expected_answer=expected,
            verify_method=self.settings.telegram_verification,
            day_first=self.settings.default_region not in ("US",),
            timezone=case.timezone)
        turn = dialog.decide(reply, conv, facts, self.limits, now,
                             exp=exponent(case.currency))
        plan: list[tuple[int, int, Any]] = []
        for spec in turn.replies:
            plan = spec.values.get("plan_options", plan)
        failed = self._apply(uow, case, cp, event, turn, now, msg)
        if failed:
            # never confirm what was not recorded (a promise on a disputed case...)
            turn.replies = [dialog.ReplySpec("handoff_ack") if s.template_id in
                            ("promise_confirmed", "promise_counter_offer") else s
                            for s in turn.replies]
            turn.conversation = dialog.Conversation(
                verify_failures=turn.conversation.verify_failures)
        self._save_conversation(uow, case, conv_row, turn.conversation, now)
        self._queue_replies(uow, case, cp, event, turn, now, msg, plan)
        log.info("inbound %s on case ****%s: %s", event.channel, case.account_id[-4:],
                 turn.note)

    def _expected(self, uow: SqlUnitOfWork, case: Case) -> str | None:
        customer = uow.session.get(CustomerRow, case.customer_id) if case.customer_id else None
        if customer is None:
            return None
        if self.settings.telegram_verification == "id_last4":
            return customer.id_last4
        return customer.date_of_birth.isoformat() if customer.date_of_birth else None

    def _apply(self, uow: SqlUnitOfWork, case: Case, cp: ContactPoint | None,
               event: InboundMessage, turn: dialog.Turn, now: datetime,
               msg: MessageRow) -> bool:
        """Carry out the turn's commands; True when a promise could not be recorded."""
        actor = "customer"
        promise_failed = False
        for command in turn.commands:
            try:
                self._apply_one(uow, case, cp, event, command, now, msg, actor)
            except TransitionError as exc:
                # e.g. a promise on a disputed case: a person sorts it out
                promise_failed |= isinstance(command, dialog.MakePromise)
                uow.session.add(WorkItemRow(case_id=case.id, message_id=msg.id,
                                            kind="needs_review", detail=str(exc)[:500],
                                            created_at=now))
        return promise_failed

    def _apply_one(self, uow: SqlUnitOfWork, case: Case, cp: ContactPoint | None,
                   event: InboundMessage, command: dialog.Command, now: datetime,
                   msg: MessageRow, actor: str) -> None:
        if isinstance(command, dialog.MakePromise):
            case.make_promise(list(command.terms), now, actor, source_message_id=msg.id)
        elif isinstance(command, dialog.ClaimPayment):
            if Hold.PAYMENT_CLAIMED not in case.holds and not case.closed:
                case.claim_payment(now, command.grace_days, actor)
        elif isinstance(command, dialog.OpenDispute):
            case.open_dispute(now, actor, command.reason)
        elif isinstance(command, dialog.PlaceLegalHold):
            hold = {"attorney": Hold.ATTORNEY, "bankruptcy": Hold.BANKRUPTCY,
                    "cease": Hold.CEASE}.get(command.kind)
            if hold is not None and not case.closed:
                case.place_hold(hold, now, actor, f"customer reply ({command.kind})")
            elif not case.closed and case.held_by is None:
                # a complaint or a threat of action: the legal-review queue holds the
                # conversation (the bot goes quiet) until a person has looked at it
                case.take_over(LEGAL_QUEUE, now)
        elif isinstance(command, dialog.OptOutContact):
            if cp is not None:
                case.opt_out(event.channel, event.sender, now, "reply", actor)
        elif isinstance(command, dialog.MarkWrongParty):
            if cp is not None:
                case.invalidate_contact(event.channel, event.sender, now, "wrong party",
                                        actor, wrong_party=True)
        elif isinstance(command, dialog.MarkVerified):
            if cp is not None:
                cp.verified = True
        elif isinstance(command, dialog.QueueForHuman):
            uow.session.add(WorkItemRow(case_id=case.id, message_id=msg.id, kind=command.kind,
                                        detail=command.detail[:500], priority=command.priority,
                                        due_at=command.due_at, created_at=now))

    def _save_conversation(self, uow: SqlUnitOfWork, case: Case, row: ConversationRow | None,
                           conv: dialog.Conversation, now: datetime) -> None:
        if row is None:
            row = ConversationRow(case_id=case.id or 0, updated_at=now)
        row.state = conv.state.value
        row.context = conv.context
        row.expires_at = conv.expires_at
        row.verify_failures = conv.verify_failures
        row.locked_at = now if conv.state is dialog.State.LOCKED and row.locked_at is None \
            else row.locked_at
        row.updated_at = now
        uow.session.add(row)

    # ------------------------------------------------------------------ replies
    def context_for(self, case: Case, cp: ContactPoint | None,
                    plan: list[tuple[int, int, Any]] | None = None) -> RenderContext:
        verified = bool(cp and cp.verified and cp.channel is not ChannelKind.SMS)
        return RenderContext.from_case(
            case, self.settings.brand,
            disclosure=Disclosure.VERIFIED if verified else Disclosure.LIMITED,
            plan_options=[PlanOption(c, a, d) for c, a, d in (plan or [])])

    def _render_text(self, case: Case, template_id: str, channel: ChannelKind) -> str:
        cp = next((c for c in case.contacts if c.channel is channel), None)
        return self.renderer.render(template_id, case.language, channel,
                                    self.context_for(case, cp)).body

    def _queue_replies(self, uow: SqlUnitOfWork, case: Case, cp: ContactPoint | None,
                       event: InboundMessage, turn: dialog.Turn, now: datetime,
                       msg: MessageRow, plan: list[tuple[int, int, Any]]) -> None:
        # A message from an address not on file (matched by its reply token) is answered
        # on the case's own contact point for that channel: the dispatcher can only check
        # consent and opt-outs of an address we know. A confirmation (opt-out, wrong
        # party) concerns the address that wrote, so it never goes to another one.
        target = cp if cp is not None else contact_for(case, event.channel)
        if target is None:
            if turn.replies:
                uow.session.add(WorkItemRow(case_id=case.id, message_id=msg.id,
                                            kind="reply_undeliverable", priority=40,
                                            detail=f"no usable {event.channel} contact point "
                                                   "to answer on", created_at=now))
            return
        rows = []
        base = self.context_for(case, target, plan)
        for i, spec in enumerate(turn.replies):
            if spec.confirmation and cp is None:
                continue
            ctx = base
            terms = spec.values.get("proposed") or spec.values.get("offer")
            if terms:
                amount, due = terms[0]
                ctx = dataclasses.replace(ctx, promise_amount_minor=amount,
                                          promise_date=date.fromisoformat(due) if due else None)
            if "attempts_left" in spec.values:
                ctx = dataclasses.replace(ctx, verify_attempts_left=spec.values["attempts_left"])
            try:
                rendered = self.renderer.render(spec.template_id, case.language, event.channel,
                                                ctx)
            except TemplateError as exc:
                log.error("cannot render %s for a reply: %s", spec.template_id, exc)
                uow.session.add(WorkItemRow(case_id=case.id, message_id=msg.id,
                                            kind="reply_failed", detail=str(exc)[:500],
                                            created_at=now))
                continue
            rows.append(outbox_row(
                case_id=case.id, contact_point_id=target.id,
                channel=event.channel.value, address=target.address, body=rendered.body,
                subject=rendered.subject, idempotency_key=f"reply:{msg.id}:{i}", now=now,
                purpose="confirmation" if spec.confirmation else "reply",
                template_id=spec.template_id, lang=case.language,
                thread_ref=event.provider_id if event.channel is ChannelKind.EMAIL else None,
                reply_token=event.reply_token))
        enqueue_many(uow.session.connection(), rows)

    def _unknown_sender(self, uow: SqlUnitOfWork, event: InboundMessage, now: datetime,
                        msg: MessageRow) -> None:
        """Answer once a day with a neutral text that discloses nothing."""
        lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in event.text) else "en"
        s = self.settings
        ctx = RenderContext(brand_name=s.brand_name, pay_url=s.pay_url,
                            support_phone=s.support_phone, support_email=s.support_email,
                            language=lang, locale="zh_CN" if lang == "zh" else "en_US")
        try:
            rendered = self.renderer.render("unknown_sender", lang, event.channel, ctx)
        except TemplateError as exc:
            log.error("cannot render unknown_sender: %s", exc)
            return
        enqueue_many(uow.session.connection(), [outbox_row(
            case_id=None, contact_point_id=None, channel=event.channel.value,
            address=event.sender, body=rendered.body, subject=rendered.subject,
            idempotency_key=f"unknown:{event.channel}:{event.sender}:{now.date().isoformat()}",
            now=now, purpose="confirmation", template_id="unknown_sender", lang=lang,
            thread_ref=event.provider_id if event.channel is ChannelKind.EMAIL else None)])
        uow.session.add(WorkItemRow(message_id=msg.id, kind="unknown_sender", priority=80,
                                    detail=f"message from unknown {event.channel} "
                                           f"{mask_address(event.sender)}", created_at=now))

    def _onboarding_answer(self, uow: SqlUnitOfWork, event: InboundMessage, now: datetime,
                           result: SinkResult, msg: MessageRow) -> None:
        assert self.onboarding is not None
        outcome = self.onboarding.on_answer(event.sender, event.text, now)
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
            msg.case_id = case.id
        if outcome.needs_human:
            uow.session.add(WorkItemRow(case_id=case.id if case else None, message_id=msg.id,
                                        kind="verification_locked", priority=20,
                                        detail=outcome.kind.value, created_at=now))

