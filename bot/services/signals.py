"""Contact-point signals: opt-out and opt-in (keywords, unsubscribe links, provider
refusals), invalid addresses, HELP, and chat deep-link requests."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.case import Case
from bot.domain.contacts import mask_address
from bot.domain.messages import (
    ANSWERED_BY_PROVIDER,
    ChannelKind,
    ContactSignal,
    SignalKind,
    SinkResult,
)
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.chat_linking import ChatOnboarding
from bot.services.ports import UnitOfWork
from bot.services.reply_texts import ReplyTexts

log = logging.getLogger("duebot.inbound")


def handle_signal(uow: UnitOfWork, event: ContactSignal, now: datetime, result: SinkResult,
                  texts: ReplyTexts, onboarding: ChatOnboarding | None) -> None:
    if event.kind is SignalKind.LINK_REQUEST:
        _link_request(uow, event, now, result, texts, onboarding)
        return
    cases = uow.cases.find_by_contact(event.channel, event.address)
    if event.kind is SignalKind.HELP:
        if event.detail != ANSWERED_BY_PROVIDER:
            result.replies.append(texts.help(event.channel, cases))
        return
    confirm: Case | None = None
    for case in cases:
        if case.closed and event.kind is not SignalKind.OPT_OUT:
            continue
        if event.kind is SignalKind.OPT_OUT:
            changed = case.opt_out(event.channel, event.address, now, event.source)
            if changed and case.held_by is not None:
                uow.work_items.add(work_item(
                    WorkItemKind.HELD_CONVERSATION, now, case_id=case.id,
                    detail=f"opted out ({event.source}) while held by {case.held_by}"))
            elif changed and confirm is None and event.channel is ChannelKind.TELEGRAM \
                    and event.source == "telegram-stop" and not _wrong_party(case, event):
                confirm = case
        elif event.kind is SignalKind.OPT_IN:
            case.opt_in(event.channel, event.address, now, event.source)
        elif event.kind is SignalKind.INVALID:
            case.invalidate_contact(event.channel, event.address, now, event.source)
    # the in-band answer to /stop is the bot speaking: not while a person holds a case
    if confirm is not None and not any(c.held_by is not None for c in cases):
        result.replies.append(texts.for_case(confirm, "opt_out_confirmed", event.channel))
    if not cases:
        log.info("%s signal for an unknown %s address %s", event.kind, event.channel,
                 mask_address(event.address))


def _wrong_party(case: Case, event: ContactSignal) -> bool:
    """A wrong number was acknowledged once already: nothing more goes there."""
    cp = case.contact(event.channel, event.address)
    return cp is not None and cp.wrong_party_at is not None


def _link_request(uow: UnitOfWork, event: ContactSignal, now: datetime, result: SinkResult,
                  texts: ReplyTexts, onboarding: ChatOnboarding | None) -> None:
    if onboarding is None:
        result.replies.append(texts.help(event.channel, []))
        return
    prompt = onboarding.on_link_request(event.address, event.detail, now)
    result.replies.append(prompt.text)
    if prompt.needs_human:
        uow.work_items.add(work_item(WorkItemKind.VERIFICATION_LOCKED, now,
                                     detail="locked chat opened a link"))
