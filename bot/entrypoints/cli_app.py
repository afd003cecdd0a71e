"""Typer application behind ``duebot`` (see ``cli.main`` for the fast ``parse`` path).

One command line, as ``git`` and ``gh`` do it: plural groups (``cases``, ``users``,
``campaigns``, ``conversations``, ``holds``), one option name per concept (``--account``
for a case, ``--as`` for the person acted for), ``--json`` wherever a script reads the
output, ``-h``/``--help`` and ``--version``. Exit codes: 0 done, 1 failed (bad data, a
refused action), 2 usage (arguments, settings). Commands are thin: read arguments, call a
use case, render; a user's mistake is one message, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from bot.entrypoints.cli_errors import err, out, user_errors

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _typer(help_text: str, *, no_args_is_help: bool = True) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=no_args_is_help,
                       context_settings=CONTEXT, pretty_exceptions_enable=False,
                       add_completion=False)


app = _typer("duebot: humane, lawful collection conversations.")
db_app = _typer("Database schema.")
import_app = _typer("Import portfolios and payments from CSV.")
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")

T = TypeVar("T")
Json = Annotated[bool, typer.Option("--json", help="machine-readable output (JSON)")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            out.print(f"duebot {version('duebot')}", highlight=False)
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            out.print("duebot (not installed)")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")]
         = False) -> None:
    """duebot: humane, lawful collection conversations."""
    from bot.entrypoints.cli_context import warn_unknown_variables

    warn_unknown_variables()


def container(*, schema: bool = True) -> Any:
    from bot.entrypoints.cli_context import container as make

    return make(schema=schema)


def run(fn: Callable[[], T]) -> T:
    with user_errors():
        return fn()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


# ------------------------------------------------------------------ db
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or upgrade it to the latest schema."""
    from storage.migrate import current_revision, upgrade

    def go() -> None:
        c = container(schema=False)
        upgrade(c.engine)
        out.print(f"database at revision {current_revision(c.engine)}")

    run(go)


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database (exit 1 when it is not the latest)."""
    from storage.migrate import current_revision, head_revision

    def go() -> None:
        c = container(schema=False)
        cur, head = current_revision(c.engine), head_revision()
        out.print(f"current {cur or '(empty)'}; latest {head}")
        if cur != head:
            raise typer.Exit(1)

    run(go)


# ------------------------------------------------------------------ import
def _progress() -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(),
                    DownloadColumn(), TimeRemainingColumn(), console=err,
                    transient=True, disable=not err.is_terminal)


def _import(kind: str, path: Path, skip_invalid: bool, rejects: Path | None,
            as_json: bool) -> None:
    from bot.services.importing import ImportDefaults, import_cases, import_payments

    def go() -> None:
        c = container()
        rejects_path = rejects or path.with_name(path.stem + ".rejects.csv")

        def open_rejects() -> Any:
            return rejects_path.open("w", newline="", encoding="utf-8")

        with _progress() as progress, path.open("rb") as source:
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
        if as_json:
            values = {k: getattr(report, k) for k in ("rows", "created", "updated",
                                                      "applied", "duplicates", "rejected")
                      if hasattr(report, k)}
            values["rejects_file"] = str(rejects_path) if report.rejects_written else None
            if kind == "cases":
                values["warnings"] = list(report.warnings())
            print_json(values)
        elif kind == "cases":
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


SkipInvalid = Annotated[bool, typer.Option("--skip-invalid",
                                           help="import good rows, write bad ones to a CSV")]
RejectsPath = Annotated[Path | None, typer.Option(help="where to write rejected rows")]


@import_app.command("cases")
def import_cases_cmd(file: Path, skip_invalid: SkipInvalid = False,
                     rejects: RejectsPath = None, as_json: Json = False) -> None:
    """Import or update cases from a portfolio CSV (columns: see README)."""
    _import("cases", file, skip_invalid, rejects, as_json)


@import_app.command("payments")
def import_payments_cmd(file: Path, skip_invalid: SkipInvalid = False,
                        rejects: RejectsPath = None, as_json: Json = False) -> None:
    """Apply payments (account_id, amount, paid_at, reference); idempotent on reference."""
    _import("payments", file, skip_invalid, rejects, as_json)


# ------------------------------------------------------------------ parse (help entry)
@app.command("parse")
def parse_cmd() -> None:
    """Parse customer replies: JSON Lines on stdin → intents, opt-outs, promises on stdout."""
    from bot.entrypoints.parse_jsonl import run as run_parse

    raise typer.Exit(run_parse(sys.stdin, sys.stdout))


def _mount() -> None:
    """Groups living in their own modules."""
    from bot.entrypoints import cli_campaigns, cli_cases, cli_report, cli_users
    from bot.entrypoints.cli_retention import app as retention_app
    from bot.entrypoints.cli_runtime import register
    from bot.entrypoints.cli_templates import app as templates_app

    cli_cases.register(app)
    cli_users.register(app)
    cli_campaigns.register(app)
    cli_report.register(app)
    app.add_typer(templates_app, name="templates")
    app.add_typer(retention_app, name="retention")
    register(app)


_mount()
