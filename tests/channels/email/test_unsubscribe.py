"""The RFC 8058 one-click unsubscribe endpoint and its confirmation page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from bot.domain.clock import Clock, FixedClock
from bot.domain.messages import ChannelKind, ContactSignal, OutboundMessage, SignalKind
from bot.entrypoints.web.webhooks import webhook_router
from bot.services.ports import InboundSink
from channels.email.smtp import SmtpEmailChannel
from channels.email.unsubscribe_page import unsubscribe_webhooks
from channels.email.unsubscribe_tokens import make_unsubscribe_token
from tests.channels.harness_email import RecordingSink
from tests.peers.smtp_server import SmtpPeer

SECRET = "app-secret-for-unsubscribe-tests"
ADDRESS = "jane.doe@example.org"
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def unsubscribe_router(secret: str, sink: InboundSink, *, clock: Clock | None = None
                       ) -> APIRouter:
    """The unsubscribe page as the web app mounts it."""
    return webhook_router(unsubscribe_webhooks(secret, clock=clock), sink)


# ---------------------------------------------------------------------- routes


class BrokenSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.fail_next = 10**6


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def client(sink: RecordingSink) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(unsubscribe_router(SECRET, sink, clock=FixedClock(NOW)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bank.example") as c:
        yield c


async def test_one_click_post_opts_the_address_out(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    response = await client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "unsubscribed" in response.text
    [signal] = sink.events
    assert isinstance(signal, ContactSignal)
    assert (signal.channel, signal.address, signal.kind, signal.source, signal.received_at) == (
        ChannelKind.EMAIL,
        ADDRESS,
        SignalKind.OPT_OUT,
        "list-unsubscribe",
        NOW,
    )
    assert ADDRESS not in response.text


async def test_every_click_is_recorded(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    for _ in range(2):
        assert (await client.post(f"/unsubscribe/{token}", data=ONE_CLICK)).status_code == 200
    assert len(sink.events) == 2  # an opt-in in between must not swallow the second click


async def test_get_shows_a_confirmation_page_and_changes_nothing(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    response = await client.get(f"/unsubscribe/{token}")
    assert response.status_code == 200
    assert '<form method="post">' in response.text
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    assert ADDRESS not in response.text and "***oe@***.org" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert sink.events == []


async def test_forged_token_is_rejected_and_nothing_is_stored(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    forged = make_unsubscribe_token("someone-elses-secret", ADDRESS, NOW)
    assert (await client.post(f"/unsubscribe/{forged}", data=ONE_CLICK)).status_code == 404
    assert (await client.get(f"/unsubscribe/{forged}")).status_code == 404
    assert (await client.post("/unsubscribe/garbage", data=ONE_CLICK)).status_code == 404
    assert sink.events == []


async def test_post_without_one_click_body_still_unsubscribes(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    assert (await client.post(f"/unsubscribe/{token}")).status_code == 200
    assert len(sink.events) == 1


async def test_sink_failure_asks_to_try_again() -> None:
    app = FastAPI()
    app.include_router(unsubscribe_router(SECRET, BrokenSink(), clock=FixedClock(NOW)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bank.example") as c:
        token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
        response = await c.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 503


def test_router_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        unsubscribe_router("", RecordingSink())


async def test_link_in_a_sent_email_unsubscribes_its_recipient(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    """End to end: send through SMTP, follow the header the way a mail provider does."""
    async with SmtpPeer() as peer:
        channel = SmtpEmailChannel(
            host="127.0.0.1",
            port=peer.port,
            tls="none",
            from_address="collections@bank.example",
            reply_domain="reply.bank.example",
            unsubscribe_base_url="https://bank.example/unsubscribe",
        )
        outbound = OutboundMessage(
            idempotency_key="u-1",
            channel=ChannelKind.EMAIL,
            to=ADDRESS,
            body="Your balance is due.",
            subject="Your account",
            unsubscribe_token=make_unsubscribe_token(SECRET, ADDRESS, NOW),
        )
        assert (await channel.send(outbound)).ok
        await channel.aclose()
    msg = peer.messages[0].message
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.search(r"<(https://[^>]+)>", str(msg["List-Unsubscribe"]))
    assert match is not None
    response = await client.post(match.group(1), data=ONE_CLICK)
    assert response.status_code == 200
    [signal] = sink.events
    assert isinstance(signal, ContactSignal) and signal.address == ADDRESS
