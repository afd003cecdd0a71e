"""What every ``duebot`` command shares: the consoles and how user mistakes are shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)


class UserMistake(Exception):
    """Raised by commands for a problem the user can fix; printed without a traceback."""


class ConfigError(Exception):
    """Settings that cannot work: one line per problem, each naming its variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


#: exit codes: 0 done, 1 failed (bad data, a refused action), 2 usage (arguments, settings)
FAILURE = 1
USAGE = 2


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a mistake the user can fix as one message (exit 1, or 2 for settings), never
    a traceback. The exception classes of the layers below are imported only when
    something went wrong: a command that succeeds does not pay for importing them."""
    # messages carry file names and values from the user's files: never rich markup
    try:
        yield
    except ConfigError as exc:
        for line in exc.lines:
            err.print(f"[red]configuration error:[/red] {escape(line)}", highlight=False,
                      soft_wrap=True)
        raise typer.Exit(USAGE) from None
    except UserMistake as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(FAILURE) from None
    except (typer.Exit, typer.Abort, click.ClickException):
        raise
    except Exception as exc:
        code = _explain(exc)
        if code is None:
            raise
        raise typer.Exit(code) from None


def _error(text: str) -> None:
    err.print(f"[red]error:[/red] {escape(text)}", highlight=False, soft_wrap=True)


def _explain(exc: Exception) -> int | None:
    """Print what went wrong when ``exc`` is a mistake the user can fix; returns the
    exit code, or None for anything else (a bug: the traceback is shown)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

    from bot.campaigns.parsing import CampaignError
    from bot.conversations.template_check import TemplateCheckError
    from bot.domain.case import TransitionError
    from bot.services.campaign_admin import CampaignAdminError
    from bot.services.case_work import CaseWorkError
    from bot.services.csv_rows import CsvFormatError, ImportRejected
    from bot.services.handoff import HandoffError
    from bot.services.ports import ConcurrentUpdateError
    from bot.services.roles import Forbidden
    from bot.services.users import UserError

    if isinstance(exc, CampaignError):
        _error(str(exc))
        return FAILURE
    if isinstance(exc, HandoffError | CaseWorkError | CampaignAdminError | Forbidden):
        _error(str(exc))
        return FAILURE
    if isinstance(exc, ImportRejected):
        for e in exc.errors[:50]:
            err.print(f"[red]error[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        if len(exc.errors) > 50:
            err.print(f"... and {len(exc.errors) - 50} more")
        err.print(f"[red]{exc}[/red] (use --skip-invalid to import the good rows)")
        return FAILURE
    if isinstance(exc, TemplateCheckError | CsvFormatError | UserError | TransitionError):
        _error(str(exc))
        return FAILURE
    if isinstance(exc, FileNotFoundError):
        err.print(f"[red]error:[/red] no such file: {escape(str(exc.filename))}",
                  highlight=False, soft_wrap=True)
        return FAILURE
    if isinstance(exc, ConcurrentUpdateError):
        err.print(f"[red]error:[/red] {escape(str(exc))}: nothing was saved, run the command "
                  "again", highlight=False)
        return FAILURE
    if isinstance(exc, ValidationError):
        from bot.entrypoints.cli_context import config_problems

        for line in config_problems(exc):
            err.print(f"[red]configuration error:[/red] {escape(line)}", highlight=False,
                      soft_wrap=True)
        return USAGE
    if isinstance(exc, ArgumentError):
        err.print(f"[red]configuration error:[/red] DUEBOT_DATABASE_URL: {escape(str(exc))}",
                  highlight=False)
        return USAGE
    if isinstance(exc, OperationalError) and exc.statement is None:
        # no statement: connecting failed (read-only commands do not check the database
        # first; the others say the same from ``cli_context.require_schema``)
        reason = str(exc.orig or exc).splitlines()[0]
        err.print("[red]configuration error:[/red] DUEBOT_DATABASE_URL: cannot open the "
                  f"database ({escape(reason)})", highlight=False, soft_wrap=True)
        return USAGE
    if isinstance(exc, OperationalError | ProgrammingError) and _schema_missing(exc):
        # read-only commands do not check the schema first: a missing table says it
        _error("the database schema is missing or old: run `duebot db upgrade`")
        return FAILURE
    if isinstance(exc, UnicodeDecodeError):
        err.print(f"[red]error:[/red] the file is not UTF-8 text ({exc.reason})")
        return FAILURE
    if isinstance(exc, OSError):  # a directory, no permission, disk full...
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(where)}{escape(exc.strerror or str(exc))}",
                  highlight=False, soft_wrap=True)
        return FAILURE
    return None


def _schema_missing(exc: Exception) -> bool:
    """A table or column the schema should have is not there (SQLite's "no such
    table/column", PostgreSQL's undefined table 42P01 / column 42703)."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in ("42P01", "42703"):
        return True
    message = str(orig or exc)
    return message.startswith(("no such table", "no such column"))
