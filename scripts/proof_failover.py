#!/usr/bin/env python
"""Prove that a standby scheduler takes over within seconds when the leader dies
mid-tick, finishes the tick, and queues no outbox message twice (PostgreSQL).

Import ``--cases`` open cases (default 20,000; email contacts, due dates spread over the
shipped campaign's steps) into an emptied PostgreSQL database with ``duebot import
cases``, import and activate the shipped campaign (``duebot campaigns import``,
``duebot campaigns approve standard-retail-us --activate``), then start two ``duebot
scheduler`` processes, each serving its metrics on a port of its own
(``DUEBOT_METRICS_PORT``). This script holds the scheduler lock until both report
that they stand by (``duebot_leader{role="scheduler"}`` 0), then lets go:
the one that takes the lock leads and starts the planning tick at once, the other goes
on standing by. As soon as the leader's tick has committed its first batch of outbox
messages, and before it has finished, the leader is killed with SIGKILL. Measured:

* ``takeover_s``: from the kill until the standby reports that it leads (required:
  within a few seconds; the standby tries the lock every ``DUEBOT_LEADER_POLL_SECONDS``,
  2 s by default, PostgreSQL frees a dead session's lock at once, and the new leader
  waits two intervals before it plans);
* ``finish_s``: from the kill until the standby's tick has run to its end (noted in
  ``job_run``);
* ``duplicates``: outbox messages queued twice for the same case, campaign, step and
  event (required: 0; every outbox row has an idempotency key);
* ``left``: what one more tick, run afterwards in this process, still queues (required:
  0: the standby's tick finished what the leader left half done).

The last line is machine-readable::

    proof_failover: cases=20000 killed_at_rows=N rows=M takeover_s=X finish_s=Y
                    duplicates=0 left=0 ok=1 (one line)

Usage: ``python scripts/proof_failover.py --db postgresql+psycopg://user@host/db
[--cases N]`` (the database is emptied first). Exit status 0 when the requirement holds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from storage.models import JobRunRow, MessageRow  # noqa: E402

M = MessageRow.__table__  # type: ignore[attr-defined]
J = JobRunRow.__table__  # type: ignore[attr-defined]
TICK = "planning-tick"
#: days past due on which the shipped campaign's steps fall (a few days of catch-up each)
DPDS = [-3, -2, 1, 2, 5, 6, 15, 16, 30, 31, 45, 46, 3, 10, 20]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
#: customers abroad, for the hours when it is night everywhere in the US: the proof needs
#: a tick that queues messages whatever the time it runs at
ABROAD = ["Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam", "Europe/London",
          "Europe/Berlin", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]


def daytime_zones(now: datetime) -> list[str]:
    """The zones where it is now between 10:00 and 17:00 (well inside every profile's
    contact hours): the US ones when any is, else zones abroad."""
    def daytime(zones: list[str]) -> list[str]:
        return [z for z in zones if 10 <= now.astimezone(ZoneInfo(z)).hour < 17]
    return daytime(ZONES) or daytime(ABROAD)
_LEADER = re.compile(r'^duebot_leader\{role="scheduler"\} (\S+)$', re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- database
def make_db(url: str) -> Engine:
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("the failover proof needs PostgreSQL (--db postgresql+psycopg://...)")
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        conn.execute(text(f"DROP TABLE IF EXISTS {names}, alembic_version CASCADE"))
    upgrade(engine)
    return engine


def portfolio(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    zones = daytime_zones(now)
    with path.open("w", encoding="utf-8") as f:
        f.write("account_id,name,balance,currency,due_date,email,timezone\n")
        for i in range(n):
            due = today - timedelta(days=rng.choice(DPDS))
            f.write(f"ACC{i:07d},Customer {i},{rng.randint(50, 5000)}.00,USD,"
                    f"{due.isoformat()},customer{i}@example.com,{rng.choice(zones)}\n")


def outbox_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(M).where(
            M.c.direction == "out")).scalar_one())


def tick_finished(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(J.c.finished_at).where(J.c.job == TICK)).scalar()


def duplicates(engine: Engine) -> int:
    """Outbox messages beyond the first for one case, campaign, step and event."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM message "
            "WHERE direction = 'out' GROUP BY case_id, campaign_id, step_id, "
            "coalesce(ref, '')) AS g")).scalar_one())


# ---------------------------------------------------------------------------- schedulers
@dataclass
class Scheduler:
    name: str
    env: dict[str, str]
    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / f"scheduler-{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.entrypoints.cli", "scheduler", "--no-receive"],
            env={**self.env, "DUEBOT_METRICS_PORT": str(self.port)}, cwd=self.workdir,
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def leading(self) -> bool | None:
        """What its metrics say (None: not answering yet)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics",
                                        timeout=2) as r:
                body = r.read().decode()
        except OSError:
            return None
        found = _LEADER.search(body)
        return None if found is None else float(found.group(1)) == 1.0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / f"scheduler-{self.name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) \
            if path.exists() else ""


def wait_for(what: str, condition: object, timeout: float, *procs: Scheduler) -> float:
    """Poll ``condition()`` every 20 ms; the seconds it took."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        for p in procs:
            if not p.alive():
                raise RuntimeError(f"scheduler {p.name} exited while waiting for {what}:\n"
                                   f"{p.log_tail()}")
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out waiting for {what}\n"
                               + "\n".join(p.log_tail() for p in procs))
        time.sleep(0.02)
    return time.monotonic() - start


