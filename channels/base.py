"""The channel port: one small interface every adapter implements.

An adapter sends an :class:`~bot.domain.messages.OutboundMessage` and turns its
provider's inbound payloads into domain events. Capabilities are class attributes so the
dispatcher and the template linter can read them without an instance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    InboundEvent,
    OutboundMessage,
    SinkResult,
)


class ChannelConfigError(ValueError):
    """A channel was configured wrongly; the message names the setting, never a secret."""


class Channel(ABC):
    """A way to reach customers.

    ``send`` never raises for provider or network trouble: it returns a
    :class:`DeliveryResult` saying whether to retry. ``parse_inbound`` turns one raw
    provider payload (already authenticated by the entry point) into domain events.
    """

    kind: ClassVar[ChannelKind]
    name: ClassVar[str]
    max_body_len: ClassVar[int]
    supports_subject: ClassVar[bool] = False
    supports_quick_replies: ClassVar[bool] = False
    rate_per_sec: ClassVar[float] = 1.0

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections (called once by the runner before the first send)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        """Deliver one message; map every provider outcome to a DeliveryResult."""

    @abstractmethod
    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """Translate one provider payload into domain events (possibly none)."""


class InboundSink(Protocol):
    """Where adapters and webhook routes hand inbound events to the application.

    ``accept`` must be idempotent on the event's provider id: the second delivery of the
    same provider message returns ``SinkResult(duplicate=True)`` and changes nothing.
    """

    async def accept(self, event: InboundEvent) -> SinkResult: ...
