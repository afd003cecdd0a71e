"""Shared helpers for the import tests (no tests here): CSV files, settings, row counts."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.services.importing import (
    ImportDefaults,
    ImportReport,
    import_cases,
    import_payments,
)
from bot.settings import Settings
from storage.models import CaseEventRow, CaseRow, ContactPointRow, CustomerRow, PaymentRow

HEADER = ["account_id", "name", "balance", "currency", "due_date", "phone", "email"]


def settings(**kw: Any) -> Settings:
    values: dict[str, Any] = {"default_region": "US", "default_timezone": "America/New_York",
                              "default_language": "en"}
    values.update(kw)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def import_cases_file(path: Path, uow: Any, settings: Settings, *,
                      rejects_path: Path | None = None, **kw: Any) -> ImportReport:
    """``import_cases`` on a file, as the CLI calls it."""
    defaults = ImportDefaults(settings.default_region, settings.default_timezone,
                              settings.default_language)
    with path.open("rb") as source:
        return import_cases(source, str(path), uow, defaults,
                            open_rejects=_opener(rejects_path), **kw)


def import_payments_file(path: Path, uow: Any, *, rejects_path: Path | None = None,
                         **kw: Any) -> ImportReport:
    """``import_payments`` on a file, as the CLI calls it."""
    with path.open("rb") as source:
        return import_payments(source, str(path), uow, open_rejects=_opener(rejects_path),
                               **kw)


def _opener(path: Path | None) -> Any:
    if path is None:
        return None
    return lambda: path.open("w", newline="", encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def case_row(n: int, **kw: str) -> list[str]:
    values = {"account_id": f"ACC-{n}", "name": f"Customer {n}", "balance": "100.00",
              "currency": "USD", "due_date": "2026-11-01",
              "phone": f"+1415555{n:04d}", "email": f"c{n}@example.com"}
    values.update(kw)
    return [values[h] for h in HEADER]


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            name: int(s.exec(select(func.count()).select_from(model)).one())
            for name, model in (("customers", CustomerRow), ("cases", CaseRow),
                                ("contacts", ContactPointRow), ("events", CaseEventRow),
                                ("payments", PaymentRow))
        }
