"""`duebot serve`/`run` receive in the background: mail on the SMTP listener, handed to the
application; Telegram started and, in webhook mode, told where to post."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage

import aiosmtplib
from pydantic import SecretStr
from sqlmodel import select

from bot.bootstrap import bootstrap
from bot.domain.clock import SystemClock
from bot.domain.messages import ChannelKind
from bot.entrypoints.runners import inbound_component
from channels.telegram.chat import TelegramChatChannel
from storage.models import MessageRow
from tests.peers.telegram_api import FakeTelegramBotAPI
from tests.world import make_case, seed, settings_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_smtp_listener_feeds_the_inbound_service(sqlite_engine, clock):
    port = _free_port()
    seed(sqlite_engine, clock, make_case("ACC-MAIL", 10, clock.now().date(),
                                         email="jordan@example.com", phone=None))
    settings = settings_for(sqlite_engine, inbound_smtp_host="127.0.0.1",
                            inbound_smtp_port=port)
    container = bootstrap(settings, engine=sqlite_engine, clock=SystemClock())
    stop = asyncio.Event()
    task = asyncio.create_task(inbound_component(container, stop))
    try:
        for _ in range(50):  # wait for the listener
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                await asyncio.sleep(0.05)
        msg = EmailMessage()
        msg["From"] = "Jordan <jordan@example.com>"
        msg["To"] = "collections@example.com"
        msg["Subject"] = "Re: your account"
        msg["Message-ID"] = "<reply-1@example.com>"
        msg.set_content("I already paid this last week")
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=port)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    with container.uow() as uow:
        rows = uow.session.exec(select(MessageRow).where(MessageRow.direction == "in")).all()
        case = uow.cases.get("ACC-MAIL")
    assert len(rows) == 1 and rows[0].case_id == case.id and rows[0].intent == "paid"
    assert "payment_claimed" in {h.value for h in case.holds}


async def test_telegram_in_webhook_mode_is_started_and_told_where_to_post(sqlite_engine, clock):
    async with FakeTelegramBotAPI() as peer:
        settings = settings_for(sqlite_engine, public_url="https://duebot.example.com",
                                telegram_bot_token=SecretStr(peer.token),
                                telegram_api_base=peer.api_base,
                                telegram_webhook_secret=SecretStr("tg-secret_1"))
        container = bootstrap(settings, engine=sqlite_engine, clock=clock)
        chat = container.channels[ChannelKind.TELEGRAM]
        assert isinstance(chat, TelegramChatChannel) and not chat.polling
        stop = asyncio.Event()
        task = asyncio.create_task(inbound_component(container, stop))
        async with asyncio.timeout(5):
            while peer.webhook is None:
                await asyncio.sleep(0.01)
        assert chat.running
        stop.set()
        await asyncio.wait_for(task, 5)

    assert (peer.webhook.url, peer.webhook.secret_token) == (
        "https://duebot.example.com/webhooks/telegram", "tg-secret_1")
    assert not chat.running  # the component started it, the component closed it
