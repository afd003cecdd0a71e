"""The role table: every role × every action of the API → allowed (2xx) or 403.

Each case is set up so the action can succeed (a dispute to resolve, a hold to clear, a
case in legal review...), so "allowed" means it did. Collectors act only on cases no
one else holds, and reveal masked data only on cases they hold; supervisors also resolve
disputes, write off, return from legal review, reassign, clear holds; admins also manage
users and campaigns. Runs on the in-memory backend through the real FastAPI app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bot.domain.case import Case, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.app import create_app
from bot.services.roles import Role, operator
from bot.services.users import add_user
from tests.services.app import CAMPAIGNS, App, memory_app

ACCOUNT = "ACC-7001"
OPERATOR = operator("test")
CAMPAIGN_YAML = (CAMPAIGNS / "example.yaml").read_text(encoding="utf-8")


def seed(app: App) -> None:
    app.add(Case(account_id=ACCOUNT, currency="USD", balance_minor=100_000,
                 due_date=date(2026, 11, 1), customer_name="Sam Lee",
                 minimum_payment_minor=5_000, timezone="America/New_York", country="US",
                 contacts=[ContactPoint(ChannelKind.SMS, "+14155550177")]))


def change(app: App, fn: Callable[[Case], None]) -> None:
    with app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        fn(case)
        uow.commit()


def held_by(name: str) -> Callable[[App], None]:
    return lambda app: change(app, lambda c: c.take_over(name, app.clock.now()))


def disputed(app: App) -> None:
    change(app, lambda c: c.open_dispute(app.clock.now(), "customer", "not mine"))


def in_legal_review(app: App) -> None:
    change(app, lambda c: c.escalate_to_legal_review(app.clock.now(), "campaign:x", "dpd 60"))


def vulnerable(app: App) -> None:
    change(app, lambda c: c.place_hold(Hold.VULNERABLE, app.clock.now(), "collector:x",
                                       "bereavement"))


def queue_item(app: App) -> None:
    from bot.domain.work_items import WorkItemKind, work_item

    with app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        uow.work_items.add(work_item(WorkItemKind.CALLBACK, app.clock.now(), case_id=case.id))
        uow.commit()


def draft_campaign(app: App) -> None:
    from bot.campaigns.parsing import CampaignText

    app.c.campaign_admin.import_documents(OPERATOR, [CampaignText("example.yaml",
                                                                  CAMPAIGN_YAML)])


def active_campaign(app: App) -> None:
    draft_campaign(app)
    app.c.campaign_admin.approve(OPERATOR, "standard-retail-us", activate=True)


def nothing(app: App) -> None:
    return None


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    setup: Callable[[App], None] = nothing
    least: Role = Role.COLLECTOR
    held: str | None = None  # the case is held by: "other", "self" or None
    only_holder: bool = False  # a collector may do it only on a case it holds
    #: allowed, but the case's state refuses it (a conversation is held by one person)
    conflict: bool = False


DUE = (date(2026, 12, 1) + timedelta(days=5)).isoformat()
C = f"/cases/{ACCOUNT}"
ACTIONS = [
    Action("view queue", "GET", "/queue"),
    Action("view case", "GET", C),
    Action("view case held by another", "GET", C, held="other"),
    Action("read reports", "GET", "/reports"),
    Action("close queue item", "POST", "/queue/1/done", setup=queue_item),
    Action("take", "POST", f"{C}/take"),
    Action("take a case another holds", "POST", f"{C}/take", held="other", conflict=True),
    Action("reply", "POST", f"{C}/reply", {"text": "Hello"}, held="self"),
    Action("release", "POST", f"{C}/release", held="self"),
    Action("record promise", "POST", f"{C}/promises",
           {"instalments": [{"amount": "100.00", "date": DUE}]}),
    Action("record promise on another's case", "POST", f"{C}/promises",
           {"instalments": [{"amount": "100.00", "date": DUE}]}, held="other"),
    Action("record plan", "POST", f"{C}/plan", {"count": 3, "first_due": DUE}),
    Action("add note", "POST", f"{C}/notes", {"text": "called, will pay friday"}),
    Action("add note on another's case", "POST", f"{C}/notes", {"text": "x"}, held="other"),
    Action("claim dispute", "POST", f"{C}/dispute", {"reason": "not mine"}),
    Action("claim dispute on another's case", "POST", f"{C}/dispute", {"reason": "x"},
           held="other"),
    Action("set protective hold", "POST", f"{C}/holds",
           {"hold": "vulnerable", "reason": "bereavement"}),
    Action("set hold on another's case", "POST", f"{C}/holds",
           {"hold": "deceased", "reason": "death certificate"}, held="other"),
    Action("reveal on own case", "POST", f"{C}/reveal", {"reason": "calling back"},
           held="self"),
    Action("reveal on a case not held", "POST", f"{C}/reveal", {"reason": "curious"},
           only_holder=True),
    Action("resolve dispute", "POST", f"{C}/dispute/resolve", {"outcome": "upheld"},
           setup=disputed, least=Role.SUPERVISOR),
    Action("write off", "POST", f"{C}/write-off", {"reason": "deceased, no estate"},
           least=Role.SUPERVISOR),
    Action("return from legal review", "POST", f"{C}/legal-review/return",
           {"reason": "settled"}, setup=in_legal_review, least=Role.SUPERVISOR),
    Action("reassign", "POST", f"{C}/reassign", {"collector": "col2"},
           least=Role.SUPERVISOR),
    Action("clear hold", "POST", f"{C}/holds/vulnerable/clear", {"reason": "recovered"},
           setup=vulnerable, least=Role.SUPERVISOR),
    Action("list users", "GET", "/users", least=Role.ADMIN),
    Action("add user", "POST", "/users", {"username": "dan", "role": "collector"},
           least=Role.ADMIN),
    Action("change a role", "POST", "/users/col2/role", {"role": "supervisor"},
           least=Role.ADMIN),
    Action("rotate a token", "POST", "/users/col2/token", least=Role.ADMIN),
    Action("disable a user", "POST", "/users/col2/disable", least=Role.ADMIN),
    Action("import a campaign", "POST", "/campaigns", {"text": CAMPAIGN_YAML},
           least=Role.ADMIN),
    Action("approve a campaign", "POST", "/campaigns/standard-retail-us/approve",
           {"activate": True}, setup=draft_campaign, least=Role.ADMIN),
    Action("pause campaigns", "POST", "/campaigns/pause", {}, setup=active_campaign,
           least=Role.ADMIN),
    Action("list campaigns", "GET", "/campaigns"),
]
ROLE_USERS = {Role.COLLECTOR: "col", Role.SUPERVISOR: "sup", Role.ADMIN: "adm"}


def expected(action: Action, role: Role) -> bool:
    if role.rank < action.least.rank:
        return False
    if role is not Role.COLLECTOR:
        return True
    if action.held == "other" and action.path != C:  # looking is always allowed
        return False
    return not action.only_holder


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
async def test_role_table(action: Action, role: Role, clock: FixedClock) -> None:
    app = memory_app(clock)
    tokens = {name: add_user(app.c.uow(), name, r.value, None, actor=OPERATOR)
              for r, name in ROLE_USERS.items()}
    tokens["col2"] = add_user(app.c.uow(), "col2", "collector", None, actor=OPERATOR)
    seed(app)
    me = ROLE_USERS[role]
    if action.held == "other":
        held_by("col2")(app)
    elif action.held == "self":
        held_by(me)(app)
    action.setup(app)
    transport = httpx.ASGITransport(app=create_app(app.c))
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot") as http:
        response = await http.request(action.method, "/api" + action.path, json=action.body,
                                      headers={"Authorization": f"Bearer {tokens[me]}"})
    if expected(action, role) and action.conflict:
        assert response.status_code == 409, response.text
    elif expected(action, role):
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text


def test_every_permission_is_in_the_table() -> None:
    from bot.services.roles import MINIMUM_ROLE, Permission

    tested = {a.least for a in ACTIONS}
    assert tested == set(Role)
    assert set(MINIMUM_ROLE) == set(Permission)


async def test_openapi_declares_bearer_auth_and_typed_answers(clock: FixedClock) -> None:
    app = memory_app(clock)
    transport = httpx.ASGITransport(app=create_app(app.c))
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot") as http:
        schema = (await http.get("/api/openapi.json")).json()
        docs = await http.get("/api/docs")
    assert docs.status_code == 200
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    case = schema["paths"]["/api/cases/{account_id}"]["get"]
    assert case["security"] == [{"HTTPBearer": []}]
    assert case["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseOut"}


async def test_console_login_sets_a_session_cookie_guarded_against_cross_site_use(
        clock: FixedClock) -> None:
    app = memory_app(clock, login_max_failures=2)
    add_user(app.c.uow(), "ann", "collector", "a long password", actor=OPERATOR)
    seed(app)
    transport = httpx.ASGITransport(app=create_app(app.c))
    async with httpx.AsyncClient(transport=transport, base_url="http://duebot") as http:
        wrong = await http.post("/api/login", json={"username": "ann", "password": "nope"})
        assert wrong.status_code == 401 and "duebot_session" not in wrong.cookies
        ok = await http.post("/api/login", json={"username": "ann",
                                                 "password": "a long password"})
        assert ok.status_code == 200 and ok.json()["role"] == "collector"
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert "samesite=strict" in ok.headers["set-cookie"].lower()
        assert (await http.get("/api/me")).json() == {"username": "ann", "role": "collector"}
        forged = await http.post(f"/api/cases/{ACCOUNT}/notes", json={"text": "x"})
        assert forged.status_code == 403 and "X-Requested-With" in forged.json()["detail"]
        noted = await http.post(f"/api/cases/{ACCOUNT}/notes", json={"text": "x"},
                                headers={"X-Requested-With": "duebot"})
        assert noted.status_code == 201
        assert (await http.post("/api/logout")).status_code == 200
        http.cookies.clear()
        assert (await http.get("/api/me")).status_code == 401
        for _ in range(2):
            await http.post("/api/login", json={"username": "ann", "password": "bad one"})
        throttled = await http.post("/api/login", json={"username": "ann",
                                                        "password": "a long password"})
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
