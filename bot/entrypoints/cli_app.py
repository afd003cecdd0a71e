"""Typer application behind ``duebot`` (see ``cli.main`` for the fast ``parse`` path).

Commands are thin: read arguments, call a service, render. User mistakes print a clear
message and exit non-zero without a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from bot.entrypoints.cli_errors import UserMistake, err, out, user_errors

app = typer.Typer(help="duebot: humane, lawful collection conversations.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
import_app = typer.Typer(help="Import portfolios and payments from CSV.", no_args_is_help=True)
case_app = typer.Typer(help="Look at cases.", no_args_is_help=True)
users_app = typer.Typer(help="Console and API users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(case_app, name="case")
app.add_typer(users_app, name="users")


T = TypeVar("T")


def container() -> Any:
    from bot.bootstrap import bootstrap

    return bootstrap()


def run(fn: Callable[[], T]) -> T:
    with user_errors():
        return fn()


# ------------------------------------------------------------------ db
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or upgrade it to the latest schema."""
    from storage.migrate import current_revision, upgrade

    def go() -> None:
        c = container()
        upgrade(c.engine)
        out.print(f"database at revision {current_revision(c.engine)}")

    run(go)


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from storage.migrate import current_revision, head_revision

    c = container()
    cur, head = current_revision(c.engine), head_revision()
    out.print(f"current {cur or '(empty)'}; latest {head}")
    if cur != head:
        raise typer.Exit(1)


# ------------------------------------------------------------------ import
def _progress(path: Path) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    progress = Progress("[progress.description]{task.description}", BarColumn(),
                        DownloadColumn(), TimeRemainingColumn(), console=err,
                        transient=True, disable=not err.is_terminal)
    return progress


def _import(kind: str, path: Path, skip_invalid: bool, rejects: Path | None) -> None:
    from bot.services.importing import ImportDefaults, import_cases, import_payments

    def go() -> None:
        c = container()
        _require_schema(c)
        rejects_path = rejects or path.with_name(path.stem + ".rejects.csv")

        def open_rejects() -> Any:
            return rejects_path.open("w", newline="", encoding="utf-8")

        with _progress(path) as progress, path.open("rb") as source:
            task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)

            def tick(done: int) -> None:
                progress.update(task, completed=done)

            if kind == "cases":
                s = c.settings
                defaults = ImportDefaults(s.default_region, s.default_timezone,
                                          s.default_language)
                report = import_cases(source, str(path), c.uow(), defaults,
                                      skip_invalid=skip_invalid, open_rejects=open_rejects,
                                      progress=tick)
            else:
                report = import_payments(source, str(path), c.uow(), skip_invalid=skip_invalid,
                                         open_rejects=open_rejects, progress=tick)
        if kind == "cases":
            out.print(f"{report.rows} rows: {report.created} cases created, "
                      f"{report.updated} updated, {report.rejected} rejected")
            for warning in report.warnings():
                err.print(f"warning: {escape(warning)}", highlight=False)
        else:
            out.print(f"{report.rows} rows: {report.applied} payments applied, "
                      f"{report.duplicates} already applied, {report.rejected} rejected")
        if report.rejects_written:
            err.print(f"rejected rows with reasons written to {rejects_path}")

    run(go)


def _require_schema(c: Any) -> None:
    from storage.migrate import current_revision, head_revision

    if current_revision(c.engine) != head_revision():
        raise UserMistake("the database schema is missing or old: run `duebot db upgrade`")


SkipInvalid = Annotated[bool, typer.Option("--skip-invalid",
                                           help="import good rows, write bad ones to a CSV")]
RejectsPath = Annotated[Path | None, typer.Option(help="where to write rejected rows")]


@import_app.command("cases")
def import_cases_cmd(file: Path, skip_invalid: SkipInvalid = False,
                     rejects: RejectsPath = None) -> None:
    """Import or update cases from a portfolio CSV (columns: see README)."""
    _import("cases", file, skip_invalid, rejects)


