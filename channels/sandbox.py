"""The sandbox channel: a local stand-in for SMS, email or Telegram that needs no account.

Messages the bot sends are written to a :class:`SandboxStore`; the CLI and the console
read them back and let a developer (or the demo) play the customer: they build a raw
inbound payload with :meth:`SandboxChannel.inbound_raw`, or call
:meth:`SandboxChannel.receive`, which records the customer's message and hands it to the
application. It is the default channel for every kind when no provider is configured.

One instance stands in for one kind: ``SandboxChannel(ChannelKind.EMAIL, store)``
returns a :class:`SandboxEmailChannel`. Each kind is its own subclass so the capability
class attributes (``kind``, ``supports_subject``, ...) stay readable without an instance,
as for every other channel, and match the real channel the sandbox stands in for.

Sandbox rules (what ``send`` answers, so failures can be rehearsed):

* an address listed in ``rejects`` → PERMANENT / INVALID_ADDRESS (code ``sandbox-reject``),
  like an unknown number, a 550 mailbox or a blocked chat;
* an address listed in ``opted_out`` → PERMANENT / OPTED_OUT (code ``sandbox-opted-out``),
  like Twilio's 21610 after the customer texted STOP to the carrier;
* an empty address → PERMANENT / INVALID_ADDRESS;
* a body longer than the kind's ``max_body_len`` → PERMANENT / REJECTED;
* anything else is stored and ACCEPTED with a ``sbx-…`` provider id.

Addresses are compared after normalisation (surrounding whitespace removed; emails
lower-cased). For the SMS kind, an inbound message that is exactly a carrier keyword
(STOP, START, HELP...) also yields a ``ContactSignal`` before the message, as the Twilio
adapter does, so the demo exercises the same opt-out path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.domain.clock import Clock, SystemClock, ensure_utc
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    FailureReason,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    SinkResult,
)
from bot.domain.sms_segments import carrier_keyword, keyword_signal
from bot.services.ports import Channel, Direction, InboundSink, SandboxEntry, SandboxStore

PROVIDER_PREFIX = "sbx-"


class SandboxPayloadError(ValueError):
    """A raw payload that is not a sandbox inbound message for this channel's kind."""




def new_provider_id() -> str:
    return PROVIDER_PREFIX + uuid.uuid4().hex


