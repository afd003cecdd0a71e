"""Runners: the scheduler's jobs (coalesced, one instance, memory job store), scheduler +
worker + web server on one loop, one scheduler per database, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.bootstrap import bootstrap
from bot.domain.clock import FixedClock
from bot.entrypoints.runners import (
    DAILY_JOB,
    LEGAL_JOB,
    TICK_JOB,
    Leadership,
    RunnerError,
    Runtime,
    build_scheduler,
    run_components,
    scheduler_component,
)
from bot.services.ports import Direction
from tests.services.app import activate_campaigns
from tests.world import (
    CAMPAIGNS,
    ROOT,
    container_for,
    local_today,
    make_case,
    planning_for,
    sandbox_channels,
    seed,
    settings_for,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_scheduler_runs_the_tick_and_daily_jobs_coalesced_in_memory(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    runtime = Runtime.load(container_for(sqlite_engine, clock))
    scheduler = build_scheduler(runtime, tick_minutes=5)
    scheduler.start(paused=True)
    try:
        assert isinstance(scheduler._jobstores["default"], MemoryJobStore)
        assert len(scheduler._jobstores) == 1  # nothing persistent, nothing shared
        jobs = {j.id: j for j in scheduler.get_jobs()}
        assert set(jobs) == {TICK_JOB, DAILY_JOB, LEGAL_JOB}
        tick = jobs[TICK_JOB]
        assert isinstance(tick.trigger, IntervalTrigger)
        assert tick.trigger.interval.total_seconds() == 300
        assert (tick.coalesce, tick.max_instances, tick.misfire_grace_time) == (True, 1, 300)
        assert tick.func == runtime.tick and tick.next_run_time is not None
        daily = jobs[DAILY_JOB]
        assert isinstance(daily.trigger, CronTrigger) and str(daily.trigger.fields[6]) == "1"
        assert (daily.coalesce, daily.max_instances) == (True, 1)
        assert (jobs[LEGAL_JOB].coalesce, jobs[LEGAL_JOB].max_instances) == (True, 1)
    finally:
        scheduler.shutdown(wait=False)
    with pytest.raises(RunnerError, match="at least 1"):
        build_scheduler(runtime, tick_minutes=0)


def test_a_stopped_tick_ends_after_its_batch(sqlite_engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    seed(sqlite_engine, clock, *(make_case(f"ACC-{i}", 1, today, phone=f"+1415555011{i}")
                                 for i in range(3)))
    stop = threading.Event()
    stop.set()
    report = planning_for(container_for(sqlite_engine, clock), batch_size=1).tick(stop=stop)
    assert (report.cases, report.enqueued) == (1, 1)


def test_without_an_active_campaign_the_runtime_plans_nothing(sqlite_engine: Engine,
                                                               clock: FixedClock) -> None:
    seed(sqlite_engine, clock, make_case("ACC-1", 1, local_today(clock)))
    c = bootstrap(settings_for(sqlite_engine), clock=clock, engine=sqlite_engine,
                  channels=sandbox_channels(clock))
    runtime = Runtime.load(c)  # a fresh database: the campaign files are not active
    assert runtime.tick().enqueued == 0
    activate_campaigns(c)
    assert runtime.tick().enqueued == 1  # activated while running: no restart needed


async def test_scheduler_worker_and_web_share_one_loop(sqlite_engine: Engine,
                                                       clock: FixedClock) -> None:
    seed(sqlite_engine, clock, make_case("ACC-1", 1, local_today(clock)))
    port = free_port()
    channels = sandbox_channels(clock)
    settings = settings_for(sqlite_engine, port=port, tick_minutes=1)
    c = bootstrap(settings, clock=clock, engine=sqlite_engine, channels=channels)
    activate_campaigns(c)
    stop = asyncio.Event()
    task = asyncio.create_task(run_components(c, scheduler=True, worker=True, web=True,
                                              receive=True, stop=stop))
    store = channels[next(iter(channels))].store
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            deadline = time.monotonic() + 15
            health = None
            while time.monotonic() < deadline:
                sent = [e for e in store.list() if e.direction is Direction.OUT]
                if health is None:
                    with contextlib.suppress(httpx.TransportError):
                        health = (await http.get("/healthz")).status_code
                if sent and health:
                    break
                await asyncio.sleep(0.1)
        assert health == 200
        assert [e.address for e in sent] == ["+14155550123"]  # planned, then sent
        # a second scheduler on the same database stands by: it does not plan
        other = bootstrap(settings.model_copy(update={"leader_poll_seconds": 0.05}),
                          clock=clock, engine=sqlite_engine, channels=channels)
        standby = Leadership(sqlite_engine, "scheduler", "scheduler", 0.05)
        other_stop = asyncio.Event()
        second = asyncio.create_task(scheduler_component(other, other_stop, lead=standby,
                                                         receive=False))
        await asyncio.sleep(0.3)
        assert not standby.leading and standby.terms == 0
        other_stop.set()
        await asyncio.wait_for(second, 5)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def test_sigterm_stops_duebot_run_gracefully(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "run.db"
    db.write_bytes(sqlite_template.read_bytes())
    port = free_port()
    env = {**os.environ, "DUEBOT_DATABASE_URL": f"sqlite:///{db}", "DUEBOT_PORT": str(port),
           "DUEBOT_CAMPAIGN_DIR": str(CAMPAIGNS), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.entrypoints.cli_runtime import app; app(['run'])"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("duebot run did not serve /healthz")
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    for line in ("scheduler started", "worker started", "scheduler stopped", "worker stopped"):
        assert line in output


def _first_notice(sms_en: str) -> str:
    import yaml

    from storage.template_files import SHIPPED_TEMPLATE_DIR

    data = yaml.safe_load((SHIPPED_TEMPLATE_DIR / "first_notice.yaml").read_text("utf-8"))
    data["limited"]["sms"]["en"] = sms_en
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_threatening_template_refuses_the_start_listing_every_finding(
        tmp_path: Path, sqlite_template: Path) -> None:
    """Before: a DUEBOT_TEMPLATE_DIR template saying "We will sue you tomorrow" without an
    opt-out line started, and was rendered and sent."""
    db = tmp_path / "run.db"
    db.write_bytes(sqlite_template.read_bytes())
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "first_notice.yaml").write_text(_first_notice("We will sue you tomorrow."),
                                                 encoding="utf-8")
    env = {**os.environ, "DUEBOT_DATABASE_URL": f"sqlite:///{db}",
           "DUEBOT_CAMPAIGN_DIR": str(CAMPAIGNS), "DUEBOT_TEMPLATE_DIR": str(overrides),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", "from bot.entrypoints.cli_runtime import app; app(['worker'])"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 1, output
    assert "nothing loaded and nothing started" in output
    assert "template first_notice [limited/sms/en/body]: forbidden_phrase" in output
    assert "template first_notice [limited/sms/en/body]: missing_opt_out" in output
    assert "step first_notice: template 'first_notice' was refused" in output
    assert "Traceback" not in output and "worker started" not in output


async def test_sighup_reloads_and_an_invalid_file_keeps_the_last_valid_version(
        sqlite_engine: Engine, clock: FixedClock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    target = overrides / "first_notice.yaml"
    target.write_text(_first_notice("Hi from {{ brand_name }}. {{ opt_out }}"), "utf-8")
    settings = settings_for(sqlite_engine).model_copy(update={"template_dir": overrides})
    c = bootstrap(settings, clock=clock, engine=sqlite_engine,
                  channels=sandbox_channels(clock))
    stop = asyncio.Event()
    task = asyncio.create_task(run_components(c, worker=True, stop=stop))

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert condition()

    def sms_en() -> str:
        spec = c.templates.get("first_notice")
        return next(v.body for (d, ch, lang), v in spec.variants.items()
                    if ch.value == "sms" and lang == "en")

    try:
        await until(lambda: "first_notice" in c.templates and c.content.campaigns != {})
        assert not task.done()  # running, with its SIGHUP handler
        valid = c.templates.get("first_notice")
        target.write_text(_first_notice("We will sue you tomorrow. {{ opt_out }}"), "utf-8")
        with caplog.at_level("INFO"):
            os.kill(os.getpid(), signal.SIGHUP)
            await until(lambda: "last valid version" in caplog.text)
        assert "forbidden_phrase" in caplog.text
        assert c.templates.get("first_notice") is valid
        target.write_text(_first_notice("Hello from {{ brand_name }}. {{ opt_out }}"), "utf-8")
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: sms_en().startswith("Hello from"))
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def test_a_reload_reaches_the_next_tick(sqlite_engine: Engine, clock: FixedClock) -> None:
    from bot.entrypoints.runners import reload_content

    runtime = Runtime.load(container_for(sqlite_engine, clock))
    first = runtime.planning
    report = reload_content(runtime.container, runtime)
    assert report.ok and runtime.campaigns_changed.is_set()
    runtime.tick()
    assert runtime.planning is not first and not runtime.campaigns_changed.is_set()
    runtime.close()
