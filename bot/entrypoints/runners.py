"""Long-running processes: the scheduler, dispatch workers, the web server, the receivers —
or all of them in one process.

* **Scheduler**: an APScheduler 3 ``AsyncIOScheduler`` with an in-memory job store (never
  shared between processes, as APScheduler's FAQ requires) runs the planning tick every
  ``tick_minutes`` (coalesced, one instance at a time, a misfire grace of one interval)
  and the daily jobs — hourly, because a customer's day ends at their own midnight: days
  past due and broken promises; the legal-review sweep once a day. Several may run: one
  **leads** (it holds the scheduler lock: a PostgreSQL session advisory lock, a lock file
  beside a SQLite database), the others **stand by** and try the lock every
  ``DUEBOT_LEADER_POLL_SECONDS``; when the leader dies its session ends, the lock is free
  and a standby takes over within three such intervals (on PostgreSQL it waits two
  after taking the lock, so that a leader that lost its session has noticed and
  stopped before the new term begins), running the tick at once (a tick the dead
  leader left half done is finished: every outbox row has an idempotency key, so nothing
  is queued twice). A leader checks its lock session at the same interval and stops
  planning (after the current batch) when the session is gone. Each job notes its
  completed runs in the database (the missed-tick metric reads them).
* **Receivers** (the registry's: SMTP listener, IMAP poller, Telegram polling or webhook
  registration) must run once per deployment: in the process that holds the receivers
  lock, the scheduler leader or ``duebot receive``, with the same standby and takeover.
* **Worker**: claims due outbox rows and sends them (``Dispatcher.run_forever``). Several
  may run on PostgreSQL (``FOR UPDATE SKIP LOCKED``); on SQLite one does (a lock file).
* **Web**: the FastAPI app (webhooks, API, ``/healthz``, ``/readyz``, ``/metrics``) under
  uvicorn; stateless, so several may serve behind a proxy.

``duebot run`` puts them all on one event loop; ``duebot scheduler``, ``worker``,
``serve`` and ``receive`` run them separately for scale-out. SIGINT/SIGTERM stop
everything gracefully: the tick stops after its current batch, the worker finishes the
sends in flight and gives the rest of its batch back, the web server finishes its open
requests.

Templates and campaigns are checked before anything starts (a finding refuses the
start, listing every finding: :meth:`bot.services.content.Content.start`). SIGHUP
reloads them: a file that fails its check is refused and the last valid version stays
in use; the scheduler plans with the new campaigns from its next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.bootstrap import Container
from bot.entrypoints.locks import RunnerError, SingletonLock, singleton
from bot.entrypoints.metrics import Metrics, MetricsServer
from bot.services.case_upkeep import BrokenReport, break_overdue_promises, update_days_past_due
from bot.services.content import ReloadReport
from bot.services.planning import PlanningService, TickReport
from bot.services.ports import Channel

log = logging.getLogger("duebot.runner")

TICK_JOB = "planning-tick"
DAILY_JOB = "daily-jobs"  # days past due + broken promises, hourly
LEGAL_JOB = "legal-sweep"
LEGAL_SWEEP_HOUR_UTC = 6


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
        started = self.container.clock.now()
        if self.campaigns_changed.is_set():
            self.campaigns_changed.clear()
            old, self.planning = self.planning, self.container.planning(
                batch_size=self._batch(self.container))
            old.close()
            log.info("planning with the reloaded templates")
        report = self.planning.tick(stop=self.stopping, workers=self.plan_workers)
        self._finished(TICK_JOB, started)
        return report

    def daily(self) -> tuple[int, BrokenReport]:
        c = self.container
        now = c.clock.now()
        changed = update_days_past_due(c.maintenance, now)
        broken = break_overdue_promises(c.maintenance, c.uow, now)
        log.info("daily jobs: %d days-past-due changes, %d promises broken", changed,
                 broken.promises)
        self._finished(DAILY_JOB, now)
        return changed, broken

    def legal_sweep(self) -> TickReport:
        started = self.container.clock.now()
        report = self.planning.tick(legal_only=True, stop=self.stopping)
        self._finished(LEGAL_JOB, started)
        return report

    def _finished(self, job: str, started: datetime) -> None:
        """Note a run that went to its end (not one stopped half-way)."""
        if self.stopping.is_set():
            return
        try:
            self.container.operations.job_finished(job, started, self.container.clock.now())
        except Exception:  # the run itself is done; only the metric misses it
            log.warning("could not note the end of %s", job, exc_info=True)

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


# ---------------------------------------------------------------------------- leadership
Term = Callable[[asyncio.Event], Awaitable[None]]


class Leadership:
    """Leader or standby for one role per database (``scheduler``, ``receivers``).

    :meth:`run` tries the role's :class:`SingletonLock` every ``poll_seconds``; holding
    it, it runs a term of work (``term(ended)``) and checks the lock at the same
    interval. The term ends — ``ended`` is set and the work must return soon — when the
    process stops or the lock is lost (its database session ended); the lock is then
    released and the process stands by again."""

    def __init__(self, engine: Engine, role: str, what: str, poll_seconds: float) -> None:
        if poll_seconds <= 0:
            raise RunnerError(f"the leader poll interval must be positive "
                              f"(DUEBOT_LEADER_POLL_SECONDS), got {poll_seconds}")
        self.engine = engine
        self.role = role
        self.what = what
        self.poll = poll_seconds
        self.leading = False
        self.terms = 0  # how many times this process took the lead
        self.on_change: list[Callable[[bool], None]] = []

    async def run(self, stop: asyncio.Event, term: Term) -> None:
        standing_by = False
        while not stop.is_set():
            lock = SingletonLock(self.engine, self.role)
            try:
                got = await asyncio.to_thread(lock.acquire)
            except Exception as exc:  # the database is away: try again at the next turn
                log.warning("%s: cannot reach the database to take the lead (%s)",
                            self.what, type(exc).__name__)
                got = False
            if not got:
                if not standing_by:
                    log.info("%s standing by: another one leads", self.what)
                    standing_by = True
                await _wait(stop, self.poll)
                continue
            standing_by = False
            if not await self._settle(lock, stop):
                await asyncio.to_thread(lock.release)
                continue
            await self._lead(lock, stop, term)

    async def _settle(self, lock: SingletonLock, stop: asyncio.Event) -> bool:
        """Wait before working under a PostgreSQL lock just taken: the database frees a
        lock the moment the holder's session ends, and a leader that is still alive
        notices within one poll interval, so its term ends before this one begins. (A
        file lock is freed only when its holder is gone.) Whether the lock is still ours
        and the process is not stopping."""
        if self.engine.dialect.name == "sqlite":
            return True
        if await _wait(stop, self.settle_seconds):
            return False
        try:
            return await asyncio.to_thread(lock.held)
        except Exception:
            return False

    @property
    def settle_seconds(self) -> float:
        return max(2 * self.poll, 1.0)

    async def _lead(self, lock: SingletonLock, stop: asyncio.Event, term: Term) -> None:
        self.terms += 1
        self._set(True)
        log.info("%s leading", self.what)
        ended = asyncio.Event()
        lost = asyncio.Event()
        watch = asyncio.create_task(self._watch(lock, stop, ended, lost))
        try:
            await term(ended)
        finally:
            ended.set()
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            self._set(False)
            await asyncio.to_thread(lock.release)
        if lost.is_set() and not stop.is_set():
            log.warning("%s lost its lock (the database session ended): stopped, standing "
                        "by", self.what)

    async def _watch(self, lock: SingletonLock, stop: asyncio.Event, ended: asyncio.Event,
                     lost: asyncio.Event) -> None:
        """End the term when the process stops or the lock is no longer held."""
        while not ended.is_set():
            if await _wait(stop, self.poll):
                ended.set()
                return
            try:
                held = await asyncio.wait_for(asyncio.to_thread(lock.held),
                                              max(self.poll, 5.0))
            except TimeoutError:
                held = False
            if not held:
                lost.set()
                ended.set()

    def _set(self, leading: bool) -> None:
        self.leading = leading
        for listener in self.on_change:
            listener(leading)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``event``; whether it is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


# ---------------------------------------------------------------------------- components
def leadership(container: Container, role: str, what: str) -> Leadership:
    return Leadership(container.engine, role, what, container.settings.leader_poll_seconds)


async def scheduler_component(container: Container, stop: asyncio.Event, *,
                              plan_workers: int = 1, receive: bool = True,
                              lead: Leadership | None = None,
                              receivers: Leadership | None = None,
                              runtime: Runtime | None = None,
                              live: list[Runtime] | None = None) -> None:
    """The scheduler, leader or standby; ``receive``: while leading, also run the
    receivers (unless a ``duebot receive`` process holds them). ``runtime``: the jobs
    for the first term (already loaded and checked); ``live`` holds the runtime of the
    term in progress (a reload marks it)."""
    first: list[Runtime] = [runtime or Runtime.load(container, plan_workers=plan_workers)]
    live = live if live is not None else []
    lead = lead or leadership(container, "scheduler", "scheduler")
    if receive:
        receivers = receivers or leadership(container, "receivers", "receivers")

    async def term(ended: asyncio.Event) -> None:
        runtime = first.pop() if first else Runtime.load(container, plan_workers=plan_workers)
        live.append(runtime)
        scheduler = build_scheduler(runtime, tick_minutes=container.settings.tick_minutes)
        scheduler.start()
        log.info("scheduler started: tick every %d min", container.settings.tick_minutes)
        tasks = [asyncio.create_task(receivers.run(
            ended, lambda over: inbound_component(container, over)))] if receivers else []
        try:
            await _until_stopped(tasks, ended)
        finally:
            live.remove(runtime)
            runtime.close()  # a running tick stops after its current batch
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(scheduler.shutdown, True)
            log.info("scheduler stopped")

    await lead.run(stop, term)


async def receive_component(container: Container, stop: asyncio.Event, *,
                            lead: Leadership | None = None) -> None:
    """The receivers, in whichever process holds the receivers lock."""
    lead = lead or leadership(container, "receivers", "receivers")
    await lead.run(stop, lambda ended: inbound_component(container, ended))


_CHANNEL_LOCKS: dict[int, asyncio.Lock] = {}
_CHANNEL_USERS: dict[int, int] = {}


async def use_channel(channel: Channel, container: Container, *,
                      receive: bool = False) -> None:
    """Start a channel for one more user in this process (worker, web server and
    receivers share it in ``run``); :func:`done_with_channel` when finished.

    The channel's plugin says how to start it; ``receive``: the caller runs the
    receivers, so a channel that receives while it runs (Telegram polling) gets the
    inbound sink — in that one process only, even when the channel was started earlier
    to send.
    """
    key = id(channel)
    async with _CHANNEL_LOCKS.setdefault(key, asyncio.Lock()):
        if not _CHANNEL_USERS.get(key) or receive:
            await container.registry.start(channel, container.inbound if receive else None)
        _CHANNEL_USERS[key] = _CHANNEL_USERS.get(key, 0) + 1


async def done_with_channel(channel: Channel) -> None:
    """One user less; the last one closes the channel."""
    key = id(channel)
    async with _CHANNEL_LOCKS.setdefault(key, asyncio.Lock()):
        users = _CHANNEL_USERS.get(key, 0) - 1
        if users > 0:
            _CHANNEL_USERS[key] = users
            return
        _CHANNEL_USERS.pop(key, None)
        with contextlib.suppress(Exception):
            await channel.aclose()


async def inbound_component(container: Container, stop: asyncio.Event) -> None:
    """Run the channels' background receivers (SMTP listener, IMAP poller, Telegram) until
    ``stop``; a receiver that fails stops the component with its error.

    A receiver that works through a channel gets it started first (once per process,
    receiving) and closed after.
    """
    registry = container.registry
    receivers = registry.receivers(container.channels, container.settings.model_dump(),
                                   container.clock)
    sink = container.inbound
    started: list[Channel] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for receiver in receivers:
            if receiver.channel is not None:
                await use_channel(receiver.channel, container, receive=True)
                started.append(receiver.channel)
            tasks.append(asyncio.create_task(receiver.run(sink, stop), name=receiver.name))
        if receivers:
            log.info("receivers started: %s", ", ".join(r.name for r in receivers))
        await _until_stopped(tasks, stop)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in reversed(started):
            await done_with_channel(channel)


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
        channels: list[Channel] = []
        try:
            for channel in {id(c): c for c in container.channels.values()}.values():
                await use_channel(channel, container)
                channels.append(channel)
        except BaseException:
            for channel in channels:
                await done_with_channel(channel)
            raise
        log.info("worker started: %s", ", ".join(f"{k}={c.name}" for k, c in
                                                  container.channels.items()))
        # what start-up built (templates, campaigns, the parser, the channels) lives as
        # long as the process: the collector stops walking it at every collection of the
        # batches' short-lived objects (about a third of a batch's preparation time)
        gc.freeze()
        try:
            await container.dispatcher.run_forever(stop, idle_seconds=1.0,
                                                   limit=container.settings.worker_batch)
        finally:
            for channel in channels:
                await done_with_channel(channel)
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
    """The web server as a runner component; ``sock``: a listening socket to serve on
    (one of several ``serve --workers`` processes) instead of binding host and port."""

    def __init__(self, app: Any, host: str, port: int, sock: Any = None) -> None:
        self.server = uvicorn_server(app, host, port)
        self.sock = sock

    async def serve(self, stop: asyncio.Event) -> None:
        task = asyncio.create_task(self.server.serve(
            sockets=[self.sock] if self.sock is not None else None))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        self.server.should_exit = True
        stopper.cancel()
        await task
        if not stop.is_set():
            raise RunnerError("the web server stopped (is the port in use?)")


async def web_component(container: Container, stop: asyncio.Event,
                        metrics: Metrics | None = None, sock: Any = None) -> None:
    """The web app under uvicorn; the channels its webhooks answer through are started
    (to send only) first and closed after."""
    from bot.entrypoints.web.app import create_app

    settings = container.settings
    app = create_app(container, metrics)
    hooks = container.registry.webhooks(container.channels, settings.model_dump(),
                                        container.clock)
    channels: list[Channel] = []
    try:
        for channel in {id(h.channel): h.channel for h in hooks if h.channel}.values():
            assert channel is not None
            await use_channel(channel, container)
            channels.append(channel)
        # what start-up built (templates, the parser, the app, SQLAlchemy's metadata: about
        # 200,000 objects) lives as long as the process: left out of the collector's
        # walks, a full collection no longer stops every request for ~100 ms (the p99)
        gc.freeze()
        await _Server(app, settings.host, settings.port, sock).serve(stop)
    finally:
        for channel in channels:
            await done_with_channel(channel)


def serve_in_processes(workers: int, host: str, port: int,
                       child: Callable[[Any], int]) -> int:
    """``duebot serve --workers N``: bind ``host:port`` once, fork ``workers`` processes
    that each run ``child(sock)`` (a whole web server over its own database pool, on the
    shared listening socket: the kernel spreads connections between them) and wait for
    them. SIGINT, SIGTERM and SIGHUP are passed on to every process; when one exits with
    an error the others are stopped. Returns the exit code (0, or 1 when a process
    failed). Nothing that starts threads or opens the database may run in this process
    before the fork."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RunnerError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(2048)
    children: set[int] = set()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the child: serve until stopped, never return into the caller
            code = 1
            try:
                code = child(sock)
            except BaseException:
                log.exception("web server process failed")
            finally:
                os._exit(code)
        children.add(pid)
    sock.close()
    stopping = False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    previous = {sig: signal.signal(sig, forward)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    code = 0
    try:
        while children:
            pid, status = os.wait()
            children.discard(pid)
            if os.waitstatus_to_exitcode(status) != 0 and not stopping:
                log.error("a web server process exited with an error: stopping the others")
                code = 1
                forward(signal.SIGTERM, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


# ---------------------------------------------------------------------------- running
def reload_content(container: Container,
                   runtimes: Runtime | list[Runtime] | None = None) -> ReloadReport:
    """Reload templates and campaigns (SIGHUP): what fails its check is refused and keeps
    its last valid version; a scheduler plans with the new campaigns from its next tick."""
    report = container.content.reload()
    for runtime in [runtimes] if isinstance(runtimes, Runtime) else runtimes or []:
        runtime.campaigns_changed.set()
    return report


def _reload_logged(container: Container, runtimes: list[Runtime]) -> None:
    try:
        reload_content(container, runtimes)
    except Exception:  # a reload must never stop what is running
        log.exception("reload failed; the templates and campaigns in use stay")


async def run_components(container: Container, *, scheduler: bool = False,
                         worker: bool = False, web: bool = False, receive: bool = False,
                         plan_workers: int = 1, metrics_port: int | None = None,
                         stop: asyncio.Event | None = None, sock: Any = None) -> None:
    """Run the chosen components on this loop until SIGINT/SIGTERM (or ``stop``).

    ``receive``: run the receivers (with ``scheduler``: while it leads; alone: as
    ``duebot receive``). Metrics: on the web app's ``/metrics`` with ``web``, otherwise
    on ``metrics_port`` when given (0: any free port)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    # everything is checked before anything starts: a bad template or campaign refuses
    # the start with every finding (TemplateCheckError)
    runtime = Runtime.load(container, plan_workers=plan_workers) if scheduler else None
    live: list[Runtime] = []
    if runtime is None:  # campaigns are the scheduler's; checked here when present
        container.content.start(campaigns=Path(container.settings.campaign_dir).is_dir())
    container.preload()
    installed = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(
            None, _reload_logged, container, live))
        installed.append(signal.SIGHUP)
    metrics = Metrics(container.operations, container.clock) if web or scheduler else Metrics()
    tasks: list[asyncio.Task[None]] = []
    metrics_server: MetricsServer | None = None
    try:
        if metrics_port is not None and not web:
            metrics_server = metrics.serve(container.settings.host, metrics_port)
        if scheduler:
            lead = leadership(container, "scheduler", "scheduler")
            metrics.watch_leadership("scheduler", lead.on_change)
            receivers = leadership(container, "receivers", "receivers") if receive else None
            if receivers is not None:
                metrics.watch_leadership("receivers", receivers.on_change)
            tasks.append(asyncio.create_task(scheduler_component(
                container, stop, plan_workers=plan_workers, receive=receive, lead=lead,
                receivers=receivers, runtime=runtime, live=live)))
        elif receive:
            lead = leadership(container, "receivers", "receivers")
            metrics.watch_leadership("receivers", lead.on_change)
            tasks.append(asyncio.create_task(receive_component(container, stop, lead=lead)))
        if worker:
            metrics.count_sends(container.dispatcher.listeners)
            tasks.append(asyncio.create_task(worker_component(container, stop)))
        if web:
            tasks.append(asyncio.create_task(web_component(container, stop, metrics, sock)))
        # a component that fails (lock taken, port in use) stops the others
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        if metrics_server is not None:
            metrics_server.close()
        for sig in installed:
            loop.remove_signal_handler(sig)
