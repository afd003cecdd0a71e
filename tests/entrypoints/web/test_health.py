"""What operators and load balancers ask the web app: /healthz (alive), /readyz (the
database answers, its schema is current), /metrics (Prometheus: a stuck outbox, a missed
tick, send failures)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap
from bot.domain.clock import FixedClock
from bot.domain.outbox import outbox_message
from bot.entrypoints.metrics import Metrics
from bot.entrypoints.web.app import create_app
from storage.db import make_engine
from tests.world import sandbox_channels, settings_for


def container_at(engine: Engine, clock: FixedClock) -> Container:
    return bootstrap(settings_for(engine), clock=clock, engine=engine,
                     channels=sandbox_channels(clock))


async def get(app: object, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot.test") as http:
        return await http.get(path)


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


async def test_ready_when_the_database_answers_with_the_current_schema(
        engine: Engine, clock: FixedClock) -> None:
    app = create_app(container_at(engine, clock))
    assert (await get(app, "/healthz")).json() == {"status": "ok"}
    ready = await get(app, "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_not_ready_without_the_schema_or_the_database(tmp_path, clock: FixedClock
                                                            ) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(container_at(empty, clock))
    old = await get(app, "/readyz")
    assert old.status_code == 503 and "duebot db upgrade" in old.json()["reason"]
    assert (await get(app, "/healthz")).status_code == 200  # alive all the same
    gone = make_engine("postgresql+psycopg://nobody:secret-pw@127.0.0.1:9/none",
                       connect_args={"connect_timeout": 2})
    down = await get(create_app(container_at(gone, clock)), "/readyz")
    assert (down.status_code, down.json()) == (
        503, {"status": "unavailable", "reason": "database unreachable"})
    assert "secret-pw" not in down.text
    metrics = await get(create_app(container_at(gone, clock)), "/metrics")
    assert metrics.status_code == 200
    assert samples(metrics.text)[("duebot_database_up", ())] == 0


async def test_metrics_show_a_stuck_outbox_a_missed_tick_and_send_failures(
        engine: Engine, clock: FixedClock) -> None:
    c = container_at(engine, clock)
    now = clock.now()
    with engine.begin() as conn:
        from storage.message_log import enqueue

        enqueue(conn, [outbox_message(
            case_id=None, contact_point_id=None, channel="sms", address="+14155550100",
            body="hello", subject=None, idempotency_key=f"k-{i}",
            now=now - timedelta(minutes=10 * i), purpose="confirmation") for i in range(3)])
    c.operations.job_finished("planning-tick", now - timedelta(minutes=20),
                              now - timedelta(minutes=19))
    metrics = Metrics(c.operations, c.clock)
    metrics.count_sends(c.dispatcher.listeners)
    c.dispatcher.listeners[-1]("sms", "failed")
    c.dispatcher.listeners[-1]("sms", "sent")
    got = samples((await get(create_app(c, metrics), "/metrics")).text)
    assert got[("duebot_database_up", ())] == 1
    assert got[("duebot_outbox_messages", (("channel", "sms"), ("status", "queued")))] == 3
    assert got[("duebot_outbox_messages", (("channel", "email"), ("status", "sending")))] == 0
    assert got[("duebot_outbox_oldest_due_age_seconds", ())] == 20 * 60
    assert got[("duebot_job_last_success_age_seconds", (("job", "planning-tick"),))] == 19 * 60
    assert got[("duebot_job_last_success_timestamp_seconds", (("job", "planning-tick"),))] == (
        (now - timedelta(minutes=19)).timestamp())
    assert got[("duebot_sends_total", (("channel", "sms"), ("outcome", "failed")))] == 1
    # a worker drains the outbox: nothing due any more
    await c.dispatcher.drain()
    after = samples((await get(create_app(c, metrics), "/metrics")).text)
    assert after[("duebot_outbox_oldest_due_age_seconds", ())] == 0
    assert after[("duebot_outbox_messages", (("channel", "sms"), ("status", "queued")))] == 0
    assert after[("duebot_sends_total", (("channel", "sms"), ("outcome", "sent")))] == 4


def test_a_worker_serves_its_metrics_on_a_port_of_its_own() -> None:
    metrics = Metrics()
    metrics.sends.labels("email", "retried").inc()
    server = metrics.serve("127.0.0.1", 0)
    try:
        body = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5).text
    finally:
        server.close()
    got = samples(body)
    assert got[("duebot_sends_total", (("channel", "email"), ("outcome", "retried")))] == 1
    assert ("duebot_database_up", ()) not in got  # the database gauges are serve's
