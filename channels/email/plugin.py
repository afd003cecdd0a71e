"""Email as a channel plugin: SMTP out when ``DUEBOT_SMTP_HOST`` is set; the unsubscribe
page is always mounted (links in emails already sent must keep working); the SMTP listener
(``DUEBOT_INBOUND_SMTP_HOST``) and the IMAP poller (``DUEBOT_IMAP_HOST``) receive whenever
they are configured, whichever channel sends email."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from channels.email.config import ImapConfig, ListenerConfig, SmtpConfig, unsubscribe_secret
from channels.plugin import ChannelContext, ChannelPlugin, Receiver, Webhook
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

    def receivers(self, context: ChannelContext) -> Sequence[Receiver]:
        values, clock = context.values, context.clock
        receivers: list[Receiver] = []
        if ListenerConfig.configured(values):
            from channels.email.inbound import run_listener

            listener = ListenerConfig.from_values(values)
            receivers.append(Receiver("smtp-listener", partial(run_listener, listener,
                                                               clock=clock)))
        if ImapConfig.configured(values):
            from channels.email.inbound import run_poller

            mailbox = ImapConfig.from_values(values)
            receivers.append(Receiver("imap-poller", partial(run_poller, mailbox, clock=clock)))
        return receivers


PLUGIN = EmailPlugin()
