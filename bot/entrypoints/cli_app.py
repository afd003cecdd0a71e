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


#: the application with the commands defined here; ``app`` (below) has every command
_app = _typer("duebot: humane, lawful collection conversations.")
db_app = _typer("Database schema.")
import_app = _typer("Import portfolios and payments from CSV.")
_app.add_typer(db_app, name="db")
_app.add_typer(import_app, name="import")

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


@_app.callback()
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")]
         = False) -> None:
    """duebot: humane, lawful collection conversations."""
    from bot.entrypoints.cli_context import warn_unknown_variables

    warn_unknown_variables()


def container(*, schema: bool = True, read_only: bool = False) -> Any:
    from bot.entrypoints.cli_context import container as make

    return make(schema=schema, read_only=read_only)


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
@_app.command("parse")
def parse_cmd() -> None:
    """Parse customer replies: JSON Lines on stdin → intents, opt-outs, promises on stdout."""
    from bot.entrypoints.parse_jsonl import run as run_parse

    raise typer.Exit(run_parse(sys.stdin, sys.stdout))


#: the commands and groups the other modules add, by module (hidden aliases too): a
#: command line naming one of them imports that module only, and Typer builds that
#: module's commands only (building all of them costs every command's start)
MODULES: dict[str, tuple[str, ...]] = {
    "bot.entrypoints.cli_cases": ("cases", "case", "conversations", "conversation",
                                  "queue", "holds"),
    "bot.entrypoints.cli_users": ("users", "audit"),
    "bot.entrypoints.cli_campaigns": ("campaigns", "pause", "resume"),
    "bot.entrypoints.cli_report": ("report",),
    "bot.entrypoints.cli_templates": ("templates",),
    "bot.entrypoints.cli_retention": ("retention",),
    "bot.entrypoints.cli_runtime": ("plan", "run", "scheduler", "worker", "serve",
                                    "receive", "check", "simulate", "sandbox"),
}
_mounted: set[str] = set()


def _mount(module: str) -> None:
    """Add the commands of ``module`` (a key of :data:`MODULES`) to the application."""
    if module in _mounted:
        return
    from importlib import import_module

    import_module(module).register(_app)
    _mounted.add(module)


def application(args: list[str]) -> typer.Typer:
    """The application for the command line ``args``: when they name a command of
    :data:`MODULES` first, with that module's commands only; otherwise (the top-level
    help, a mistyped name, an option first) with every command."""
    name = args[0] if args and not args[0].startswith("-") else None
    owner = next((m for m, names in MODULES.items() if name in names), None)
    for module in [owner] if owner is not None else MODULES:
        _mount(module)
    return _app


def __getattr__(name: str) -> typer.Typer:
    """``app``: the application with every command (tests, documentation, embedding)."""
    if name == "app":
        return application([])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
