"""Telegram as a plugin: the webhook when a secret is set, the sink handed to a polling
channel when it starts, the webhook registered by the receiver in webhook mode."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind, InboundMessage
from bot.settings import Settings
from channels.plugin import ChannelContext
from channels.sandbox import SandboxChannel
from channels.telegram.chat import TelegramChatChannel
from channels.telegram.config import TelegramConfig
from channels.telegram.plugin import PLUGIN
from storage.memory.sandbox import MemorySandboxStore
from tests.channels.harness_telegram import CUSTOMER_CHAT, RecordingSink
from tests.peers.telegram_api import FakeTelegramBotAPI, text_update

CLOCK = FixedClock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))
SECRET = "wh_s3cret-Value_0123456789"
PUBLIC_URL = "https://duebot.example.com"


def values(peer: FakeTelegramBotAPI | None = None, **kw: Any) -> dict[str, Any]:
    if peer is not None:
        kw.update(telegram_bot_token=SecretStr(peer.token), telegram_api_base=peer.api_base)
    return Settings(_env_file=None, **kw).model_dump()  # type: ignore[call-arg]


async def test_webhook_only_with_a_secret_and_a_telegram_channel() -> None:
    async with FakeTelegramBotAPI() as peer:
        with_secret = values(peer, public_url=PUBLIC_URL,
                             telegram_webhook_secret=SecretStr(SECRET))
        chat = PLUGIN.build(with_secret, CLOCK)
        assert isinstance(chat, TelegramChatChannel) and not chat.polling

        [webhook] = PLUGIN.webhooks(ChannelContext(with_secret, chat, CLOCK))
        assert (webhook.method, webhook.path, webhook.documented) == (
            "POST", "/webhooks/telegram", False)
        assert PLUGIN.webhooks(ChannelContext(values(peer), chat, CLOCK)) == ()
        sandbox = SandboxChannel(ChannelKind.TELEGRAM, MemorySandboxStore())
        assert PLUGIN.webhooks(ChannelContext(with_secret, sandbox, CLOCK)) == ()
        assert PLUGIN.receivers(ChannelContext(with_secret, sandbox, CLOCK)) == ()


async def test_a_polling_channel_is_started_with_the_sink() -> None:
    sink = RecordingSink()
    async with FakeTelegramBotAPI() as peer:
        settings = values(peer, public_url="http://127.0.0.1:8000")
        chat = PLUGIN.build(settings, CLOCK)
        assert isinstance(chat, TelegramChatChannel) and chat.polling

        await PLUGIN.start(chat, sink)
        try:
            await peer.push_update(text_update(CUSTOMER_CHAT, "hello", update_id=1, message_id=2))
            [event] = await sink.wait_for(1)
        finally:
            await chat.aclose()

    assert isinstance(event, InboundMessage) and event.text == "hello"


async def test_the_receiver_registers_the_webhook_in_webhook_mode() -> None:
    sink = RecordingSink()
    async with FakeTelegramBotAPI() as peer:
        settings = values(peer, public_url=PUBLIC_URL + "/",
                          telegram_webhook_secret=SecretStr(SECRET))
        chat = PLUGIN.build(settings, CLOCK)
        [receiver] = PLUGIN.receivers(ChannelContext(settings, chat, CLOCK))
        assert receiver.channel is chat  # the runner starts it before running the receiver

        await PLUGIN.start(chat, sink)
        stop = asyncio.Event()
        try:
            task = asyncio.create_task(receiver.run(sink, stop))
            async with asyncio.timeout(5):
                while peer.webhook is None:
                    await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(task, 5)
        finally:
            await chat.aclose()

    assert (peer.webhook.url, peer.webhook.secret_token) == (
        PUBLIC_URL + "/webhooks/telegram", SECRET)


def test_the_config_keeps_token_and_webhook_secret_out_of_its_repr() -> None:
    token = "123456:" + "A" * 35
    config = TelegramConfig.from_values(values(telegram_bot_token=token,
                                               telegram_webhook_secret=SECRET))
    assert token not in repr(config) and SECRET not in repr(config)