@import_app.command("payments")
def import_payments_cmd(file: Path, skip_invalid: SkipInvalid = False,
                        rejects: RejectsPath = None) -> None:
    """Apply payments (account_id, amount, paid_at, reference); idempotent on reference."""
    _import("payments", file, skip_invalid, rejects)


# ------------------------------------------------------------------ case
@case_app.command("show")
def case_show(account_id: str,
              as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False
              ) -> None:
    """State, holds, contact points (masked), promises, payments, messages and events."""
    from bot.services.case_view import case_view

    def go() -> None:
        c = container()
        _require_schema(c)
        campaigns = c.campaign_book
        with c.uow() as uow:
            view = case_view(uow, account_id, campaigns=campaigns)
        if view is None:
            raise UserMistake(f"no case with account id {account_id!r}")
        if as_json:
            sys.stdout.write(json.dumps(view, ensure_ascii=False, indent=2) + "\n")
            return
        _render_case(view)

    run(go)


def _render_case(v: dict[str, Any]) -> None:
    # every value comes from data (names, reasons, bodies): escaped, never rich markup
    out.print(f"[bold]{escape(v['account_id'])}[/bold]  {escape(v['customer'])}  "
              f"status [cyan]{v['status']}[/]"
              f"  balance {v['balance']} {v['currency']}  dpd {v['days_past_due']}"
              f" ({v['bucket']})  tz {v['timezone']}"
              + (" [yellow](ambiguous)[/]" if v["timezone_ambiguous"] else ""))
    out.print(f"campaign {escape(str(v['campaign'] or '(none)'))}  profile "
              f"{escape(str(v['profile'] or '(none)'))}"
              + ("  [yellow]time-barred[/]" if v["time_barred"] else ""), highlight=False)
    if v["validation"]:
        sent, ends = v["validation"]["notice_sent_at"], v["validation"]["period_ends"]
        out.print(f"validation notice: sent {sent}, period ends {ends}" if sent
                  else "validation notice: not sent yet", highlight=False)
    if v["holds"]:
        out.print("holds: " + escape(", ".join(f"{h} ({r})" if r else h
                                               for h, r in v["holds"].items())))
    if v["held_by"]:
        out.print(f"conversation held by {escape(v['held_by'])}")
    for title, rows, cols in (
        ("contact points", v["contact_points"],
         ["channel", "address", "consent", "usable", "unusable_because", "verified",
          "shared"]),
        ("promises", v["promises"], ["ref", "amount", "date", "status", "paid"]),
        ("payments", v["payments"], ["reference", "amount", "paid_at"]),
        ("messages", v["messages"],
         ["at", "direction", "channel", "to_or_from", "template", "status", "intent", "body"]),
        ("events", v["events"], ["at", "type", "actor", "payload"]),
    ):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for col in cols:
            table.add_column(col)
        for r in rows:
            table.add_row(*(escape(json.dumps(r[col], ensure_ascii=False))
                            if isinstance(r[col], dict)
                            else escape(str(r[col])) if r[col] is not None else ""
                            for col in cols))
        out.print(table)


@case_app.command("list")
def case_list(
    status: Annotated[list[str] | None, typer.Option(help="filter by status (repeatable)")] = None,
    limit: int = 50, offset: int = 0,
) -> None:
    """List cases, most days past due first."""
    from bot.domain.case import CaseStatus
    from bot.domain.money import from_minor

    def go() -> None:
        valid = {s.value for s in CaseStatus}
        for s in status or []:
            if s not in valid:
                raise UserMistake(f"unknown status {s!r}; one of: {', '.join(sorted(valid))}")
        c = container()
        _require_schema(c)
        with c.uow() as uow:
            rows = uow.cases.summaries(status, limit=limit, offset=offset)
            total = uow.cases.count(status)
        table = Table(title=f"{len(rows)} of {total} cases")
        for col in ("account", "status", "dpd", "balance", "segment", "risk", "holds"):
            table.add_column(col)
        for r in rows:
            table.add_row(escape(r.account_id), r.status, str(r.days_past_due),
                          f"{from_minor(r.balance_minor, r.currency)} {r.currency}",
                          escape(r.segment or ""), escape(r.risk_band or ""),
                          ",".join(r.holds))
        out.print(table)

    run(go)


