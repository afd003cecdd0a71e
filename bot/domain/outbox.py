"""The outbox: outbound messages waiting for a worker, and what they are for.

Planning, the bot's replies and collectors *enqueue* messages (a unique idempotency key:
enqueueing the same logical message twice keeps one). Workers *claim* due messages, send
them and record the outcome. A new message is a plain mapping of its stored values
(:class:`NewOutboxMessage`, built by :func:`outbox_message`): the tick writes hundreds of
thousands at a time, and a mapping goes to the database as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypedDict


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker, under a lease
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # the policy said no at send time


#: statuses of a message that reached the provider
SENT_STATUSES = (OutboxStatus.SENT, OutboxStatus.DELIVERED)
#: statuses no later "sent" receipt may overwrite
FINAL_STATUSES = frozenset({OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED,
                            OutboxStatus.FAILED})


class MessagePurpose(StrEnum):
    """Why a message is sent, beyond the campaign policy's own purposes
    (:class:`bot.policy.decision.Purpose`: dunning, promise_reminder, reply)."""

    #: an answer to the customer's own request (opt-out, wrong number, unknown sender):
    #: goes out exactly once, even to an address that has just opted out
    CONFIRMATION = "confirmation"
    #: a collector's own message while holding the conversation
    COLLECTOR = "collector"


class NewOutboxMessage(TypedDict):
    """An outbound message to enqueue, as stored."""

    case_id: int | None
    contact_point_id: int | None
    direction: str
    channel: str
    address: str
    template_id: str | None
    lang: str | None
    step_id: str | None
    variant: str | None
    campaign_id: str | None
    purpose: str
    fallback_channels: list[str]
    status: str
    idempotency_key: str
    subject: str | None
    body: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    reply_token: str | None
    thread_ref: str | None
    actor: str
    ref: str | None


def outbox_message(
    *, case_id: int | None, contact_point_id: int | None, channel: str, address: str,
    body: str, subject: str | None, idempotency_key: str, now: datetime,
    purpose: str, template_id: str | None = None, lang: str | None = None,
    step_id: str | None = None, variant: str | None = None, campaign_id: str | None = None,
    fallback_channels: Sequence[str] = (), not_before: datetime | None = None,
    reply_token: str | None = None, thread_ref: str | None = None, actor: str = "bot",
    ref: str | None = None,
) -> NewOutboxMessage:
    """A queued outbound message, due at ``not_before`` (default: now)."""
    return {
        "case_id": case_id, "contact_point_id": contact_point_id, "direction": "out",
        "channel": channel, "address": address, "template_id": template_id, "lang": lang,
        "step_id": step_id, "variant": variant, "campaign_id": campaign_id,
        "purpose": purpose, "fallback_channels": list(fallback_channels),
        "status": OutboxStatus.QUEUED.value, "idempotency_key": idempotency_key,
        "subject": subject, "body": body, "attempts": 0,
        "next_attempt_at": not_before or now, "created_at": now, "reply_token": reply_token,
        "thread_ref": thread_ref, "actor": actor, "ref": ref,
    }

