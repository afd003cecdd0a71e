"""Composing outbound messages for a case: which contact point, which disclosure, the
fallback to another channel, and chat buttons."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime

from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import Rendered, TemplateRenderer
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind, QuickReply
from bot.domain.outbox import NewOutboxMessage, outbox_message
from bot.policy.decision import Purpose
from bot.policy.engine import local_date
from bot.policy.profiles import JurisdictionProfile
from bot.policy.validation import validation_period_end
from bot.services.ports import StoredMessage


def contact_for(case: Case, kind: ChannelKind) -> ContactPoint | None:
    """The case's usable contact point on ``kind`` (verified ones first)."""
    usable = [c for c in case.contacts if c.channel is kind and c.usable]
    usable.sort(key=lambda c: not c.verified)
    return usable[0] if usable else None


def disclosure_for(cp: ContactPoint) -> Disclosure:
    """SMS is always limited (lock screens); chat and email only after verification, and
    never at an address others read too (shared)."""
    if cp.verified and cp.channel is not ChannelKind.SMS and not cp.shared:
        return Disclosure.VERIFIED
    return Disclosure.LIMITED


def notice_disclosure(cp: ContactPoint) -> Disclosure:
    """The validation notice carries its itemisation to the customer's own email (Reg F
    1006.42: an address the creditor had from the consumer; the subject stays limited)
    or a verified chat, never to an address others read (shared) nor by SMS."""
    if cp.channel is ChannelKind.EMAIL and not cp.shared and cp.wrong_party_at is None:
        return Disclosure.VERIFIED
    return disclosure_for(cp)


#: a message mentioning suit or court (never to a time-barred debt: Reg F 1006.26(b))
_SUIT = re.compile(
    r"\b(?:su(?:e|ed|es|ing)|lawsuits?|legal\s+(?:action|proceedings?)|courts?|litigation"
    r"|judge?ments?|prosecut\w*|attorneys?\s+will)\b|起诉|诉讼|法院|法律行动|律师函|判决",
    re.IGNORECASE)


class MentionsSuit(ValueError):
    """A message for a time-barred debt would mention suing (it is not sent)."""


def campaign_render(renderer: TemplateRenderer, brand: Brand, case: Case, cp: ContactPoint,
                    template_id: str, lang: str, channel: ChannelKind,
                    profile: JurisdictionProfile, now: datetime, *,
                    validation_notice: bool = False) -> Rendered:
    """A campaign message for ``cp`` under the campaign's ``profile`` (its opt-out and
    mini-Miranda lines): limited unless the contact point is verified (the validation
    notice: see :func:`notice_disclosure`, with the end of its validation period). For a
    time-barred debt the text may not mention suit (:class:`MentionsSuit`) and a text
    showing the debt carries the profile's time-barred disclosure."""
    r = renderer.for_profile(profile)
    if validation_notice:
        end = validation_period_end(local_date(case, now), profile, case.country)
        rendered = r.render(template_id, lang, channel, RenderContext.from_case(
            case, brand, disclosure=notice_disclosure(cp), validation_end=end))
    else:
        rendered = r.render_case(template_id, lang, channel, case, brand,
                                 disclosure=disclosure_for(cp))
    if not case.time_barred and case.limitation_date is None:
        return rendered  # most cases: no day to work out
    if not case.is_time_barred(local_date(case, now)):
        return rendered
    if _SUIT.search(rendered.body) or _SUIT.search(rendered.subject or ""):
        raise MentionsSuit(f"{template_id} mentions legal action; the debt is time-barred")
    note = profile.time_barred_text(lang) if rendered.level is Disclosure.VERIFIED else ""
    if note and note not in rendered.body:
        rendered = dataclasses.replace(rendered, body=f"{rendered.body}\n\n{note}")
    return rendered


def fallback_message(renderer: TemplateRenderer, brand: Brand, case: Case,
                     message: StoredMessage, kind: ChannelKind, remaining: Sequence[str],
                     now: datetime, profile: JurisdictionProfile | None = None
                     ) -> NewOutboxMessage | None:
    """The same message re-rendered for another channel (fallback), or None when it
    cannot go there (no usable contact point, no template for that channel, a
    time-barred debt and a text that mentions suit). ``profile``: the campaign's (the
    renderer's by default)."""
    cp = contact_for(case, kind)
    if cp is None or message.template_id is None:
        return None
    try:
        if profile is not None:
            rendered = campaign_render(renderer, brand, case, cp, message.template_id,
                                       message.lang or case.language, kind, profile, now)
        else:
            rendered = renderer.render(message.template_id, message.lang or case.language,
                                       kind, RenderContext.from_case(
                                           case, brand, disclosure=disclosure_for(cp)))
    except (TemplateError, MentionsSuit):
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
