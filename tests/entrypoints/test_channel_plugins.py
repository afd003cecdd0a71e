"""A channel package found by discovery, like the built-in ones: the web app mounts its
webhook and the inbound runner runs its receiver, both feeding the application's sink."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.entrypoints.runners import inbound_component
from bot.entrypoints.web.app import create_app
from channels.registry import ChannelRegistry
from storage.models import InboundEventRow
from tests.channels.fake_channels.pigeon.plugin import PigeonChannel
from tests.world import sandbox_channels, settings_for

MESSAGE = {"id": "pigeon-42", "from": "+14155550123", "text": "Can we talk?"}


def inbound_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(InboundEventRow)).scalar_one())


@pytest.fixture
def pigeon(clock: FixedClock) -> PigeonChannel:
    return PigeonChannel("roof", clock)


@pytest.fixture
def container(sqlite_engine: Engine, clock: FixedClock, pigeon: PigeonChannel) -> Container:
    registry = ChannelRegistry.discover("channels", "tests.channels.fake_channels")
    channels = {**sandbox_channels(clock), ChannelKind.SMS: pigeon}
    return bootstrap(settings_for(sqlite_engine), clock=clock, engine=sqlite_engine,
                     channels=channels, registry=registry)


async def test_the_web_app_mounts_the_discovered_webhook(container: Container) -> None:
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot.test") as http:
        wrong = await http.post("/webhooks/pigeon/cellar", content=json.dumps(MESSAGE))
        first = await http.post("/webhooks/pigeon/roof", content=json.dumps(MESSAGE))
        again = await http.post("/webhooks/pigeon/roof", content=json.dumps(MESSAGE))
        spec = (await http.get("/api/openapi.json")).json()

    assert wrong.status_code == 403
    assert (first.status_code, first.text) == (202, "coo")
    assert (again.status_code, again.text) == (200, "seen")  # the application's sink is idempotent
    assert first.headers["content-type"] == "text/plain; charset=utf-8"
    assert inbound_events(container.engine) == 1
    assert "/webhooks/pigeon/{ring}" in spec["paths"]


async def test_the_webhook_is_not_mounted_when_another_channel_serves_the_kind(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    registry = ChannelRegistry.discover("channels", "tests.channels.fake_channels")
    container = bootstrap(settings_for(sqlite_engine), clock=clock, engine=sqlite_engine,
                          channels=sandbox_channels(clock), registry=registry)
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot.test") as http:
        response = await http.post("/webhooks/pigeon/roof", content=json.dumps(MESSAGE))
    assert response.status_code == 404


async def test_the_inbound_runner_runs_the_discovered_receiver(
    container: Container, pigeon: PigeonChannel
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(inbound_component(container, stop))
    async with asyncio.timeout(5):
        while inbound_events(container.engine) < 1:
            await asyncio.sleep(0.02)
    assert (pigeon.starts, pigeon.closes) == (1, 0)  # started for its receiver, still open

    stop.set()
    await asyncio.wait_for(task, 5)

    assert (pigeon.starts, pigeon.closes) == (1, 1)
    assert inbound_events(container.engine) == 1


async def test_a_failing_receiver_stops_the_inbound_runner_with_its_error(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    burnt = PigeonChannel("burnt", clock)
    registry = ChannelRegistry.discover("channels", "tests.channels.fake_channels")
    container = bootstrap(settings_for(sqlite_engine), clock=clock, engine=sqlite_engine,
                          channels={**sandbox_channels(clock), ChannelKind.SMS: burnt},
                          registry=registry)

    with pytest.raises(RuntimeError, match="the loft burnt down"):
        await asyncio.wait_for(inbound_component(container, asyncio.Event()), 5)
    assert burnt.closes == 1
