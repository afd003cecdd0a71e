"""Twilio as a plugin: configured by the account, webhooks only for its own channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.settings import Settings
from channels.plugin import ChannelContext
from channels.sandbox import SandboxChannel
from channels.twilio.config import TwilioConfig
from channels.twilio.plugin import PLUGIN
from channels.twilio.sms import INBOUND_PATH, STATUS_PATH, TwilioSmsChannel
from storage.memory.sandbox import MemorySandboxStore

CLOCK = FixedClock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))
ACCOUNT = {"twilio_account_sid": "AC" + "0a" * 16, "twilio_auth_token": "5ec7e7" + "ab" * 13,
           "twilio_from_number": "+15005550006"}


def values(**kw: Any) -> dict[str, Any]:
    return Settings(_env_file=None, **kw).model_dump()  # type: ignore[call-arg]


def test_configured_by_account_sid_and_auth_token_together() -> None:
    assert not PLUGIN.configured(values())
    assert not PLUGIN.configured(values(twilio_account_sid=ACCOUNT["twilio_account_sid"]))
    assert PLUGIN.configured(values(**ACCOUNT))
    channel = PLUGIN.build(values(**ACCOUNT), CLOCK)
    assert isinstance(channel, TwilioSmsChannel) and PLUGIN.serves(channel)


def test_webhooks_only_when_sms_goes_through_twilio() -> None:
    settings = values(**ACCOUNT)
    sandbox = ChannelContext(settings, SandboxChannel(ChannelKind.SMS, MemorySandboxStore()), CLOCK)
    assert PLUGIN.webhooks(sandbox) == ()
    assert PLUGIN.webhooks(ChannelContext(settings, None, CLOCK)) == ()

    twilio = ChannelContext(settings, PLUGIN.build(settings, CLOCK), CLOCK)
    webhooks = PLUGIN.webhooks(twilio)

    assert [(w.method, w.path, w.documented) for w in webhooks] == [
        ("POST", INBOUND_PATH, True), ("POST", STATUS_PATH, True)]
    assert PLUGIN.receivers(twilio) == ()


def test_the_config_keeps_the_auth_token_out_of_its_repr() -> None:
    assert ACCOUNT["twilio_auth_token"] not in repr(TwilioConfig.from_values(values(**ACCOUNT)))
