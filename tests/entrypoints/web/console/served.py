"""A console served for real: ``create_app`` under uvicorn on a free loopback port, in a
background thread, over a database (a SQLite file, or PostgreSQL) seeded with a Faker
portfolio, the shipped campaign active, one planning tick sent through the sandbox, a
few customers' answers and the people who work it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from bot.bootstrap import Container, bootstrap
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.app import create_app
from bot.services.importing import ImportDefaults, import_cases
from bot.settings import Settings
from bot.sim.portfolio import write_portfolio
from storage.db import make_engine
from tests.entrypoints.web.console.helpers import PEOPLE, _password_hash
from tests.services.app import CAMPAIGNS, activate_campaigns

T = TypeVar("T")
START = date(2026, 12, 1)
#: answers some customers give to the first messages (so the inbox and the report have
#: something in them)
ANSWERS = ("I can pay 50 on friday", "this is not my debt, I dispute it",
           "I lost my job and cannot pay right now", "please call me tomorrow",
           "我下周五还500", "STOP")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a loop of its own, in a thread of its own (the
    test's thread already runs Playwright's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    container: Container
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.container.close()

    def accounts(self) -> list[str]:
        """Open cases, most days past due first."""
        with self.container.uow() as uow:
            return [s.account_id for s in uow.cases.summaries(["active"], 200)]

    def customer_says(self, account: str, text: str,
                      channel: ChannelKind = ChannelKind.SMS) -> None:
        """The customer of ``account`` writes, through the sandbox's inbound path."""
        with self.container.uow() as uow:
            case = uow.cases.get(account)
            assert case is not None
            address = next(c.address for c in case.contacts if c.channel is channel)
        phone = self.container.sandbox_phone(channel)
        assert phone is not None
        run(phone.receive(address, text, self.container.inbound))


def seed(c: Container, workdir: Path, cases: int) -> None:
    c.migrate()
    path = write_portfolio(workdir / "portfolio.csv", cases, 15, START)
    s = c.settings
    with path.open("rb") as source:
        import_cases(source, str(path), c.uow(),
                     ImportDefaults(s.default_region, s.default_timezone, s.default_language))
    activate_campaigns(c, CAMPAIGNS)
    with c.uow() as uow:
        for name, role in PEOPLE:
            uow.users.add(name, role, _password_hash(), f"token-of-{name}", c.clock.now())
        uow.commit()
    planning = c.planning()
    planning.tick()
    run(c.dispatcher.drain())
    with c.uow() as uow:
        reached = [s.account_id for s in uow.cases.summaries(None, 500)]
    answered = 0
    for account in reached:
        with c.uow() as uow:
            case = uow.cases.get(account)
            assert case is not None and case.id is not None
            sent = [m for m in uow.messages.for_case(case.id) if m.direction == "out"
                    and m.channel == "sms" and m.status == "sent"]
        if not sent:
            continue
        phone = c.sandbox_phone(ChannelKind.SMS)
        assert phone is not None
        run(phone.receive(sent[0].address, ANSWERS[answered % len(ANSWERS)],
                                  c.inbound))
        answered += 1
        if answered >= 2 * len(ANSWERS):
            break
    run(c.dispatcher.drain())


def serve(database_url: str, workdir: Path, *, cases: int = 30) -> Served:
    settings = Settings(_env_file=None, database_url=database_url,  # type: ignore[call-arg]
                        campaign_dir=CAMPAIGNS, brand_name="Acme Bank",
                        console_poll_seconds=2)
    clock = FixedClock(datetime.combine(START, dtime(15), UTC))
    c = bootstrap(settings, clock=clock, engine=make_engine(database_url), sandbox_only=True)
    seed(c, workdir, cases)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(c), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    return Served(c, f"http://127.0.0.1:{port}", server, thread)

