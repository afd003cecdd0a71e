#!/usr/bin/env python
"""Benchmark the planning tick and the dispatch workers, each against a baseline.

1. **Planning.** Generate ``--cases`` synthetic open cases (default 1,000,000) straight
   into a fresh database, run one planning tick over all of them (stream, plan, render,
   queue, record decisions) and time it. Then take the outbox rows that tick wrote, delete
   them, and time a bare bulk insert of the very same rows into the same table (SQLAlchemy
   Core ``executemany`` in chunks of the tick's batch size; reading them back is not
   timed). On SQLite both timings end with a WAL checkpoint (each pays for its own
   writes) and start from an empty log. ``plan_ratio`` = tick time / bulk-insert time
   (goal <= 2). The tick plans in as many processes as ``duebot scheduler`` would by
   default (one per core for 20,000+ cases; ``--workers`` sets it). Peak RSS of the
   whole run, this process and its children together, is reported (goal <= 1 GiB).
2. **Dispatch.** Queue ``--emails`` (default 20,000) email messages for generated cases
   and drain them with the real dispatcher (claim, policy re-check, SMTP channel with
   ``--smtp-connections`` pooled aiosmtplib connections, record) into an aiosmtpd server
   on loopback running in another process; then send the same number of messages with
   bare aiosmtplib loops, one per connection, over as many connections at once to the
   same server (the same concurrency). ``dispatch_ratio`` = baseline time /
   dispatcher time (goal >= 0.8). The email channel's production rate limit (5/s) would
   make this a measurement of the limit, so the channel is given 100,000/s here.
   ``dispatch_cpu_us`` and ``raw_cpu_us``: CPU time of this process (all its threads)
   per email in each, steadier than the times on a shared machine (the SMTP server's
   CPU is not in them). On a shared machine one pair of runs is noise, so the pair is
   run ``--rounds`` times (default 5), alternating which goes first, each round on
   emails to cases of its own (a case that got an email in one round would be capped
   in the next); the figures reported are the medians over the rounds: the median of
   the rounds' ratios as ``dispatch_ratio`` (each round's in ``dispatch_ratios``), the
   median times and CPU per email, and ``cpu_ratio`` = median of raw CPU / dispatcher
   CPU per round. ``emails`` is per round, ``sent`` the fewest a round sent.

The last line is machine-readable::

    bench_campaign: cases=N plan_ratio=X peak_rss_mb=Y dispatch_ratio=Z ...

Usage: ``python scripts/bench_campaign.py [--cases N] [--emails M] [--db URL]``;
``--only dispatch`` skips the planning part (generating just enough cases for the emails).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import pickle
import random
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from storage.models import (  # noqa: E402
    CaseRow,
    ContactDecisionRow,
    ContactPointRow,
    CustomerRow,
    MessageRow,
)

TODAY = date(2026, 12, 1)  # a Tuesday; no public holiday in the US, GB or CN
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 11:00 New York, 16:00 London
CA = CaseRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]

# (country, currency, language, timezones, share)
MARKETS = [
    ("US", "USD", "en", ["America/New_York", "America/Chicago", "America/Denver",
                         "America/Los_Angeles"], 0.55),
    ("GB", "GBP", "en", ["Europe/London"], 0.15),
    ("CN", "CNY", "zh", ["Asia/Shanghai"], 0.30),
]
DPDS = [-3, -1, 0, 1, 3, 5, 8, 15, 22, 30, 40, 45, 60, 75]
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Charles", "Karen", "Oliver", "Amelia", "George", "Isla"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee"]
ZH = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周杰", "吴芳"]


class RssPeak(threading.Thread):
    """Samples the resident memory of this process plus all its descendants (the planning
    processes of a parallel tick live under a fork server, outside RUSAGE_CHILDREN)."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stopped.wait(self.interval):
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)

    def mb(self) -> float:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return max(self.peak, own) / 2**20


