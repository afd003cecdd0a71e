"""The ``duebot`` CLI through Typer's runner, against a SQLite file in a temporary directory."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.domain.clock import SystemClock
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from bot.entrypoints.cli_app import app
from storage.db import make_engine
from storage.models import CaseRow, UserRow
from storage.uow import SqlUnitOfWork

HEADER = "account_id,name,balance,currency,due_date,phone,email,country"
TODAY = datetime.now(UTC).date()
DUE = (TODAY - timedelta(days=40)).isoformat()
GOOD = "\n".join([
    HEADER,
    f"ACC-100001,Jordan Example,1240.50,USD,{DUE},(415) 555-0123,jordan.ex@example.com,US",
    f"ACC-100002,Sam Sample,99.99,GBP,{DUE},07400 123456,,GB",
    f"ACC-100003,Li Wei,5000,JPY,{DUE},,li.wei@example.com,",
]) + "\n"
PW = "a long enough password"

Invoke = Callable[..., Result]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory as cwd, with only the settings these tests choose."""
    for name in list(os.environ):
        if name.startswith("DUEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'duebot.db'}")
    monkeypatch.setenv("DUEBOT_DEFAULT_REGION", "US")
    monkeypatch.setenv("DUEBOT_DEFAULT_TIMEZONE", "America/New_York")
    monkeypatch.setenv("COLUMNS", "250")
    return tmp_path


@pytest.fixture
def duebot(workdir: Path) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None
               ) -> Result:
        result = runner.invoke(app, list(args), env=env, input=input)
        # a user mistake is a message and an exit code, never a traceback
        assert "Traceback" not in result.output and "Traceback" not in result.stderr
        if result.exit_code not in (0, 1, 2):
            raise AssertionError(f"exit {result.exit_code}: {result.output}") from \
                result.exception
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


@pytest.fixture
def db(duebot: Invoke, workdir: Path) -> Path:
    result = duebot("db", "upgrade")
    assert result.exit_code == 0, result.output
    return workdir / "duebot.db"


@pytest.fixture
def book(db: Path, duebot: Invoke, workdir: Path) -> Path:
    path = workdir / "book.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = duebot("import", "cases", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_db_upgrade_creates_the_database(duebot: Invoke, workdir: Path) -> None:
    assert duebot("db", "current").exit_code == 1  # no schema yet
    result = duebot("db", "upgrade")
    assert result.exit_code == 0 and "database at revision" in result.output
    assert (workdir / "duebot.db").exists()
    current = duebot("db", "current")
    assert current.exit_code == 0 and "current (empty)" not in current.output
    assert duebot("db", "upgrade").exit_code == 0  # again: nothing to do, still fine


@pytest.mark.parametrize("command", [
    ("import", "cases", "book.csv"), ("import", "payments", "pay.csv"),
    ("cases", "show", "--account", "ACC-1"), ("cases", "list"),
    ("users", "add", "ann", "--role", "admin", "--no-password"),
])
def test_commands_before_db_upgrade_say_what_to_do(duebot: Invoke, workdir: Path,
                                                   command: tuple[str, ...]) -> None:
    (workdir / "book.csv").write_text(GOOD, encoding="utf-8")
    (workdir / "pay.csv").write_text("account_id,amount,paid_at,reference\n", encoding="utf-8")
    result = duebot(*command)
    assert result.exit_code == 1
    assert "run `duebot db upgrade`" in _flat(result.stderr)


READ_ONLY = [("cases", "list"), ("cases", "show", "--account", "ACC-1"), ("queue", "list"),
             ("report",)]


@pytest.mark.parametrize(("command", "reads"),
                         zip(READ_ONLY, (True, False, True, False), strict=True))
def test_read_only_commands_on_an_old_schema_say_what_to_do(
        duebot: Invoke, workdir: Path, command: tuple[str, ...], reads: bool) -> None:
    """Read-only commands check no schema revision before they read (a command's start):
    on a database at the first revision, one whose tables and columns are all there reads
    them; one that misses any says what to do, never a traceback."""
    from storage.migrate import upgrade

    upgrade(make_engine(f"sqlite:///{workdir / 'duebot.db'}"), "0001")
    result = duebot(*command)
    if reads:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 1
        assert "run `duebot db upgrade`" in _flat(result.stderr)


