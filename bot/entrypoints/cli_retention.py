"""``duebot retention purge [--dry-run]``: anonymise closed cases past their keep period.

Never run by the scheduler: someone runs it (see ``bot/services/retention.py`` for the
rules: the longest of every applicable profile's minimum and ``DUEBOT_RETENTION_YEARS``,
never a case under a legal hold, an open dispute or complaint).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.entrypoints.cli_errors import UserMistake, err, out, user_errors

app = typer.Typer(help="Records retention: anonymise closed cases past their keep period.",
                  no_args_is_help=True)


@app.command("purge")
def purge_cmd(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="list what would be anonymised; change nothing")] = False,
) -> None:
    """Anonymise closed cases whose keep period has passed (names, addresses, message
    texts, free-text reasons; amounts, dates and outcomes stay for reports)."""
    from bot.bootstrap import bootstrap
    from bot.policy.profiles import PROFILES
    from bot.services.retention import RetentionError, RetentionPolicy, purge
    from storage.migrate import current_revision, head_revision

    with user_errors():
        c = bootstrap()
        if current_revision(c.engine) != head_revision():
            raise UserMistake("the database schema is missing or old: run `duebot db upgrade`")
        try:
            policy = RetentionPolicy(c.profile, PROFILES.values(), c.settings.retention_years)
        except RetentionError as exc:
            raise UserMistake(str(exc)) from None
        report = purge(c.retention, policy, c.clock.now(), dry_run=dry_run,
                       actor="retention-purge")
        if report.purged:
            table = Table(title=("would anonymise" if dry_run else "anonymised"),
                          title_justify="left")
            for col in ("account", "last activity", "kept for"):
                table.add_column(col, no_wrap=True)
            for account, last, keep in report.purged:
                table.add_row(escape(account), last.date().isoformat(), escape(keep.basis))
            out.print(table)
        for account, holds in report.kept_on_hold:
            err.print(f"kept: {escape(account)} ({escape(', '.join(holds))})", highlight=False)
        out.print(escape(report.summary()), highlight=False)


def register(main: typer.Typer) -> None:
    """Add the ``retention`` group to the main ``duebot`` app."""
    main.add_typer(app, name="retention")
