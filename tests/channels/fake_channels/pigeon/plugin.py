"""The pigeon channel and its plugin: everything a channel can declare, in one module.

Configured by a ``pigeon_loft`` value (not a real setting: tests pass plain mappings).
Its webhook, ``POST /webhooks/pigeon/{ring}``, takes a JSON message when the ring matches
the loft's and answers 202 ``coo`` (200 ``seen`` for a message the sink already had). Its
receiver hands one message to the sink as soon as it runs, then waits for the stop;
a channel whose loft is ``"burnt"`` makes the receiver fail instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.clock import Clock
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
)
from bot.services.ports import Channel, InboundSink
from channels.plugin import (
    ChannelContext,
    ChannelPlugin,
    Receiver,
    Webhook,
    WebRequest,
    WebResponse,
)
from channels.setting_values import SettingValues

#: the message the receiver delivers when it runs
LANDED = {"id": "pigeon-landed-1", "from": "+14155550123", "text": "I can pay on Friday"}


class PigeonChannel(Channel):
    kind = ChannelKind.SMS
    name = "pigeon"
    max_body_len = 160

    def __init__(self, loft: str, clock: Clock) -> None:
        self.loft = loft
        self.clock = clock
        self.starts = 0
        self.closes = 0

    async def start(self) -> None:
        self.starts += 1

    async def aclose(self) -> None:
        self.closes += 1

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        return DeliveryResult.accepted(f"pigeon-{outbound.idempotency_key}")

    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        return [InboundMessage(channel=self.kind, sender=str(raw["from"]), text=str(raw["text"]),
                               provider_id=str(raw["id"]), received_at=self.clock.now())]


class PigeonPlugin(ChannelPlugin):
    kind = ChannelKind.SMS
    name = "pigeon"

    def configured(self, values: SettingValues) -> bool:
        return bool(values.get("pigeon_loft"))

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        return PigeonChannel(values["pigeon_loft"], clock)

    def webhooks(self, context: ChannelContext) -> Sequence[Webhook]:
        channel = context.channel
        if not isinstance(channel, PigeonChannel):
            return ()

        async def landed(request: WebRequest, sink: InboundSink) -> WebResponse:
            if request.path_params["ring"] != channel.loft:
                return WebResponse(403)
            [event] = channel.parse_inbound(json.loads(await request.body()))
            result = await sink.accept(event)
            if result.duplicate:
                return WebResponse.text(200, "seen", "text/plain")
            return WebResponse.text(202, "coo", "text/plain")

        return [Webhook("POST", "/webhooks/pigeon/{ring}", landed)]

    def receivers(self, context: ChannelContext) -> Sequence[Receiver]:
        channel = context.channel
        if not isinstance(channel, PigeonChannel):
            return ()

        async def watch_the_loft(sink: InboundSink, stop: asyncio.Event) -> None:
            if channel.loft == "burnt":
                raise RuntimeError("the loft burnt down")
            for event in channel.parse_inbound(LANDED):
                await sink.accept(event)
            await stop.wait()

        return [Receiver("pigeon-loft", watch_the_loft, channel=channel)]


PLUGIN = PigeonPlugin()
