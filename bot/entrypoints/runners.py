"""Long-running processes: the scheduler, dispatch workers, the web server — or all three.

* **Scheduler** (exactly one process): an APScheduler 3 ``AsyncIOScheduler`` with an
  in-memory job store (never shared between processes, as APScheduler's FAQ requires)
  runs the planning tick every ``tick_minutes`` (coalesced, one instance at a time, a
  misfire grace of one interval) and the daily jobs — hourly, because a customer's day
  ends at their own midnight: days past due and broken promises; the legal-review sweep
  once a day — and nothing else. A second scheduler on the same database refuses to
  start (a lock file next to a SQLite database, a PostgreSQL advisory lock otherwise).
* **Worker**: claims due outbox rows and sends them (``Dispatcher.run_forever``). Several
  may run on PostgreSQL (``FOR UPDATE SKIP LOCKED``); on SQLite one does (a lock file).
* **Web**: the FastAPI app (webhooks, API) under uvicorn.

``duebot run`` puts all three on one event loop; ``duebot scheduler``, ``worker`` and
``serve`` run them separately for scale-out. SIGINT/SIGTERM stop everything gracefully:
the tick stops after its current batch, the worker after its current batch, the web
server after its open requests.

Templates and campaigns are checked before anything starts (a finding refuses the
start, listing every finding: :meth:`bot.services.content.Content.start`). SIGHUP
reloads them: a file that fails its check is refused and the last valid version stays
in use; the scheduler plans with the new campaigns from its next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.bootstrap import Container
from bot.services.case_upkeep import BrokenReport, break_overdue_promises, update_days_past_due
from bot.services.content import ReloadReport
from bot.services.planning import PlanningService, TickReport
from bot.services.ports import Channel

log = logging.getLogger("duebot.runner")

TICK_JOB = "planning-tick"
DAILY_JOB = "daily-jobs"  # days past due + broken promises, hourly
LEGAL_JOB = "legal-sweep"
LEGAL_SWEEP_HOUR_UTC = 6


class RunnerError(RuntimeError):
    """A runner cannot start (another scheduler holds the lock, no campaigns...)."""


# ---------------------------------------------------------------------------- jobs
@dataclass
class Runtime:
    """The scheduler's jobs over one container."""

    container: Container
    planning: PlanningService
    plan_workers: int = 0  # 0: PlanningService.tick decides (see AUTO_PARALLEL_FROM)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: set by a reload: the next tick plans with the campaigns in use then
    campaigns_changed: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def load(cls, container: Container, *, plan_workers: int = 0) -> Runtime:
        """The jobs over the database's active campaign versions, read afresh at every
        tick (an activation or a pause needs no restart). The templates are loaded and
        checked first, and the active campaigns' templates under their profiles (all or
        nothing: ``TemplateCheckError`` lists every finding)."""
        from bot.conversations.template_check import TemplateCheckError
        from bot.services.content_check import campaign_findings

        container.content.start(campaigns=False)
        planning = container.planning(batch_size=cls._batch(container))
        planning.refresh_campaigns()
        findings = campaign_findings(dict(planning.campaigns.source), container.templates)
        if findings:
            raise TemplateCheckError(findings, "active campaigns")
        if not len(planning.campaigns):
            log.warning("no active campaign: the tick plans nothing until one is approved "
                        "and activated (duebot campaigns list)")
        return cls(container, planning, plan_workers)

    @staticmethod
    def _batch(container: Container) -> int:
        return max(100, container.settings.worker_batch * 10)

    def tick(self) -> TickReport:
        if self.campaigns_changed.is_set():
            self.campaigns_changed.clear()
            old, self.planning = self.planning, self.container.planning(
                batch_size=self._batch(self.container))
            old.close()
            log.info("planning with the reloaded templates")
        return self.planning.tick(stop=self.stopping, workers=self.plan_workers)

    def daily(self) -> tuple[int, BrokenReport]:
        c = self.container
        now = c.clock.now()
        changed = update_days_past_due(c.maintenance, now)
        broken = break_overdue_promises(c.maintenance, c.uow, now)
        log.info("daily jobs: %d days-past-due changes, %d promises broken", changed,
                 broken.promises)
        return changed, broken

    def legal_sweep(self) -> TickReport:
        return self.planning.tick(legal_only=True, stop=self.stopping)

    def close(self) -> None:
        self.stopping.set()
        self.planning.close()


