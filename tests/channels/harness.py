"""What the channel contract suite needs from each channel's loopback set-up.

Every channel module under test provides an async context manager yielding a
``ChannelHarness``: the real adapter, pointed at a real protocol peer on loopback
(aiosmtpd, a Twilio-like HTTP server, a Telegram-Bot-API-like HTTP server, the sandbox
store), plus the means to read what the peer received and to forge inbound payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.services.ports import Channel


@dataclass(frozen=True)
class PeerDelivery:
    """One message as the peer received it."""

    to: str
    body: str
    subject: str | None = None


class ChannelHarness(Protocol):
    channel: Channel
    #: an address the peer accepts
    good_address: str
    #: an address the peer refuses permanently (invalid number, 550 mailbox, blocked chat)
    bad_address: str
    #: an address a customer would write from
    customer_address: str

    async def delivered(self) -> list[PeerDelivery]:
        """Everything the peer has accepted so far, oldest first."""
        ...

    def inbound_raw(self, text: str, provider_id: str) -> Mapping[str, Any]:
        """A raw provider payload carrying ``text`` from ``customer_address``."""
        ...
