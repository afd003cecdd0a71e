"""What every ``duebot`` command shares: the consoles and how user mistakes are shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError

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

    # messages carry file names and values from the user's files: never rich markup
    try:
        yield
    except ConfigError as exc:
        for line in exc.lines:
            err.print(f"[red]configuration error:[/red] {escape(line)}", highlight=False,
                      soft_wrap=True)
        raise typer.Exit(USAGE) from None
    except CampaignError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(FAILURE) from None
    except (HandoffError, CaseWorkError, CampaignAdminError, Forbidden) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(FAILURE) from None
    except ImportRejected as exc:
        for e in exc.errors[:50]:
            err.print(f"[red]error[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        if len(exc.errors) > 50:
            err.print(f"... and {len(exc.errors) - 50} more")
        err.print(f"[red]{exc}[/red] (use --skip-invalid to import the good rows)")
        raise typer.Exit(1) from None
    except TemplateCheckError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except (CsvFormatError, UserError, TransitionError, UserMistake) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] no such file: {escape(str(exc.filename))}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except ConcurrentUpdateError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}: nothing was saved, run the command "
                  "again", highlight=False)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        from bot.entrypoints.cli_context import config_problems

        for line in config_problems(exc):
            err.print(f"[red]configuration error:[/red] {escape(line)}", highlight=False,
                      soft_wrap=True)
        raise typer.Exit(USAGE) from None
    except ArgumentError as exc:
        err.print(f"[red]configuration error:[/red] DUEBOT_DATABASE_URL: {escape(str(exc))}",
                  highlight=False)
        raise typer.Exit(2) from None
    except UnicodeDecodeError as exc:
        err.print(f"[red]error:[/red] the file is not UTF-8 text ({exc.reason})")
        raise typer.Exit(1) from None
    except OSError as exc:  # a directory, no permission, disk full...
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(where)}{escape(exc.strerror or str(exc))}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