@pytest.mark.parametrize("command", READ_ONLY)
def test_read_only_commands_on_a_database_that_cannot_be_opened(
        duebot: Invoke, workdir: Path, command: tuple[str, ...]) -> None:
    result = duebot(*command, env={
        "DUEBOT_DATABASE_URL": f"sqlite:///{workdir / 'no such directory' / 'duebot.db'}"})
    assert result.exit_code == 2
    assert "DUEBOT_DATABASE_URL: cannot open the database (unable to open database file)" \
        in _flat(result.stderr)


def test_import_cases(book: Path, duebot: Invoke) -> None:
    result = duebot("cases", "list")
    assert result.exit_code == 0
    assert "3 of 3 cases" in result.output
    for account in ("ACC-100001", "ACC-100002", "ACC-100003"):
        assert account in result.output
    assert "$1,240.50" in result.output and "¥5,000" in result.output  # Babel
    again = duebot("import", "cases", str(book))
    assert again.exit_code == 0
    assert "3 rows: 0 cases created, 3 updated, 0 rejected" in _flat(again.output)


def test_bad_csv_lists_every_problem_and_imports_nothing(db: Path, duebot: Invoke,
                                                         workdir: Path) -> None:
    path = workdir / "bad.csv"
    path.write_text(GOOD + f"ACC-4,X,12.345,USD,{DUE},,x@example.com,\n"
                    + f"ACC-5,Y,10,ABC,{DUE},123,,\n", encoding="utf-8")
    result = duebot("import", "cases", str(path))
    assert result.exit_code == 1
    err = _flat(result.stderr)
    assert f"{path}:5: balance: 12.345 has more decimals than USD allows" in err
    assert f"{path}:6: currency: not an ISO 4217 currency code: 'ABC'" in err
    assert f"{path}:6: phone: invalid phone number" in err
    assert "3 problem(s) in 5 row(s); nothing imported" in err
    assert "--skip-invalid" in err
    assert "0 of 0 cases" in duebot("cases", "list").output

    skipped = duebot("import", "cases", str(path), "--skip-invalid")
    assert skipped.exit_code == 0
    assert "5 rows: 3 cases created, 0 updated, 2 rejected" in _flat(skipped.output)
    rejects = workdir / "bad.rejects.csv"
    assert rejects.exists() and str(rejects) in _flat(skipped.stderr)
    assert "12.345" in rejects.read_text(encoding="utf-8")


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    (b"account_id,name\nA,B\n", "missing required column(s): balance, currency, due_date"),
    (b"\xff\xfeA\x00B\x00", "the file is not UTF-8 text"),
    (HEADER.encode() + b",shoe_size\n", "unknown column(s): 'shoe_size'"),
])
def test_file_problems(db: Path, duebot: Invoke, workdir: Path, content: bytes | None,
                       message: str) -> None:
    path = workdir / "book[v2].csv"  # brackets: not rich markup
    if content is not None:
        path.write_bytes(content)
    result = duebot("import", "cases", str(path))
    assert result.exit_code == 1
    assert message in _flat(result.stderr)
    assert "book[v2].csv" in result.stderr.replace("\n", "")


def test_a_directory_is_not_a_file(db: Path, duebot: Invoke, workdir: Path) -> None:
    (workdir / "folder.csv").mkdir()
    result = duebot("import", "cases", str(workdir / "folder.csv"))
    assert result.exit_code == 1 and "folder.csv" in result.stderr


