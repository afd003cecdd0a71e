"""Email as a channel plugin: SMTP out when ``DUEBOT_SMTP_HOST`` is set; the unsubscribe
page is always mounted (links in emails already sent must keep working)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from channels.email.config import SmtpConfig, unsubscribe_secret
from channels.plugin import ChannelContext, ChannelPlugin, Webhook
from channels.setting_values import SettingValues


class EmailPlugin(ChannelPlugin):
    kind = ChannelKind.EMAIL
    name = "email-smtp"

    def configured(self, values: SettingValues) -> bool:
        return SmtpConfig.configured(values)

    def build(self, values: SettingValues, clock: Clock) -> Channel:
        from channels.email.smtp import SmtpEmailChannel

        return SmtpEmailChannel.from_config(SmtpConfig.from_values(values), clock=clock)

    def webhooks(self, context: ChannelContext) -> Sequence[Webhook]:
        from channels.email.unsubscribe_page import unsubscribe_webhooks

        return unsubscribe_webhooks(unsubscribe_secret(context.values).get_secret_value(),
                                    clock=context.clock)


PLUGIN = EmailPlugin()
