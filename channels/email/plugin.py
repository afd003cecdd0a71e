"""Email as a channel plugin: SMTP out when ``DUEBOT_SMTP_HOST`` is set."""

from __future__ import annotations

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from channels.email.config import SmtpConfig
from channels.plugin import ChannelPlugin
from channels.setting_values import SettingValues


class EmailPlugin(ChannelPlugin):
    kind = ChannelKind.EMAIL
    name = "email-smtp"

    def configured(self, values: SettingValues) -> bool:
        return SmtpConfig.configured(values)

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        from channels.email.smtp import SmtpEmailChannel

        return SmtpEmailChannel.from_config(SmtpConfig.from_values(values), clock=clock)


PLUGIN = EmailPlugin()