class SandboxChannel(Channel):
    """A channel that delivers into a :class:`SandboxStore`.

    ``SandboxChannel(kind, store, rejects=..., opted_out=...)`` builds the subclass for
    ``kind``; see the module docstring for the sandbox rules.
    """

    name = "sandbox"
    max_body_len = 1600
    rate_per_sec = 100.0

    def __new__(
        cls,
        kind: ChannelKind | str,
        store: SandboxStore,
        **_options: Any,
    ) -> SandboxChannel:
        if cls is SandboxChannel:
            cls = cls.class_for(kind)
        return super().__new__(cls)

    def __init__(
        self,
        kind: ChannelKind | str,
        store: SandboxStore,
        *,
        rejects: Iterable[str] = (),
        opted_out: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        if ChannelKind(kind) is not self.kind:
            raise ValueError(f"{type(self).__name__} stands in for {self.kind}, not {kind}")
        self.store: SandboxStore = store
        self._rejects = frozenset(self.normalise(a) for a in rejects)
        self._opted_out = frozenset(self.normalise(a) for a in opted_out)
        self._clock: Clock = clock or SystemClock()

    @staticmethod
    def class_for(kind: ChannelKind | str) -> type[SandboxChannel]:
        """The sandbox class standing in for ``kind`` (its capabilities, no instance needed)."""
        return _SANDBOX_CLASSES[ChannelKind(kind)]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind}, rejects={len(self._rejects)}, "
            f"opted_out={len(self._opted_out)})"
        )

    def normalise(self, address: str) -> str:
        """The form addresses are stored and compared in."""
        address = address.strip()
        return address.lower() if self.kind is ChannelKind.EMAIL else address

    # ---------------------------------------------------------------- sending
    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        if outbound.channel is not self.kind:
            raise ValueError(f"{type(self).__name__} sends {self.kind}, not {outbound.channel}")
        to = self.normalise(outbound.to)
        if not to:
            return DeliveryResult.permanent(FailureReason.INVALID_ADDRESS, detail="empty address")
        if to in self._rejects:
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS,
                code="sandbox-reject",
                detail="address is in the sandbox reject list",
            )
        if to in self._opted_out:
            return DeliveryResult.permanent(
                FailureReason.OPTED_OUT,
                code="sandbox-opted-out",
                detail="address is in the sandbox opt-out list",
            )
        if len(outbound.body) > self.max_body_len:
            return DeliveryResult.permanent(
                FailureReason.REJECTED, detail=f"body exceeds {self.max_body_len} characters"
            )
        provider_id = new_provider_id()
        self.store.append(
            SandboxEntry(
                provider_id=provider_id,
                channel=self.kind,
                direction=Direction.OUT,
                address=to,
                body=outbound.body,
                at=self._clock.now(),
                subject=outbound.subject if self.supports_subject else None,
            )
        )
        return DeliveryResult.accepted(provider_id)

    # ---------------------------------------------------------------- playing the customer
    def inbound_raw(
        self,
        sender: str,
        text: str,
        *,
        subject: str | None = None,
        provider_id: str | None = None,
    ) -> dict[str, Any]:
        """The raw payload of a message from ``sender`` (what :meth:`parse_inbound` reads)."""
        raw: dict[str, Any] = {
            "sandbox": self.kind.value,
            "id": provider_id or new_provider_id(),
            "from": sender,
            "text": text,
            "at": self._clock.now().isoformat(),
        }
        if subject is not None:
            raw["subject"] = subject
        return raw

    async def receive(
        self, sender: str, text: str, sink: InboundSink, *, subject: str | None = None
    ) -> SinkResult:
        """Play the customer: record their message, hand it to ``sink``, deliver its replies.

        Texts the sink wants answered in-band (``SinkResult.replies``) are stored as
        outbound messages, as Twilio would send TwiML replies.
        """
        raw = self.inbound_raw(sender, text, subject=subject)
        events = self.parse_inbound(raw)
        self.store.append(
            SandboxEntry(
                provider_id=raw["id"],
                channel=self.kind,
                direction=Direction.IN,
                address=self.normalise(sender),
                body=text,
                at=self._clock.now(),
                subject=subject if self.supports_subject else None,
            )
        )
        merged = SinkResult()
        for event in events:
            result = await sink.accept(event)
            merged.duplicate = merged.duplicate or result.duplicate
            merged.replies.extend(result.replies)
        for reply in merged.replies:
            self.store.append(
                SandboxEntry(
                    provider_id=new_provider_id(),
                    channel=self.kind,
                    direction=Direction.OUT,
                    address=self.normalise(sender),
                    body=reply,
                    at=self._clock.now(),
                )
            )
        return merged

    # ---------------------------------------------------------------- inbound
    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """Translate a payload made by :meth:`inbound_raw` (or the console) into events."""
        kind = raw.get("sandbox")
        if kind != self.kind.value:
            raise SandboxPayloadError(
                f"payload is for the {kind!r} sandbox, this channel is {self.kind.value!r}"
            )
        provider_id = raw.get("id")
        if not isinstance(provider_id, str) or not provider_id:
            raise SandboxPayloadError("sandbox payload without an id")
        sender = raw.get("from")
        if not isinstance(sender, str) or not self.normalise(sender):
            raise SandboxPayloadError("sandbox payload without a sender ('from')")
        text = raw.get("text")
        if not isinstance(text, str):
            raise SandboxPayloadError("sandbox payload without a text")
        received_at = self._received_at(raw.get("at"))
        subject = raw.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise SandboxPayloadError("sandbox payload subject must be text")
        address = self.normalise(sender)

        events: list[InboundEvent] = []
        keyword = carrier_keyword(text) if self.kind is ChannelKind.SMS else None
        if keyword is not None:
            events.append(keyword_signal(keyword, address, received_at, provider_id))
        events.append(
            InboundMessage(
                channel=self.kind,
                sender=address,
                text=text,
                provider_id=provider_id,
                received_at=received_at,
                subject=subject if self.supports_subject else None,
            )
        )
        return events

    def _received_at(self, value: Any) -> datetime:
        if value is None:
            return self._clock.now()
        if isinstance(value, datetime):
            return ensure_utc(value)
        if not isinstance(value, str):
            raise SandboxPayloadError("sandbox payload 'at' must be an ISO 8601 time")
        try:
            return ensure_utc(datetime.fromisoformat(value))
        except ValueError:
            raise SandboxPayloadError(
                f"sandbox payload 'at' is not an ISO 8601 time: {value[:40]!r}"
            ) from None


class SandboxSmsChannel(SandboxChannel):
    kind = ChannelKind.SMS
    max_body_len = 1600  # what Twilio accepts


class SandboxEmailChannel(SandboxChannel):
    kind = ChannelKind.EMAIL
    max_body_len = 100_000
    supports_subject = True


class SandboxTelegramChannel(SandboxChannel):
    kind = ChannelKind.TELEGRAM
    max_body_len = 4096  # Telegram's message limit
    supports_quick_replies = True


_SANDBOX_CLASSES: dict[ChannelKind, type[SandboxChannel]] = {
    ChannelKind.SMS: SandboxSmsChannel,
    ChannelKind.EMAIL: SandboxEmailChannel,
    ChannelKind.TELEGRAM: SandboxTelegramChannel,
}