def test_import_payments_and_rerun(book: Path, duebot: Invoke, workdir: Path) -> None:
    paid = (TODAY - timedelta(days=2)).isoformat()
    path = workdir / "pay.csv"
    path.write_text("account_id,amount,paid_at,reference\n"
                    f"ACC-100001,240.50,{paid},BANK-1\n"
                    f"ACC-100002,99.99,{paid},BANK-2\n", encoding="utf-8")
    first = duebot("import", "payments", str(path))
    assert first.exit_code == 0
    assert "2 rows: 2 payments applied, 0 already applied, 0 rejected" in _flat(first.output)
    again = duebot("import", "payments", str(path))
    assert "2 rows: 0 payments applied, 2 already applied, 0 rejected" in _flat(again.output)
    listed = duebot("cases", "list", "--status", "closed_paid").output
    assert "ACC-100002" in listed and "ACC-100001" not in listed
    shown = json.loads(duebot("cases", "show", "--account", "ACC-100001", "--json").output)
    assert shown["balance"] == "1000.00" and shown["payments"][0]["reference"] == "BANK-1"

    unknown = workdir / "unknown.csv"
    unknown.write_text(f"account_id,amount,paid_at,reference\nACC-999,1,{paid},X-1\n",
                       encoding="utf-8")
    result = duebot("import", "payments", str(unknown))
    assert result.exit_code == 1
    assert f"{unknown}:2: account_id: no such account" in _flat(result.stderr)


def _decorate(db: Path) -> None:
    """A promise, a hold, an opt-out and a message on ACC-100001."""
    engine = make_engine(f"sqlite:///{db}")
    clock = SystemClock()
    now = clock.now()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-100001")
        assert case is not None and case.id is not None
        case.make_promise([(50_000, TODAY + timedelta(days=5))], now, "bot")
        case.opt_out(ChannelKind.EMAIL, "jordan.ex@example.com", now, "unsubscribe")
        uow.outbox.enqueue([outbox_message(
            case_id=case.id, contact_point_id=None, channel="sms", address="+14155550123",
            body="Hello Jordan", subject=None, idempotency_key="m-1", now=now,
            purpose="dunning", template_id="first_notice")])
        uow.commit()
    engine.dispose()


def test_case_show_masks_addresses(book: Path, db: Path, duebot: Invoke) -> None:
    _decorate(db)
    for args in (("cases", "show", "--account", "ACC-100001"),
                 ("cases", "show", "--account", "ACC-100001", "--json")):
        result = duebot(*args)
        assert result.exit_code == 0
        text = result.output
        for secret in ("+14155550123", "4155550123", "jordan.ex@example.com", "(415) 555"):
            assert secret not in text
        assert "0123" in text and "j***@e***.com" in text
    view = json.loads(duebot("cases", "show", "--account", "ACC-100001", "--json").output)
    assert view["status"] == "promised" and view["currency"] == "USD"
    la_today = datetime.now(ZoneInfo("America/Los_Angeles")).date()  # the customer's day
    dpd = (la_today - date.fromisoformat(DUE)).days
    assert view["balance"] == "1240.50" and view["days_past_due"] == dpd
    assert view["bucket"] == "30-59"
    assert view["timezone"] == "America/Los_Angeles" and view["timezone_ambiguous"] is False
    cps = {c["channel"]: c for c in view["contact_points"]}
    assert cps["email"]["usable"] is False and cps["email"]["unusable_because"] == "opted_out"
    assert cps["sms"]["usable"] is True
    assert view["promises"] == [{"ref": "P1", "amount": "500.00",
                                 "date": (TODAY + timedelta(days=5)).isoformat(),
                                 "status": "pending", "paid": "0.00"}]
    (message,) = view["messages"]
    assert message["template"] == "first_notice" and message["to_or_from"].endswith("0123")
    types = [e["type"] for e in view["events"]]
    assert types[0] == "CaseOpened" and {"PromiseMade", "OptedOut"} <= set(types)
    human = _flat(duebot("cases", "show", "--account", "ACC-100001").output)
    assert "status promised" in human and "balance $1,240.50" in human
    assert f"dpd {dpd} (30-59)" in human and "first_notice" in human


