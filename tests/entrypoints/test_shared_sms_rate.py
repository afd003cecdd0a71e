"""DUEBOT_TWILIO_RATE is the sender's rate across the deployment: two `duebot worker`
processes sending through one Twilio number (the loopback Twilio peer) stay under it
together, on PostgreSQL (SQLite runs one worker; the bucket itself is tested on both in
tests/storage/test_rate_buckets.py). With a bucket per process they would send twice as
fast."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.domain.outbox import outbox_message
from storage.message_log import enqueue
from storage.models import MessageRow
from tests.peers.twilio_api import TwilioApiPeer
from tests.world import ROOT

RATE = 4.0  # SMS per second for the number, whatever the number of workers
MESSAGES = 28
FROM_NUMBER = "+15005550006"


def queue_sms(engine: Engine, n: int) -> None:
    now = datetime.now(UTC)
    rows = [outbox_message(
        case_id=None, contact_point_id=None, channel="sms", address=f"+1415555{i:04d}",
        subject=None, body="Duebot Bank: please call us about your account. Reply STOP "
                           "to opt out.", idempotency_key=f"rate-{i}", now=now,
        purpose="confirmation") for i in range(n)]
    with engine.begin() as conn:
        enqueue(conn, rows)


def pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(MessageRow).where(
            MessageRow.status.in_(["queued", "sending"]))).scalar_one())  # type: ignore[attr-defined]


def worker(n: int, engine: Engine, peer: TwilioApiPeer, workdir: Path
           ) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep),
        "DUEBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "DUEBOT_TWILIO_ACCOUNT_SID": peer.account_sid,
        "DUEBOT_TWILIO_AUTH_TOKEN": peer.auth_token,
        "DUEBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
        # the peer tells the workers apart by this first path segment
        "DUEBOT_TWILIO_API_BASE": f"{peer.base_url}/w{n}",
        "DUEBOT_TWILIO_RATE": str(RATE),
        "DUEBOT_WORKER_BATCH": "4", "DUEBOT_WORKER_CONCURRENCY": "4",
        "DUEBOT_SECRET_KEY": secrets.token_urlsafe(32),
        "DUEBOT_CAMPAIGN_DIR": str(ROOT / "campaigns"),
        "DUEBOT_LOG_LEVEL": "INFO",
    })
    log = (workdir / f"worker{n}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "bot.entrypoints.cli", "worker"],
                            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)


async def until(condition: object, seconds: float, what: str, logs: list[Path]) -> None:
    assert callable(condition)
    for _ in range(int(seconds / 0.1)):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.1)
    tails = "\n".join(p.read_text(errors="replace")[-1500:] for p in logs)
    raise AssertionError(f"{what} within {seconds:.0f}s; worker logs:\n{tails}")


async def test_two_workers_together_stay_under_the_senders_rate(
        pg_engine: Engine, tmp_path: Path) -> None:
    engine = pg_engine
    logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    async with TwilioApiPeer() as peer:
        workers = [worker(n, engine, peer, tmp_path) for n in (1, 2)]
        try:
            await until(lambda: all("worker started" in p.read_text(errors="replace")
                                    for p in logs if p.exists()) and
                        all(p.exists() for p in logs), 90, "both workers started", logs)
            queue_sms(engine, MESSAGES)
            await until(lambda: pending(engine) == 0, 90, "every SMS sent", logs)
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(30)
                except subprocess.TimeoutExpired:
                    w.kill()
    sent = sorted(peer.messages, key=lambda m: m.received_at)
    assert len(sent) == MESSAGES
    by_worker = {via: sum(1 for m in sent if m.via == via) for via in ("w1", "w2")}
    assert min(by_worker.values()) >= 3, by_worker  # both workers sent
    times = [m.received_at for m in sent]
    # one slot every 1/RATE seconds, shared: the k-th send after the first comes k/RATE
    # later at the earliest (50 ms of slack for the HTTP request after the slot)
    for k in range(1, MESSAGES):
        assert times[k] - times[0] >= k / RATE - 0.05, (k, times[k] - times[0], by_worker)
    overall = (MESSAGES - 1) / (times[-1] - times[0])
    assert overall <= RATE * 1.02, overall
