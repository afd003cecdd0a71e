#!/usr/bin/env python
"""Prove that killing dispatch workers loses no email and repeats at most the messages
in flight.

Queue ``--emails`` emails (default 20,000) in a fresh database, start an SMTP server
(aiosmtpd) on loopback in another process that writes down the ``Message-ID`` of every
message it accepts, and start ``--workers`` ``duebot worker`` processes (default 1;
several need PostgreSQL) with ``--concurrency`` sends each (default 8, as
``DUEBOT_WORKER_CONCURRENCY``). While they send, kill a worker with SIGKILL ``--kills``
times (default 10), spread over the run at random moments, and start it again each
time. When the outbox is empty, stop the workers and count at the SMTP server, by
Message-ID (derived from each message's idempotency key):

* ``lost``: messages never received (required: 0);
* ``duplicates``: receptions beyond the first (required: at most ``bound`` =
  kills x concurrency, the messages a worker can have in flight when it dies).

The messages are confirmations without a case, so the send-time policy (contact hours)
lets every one go whatever the hour; claiming, leases, sending and recording are those
of any message. The workers' lease is short (``--lease``, default 5 s) so that the
messages a killed worker had claimed but not sent come back quickly, and the SMTP rate
is lifted (``--smtp-rate``) so that the run measures crash safety, not the rate limit.

The last line is machine-readable::

    proof_crash: backend=postgresql emails=20000 kills=10 workers=1 concurrency=8
                 lost=0 duplicates=N bound=80 ok=1 ... (one line)

Usage: ``python scripts/proof_crash.py [--emails N] [--kills K] [--workers W]
[--concurrency C] [--db URL]`` (default database: a SQLite file in a temporary
directory; a PostgreSQL database given with ``--db`` is emptied first). Exit status 0
when the requirement holds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from storage.models import MessageRow  # noqa: E402

M = MessageRow.__table__  # type: ignore[attr-defined]
FROM = "collections@duebot.test"
_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*<([^>\r\n]+)>")


# ---------------------------------------------------------------------------- SMTP server
def serve_smtp(log_path: str) -> None:
    """An aiosmtpd server on loopback that appends the Message-ID of each accepted
    message to ``log_path`` (one line each, written before answering 250); prints its
    port, then runs until stdin closes."""
    from aiosmtpd.controller import Controller

    out = open(log_path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the process

    class Recorder:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            found = _MESSAGE_ID.search(envelope.content or b"")
            out.write((found.group(1) if found else b"-") + b"\n")
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    sys.stdin.read()  # until the parent closes it (or dies)
    controller.stop()
    out.close()


@contextlib.contextmanager
def smtp_server(log_path: Path) -> Iterator[int]:
    """:func:`serve_smtp` in another process (this script, ``--serve-smtp``)."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve-smtp", str(log_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip():
            raise RuntimeError("the SMTP server did not start")
        yield int(line)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Received:
    """What the SMTP server has written down so far, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.ids: Counter[str] = Counter()
        self._partial = b""

    def poll(self) -> int:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        self.ids.update(line.decode() for line in lines)
        return sum(self.ids.values())


# ---------------------------------------------------------------------------- database
def make_db(url: str | None, workdir: Path) -> Engine:
    from sqlmodel import SQLModel

    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url or f"sqlite:///{workdir / 'proof.db'}")
    if engine.dialect.name == "postgresql":
        import storage.models  # noqa: F401

        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"DROP TABLE IF EXISTS {names}, alembic_version CASCADE"))
    upgrade(engine)
    return engine


def queue_emails(engine: Engine, n: int) -> list[str]:
    """``n`` due confirmation emails; returns their idempotency keys."""
    from bot.domain.outbox import outbox_message
    from storage.message_log import enqueue

    now = datetime.now(UTC)
    keys = [f"proof-{i:06d}" for i in range(n)]
    rows = [outbox_message(
        case_id=None, contact_point_id=None, channel="email",
        address=f"customer{i}@example.com", subject="About your account",
        body="Hello, this is Duebot Bank. Please get in touch about your account.\n",
        idempotency_key=key, now=now, purpose="confirmation") for i, key in enumerate(keys)]
    with engine.begin() as conn:
        for i in range(0, len(rows), 2000):
            enqueue(conn, rows[i:i + 2000])
    return keys


def pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(M).where(
            M.c.status.in_(["queued", "sending"]))).scalar_one())


def statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: int(n) for s, n in conn.execute(
            select(M.c.status, func.count()).group_by(M.c.status))}


# ---------------------------------------------------------------------------- workers
@dataclass
class Worker:
    number: int
    env: dict[str, str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.workdir / f"worker{self.number}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.entrypoints.cli", "worker"], env=self.env,
            cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def log_tail(self, lines: int = 15) -> str:
        path = self.workdir / f"worker{self.number}.log"
        text_ = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text_.splitlines()[-lines:])


def worker_env(url: str, port: int, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep),
        "DUEBOT_DATABASE_URL": url,
        "DUEBOT_SMTP_HOST": "127.0.0.1", "DUEBOT_SMTP_PORT": str(port),
        "DUEBOT_SMTP_TLS": "none", "DUEBOT_EMAIL_FROM": FROM,
        "DUEBOT_SMTP_RATE": str(args.smtp_rate),
        "DUEBOT_WORKER_CONCURRENCY": str(args.concurrency),
        "DUEBOT_WORKER_BATCH": str(args.batch),
        "DUEBOT_WORKER_LEASE_SECONDS": str(args.lease),
        "DUEBOT_SECRET_KEY": secrets.token_urlsafe(32),
        "DUEBOT_CAMPAIGN_DIR": str(ROOT / "campaigns"),
        "DUEBOT_LOG_LEVEL": "WARNING",
    })
    return env


# ---------------------------------------------------------------------------- the proof
@dataclass
class Outcome:
    backend: str
    emails: int
    kills: int
    workers: int
    concurrency: int
    lost: int
    duplicates: int
    received: int
    seconds: float
    statuses: dict[str, int]

    @property
    def bound(self) -> int:
        return self.kills * self.concurrency

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicates <= self.bound
                and self.statuses == {"sent": self.emails})

    def line(self) -> str:
        return (f"proof_crash: backend={self.backend} emails={self.emails} "
                f"kills={self.kills} workers={self.workers} concurrency={self.concurrency} "
                f"lost={self.lost} duplicates={self.duplicates} bound={self.bound} "
                f"ok={int(self.ok)} received={self.received} seconds={self.seconds:.1f} "
                f"rate={self.emails / self.seconds:.0f}")


def prove(args: argparse.Namespace, workdir: Path) -> Outcome:
    from channels.email.smtp import message_id_for

    engine = make_db(args.db, workdir)
    backend = engine.dialect.name
    if backend == "sqlite" and args.workers > 1:
        raise SystemExit("several workers need PostgreSQL (--db postgresql+psycopg://...)")
    url = engine.url.render_as_string(hide_password=False)
    keys = queue_emails(engine, args.emails)
    expected = {message_id_for(k, FROM.rpartition("@")[2]): k for k in keys}
    log_path = workdir / "received.log"
    log_path.touch()
    received = Received(log_path)
    rng = random.Random(args.seed)
    # kill when these many messages have reached the server (spread, a little jittered)
    marks = sorted(int(args.emails * (i + rng.uniform(0.3, 0.9)) / (args.kills + 1))
                   for i in range(args.kills))
    with smtp_server(log_path) as port:
        env = worker_env(url, port, args)
        workers = [Worker(i, env, workdir) for i in range(args.workers)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        kills = 0
        deadline = time.monotonic() + args.timeout
        try:
            while True:
                got = received.poll()
                if kills < len(marks) and got >= marks[kills]:
                    victim = workers[kills % len(workers)]
                    victim.kill()
                    kills += 1
                    print(f"kill {kills}/{args.kills}: worker {victim.number} at "
                          f"{got} received", flush=True)
                    victim.start()
                for w in workers:
                    if w.proc is not None and w.proc.poll() is not None:
                        raise RuntimeError(f"worker {w.number} exited with "
                                           f"{w.proc.returncode}:\n{w.log_tail()}")
                if kills == len(marks) and got >= args.emails and pending(engine) == 0:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"timed out: {got} received, {pending(engine)} "
                                       f"pending\n{workers[0].log_tail()}")
                time.sleep(0.02)
            seconds = time.perf_counter() - start
        finally:
            for w in workers:
                w.stop()
        time.sleep(0.2)
        received.poll()
    counts = received.ids
    lost = sum(1 for mid in expected if counts[mid] == 0)
    duplicates = sum(n - 1 for mid, n in counts.items() if mid in expected and n > 1)
    strangers = sum(n for mid, n in counts.items() if mid not in expected)
    if strangers:
        raise RuntimeError(f"{strangers} messages the proof did not queue")
    outcome = Outcome(backend, args.emails, kills, args.workers, args.concurrency, lost,
                      duplicates, sum(counts.values()), seconds, statuses(engine))
    engine.dispose()
    return outcome


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--emails", type=int, default=20_000)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--batch", type=int, default=100, help="DUEBOT_WORKER_BATCH")
    p.add_argument("--lease", type=int, default=5, help="DUEBOT_WORKER_LEASE_SECONDS")
    p.add_argument("--smtp-rate", type=float, default=100_000.0, help="DUEBOT_SMTP_RATE")
    p.add_argument("--db", help="database URL (default: a SQLite file in a temp dir); a "
                                "PostgreSQL database is emptied first")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--timeout", type=float, default=3600.0, help="give up after (s)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-smtp"]:
        serve_smtp(argv[1])
        return 0
    args = parser().parse_args(argv)
    if args.emails < 1 or args.kills < 0 or args.workers < 1 or args.concurrency < 1:
        parser().error("--emails, --workers and --concurrency must be positive, --kills >= 0")
    workdir = Path(tempfile.mkdtemp(prefix="duebot-proof-crash-"))
    try:
        outcome = prove(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{outcome.received} receptions of {outcome.emails} emails: {outcome.lost} lost, "
          f"{outcome.duplicates} duplicates (at most {outcome.bound} allowed); outbox "
          f"{outcome.statuses}", flush=True)
    print(outcome.line(), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