def test_case_show_renders_names_with_brackets(db: Path, duebot: Invoke, workdir: Path) -> None:
    path = workdir / "odd.csv"
    path.write_text(HEADER + f"\nACC-7,[/b] Smith [red],10,USD,{DUE},+14155550199,,\n",
                    encoding="utf-8")
    assert duebot("import", "cases", str(path)).exit_code == 0
    shown = duebot("cases", "show", "--account", "ACC-7")
    assert shown.exit_code == 0 and "[/b] Smith [red]" in shown.output
    assert "[/b] Smith [red]" not in duebot("cases", "list").output  # names are not listed


def test_case_show_unknown_account(db: Path, duebot: Invoke) -> None:
    result = duebot("cases", "show", "--account", "ACC-404")
    assert result.exit_code == 1 and "no case with account id 'ACC-404'" in result.stderr


def test_case_list_filters(book: Path, db: Path, duebot: Invoke) -> None:
    _decorate(db)
    result = duebot("cases", "list", "--status", "promised")
    assert "1 of 1 cases" in result.output and "ACC-100001" in result.output
    both = duebot("cases", "list", "--status", "promised", "--status", "active")
    assert "3 of 3 cases" in both.output
    none = duebot("cases", "list", "--status", "disputed")
    assert none.exit_code == 0 and "0 of 0 cases" in none.output
    bad = duebot("cases", "list", "--status", "paid")
    assert bad.exit_code == 2 and "unknown status 'paid'" in bad.stderr
    assert "closed_paid" in bad.stderr
    page = duebot("cases", "list", "--limit", "1")
    assert "1 of 3 cases" in page.output


def test_users_add(db: Path, duebot: Invoke) -> None:
    result = duebot("users", "add", "ann", "--role", "admin", "--password-stdin",
                    input=f"{PW}\n")
    assert result.exit_code == 0
    assert "user ann (admin) added" in result.output
    token = result.output.strip().rsplit(" ", 1)[-1]
    assert len(token) >= 40
    api_only = duebot("users", "add", "Bob", "--role", "collector", "--no-password", "--json")
    assert api_only.exit_code == 0
    assert json.loads(api_only.output)["username"] == "bob"
    # no terminal and no --password-stdin: a usage error, not "Aborted."
    no_tty = duebot("users", "add", "cy", "--role", "collector")
    assert no_tty.exit_code == 2 and "--password-stdin" in _flat(no_tty.stderr)
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        assert sorted(s.exec(select(UserRow.username)).all()) == ["ann", "bob"]
    engine.dispose()
    listed = json.loads(duebot("users", "list", "--json").output)
    assert [(u["username"], u["role"], u["password"]) for u in listed] == [
        ("ann", "admin", True), ("bob", "collector", False)]

    dup = duebot("users", "add", "ann", "--role", "admin", "--password-stdin", input=PW)
    assert dup.exit_code == 1 and "user 'ann' already exists" in dup.stderr
    role = duebot("users", "add", "dee", "--role", "root", "--no-password")
    assert role.exit_code == 2 and "root" in _flat(role.stderr)
    short = duebot("users", "add", "dee", "--role", "admin", "--password-stdin", input="short")
    assert short.exit_code == 1 and "at least 10 characters" in short.stderr
    reserved = duebot("users", "add", "legal-review", "--role", "collector", "--no-password")
    assert reserved.exit_code == 1 and "reserved" in reserved.stderr
    assert PW not in dup.output + dup.stderr
    for args, said in ((("set-role", "bob", "--role", "supervisor"), "bob is now a supervisor"),
                       (("disable", "bob"), "bob disabled"), (("enable", "bob"), "bob enabled"),
                       (("revoke-token", "bob"), "API token revoked")):
        done = duebot("users", *args)
        assert done.exit_code == 0 and said in done.output
    rotated = json.loads(duebot("users", "rotate-token", "bob", "--json").output)
    assert len(rotated["token"]) >= 40
    audit = json.loads(duebot("audit", "--json").output)
    assert [a["action"] for a in audit][:3] == ["user.rotate_token", "user.revoke_token",
                                                "user.enable"]
    assert all(a["actor"].startswith("cli:") for a in audit)


def test_missing_role_is_a_usage_error(db: Path, duebot: Invoke) -> None:
    result = duebot("users", "add", "ann", "--no-password")
    assert result.exit_code == 2 and "--role" in result.stderr


