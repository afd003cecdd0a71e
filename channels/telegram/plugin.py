"""Telegram as a channel plugin: configured by ``DUEBOT_TELEGRAM_BOT_TOKEN``."""

from __future__ import annotations

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel, InboundSink
from channels.plugin import ChannelPlugin
from channels.setting_values import SettingValues
from channels.telegram.config import TelegramConfig


class TelegramPlugin(ChannelPlugin):
    kind = ChannelKind.TELEGRAM
    name = "telegram"

    def configured(self, values: SettingValues) -> bool:
        return TelegramConfig.configured(values)

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        from channels.telegram.chat import TelegramChatChannel

        return TelegramChatChannel.from_config(TelegramConfig.from_values(values), clock=clock)

    async def start(self, channel: Channel, sink: InboundSink) -> None:
        """In polling mode the channel hands every update it fetches to ``sink``."""
        from channels.telegram.chat import TelegramChatChannel

        assert isinstance(channel, TelegramChatChannel)
        await channel.start(sink=sink if channel.polling else None)


PLUGIN = TelegramPlugin()
