"""The bot's answers to customers: render the dialog's replies and the system texts (HELP,
unknown sender) from templates in the customer's language, and queue them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.conversations import dialog
from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import PlanOption, RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import RenderProfile, TemplateRenderer
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.domain.contacts import ContactPoint, mask_address
from bot.domain.messages import ChannelKind, InboundMessage
from bot.domain.outbox import MessagePurpose, NewOutboxMessage, outbox_message
from bot.domain.work_items import WorkItemKind, work_item
from bot.policy.decision import Purpose
from bot.services.outbound import contact_for
from bot.services.ports import UnitOfWork

log = logging.getLogger("duebot.inbound")
LANGUAGES = ("en", "zh")


def language_of(text: str) -> str:
    """The language to answer a stranger in: Chinese when the text has Han characters."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


@dataclasses.dataclass(frozen=True)
class ReplyTexts:
    """Renders what the bot says; ``brand`` is what templates read of the organisation."""

    renderer: TemplateRenderer
    brand: Brand
    default_language: str = "en"
    #: the profile that governs a case's texts (its campaign's: opt-out and mini-Miranda
    #: lines); None, or no answer, keeps the renderer's
    profile_for: Callable[[Case], RenderProfile | None] | None = None

    def _renderer(self, case: Case) -> TemplateRenderer:
        profile = self.profile_for(case) if self.profile_for is not None else None
        return self.renderer.for_profile(profile) if profile is not None else self.renderer

    def context_for(self, case: Case, cp: ContactPoint | None,
                    plan: list[tuple[int, int, Any]] | None = None) -> RenderContext:
        verified = bool(cp and cp.verified and cp.channel is not ChannelKind.SMS
                        and not cp.shared)
        return RenderContext.from_case(
            case, self.brand,
            disclosure=Disclosure.VERIFIED if verified else Disclosure.LIMITED,
            plan_options=[PlanOption(c, a, d) for c, a, d in (plan or [])])

    def for_case(self, case: Case, template_id: str, channel: ChannelKind) -> str:
        """A short text for the case on ``channel`` (in-band answers)."""
        cp = next((c for c in case.contacts if c.channel is channel), None)
        return self._renderer(case).render(template_id, case.language, channel,
                                    self.context_for(case, cp)).body

    def system(self, template_id: str, lang: str, channel: ChannelKind) -> tuple[str, str | None]:
        """(body, subject) of a text that names no case (HELP, unknown sender)."""
        lang = lang if lang in LANGUAGES else self.default_language
        b = self.brand
        ctx = RenderContext(brand_name=b.brand_name, pay_url=b.pay_url,
                            support_phone=b.support_phone, support_email=b.support_email,
                            language=lang, locale="zh_CN" if lang == "zh" else "en_US")
        rendered = self.renderer.render(template_id, lang, channel, ctx)
        return rendered.body, rendered.subject

    def help(self, channel: ChannelKind, cases: list[Case]) -> str:
        """The answer to HELP, in the language of the (first) case at that address."""
        lang = cases[0].language if cases else self.default_language
        return self.system("help", lang, channel)[0]

    # ------------------------------------------------------------------ queueing
    def queue_turn(self, uow: UnitOfWork, case: Case, cp: ContactPoint | None,
                   event: InboundMessage, turn: dialog.Turn, now: datetime, message_id: int,
                   plan: list[tuple[int, int, Any]]) -> None:
        """Queue the turn's replies on the channel the customer wrote on."""
        # A message from an address not on file (matched by its reply token) is answered
        # on the case's own contact point for that channel: the dispatcher can only check
        # consent and opt-outs of an address we know. A confirmation (opt-out, wrong
        # party) concerns the address that wrote, so it never goes to another one.
        target = cp if cp is not None else contact_for(case, event.channel)
        if target is None:
            if turn.replies:
                uow.work_items.add(work_item(
                    WorkItemKind.REPLY_UNDELIVERABLE, now, case_id=case.id,
                    message_id=message_id,
                    detail=f"no usable {event.channel} contact point to answer on"))
            return
        rows: list[NewOutboxMessage] = []
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
                rendered = self._renderer(case).render(spec.template_id, case.language,
                                                       event.channel,
                                                ctx)
            except TemplateError as exc:
                log.error("cannot render %s for a reply: %s", spec.template_id, exc)
                uow.work_items.add(work_item(WorkItemKind.REPLY_FAILED, now, case_id=case.id,
                                             message_id=message_id, detail=str(exc)))
                continue
            rows.append(outbox_message(
                case_id=case.id, contact_point_id=target.id,
                channel=event.channel.value, address=target.address, body=rendered.body,
                subject=rendered.subject, idempotency_key=f"reply:{message_id}:{i}", now=now,
                purpose=(MessagePurpose.CONFIRMATION.value if spec.confirmation
                         else Purpose.REPLY.value),
                template_id=spec.template_id, lang=case.language,
                thread_ref=event.provider_id if event.channel is ChannelKind.EMAIL else None,
                reply_token=event.reply_token))
        uow.outbox.enqueue(rows)

    def queue_unknown_sender(self, uow: UnitOfWork, event: InboundMessage, now: datetime,
                             message_id: int) -> None:
        """Answer a stranger once a day with a neutral text that discloses nothing."""
        lang = language_of(event.text)
        try:
            body, subject = self.system("unknown_sender", lang, event.channel)
        except TemplateError as exc:
            log.error("cannot render unknown_sender: %s", exc)
            return
        uow.outbox.enqueue([outbox_message(
            case_id=None, contact_point_id=None, channel=event.channel.value,
            address=event.sender, body=body, subject=subject,
            idempotency_key=f"unknown:{event.channel}:{event.sender}:{now.date().isoformat()}",
            now=now, purpose=MessagePurpose.CONFIRMATION.value, template_id="unknown_sender",
            lang=lang,
            thread_ref=event.provider_id if event.channel is ChannelKind.EMAIL else None)])
        uow.work_items.add(work_item(
            WorkItemKind.UNKNOWN_SENDER, now, message_id=message_id,
            detail=f"message from unknown {event.channel} {mask_address(event.sender)}"))
