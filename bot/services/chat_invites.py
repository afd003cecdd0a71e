"""Inviting a customer to a private chat (Telegram): a one-time deep link sent by SMS or
email (``telegram_invite``), which the customer opens to link the chat to the case after
identity verification (``chat_linking.ChatOnboarding``)."""

from __future__ import annotations

from bot.conversations.render_context import RenderContext
from bot.domain.case import Case
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from bot.policy.decision import Purpose
from bot.policy.engine import local_date
from bot.services.chat_linking import ChatOnboarding
from bot.services.outbound import contact_for, disclosure_for
from bot.services.ports import UnitOfWork
from bot.services.reply_texts import ReplyTexts

TEMPLATE = "telegram_invite"


class InviteError(ValueError):
    """The invitation cannot be sent; the message says why."""


def invite_to_chat(uow: UnitOfWork, onboarding: ChatOnboarding, texts: ReplyTexts,
                   account_id: str, actor: str, bot_username: str | None) -> int | None:
    """Queue an invitation (by email when the case has a usable address, else by SMS);
    returns the outbox message id, or None when one was already queued today. The
    message is a collection communication: hours, caps and consent apply at send time."""
    if not bot_username:
        raise InviteError("no Telegram bot is configured (DUEBOT_TELEGRAM_BOT_USERNAME)")
    case: Case | None = uow.cases.get(account_id)
    if case is None or case.id is None:
        raise InviteError(f"no case with account id {account_id!r}")
    if case.closed:
        raise InviteError(f"case {account_id} is closed")
    cp = contact_for(case, ChannelKind.EMAIL) or contact_for(case, ChannelKind.SMS)
    if cp is None:
        raise InviteError("no usable email address or phone number to send the link to")
    now = uow.clock.now()
    link = onboarding.issue_link(case.account_id, bot_username, now)
    ctx = RenderContext.from_case(case, texts.brand, disclosure=disclosure_for(cp),
                                  deep_link=link)
    rendered = texts.renderer.render(TEMPLATE, case.language, cp.channel, ctx)
    ids = uow.outbox.enqueue([outbox_message(
        case_id=case.id, contact_point_id=cp.id, channel=cp.channel.value, address=cp.address,
        body=rendered.body, subject=rendered.subject,
        idempotency_key=f"invite:{case.id}:{local_date(case, now).isoformat()}", now=now,
        purpose=Purpose.DUNNING.value, template_id=TEMPLATE, lang=rendered.lang,
        actor=actor)])
    uow.commit()
    return ids[0] if ids else None
