"""``duebot report``: campaign outcomes on the database, as a table, CSV or JSON."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer

from bot.entrypoints.cli_app import container, run
from bot.entrypoints.cli_errors import out


class By(StrEnum):
    STEP = "step"
    VARIANT = "variant"
    DAY = "day"


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=option) from None


def report_cmd(
    since: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD (UTC)")]
    = None,
    until: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (UTC)")]
    = None,
    campaign: Annotated[str | None, typer.Option(help="only this campaign's messages")]
    = None,
    by: Annotated[By, typer.Option(help="one row per step, per step and variant, or per "
                                        "day")] = By.VARIANT,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")]
    = Format.TABLE,
) -> None:
    """Campaign outcomes: contacts, right-party contacts, promises kept and broken, cures,
    opt-outs, disputes and complaints, with rates; for variants, a two-proportion test
    against the champion. Each outcome counts for the last campaign message before it."""
    from bot.entrypoints.cli_context import os_user
    from bot.services.report_formats import report_json, report_table, write_csv
    from bot.services.reporting import campaign_report
    from bot.services.roles import operator

    first, last = _day(since, "--from"), _day(until, "--to")
    if first and last and first > last:
        raise typer.BadParameter("--from is after --to", param_hint="--from")

    def go() -> None:
        c = container(schema=False, read_only=True)
        report = campaign_report(c.outcome_source, c.campaign_admin, operator(os_user()),
                                 by=by.value, since=first, until=last, campaign=campaign)
        if fmt is Format.JSON:
            sys.stdout.write(report_json(report) + "\n")
        elif fmt is Format.CSV:
            write_csv(report, sys.stdout)
        else:
            out.print(report_table(report))

    run(go)


def register(main: typer.Typer) -> None:
    main.command("report")(report_cmd)
