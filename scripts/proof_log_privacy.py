#!/usr/bin/env python
"""Proof: no personal data in the logs, on the normal path or when the database fails.

duebot's logging is configured as the runners configure it (``DUEBOT_LOG_LEVEL=DEBUG``,
text or JSON format) into a buffer; the web app runs under uvicorn on a real port over a
fresh database, with Twilio, Telegram and email (SMTP) pointed at loopback peers.

1. **Conversations**: for each of ``--conversations`` customers, an SMS, a Telegram
   message and an email unsubscribe come in, a collector takes the case, replies,
   records a promise and a dispute and releases it through the API, and the dispatcher
   sends every answer through the real adapters.
2. **Forced database errors**: triggers make every write to the tables that hold
   personal data fail with an error message that quotes the row (PostgreSQL:
   ``RAISE EXCEPTION ... %`` with the row as JSON), then the tables read by the API are
   renamed away; every web route that touches the database is called again with
   personal data in its request, and must answer 5xx.

The whole log is then searched for every customer's phone number (E.164 and national
digits), email address, name, account number and every message body. Last line::

    proof_log_privacy: conversations=N log_lines=L routes=R routes_failed=R pii_found=0 ...

Usage: ``python scripts/proof_log_privacy.py [--db URL] [--conversations N]
[--format text|json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proofkit

SECRET_KEY = "privacy-proof-secret-key-0123456789-abcdefgh"
TG_SECRET = "privacy-telegram-secret_01"
FROM_NUMBER = "+15005550006"
WRITE_TABLES = ("message", "case_event", "work_item", "promise", "dispute", "contact_point",
                "collection_case", "conversation", "customer")
READ_TABLES = ("collection_case", "work_item")


@dataclass(frozen=True)
class Customer:
    n: int

    @property
    def account(self) -> str:
        return f"ACC-{770000 + self.n}"

    @property
    def phone(self) -> str:
        return f"+1415555{1000 + self.n:04d}"

    @property
    def email(self) -> str:
        return f"morgan.{self.n}.quill@example.org"

    @property
    def chat(self) -> int:
        return 880000000 + self.n

    @property
    def name(self) -> str:
        return f"Morgan Quill{self.n}"

    def bodies(self) -> list[str]:
        n = self.n
        return [f"I lost my job {n} times, can I pay 40 on friday",
                f"my daughter Ellie{n} is in hospital", f"collector note number {n} seen",
                f"customer disputes charge {n} from the gym"]

    def secrets(self) -> list[str]:
        return [self.account, self.phone, self.phone[2:], self.email, self.name,
                str(self.chat), *self.bodies()]


@dataclass
class Outcome:
    statuses: dict[str, list[int]] = field(default_factory=dict)

    def add(self, route: str, status: int) -> None:
        self.statuses.setdefault(route, []).append(status)


def _break_writes(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'forced failure on %: %', TG_TABLE_NAME, "
                "row_to_json(NEW); END $$"))
            for table in WRITE_TABLES:
                conn.execute(text(f"CREATE TRIGGER forced_{table} BEFORE INSERT OR UPDATE "
                                  f"ON {table} FOR EACH ROW EXECUTE FUNCTION forced_failure()"))
        else:
            for table in WRITE_TABLES:
                for op in ("INSERT", "UPDATE"):
                    conn.execute(text(
                        f"CREATE TRIGGER forced_{op.lower()}_{table} BEFORE {op} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"))


def _break_reads(engine: Any, tables: tuple[str, ...]) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


async def run(db_url: str, conversations: int, fmt: str) -> dict[str, Any]:
    from pydantic import SecretStr

    from bot.bootstrap import bootstrap
    from bot.domain.case import Case
    from bot.domain.contacts import ContactPoint
    from bot.domain.messages import ChannelKind
    from bot.domain.work_items import WorkItemKind, work_item
    from bot.entrypoints.log_setup import configure_logging
    from bot.entrypoints.web.app import create_app
    from bot.services.roles import operator
    from bot.services.users import add_user
    from bot.settings import Settings
    from channels.email.unsubscribe_tokens import make_unsubscribe_token
    from storage.models import MessageRow, WorkItemRow
    from tests.peers.smtp_server import SmtpPeer
    from tests.peers.telegram_api import FakeTelegramBotAPI, text_update
    from tests.peers.twilio_api import TwilioApiPeer, inbound_message_form, status_callback_form
    from tests.peers.twilio_signing import signed_headers

    buffer = io.StringIO()
    import logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    handler = configure_logging("DEBUG", fmt, stream=buffer)
    port = proofkit.free_port()
    base = f"http://127.0.0.1:{port}"
    # this script's own HTTP client logs the URLs it calls (httpx, INFO): not the app's log
    handler.addFilter(lambda r: not (r.name == "httpx" and base in r.getMessage()))
    customers = [Customer(n) for n in range(1, conversations + 1)]
    extra = [Customer(conversations + 1), Customer(conversations + 2)]
    outcome = Outcome()
    smtp = SmtpPeer(tls="none")
    await smtp.start()
    try:
        async with TwilioApiPeer() as twilio, FakeTelegramBotAPI() as telegram:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=db_url, public_url=base, secret_key=SecretStr(SECRET_KEY),
                twilio_account_sid=twilio.account_sid,
                twilio_auth_token=SecretStr(twilio.auth_token), twilio_from_number=FROM_NUMBER,
                twilio_api_base=twilio.base_url, smtp_host="127.0.0.1", smtp_port=smtp.port,
                smtp_tls="none", telegram_bot_token=SecretStr(telegram.token),
                telegram_api_base=telegram.api_base,
                telegram_webhook_secret=SecretStr(TG_SECRET))
            c = bootstrap(settings)
            with c.uow() as uow:
                for cu in customers + extra:
                    uow.cases.add(Case(
                        account_id=cu.account, currency="USD", balance_minor=90_000,
                        due_date=date(2026, 11, 1), customer_name=cu.name,
                        minimum_payment_minor=5_000, timezone="America/New_York",
                        contacts=[ContactPoint(ChannelKind.SMS, cu.phone),
                                  ContactPoint(ChannelKind.EMAIL, cu.email),
                                  ContactPoint(ChannelKind.TELEGRAM, str(cu.chat))]))
                uow.commit()
            # a supervisor: every route here is hers to call (resolving a dispute too)
            token = add_user(c.uow(), "ann", "supervisor", "correct-horse-battery-staple",
                             actor=operator("proof"))
            auth = {"Authorization": f"Bearer {token}"}
            channels = list({id(ch): ch for ch in c.channels.values()}.values())
            for channel in channels:
                await c.registry.start(channel, c.inbound)
            import httpx

            serial = iter(range(10**6, 10**7))  # apart from the ids the peers give out

            def sms_form(cu: Customer, body: str) -> tuple[str, dict[str, str]]:
                form = inbound_message_form(account_sid=twilio.account_sid, from_=cu.phone,
                                            to=FROM_NUMBER, body=body,
                                            message_sid=f"SM{next(serial):032x}")
                return "/webhooks/twilio/sms", form

            async def post_form(http: httpx.AsyncClient, path: str, form: dict[str, str],
                                route: str) -> None:
                headers = signed_headers(twilio.auth_token, base + path, form)
                response = await http.post(path, content=urlencode(form).encode(),
                                           headers=headers)
                outcome.add(route, response.status_code)

            async def call(http: httpx.AsyncClient, method: str, path: str, route: str,
                           body: dict[str, Any] | None = None) -> None:
                response = await http.request(method, path, json=body, headers=auth)
                outcome.add(route, response.status_code)

            async def every_route(http: httpx.AsyncClient, cu: Customer,
                                  only: Callable[[str], bool]) -> None:
                b = cu.bodies()
                acct = quote(cu.account, safe="")
                calls: list[tuple[str, Any]] = [
                    ("POST /webhooks/twilio/sms", lambda: post_form(
                        http, *sms_form(cu, b[0]), "POST /webhooks/twilio/sms")),
                    ("POST /webhooks/telegram", lambda: _telegram(http, cu, b[1])),
                    ("POST /unsubscribe/{token}", lambda: _unsubscribe(http, cu)),
                    ("POST /webhooks/twilio/status", lambda: post_form(
                        http, "/webhooks/twilio/status", status_callback_form(
                            account_sid=twilio.account_sid, message_sid=_sent_sid(cu),
                            status="undelivered", from_=FROM_NUMBER, to=cu.phone,
                            error_code=21610), "POST /webhooks/twilio/status")),
                    ("POST /api/cases/{account_id}/take", lambda: call(
                        http, "POST", f"/api/cases/{acct}/take",
                        "POST /api/cases/{account_id}/take")),
                    ("POST /api/cases/{account_id}/reply", lambda: call(
                        http, "POST", f"/api/cases/{acct}/reply",
                        "POST /api/cases/{account_id}/reply", {"text": b[2]})),
                    ("POST /api/cases/{account_id}/promises", lambda: call(
                        http, "POST", f"/api/cases/{acct}/promises",
                        "POST /api/cases/{account_id}/promises",
                        {"instalments": [{"amount": "50.00", "date": "2026-12-11"}]})),
                    ("POST /api/cases/{account_id}/dispute", lambda: call(
                        http, "POST", f"/api/cases/{acct}/dispute",
                        "POST /api/cases/{account_id}/dispute", {"reason": b[3]})),
                    ("POST /api/cases/{account_id}/plan", lambda: call(
                        http, "POST", f"/api/cases/{acct}/plan",
                        "POST /api/cases/{account_id}/plan",
                        {"count": 3, "first_due": "2026-12-15"})),
                    ("POST /api/cases/{account_id}/dispute/resolve", lambda: call(
                        http, "POST", f"/api/cases/{acct}/dispute/resolve",
                        "POST /api/cases/{account_id}/dispute/resolve",
                        {"outcome": "verified"})),
                    ("POST /api/queue/{item_id}/done", lambda: call(
                        http, "POST", f"/api/queue/{_work_item(cu)}/done",
                        "POST /api/queue/{item_id}/done")),
                    ("POST /api/cases/{account_id}/release", lambda: call(
                        http, "POST", f"/api/cases/{acct}/release",
                        "POST /api/cases/{account_id}/release")),
                    ("GET /api/cases/{account_id}", lambda: call(
                        http, "GET", f"/api/cases/{acct}", "GET /api/cases/{account_id}")),
                    ("GET /api/queue", lambda: call(http, "GET", "/api/queue",
                                                    "GET /api/queue")),
                    ("GET /api/me", lambda: call(http, "GET", "/api/me", "GET /api/me")),
                ]
                for route, send in calls:
                    if only(route):
                        await send()

            async def _telegram(http: httpx.AsyncClient, cu: Customer, text: str) -> None:
                n = next(serial)
                update = text_update(cu.chat, text, update_id=n, message_id=n)
                response = await http.post("/webhooks/telegram", json=update,
                                           headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
                outcome.add("POST /webhooks/telegram", response.status_code)

            async def _unsubscribe(http: httpx.AsyncClient, cu: Customer) -> None:
                link = make_unsubscribe_token(SECRET_KEY, cu.email, c.clock.now())
                response = await http.post(f"/unsubscribe/{link}",
                                           content=b"List-Unsubscribe=One-Click",
                                           headers={"Content-Type":
                                                    "application/x-www-form-urlencoded"})
                outcome.add("POST /unsubscribe/{token}", response.status_code)

            def _sent_sid(cu: Customer) -> str:
                from sqlmodel import col, select

                with c.uow() as uow:
                    row = uow.session.exec(select(MessageRow).where(
                        MessageRow.address == cu.phone, MessageRow.direction == "out",
                        col(MessageRow.provider_id).is_not(None))).first()
                return row.provider_id if row is not None and row.provider_id else "SM" + "0" * 32

            def _work_item(cu: Customer) -> int:
                from sqlmodel import select

                with c.uow() as uow:
                    row = uow.session.exec(select(WorkItemRow).where(
                        WorkItemRow.done_at == None)).first()  # noqa: E711
                return row.id if row is not None and row.id is not None else 1

            async with proofkit.served(create_app(c), port), \
                    httpx.AsyncClient(base_url=base, timeout=30) as http:
                for cu in customers:  # 1. conversations
                    await every_route(http, cu, lambda route: True)
                    await c.dispatcher.drain()
                normal = {r: list(s) for r, s in outcome.statuses.items()}
                # two customers no conversation touched: the first is taken, written to
                # and disputed (so that every route has something to write), the other
                # is left alone (for "take")
                held, free = extra
                acct = quote(held.account, safe="")
                for path, body in ((f"/api/cases/{acct}/take", None),
                                   (f"/api/cases/{acct}/reply", {"text": "call us back"}),
                                   (f"/api/cases/{acct}/dispute", {"reason": "not mine"})):
                    await http.post(path, json=body, headers=auth)
                await c.dispatcher.drain()
                with c.uow() as uow:  # an open item for "queue done" to close
                    uow.work_items.add(work_item(WorkItemKind.CALLBACK, c.clock.now(),
                                                 case_id=uow.cases.get(held.account).id))
                    uow.commit()
                outcome.statuses.clear()
                _break_writes(c.engine)  # 2. forced database errors
                on_free = ("/take", "/dispute", "/promises", "/plan")
                await every_route(http, held, lambda route: route.startswith("POST")
                                  and not route.endswith(on_free))
                await every_route(http, free, lambda route: route.endswith(on_free))
                _break_reads(c.engine, READ_TABLES)
                await every_route(http, held, lambda route: route.startswith("GET /api/c")
                                  or route == "GET /api/queue")
                _break_reads(c.engine, ("app_user",))
                await every_route(http, held, lambda route: route == "GET /api/me")
            for channel in channels:
                await channel.aclose()
            c.close()
    finally:
        await smtp.stop()
        root.removeHandler(handler)
        for old in saved[0]:
            if old not in root.handlers:
                root.addHandler(old)
        root.setLevel(saved[1])
    log = buffer.getvalue()
    found = sorted({s for cu in customers + extra for s in cu.secrets() if s in log})
    forced = outcome.statuses
    failed = sorted(r for r, s in forced.items() if all(x >= 500 for x in s))
    return {"log": log, "normal": normal, "forced": forced, "found": found,
            "routes": len(forced), "routes_failed": len(failed),
            "not_failed": sorted(set(forced) - set(failed))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="a PostgreSQL server URL (a throw-away database is created "
                                "there); default a SQLite file")
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--keep-log", type=Path, help="write the captured log here")
    args = p.parse_args(argv)
    with proofkit.throwaway_database(args.db) as url:
        result = asyncio.run(run(url, args.conversations, args.format))
    if args.keep_log:
        args.keep_log.write_text(result["log"], encoding="utf-8")
    for secret in result["found"]:
        print(f"  personal data in the log: {secret[:3]}… ({len(secret)} characters)")
    for route in result["not_failed"]:
        print(f"  the forced database error did not fail {route}: {result['forced'][route]}")
    backend = "sqlite" if args.db is None or args.db.startswith("sqlite") else "postgresql"
    summary = {"conversations": args.conversations,
               "log_lines": result["log"].count("\n"), "routes": result["routes"],
               "routes_failed": result["routes_failed"], "pii_found": len(result["found"]),
               "format": args.format, "backend": backend}
    print(proofkit.summary("proof_log_privacy", **summary), flush=True)
    return {**summary, "details": result}


if __name__ == "__main__":
    main()
