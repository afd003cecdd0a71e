"""``POST /webhooks/telegram``: secret check, translation into the sink, in-band replies,
button acknowledgements; and the whole path with the fake Bot API delivering to a real
uvicorn server on loopback after ``setWebhook``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI

from bot.domain.messages import (
    ContactSignal,
    InboundEvent,
    InboundMessage,
    SignalKind,
    SinkResult,
)
from bot.entrypoints.web.webhooks import webhook_router
from bot.services.ports import ChannelConfigError, InboundSink
from channels.telegram.chat import TelegramChatChannel
from channels.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, telegram_webhooks
from tests.channels.harness_telegram import (
    CUSTOMER_CHAT,
    RecordingSink,
    TelegramHarness,
    telegram_harness,
)
from tests.peers.telegram_api import WebhookState, callback_update, text_update

SECRET = "wh_s3cret-Value_0123456789"


def telegram_router(channel: TelegramChatChannel, sink: InboundSink, secret: str) -> APIRouter:
    """The Telegram webhook as the web app mounts it."""
    return webhook_router(telegram_webhooks(channel, secret), sink)


@pytest.fixture
async def tg() -> AsyncIterator[TelegramHarness]:
    async with telegram_harness() as h:
        yield h


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def client(tg: TelegramHarness, sink: RecordingSink) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(telegram_router(tg.channel, sink, SECRET))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot.test") as c:
        yield c


async def post(
    client: httpx.AsyncClient, payload: object, secret: str | None = SECRET
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return await client.post(WEBHOOK_PATH, content=json.dumps(payload), headers=headers)


def hello(update_id: int = 1, message_id: int = 10, text: str = "hello") -> dict[str, object]:
    return text_update(CUSTOMER_CHAT, text, update_id=update_id, message_id=message_id)


async def test_right_secret_delivers_to_the_sink(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await post(client, hello(text="I lost my job, can we talk?"))
    assert response.status_code == 200
    [event] = sink.events
    assert isinstance(event, InboundMessage)
    assert (event.sender, event.text) == (str(CUSTOMER_CHAT), "I lost my job, can we talk?")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_missing_or_wrong_secret_is_403(
    client: httpx.AsyncClient, sink: RecordingSink, secret: str | None
) -> None:
    response = await post(client, hello(), secret=secret)
    assert response.status_code == 403
    assert sink.events == []


async def test_non_ascii_secret_is_403_not_500(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await client.post(
        WEBHOOK_PATH,
        content=json.dumps(hello()),
        headers=[(SECRET_HEADER.encode(), "sécret".encode("latin-1"))],
    )
    assert response.status_code == 403
    assert sink.events == []


async def test_secret_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(WEBHOOK_PATH, content=b"{not json", headers={})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"{}", b'{"update_id": 5, "message": {"chat": 1}}',
     b"[" * 100_000 + b"]" * 100_000, b'{"update_id": NaN}', b'{"update_id": 1, "x": "\xff"}'],
    ids=["not JSON", "array", "string", "empty", "malformed update", "nested 100,000 deep",
         "NaN", "not UTF-8"],
)
async def test_bad_bodies_are_400(
    client: httpx.AsyncClient, sink: RecordingSink, body: bytes
) -> None:
    response = await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    assert "error" in response.json()
    assert sink.events == []


async def test_group_message_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    update = text_update(-1001234, "pay me", update_id=2, message_id=3, chat_type="supergroup")
    assert (await post(client, update)).status_code == 200
    assert sink.events == []


async def test_stop_and_start_token_reach_the_sink_as_signals(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    await post(client, hello(1, 10, "/start AbCdEfGhIjKlMnOpQrStUvWxYz012345"))
    await post(client, hello(2, 11, "/stop"))
    kinds = [(e.kind, e.detail) for e in sink.events if isinstance(e, ContactSignal)]
    assert kinds == [
        (SignalKind.LINK_REQUEST, "AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
        (SignalKind.OPT_OUT, ""),
    ]


async def test_button_press_is_recorded_and_answered(
    client: httpx.AsyncClient, sink: RecordingSink, tg: TelegramHarness
) -> None:
    update = callback_update(CUSTOMER_CHAT, "human", update_id=3, callback_id="cq-77", message_id=9)
    assert (await post(client, update)).status_code == 200
    [event] = sink.events
    assert isinstance(event, InboundMessage) and event.text == "human"
    assert tg.peer.answered_callbacks == ["cq-77"]


async def test_sink_replies_are_sent_to_the_chat_once(
    tg: TelegramHarness, client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    def reply(event: InboundEvent) -> list[str]:
        return ["Thanks, a person will call you today."]

    sink.reply = reply
    assert (await post(client, hello())).status_code == 200
    assert (await post(client, hello())).status_code == 200  # Telegram redelivers
    assert len(sink.events) == 1
    assert [(m.chat_id, m.text) for m in tg.peer.sent] == [
        (CUSTOMER_CHAT, "Thanks, a person will call you today.")
    ]


async def test_sink_failure_is_500_so_telegram_retries(tg: TelegramHarness) -> None:
    class BrokenSink:
        async def accept(self, event: InboundEvent) -> SinkResult:
            raise RuntimeError("database is down")

    app = FastAPI()
    app.include_router(telegram_router(tg.channel, BrokenSink(), SECRET))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot.test") as c:
        assert (await post(c, hello())).status_code == 500


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "semi;colon"])
async def test_router_refuses_secrets_telegram_would_refuse(
    tg: TelegramHarness, sink: RecordingSink, secret: str
) -> None:
    with pytest.raises(ChannelConfigError, match="DUEBOT_TELEGRAM_WEBHOOK_SECRET"):
        telegram_router(tg.channel, sink, secret)


async def test_set_webhook_registers_url_secret_and_update_kinds(tg: TelegramHarness) -> None:
    await tg.channel.set_webhook("https://duebot.example.com/webhooks/telegram", SECRET)
    hook = tg.peer.webhook
    assert hook is not None
    assert hook.url == "https://duebot.example.com/webhooks/telegram"
    assert hook.secret_token == SECRET
    assert hook.allowed_updates == ["message", "callback_query", "my_chat_member"]
    await tg.channel.delete_webhook()
    assert tg.peer.webhook is None


async def test_set_webhook_refusal_is_a_config_error(tg: TelegramHarness) -> None:
    with pytest.raises(ChannelConfigError, match=r"(?i)https url must be provided"):
        await tg.channel.set_webhook("http://duebot.example.com/webhooks/telegram", SECRET)
    with pytest.raises(ChannelConfigError, match="WEBHOOK_SECRET"):
        await tg.channel.set_webhook("https://duebot.example.com/x", "bad secret")


async def test_end_to_end_peer_delivers_to_a_real_server(tg: TelegramHarness) -> None:
    """setWebhook, then the fake Telegram POSTs updates to uvicorn on loopback."""
    sink = RecordingSink(reply=lambda e: ["Got it."] if isinstance(e, InboundMessage) else [])
    app = FastAPI()
    app.include_router(telegram_router(tg.channel, sink, SECRET))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(5):
            while not server.started:
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"

        await tg.channel.set_webhook(url, SECRET)
        assert await tg.peer.push_update(hello(40, 41, "can I pay half now?")) == 200
        [event] = sink.events
        assert isinstance(event, InboundMessage) and event.text == "can I pay half now?"
        assert [m.text for m in tg.peer.sent] == ["Got it."]

        # a forger who does not know the secret gets nothing in
        tg.peer.webhook = WebhookState(url, "someone-elses-secret", None)
        assert await tg.peer.push_update(hello(42, 43, "forged")) == 403
        assert len(sink.events) == 1
    finally:
        server.should_exit = True
        await serving
