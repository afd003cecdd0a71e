#!/usr/bin/env python
"""Proof: malformed and forged input never gets a 5xx, a traceback or a half-written record.

The web app runs under uvicorn on a real port (as ``duebot serve`` runs it) over a fresh
database, with Twilio, Telegram (webhook mode) and the unsubscribe page mounted, one
known case and a collector's API token. One HTTP/1.1 client with a single kept-alive
connection then sends (sets in ``tests/hostile``):

* correctly signed but malformed provider posts (Twilio and Telegram), each twice as a
  provider retry would: answered 2xx (the odd part cleaned) or 4xx, and stored once;
* malformed JSON API requests: answered 4xx, and no table changes;
* forged signatures and unsubscribe tokens: all refused, nothing recorded.

It counts the 5xx answers and the times the server dropped the connection. Then every
hostile CSV of ``tests/hostile/csv_files.py`` is imported (atomic, then
``--skip-invalid``): clean means no exception other than the importer's report, every
problem as ``file:line: column: reason``, all or nothing stored, nothing stored with a NUL
or a control character, and no live formula in the rejects file.

Last line::

    proof_bad_input: provider_posts=N provider_5xx=0 api_requests=N api_5xx=0 ...

Usage: ``python scripts/proof_bad_input.py [--db URL] [--sample K]`` (``--db``: a
PostgreSQL server URL, on which a throw-away database is created; default a SQLite file;
``--sample K``: every K-th input of each set, as the test suite runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proofkit

from tests.hostile import csv_files
from tests.hostile.requests import (
    Probe,
    Target,
    api_malformed,
    forged,
    provider_malformed,
)

ACCOUNT = "ACC-7001"
PHONE = "+14155550123"
EMAIL = "robin.ex@example.org"
CHAT = 424242
SECRET_KEY = "proof-secret-key-0123456789abcdef-0123456789"
TG_SECRET = "proof-telegram-secret_0123"
FROM_NUMBER = "+15005550006"


@dataclass
class Tally:
    sent: int = 0
    ok: int = 0
    server_errors: int = 0
    wrong: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, probe: Probe, status: int) -> None:
        self.sent += 1
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors += 1
        if probe.ok(status):
            self.ok += 1
        else:
            self.wrong.append(f"{probe.name}: {status}")


def _table_counts(container: Any) -> dict[str, int]:
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    with container.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def _seed(container: Any) -> str:
    from datetime import date

    from bot.domain.case import Case
    from bot.domain.contacts import ContactPoint
    from bot.domain.messages import ChannelKind
    from bot.services.roles import operator
    from bot.services.users import add_user

    with container.uow() as uow:
        uow.cases.add(Case(
            account_id=ACCOUNT, currency="USD", balance_minor=120_000,
            due_date=date(2026, 11, 1), customer_name="Robin Ex", minimum_payment_minor=5_000,
            timezone="America/New_York",
            contacts=[ContactPoint(ChannelKind.SMS, PHONE), ContactPoint(ChannelKind.EMAIL, EMAIL),
                      ContactPoint(ChannelKind.TELEGRAM, str(CHAT))]))
        uow.commit()
    return add_user(container.uow(), "proof", "collector", "correct-horse-battery-staple",
                    actor=operator("proof"))


class Client:
    """One HTTP/1.1 connection, kept alive; counts the connections the server dropped."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.http = httpx.AsyncClient(base_url=base_url, timeout=30,
                                      limits=httpx.Limits(max_connections=1))
        self.port: int | None = None
        self.drops = 0  # responses after which the connection was not kept

    async def send(self, probe: Probe) -> int:
        headers = {k: v.encode("latin-1") for k, v in probe.headers.items()}
        response = await self.http.request(probe.method, probe.path, content=probe.body,
                                           headers=headers)
        stream = response.extensions.get("network_stream")
        try:
            port = stream.get_extra_info("client_addr")[1] if stream is not None else None
        except OSError:  # the server has closed the connection already
            port = None
        if port is None or (self.port is not None and port != self.port):
            self.drops += 1
        self.port = port
        return response.status_code

    async def aclose(self) -> None:
        await self.http.aclose()