def test_bad_database_url_is_a_configuration_error(duebot: Invoke) -> None:
    result = duebot("db", "upgrade", env={"DUEBOT_DATABASE_URL": "not a url"})
    assert result.exit_code != 0 and "DUEBOT_DATABASE_URL" in result.stderr


def test_imported_money_stays_integer(book: Path, db: Path) -> None:
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        rows = {r.account_id: r for r in s.exec(select(CaseRow)).all()}
    engine.dispose()
    assert rows["ACC-100001"].balance_minor == 124_050
    assert rows["ACC-100003"].balance_minor == 5_000
    assert rows["ACC-100002"].due_date == date.fromisoformat(DUE)


def test_holds_set_and_clear_record_who_and_why(book: Path, duebot: Invoke) -> None:
    for name, role in (("ann", "collector"), ("sue", "supervisor")):
        added = duebot("users", "add", name, "--role", role, "--password-stdin",
                       input=f"{PW}\n")
        assert added.exit_code == 0, added.output
    until = (TODAY + timedelta(days=60)).isoformat()
    result = duebot("holds", "set", "--account", "ACC-100001", "--hold", "breathing_space",
                    "--reason", "debt respite notice", "--until", until, "--as", "ann")
    assert result.exit_code == 0, result.output
    assert f"breathing_space hold set until {until}" in _flat(result.output)
    shown = json.loads(duebot("cases", "show", "--account", "ACC-100001", "--json").output)
    assert shown["holds"] == {"breathing_space": "debt respite notice"}
    assert shown["breathing_space_until"] == until
    placed = [e for e in shown["events"] if e["type"] == "HoldPlaced"][-1]
    assert placed["actor"].startswith("collector:ann")
    assert "until" in _flat(duebot("cases", "show", "--account", "ACC-100001").output)

    result = duebot("holds", "clear", "--account", "ACC-100001", "--hold", "breathing_space",
                    "--reason", "moratorium cancelled by the adviser", "--as", "sue")
    assert result.exit_code == 0, result.output
    shown = json.loads(duebot("cases", "show", "--account", "ACC-100001", "--json").output)
    assert shown["holds"] == {}
    released = [e for e in shown["events"] if e["type"] == "HoldReleased"][-1]
    assert released["actor"].startswith("collector:sue")
    assert released["payload"]["reason"] == "moratorium cancelled by the adviser"


@pytest.mark.parametrize(("args", "message"), [
    (("set", "--account", "ACC-100001", "--hold", "human", "--reason", "x", "--as", "ann"),
     "not a hold a person sets"),
    (("set", "--account", "ACC-100001", "--hold", "breathing_space", "--reason", "x",
      "--as", "ann"), "needs its end date"),
    (("set", "--account", "NOPE", "--hold", "vulnerable", "--reason", "x", "--as", "ann"),
     "no case"),
    (("clear", "--account", "ACC-100001", "--hold", "complaint", "--reason", "x", "--as",
      "sue"), "no complaint hold"),
])
def test_holds_mistakes_are_clear_errors(book: Path, duebot: Invoke, args: tuple[str, ...],
                                         message: str) -> None:
    for name, role in (("ann", "collector"), ("sue", "supervisor")):
        assert duebot("users", "add", name, "--role", role, "--password-stdin",
                      input=f"{PW}\n").exit_code == 0
    result = duebot("holds", *args)
    assert result.exit_code == 1, result.output
    assert message in _flat(result.output + result.stderr)


@pytest.mark.parametrize("until", ["1/2/27", "tomorrow"])
def test_a_breathing_space_end_date_is_a_date(book: Path, duebot: Invoke, until: str) -> None:
    result = duebot("holds", "set", "--account", "ACC-100001", "--hold", "breathing_space",
                    "--reason", "x", "--until", until)
    assert result.exit_code == 2 and "--until" in _flat(result.output + result.stderr)


