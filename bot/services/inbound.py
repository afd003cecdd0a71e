"""The application's inbound sink: every channel's messages, signals and receipts land here.

Everything for one event happens in one transaction, and each event is processed once: a
provider's retry of the same message changes nothing. What happens per kind of event:
customer messages in ``customer_messages.py``, contact-point signals in ``signals.py``,
delivery receipts in ``receipts.py``.
"""

from __future__ import annotations

from bot.domain.messages import (
    DeliveryReceipt,
    InboundEvent,
    InboundMessage,
    SinkResult,
)
from bot.services.chat_linking import ChatOnboarding
from bot.services.customer_messages import DialogSettings, handle_message
from bot.services.ports import UnitOfWorkFactory
from bot.services.receipts import apply_receipt
from bot.services.reply_texts import ReplyTexts
from bot.services.signals import handle_signal


def event_key(event: InboundEvent) -> str:
    """What makes an event a repeat (a message and the STOP signal it carries differ;
    status callbacks repeat the provider id with a new status)."""
    if isinstance(event, InboundMessage):
        return f"msg:{event.channel}:{event.provider_id}"
    if isinstance(event, DeliveryReceipt):
        return f"rcpt:{event.channel}:{event.provider_id}:{event.status}"
    pid = event.provider_id or f"{event.received_at.isoformat()}"
    return f"sig:{event.channel}:{event.kind}:{event.address}:{pid}"


class InboundService:
    """Implements :class:`bot.services.ports.InboundSink` over a unit of work."""

    def __init__(self, uow_factory: UnitOfWorkFactory, texts: ReplyTexts,
                 settings: DialogSettings, onboarding: ChatOnboarding | None = None) -> None:
        self.uow_factory = uow_factory
        self.texts = texts
        self.settings = settings
        self.onboarding = onboarding

    async def accept(self, event: InboundEvent) -> SinkResult:
        return self.handle(event)

    def handle(self, event: InboundEvent) -> SinkResult:
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
