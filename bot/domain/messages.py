"""Channel-neutral messages: what the domain sends and receives.

Adapters in ``channels/`` translate provider payloads (a Twilio form, a MIME tree, a
Telegram update) into these types at the edge; nothing in ``bot/`` sees a provider shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ChannelKind(StrEnum):
    """The kind of address a message goes to. The sandbox can stand in for any kind."""

    SMS = "sms"
    EMAIL = "email"
    TELEGRAM = "telegram"


class DeliveryStatus(StrEnum):
    ACCEPTED = "accepted"  # the provider took it; a status callback may follow
    TRANSIENT = "transient"  # try again later (rate limit, 5xx, network)
    PERMANENT = "permanent"  # never retry this message on this address


class FailureReason(StrEnum):
    OPTED_OUT = "opted_out"  # the carrier/provider says the recipient opted out
    INVALID_ADDRESS = "invalid_address"  # number/mailbox does not exist
    BLOCKED = "blocked"  # recipient blocked us (Telegram) or provider blocked content
    REJECTED = "rejected"  # permanent provider refusal for another reason
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # provider down, network error, timeout
    CONFIGURATION = "configuration"  # our account/credentials are wrong


#: final failures that are the recipient's refusal (an opt-out such as Twilio 21610, a
#: block): the message is not re-sent on another channel (see the campaign planner)
REFUSALS = frozenset({FailureReason.OPTED_OUT, FailureReason.BLOCKED})


@dataclass(frozen=True, slots=True)
class QuickReply:
    """A button offered with a message (chat channels); ``payload`` comes back as text."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to one address.

    ``idempotency_key`` is unique per logical message; adapters pass it to providers
    that support one. ``reply_token`` lets replies be matched to the case (email
    plus-addressing). ``thread_ref`` is the provider thread id this message answers.
    """

    idempotency_key: str
    channel: ChannelKind
    to: str
    body: str
    subject: str | None = None
    reply_token: str | None = None
    thread_ref: str | None = None
    quick_replies: tuple[QuickReply, ...] = ()
    html_body: str | None = None
    unsubscribe_token: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: DeliveryStatus
    provider_id: str | None = None
    reason: FailureReason | None = None
    code: str | None = None  # provider error code, e.g. Twilio "21610", SMTP "550"
    detail: str = ""  # short, never contains the address or the body
    segments: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.ACCEPTED

    @classmethod
    def accepted(cls, provider_id: str | None, *, segments: int | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.ACCEPTED, provider_id=provider_id, segments=segments)

    @classmethod
    def transient(
        cls, reason: FailureReason, *, code: str | None = None, detail: str = ""
    ) -> DeliveryResult:
        return cls(DeliveryStatus.TRANSIENT, reason=reason, code=code, detail=detail)

    @classmethod
    def permanent(
        cls, reason: FailureReason, *, code: str | None = None, detail: str = ""
    ) -> DeliveryResult:
        return cls(DeliveryStatus.PERMANENT, reason=reason, code=code, detail=detail)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message, whatever channel it came on."""

    channel: ChannelKind
    sender: str  # normalised address: E.164 phone, lower-cased email, Telegram chat id
    text: str
    provider_id: str  # unique per provider message (MessageSid, Message-ID, update id)
    received_at: datetime
    thread_ref: str | None = None  # In-Reply-To / reply token / chat id
    reply_token: str | None = None  # token from a per-message reply address
    subject: str | None = None


class ReceiptStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """A provider's later word on a message we sent (status callback, DSN bounce)."""

    channel: ChannelKind
    provider_id: str
    status: ReceiptStatus
    received_at: datetime
    code: str | None = None
    reason: FailureReason | None = None


class SignalKind(StrEnum):
    OPT_OUT = "opt_out"  # carrier STOP, one-click unsubscribe, /stop
    OPT_IN = "opt_in"  # carrier START
    INVALID = "invalid"  # hard bounce, unknown number
    HELP = "help"
    LINK_REQUEST = "link_request"  # chat deep link opened; ``detail`` holds the one-time token


@dataclass(frozen=True, slots=True)
class ContactSignal:
    """A change to a contact point that the provider or the customer signalled."""

    channel: ChannelKind
    address: str
    kind: SignalKind
    received_at: datetime
    source: str  # e.g. "carrier-stop", "list-unsubscribe", "dsn", "twilio-21610"
    provider_id: str | None = None
    detail: str = ""


#: ``ContactSignal.detail`` of a HELP the provider has already answered itself
ANSWERED_BY_PROVIDER = "answered-by-provider"

InboundEvent = InboundMessage | DeliveryReceipt | ContactSignal


@dataclass(slots=True)
class SinkResult:
    """What the application did with an inbound event (for the adapter's answer)."""

    duplicate: bool = False
    replies: list[str] = field(default_factory=list)  # texts to answer in-band (TwiML)
