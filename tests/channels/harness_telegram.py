"""Telegram on loopback: the real PTB-based adapter talking to
:class:`tests.peers.telegram_api.FakeTelegramBotAPI`.

:func:`harness` is what the channel contract suite enters. :func:`telegram_harness` is the
same with options (polling mode, a sink, a clock) for the Telegram tests and the demo, and
:class:`RecordingSink` is an in-memory inbound sink that is idempotent on provider ids.

``inbound_raw`` builds a private-chat update whose message id is derived from the given
``provider_id`` (its value if it is a number, else a stable hash), so the same
``provider_id`` always yields the same parsed id, ``"<chat id>:<message id>"``, and
different ones differ. The parsed id is not the given string itself: a Telegram message id
is a number.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from bot.domain.clock import Clock
from bot.domain.messages import InboundEvent, SinkResult
from bot.services.ports import InboundSink
from channels.telegram.chat import TelegramChatChannel
from tests.channels.harness import ChannelHarness, PeerDelivery
from tests.peers.telegram_api import ChatBehaviour, FakeTelegramBotAPI, text_update

GOOD_CHAT = 424242001
BLOCKED_CHAT = 424242002
CUSTOMER_CHAT = 424242003


def message_id_for(provider_id: str) -> int:
    """A positive message id that is a pure function of ``provider_id``."""
    if provider_id.isdigit() and 0 < int(provider_id) < 2**31:
        return int(provider_id)
    return zlib.crc32(provider_id.encode()) % (2**31 - 1) + 1


@dataclass
class RecordingSink:
    """Keeps every event once (by provider id); ``reply`` decides in-band answers."""

    reply: Callable[[InboundEvent], list[str]] | None = None
    events: list[InboundEvent] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def accept(self, event: InboundEvent) -> SinkResult:
        key = f"{type(event).__name__}:{event.provider_id}"
        if event.provider_id is not None and key in self._seen:
            return SinkResult(duplicate=True)
        if event.provider_id is not None:
            self._seen.add(key)
        self.events.append(event)
        self._arrived.set()
        return SinkResult(replies=self.reply(event) if self.reply else [])

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[InboundEvent]:
        """Wait until at least ``count`` events arrived (polling mode is asynchronous)."""
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.events)


@dataclass
class TelegramHarness:
    channel: TelegramChatChannel
    peer: FakeTelegramBotAPI
    good_address: str = str(GOOD_CHAT)
    bad_address: str = str(BLOCKED_CHAT)
    customer_address: str = str(CUSTOMER_CHAT)

    async def delivered(self) -> list[PeerDelivery]:
        return [PeerDelivery(to=str(m.chat_id), body=m.text) for m in self.peer.sent]

    def inbound_raw(self, text: str, provider_id: str) -> Mapping[str, Any]:
        message_id = message_id_for(provider_id)
        return text_update(CUSTOMER_CHAT, text, update_id=message_id, message_id=message_id)


@asynccontextmanager
async def telegram_harness(
    *,
    polling: bool = False,
    sink: InboundSink | None = None,
    clock: Clock | None = None,
    poll_timeout: float = 1.0,
) -> AsyncIterator[TelegramHarness]:
    """A started channel and its peer; ``BLOCKED_CHAT`` answers 403 (bot blocked)."""
    async with FakeTelegramBotAPI() as peer:
        peer.set_behaviour(BLOCKED_CHAT, ChatBehaviour.BLOCKED)
        channel = TelegramChatChannel(
            peer.token,
            api_base=peer.api_base,
            polling=polling,
            poll_timeout=poll_timeout,
            clock=clock,
        )
        await channel.start(sink=sink)
        try:
            yield TelegramHarness(channel, peer)
        finally:
            await channel.aclose()


@asynccontextmanager
async def harness() -> AsyncIterator[ChannelHarness]:
    """The contract suite's entry: the channel in webhook mode, no sink needed."""
    async with telegram_harness() as h:
        # structurally a ChannelHarness; mypy only objects that ``channel`` is narrowed
        yield cast(ChannelHarness, h)
