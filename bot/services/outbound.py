"""Composing outbound messages for a case: which contact point, which disclosure, the
fallback to another channel, and chat buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import TemplateRenderer
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind, QuickReply
from bot.domain.outbox import NewOutboxMessage, outbox_message
from bot.policy.decision import Purpose
from bot.services.ports import StoredMessage


def contact_for(case: Case, kind: ChannelKind) -> ContactPoint | None:
    """The case's usable contact point on ``kind`` (verified ones first)."""
    usable = [c for c in case.contacts if c.channel is kind and c.usable]
    usable.sort(key=lambda c: not c.verified)
    return usable[0] if usable else None


def disclosure_for(cp: ContactPoint) -> Disclosure:
    """SMS is always limited (lock screens); chat and email only after verification."""
    if cp.verified and cp.channel is not ChannelKind.SMS:
        return Disclosure.VERIFIED
    return Disclosure.LIMITED


def fallback_message(renderer: TemplateRenderer, brand: Brand, case: Case,
                     message: StoredMessage, kind: ChannelKind, remaining: Sequence[str],
                     now: datetime) -> NewOutboxMessage | None:
    """The same message re-rendered for another channel (fallback), or None when it
    cannot go there (no usable contact point, no template for that channel)."""
    cp = contact_for(case, kind)
    if cp is None or message.template_id is None:
        return None
    ctx = RenderContext.from_case(case, brand, disclosure=disclosure_for(cp))
    try:
        rendered = renderer.render(message.template_id, message.lang or case.language, kind,
                                   ctx)
    except TemplateError:
        return None
    return outbox_message(
        case_id=message.case_id, contact_point_id=cp.id, channel=kind.value,
        address=cp.address, body=rendered.body, subject=rendered.subject,
        idempotency_key=f"{message.idempotency_key}>{kind.value}", now=now,
        purpose=message.purpose or Purpose.DUNNING.value, template_id=message.template_id,
        lang=message.lang, step_id=message.step_id, variant=message.variant,
        campaign_id=message.campaign_id, fallback_channels=remaining,
        reply_token=message.reply_token, actor=message.actor or "bot", ref=message.ref)


#: Chat buttons under a message: pay, promise, talk to a person. A press comes back as
#: the payload text, which the reply parser reads like anything the customer types.
_QUICK_REPLIES = {
    "en": (QuickReply("How do I pay?", "How do I pay?"),
           QuickReply("Promise a date", "I will pay, can we agree a date?"),
           QuickReply("Talk to a person", "I want to talk to a person")),
    "zh": (QuickReply("如何还款", "怎么还款？"),
           QuickReply("约定还款日期", "我会还款，想约个还款日期"),
           QuickReply("转人工", "转人工")),
}


def quick_replies_for(lang: str) -> tuple[QuickReply, ...]:
    return _QUICK_REPLIES.get(lang, _QUICK_REPLIES["en"])
