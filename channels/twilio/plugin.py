"""Twilio SMS as a channel plugin: configured by ``DUEBOT_TWILIO_*``; its webhooks (inbound
messages, status callbacks) are mounted whenever the SMS channel is Twilio's."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from channels.plugin import ChannelContext, ChannelPlugin, Webhook
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

    def webhooks(self, context: ChannelContext) -> Sequence[Webhook]:
        if not self.serves(context.channel):
            return ()
        from channels.twilio.sms import TwilioSmsChannel
        from channels.twilio.webhooks import twilio_webhooks

        assert isinstance(context.channel, TwilioSmsChannel)
        return twilio_webhooks(context.channel, public_url=context.values["public_url"])


PLUGIN = TwilioPlugin()
