"""A console over the in-memory application, driven with FastAPI's TestClient."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from bot.domain.case import Case
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.app import create_app
from bot.services.users import hash_password
from tests.services.app import App, activate_campaigns, memory_app

PASSWORD = "correct-horse-battery"
ACCOUNT = "ACC-1501"
PHONE = "+14155550150"
PEOPLE = (("ann", "collector"), ("bob", "collector"), ("sue", "supervisor"),
          ("ada", "admin"))


@dataclass
class Console:
    app: App
    client: TestClient

    def login(self, name: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        return self.client.post("/login", data={"username": name, "password": password,
                                                "csrf_token": token.group(1)},
                                follow_redirects=False)

    def csrf(self, path: str = "/inbox") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert found is not None, path
        return found.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, *, token: bool = True,
             **kw: Any) -> Any:
        body = dict(data or {})
        if token:
            body["csrf_token"] = self.csrf()
        return self.client.post(path, data=body, follow_redirects=False, **kw)

    def case(self, account: str = ACCOUNT) -> Case:
        return self.app.case(account)


def seed_case(app: App, account: str = ACCOUNT, phone: str = PHONE, **kw: Any) -> Case:
    values: dict[str, Any] = dict(
        account_id=account, currency="USD", balance_minor=100_000, due_date=date(2026, 11, 1),
        customer_name="Sam Lee", minimum_payment_minor=5_000, timezone="America/New_York",
        country="US", contacts=[ContactPoint(ChannelKind.SMS, phone)])
    values.update(kw)
    [case] = app.add(Case(**values))
    return case


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once per test run


def console_app(clock: FixedClock, **settings: Any) -> App:
    """The application in memory with the shipped campaign active, one case and the
    people of :data:`PEOPLE` (password :data:`PASSWORD`)."""
    app = memory_app(clock, **settings)
    activate_campaigns(app.c)
    with app.c.uow() as uow:
        for name, role in PEOPLE:
            uow.users.add(name, role, _password_hash(), f"token-of-{name}", clock.now())
        uow.commit()
    seed_case(app)
    return app


def client_for(app: App, **kw: Any) -> TestClient:
    return TestClient(create_app(app.c), **kw)