# ---------------------------------------------------------------------------- the proof
@dataclass
class Outcome:
    cases: int
    killed_at_rows: int
    rows: int
    takeover_s: float
    finish_s: float
    duplicates: int
    left: int

    @property
    def ok(self) -> bool:
        return (self.duplicates == 0 and self.left == 0 and 0 < self.killed_at_rows < self.rows
                and self.takeover_s < 10)

    def line(self) -> str:
        return (f"proof_failover: cases={self.cases} killed_at_rows={self.killed_at_rows} "
                f"rows={self.rows} takeover_s={self.takeover_s:.1f} "
                f"finish_s={self.finish_s:.1f} duplicates={self.duplicates} "
                f"left={self.left} ok={int(self.ok)}")


def prove(args: argparse.Namespace, workdir: Path) -> Outcome:
    engine = make_db(args.db)
    url = engine.url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep),
        "DUEBOT_DATABASE_URL": url, "DUEBOT_CAMPAIGN_DIR": str(ROOT / "campaigns"),
        "DUEBOT_LEADER_POLL_SECONDS": str(args.poll), "DUEBOT_TICK_MINUTES": "60",
        "DUEBOT_PLAN_WORKERS": "1", "DUEBOT_WORKER_BATCH": str(max(10, args.batch // 10)),
    })
    book = workdir / "portfolio.csv"
    portfolio(book, args.cases, args.seed)
    imported = subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", "import",
                               "cases", str(book)], env=env, cwd=workdir, capture_output=True,
                              text=True, timeout=3600, check=False)
    if imported.returncode != 0:
        raise RuntimeError(f"import failed:\n{imported.stderr[-2000:]}")
    print(f"imported {args.cases} cases", flush=True)
    for step in (["campaigns", "import"],
                 ["campaigns", "approve", "standard-retail-us", "--activate"]):
        done = subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", *step], env=env,
                              cwd=workdir, capture_output=True, text=True, timeout=600,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"duebot {' '.join(step)} failed:\n{done.stderr[-2000:]}")
    both = [Scheduler(name, env, workdir, free_port()) for name in "ab"]
    # hold the scheduler lock here until both stand by, so that the tick starts only
    # once the standby is up, however long the processes take to start
    from bot.entrypoints.runners import SingletonLock

    gate = SingletonLock(engine, "scheduler")
    if not gate.acquire():
        raise RuntimeError("another scheduler runs on this database")
    try:
        for s in both:
            s.start()
        wait_for("both to stand by", lambda: all(s.leading() is False for s in both), 300,
                 *both)
        gate.release()
        wait_for("one to lead", lambda: any(s.leading() for s in both), 60, *both)
        leader = next(s for s in both if s.leading())
        standby = next(s for s in both if s is not leader)
        wait_for("the leader's first batch", lambda: outbox_rows(engine) > 0, 300, *both)
        if tick_finished(engine) is not None:
            raise RuntimeError("the leader finished its tick before it could be killed: "
                               "use more --cases")
        assert leader.proc is not None
        leader.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        leader.proc.wait(30)
        killed_at = outbox_rows(engine)
        print(f"killed the leader ({leader.name}) mid-tick with {killed_at} outbox rows "
              "written", flush=True)
        wait_for("the standby to take over", lambda: standby.leading() is True, 60, standby)
        takeover = time.monotonic() - killed
        print(f"the standby ({standby.name}) leads {takeover:.1f}s after the kill", flush=True)
        wait_for("the standby's tick", lambda: tick_finished(engine) is not None, 3600,
                 standby)
        finish = time.monotonic() - killed
    finally:
        gate.release()
        for s in both:
            s.stop()
    rows = outbox_rows(engine)
    left = one_more_tick(url)
    outcome = Outcome(args.cases, killed_at, rows, takeover, finish, duplicates(engine), left)
    engine.dispose()
    return outcome


def one_more_tick(url: str) -> int:
    """What a tick run now, in this process, still queues."""
    from bot.bootstrap import bootstrap
    from bot.settings import Settings

    c = bootstrap(Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                           campaign_dir=ROOT / "campaigns"))
    planning = c.planning()  # the active campaign versions, as the scheduler's
    try:
        return planning.tick(workers=1).enqueued
    finally:
        planning.close()
        c.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, help="a PostgreSQL URL (the database is emptied)")
    p.add_argument("--cases", type=int, default=20_000)
    p.add_argument("--batch", type=int, default=1000,
                   help="cases per tick batch (one transaction each)")
    p.add_argument("--poll", type=float, default=2.0, help="DUEBOT_LEADER_POLL_SECONDS")
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="duebot-proof-failover-"))
    try:
        outcome = prove(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{outcome.rows} outbox rows, {outcome.duplicates} queued twice; one more tick "
          f"queues {outcome.left}", flush=True)
    print(outcome.line(), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
