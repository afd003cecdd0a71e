"""A :class:`~bot.services.reports.Report` as a table (rich), CSV or JSON: one rendering
for ``duebot report`` and ``duebot simulate``, so the two print the same numbers the
same way."""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from rich.table import Table

from bot.services.reports import Counts, Report, Row

COUNTS = ("contacts", "cases", "right_party", "promises", "promised_cases", "kept", "broken",
          "cures", "opt_outs", "disputes", "complaints")


def _rate(n: int, of: int) -> str:
    return f"{n} ({n / of:.0%})" if of else str(n)


def _cells(c: Counts) -> list[str]:
    return [str(c.contacts), str(c.cases), _rate(c.right_party, c.contacts),
            f"{c.promises} ({c.promised_cases / c.cases:.0%})" if c.cases else str(c.promises),
            _rate(c.kept, c.promises), _rate(c.broken, c.promises), _rate(c.cures, c.cases),
            str(c.opt_outs), str(c.disputes), str(c.complaints)]


def _test(row: Row) -> str:
    parts = []
    for name, t in row.tests.items():
        if t.p_value is None:
            continue
        label = "promise" if name == "promise_rate" else "cure"
        parts.append(f"{label} p={t.p_value:.3f}{'*' if t.significant else ''}")
    if not parts:
        return ""
    champion = next(iter(row.tests.values())).champion
    return f"vs {champion}: " + ", ".join(parts)


def report_table(report: Report, title: str | None = None) -> Table:
    """Rows in campaign order (steps as the campaign lists them), then the total; for
    variants, the two-proportion tests against the champion (``*``: p < 0.05)."""
    period = ""
    if report.since or report.until:
        period = f" from {report.since or '…'} to {report.until or '…'}"
    table = Table(title=title or f"campaign outcomes by {report.by}{period}"
                  + (f", campaign {report.campaign}" if report.campaign else "")
                  + " (last-touch attribution)")
    for col in report.columns:
        table.add_column(col)
    for col in ("contacts", "cases", "right-party", "promises", "kept", "broken", "cures",
                "opt-outs", "disputes", "complaints"):
        table.add_column(col, justify="right")
    if report.by == "variant":
        table.add_column("A/B test")
    for row in report.rows:
        extra = [_test(row)] if report.by == "variant" else []
        table.add_row(*row.key, *_cells(row.counts), *extra)
    pad = [""] * (len(report.columns) - 1)
    table.add_row("[bold]total[/bold]", *pad, *_cells(report.total),
                  *([""] if report.by == "variant" else []))
    return table


def write_csv(report: Report, stream: IO[str]) -> None:
    """One line per row and a ``total`` line: the keys, every count and every rate, and
    for variants the tests' p-values."""
    rates = list(report.total.rates())
    tests = ["promise_rate_p", "cure_rate_p"] if report.by == "variant" else []
    w = csv.writer(stream)
    w.writerow([*report.columns, *COUNTS, *rates, *tests])

    def line(key: tuple[str, ...], c: Counts, row: Row | None) -> list[Any]:
        values: list[Any] = [*key, *(getattr(c, k) for k in COUNTS),
                             *("" if v is None else v for v in c.rates().values())]
        if tests:
            for name in ("promise_rate", "cure_rate"):
                t = row.tests.get(name) if row else None
                values.append("" if t is None or t.p_value is None else t.p_value)
        return values

    for row in report.rows:
        w.writerow(line(row.key, row.counts, row))
    w.writerow(line(("total", *[""] * (len(report.columns) - 1)), report.total, None))


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
