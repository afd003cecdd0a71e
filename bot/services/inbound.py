"""The application's inbound sink: every channel's messages, signals and receipts land here.

Everything for one event happens in one transaction, and each event is processed once: a
provider's retry of the same message changes nothing. What happens per kind of event:
customer messages in ``customer_messages.py``, contact-point signals in ``signals.py``,
delivery receipts in ``receipts.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
from concurrent.futures import Executor

from bot.domain.messages import (
    DeliveryReceipt,
    InboundEvent,
    InboundMessage,
    SinkResult,
)
from bot.domain.text_hygiene import clean_text, fit_identifier, text_problem
from bot.services.chat_linking import ChatOnboarding
from bot.services.customer_messages import DialogSettings, handle_message
from bot.services.ports import ConcurrentUpdateError, UnitOfWorkFactory
from bot.services.receipts import apply_receipt
from bot.services.reply_texts import ReplyTexts
from bot.services.signals import handle_signal

log = logging.getLogger("duebot.inbound")

#: how many times an event is handled when its case changes concurrently
CONFLICT_ATTEMPTS = 5
#: the longest key of a processed event (storage keeps 400 characters)
MAX_EVENT_KEY = 400
#: the longest identifiers and addresses an event may carry into storage
_IDENTIFIERS = {"provider_id": 255, "thread_ref": 255, "sender": 320, "address": 320}
_SHORT_CODES = {"reply_token": 64, "code": 32, "source": 64}
_TEXTS = {"text": None, "subject": 300, "detail": 500}


def event_key(event: InboundEvent) -> str:
    """What makes an event a repeat (a message and the STOP signal it carries differ;
    status callbacks repeat the provider id with a new status). A key too long to keep is
    a digest of all of it, never cut short."""
    if isinstance(event, InboundMessage):
        key = f"msg:{event.channel}:{event.provider_id}"
    elif isinstance(event, DeliveryReceipt):
        key = f"rcpt:{event.channel}:{event.provider_id}:{event.status}"
    else:
        pid = event.provider_id or f"{event.received_at.isoformat()}"
        key = f"sig:{event.channel}:{event.kind}:{event.address}:{pid}"
    if len(key) > MAX_EVENT_KEY:
        key = f"{key[:32]}~{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return key


def clean_event(event: InboundEvent) -> tuple[InboundEvent, list[tuple[str, str]]]:
    """``event`` with every field made keepable, and ``(field, what was done)`` for each
    one changed: text loses NUL bytes and control characters, an identifier or address
    that is too long or odd is replaced by a digest of all of it (a retry still matches;
    two ids never merge), an odd short code (a reply token, an error code, a source) is
    dropped."""
    changes: dict[str, object] = {}
    done: list[tuple[str, str]] = []
    for name in (f.name for f in dataclasses.fields(event)):
        value = getattr(event, name)
        if not isinstance(value, str):
            continue
        fitted: str | None = value
        why: str | None = None
        if name in _IDENTIFIERS:
            fitted, why = fit_identifier(value, _IDENTIFIERS[name])
        elif name in _SHORT_CODES:
            limit = _SHORT_CODES[name]
            odd = text_problem(value) or (
                f"longer than {limit} characters" if len(value) > limit else None)
            if odd is not None:
                # ContactSignal.source is required: empty; the others are optional: None
                fitted, why = ("" if name == "source" else None), f"{odd}: dropped"
        elif name in _TEXTS:
            fitted, why = clean_text(value)
            limit_text = _TEXTS[name]
            if limit_text is not None and len(fitted) > limit_text:
                fitted = fitted[:limit_text]
                why = f"{why + ', ' if why else ''}cut to {limit_text} characters"
        if why is not None:
            changes[name] = fitted
            done.append((name, why))
    return (dataclasses.replace(event, **changes) if changes else event), done  # type: ignore[arg-type]


class InboundService:
    """Implements :class:`bot.services.ports.InboundSink` over a unit of work.

    ``executor``: where :meth:`accept` runs the event's transaction (a thread pool no
    larger than the database's connection pool), so that a web server keeps answering
    other requests while one waits for the database, and several events are handled at
    once; without one, on the caller's thread (in-memory stores). Two deliveries of one
    event at the same instant still store it once: the processed-event key is inserted
    first in the transaction, under a unique index, so the second waits for the first to
    commit and then finds it."""

    def __init__(self, uow_factory: UnitOfWorkFactory, texts: ReplyTexts,
                 settings: DialogSettings, onboarding: ChatOnboarding | None = None,
                 executor: Executor | None = None) -> None:
        self.uow_factory = uow_factory
        self.texts = texts
        self.settings = settings
        self.onboarding = onboarding
        self.executor = executor

    async def accept(self, event: InboundEvent) -> SinkResult:
        if self.executor is None:
            return self.handle(event)
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.handle,
                                                                event)

    def handle(self, event: InboundEvent) -> SinkResult:
        event, cleaned = clean_event(event)
        for name, why in cleaned:  # the field and the reason, never the content
            log.warning("inbound %s %s: %s %s", event.channel, type(event).__name__, name, why)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._handle_once(event)
            except ConcurrentUpdateError:
                # two events of one customer at once (a conversation both created, a
                # case both updated): the loser's transaction was rolled back whole, so
                # handling it again from the start is safe
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("inbound %s %s: the case changed concurrently, retrying (%d)",
                         event.channel, type(event).__name__, attempt)
                time.sleep(random.uniform(0, 0.02 * attempt))
        raise AssertionError("unreachable")

    def _handle_once(self, event: InboundEvent) -> SinkResult:
        with self.uow_factory() as uow:
            now = uow.clock.now()
            if not uow.inbound_events.first_time(event_key(event), now):
                return SinkResult(duplicate=True)
            result = SinkResult()
            if isinstance(event, InboundMessage):
                handle_message(uow, event, now, result, self.texts, self.settings,
                               self.onboarding)
            elif isinstance(event, DeliveryReceipt):
                apply_receipt(uow, event)
            else:
                handle_signal(uow, event, now, result, self.texts, self.onboarding)
            uow.commit()
            return result
