"""Composing outbound messages for a case: which contact point, which text."""

from __future__ import annotations

from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import TemplateRenderer
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind, QuickReply
from storage.models import MessageRow


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


def rerender_for_channel(renderer: TemplateRenderer, brand: Brand, case: Case,
                         row: MessageRow, kind: ChannelKind) -> MessageRow | None:
    """The same message for another channel (fallback), or None if it cannot go there."""
    cp = contact_for(case, kind)
    if cp is None or row.template_id is None:
        return None
    ctx = RenderContext.from_case(case, brand, disclosure=disclosure_for(cp))
    try:
        rendered = renderer.render(row.template_id, row.lang or case.language, kind, ctx)
    except TemplateError:
        return None
    return MessageRow(case_id=case.id, contact_point_id=cp.id, direction="out",
                      channel=kind.value, address=cp.address, status="queued",
                      body=rendered.body, subject=rendered.subject, reply_token=row.reply_token)


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