def test_retention_purge_is_explicit_and_dry_runs(db: Path, duebot: Invoke) -> None:
    from bot.domain.case import Case
    from bot.domain.clock import FixedClock
    from bot.domain.contacts import ContactPoint

    engine = make_engine(f"sqlite:///{db}")
    past = FixedClock(datetime.now(UTC) - timedelta(days=365 * 4))
    with SqlUnitOfWork(engine, past) as uow:
        for account in ("OLD-1", "OLD-2"):
            case = uow.cases.add(Case(
                account_id=account, currency="USD", balance_minor=10_000,
                due_date=past.now().date(), customer_name="Old Customer",
                timezone="America/New_York", country="US",
                contacts=[ContactPoint(ChannelKind.SMS, f"+1415555{account[-1]}999")]))
            case.write_off(past.now(), "collector:ann", "closed long ago")
        uow.commit()
    engine.dispose()

    unset = duebot("retention", "purge", "--dry-run")
    assert unset.exit_code == 1 and "DUEBOT_RETENTION_YEARS" in _flat(unset.stderr)
    env = {"DUEBOT_RETENTION_YEARS": "3"}
    dry = duebot("retention", "purge", "--dry-run", env=env)
    assert dry.exit_code == 0, dry.output
    assert "OLD-1" in dry.output and "bank policy 3y" in _flat(dry.output)
    assert "2 closed case(s) would be anonymised" in _flat(dry.output)
    assert duebot("cases", "show", "--account", "OLD-1").exit_code == 0  # nothing changed
    done = duebot("retention", "purge", env=env)
    assert done.exit_code == 0 and "2 closed case(s) anonymised" in _flat(done.output)
    assert duebot("cases", "show", "--account", "OLD-1").exit_code == 1
    again = duebot("retention", "purge", env=env)
    assert "0 closed case(s) anonymised" in _flat(again.output)


def test_import_warns_about_shared_numbers_and_case_show_names_them(
        db: Path, duebot: Invoke, workdir: Path) -> None:
    """Issue #12: a number several customers hold is flagged at import, one warning per
    address naming the accounts; ``case show`` shows it and names the profile."""
    campaigns = str(Path(__file__).resolve().parents[2] / "campaigns")
    path = workdir / "shared.csv"
    path.write_text(HEADER + ",customer_id,telegram_chat_id\n"
                    f"ACC-1,Ann One,10,USD,{DUE},+14155550111,,,C-1,\n"
                    f"ACC-2,Bob Two,10,USD,{DUE},(415) 555-0111,,,C-2,\n"
                    f"ACC-3,Cat Three,10,USD,{DUE},+14155550333,,,C-3,\n", encoding="utf-8")
    result = duebot("import", "cases", str(path))
    assert result.exit_code == 0, result.stderr
    warning = _flat(result.stderr)
    assert "warning: sms +141****0111 is shared by 2 customers (accounts ACC-1, ACC-2)" in warning
    assert "4155550111" not in warning and "ACC-3" not in warning
    env = {"DUEBOT_CAMPAIGN_DIR": campaigns}
    assert duebot("campaigns", "import", env=env).exit_code == 0
    assert duebot("campaigns", "approve", "standard-retail-us", "--activate",
                  env=env).exit_code == 0
    view = json.loads(duebot("cases", "show", "--account", "ACC-2", "--json").output)
    assert [c["shared"] for c in view["contact_points"]] == [True]
    assert (view["campaign"]["id"], view["profile"]) == ("standard-retail-us", "US-RegF")
    assert view["validation"] == {"notice_sent_at": None, "period_ends": None}
    human = _flat(duebot("cases", "show", "--account", "ACC-2").output)
    assert "profile US-RegF" in human and "validation notice: not sent yet" in human

    group = workdir / "group.csv"
    group.write_text(HEADER + ",telegram_chat_id\n"
                     f"ACC-9,Dan Nine,10,USD,{DUE},,,,-1001234567890\n", encoding="utf-8")
    refused = duebot("import", "cases", str(group))
    assert refused.exit_code == 1
    assert "telegram_chat_id: not a private chat" in _flat(refused.stderr)
