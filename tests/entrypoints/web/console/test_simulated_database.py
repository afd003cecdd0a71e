"""``duebot simulate --db`` leaves a database the console shows meaningfully: the demo
accounts it prints sign in, the inbox has items with previews, case pages have
timelines with the parser's readings, the dashboard has the simulation's numbers, and
the sandbox phone shows what customers received."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from bot.bootstrap import bootstrap
from bot.entrypoints.web.app import create_app
from bot.settings import Settings
from bot.sim.simulation import DEMO_ACCOUNTS, Simulation
from tests.entrypoints.web.console.helpers import Console


async def test_the_console_shows_a_simulated_database(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    result = await Simulation(days=12, cases=40, seed=7, db_path=db,
                              settings=Settings(_env_file=None)).run()  # type: ignore[call-arg]
    assert set(result.accounts) == {name for name, _ in DEMO_ACCOUNTS}
    c = bootstrap(Settings(_env_file=None, database_url=f"sqlite:///{db}"))  # type: ignore[call-arg]
    try:
        with TestClient(create_app(c)) as client:
            console = Console(None, client)  # type: ignore[arg-type]
            assert console.login("demo-collector", "not-it").status_code == 401
            assert console.login("demo-collector",
                                 result.accounts["demo-collector"]).status_code == 303
            inbox = client.get("/inbox").text
            count = re.search(r"(\d+) conversations? needs? a person", inbox)
            assert count is not None and int(count.group(1)) > 0
            wrote = '<span class="sr-label">customer by'  # what a customer wrote
            answered = next(block for block in inbox.split("<li data-item=")
                            if wrote in block)
            account = re.search(r'href="/cases/(ACC\d+)"', answered)
            assert account is not None
            case = client.get(f"/cases/{account.group(1)}").text
            assert "The parser read:" in case and "CaseOpened" in case
            dashboard = client.get("/dashboard").text
            shown = re.search(r'data-count="contacts">(\d+)<', dashboard)
            assert shown is not None and int(shown.group(1)) == result.total.contacts
            client.post("/logout", data={"csrf_token": console.csrf()})
            assert console.login("demo-admin",
                                 result.accounts["demo-admin"]).status_code == 303
            phone = client.get(f"/sandbox/{account.group(1)}").text
            assert "from the bank" in phone
    finally:
        c.close()
