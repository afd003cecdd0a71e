"""The ports: every interface the use cases need from the world outside ``bot/``.

Services (``bot/services``) depend on these and on the pure packages only. Adapters
implement them: ``channels/`` the channel and its inbound sink side, ``storage/`` the
unit of work, its repositories and the fast paths of the tick and the dispatcher, and
the in-memory versions the service tests run on. ``bot/bootstrap.py`` wires one to the
other. Each port has one contract test suite run against every implementation.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from bot.domain.clock import Clock
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    InboundEvent,
    OutboundMessage,
    SinkResult,
)
from bot.domain.verification import LinkToken, VerificationMethod

__all__ = [
    "Channel", "ChannelConfigError", "ChatLinkStore", "Clock", "Direction", "InboundSink",
    "LinkToken", "SandboxEntry", "SandboxStore", "VerificationMethod",
]


# ---------------------------------------------------------------------------- channels
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


# ---------------------------------------------------------------------------- sandbox
class Direction(StrEnum):
    OUT = "out"  # the bot wrote to the customer
    IN = "in"  # the (pretend) customer wrote to the bot


@dataclass(frozen=True, slots=True)
class SandboxEntry:
    """One message in the sandbox, either way.

    ``address`` is always the customer's side: the recipient of an outbound message, the
    sender of an inbound one. ``provider_id`` is unique across the store.
    """

    provider_id: str
    channel: ChannelKind
    direction: Direction
    address: str
    body: str
    at: datetime
    subject: str | None = None


class SandboxStore(Protocol):
    """Where the sandbox keeps its messages (in memory here; a database table in the app).

    Implementations must be safe to call from the event loop and from CLI threads, and
    must return entries oldest first.
    """

    def append(self, entry: SandboxEntry) -> None:
        """Keep one entry; a second entry with the same ``provider_id`` is an error."""
        ...

    def list(
        self, address: str | None = None, since: datetime | None = None
    ) -> builtins.list[SandboxEntry]:
        """Entries for ``address`` (all addresses if None) at or after ``since``, oldest first."""
        ...


# ---------------------------------------------------------------------------- chat links
class ChatLinkStore(Protocol):
    """Persistence for tokens, chat locks and chat↔case links.

    The operations that decide security (claim, failure count, completion) must be atomic
    in a shared store: two concurrent answers must never both read ``failures == 0``. An
    SQL store does each in one ``UPDATE ... WHERE ...`` (or a row lock). Chat ids and
    tokens are opaque strings.
    """

    def add_token(self, record: LinkToken) -> None:
        """Store a new token. Raises ``ValueError`` if the token already exists."""
        ...

    def get_token(self, token: str) -> LinkToken | None:
        """The token's record, or ``None`` if it was never issued."""
        ...

    def claim_token(self, token: str, chat_id: str, now: datetime) -> bool:
        """Bind the token to ``chat_id`` if it is unbound or already bound to that chat,
        setting ``claimed_at = now``. False (and no change) if another chat holds it."""
        ...

    def pending_token(self, chat_id: str) -> LinkToken | None:
        """The open (not used, not locked) token most recently claimed by the chat."""
        ...

    def record_failure(self, token: str, now: datetime) -> int:
        """Add one failed answer to the token; return the new failure count."""
        ...

    def lock(self, token: str, chat_id: str, now: datetime) -> None:
        """Lock the token (``locked_at = now``) and the chat (no further link requests)."""
        ...

    def chat_locked(self, chat_id: str) -> bool:
        """Whether the chat was locked after failed verifications."""
        ...

    def complete_link(self, token: str, chat_id: str, now: datetime) -> bool:
        """If the token is open and bound to ``chat_id``: set ``used_at = now`` and link the
        chat to the token's case; return True. Otherwise change nothing and return False."""
        ...

    def linked_cases(self, chat_id: str) -> tuple[str, ...]:
        """Cases linked to the chat, oldest link first."""
        ...
