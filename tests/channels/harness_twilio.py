"""Contract harness for Twilio SMS: the real SDK against the Twilio-like peer on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.services.ports import Channel
from channels.twilio.sms import STATUS_PATH, TwilioSmsChannel
from tests.channels.harness import ChannelHarness, PeerDelivery
from tests.peers.twilio_api import TwilioApiPeer, inbound_message_form

FROM_NUMBER = "+15005550006"
PUBLIC_URL = "https://duebot.example.com"


@dataclass
class TwilioHarness:
    channel: Channel
    peer: TwilioApiPeer
    good_address: str = "+14155550123"
    bad_address: str = "+15005550001"  # the peer answers 21211 (invalid 'To' number)
    customer_address: str = "+14155550199"

    async def delivered(self) -> list[PeerDelivery]:
        return [PeerDelivery(to=m.to, body=m.body) for m in self.peer.messages]

    def inbound_raw(self, text: str, provider_id: str) -> Mapping[str, Any]:
        return inbound_message_form(
            account_sid=self.peer.account_sid,
            from_=self.customer_address,
            to=FROM_NUMBER,
            body=text,
            message_sid=provider_id,
        )


@asynccontextmanager
async def harness() -> AsyncIterator[ChannelHarness]:
    async with TwilioApiPeer() as peer:
        channel = TwilioSmsChannel(
            account_sid=peer.account_sid,
            auth_token=peer.auth_token,
            from_number=FROM_NUMBER,
            status_callback_url=PUBLIC_URL + STATUS_PATH,
            api_base=peer.base_url,
        )
        peer.fail(TwilioHarness.bad_address, code=21211)
        await channel.start()
        try:
            yield TwilioHarness(channel=channel, peer=peer)
        finally:
            await channel.aclose()
