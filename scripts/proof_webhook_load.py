#!/usr/bin/env python
"""Proof: signed Twilio webhooks under load, with provider retries, are each stored once
and never answered 5xx, by ``duebot serve`` as it runs in production.

``duebot serve`` is started as a process of its own (uvicorn, one worker) over a fresh
database with Twilio configured and ``--cases`` customers imported. ``--webhooks``
inbound-SMS webhooks (default 10,000) are then POSTed by ``--clients`` concurrent
kept-alive connections, each signed with the account's auth token as Twilio signs it,
from the customers' phones with everyday replies. ``--retry`` of them (default 5%) are
sent a second time as Twilio retries: half while the first delivery is still being
handled, half after it was answered. Then the database is read: every MessageSid must be
stored exactly once (one inbound message row, one processed-event key), and no answer may
be a 5xx. Only correctness is measured here (issue #16 will speed this path up); the
rate is printed for reference.

Last line::

    proof_webhook_load: webhooks=N retries=R answers_5xx=0 stored=N duplicates_stored=0 ...

Usage: ``python scripts/proof_webhook_load.py [--db URL] [--webhooks N] [--retry 0.05]``
(``--db``: a PostgreSQL server URL, a throw-away database is created there; default a
SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proofkit

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "load-proof-auth-token-0123456789ab"
FROM_NUMBER = "+15005550006"
SECRET_KEY = "webhook-load-proof-secret-key-0123456789abcdef"
REPLIES = ["ok", "I will pay 50 on friday", "can I pay in 3 instalments", "who is this?",
           "HELP", "wrong number", "paid yesterday", "call me tomorrow after 5pm",
           "I lost my job", "是的，我下周五还100", "STOP", "START"]


def _seed(db_url: str, cases: int) -> list[str]:
    from bot.bootstrap import bootstrap
    from bot.domain.case import Case
    from bot.domain.contacts import ContactPoint
    from bot.domain.messages import ChannelKind
    from bot.settings import Settings

    c = bootstrap(Settings(_env_file=None, database_url=db_url))  # type: ignore[call-arg]
    phones = [f"+1415{5550000 + n:07d}"[:12] for n in range(cases)]
    with c.uow() as uow:
        for n, phone in enumerate(phones):
            uow.cases.add(Case(
                account_id=f"LOAD-{n:06d}", currency="USD", balance_minor=50_000,
                due_date=date(2026, 11, 1), customer_name=f"Load Customer {n}",
                minimum_payment_minor=2_500, timezone="America/New_York",
                contacts=[ContactPoint(ChannelKind.SMS, phone)]))
        uow.commit()
    c.close()
    return phones


def _serve(db_url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({
        "DUEBOT_DATABASE_URL": db_url, "DUEBOT_HOST": "127.0.0.1", "DUEBOT_PORT": str(port),
        "DUEBOT_PUBLIC_URL": f"http://127.0.0.1:{port}", "DUEBOT_SECRET_KEY": SECRET_KEY,
        "DUEBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "DUEBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DUEBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
        # never called (nothing is sent), but never the real Twilio either
        "DUEBOT_TWILIO_API_BASE": "http://127.0.0.1:9", "DUEBOT_LOG_LEVEL": "WARNING",
        # the code beside this script, not whichever checkout the interpreter installed
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep),
    })
    duebot = Path(sys.executable).with_name("duebot")
    command = [str(duebot)] if duebot.exists() else [
        sys.executable, "-c", "from bot.entrypoints.cli import main; main()"]
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen([*command, "serve"], cwd=workdir, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


async def _wait_ready(base: str, process: subprocess.Popen[bytes], workdir: Path) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("duebot serve exited: "
                                   + (workdir / "serve.log").read_text()[-2000:])
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("duebot serve did not answer /healthz in 30 s")


async def _load(base: str, phones: list[str], webhooks: int, retry: float, clients: int,
                seed: int) -> dict[str, Any]:
    import httpx
    from twilio.request_validator import RequestValidator

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    url = base + "/webhooks/twilio/sms"
    jobs: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    retried = set(rng.sample(range(webhooks), round(webhooks * retry)))
    for n in range(webhooks):
        sid = f"SM{n:032x}"
        form = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
                "AccountSid": ACCOUNT_SID, "From": rng.choice(phones), "To": FROM_NUMBER,
                "Body": rng.choice(REPLIES), "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        kind = "retry-now" if n in retried and n % 2 else (
            "retry-later" if n in retried else "once")
        jobs.put_nowait((form, kind))
    statuses: Counter[int] = Counter()
    later: list[dict[str, str]] = []

    async def post(http: httpx.AsyncClient, form: dict[str, str]) -> None:
        headers = {"X-Twilio-Signature": validator.compute_signature(url, form),
                   "Content-Type": "application/x-www-form-urlencoded"}
        response = await http.post("/webhooks/twilio/sms", content=urlencode(form),
                                   headers=headers)
        statuses[response.status_code] += 1

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not jobs.empty():
                form, kind = jobs.get_nowait()
                if kind == "retry-now":  # the retry arrives while the first is handled
                    await asyncio.gather(post(http, form), post(http, form))
                else:
                    await post(http, form)
                    if kind == "retry-later":
                        later.append(form)
            while later:
                await post(http, later.pop())

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"statuses": statuses, "seconds": time.perf_counter() - start,
            "retries": len(retried)}


def _stored(db_url: str, webhooks: int) -> dict[str, int]:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT provider_id, count(*) FROM message WHERE direction = 'in' "
            "AND channel = 'sms' GROUP BY provider_id")).all()
        keys = conn.execute(text(
            "SELECT count(*) FROM inbound_event WHERE key LIKE 'msg:sms:%'")).scalar_one()
    engine.dispose()
    counts = Counter(dict(rows))
    expected = {f"SM{n:032x}" for n in range(webhooks)}
    return {"stored": sum(1 for sid in expected if counts.get(sid) == 1),
            "missing": sum(1 for sid in expected if sid not in counts),
            "duplicates_stored": sum(n - 1 for n in counts.values() if n > 1),
            "event_keys": int(keys)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="a PostgreSQL server URL (a throw-away database is created "
                                "there); default a SQLite file")
    p.add_argument("--webhooks", type=int, default=10_000)
    p.add_argument("--retry", type=float, default=0.05, help="share of webhooks retried")
    p.add_argument("--clients", type=int, default=16, help="concurrent connections")
    p.add_argument("--cases", type=int, default=500)
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args(argv)
    port = proofkit.free_port()
    base = f"http://127.0.0.1:{port}"
    with proofkit.throwaway_database(args.db) as url, \
            tempfile.TemporaryDirectory(prefix="duebot-load-") as tmp:
        workdir = Path(tmp)
        phones = _seed(url, args.cases)
        server = _serve(url, port, workdir)
        try:
            asyncio.run(_wait_ready(base, server, workdir))
            load = asyncio.run(_load(base, phones, args.webhooks, args.retry, args.clients,
                                     args.seed))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        server_log = (workdir / "serve.log").read_text(errors="replace")
        stored = _stored(url, args.webhooks)
    statuses = load["statuses"]
    answers_5xx = sum(n for s, n in statuses.items() if s >= 500)
    backend = "sqlite" if args.db is None or args.db.startswith("sqlite") else "postgresql"
    print(f"answers: {dict(sorted(statuses.items()))} in {load['seconds']:.1f}s", flush=True)
    result = {"webhooks": args.webhooks, "retries": load["retries"],
              "answers_5xx": answers_5xx, **stored,
              "rate": f"{(args.webhooks + load['retries']) / load['seconds']:.0f}/s",
              "clients": args.clients, "backend": backend}
    print(proofkit.summary("proof_webhook_load", **result), flush=True)
    return {**result, "statuses": statuses, "server_log": server_log}


if __name__ == "__main__":
    main()
