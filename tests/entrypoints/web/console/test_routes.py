"""The console's routes without a browser (FastAPI's TestClient over the in-memory
application): sign-in and its cookie, the CSRF guard, roles (403 pages), bad input (a
4xx page with the reason, never a 5xx), and each area calling its use case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.reporting import campaign_report
from bot.services.roles import operator
from tests.entrypoints.web.console.helpers import (
    ACCOUNT,
    PASSWORD,
    PHONE,
    Console,
    client_for,
    console_app,
    seed_case,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def console(clock: FixedClock) -> Iterator[Console]:
    app = console_app(clock)
    with client_for(app) as client:
        yield Console(app, client)


def signed_in(console: Console, name: str) -> Console:
    assert console.login(name).status_code == 303
    return console


# ------------------------------------------------------------------ sign-in
def test_sign_in_sets_an_httponly_lax_session_cookie(console: Console) -> None:
    anonymous = console.client.get("/", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
    page = console.client.get("/inbox", follow_redirects=False)
    assert page.headers["location"] == "/login?next=/inbox"
    done = console.login("ann")
    assert (done.status_code, done.headers["location"]) == (303, "/inbox")
    cookie = next(c for c in done.headers.get_list("set-cookie")
                  if c.startswith("duebot_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    inbox = console.client.get("/inbox")
    assert inbox.status_code == 200 and "ann" in inbox.text
    for name, value in (("content-security-policy", "script-src 'self'"),
                        ("x-frame-options", "DENY")):
        assert value in inbox.headers[name]
    home = console.client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/inbox"


def test_a_wrong_password_is_refused_without_a_session(console: Console) -> None:
    refused = console.login("ann", "not-the-password")
    assert refused.status_code == 401 and "Wrong user name or password" in refused.text
    assert not any(c.startswith("duebot_session=")
                   for c in refused.headers.get_list("set-cookie"))
    assert console.client.get("/inbox", follow_redirects=False).status_code == 303
    # the sign-in form is CSRF-guarded too (its own token and cookie)
    forged = console.client.post("/login", data={"username": "ann", "password": PASSWORD},
                                 follow_redirects=False)
    assert forged.status_code == 403


def test_the_cookie_is_secure_over_https_and_behind_a_trusted_proxy(clock: FixedClock
                                                                    ) -> None:
    app = console_app(clock)
    with client_for(app, base_url="https://console.example") as https:
        done = Console(app, https).login("ann")
        assert "Secure" in done.headers["set-cookie"]
    with client_for(app) as plain:
        c = Console(app, plain)
        page = c.client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in page.headers["set-cookie"]  # the proxy is not trusted
    trusting = console_app(clock, trusted_proxy=True)
    with client_for(trusting) as proxied:
        page = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in page.headers["set-cookie"]


def test_signing_out_ends_the_session(console: Console) -> None:
    signed_in(console, "ann")
    assert console.post("/logout").headers["location"] == "/login"
    assert console.client.get("/inbox", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------ CSRF
def test_a_post_without_the_csrf_token_changes_nothing(console: Console) -> None:
    signed_in(console, "ann")
    for data, headers in (({}, {}), ({"csrf_token": "x" * 64}, {}),
                          ({}, {"X-CSRF-Token": "forged"})):
        refused = console.client.post(f"/cases/{ACCOUNT}/take", data=data, headers=headers,
                                      follow_redirects=False)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert console.case().held_by is None
    # another session's token is no good either
    other = Console(console.app, client_for(console.app))
    signed_in(other, "bob")
    stolen = other.csrf()
    refused = console.client.post(f"/cases/{ACCOUNT}/take", data={"csrf_token": stolen},
                                  follow_redirects=False)
    assert refused.status_code == 403 and console.case().held_by is None
    # the session's own token, as a form field or as htmx's header
    token = console.csrf()
    assert console.client.post(f"/cases/{ACCOUNT}/take", headers={"X-CSRF-Token": token},
                               follow_redirects=False).status_code == 303
    assert console.case().held_by == "ann"


# ------------------------------------------------------------------ roles
@pytest.mark.parametrize("path", ["/users", "/templates", "/templates/first_notice",
                                  "/campaigns/standard-retail-us/edit", "/campaigns-new",
                                  "/sandbox", "/review"])
def test_a_collector_gets_403_on_admin_pages(console: Console, path: str) -> None:
    signed_in(console, "ann")
    page = console.client.get(path)
    assert page.status_code == 403 and "Not allowed" in page.text


def test_a_collector_gets_403_on_admin_actions_and_nothing_changes(console: Console) -> None:
    signed_in(console, "ann")
    assert console.post("/users", {"username": "eve", "role": "admin",
                                   "password": PASSWORD}).status_code == 403
    assert console.post("/campaigns/standard-retail-us/pause").status_code == 403
    assert console.post(f"/cases/{ACCOUNT}/write-off", {"reason": "x"}).status_code == 403
    with console.app.c.uow() as uow:
        assert uow.users.get("eve") is None
    assert console.app.c.campaign_admin.states() == {"standard-retail-us": "active"}
    assert not console.case().closed


def test_a_supervisor_reviews_but_does_not_manage_users(console: Console) -> None:
    signed_in(console, "sue")
    assert console.client.get("/review").status_code == 200
    assert console.client.get("/users").status_code == 403
    nav = console.client.get("/inbox").text
    assert 'href="/review"' in nav and 'href="/users"' not in nav


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("path", "data", "words"), [
    (f"/cases/{ACCOUNT}/promise", {"amount_1": "abc", "date_1": "2026-12-05"}, "amount 1"),
    (f"/cases/{ACCOUNT}/promise", {"amount_1": "10", "date_1": "05/12/2026"}, "date 1"),
    (f"/cases/{ACCOUNT}/promise", {"amount_1": "NaN", "date_1": "2026-12-05"}, "amount 1"),
    (f"/cases/{ACCOUNT}/promise", {"amount_1": "5000", "date_1": "2026-12-05"},
     "more than the balance"),
    (f"/cases/{ACCOUNT}/plan", {"count": "99", "first_due": "2026-12-05"}, "instalments"),
    (f"/cases/{ACCOUNT}/hold", {"hold": "nonsense", "reason": "x"}, "not a hold"),
    (f"/cases/{ACCOUNT}/hold", {"hold": "vulnerable", "reason": "\x00"}, "NUL"),
    (f"/cases/{ACCOUNT}/note", {"text": ""}, "required"),
    (f"/cases/{ACCOUNT}/reply", {"text": "hi"}, "take the conversation first"),
])
def test_bad_input_is_answered_inline_with_a_4xx(console: Console, path: str,
                                                 data: dict[str, str], words: str) -> None:
    signed_in(console, "ann")
    answer = console.post(path, data)
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert words in answer.text
    assert 'role="alert"' in answer.text
    assert console.case().promises == []


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/cases/NOPE"), ("GET", "/cases/" + "x" * 80), ("GET", "/campaigns/nope"),
    ("GET", "/templates/nope"), ("GET", "/inbox?kind=nonsense"),
    ("GET", "/inbox/items?kind=nonsense"), ("GET", "/plan?run=1&limit=zero"),
    ("GET", "/plan?run=1&date=tomorrow"), ("GET", "/dashboard?from=2026-13-01"),
    ("GET", "/dashboard.csv?by=week"), ("GET", "/cases?status=nonsense"),
    ("POST", f"/cases/{ACCOUNT}/items/abc/done"), ("POST", "/cases/NOPE/take"),
    ("POST", f"/cases/{ACCOUNT}/items/99999/done"),
])
def test_malformed_requests_get_a_4xx_page_never_a_5xx(console: Console, method: str,
                                                       path: str) -> None:
    signed_in(console, "ada")
    if method == "GET":
        answer = console.client.get(path, headers={"accept": "text/html"})
    else:
        answer = console.post(path)
    assert 400 <= answer.status_code < 500, (path, answer.status_code)
    assert "<html" in answer.text


# ------------------------------------------------------------------ the inbox
def test_the_inbox_lists_items_filters_them_and_answers_204_while_nothing_changed(
        console: Console, clock: FixedClock) -> None:
    app = console.app
    seed_case(app, "ACC-1502", "+14155550151", language="zh", customer_name="Li Wei")
    with app.c.uow() as uow:
        for account, kind in ((ACCOUNT, WorkItemKind.DISPUTE), ("ACC-1502",
                                                                WorkItemKind.CALLBACK)):
            case = uow.cases.get(account)
            assert case is not None
            uow.work_items.add(work_item(kind, clock.now(), case_id=case.id))
        uow.commit()
    signed_in(console, "ann")
    page = console.client.get("/inbox").text
    assert page.index("Sam Lee") < page.index("Li Wei")  # a dispute before a callback
    assert 'hx-trigger="every 3s"' in page
    zh = console.client.get("/inbox/items?language=zh").text
    assert "Li Wei" in zh and "Sam Lee" not in zh
    assert "Li Wei" not in console.client.get("/inbox/items?kind=dispute").text
    digest = re.search(r"v=([0-9a-f]{16})", page)
    assert digest is not None
    assert console.client.get(f"/inbox/items?v={digest.group(1)}").status_code == 204
    console.post(f"/cases/{ACCOUNT}/take")
    again = console.client.get(f"/inbox/items?v={digest.group(1)}")
    assert again.status_code == 200 and "held by ann" in again.text
    mine = console.client.get("/inbox/items?holder=me").text
    assert "Sam Lee" in mine and "Li Wei" not in mine


# ------------------------------------------------------------------ case work
def test_take_reply_promise_and_hand_back(console: Console, clock: FixedClock) -> None:
    signed_in(console, "ann")
    assert console.post(f"/cases/{ACCOUNT}/take").headers["location"].endswith(
        "done=take#conversation")
    drafted = console.client.get(f"/cases/{ACCOUNT}/draft?template=how_to_pay&channel=sms")
    assert drafted.status_code == 200 and "https://" in drafted.text
    sent = console.post(f"/cases/{ACCOUNT}/reply", {"text": "Hi Sam, Ann here.",
                                                     "channel": "sms"})
    assert sent.status_code == 303
    made = console.post(f"/cases/{ACCOUNT}/promise", {"amount_1": "250", "date_1":
                                                       "2026-12-20"})
    assert made.status_code == 303
    page = console.client.get(f"/cases/{ACCOUNT}?done=promise").text
    assert "Promise recorded." in page and "Hi Sam, Ann here." in page
    assert "PromiseMade" in page and "250.00" in page
    assert console.post(f"/cases/{ACCOUNT}/release").status_code == 303
    case = console.case()
    assert case.held_by is None and len(case.pending_promises()) == 1


def test_a_reply_the_policy_refuses_shows_the_reason(console: Console,
                                                     clock: FixedClock) -> None:
    with console.app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        case.place_hold(Hold.ATTORNEY, clock.now(), "collector:sue", "represented")
        uow.commit()
    signed_in(console, "ann")
    console.post(f"/cases/{ACCOUNT}/take")
    refused = console.post(f"/cases/{ACCOUNT}/reply", {"text": "Hello"})
    assert refused.status_code == 409
    assert "hold_attorney" in refused.text and "represented by an attorney" in refused.text
    with console.app.c.uow() as uow:
        assert case.id is not None
        assert [m for m in uow.messages.for_case(case.id) if m.direction == "out"] == []


def test_reveal_needs_the_conversation_and_is_audited(console: Console) -> None:
    signed_in(console, "ann")
    page = console.client.get(f"/cases/{ACCOUNT}").text
    assert PHONE not in page and "Reveal" not in page  # masked; a collector must hold it
    console.post(f"/cases/{ACCOUNT}/take")
    assert "Reveal" in console.client.get(f"/cases/{ACCOUNT}").text
    empty = console.post(f"/cases/{ACCOUNT}/reveal", {"reason": ""})
    assert empty.status_code == 422 and PHONE not in empty.text
    shown = console.post(f"/cases/{ACCOUNT}/reveal", {"reason": "customer on the phone"})
    assert shown.status_code == 200 and PHONE in shown.text
    with console.app.c.uow() as uow:
        [entry] = uow.audit.recent(action="case.reveal")
    assert entry.actor == "collector:ann" and entry.target == ACCOUNT


def test_a_supervisor_resolves_a_dispute(console: Console, clock: FixedClock) -> None:
    with console.app.c.uow() as uow:
        case = uow.cases.get(ACCOUNT)
        assert case is not None
        case.open_dispute(clock.now(), "customer", "not mine")
        uow.commit()
    signed_in(console, "sue")
    review = console.client.get("/review").text
    assert ACCOUNT in review
    bad = console.post(f"/cases/{ACCOUNT}/dispute/resolve", {"outcome": "maybe"})
    assert bad.status_code == 422 and console.case().status.value == "disputed"
    assert console.post(f"/cases/{ACCOUNT}/dispute/resolve",
                        {"outcome": "verified"}).status_code == 303
    assert console.case().status.value != "disputed"
    assert "DisputeResolved" in console.client.get(f"/cases/{ACCOUNT}").text


# ------------------------------------------------------------------ campaigns
def test_a_campaign_edit_shows_problems_inline_then_is_approved_and_paused(
        console: Console) -> None:
    signed_in(console, "ada")
    text = console.app.c.campaign_admin.version(operator("t"), "standard-retail-us").body
    broken = text.replace("template: first_notice", "template: first_notise", 1)
    shown = console.post("/campaigns/standard-retail-us/edit", {"text": broken})
    assert shown.status_code == 422 and "1 problem" in shown.text
    assert "first_notise" in shown.text and "first_notice" in shown.text  # did you mean
    assert 'aria-invalid="true"' in shown.text
    renamed = console.post("/campaigns/standard-retail-us/edit",
                           {"text": text.replace("id: standard-retail-us", "id: other", 1)})
    assert renamed.status_code == 422 and "must stay" in renamed.text
    fixed = text.replace("name:", "name: Edited ·", 1)
    saved = console.post("/campaigns/standard-retail-us/edit", {"text": fixed})
    assert saved.status_code == 303 and "done=saved" in saved.headers["location"]
    [_, draft] = console.app.c.campaign_admin.versions(operator("t"), "standard-retail-us")
    assert draft.status == "draft"
    assert console.post("/campaigns/standard-retail-us/approve",
                        {"version": str(draft.version), "activate": "on"}).status_code == 303
    assert console.post("/campaigns/standard-retail-us/pause").status_code == 303
    assert console.app.c.campaign_admin.states() == {"standard-retail-us": "paused"}
    again = console.post("/campaigns/standard-retail-us/pause")  # nothing to pause: fine
    assert again.status_code == 303


def test_the_plan_view_explains_a_case(console: Console) -> None:
    signed_in(console, "sue")
    page = console.client.get(f"/plan?run=1&account={ACCOUNT}&date=2026-12-02")
    assert page.status_code == 200
    assert "standard-retail-us" in page.text and "risk" in page.text


# ------------------------------------------------------------------ templates
def test_a_template_preview_in_chinese_with_findings(console: Console, tmp_path: Path
                                                     ) -> None:
    signed_in(console, "ada")
    text = console.app.c.template_desk.source(operator("t"), "first_notice")
    shown = console.post("/templates/first_notice/preview",
                         {"text": text, "lang": "zh", "channel": "sms", "level": "",
                          "profile": "US-RegF"})
    assert shown.status_code == 200
    assert re.search(r"[\u4e00-\u9fff]", shown.text) and "No findings." in shown.text
    threat = text.replace("{{ opt_out }}", "We will sue you. {{ opt_out }}", 1)
    flagged = console.post("/templates/first_notice/preview",
                           {"text": threat, "lang": "en", "channel": "sms", "level": "",
                            "profile": "US-RegF"})
    assert "forbidden_phrase" in flagged.text
    unsaved = console.post("/templates/first_notice", {"text": text})
    assert unsaved.status_code == 422 and "DUEBOT_TEMPLATE_DIR" in unsaved.text


def test_a_template_is_saved_to_the_override_directory(clock: FixedClock,
                                                       tmp_path: Path) -> None:
    app = console_app(clock, template_dir=tmp_path)
    with client_for(app) as client:
        console = signed_in(Console(app, client), "ada")
        text = app.c.template_desk.source(operator("t"), "how_to_pay")
        bad = console.post("/templates/how_to_pay",
                           {"text": text.replace("{{ opt_out }}", "", 1)})
        assert bad.status_code == 422 and not (tmp_path / "how_to_pay.yaml").exists()
        assert console.post("/templates/how_to_pay", {"text": text}).status_code == 303
        assert (tmp_path / "how_to_pay.yaml").read_text(encoding="utf-8") == text


# ------------------------------------------------------------------ users
def test_an_admin_adds_a_user_and_sees_the_token_once(console: Console) -> None:
    signed_in(console, "ada")
    short = console.post("/users", {"username": "cat", "role": "collector",
                                    "password": "short"})
    assert short.status_code == 422 and "at least 10" in short.text
    added = console.post("/users", {"username": "cat", "role": "collector",
                                    "password": PASSWORD})
    assert added.status_code == 200 and "shown once" in added.text
    assert console.post("/users/cat/role", {"role": "supervisor"}).status_code == 303
    assert console.post("/users/ada/role", {"role": "collector"}).status_code == 422
    with console.app.c.uow() as uow:
        user = uow.users.get("cat")
        assert user is not None and user.role == "supervisor"


# ------------------------------------------------------------------ dashboard
def test_the_dashboard_shows_the_reports_numbers_and_exports_csv(console: Console) -> None:
    signed_in(console, "ann")
    page = console.client.get("/dashboard").text
    report = campaign_report(console.app.c.outcome_source, console.app.c.campaign_admin,
                             operator("t"))
    for name in ("contacts", "promises", "kept", "cures", "opt_outs", "disputes"):
        found = re.search(rf'data-count="{name}">(\d+)<', page)
        assert found is not None and int(found.group(1)) == getattr(report.total, name)
    assert "<svg" in page and 'role="img"' in page
    csv = console.client.get("/dashboard.csv?by=step")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("campaign,step,contacts")


# ------------------------------------------------------------------ sandbox phone
def test_the_sandbox_phone_answers_as_the_customer(console: Console) -> None:
    signed_in(console, "ada")
    page = console.client.get(f"/sandbox/{ACCOUNT}")
    assert page.status_code == 200 and "sms" in page.text
    sent = console.post(f"/sandbox/{ACCOUNT}", {"channel": "sms",
                                                "text": "I do not owe this, it is not mine"})
    assert sent.status_code in (200, 303)
    case = console.case()
    assert case.id is not None
    with console.app.c.uow() as uow:
        [got] = [m for m in uow.messages.for_case(case.id) if m.direction == "in"]
    assert got.channel == ChannelKind.SMS.value and got.reading is not None
    assert got.reading["intent"] == "dispute"
    assert "dispute" in console.client.get(f"/cases/{ACCOUNT}").text
    wrong = console.post(f"/sandbox/{ACCOUNT}", {"channel": "telegram", "text": "hi"})
    assert wrong.status_code == 409 and "no telegram contact point" in wrong.text


def test_every_console_post_route_refuses_a_request_without_the_token(console: Console
                                                                       ) -> None:
    from bot.entrypoints.web.console import NOT_CONSOLE

    def every(routes: list[Any]) -> Iterator[Any]:
        for r in routes:  # routers included in the app, as FastAPI keeps them
            inner = getattr(r, "original_router", None)
            yield from every(inner.routes) if inner is not None else [r]

    signed_in(console, "ada")
    routes = [r for r in every(console.client.app.routes)  # type: ignore[attr-defined]
              if "POST" in (getattr(r, "methods", None) or ())
              and not r.path.startswith(NOT_CONSOLE)]
    assert len(routes) >= 25
    for route in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1) == "item_id" else ACCOUNT
                      if m.group(1) == "account" else "standard-retail-us"
                      if m.group(1) == "campaign_id" else "ann", route.path)
        answer = console.client.post(path, data={"text": "x", "reason": "x"},
                                     follow_redirects=False)
        assert answer.status_code == 403, (route.path, answer.status_code)
    assert console.case().held_by is None and not console.case().closed
    assert console.app.c.campaign_admin.states() == {"standard-retail-us": "active"}
