#!/usr/bin/env python
"""Benchmark: signed Twilio inbound webhooks per second against ``duebot serve``, with a
bare FastAPI route under the same uvicorn as the ceiling, in the same run.

``duebot serve`` runs as a process of its own (uvicorn, ``--workers`` processes) over a
fresh database (PostgreSQL by default) with Twilio configured and ``--cases`` customers.
Then ``--clients`` concurrent kept-alive connections POST ``--webhooks`` inbound-SMS
webhooks, each signed as Twilio signs it, from the customers' phones with everyday
replies; ``--retry`` of them (default 5%) are delivered a second time as Twilio retries
(half while the first is being handled, half after). A post that gets no answer or a
5xx is posted again (up to 3 times), as Twilio would. The same load (same forms, same
clients) first goes to a bare FastAPI echo route (reads the form, answers empty TwiML)
served by uvicorn in another process: the machine's ceiling for this HTTP stack.

Printed: each server's rate and latency percentiles (p50, p99, of every answered post),
their ratio, the machine's load average, and what the database holds (every MessageSid
stored once). Last line::

    bench_webhooks: webhooks=N rate=R p50_ms=... p99_ms=... echo_rate=... ratio=... ...

Usage: ``python scripts/bench_webhooks.py [--db URL] [--webhooks 3000] [--clients 20]
[--workers 1]`` (``--db``: a PostgreSQL server URL, a throw-away database is created
there, or ``sqlite``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI, Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proof_webhook_load as proof
import proofkit

ROOT = Path(__file__).resolve().parents[1]
INBOUND = "/webhooks/twilio/sms"
ATTEMPTS = 3
WARMUP = 100


def _serve(db_url: str, port: int, workdir: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({
        "DUEBOT_DATABASE_URL": db_url, "DUEBOT_HOST": "127.0.0.1", "DUEBOT_PORT": str(port),
        "DUEBOT_PUBLIC_URL": f"http://127.0.0.1:{port}", "DUEBOT_SECRET_KEY": proof.SECRET_KEY,
        "DUEBOT_TWILIO_ACCOUNT_SID": proof.ACCOUNT_SID,
        "DUEBOT_TWILIO_AUTH_TOKEN": proof.AUTH_TOKEN,
        "DUEBOT_TWILIO_FROM_NUMBER": proof.FROM_NUMBER,
        "DUEBOT_TWILIO_API_BASE": "http://127.0.0.1:9", "DUEBOT_LOG_LEVEL": "WARNING",
        # the code beside this script, not whichever checkout the interpreter installed
        # (the server runs in a scratch directory)
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep),
    })
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot.entrypoints.cli", "serve", "--workers", str(workers)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


def _echo(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "echo.log").open("wb")
    return subprocess.Popen([sys.executable, __file__, "--echo-server", str(port)],
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)


def echo_server(port: int) -> None:
    """The ceiling: FastAPI under uvicorn, configured as ``duebot serve`` configures it,
    one route that reads the form and answers empty TwiML."""
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(INBOUND)
    async def inbound(request: Request) -> Response:
        fields = dict(parse_qsl((await request.body()).decode("latin-1")))
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />" \
            if fields.get("MessageSid") else ""
        return Response(body, media_type="text/xml")

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, log_level="warning",
                access_log=False)


def _forms(phones: list[str], count: int, retry: float, seed: int, prefix: str
           ) -> list[tuple[dict[str, str], str]]:
    rng = random.Random(seed)
    retried = set(rng.sample(range(count), round(count * retry)))
    jobs = []
    for n in range(count):
        sid = f"SM{prefix}{n:030x}"
        form = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
                "AccountSid": proof.ACCOUNT_SID, "From": rng.choice(phones),
                "To": proof.FROM_NUMBER, "Body": rng.choice(proof.REPLIES), "NumMedia": "0",
                "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        kind = "retry-now" if n in retried and n % 2 else (
            "retry-later" if n in retried else "once")
        jobs.append((form, kind))
    return jobs


async def _load(base: str, jobs: list[tuple[dict[str, str], str]], clients: int
                ) -> dict[str, Any]:
    """Post ``jobs`` from ``clients`` connections; latencies in ms of every answered post."""
    import httpx
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(proof.AUTH_TOKEN)
    url = base + INBOUND
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    resent = 0
    later: list[dict[str, str]] = []

    async def post(http: httpx.AsyncClient, form: dict[str, str]) -> None:
        nonlocal resent
        body = urlencode(form)
        headers = {"X-Twilio-Signature": validator.compute_signature(url, form),
                   "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            try:
                response = await http.post(INBOUND, content=body, headers=headers)
            except httpx.TransportError:
                statuses[0] += 1
            else:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1
                if response.status_code < 500:
                    return
            if attempt + 1 < ATTEMPTS:
                resent += 1
                await asyncio.sleep(0.05)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while not queue.empty():
                form, kind = queue.get_nowait()
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
    seconds = time.perf_counter() - start
    posts = sum(statuses.values())
    return {"statuses": statuses, "seconds": seconds, "posts": posts, "resent": resent,
            "rate": posts / seconds, "latencies": latencies}


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _wait_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not answer /healthz in 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _measure(name: str, base: str, process: subprocess.Popen[bytes], log: Path,
             phones: list[str], args: argparse.Namespace) -> dict[str, Any]:
    asyncio.run(_wait_up(base, process, log))
    # a warm-up the figures leave out: first requests import and compile lazily
    asyncio.run(_load(base, _forms(phones, WARMUP, 0, args.seed + 1, "ff"), args.clients))
    load = asyncio.run(_load(base, _forms(phones, args.webhooks, args.retry, args.seed, "00"),
                             args.clients))
    lat = load["latencies"]
    print(f"{name}: {load['posts']} posts in {load['seconds']:.1f}s = {load['rate']:.0f}/s, "
          f"p50 {statistics.median(lat):.0f} ms, p99 {_percentile(lat, 0.99):.0f} ms, "
          f"answers {dict(sorted(load['statuses'].items()))}, resent {load['resent']}",
          flush=True)
    return load


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default=proofkit.DEFAULT_PG,
                   help="a PostgreSQL server URL (a throw-away database is created there), "
                        "or 'sqlite' for a SQLite file")
    p.add_argument("--webhooks", type=int, default=3000)
    p.add_argument("--retry", type=float, default=0.05, help="share of webhooks retried")
    p.add_argument("--clients", type=int, default=20, help="concurrent connections")
    p.add_argument("--workers", type=int, default=1, help="duebot serve --workers")
    p.add_argument("--cases", type=int, default=500)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--echo-server", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.echo_server:
        echo_server(args.echo_server)
        return {}
    db = None if args.db == "sqlite" else args.db
    with proofkit.throwaway_database(db) as url, \
            tempfile.TemporaryDirectory(prefix="duebot-bench-") as tmp:
        workdir = Path(tmp)
        phones = proof._seed(url, args.cases)
        port = proofkit.free_port()
        echo = _echo(port, workdir)
        try:
            ceiling = _measure("bare FastAPI route", f"http://127.0.0.1:{port}", echo,
                               workdir / "echo.log", phones, args)
        finally:
            _stop(echo)
        port = proofkit.free_port()
        server = _serve(url, port, workdir, args.workers)
        try:
            duebot = _measure("duebot serve", f"http://127.0.0.1:{port}", server,
                              workdir / "serve.log", phones, args)
        finally:
            _stop(server)
        if any(s >= 500 for s in duebot["statuses"]):
            print("duebot serve's log (end):\n"
                  + (workdir / "serve.log").read_text(errors="replace")[-3000:], flush=True)
        load_avg = os.getloadavg()
        stored = proof._stored(url, args.webhooks)  # counts the measured SMs (prefix 00)
    lat, echo_lat = duebot["latencies"], ceiling["latencies"]
    backend = "sqlite" if db is None or db.startswith("sqlite") else "postgresql"
    result = {
        "webhooks": args.webhooks, "posts": duebot["posts"], "rate": f"{duebot['rate']:.0f}",
        "p50_ms": f"{statistics.median(lat):.0f}", "p99_ms": f"{_percentile(lat, 0.99):.0f}",
        "echo_rate": f"{ceiling['rate']:.0f}",
        "echo_p50_ms": f"{statistics.median(echo_lat):.0f}",
        "echo_p99_ms": f"{_percentile(echo_lat, 0.99):.0f}",
        "ratio": f"{duebot['rate'] / ceiling['rate']:.2f}",
        "answers_5xx": sum(n for s, n in duebot["statuses"].items() if s >= 500),
        "no_answer": duebot["statuses"].get(0, 0), "resent": duebot["resent"],
        "stored": stored["stored"], "missing": stored["missing"],
        "duplicates_stored": stored["duplicates_stored"], "clients": args.clients,
        "workers": args.workers, "backend": backend, "load": f"{load_avg[0]:.2f}",
    }
    print(proofkit.summary("bench_webhooks", **result), flush=True)
    return result


if __name__ == "__main__":
    main()