def build_scheduler(runtime: Runtime, *, tick_minutes: int,
                    start_now: bool = True) -> AsyncIOScheduler:
    """The scheduler with its three jobs (not started)."""
    if tick_minutes < 1:
        raise RunnerError(f"tick_minutes must be at least 1 (DUEBOT_TICK_MINUTES), "
                          f"got {tick_minutes}")
    scheduler = AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=UTC,
    )
    first = datetime.now(UTC) if start_now else None
    scheduler.add_job(runtime.tick, IntervalTrigger(minutes=tick_minutes, timezone=UTC),
                      id=TICK_JOB, name="planning tick", coalesce=True, max_instances=1,
                      misfire_grace_time=tick_minutes * 60,
                      **({"next_run_time": first} if first else {}))
    scheduler.add_job(runtime.daily, CronTrigger(minute=1, timezone=UTC), id=DAILY_JOB,
                      name="days past due and broken promises (hourly)", coalesce=True,
                      max_instances=1, misfire_grace_time=3600,
                      **({"next_run_time": first} if first else {}))
    scheduler.add_job(runtime.legal_sweep,
                      CronTrigger(hour=LEGAL_SWEEP_HOUR_UTC, minute=30, timezone=UTC),
                      id=LEGAL_JOB, name="legal-review sweep", coalesce=True, max_instances=1,
                      misfire_grace_time=6 * 3600)
    return scheduler


# ---------------------------------------------------------------------------- locks
class SingletonLock:
    """"Only one of these per database": a lock file beside a SQLite database, a session
    advisory lock on PostgreSQL. Released on :meth:`release` or process exit."""

    def __init__(self, engine: Engine, role: str) -> None:
        self.engine = engine
        self.role = role
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "sqlite":
            db = self.engine.url.database
            if not db or db == ":memory:":
                return True
            path = Path(f"{db}.{self.role}.lock")
            f = path.open("a+")
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                return False
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
            self._file = f
            return True
        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                {"k": self._key}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    @property
    def _key(self) -> int:
        return zlib.crc32(f"duebot:{self.role}".encode())

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            # the pool keeps the session open: unlock explicitly (a crash ends the session)
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            self._conn.commit()
            self._conn.close()
            self._conn = None


@contextlib.contextmanager
def singleton(engine: Engine, role: str, what: str) -> Iterator[None]:
    lock = SingletonLock(engine, role)
    if not lock.acquire():
        raise RunnerError(f"another {what} is already running on this database")
    try:
        yield
    finally:
        lock.release()


# ---------------------------------------------------------------------------- components
async def scheduler_component(container: Container, stop: asyncio.Event, *,
                              plan_workers: int = 1, runtime: Runtime | None = None) -> None:
    runtime = runtime or Runtime.load(container, plan_workers=plan_workers)
    with singleton(container.engine, "scheduler", "scheduler"):
        scheduler = build_scheduler(runtime, tick_minutes=container.settings.tick_minutes)
        scheduler.start()
        log.info("scheduler started: tick every %d min", container.settings.tick_minutes)
        try:
            await stop.wait()
        finally:
            runtime.close()  # a running tick stops after its current batch
            await asyncio.to_thread(scheduler.shutdown, True)
            log.info("scheduler stopped")


_START_LOCKS: dict[int, asyncio.Lock] = {}
_STARTED: set[int] = set()


async def ensure_started(channel: Channel, container: Container) -> bool:
    """Start a channel once per process (worker and web may both need it in ``run``).

    Returns True when this call started it (and so should close it). The channel's plugin
    says how to start it: one that receives while it runs (Telegram polling) gets the
    inbound sink, so its updates go straight to the application.
    """
    lock = _START_LOCKS.setdefault(id(channel), asyncio.Lock())
    async with lock:
        if id(channel) in _STARTED:
            return False
        await container.registry.start(channel, container.inbound)
        _STARTED.add(id(channel))
        return True


async def inbound_component(container: Container, stop: asyncio.Event) -> None:
    """Run the channels' background receivers (SMTP listener, IMAP poller, Telegram) until
    ``stop``; a receiver that fails stops the component with its error.

    A receiver that works through a channel gets it started first (once per process) and
    closed after.
    """
    registry = container.registry
    receivers = registry.receivers(container.channels, container.settings.model_dump(),
                                   container.clock)
    sink = container.inbound
    started: list[Channel] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for receiver in receivers:
            if receiver.channel is not None and await ensure_started(receiver.channel, container):
                started.append(receiver.channel)
            tasks.append(asyncio.create_task(receiver.run(sink, stop), name=receiver.name))
        await _until_stopped(tasks, stop)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in reversed(started):
            with contextlib.suppress(Exception):
                await channel.aclose()


