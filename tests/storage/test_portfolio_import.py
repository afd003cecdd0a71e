"""A 2,000-row synthetic portfolio imports the same on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain.money import to_minor
from bot.sim.portfolio import write_portfolio
from storage.db import make_engine
from storage.models import CaseRow, ContactPointRow, CustomerRow
from storage.uow import SqlUnitOfWork
from tests.conftest import _truncate_all
from tests.services.test_import_helpers import (
    counts,
    import_cases_file,
    settings,
)

N = 2_000


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_portfolio(tmp_path_factory.mktemp("portfolio") / "book.csv", N, seed=11,
                           today=date(2026, 12, 1))


def _snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    """Everything the import wrote, in a backend-neutral, ordered form."""
    with Session(engine) as s:
        cases = s.exec(select(CaseRow, CustomerRow)
                       .join(CustomerRow, col(CustomerRow.id) == col(CaseRow.customer_id))
                       .order_by(col(CaseRow.account_id))).all()
        contacts = s.exec(select(CustomerRow.external_ref, ContactPointRow)
                          .join(ContactPointRow,
                                col(ContactPointRow.customer_id) == col(CustomerRow.id))).all()
    out: list[tuple[Any, ...]] = [
        (c.account_id, cu.external_ref, cu.name, cu.date_of_birth, cu.id_last4, c.currency,
         c.balance_minor, c.minimum_payment_minor, c.due_date, c.days_past_due, c.status,
         c.timezone, tuple(c.timezone_candidates), c.language, c.country, c.segment,
         c.product, c.version)
        for c, cu in cases
    ]
    out += sorted((ref, cp.channel, cp.address, cp.consent, cp.consent_source, cp.role)
                  for ref, cp in contacts)
    return out


def _import(engine: Engine, clock: Any, path: Path) -> tuple[int, int]:
    report = import_cases_file(path, SqlUnitOfWork(engine, clock), settings())
    assert report.errors == [] and report.rows == N
    return report.created, report.updated


@pytest.mark.postgres
def test_synthetic_portfolio_imports_identically_on_both_backends(
        request: pytest.FixtureRequest, sqlite_engine: Engine, clock: Any,
        portfolio: Path) -> None:
    pg = make_engine(request.getfixturevalue("pg_database"))
    try:
        _truncate_all(pg)
        assert _import(sqlite_engine, clock, portfolio) == (N, 0)
        assert _import(pg, clock, portfolio) == (N, 0)
        lite, post = _snapshot(sqlite_engine), _snapshot(pg)
        assert counts(sqlite_engine) == counts(pg)
        assert lite == post
    finally:
        pg.dispose()


def test_portfolio_import_and_reimport(engine: Engine, clock: Any, portfolio: Path) -> None:
    assert _import(engine, clock, portfolio) == (N, 0)
    first = counts(engine)
    assert first["cases"] == N and first["customers"] == N and first["events"] == N
    with portfolio.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    phones = sum(1 for r in rows if r["phone"])
    emails = sum(1 for r in rows if r["email"])
    telegrams = sum(1 for r in rows if r["telegram_chat_id"])
    assert first["contacts"] == phones + emails + telegrams

    # a sample case matches its CSV row field by field
    row = rows[1234]
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get(row["account_id"])
        assert case is not None
        assert case.customer_name == row["name"]
        assert case.currency == row["currency"]
        assert case.balance_minor == to_minor(row["balance"], row["currency"])
        assert isinstance(case.balance_minor, int)
        assert case.minimum_payment_minor == to_minor(row["minimum_payment"], row["currency"])
        assert case.due_date == date.fromisoformat(row["due_date"])
        assert case.country == row["country"] and case.language == row["language"]
        assert case.segment == row["segment"] and case.product == row["product"]
        assert {c.address for c in case.contacts} == {
            v for v in (row["phone"], row["email"], row["telegram_chat_id"]) if v}
        expected_zone = {"GB": "Europe/London", "CN": "Asia/Shanghai"}.get(row["country"])
        if expected_zone:
            assert case.timezone == expected_zone
        assert not case.timezone_ambiguous

    # the same file again: every case updated, nothing duplicated
    assert _import(engine, clock, portfolio) == (0, N)
    again = counts(engine)
    assert {k: again[k] for k in ("customers", "cases", "contacts", "payments")} == \
        {k: first[k] for k in ("customers", "cases", "contacts", "payments")}
    assert again["events"] == 2 * N
