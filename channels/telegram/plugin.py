"""Telegram as a channel plugin: configured by ``DUEBOT_TELEGRAM_BOT_TOKEN``.

Updates come in one of two ways. Webhook mode (an ``https`` public URL and
``DUEBOT_TELEGRAM_WEBHOOK_SECRET``): the webhook is mounted and the receiver tells Telegram
where to post. Polling mode: the channel, started with the inbound sink, polls itself; the
receiver only keeps it started while the inbound runner runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel, InboundSink
from channels.plugin import ChannelContext, ChannelPlugin, Receiver, Webhook
from channels.setting_values import SettingValues, secret_setting
from channels.telegram.config import TelegramConfig


class TelegramPlugin(ChannelPlugin):
    kind = ChannelKind.TELEGRAM
    name = "telegram"

    def configured(self, values: SettingValues) -> bool:
        return TelegramConfig.configured(values)

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        from channels.telegram.chat import TelegramChatChannel

        return TelegramChatChannel.from_config(TelegramConfig.from_values(values), clock=clock)

    def webhooks(self, context: ChannelContext) -> Sequence[Webhook]:
        if not (self.serves(context.channel) and self.configured(context.values)):
            return ()
        secret = TelegramConfig.from_values(context.values).webhook_secret
        if secret is None:
            return ()
        from channels.telegram.chat import TelegramChatChannel
        from channels.telegram.webhook import telegram_webhooks

        assert isinstance(context.channel, TelegramChatChannel)
        return telegram_webhooks(context.channel, secret)

    async def start(self, channel: Channel, sink: InboundSink | None) -> None:
        """In polling mode, given a ``sink``, the channel hands every update it fetches
        to it; without one it only sends."""
        from channels.telegram.chat import TelegramChatChannel

        assert isinstance(channel, TelegramChatChannel)
        await channel.start(sink=sink if channel.polling else None)

    def receivers(self, context: ChannelContext) -> Sequence[Receiver]:
        if not self.serves(context.channel):
            return ()
        from channels.telegram.chat import TelegramChatChannel
        from channels.telegram.webhook import WEBHOOK_PATH

        chat = context.channel
        assert isinstance(chat, TelegramChatChannel)
        # read here, not through TelegramConfig: a channel passed in needs no token setting
        secret = secret_setting(context.values, "telegram_webhook_secret")
        url = f"{context.values['public_url'].rstrip('/')}{WEBHOOK_PATH}"

        async def receive(sink: InboundSink, stop: asyncio.Event) -> None:
            if not chat.polling and secret is not None:
                await chat.set_webhook(url, secret)
            await stop.wait()

        return (Receiver("telegram", receive, channel=chat),)


PLUGIN = TelegramPlugin()