# ---------------------------------------------------------------------------- portfolio
def generate(engine: Engine, n: int, seed: int = 7, chunk: int = 5000) -> None:
    """Insert ``n`` customers, open cases and contact points (Core bulk inserts)."""
    rng = random.Random(seed)
    weights = [m[4] for m in MARKETS]
    created = datetime(2026, 11, 30, tzinfo=UTC)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        customers, cases, contacts = [], [], []
        for i in range(start + 1, start + size + 1):
            country, currency, lang, zones, _ = rng.choices(MARKETS, weights)[0]
            name = rng.choice(ZH) if lang == "zh" else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            balance = int(rng.lognormvariate(6.5, 1.0) * 100) + 100
            dpd = rng.choice(DPDS)
            customers.append({"id": i, "external_ref": f"C{i:09d}", "name": name,
                              "date_of_birth": date(1960, 1, 1) + timedelta(days=i % 15000),
                              "id_last4": f"{i % 10000:04d}", "created_at": created,
                              "updated_at": created})
            cases.append({
                "id": i, "account_id": f"ACC{i:09d}", "customer_id": i,
                "product": rng.choice(["card", "personal_loan", "overdraft"]),
                "currency": currency, "balance_minor": balance,
                "minimum_payment_minor": max(2500, balance // 20),
                "due_date": TODAY - timedelta(days=dpd), "days_past_due": dpd,
                "status": "active", "holds": {}, "segment": rng.choice(
                    ["prime", "near_prime", "subprime"]),
                "risk_band": None, "risk_band_override": None, "timezone": rng.choice(zones),
                "timezone_candidates": [], "language": lang, "country": country,
                "assigned_collector": None, "held_by": None, "payment_claim_until": None,
                "version": 1, "created_at": created, "updated_at": created,
            })
            phone = {"US": f"+1212{i % 10_000_000:07d}", "GB": f"+4474{i % 100_000_000:08d}",
                     "CN": f"+86139{i % 100_000_000:08d}"}[country]
            contacts.append(_contact(i, "sms", phone, created))
            if rng.random() < 0.7:
                contacts.append(_contact(i, "email", f"user{i}@example.com", created))
            if rng.random() < 0.2:
                contacts.append(_contact(i, "telegram", str(10**9 + i), created))
        with engine.begin() as conn:
            conn.execute(CU.insert(), customers)
            conn.execute(CA.insert(), cases)
            conn.execute(CP.insert(), contacts)


def _contact(customer_id: int, channel: str, address: str, at: datetime) -> dict[str, Any]:
    return {"customer_id": customer_id, "channel": channel, "address": address,
            "role": "customer", "consent": True, "consent_source": "import",
            "opted_out_at": None, "opt_out_source": None, "invalid_at": None,
            "invalid_reason": None, "wrong_party_at": None, "preferred_start": None,
            "preferred_end": None, "forbidden_start": None, "forbidden_end": None,
            "verified": False, "created_at": at}


# ---------------------------------------------------------------------------- planning
def export_outbox(engine: Engine, path: Path, chunk: int) -> int:
    """Write the tick's outbox rows to ``path`` (pickled chunks); returns the count.

    Each row carries exactly the columns the tick inserts (the keys of
    :func:`bot.domain.outbox.outbox_message`), so the baseline binds the same parameters."""
    from bot.domain.outbox import outbox_message

    keys = outbox_message(case_id=None, contact_point_id=None, channel="", address="", body="",
                          subject=None, idempotency_key="", now=NOW, purpose="").keys()
    cols = [MS.c[k] for k in keys]
    count, last = 0, 0
    with path.open("wb") as f:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(select(MS.c.id, *cols).where(MS.c.id > last)
                                    .order_by(MS.c.id).limit(chunk)).all()
            if not rows:
                return count
            last = rows[-1][0]
            pickle.dump([{c.name: r[i + 1] for i, c in enumerate(cols)} for r in rows], f)
            count += len(rows)


def settle(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it.

    Writes in WAL mode are checkpointed later, by whichever commit finds the log long
    enough; without this a phase could leave its writes for the next phase to pay for.
    So each timed phase ends with a checkpoint of its own writes, and each starts with an
    empty log. PostgreSQL: nothing to do.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def chunks_from(path: Path) -> Iterator[list[dict[str, Any]]]:
    with path.open("rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def bench_planning(engine: Engine, batch: int, workdir: Path, workers: int) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.domain.clock import FixedClock
    from bot.settings import Settings
    from storage.campaign_files import load_campaigns

    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    clock = FixedClock(NOW)
    container = bootstrap(settings, clock=clock, engine=engine)
    planning = container.planning(load_campaigns(ROOT / "campaigns"), batch_size=batch)
    settle(engine)
    gc.collect()
    start = time.perf_counter()
    try:
        report = planning.tick(NOW, workers=workers)
        settle(engine)
    finally:
        planning.close()
    tick_s = time.perf_counter() - start
    print(f"tick: {report.summary()}; {report.decisions_recorded} decisions recorded",
          flush=True)

    dump = workdir / "outbox.pickle"
    rows = export_outbox(engine, dump, batch)
    # setup, not measured: nothing references these rows yet, so no foreign-key checks
    # (checking the unindexed work_item.message_id for each of them takes minutes)
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # autocommit mode
            raw.driver_connection.execute("DELETE FROM message")
            raw.driver_connection.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE message CASCADE"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE message"))
    settle(engine)
    insert_s = 0.0
    for chunk in chunks_from(dump):
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(MS.insert(), chunk)
        insert_s += time.perf_counter() - start
    start = time.perf_counter()
    settle(engine)
    insert_s += time.perf_counter() - start
    dump.unlink()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MS)).scalar_one() == rows
    print(f"bulk insert of the same {rows} outbox rows: {insert_s:.1f}s", flush=True)
    return {"tick_s": tick_s, "insert_s": insert_s, "rows": rows,
            "decisions": report.decisions_recorded, "planned": report.cases,
            "workers": report.workers}


