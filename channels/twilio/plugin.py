"""Twilio SMS as a channel plugin: configured by ``DUEBOT_TWILIO_*``."""

from __future__ import annotations

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from channels.plugin import ChannelPlugin
from channels.setting_values import SettingValues
from channels.twilio.config import TwilioConfig


class TwilioPlugin(ChannelPlugin):
    kind = ChannelKind.SMS
    name = "twilio"

    def configured(self, values: SettingValues) -> bool:
        return TwilioConfig.configured(values)

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        from channels.twilio.sms import TwilioSmsChannel

        return TwilioSmsChannel.from_config(TwilioConfig.from_values(values), clock=clock)


PLUGIN = TwilioPlugin()
