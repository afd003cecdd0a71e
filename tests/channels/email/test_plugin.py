"""Email as a plugin: what it builds, the page it always mounts, the receivers it runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.settings import Settings
from channels.email.config import ImapConfig, ListenerConfig, SmtpConfig
from channels.email.plugin import PLUGIN
from channels.email.smtp import SmtpEmailChannel
from channels.plugin import ChannelContext
from channels.sandbox import SandboxChannel
from storage.memory.sandbox import MemorySandboxStore

CLOCK = FixedClock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))


def values(**kw: Any) -> dict[str, Any]:
    return Settings(_env_file=None, **kw).model_dump()  # type: ignore[call-arg]


def context(**kw: Any) -> ChannelContext:
    sandbox = SandboxChannel(ChannelKind.EMAIL, MemorySandboxStore())
    return ChannelContext(values(**kw), sandbox, CLOCK)


def test_configured_by_the_smtp_host_and_built_on_the_application_clock() -> None:
    assert not PLUGIN.configured(values())
    settings = values(smtp_host="smtp.example.net", public_url="https://bank.example")
    assert PLUGIN.configured(settings)

    channel = PLUGIN.build(settings, CLOCK)

    assert isinstance(channel, SmtpEmailChannel) and PLUGIN.serves(channel)
    assert channel.clock is CLOCK
    assert channel.unsubscribe_base_url == "https://bank.example/unsubscribe"


def test_the_unsubscribe_page_is_mounted_whichever_channel_sends_email() -> None:
    routes = [(w.method, w.path) for w in PLUGIN.webhooks(context())]
    assert routes == [("GET", "/unsubscribe/{token}"), ("POST", "/unsubscribe/{token}")]


def test_receivers_are_the_configured_listener_and_poller() -> None:
    assert PLUGIN.receivers(context()) == []
    listener = context(inbound_smtp_host="127.0.0.1")
    assert [r.name for r in PLUGIN.receivers(listener)] == ["smtp-listener"]
    both = context(inbound_smtp_host="127.0.0.1", imap_host="imap.example.net",
                   imap_username="bot", imap_password="pw-x1")
    receivers = PLUGIN.receivers(both)
    assert [r.name for r in receivers] == ["smtp-listener", "imap-poller"]
    assert all(r.channel is None for r in receivers)  # they need no started channel
    assert "pw-x1" not in repr(receivers)


def test_configs_keep_their_secrets_out_of_reprs() -> None:
    settings = values(smtp_host="smtp.example.net", smtp_username="bot", smtp_password="pw-smtp",
                      secret_key="app-secret-1", inbound_smtp_host="127.0.0.1",
                      imap_host="imap.example.net", imap_username="bot", imap_password="pw-imap")
    text = repr([SmtpConfig.from_values(settings), ListenerConfig.from_values(settings),
                 ImapConfig.from_values(settings)])
    for secret in ("pw-smtp", "app-secret-1", "pw-imap"):
        assert secret not in text
