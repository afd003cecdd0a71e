"""``import_payments`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.domain.case import CaseStatus, PromiseStatus
from bot.services.csv_rows import CsvFormatError, ImportRejected
from storage.models import CaseEventRow, PaymentRow
from storage.uow import SqlUnitOfWork
from tests.services.test_import_helpers import (
    HEADER,
    case_row,
    counts,
    import_cases_file,
    import_payments_file,
    settings,
    write_csv,
)

PAY = ["account_id", "amount", "paid_at", "reference"]


@pytest.fixture
def book(engine, clock, tmp_path):
    """ACC-1..3 at 100.00 USD (ACC-1 has a 30.00 promise and a 20.00 one), ACC-4 in JPY."""
    path = write_csv(tmp_path / "book.csv", HEADER, [
        case_row(1), case_row(2), case_row(3), case_row(4, currency="JPY", balance="5000")])
    import_cases_file(path, SqlUnitOfWork(engine, clock), settings())
    with SqlUnitOfWork(engine, clock) as uow:
        uow.cases.get("ACC-1").make_promise(
            [(3_000, date(2026, 12, 5)), (2_000, date(2026, 12, 20))], clock.now(), "bot")
        uow.commit()
    return engine


def _pay(engine, clock, path, **kw):
    return import_payments_file(path, SqlUnitOfWork(engine, clock), **kw)


def test_payments_reduce_balances_keep_promises_and_close(book, clock, tmp_path):
    path = write_csv(tmp_path / "pay.csv", PAY, [
        ["ACC-1", "35.00", "2026-11-28", "BANK-1"],
        ["ACC-2", "100", "2026-11-29T10:30:00Z", "BANK-2"],
        ["ACC-3", "10.50", "2026-11-30T09:00:00+08:00", "BANK-3"],
        ["ACC-4", "5,000", "2026-11-30", "BANK-4"],
    ])
    report = _pay(book, clock, path)
    assert (report.rows, report.applied, report.duplicates, report.rejected) == (4, 4, 0, 0)
    with SqlUnitOfWork(book, clock) as uow:
        c1 = uow.cases.get("ACC-1")
        assert c1.balance_minor == 6_500
        assert [(p.status, p.paid_minor) for p in c1.promises] == [
            (PromiseStatus.KEPT, 3_000), (PromiseStatus.PENDING, 500)]
        assert c1.status is CaseStatus.PROMISED
        # a date without a time is midnight in the case's own zone (Los Angeles)
        assert c1.payments[0].paid_at == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
        c2 = uow.cases.get("ACC-2")
        assert c2.status is CaseStatus.CLOSED_PAID and c2.balance_minor == 0
        c3 = uow.cases.get("ACC-3")
        assert c3.balance_minor == 8_950
        assert c3.payments[0].paid_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
        c4 = uow.cases.get("ACC-4")
        assert c4.balance_minor == 0 and c4.status is CaseStatus.CLOSED_PAID
        logged = sorted(uow.events.for_case(c2.id), key=lambda e: e.id)
        assert [e.type for e in logged] == ["CaseOpened", "PaymentReceived", "StatusChanged",
                                            "CaseClosed"]
        # the payment's events carry the time the money moved, not the import's
        assert logged[1].at == datetime(2026, 11, 29, 10, 30, tzinfo=UTC)


def test_rerunning_the_file_applies_nothing_twice(book, clock, tmp_path):
    path = write_csv(tmp_path / "pay.csv", PAY, [
        ["ACC-1", "10.00", "2026-11-28", "BANK-1"],
        ["ACC-1", "10.00", "2026-11-28", "BANK-1"],  # the same line twice in one file
        ["ACC-2", "5.00", "2026-11-28", "BANK-2"],
    ])
    first = _pay(book, clock, path)
    assert (first.applied, first.duplicates) == (2, 1)
    events = counts(book)["events"]
    again = _pay(book, clock, path)
    assert (again.applied, again.duplicates, again.rejected) == (0, 3, 0)
    assert counts(book)["payments"] == 2 and counts(book)["events"] == events
    with SqlUnitOfWork(book, clock) as uow:
        assert uow.cases.get("ACC-1").balance_minor == 9_000
        assert uow.cases.get("ACC-2").balance_minor == 9_500


def test_a_reference_reused_for_another_payment_is_an_error(book, clock, tmp_path):
    _pay(book, clock, write_csv(tmp_path / "a.csv", PAY, [["ACC-1", "10", "2026-11-28", "R-1"]]))
    path = write_csv(tmp_path / "b.csv", PAY, [
        ["ACC-2", "10", "2026-11-28", "R-1"],  # another account
        ["ACC-1", "99", "2026-11-28", "R-1"],  # another amount
        ["ACC-3", "1", "2026-11-28", "R-2"],
        ["ACC-2", "1", "2026-11-28", "R-2"],  # in the same file
    ])
    with pytest.raises(ImportRejected) as info:
        _pay(book, clock, path)
    assert [(e.row, e.column) for e in info.value.errors] == [
        (2, "reference"), (3, "reference"), (5, "reference")]
    assert "already used" in info.value.errors[0].reason
    assert "ACC-" not in info.value.errors[0].reason  # no account number in the message


def test_row_errors_are_precise_and_atomic(book, clock, tmp_path):
    path = write_csv(tmp_path / "pay.csv", PAY, [
        ["ACC-1", "10.00", "2026-11-28", "OK-1"],
        ["ACC-404", "10.00", "2026-11-28", "E-1"],
        ["ACC-2", "10.005", "2026-11-28", "E-2"],
        ["ACC-2", "-3", "2026-11-28", "E-3"],
        ["ACC-2", "0", "2026-11-28", "E-4"],
        ["ACC-2", "abc", "2026-11-28", "E-5"],
        ["ACC-2", "1.00", "28/11/2026", "E-6"],
        ["ACC-4", "10.5", "2026-11-28", "E-7"],  # JPY has no decimals
        ["", "", "", ""],
        ["ACC-2", "1.00", "2027-06-01", "E-9"],  # in the future
        ["ACC-2", "1.00", "2026-11-28", "R" * 129],
    ])
    with pytest.raises(ImportRejected) as info:
        _pay(book, clock, path)
    got = [(e.row, e.column, e.reason) for e in info.value.errors]
    assert got[0] == (3, "account_id", "no such account")
    assert got[1][:2] == (4, "amount") and "more decimals than USD" in got[1][2]
    assert got[2] == (5, "amount", "must be positive")
    assert got[3] == (6, "amount", "must be positive")
    assert got[4][:2] == (7, "amount") and "not an amount" in got[4][2]
    assert got[5] == (8, "paid_at", "expected YYYY-MM-DD or an ISO-8601 date-time")
    assert got[6][:2] == (9, "amount") and "JPY" in got[6][2]
    assert [(r, c) for r, c, _ in got[7:11]] == [(10, "account_id"), (10, "amount"),
                                                  (10, "paid_at"), (10, "reference")]
    assert all(reason == "required" for *_, reason in got[7:11])
    assert got[11][:2] == (11, "paid_at") and "future" in got[11][2]
    assert got[12][:2] == (12, "reference") and "128" in got[12][2]
    assert len(got) == 13
    assert counts(book)["payments"] == 0
    with SqlUnitOfWork(book, clock) as uow:
        assert uow.cases.get("ACC-1").balance_minor == 10_000


def test_skip_invalid_applies_good_rows_and_writes_rejects(book, clock, tmp_path):
    path = write_csv(tmp_path / "pay.csv", PAY, [
        ["ACC-1", "10.00", "2026-11-28", "OK-1"],
        ["ACC-404", "10.00", "2026-11-28", "E-1"],
        ["ACC-2", "10.00", "2026-11-28", "OK-2"],
    ])
    rejects = tmp_path / "pay.rejects.csv"
    report = _pay(book, clock, path, skip_invalid=True, rejects_path=rejects)
    assert (report.applied, report.rejected) == (2, 1)
    with rejects.open(newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row == {"line": "3", "account_id": "ACC-404", "amount": "10.00",
                   "paid_at": "2026-11-28", "reference": "E-1",
                   "errors": "account_id: no such account"}
    assert counts(book)["payments"] == 2


def test_payment_on_written_off_case_is_a_row_error(book, clock, tmp_path):
    with SqlUnitOfWork(book, clock) as uow:
        uow.cases.get("ACC-3").write_off(clock.now(), "collector:ann", "uneconomic")
        uow.commit()
    path = write_csv(tmp_path / "pay.csv", PAY, [["ACC-3", "10", "2026-11-28", "W-1"]])
    with pytest.raises(ImportRejected) as info:
        _pay(book, clock, path)
    assert "written off" in info.value.errors[0].reason


def test_payments_file_level_errors(book, clock, tmp_path):
    path = tmp_path / "pay.csv"
    path.write_text("account_id,amount,reference\nACC-1,1,R\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match=r"missing required column.*paid_at"):
        _pay(book, clock, path)
    path.write_text("account_id,amount,paid_at,reference,memo\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match=r"unknown column.*'memo'"):
        _pay(book, clock, path)
    path.write_bytes("account_id,amount,paid_at,reference\nACC-1,1,2026-11-28,caf\xe9\n"
                     .encode("latin-1"))
    with pytest.raises(CsvFormatError, match=r"pay\.csv:2: the file is not UTF-8"):
        _pay(book, clock, path)


def test_payments_are_stored_once_with_their_event(book, clock, tmp_path):
    _pay(book, clock, write_csv(tmp_path / "pay.csv", PAY,
                                [["ACC-2", "12.34", "2026-11-28", "BANK-9"]]))
    with Session(book) as s:
        (row,) = s.exec(select(PaymentRow)).all()
        assert (row.reference, row.amount_minor) == ("BANK-9", 1_234)
        received = s.exec(select(CaseEventRow).where(
            CaseEventRow.type == "PaymentReceived")).one()
        assert received.payload == {"reference": "BANK-9", "amount_minor": 1_234,
                                    "balance_after_minor": 8_766}
        assert received.actor == "import"


def test_flushes_in_chunks_and_still_rolls_back_everything(book, clock, tmp_path, monkeypatch):
    from bot.services import importing

    monkeypatch.setattr(importing, "CHUNK", 2)
    seen: list[int] = []
    rows = [["ACC-2", "1.00", "2026-11-28", f"C-{n}"] for n in range(5)]
    good = write_csv(tmp_path / "good.csv", PAY, rows)
    report = _pay(book, clock, good, progress=seen.append)
    assert report.applied == 5 and seen and seen == sorted(seen)
    bad = write_csv(tmp_path / "bad.csv", PAY, [
        *([["ACC-3", "1.00", "2026-11-28", f"D-{n}"] for n in range(5)]),
        ["ACC-3", "x", "2026-11-28", "D-9"]])
    with pytest.raises(ImportRejected):
        _pay(book, clock, bad)
    with SqlUnitOfWork(book, clock) as uow:
        assert uow.cases.get("ACC-2").balance_minor == 9_500
        assert uow.cases.get("ACC-3").balance_minor == 10_000
    assert counts(book)["payments"] == 5


def test_daily_refresh_of_days_past_due(book, clock, tmp_path):
    from datetime import timedelta

    from bot.services.case_upkeep import update_days_past_due
    from storage.case_maintenance import SqlCaseMaintenance

    _pay(book, clock, write_csv(tmp_path / "pay.csv", PAY, [
        ["ACC-2", "100.00", "2026-11-28", "ALL-2"],  # closed: left alone
        ["ACC-3", "1.00", "2026-11-28", "SOME-3"],  # no minimum: still late
    ]))
    clock.advance(timedelta(days=10))
    assert update_days_past_due(SqlCaseMaintenance(book), clock.now()) == 3  # ACC-1, ACC-3, ACC-4
    with SqlUnitOfWork(book, clock) as uow:
        assert uow.cases.get("ACC-1").days_past_due == 40
        assert uow.cases.get("ACC-3").days_past_due == 40
        assert uow.cases.get("ACC-2").days_past_due == 30  # as imported
    assert update_days_past_due(SqlCaseMaintenance(book), clock.now()) == 0
