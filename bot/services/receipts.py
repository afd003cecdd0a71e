"""A provider's word on a message we sent (delivered, failed...)."""

from __future__ import annotations

import logging

from bot.domain.messages import DeliveryReceipt, ReceiptStatus
from bot.domain.outbox import FINAL_STATUSES, OutboxStatus
from bot.services.ports import DeliveryUpdate, UnitOfWork

log = logging.getLogger("duebot.inbound")

_STATUS = {
    ReceiptStatus.DELIVERED: OutboxStatus.DELIVERED,
    ReceiptStatus.READ: OutboxStatus.DELIVERED,
    ReceiptStatus.UNDELIVERED: OutboxStatus.UNDELIVERED,
    ReceiptStatus.FAILED: OutboxStatus.FAILED,
    ReceiptStatus.SENT: OutboxStatus.SENT,
    ReceiptStatus.QUEUED: OutboxStatus.SENT,
}


def apply_receipt(uow: UnitOfWork, event: DeliveryReceipt) -> None:
    message = uow.messages.outbound_by_provider_id(event.channel, event.provider_id)
    if message is None:
        log.info("receipt for an unknown %s message", event.channel)
        return
    status = _STATUS[event.status]
    if message.status in FINAL_STATUSES and status is OutboxStatus.SENT:
        return  # a late "sent" never overwrites a final status
    uow.messages.update_delivery(DeliveryUpdate(
        message.id, status.value, error_code=event.code or None,
        error_reason=event.reason.value if event.reason else None))
