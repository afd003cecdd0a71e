"""Signed Twilio webhooks handled concurrently by the whole web app over a real database
(SQLite and PostgreSQL): the database work runs off the event loop, so a webhook that
waits for the database does not stop other requests; two deliveries of one MessageSid at
the same instant still store one message; two messages of one customer at once are both
stored (the loser of a write conflict is handled again)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap, database_connections
from bot.domain.clock import FixedClock
from bot.entrypoints.web.app import create_app
from storage.db import make_engine
from storage.models import ConversationRow, MessageRow
from tests.peers.twilio_api import inbound_message_form, new_sid
from tests.peers.twilio_signing import signed_headers
from tests.world import make_case, seed, settings_for

PUBLIC_URL = "https://duebot.example.com"
ACCOUNT_SID = new_sid("AC")
TOKEN = "c0ffee" + "12" * 13
OUR_NUMBER = "+15005550006"
PHONES = [f"+1415555{n:04d}" for n in range(10, 16)]
INBOUND = "/webhooks/twilio/sms"


@pytest.fixture
def container(engine: Engine, clock: FixedClock) -> Container:
    settings = settings_for(engine, public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID,
                            twilio_auth_token=SecretStr(TOKEN), twilio_from_number=OUR_NUMBER,
                            twilio_api_base="http://127.0.0.1:9")
    today = clock.now().date()
    seed(engine, clock, *(make_case(f"ACC{n:04d}", 20, today, phone=phone)
                          for n, phone in enumerate(PHONES)))
    c = bootstrap(settings, clock=clock, engine=engine)
    yield c
    c.close()


@pytest.fixture
async def http(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL, timeout=60) as client:
        yield client


def form(phone: str, body: str, sid: str | None = None) -> dict[str, str]:
    return inbound_message_form(account_sid=ACCOUNT_SID, from_=phone, to=OUR_NUMBER,
                                body=body, message_sid=sid)


async def post(http: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    return await http.post(INBOUND, content=urlencode(fields),
                           headers=signed_headers(TOKEN, PUBLIC_URL + INBOUND, fields))


def stored(engine: Engine, sid: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(MessageRow)
                                .where(MessageRow.provider_id == sid)).scalar_one())


def test_the_database_threads_leave_one_connection_of_the_pool_free(
        container: Container) -> None:
    threads = container.database_threads
    assert threads is not None
    assert threads._max_workers == database_connections(container.engine) - 1  # type: ignore[attr-defined]
    assert container.inbound.executor is threads


async def test_the_first_burst_after_a_start_is_answered_while_the_campaign_book_is_read(
        engine: Engine, clock: FixedClock) -> None:
    """Every thread's webhook holds a connection when the campaign book is read for the
    first time (on another connection): all are answered, none waits for the pool's
    timeout (a pool of 3 connections, 1 s timeout, 12 webhooks at once)."""
    small = make_engine(engine.url.render_as_string(hide_password=False), pool_size=3,
                        max_overflow=0, pool_timeout=1)
    settings = settings_for(small, public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID,
                            twilio_auth_token=SecretStr(TOKEN), twilio_from_number=OUR_NUMBER,
                            twilio_api_base="http://127.0.0.1:9")
    seed(small, clock, *(make_case(f"ACC{n:04d}", 20, clock.now().date(), phone=phone)
                         for n, phone in enumerate(PHONES)))
    c = bootstrap(settings, clock=clock, engine=small)
    try:
        transport = httpx.ASGITransport(app=create_app(c))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL,
                                     timeout=60) as client:
            fields = [form(PHONES[n % len(PHONES)], "who is this?", new_sid("SM"))
                      for n in range(12)]
            started = time.perf_counter()
            answers = await asyncio.gather(*(post(client, f) for f in fields))
            took = time.perf_counter() - started
    finally:
        c.close()
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert all(stored(engine, f["MessageSid"]) == 1 for f in fields)
    assert took < 20


async def test_two_deliveries_of_one_message_at_the_same_instant_store_it_once(
        engine: Engine, container: Container, http: httpx.AsyncClient) -> None:
    fields = [form(phone, "I will pay 50 on friday", new_sid("SM")) for phone in PHONES]
    answers = await asyncio.gather(*(post(http, f) for f in fields for _ in range(2)))
    assert [a.status_code for a in answers] == [200] * len(answers)
    for f in fields:
        assert stored(engine, f["MessageSid"]) == 1


async def test_messages_of_one_customer_at_once_are_all_stored(
        engine: Engine, container: Container, http: httpx.AsyncClient) -> None:
    # each customer's first messages race to create the case's conversation row and to
    # update the case: the loser is rolled back and handled again, never answered 500
    fields = [form(phone, text, new_sid("SM")) for phone in PHONES[:3]
              for text in ("who is this?", "I lost my job", "call me tomorrow", "ok")]
    answers = await asyncio.gather(*(post(http, f) for f in fields))
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert all(stored(engine, f["MessageSid"]) == 1 for f in fields)
    with engine.connect() as conn:
        conversations = conn.execute(select(func.count()).select_from(ConversationRow)
                                     ).scalar_one()
    assert conversations <= 3


async def test_other_requests_are_answered_while_a_webhook_waits_for_the_database(
        engine: Engine, clock: FixedClock, container: Container, http: httpx.AsyncClient
) -> None:
    """Another transaction holds what the webhook must write (the same processed-event
    key on PostgreSQL, the write lock on SQLite) for 3 s: /healthz answers meanwhile; the
    webhook completes once the other transaction rolls back."""
    fields = form(PHONES[0], "ok", new_sid("SM"))
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(text("INSERT INTO inbound_event (key, at) VALUES (:k, :at)"),
                    {"k": f"msg:sms:{fields['MessageSid']}", "at": clock.now()})
    release = threading.Timer(3.0, blocker.rollback)
    release.start()
    try:
        webhook = asyncio.create_task(post(http, fields))
        await asyncio.sleep(0.3)  # the webhook is waiting for the database now
        assert not webhook.done()
        started = time.perf_counter()
        health = await http.get("/healthz")
        waited = time.perf_counter() - started
        assert health.status_code == 200
        assert waited < 1.5, f"/healthz waited {waited:.1f}s behind the webhook"
        answer = await webhook
    finally:
        release.join()
        blocker.close()
    assert answer.status_code == 200
    assert stored(engine, fields["MessageSid"]) == 1