# ---------------------------------------------------------------------------- dispatch
def _smtp_server(port_q: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    port_q.put(port)
    stop.wait()
    controller.stop()


@contextlib.contextmanager
def smtp_server() -> Iterator[int]:
    ctx = multiprocessing.get_context("spawn")
    q, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_smtp_server, args=(q, stop), daemon=True)
    proc.start()
    try:
        yield int(q.get(timeout=30))
    finally:
        stop.set()
        proc.join(10)


BODY = "Hello, this is Duebot Bank. Please get in touch with us about your account.\n"
SUBJECT = "A message from Duebot Bank"


def smtp_settings(engine: Engine, port: int, connections: int) -> Any:
    from bot.settings import Settings

    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                    smtp_connections=connections)


async def raw_loop(settings: Any, n: int) -> tuple[float, float]:
    """The same messages (the bytes the email channel submits, built as it builds them)
    over as many aiosmtplib connections as the channel pools, each sending its share
    one after the other with ``sendmail``, all at once: no outbox, no policy, no
    bookkeeping."""
    import aiosmtplib

    from bot.domain.messages import ChannelKind, OutboundMessage
    from channels.email.config import SmtpConfig
    from channels.email.smtp import SmtpEmailChannel
    from channels.email.unsubscribe_tokens import make_unsubscribe_token

    builder = SmtpEmailChannel.from_config(SmtpConfig.from_values(settings.model_dump()))
    secret = settings.secret_key.get_secret_value()
    now = datetime.now(UTC)
    links = [aiosmtplib.SMTP(hostname="127.0.0.1", port=settings.smtp_port, start_tls=False,
                             use_tls=False) for _ in range(settings.smtp_connections)]
    for smtp in links:
        await smtp.connect()
        await smtp.ehlo()

    async def loop(smtp: Any, first: int) -> None:
        options = ["BODY=8BITMIME"] if smtp.supports_extension("8bitmime") else None
        for i in range(first, n, len(links)):
            to = f"user{i}@example.com"
            wire = builder.wire_message(OutboundMessage(
                idempotency_key=f"raw-{i}", channel=ChannelKind.EMAIL, to=to, body=BODY,
                subject=SUBJECT, unsubscribe_token=make_unsubscribe_token(secret, to, now)))
            assert wire is not None
            await smtp.sendmail(builder.from_address, [to], wire.data, mail_options=options)

    cpu, start = _cpu(), time.perf_counter()
    await asyncio.gather(*(loop(smtp, k) for k, smtp in enumerate(links)))
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    for smtp in links:
        await smtp.quit()
    return elapsed, cpu