async def _until_stopped(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    """Wait for ``stop``; raise the error of the first task that fails before it."""
    stopping = asyncio.ensure_future(stop.wait())
    pending: set[asyncio.Future[Any]] = {stopping, *tasks}
    try:
        while stopping in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                task.result()  # raises the receiver's error
    finally:
        stopping.cancel()


async def worker_component(container: Container, stop: asyncio.Event) -> None:
    sqlite = container.engine.dialect.name == "sqlite"
    lock = singleton(container.engine, "worker", "worker (SQLite allows one)") if sqlite \
        else contextlib.nullcontext()
    with lock:
        channels = [c for c in {id(c): c for c in container.channels.values()}.values()
                    if await ensure_started(c, container)]
        log.info("worker started: %s", ", ".join(f"{k}={c.name}" for k, c in
                                                  container.channels.items()))
        try:
            await container.dispatcher.run_forever(stop, idle_seconds=1.0,
                                                   limit=container.settings.worker_batch)
        finally:
            for channel in channels:
                with contextlib.suppress(Exception):
                    await channel.aclose()
            log.info("worker stopped")


def uvicorn_server(app: Any, host: str, port: int) -> Any:
    """A ``uvicorn.Server`` for ``app`` without its own signal handling (the runner owns
    SIGINT/SIGTERM)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    # uvicorn's loggers propagate to duebot's handler (log_setup), and its access log is
    # off: the web app logs each request by route template (web/edge.py), never the path
    return Server(uvicorn.Config(app, host=host, port=port, log_config=None, log_level=None,
                                 access_log=False, lifespan="on"))


class _Server:
    """The web server as a runner component."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.server = uvicorn_server(app, host, port)

    async def serve(self, stop: asyncio.Event) -> None:
        task = asyncio.create_task(self.server.serve())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        self.server.should_exit = True
        stopper.cancel()
        await task
        if not stop.is_set():
            raise RunnerError("the web server stopped (is the port in use?)")


async def web_component(container: Container, stop: asyncio.Event) -> None:
    from bot.entrypoints.web.app import create_app

    settings = container.settings
    server = _Server(create_app(container), settings.host, settings.port)
    await server.serve(stop)


# ---------------------------------------------------------------------------- running
def reload_content(container: Container, runtime: Runtime | None = None) -> ReloadReport:
    """Reload templates and campaigns (SIGHUP): what fails its check is refused and keeps
    its last valid version; a scheduler plans with the new campaigns from its next tick."""
    report = container.content.reload()
    if runtime is not None:
        runtime.campaigns_changed.set()
    return report


def _reload_logged(container: Container, runtime: Runtime | None) -> None:
    try:
        reload_content(container, runtime)
    except Exception:  # a reload must never stop what is running
        log.exception("reload failed; the templates and campaigns in use stay")


async def run_components(container: Container, *, scheduler: bool = False,
                         worker: bool = False, web: bool = False, plan_workers: int = 1,
                         stop: asyncio.Event | None = None) -> None:
    """Run the chosen components on this loop until SIGINT/SIGTERM (or ``stop``)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    # everything is checked before anything starts: a bad template or campaign refuses
    # the start with every finding (TemplateCheckError)
    runtime = Runtime.load(container, plan_workers=plan_workers) if scheduler else None
    if runtime is None:  # campaigns are the scheduler's; checked here when present
        container.content.start(campaigns=Path(container.settings.campaign_dir).is_dir())
    installed = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(
            None, _reload_logged, container, runtime))
        installed.append(signal.SIGHUP)
    tasks: list[asyncio.Task[None]] = []
    if scheduler:
        tasks.append(asyncio.create_task(
            scheduler_component(container, stop, plan_workers=plan_workers,
                                runtime=runtime)))
    if worker:
        tasks.append(asyncio.create_task(worker_component(container, stop)))
    if web:
        tasks.append(asyncio.create_task(web_component(container, stop)))
        tasks.append(asyncio.create_task(inbound_component(container, stop)))
    try:
        # a component that fails (lock taken, port in use) stops the others
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        for sig in installed:
            loop.remove_signal_handler(sig)
