"""The console in a real browser: headless Chromium (Debian's ``/usr/bin/chromium``,
nothing downloaded) driven by Playwright, against the app under uvicorn over a SQLite
file seeded with a Faker portfolio (and the sign-in and inbox once on PostgreSQL).

One browser and one server per module, a fresh browser context per test. Screenshots
of the main pages go to ``DUEBOT_SCREENSHOTS`` (default: a temporary directory); the
README shows the ones in ``docs/console``. axe-core (vendored under ``vendor/``) checks
each main page: no serious or critical violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.case import CaseStatus
from bot.services.reporting import campaign_report
from bot.services.roles import operator
from tests.entrypoints.web.console.helpers import PASSWORD
from tests.entrypoints.web.console.served import Served, serve

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is not installed "
                                       "(apt-get install chromium)")

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("console")
    s = serve(f"sqlite:///{workdir / 'console.db'}", workdir)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("DUEBOT_SCREENSHOTS")
    where = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=WIDE)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def sign_in(page: Any, served: Served, name: str, password: str = PASSWORD) -> None:
    page.goto(served.url + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def signed_in(context: Any, served: Served, name: str) -> Any:
    page = context.new_page()
    sign_in(page, served, name)
    page.get_by_role("heading", name="Inbox").wait_for()
    return page


def shot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)


def case_with(served: Served, status: str | None = None, held: bool = False) -> str:
    """An open case no one holds (or with ``status``)."""
    with served.container.uow() as uow:
        for s in uow.cases.summaries([status] if status else ["active"], 200):
            case = uow.cases.get(s.account_id)
            if case is not None and (case.held_by is not None) == held and any(
                    c.channel.value == "sms" and c.usable for c in case.contacts):
                return s.account_id
    raise AssertionError(f"no {status or 'active'} case to work on")


# ------------------------------------------------------------------ sign-in
def test_sign_in_refuses_a_wrong_password_then_lets_the_user_in(context: Any, served: Served,
                                                                shots: Path) -> None:
    page = context.new_page()
    page.goto(served.url + "/")
    assert page.url.endswith("/login")
    shot(page, shots, "login")
    sign_in(page, served, "ann", "not-the-password")
    assert page.get_by_role("alert").inner_text() == "Wrong user name or password."
    assert "/login" in page.url
    sign_in(page, served, "ann")
    page.get_by_role("heading", name="Inbox").wait_for()
    cookie = next(c for c in context.cookies() if c["name"] == "duebot_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_sign_in_with_the_keyboard_alone(context: Any, served: Served) -> None:
    page = context.new_page()
    page.goto(served.url + "/login")
    # the user name has the focus, then the password, then the button
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("sue")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Inbox").wait_for()
    # on every page the first Tab reaches "Skip to content", drawn with a visible focus
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # then into the page: the inbox's first filter
    assert page.evaluate("document.activeElement.id") == "f-kind"


# ------------------------------------------------------------------ the live inbox
def test_a_sandbox_reply_appears_in_the_inbox_without_a_reload(context: Any, served: Served,
                                                              shots: Path) -> None:
    account = case_with(served)
    with served.container.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None
        name = case.customer_name
    page = signed_in(context, served, "ann")
    page.evaluate("window.__notReloaded = true")
    items = page.locator("#inbox-items")
    assert account not in items.inner_text()
    served.customer_says(account, "This is not my debt. I dispute it.")
    page.locator("#inbox-items li", has_text=account).wait_for(timeout=15_000)
    row = page.locator("#inbox-items li", has_text=account).inner_text()
    assert name in row and "dispute" in row and "I dispute it" in row
    assert page.evaluate("window.__notReloaded") is True
    shot(page, shots, "inbox")


# ------------------------------------------------------------------ case work
def test_take_over_reply_record_a_promise_and_hand_back(context: Any, served: Served,
                                                       shots: Path) -> None:
    account = case_with(served)
    page = signed_in(context, served, "ann")
    page.goto(f"{served.url}/cases/{account}")
    page.get_by_role("button", name="Take over").click()
    page.get_by_text("You hold the conversation").wait_for()
    page.get_by_label("Start from a template").select_option("how_to_pay")
    sync_api.expect(page.locator("#reply-body")).to_have_value(re.compile(r"https://"))
    page.get_by_label("Message").fill("Hello, this is Ann from Acme Bank. Can we agree a date?")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply queued").wait_for()
    page.get_by_text("Record a promise or a plan").click()
    page.get_by_label("Amount 1").fill("not money")
    page.get_by_label("Date 1").fill("2026-12-10")
    page.get_by_role("button", name="Record promise").click()
    assert "amount 1" in page.locator("#promise-error").inner_text()
    page.get_by_label("Amount 1").fill("120.50")
    page.get_by_role("button", name="Record promise").click()
    page.get_by_text("Promise recorded.").wait_for()
    timeline = page.locator(".timeline").inner_text()
    assert "Hello, this is Ann" in timeline and "120.50" in timeline
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, shots, "case")
    page.get_by_role("button", name="Hand back to the bot").click()
    page.get_by_text("Handed back to the bot.").wait_for()
    with served.container.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None
    assert case.held_by is None and case.status is CaseStatus.PROMISED
    assert [p.amount_minor for p in case.pending_promises()] == [12_050]


def test_a_supervisor_resolves_a_dispute(context: Any, served: Served) -> None:
    account = case_with(served)
    with served.container.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None
        case.open_dispute(served.container.clock.now(), "customer", "not mine")
        uow.commit()
    page = signed_in(context, served, "sue")
    page.get_by_role("link", name="Review", exact=True).click()
    page.locator("#disputes-h").wait_for()
    page.get_by_role("link", name=account).first.click()
    page.get_by_label("verified: the debt stands").check()
    page.get_by_role("button", name="Resolve dispute").click()
    page.get_by_text("Dispute resolved.").wait_for()
    assert "DisputeResolved" in page.locator(".timeline").inner_text()
    with served.container.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None and case.status is not CaseStatus.DISPUTED


# ------------------------------------------------------------------ admins
def test_an_admin_edits_a_campaign_sees_the_error_fixes_it_approves_and_pauses(
        context: Any, served: Served, shots: Path) -> None:
    page = signed_in(context, served, "ada")
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="standard-retail-us").click()
    page.get_by_role("link", name="Edit (a new draft)").click()
    editor = page.get_by_label("The campaign (YAML)")
    good = editor.input_value()
    editor.fill(good.replace("template: first_notice", "template: first_notise", 1))
    page.get_by_role("button", name="Save draft").click()
    problems = page.locator("#yaml-problems")
    problems.wait_for()
    assert "first_notise" in problems.inner_text()
    assert page.get_by_label("The campaign (YAML)").get_attribute("aria-invalid") == "true"
    shot(page, shots, "campaign-edit-error")
    page.get_by_label("The campaign (YAML)").fill(
        good.replace("name: Standard retail (US)", "name: Standard retail (US), edited", 1))
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved as a new draft version.").wait_for()
    page.get_by_label("and activate it").check()
    page.get_by_role("button", name=re.compile(r"Approve v\d+")).click()
    page.get_by_text("Version approved.").wait_for()
    page.get_by_role("button", name="Pause (stop sending)").click()
    page.get_by_text("Campaign paused").wait_for()
    assert served.container.campaign_admin.states() == {"standard-retail-us": "paused"}
    page.get_by_role("button", name="Resume").click()  # the other tests plan with it
    page.get_by_text("Campaign resumed.").wait_for()


def test_a_template_preview_in_chinese(context: Any, served: Served, shots: Path) -> None:
    page = signed_in(context, served, "ada")
    page.goto(served.url + "/templates/first_notice")
    page.locator("#lint-findings").wait_for()
    page.get_by_label("Language").select_option("zh")
    page.locator('pre[lang="zh"]').first.wait_for()
    text = page.locator('pre[lang="zh"]').first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]{4}", text), text
    assert page.locator("#lint-findings").inner_text() == "No findings."
    shot(page, shots, "template-preview-zh")


def test_a_collector_is_denied_an_admin_page(context: Any, served: Served) -> None:
    page = signed_in(context, served, "ann")
    assert page.get_by_role("link", name="Users", exact=True).count() == 0
    answer = page.goto(served.url + "/users")
    assert answer is not None and answer.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_a_post_without_the_csrf_token_is_rejected(context: Any, served: Served) -> None:
    account = case_with(served)
    page = signed_in(context, served, "ann")
    page.goto(f"{served.url}/cases/{account}")
    status = page.evaluate(f"""fetch('/cases/{account}/take', {{method: 'POST',
        headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: ''}})
        .then(r => r.status)""")
    assert status == 403
    with served.container.uow() as uow:
        case = uow.cases.get(account)
        assert case is not None and case.held_by is None


def test_the_dashboard_shows_the_numbers_of_duebot_report(context: Any, served: Served,
                                                         shots: Path) -> None:
    page = signed_in(context, served, "ann")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.locator("#totals").wait_for()
    report = campaign_report(served.container.outcome_source, served.container.campaign_admin,
                             operator("test"))
    shown = {name: int(page.locator(f'[data-count="{name}"]').inner_text())
             for name in ("contacts", "cases", "right_party", "promises", "kept", "broken",
                          "cures", "opt_outs", "disputes", "complaints")}
    assert shown == {name: getattr(report.total, name) for name in shown}
    assert shown["contacts"] > 0
    assert page.locator("svg#chart-steps").count() == 1
    shot(page, shots, "dashboard")


def test_the_sandbox_phone(context: Any, served: Served, shots: Path) -> None:
    account = case_with(served)
    page = signed_in(context, served, "ada")
    page.get_by_role("link", name="Sandbox phone", exact=True).click()
    page.get_by_label("Account id").fill(account)
    page.get_by_role("button", name="Open the phone").click()
    page.get_by_label("Message").fill("Can I pay next week?")
    page.get_by_role("button", name="Send as the customer").click()
    page.get_by_text("Sent as the customer.").wait_for()
    assert "Can I pay next week?" in page.locator(".sms-thread").first.inner_text()
    shot(page, shots, "sandbox-phone")


# ------------------------------------------------------------------ accessibility
MAIN_PAGES = ("/login", "/inbox", "/cases", "{case}", "/review", "/campaigns",
              "/campaigns/standard-retail-us", "/campaigns/standard-retail-us/edit",
              "/plan?run=1&limit=5", "/templates", "/templates/first_notice", "/users",
              "/dashboard", "/sandbox", "/sandbox/{account}")


def test_axe_finds_nothing_serious_on_the_main_pages(browser: Any, served: Served) -> None:
    ctx = browser.new_context(viewport=WIDE, bypass_csp=True)  # axe is injected inline
    try:
        page = signed_in(ctx, served, "ada")
        account = case_with(served)
        found = {}
        for path in MAIN_PAGES:
            if path == "/login":
                anonymous = browser.new_context(viewport=WIDE, bypass_csp=True)
                target = anonymous.new_page()
            else:
                target = page
            target.goto(served.url + path.format(case=f"/cases/{account}", account=account))
            if path.startswith("/templates/"):
                target.locator("#lint-findings").wait_for()
            target.add_script_tag(path=str(AXE))
            result = target.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
            if bad:
                found[path] = bad
            if path == "/login":
                anonymous.close()
        assert found == {}
    finally:
        ctx.close()


def test_the_inbox_and_a_case_fit_a_phone(browser: Any, served: Served, shots: Path) -> None:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = signed_in(ctx, served, "ann")
        wide = "document.documentElement.scrollWidth - window.innerWidth"
        assert page.evaluate(wide) <= 0
        shot(page, shots, "inbox-phone")
        page.goto(f"{served.url}/cases/{case_with(served)}")
        assert page.evaluate(wide) <= 0
    finally:
        ctx.close()


# ------------------------------------------------------------------ PostgreSQL
@pytest.mark.postgres
def test_sign_in_and_the_live_inbox_on_postgresql(browser: Any, pg_engine: Any,
                                                  tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    pg = serve(url, tmp_path, cases=12)
    ctx = browser.new_context(viewport=WIDE)
    try:
        page = signed_in(ctx, pg, "ann")
        account = case_with(pg)
        assert account not in page.locator("#inbox-items").inner_text()
        pg.customer_says(account, "please call me back tomorrow")
        page.locator("#inbox-items li", has_text=account).wait_for(timeout=15_000)
    finally:
        ctx.close()
        pg.stop()