def _cpu() -> float:
    """CPU seconds this process has used (all its threads, user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def queue_emails(engine: Engine, n: int, round_no: int = 0) -> int:
    """Leave exactly ``n`` due email rows in the outbox (others are parked), for the
    ``round_no``-th ``n`` cases with an email address (each round its own cases)."""
    from bot.domain.outbox import outbox_message
    from storage.message_log import enqueue

    with engine.begin() as conn:
        conn.execute(MS.update().values(status="parked"))
        emails = conn.execute(
            select(CP.c.id, CP.c.address, CA.c.id)
            .select_from(CP.join(CA, CA.c.customer_id == CP.c.customer_id))
            .where(CP.c.channel == "email", CA.c.status == "active",
                   CA.c.timezone.in_(["America/New_York", "Europe/London"]))
            .order_by(CA.c.id).offset(n * round_no).limit(n)).all()
        rows = [outbox_message(
            case_id=case_id, contact_point_id=cp_id, channel="email", address=address,
            body="Hello, this is Duebot Bank. Please get in touch about your account.\n",
            subject="A message from Duebot Bank", idempotency_key=f"bench-{round_no}-{cp_id}",
            now=NOW, purpose="dunning", template_id="first_notice", lang="en",
            step_id="first_notice", campaign_id="standard-retail-us")
            for cp_id, address, case_id in emails]
        for i in range(0, len(rows), 2000):
            enqueue(conn, rows[i:i + 2000])
    return len(rows)


async def dispatch_rounds(engine: Engine, settings: Any, n: int, batch: int, rounds: int
                          ) -> list[dict[str, Any]]:
    """``rounds`` rounds of the dispatcher and the raw loops, alternating which runs
    first; each round queues its own ``n`` emails first (not timed)."""
    from bot.bootstrap import bootstrap
    from bot.domain.clock import FixedClock
    from channels.email.config import SmtpConfig
    from channels.email.smtp import SmtpEmailChannel

    clock = FixedClock(NOW)
    channel = SmtpEmailChannel.from_config(SmtpConfig.from_values(settings.model_dump()))
    channel.rate_per_sec = 100_000.0  # type: ignore[misc]  # measure dispatch, not the cap
    container = bootstrap(settings, clock=clock, engine=engine,
                          channels={**_sandboxes(engine, clock), channel.kind: channel})
    # campaign messages go only under an active campaign: the shipped one, activated
    from bot.services.roles import operator
    from storage.campaign_files import read_documents

    bench = operator("bench")
    for done in container.campaign_admin.import_documents(
            bench, read_documents([ROOT / "campaigns"])):
        if done.status == "draft":
            container.campaign_admin.approve(bench, done.campaign_id, done.version,
                                             activate=True)
    dispatcher = container.dispatcher
    out: list[dict[str, Any]] = []
    for k in range(rounds):
        queued = queue_emails(engine, n, k)
        if queued == 0:
            raise SystemExit(f"round {k + 1}: no cases left to email (raise --cases)")
        settle(engine)
        r: dict[str, Any] = {"emails": queued}
        for which in (("dispatch", "raw") if k % 2 == 0 else ("raw", "dispatch")):
            gc.collect()
            if which == "raw":
                r["raw_s"], r["raw_cpu"] = await raw_loop(settings, queued)
                continue
            await channel.start()
            gc.freeze()  # as `duebot worker` does once started
            cpu, start = _cpu(), time.perf_counter()
            stats = await dispatcher.drain(limit=batch)
            r["dispatch_s"], r["dispatch_cpu"] = time.perf_counter() - start, _cpu() - cpu
            gc.unfreeze()
            await channel.aclose()
            r["stats"] = stats
        r["load"] = os.getloadavg()[0]
        print(f"round {k + 1}/{rounds}: dispatcher {queued / r['dispatch_s']:.0f}/s "
              f"({r['dispatch_cpu'] / queued * 1e6:.0f} us CPU/email), raw "
              f"{queued / r['raw_s']:.0f}/s ({r['raw_cpu'] / queued * 1e6:.0f} us): "
              f"ratio {r['raw_s'] / r['dispatch_s']:.2f}, load {r['load']:.2f}; "
              f"{r['stats']}", flush=True)
        out.append(r)
    return out


def _sandboxes(engine: Engine, clock: Any) -> dict[Any, Any]:
    from bot.domain.messages import ChannelKind
    from channels.sandbox import SandboxChannel
    from storage.memory.sandbox import MemorySandboxStore

    store = MemorySandboxStore()
    return {k: SandboxChannel(k, store, clock=clock) for k in ChannelKind}


def bench_dispatch(engine: Engine, n: int, batch: int, connections: int, rounds: int = 1
                   ) -> dict[str, Any]:
    with smtp_server() as port:
        settings = smtp_settings(engine, port, connections)
        runs = asyncio.run(dispatch_rounds(engine, settings, n, batch, rounds))
    med = statistics.median
    ratios = [r["raw_s"] / r["dispatch_s"] for r in runs]
    out = {"dispatch_s": med(r["dispatch_s"] for r in runs),
           "raw_s": med(r["raw_s"] for r in runs),
           "emails": min(r["emails"] for r in runs),
           "sent": min(r["stats"].sent for r in runs),
           "dispatch_cpu_us": med(r["dispatch_cpu"] / r["emails"] * 1e6 for r in runs),
           "raw_cpu_us": med(r["raw_cpu"] / r["emails"] * 1e6 for r in runs),
           "ratio": med(ratios), "ratios": ratios,
           "cpu_ratio": med(r["raw_cpu"] / r["dispatch_cpu"] for r in runs)}
    print(f"dispatch over {len(runs)} round(s), medians: dispatcher {out['dispatch_s']:.1f}s "
          f"({out['dispatch_cpu_us']:.0f} us CPU/email), raw {out['raw_s']:.1f}s "
          f"({out['raw_cpu_us']:.0f} us): ratio {out['ratio']:.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}), CPU ratio "
          f"{out['cpu_ratio']:.2f}", flush=True)
    return out


# ---------------------------------------------------------------------------- main
def make_db(url: str | None, workdir: Path) -> Engine:
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url or f"sqlite:///{workdir / 'bench.db'}")
    if engine.dialect.name == "postgresql":
        from sqlmodel import SQLModel

        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"DROP TABLE IF EXISTS {names}, alembic_version CASCADE"))
    upgrade(engine)
    return engine


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--emails", type=int, default=20_000)
    p.add_argument("--batch", type=int, default=1000, help="planning/dispatch batch size")
    p.add_argument("--db", help="database URL (default: a SQLite file in a temp dir); "
                                "a PostgreSQL database is emptied first")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workers", type=int, default=0,
                   help="planning processes (the tick's --plan-workers); default 0: as "
                        "`duebot scheduler` decides by default (one per core for a "
                        "portfolio of 20,000+ cases)")
    p.add_argument("--skip-dispatch", action="store_true")
    p.add_argument("--smtp-connections", type=int, default=4,
                   help="DUEBOT_SMTP_CONNECTIONS for the dispatcher, and the raw loops' "
                        "connections")
    p.add_argument("--rounds", type=int, default=5,
                   help="dispatch: rounds of dispatcher and raw loops, alternating which "
                        "goes first; the medians are reported")
    p.add_argument("--only", choices=["dispatch"],
                   help="run only this part (dispatch: generate 6 cases per email and round unless "
                        "--cases is given, no planning tick)")
    args = p.parse_args(argv)
    if args.only == "dispatch" and "--cases" not in (argv or sys.argv[1:]):
        args.cases = max(1000, args.emails * 6 * max(1, args.rounds))
    if args.cases < 1:
        p.error("--cases must be at least 1")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="duebot-bench-"))
    rss = RssPeak()
    rss.start()
    try:
        engine = make_db(args.db, workdir)
        start = time.perf_counter()
        generate(engine, args.cases, args.seed)
        print(f"generated {args.cases} cases in {time.perf_counter() - start:.1f}s "
              f"({engine.dialect.name})", flush=True)
        plan_ratio_text, extra = "skipped", ""
        if args.only != "dispatch":
            plan = bench_planning(engine, args.batch, workdir, args.workers)
            plan_ratio = (plan["tick_s"] / plan["insert_s"] if plan["insert_s"]
                          else float("inf"))
            plan_ratio_text = f"{plan_ratio:.2f}"
            print(f"planning tick {plan['tick_s']:.1f}s for {plan['planned']} cases "
                  f"({plan['planned'] / plan['tick_s']:.0f} cases/s), bulk insert "
                  f"{plan['insert_s']:.1f}s: ratio {plan_ratio:.2f} (goal <= 2)", flush=True)
            extra = (f"tick_s={plan['tick_s']:.1f} insert_s={plan['insert_s']:.1f} "
                     f"outbox_rows={plan['rows']} decisions={plan['decisions']} "
                     f"plan_workers={plan['workers']}")
        dispatch_ratio = "skipped"
        if not args.skip_dispatch:
            d = bench_dispatch(engine, args.emails, args.batch, args.smtp_connections,
                               args.rounds)
            dispatch_ratio = f"{d['ratio']:.2f}"
            extra += (f" dispatch_s={d['dispatch_s']:.1f} raw_s={d['raw_s']:.1f} "
                      f"dispatch_cpu_us={d['dispatch_cpu_us']:.0f} "
                      f"raw_cpu_us={d['raw_cpu_us']:.0f} "
                      f"emails={d['emails']} sent={d['sent']} "
                      f"rounds={args.rounds} "
                      f"dispatch_ratios={','.join(f'{x:.2f}' for x in d['ratios'])} "
                      f"cpu_ratio={d['cpu_ratio']:.2f} "
                      f"smtp_connections={args.smtp_connections} "
                      f"load={os.getloadavg()[0]:.2f}")
        backend = engine.dialect.name
        engine.dispose()
        print(f"bench_campaign: cases={args.cases} plan_ratio={plan_ratio_text} "
              f"peak_rss_mb={rss.mb():.0f} dispatch_ratio={dispatch_ratio} {extra.strip()} "
              f"backend={backend}", flush=True)
    finally:
        rss.stopped.set()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