async def attack_http(db_url: str, sample: int) -> dict[str, Any]:
    from pydantic import SecretStr

    from bot.bootstrap import bootstrap
    from bot.domain.messages import ChannelKind
    from bot.entrypoints.web.app import create_app
    from bot.settings import Settings
    from channels.email.unsubscribe_tokens import make_unsubscribe_token
    from tests.peers.telegram_api import FakeTelegramBotAPI
    from tests.peers.twilio_api import TwilioApiPeer

    port = proofkit.free_port()
    public_url = f"http://127.0.0.1:{port}"
    async with TwilioApiPeer() as twilio, FakeTelegramBotAPI() as telegram:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db_url, public_url=public_url, secret_key=SecretStr(SECRET_KEY),
            twilio_account_sid=twilio.account_sid,
            twilio_auth_token=SecretStr(twilio.auth_token), twilio_from_number=FROM_NUMBER,
            twilio_api_base=twilio.base_url,
            telegram_bot_token=SecretStr(telegram.token), telegram_api_base=telegram.api_base,
            telegram_webhook_secret=SecretStr(TG_SECRET))
        container = bootstrap(settings)
        token = _seed(container)
        chat = container.channels[ChannelKind.TELEGRAM]
        await container.registry.start(chat, container.inbound)
        target = Target(public_url=public_url, twilio_account_sid=twilio.account_sid,
                        twilio_auth_token=twilio.auth_token, twilio_number=FROM_NUMBER,
                        customer_phone=PHONE, customer_email=EMAIL, telegram_secret=TG_SECRET,
                        api_token=token, account_id=ACCOUNT,
                        mint_unsubscribe=lambda key, address: make_unsubscribe_token(
                            key, address, container.clock.now()),
                        secret_key=SECRET_KEY)
        serial = itertools.count(1)

        def sid(name: str) -> str:
            return f"SM{next(serial):032x}"

        provider = provider_malformed(target, sid=sid, chat_id=CHAT)[::sample]
        api = api_malformed(target)[::sample]
        fakes = forged(target)[::sample]
        tallies = {"provider": Tally(), "api": Tally(), "forged": Tally()}
        client = Client(public_url)
        try:
            async with proofkit.served(create_app(container), port):
                before = _table_counts(container)
                for probe in provider:
                    for _attempt in range(2):  # the provider's retry
                        tallies["provider"].add(probe, await client.send(probe))
                after_provider = _table_counts(container)
                for probe in api:
                    tallies["api"].add(probe, await client.send(probe))
                after_api = _table_counts(container)
                for probe in fakes:
                    tallies["forged"].add(probe, await client.send(probe))
                after_forged = _table_counts(container)
        finally:
            await client.aclose()
            await chat.aclose()
            container.close()
    accepted = sum(1 for p in provider if "2xx" in p.want)
    changed_by_api = {k: after_api[k] - after_provider[k] for k in after_api
                      if after_api[k] != after_provider[k]}
    changed_by_forged = {k: after_forged[k] - after_api[k] for k in after_forged
                         if after_forged[k] != after_api[k]}
    return {"tallies": tallies, "dropped": client.drops,
            "inbound_events": after_provider["inbound_event"] - before["inbound_event"],
            "provider_probes": provider,
            "provider_accepting": accepted, "api_changed": changed_by_api,
            "forged_changed": changed_by_forged}


def attack_csv(db_url: str, sample: int, workdir: Path) -> dict[str, Any]:
    """Import every hostile CSV twice (atomic, then --skip-invalid) and judge it."""
    from bot.bootstrap import bootstrap
    from bot.settings import Settings

    container = bootstrap(Settings(_env_file=None, database_url=db_url))  # type: ignore[call-arg]
    try:
        results = [csv_files.judge(container, hostile, workdir)
                   for hostile in csv_files.corpus()[::sample]]
    finally:
        container.close()
    return {"files": len(results), "clean": sum(r.clean for r in results),
            "problems": [f"{r.name}: {p}" for r in results for p in r.problems]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="a PostgreSQL server URL (a throw-away database is created "
                                "there); default a SQLite file")
    p.add_argument("--sample", type=int, default=1, help="every K-th input of each set")
    p.add_argument("--only", choices=["http", "csv"], help="only this part")
    p.add_argument("--quiet", action="store_true", help="only the last line")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    import tempfile

    http: dict[str, Any] = {"tallies": {g: Tally() for g in ("provider", "api", "forged")},
                            "dropped": 0, "inbound_events": 0, "api_changed": {},
                            "forged_changed": {}}
    csv: dict[str, Any] = {"files": 0, "clean": 0, "problems": []}
    if args.only in (None, "http"):
        with proofkit.throwaway_database(args.db) as url:
            http = asyncio.run(attack_http(url, args.sample))
    t = http["tallies"]
    if not args.quiet:
        for group, tally in t.items():
            print(f"{group}: {tally.sent} requests, answers {dict(sorted(tally.statuses.items()))}"
                  f", 5xx {tally.server_errors}", flush=True)
            for wrong in tally.wrong:
                print(f"  unexpected answer: {wrong}", flush=True)
        if http["api_changed"]:
            print(f"  tables changed by malformed API requests: {http['api_changed']}")
        if http["forged_changed"]:
            print(f"  tables changed by forged requests: {http['forged_changed']}")
    if args.only in (None, "csv"):
        with proofkit.throwaway_database(args.db) as url, \
                tempfile.TemporaryDirectory() as tmp:
            csv = attack_csv(url, args.sample, Path(tmp))
        if not args.quiet:
            for problem in csv["problems"]:
                print(f"  csv: {problem}", flush=True)
    backend = "sqlite" if args.db is None or args.db.startswith("sqlite") else "postgresql"
    result = {
        "provider_posts": t["provider"].sent, "provider_5xx": t["provider"].server_errors,
        "provider_wrong": len(t["provider"].wrong),
        "inbound_events": http["inbound_events"],
        "api_requests": t["api"].sent, "api_5xx": t["api"].server_errors,
        "api_rejected": t["api"].ok, "api_rows_changed": sum(http["api_changed"].values()),
        "forged": t["forged"].sent, "forged_rejected": t["forged"].ok,
        "forged_rows_changed": sum(http["forged_changed"].values()),
        "dropped_connections": http["dropped"],
        "csv_files": csv["files"], "csv_clean": csv["clean"], "backend": backend,
    }
    print(proofkit.summary("proof_bad_input", **result), flush=True)
    result["details"] = {"http": http, "csv": csv}
    return result


if __name__ == "__main__":
    main()
