"""Contract harness for the sandbox channel (standing in for email, to cover subjects)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.domain.messages import ChannelKind
from bot.services.ports import Channel, Direction
from channels.sandbox import SandboxChannel
from storage.memory.sandbox import MemorySandboxStore
from tests.channels.harness import ChannelHarness, PeerDelivery


@dataclass
class SandboxHarness:
    channel: Channel
    sandbox: SandboxChannel  # the same object, with its sandbox-only methods
    store: MemorySandboxStore
    good_address: str = "dana.customer@example.net"
    bad_address: str = "nobody@invalid.example"
    customer_address: str = "sam.customer@example.org"

    async def delivered(self) -> list[PeerDelivery]:
        return [
            PeerDelivery(to=entry.address, body=entry.body, subject=entry.subject)
            for entry in self.store.list()
            if entry.direction is Direction.OUT
        ]

    def inbound_raw(self, text: str, provider_id: str) -> Mapping[str, Any]:
        return self.sandbox.inbound_raw(self.customer_address, text, provider_id=provider_id)


@asynccontextmanager
async def harness() -> AsyncIterator[ChannelHarness]:
    store = MemorySandboxStore()
    channel = SandboxChannel(ChannelKind.EMAIL, store, rejects={SandboxHarness.bad_address})
    await channel.start()
    try:
        yield SandboxHarness(channel=channel, sandbox=channel, store=store)
    finally:
        await channel.aclose()