# ------------------------------------------------------------------ users
@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin or collector")],
    password: Annotated[str | None, typer.Option(
        envvar="DUEBOT_NEW_USER_PASSWORD", help="prompted for when not given")] = None,
) -> None:
    """Add a console/API user; prints its API token once."""
    from bot.services.users import add_user

    def go() -> None:
        pw = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
        c = container()
        _require_schema(c)
        token = add_user(c.uow(), username, role, pw)
        out.print(f"user {escape(username.strip().lower())} ({escape(role)}) added; "
                  f"API token (shown once): {token}", highlight=False, soft_wrap=True)

    run(go)


# ------------------------------------------------------------------ parse (help entry)
@app.command("parse")
def parse_cmd() -> None:
    """Parse customer replies: JSON Lines on stdin → intents, opt-outs, promises on stdout."""
    from bot.entrypoints.parse_jsonl import run as run_parse

    raise typer.Exit(run_parse(sys.stdin, sys.stdout))


# ------------------------------------------------------------------ collectors
conversation_app = typer.Typer(help="Take over, answer and hand back a conversation.",
                               no_args_is_help=True)
app.add_typer(conversation_app, name="conversation")
AsUser = Annotated[str, typer.Option("--as", help="collector username", envvar="DUEBOT_USER")]


def _collector(c: Any, username: str) -> str:
    from bot.services.users import active_user

    with c.uow() as uow:
        user = active_user(uow, username)
    if user is None:
        raise UserMistake(f"no active user {username!r} (add one with `duebot users add`)")
    return user.username


def _handoff(action: str, account_id: str, who: str, text: str | None = None) -> None:
    from bot.services import handoff

    def go() -> None:
        c = container()
        _require_schema(c)
        name = _collector(c, who)
        try:
            with c.uow() as uow:
                if action == "take":
                    handoff.take(uow, account_id, name)
                    out.print(f"{account_id}: held by {name}; the bot is silent on this case")
                elif action == "release":
                    handoff.release(uow, account_id, name)
                    out.print(f"{account_id}: handed back to the bot")
                else:
                    assert text is not None
                    mid = handoff.reply(uow, account_id, name, text)
                    out.print(f"{account_id}: reply queued (message {mid})")
        except handoff.HandoffError as exc:
            raise UserMistake(str(exc)) from None

    run(go)


@conversation_app.command("take")
def conversation_take(account_id: str, who: AsUser) -> None:
    """Take over: from now on the bot sends nothing on this case."""
    _handoff("take", account_id, who)


@conversation_app.command("reply")
def conversation_reply(account_id: str, text: str, who: AsUser) -> None:
    """Send the customer a message as the collector holding the conversation."""
    _handoff("reply", account_id, who, text)


@conversation_app.command("release")
def conversation_release(account_id: str, who: AsUser) -> None:
    """Hand the conversation back to the bot."""
    _handoff("release", account_id, who)


@app.command("queue")
def queue_cmd(limit: int = 50,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Conversations that need a person, most urgent first."""
    from bot.services import handoff

    def go() -> None:
        c = container()
        _require_schema(c)
        with c.uow() as uow:
            items = handoff.queue(uow, limit)
        if as_json:
            sys.stdout.write(json.dumps([i.as_dict() for i in items], indent=2) + "\n")
            return
        table = Table(title=f"{len(items)} open item(s)")
        for col in ("id", "priority", "kind", "account", "held by", "due", "detail"):
            table.add_column(col)
        for i in items:
            table.add_row(str(i.id), str(i.priority), i.kind, i.account_id or "-",
                          i.held_by or "", i.due_at.isoformat() if i.due_at else "", i.detail)
        out.print(table)

    run(go)


def _mount() -> None:
    """Sub-apps living in their own modules."""
    from bot.entrypoints.cli_runtime import register
    from bot.entrypoints.cli_templates import app as templates_app

    app.add_typer(templates_app, name="templates")
    register(app)


_mount()
