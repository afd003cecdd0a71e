"""The collectors' JSON API (bearer tokens from ``duebot users add``) and the CLI.

The API is driven through ``create_app`` over ``httpx.ASGITransport``; the CLI through
``typer.testing.CliRunner`` against a migrated SQLite file named by ``DUEBOT_DATABASE_URL``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.bootstrap import Container, bootstrap
from bot.domain.case import Case, CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.entrypoints.cli_app import app as cli
from bot.entrypoints.web.app import create_app
from bot.services.roles import operator
from bot.services.users import add_user
from bot.settings import Settings
from storage.models import MessageRow, WorkItemRow

ACCOUNT = "ACC-2002"
PHONE = "+14155550102"
PASSWORD = "correct-horse-battery"


def seed(container: Container, account: str = ACCOUNT) -> Case:
    with container.uow() as uow:
        case = uow.cases.add(Case(
            account_id=account, currency="USD", balance_minor=100_000,
            due_date=date(2026, 11, 1), customer_name="Sam Lee", minimum_payment_minor=5_000,
            timezone="America/New_York", contacts=[ContactPoint(ChannelKind.SMS, PHONE)]))
        uow.commit()
    return case


def add_work(container: Container, case_id: int | None, kind: str, priority: int,
             at: datetime) -> int:
    with container.uow() as uow:
        row = WorkItemRow(case_id=case_id, kind=kind, priority=priority, created_at=at,
                          detail=f"{kind} item")
        uow.session.add(row)
        uow.session.commit()
        assert row.id is not None
        return row.id


class Api:
    def __init__(self, container: Container, http: httpx.AsyncClient, tokens: dict[str, str]
                 ) -> None:
        self.container, self.http, self.tokens = container, http, tokens

    async def call(self, method: str, path: str, who: str = "ann", **kw: object
                   ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return await self.http.request(method, "/api" + path, headers=headers, **kw)  # type: ignore[arg-type]

    def events(self, account: str = ACCOUNT) -> list[tuple[str, str]]:
        with self.container.uow() as uow:
            case = uow.cases.get(account)
            assert case is not None and case.id is not None
            return [(e.type, e.actor) for e in uow.events.for_case(case.id)]

    def case(self, account: str = ACCOUNT) -> Case:
        with self.container.uow() as uow:
            case = uow.cases.get(account)
        assert case is not None
        return case


@pytest.fixture
async def api(sqlite_engine: Engine, clock: FixedClock) -> AsyncIterator[Api]:
    container = bootstrap(Settings(_env_file=None), clock=clock,  # type: ignore[call-arg]
                          engine=sqlite_engine)
    tokens = {name: add_user(container.uow(), name, role, None, actor=operator("test"))
              for name, role in (("ann", "collector"), ("bob", "collector"),
                                 ("sue", "supervisor"))}
    seed(container)
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Api(container, http, tokens)


# ------------------------------------------------------------------ authentication
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Bearer ", "Basic YW5uOnB3"])
async def test_no_or_a_wrong_token_is_401(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/api/queue"), ("POST", f"/api/cases/{ACCOUNT}/take"),
                         ("GET", f"/api/cases/{ACCOUNT}")):
        response = await api.http.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert api.case().held_by is None


async def test_me_names_the_user(api: Api) -> None:
    response = await api.call("GET", "/me")
    assert response.json() == {"username": "ann", "role": "collector"}


# ------------------------------------------------------------------ queue
async def test_queue_lists_open_items_most_urgent_first_and_closes_them(api: Api,
                                                                       clock: FixedClock
                                                                       ) -> None:
    case_id = api.case().id
    now = clock.now()
    low = add_work(api.container, case_id, "low_confidence", 50, now - timedelta(hours=2))
    legal = add_work(api.container, case_id, "legal", 10, now)
    old = add_work(api.container, None, "unknown_sender", 80, now - timedelta(days=1))
    items = (await api.call("GET", "/queue")).json()
    assert [i["id"] for i in items] == [legal, low, old]
    assert items[0] == {"id": legal, "kind": "legal", "priority": 10, "account_id": ACCOUNT,
                        "detail": "legal item", "created_at": now.isoformat(), "due_at": None,
                        "held_by": None}
    assert items[2]["account_id"] is None
    assert (await api.call("POST", f"/queue/{legal}/done")).json() == {"ok": True}
    assert [i["id"] for i in (await api.call("GET", "/queue")).json()] == [low, old]
    with api.container.uow() as uow:
        row = uow.session.get(WorkItemRow, legal)
        assert row is not None and row.done_by == "ann"
    assert (await api.call("POST", "/queue/999/done")).status_code == 404


# ------------------------------------------------------------------ take, reply, release
async def test_take_reply_release(api: Api) -> None:
    response = await api.call("POST", f"/cases/{ACCOUNT}/take")
    assert response.status_code == 200 and response.json() == {"held_by": "ann"}
    case = api.case()
    assert case.held_by == "ann" and Hold.HUMAN in case.holds
    # another collector can neither take, answer nor release it (their role: 403); a
    # supervisor may, but the conversation is held by one person (the case: 409)
    taken = await api.call("POST", f"/cases/{ACCOUNT}/take", who="bob")
    assert taken.status_code == 403 and "held by ann" in taken.json()["detail"]
    denied = await api.call("POST", f"/cases/{ACCOUNT}/reply", who="bob", json={"text": "hi"})
    assert denied.status_code == 403 and "held by ann" in denied.json()["detail"]
    assert (await api.call("POST", f"/cases/{ACCOUNT}/release", who="bob")).status_code == 403
    taken = await api.call("POST", f"/cases/{ACCOUNT}/take", who="sue")
    assert taken.status_code == 409 and "already held by ann" in taken.json()["detail"]
    denied = await api.call("POST", f"/cases/{ACCOUNT}/reply", who="sue", json={"text": "hi"})
    assert denied.status_code == 409 and "held by ann" in denied.json()["detail"]

    sent = await api.call("POST", f"/cases/{ACCOUNT}/reply", json={"text": "Hi Sam, Ann here."})
    assert sent.status_code == 202 and sent.json()["status"] == "queued"
    with api.container.uow() as uow:
        row = uow.session.get(MessageRow, sent.json()["message_id"])
        assert row is not None
        assert (row.actor, row.purpose, row.channel, row.address, row.body) == (
            "collector:ann", "collector", "sms", PHONE, "Hi Sam, Ann here.")
    empty = await api.call("POST", f"/cases/{ACCOUNT}/reply", json={"text": ""})
    assert empty.status_code == 422
    blank = await api.call("POST", f"/cases/{ACCOUNT}/reply", json={"text": "   "})
    assert blank.status_code == 409 and "empty" in blank.json()["detail"]

    released = await api.call("POST", f"/cases/{ACCOUNT}/release")
    assert released.status_code == 200
    assert released.json() == {"held_by": None, "items_closed": 0}
    assert api.case().held_by is None and Hold.HUMAN not in api.case().holds
    assert [t for t, _ in api.events()][-4:] == ["HoldPlaced", "ConversationTaken",
                                                 "HoldReleased", "ConversationReleased"]
    again = await api.call("POST", f"/cases/{ACCOUNT}/release")
    assert again.status_code == 409 and "not held" in again.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/cases/NOPE/take", None),
    ("POST", "/cases/NOPE/release", None),
    ("POST", "/cases/NOPE/reply", {"text": "hi"}),
    ("POST", "/cases/NOPE/promises", {"instalments": [{"amount": "10", "date": "2026-12-05"}]}),
    ("POST", "/cases/NOPE/plan", {"count": 3, "first_due": "2026-12-08"}),
    ("POST", "/cases/NOPE/dispute", {"reason": "x"}),
    ("POST", "/cases/NOPE/dispute/resolve", {"outcome": "verified"}),
    ("GET", "/cases/NOPE", None),
])
async def test_an_unknown_case_is_404(api: Api, method: str, path: str,
                                      body: dict[str, object] | None) -> None:
    response = await api.call(method, path, json=body)
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"] or response.json()["detail"] == "no such case"


# ------------------------------------------------------------------ outcomes
async def test_promise_is_validated_and_recorded_like_the_bots(api: Api) -> None:
    ok = await api.call("POST", f"/cases/{ACCOUNT}/promises", json={"instalments": [
        {"amount": "250.00", "date": "2026-12-20"}]})
    assert ok.status_code == 201
    [promise] = api.case().pending_promises()
    assert (promise.amount_minor, promise.due) == (25_000, date(2026, 12, 20))
    assert ("PromiseMade", "collector:ann") in api.events()
    assert api.case().status is CaseStatus.PROMISED

    for instalments, words in (
        ([{"amount": "250", "date": "2027-03-01"}], "more than 60 days ahead"),
        ([{"amount": "250", "date": "2026-11-30"}], "before today"),
        ([{"amount": "1000.01", "date": "2026-12-20"}], "more than the balance"),
        ([{"amount": "49.99", "date": "2026-12-20"}], "below the minimum"),
    ):
        refused = await api.call("POST", f"/cases/{ACCOUNT}/promises",
                                 json={"instalments": instalments})
        assert refused.status_code == 409, instalments
        assert refused.json()["detail"].startswith("out of policy: ")
        assert words in refused.json()["detail"]
    bad = await api.call("POST", f"/cases/{ACCOUNT}/promises",
                         json={"instalments": [{"amount": "0", "date": "2026-12-20"}]})
    assert bad.status_code == 422
    too_precise = await api.call("POST", f"/cases/{ACCOUNT}/promises",
                                 json={"instalments": [{"amount": "10.001", "date": "2026-12-20"}]})
    assert too_precise.status_code == 409
    assert len(api.case().pending_promises()) == 1  # the refusals changed nothing


async def test_plan_is_validated_and_recorded(api: Api) -> None:
    ok = await api.call("POST", f"/cases/{ACCOUNT}/plan",
                        json={"count": 6, "first_due": "2026-12-08"})
    assert ok.status_code == 201
    promises = api.case().pending_promises()
    assert [p.due for p in promises][:2] == [date(2026, 12, 8), date(2027, 1, 8)]
    assert len(promises) == 6 and sum(p.amount_minor or 0 for p in promises) == 100_000
    assert [t for t, a in api.events() if a == "collector:ann"].count("PromiseMade") == 6
    too_many = await api.call("POST", f"/cases/{ACCOUNT}/plan",
                              json={"count": 13, "first_due": "2026-12-08"})
    assert too_many.status_code == 409 and "more than 12 instalments" in too_many.json()["detail"]
    late = await api.call("POST", f"/cases/{ACCOUNT}/plan",
                          json={"count": 3, "first_due": "2027-03-01"})
    assert late.status_code == 409
    one = await api.call("POST", f"/cases/{ACCOUNT}/plan",
                         json={"count": 1, "first_due": "2026-12-08"})
    assert one.status_code == 422


async def test_dispute_and_its_resolution(api: Api) -> None:
    await api.call("POST", f"/cases/{ACCOUNT}/promises", json={"instalments": [
        {"amount": "250.00", "date": "2026-12-20"}]})
    opened = await api.call("POST", f"/cases/{ACCOUNT}/dispute",
                            json={"reason": "customer says it was paid to the old lender"})
    assert opened.status_code == 201
    case = api.case()
    assert case.status is CaseStatus.DISPUTED and Hold.DISPUTE in case.holds
    assert case.pending_promises() == []  # cancelled by the dispute, as the bot's would be
    assert ("DisputeOpened", "collector:ann") in api.events()
    refused = await api.call("POST", f"/cases/{ACCOUNT}/promises", json={"instalments": [
        {"amount": "250.00", "date": "2026-12-20"}]})
    assert refused.status_code == 409 and "cannot be taken" in refused.json()["detail"]
    wrong = await api.call("POST", f"/cases/{ACCOUNT}/dispute/resolve", json={"outcome": "maybe"})
    assert wrong.status_code == 422
    by_collector = await api.call("POST", f"/cases/{ACCOUNT}/dispute/resolve",
                                  json={"outcome": "verified"})
    assert by_collector.status_code == 403 and "supervisor" in by_collector.json()["detail"]
    resolved = await api.call("POST", f"/cases/{ACCOUNT}/dispute/resolve", who="sue",
                              json={"outcome": "verified"})
    assert resolved.status_code == 200
    assert api.case().status is CaseStatus.ACTIVE
    assert ("DisputeResolved", "collector:sue") in api.events()
    again = await api.call("POST", f"/cases/{ACCOUNT}/dispute/resolve", who="sue",
                           json={"outcome": "verified"})
    assert again.status_code == 409 and "no open dispute" in again.json()["detail"]


async def test_protective_holds_are_set_and_cleared_with_who_and_why(api: Api) -> None:
    placed = await api.call("POST", f"/cases/{ACCOUNT}/holds",
                            json={"hold": "deceased", "reason": "daughter called"})
    assert placed.status_code == 201, placed.text
    assert Hold.DECEASED in api.case().holds
    assert api.events()[-1] == ("HoldPlaced", "collector:ann")
    view = (await api.call("GET", f"/cases/{ACCOUNT}")).json()
    assert view["holds"] == {"deceased": "daughter called"}
    respite = await api.call("POST", f"/cases/{ACCOUNT}/holds", json={
        "hold": "breathing_space", "reason": "notice", "until": "2027-02-01"})
    assert respite.status_code == 201, respite.text
    assert api.case().breathing_space_until == date(2027, 2, 1)
    refused = await api.call("POST", f"/cases/{ACCOUNT}/holds/deceased/clear", who="bob",
                             json={"reason": "not mine to clear"})
    assert refused.status_code == 403  # a collector sets protective holds, never clears them
    cleared = await api.call("POST", f"/cases/{ACCOUNT}/holds/deceased/clear", who="sue",
                             json={"reason": "wrong customer: it was her father's account"})
    assert cleared.status_code == 200
    assert Hold.DECEASED not in api.case().holds
    assert api.events()[-1][0] == "HoldReleased" and "sue" in api.events()[-1][1]


@pytest.mark.parametrize(("method", "path", "body", "code", "detail"), [
    ("POST", f"/cases/{ACCOUNT}/holds", {"hold": "human", "reason": "x"}, 409,
     "not a hold a person sets"),
    ("POST", f"/cases/{ACCOUNT}/holds", {"hold": "breathing_space", "reason": "x"}, 409,
     "needs its end date"),
    ("POST", f"/cases/{ACCOUNT}/holds", {"hold": "complaint"}, 422, None),
    ("POST", "/cases/NOPE/holds", {"hold": "complaint", "reason": "x"}, 404, "no case"),
    ("POST", f"/cases/{ACCOUNT}/holds/complaint/clear", {"reason": "x"}, 409,
     "no complaint hold"),
])
async def test_hold_mistakes_are_clear_4xx(api: Api, method: str, path: str, body: dict,
                                           code: int, detail: str | None) -> None:
    response = await api.call(method, path, json=body,
                              who="sue" if path.endswith("/clear") else "ann")
    assert response.status_code == code, response.text
    if detail:
        assert detail in response.json()["detail"]


async def test_case_view_is_masked(api: Api) -> None:
    view = (await api.call("GET", f"/cases/{ACCOUNT}")).json()
    assert view["account_id"] == ACCOUNT and view["balance"] == "1000.00"
    assert PHONE not in json.dumps(view)


# ------------------------------------------------------------------ CLI
def test_cli_take_reply_release_and_queue(sqlite_engine: Engine) -> None:
    runner = CliRunner()
    env = {"DUEBOT_DATABASE_URL": str(sqlite_engine.url)}
    container = bootstrap(Settings(_env_file=None), clock=FixedClock(  # type: ignore[call-arg]
        datetime.now(UTC)), engine=sqlite_engine)
    case = seed(container)
    add_work(container, case.id, "dispute", 20, datetime.now(UTC))

    def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(cli, list(args), env=env, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout + result.stderr

    code, out = invoke("users", "add", "ann", "--role", "collector", "--password-stdin",
                       input=PASSWORD + "\n")
    assert code == 0 and "API token" in out
    a = ("--account", ACCOUNT)
    code, out = invoke("conversations", "reply", *a, "--text", "hello", "--as", "ann")
    assert code == 1 and "take the conversation first" in out
    code, out = invoke("conversations", "take", *a, "--as", "ann")
    assert code == 0 and "held by ann" in out
    code, out = invoke("conversations", "take", *a, "--as", "nobody")
    assert code == 1 and "no active user 'nobody'" in out
    code, out = invoke("conversations", "take", *a)
    assert code == 1 and "on whose behalf (--as USER)" in out
    code, out = invoke("conversations", "reply", *a, "--text", "Hi Sam, Ann here.", "--as",
                       "ann")
    assert code == 0 and "reply queued" in out
    code, out = invoke("queue", "--json")
    assert code == 0
    [item] = json.loads(out)
    assert (item["kind"], item["account_id"], item["held_by"]) == ("dispute", ACCOUNT, "ann")
    code, out = invoke("queue")
    assert code == 0 and "1 open item" in out and "dispute" in out
    code, out = invoke("conversations", "release", *a, "--as", "ann")
    assert code == 0 and "handed back" in out and "1 queue item(s) closed" in out
    assert json.loads(invoke("queue", "--json")[1]) == []
    code, out = invoke("conversations", "release", *a, "--as", "ann")
    assert code == 1 and "not held" in out
    code, out = invoke("conversations", "take", "--account", "NOPE", "--as", "ann")
    assert code == 1 and "no case with account id 'NOPE'" in out
    code, out = invoke("conversations", "take", "--account")
    assert code == 2
    with container.uow() as uow:
        rows = uow.session.exec(select(MessageRow).where(
            MessageRow.actor == "collector:ann")).all()
        assert [r.body for r in rows] == ["Hi Sam, Ann here."]
        after = uow.cases.get(ACCOUNT)
        assert after is not None and after.held_by is None
