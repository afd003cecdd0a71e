"""``import_cases`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain.case import CaseStatus, Hold
from bot.domain.messages import ChannelKind
from bot.services import importing
from bot.services.csv_rows import CsvFormatError, ImportRejected
from storage.models import CaseEventRow, ContactPointRow
from storage.uow import SqlUnitOfWork
from tests.services.test_import_helpers import (
    HEADER,
    case_row,
    counts,
    import_cases_file,
    settings,
    write_csv,
)


def _import(engine, clock, path, **kw):
    return import_cases_file(path, SqlUnitOfWork(engine, clock), settings(), **kw)


def test_import_creates_cases_customers_contacts_and_events(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", [*HEADER, "minimum_payment", "customer_id"], [
        [*case_row(1), "25.00", "CUST-A"],
        [*case_row(2, phone="+14155550001", email=""), "", "CUST-A"],  # same person
        [*case_row(3, currency="JPY", balance="15000"), "", ""],
        [*case_row(4, currency="BHD", balance="12.345", phone="", email="x4@example.com"), "",
         ""],
    ])
    report = _import(engine, clock, path)
    assert (report.rows, report.created, report.updated, report.rejected) == (4, 4, 0, 0)
    assert report.errors == []
    assert counts(engine) == {"customers": 3, "cases": 4, "contacts": 5, "events": 4,
                              "payments": 0}
    with SqlUnitOfWork(engine, clock) as uow:
        c1 = uow.cases.get("ACC-1")
        assert c1 is not None
        assert (c1.balance_minor, c1.minimum_payment_minor, c1.currency) == (10_000, 2_500, "USD")
        assert c1.status is CaseStatus.ACTIVE and c1.holds == {}
        assert c1.due_date == date(2026, 11, 1)
        assert c1.days_past_due == 30  # the clock says 2026-12-01
        assert c1.timezone == "America/Los_Angeles" and not c1.timezone_ambiguous
        # the name belongs to the customer (CUST-A): the last row of the file names them
        assert c1.customer_name == "Customer 2"
        assert uow.cases.get("ACC-3").customer_name == "Customer 3"
        # ACC-1 and ACC-2 belong to CUST-A and share its phone: one contact point
        assert {c.address for c in c1.contacts} == {"+14155550001", "c1@example.com"}
        assert uow.cases.get("ACC-3").balance_minor == 15_000  # JPY: no decimals
        assert uow.cases.get("ACC-4").balance_minor == 12_345  # BHD: three
        events = uow.events.for_case(c1.id)
        assert [e.type for e in events] == ["CaseOpened"]
        assert events[0].payload == {"balance_minor": 10_000, "currency": "USD"}
        assert events[0].actor == "import" and events[0].at == clock.now()


def test_bad_rows_are_all_reported_and_nothing_is_imported(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", HEADER, [
        case_row(1),
        case_row(2, balance="12,5x"),
        case_row(3),
        case_row(4, phone="12", email="no-at-sign"),
        case_row(1, name="Again"),  # duplicate of line 2
        case_row(6, currency=""),
    ])
    with pytest.raises(ImportRejected) as info:
        _import(engine, clock, path)
    found = [(e.row, e.column) for e in info.value.errors]
    assert found == [(3, "balance"), (5, "phone"), (5, "email"), (6, "account_id"),
                     (7, "currency")]
    dup = info.value.errors[3]
    assert dup.reason == "duplicate account_id (first on line 2)"
    assert all(e.file == str(path) for e in info.value.errors)
    assert str(dup) == f"{path}:6: account_id: duplicate account_id (first on line 2)"
    assert info.value.checked == 6
    assert counts(engine)["cases"] == 0 and counts(engine)["customers"] == 0


def test_atomic_across_chunks(engine, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 3)  # the first chunks are written, then undone
    rows = [case_row(n) for n in range(1, 11)] + [case_row(11, due_date="2026-13-01")]
    path = write_csv(tmp_path / "book.csv", HEADER, rows)
    with pytest.raises(ImportRejected):
        _import(engine, clock, path)
    assert counts(engine) == {"customers": 0, "cases": 0, "contacts": 0, "events": 0,
                              "payments": 0}


def test_skip_invalid_imports_good_rows_and_writes_rejects(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", HEADER, [
        case_row(1),
        case_row(2, due_date="2026/11/01"),
        case_row(3),
        case_row(4, balance="-1", email="bad@"),
    ])
    rejects = tmp_path / "book.rejects.csv"
    report = _import(engine, clock, path, skip_invalid=True, rejects_path=rejects)
    assert (report.rows, report.created, report.rejected) == (4, 2, 2)
    assert report.rejects_written
    assert counts(engine)["cases"] == 2
    with rejects.open(newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [r["line"] for r in written] == ["3", "5"]
    assert written[0]["due_date"] == "2026/11/01" and written[0]["account_id"] == "ACC-2"
    assert "due_date: expected YYYY-MM-DD" in written[0]["errors"]
    assert "balance: must not be negative" in written[1]["errors"]
    assert "email: invalid email address" in written[1]["errors"]
    # the rejects file can be fixed and imported as it is (line/errors columns aside)
    assert set(HEADER) <= set(written[0])


def test_reimport_upserts_without_duplicates_and_keeps_marks(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", HEADER, [case_row(1), case_row(2)])
    _import(engine, clock, path)
    at = clock.now()
    with SqlUnitOfWork(engine, clock) as uow:
        c1 = uow.cases.get("ACC-1")
        c1.opt_out(ChannelKind.SMS, "+14155550001", at, "STOP")
        c1.invalidate_contact(ChannelKind.EMAIL, "c1@example.com", at, "hard bounce")
        c1.make_promise([(5_000, date(2026, 12, 10))], at, "bot")
        c1.place_hold(Hold.VULNERABLE, at, "collector:ann")
        uow.cases.get("ACC-2").invalidate_contact(ChannelKind.SMS, "+14155550002", at,
                                                  "says wrong person", wrong_party=True)
        uow.commit()
    clock.advance(timedelta(days=1))
    path2 = write_csv(tmp_path / "book2.csv", HEADER, [
        case_row(1, balance="80.00", email="C1@Example.com", name="Customer One"),
        case_row(2),
        case_row(3),
    ])
    report = _import(engine, clock, path2)
    assert (report.created, report.updated) == (1, 2)
    assert counts(engine)["cases"] == 3 and counts(engine)["contacts"] == 6
    with SqlUnitOfWork(engine, clock) as uow:
        c1 = uow.cases.get("ACC-1")
        assert c1.balance_minor == 8_000 and c1.customer_name == "Customer One"
        assert c1.status is CaseStatus.PROMISED and Hold.VULNERABLE in c1.holds
        assert c1.days_past_due == 31
        sms = c1.contact(ChannelKind.SMS, "+14155550001")
        email = c1.contact(ChannelKind.EMAIL, "c1@example.com")
        assert sms.opted_out_at == at and sms.opt_out_source == "STOP"
        assert email.invalid_at == at and email.invalid_reason == "hard bounce"
        assert len(c1.contacts) == 2
        c2 = uow.cases.get("ACC-2")
        assert c2.contact(ChannelKind.SMS, "+14155550002").wrong_party_at == at
        types = [e.type for e in uow.events.for_case(c1.id)]
        assert types[0] == "CaseOpened" and types[-1] == "CaseUpdated"
    # the same file again: nothing new but update events
    before = counts(engine)
    report = _import(engine, clock, path2)
    assert (report.created, report.updated) == (0, 3)
    after = counts(engine)
    assert {k: after[k] for k in ("customers", "cases", "contacts")} == \
        {k: before[k] for k in ("customers", "cases", "contacts")}


def test_reimport_with_a_national_phone_format_finds_the_same_contact(engine, clock, tmp_path):
    _import(engine, clock, write_csv(tmp_path / "a.csv", HEADER,
                                     [case_row(1, phone="+14155550001")]))
    _import(engine, clock, write_csv(tmp_path / "b.csv", HEADER,
                                     [case_row(1, phone="(415) 555-0001")]))
    with Session(engine) as s:
        phones = s.exec(select(ContactPointRow.address).where(
            ContactPointRow.channel == "sms")).all()
    assert phones == ["+14155550001"]


def test_zero_balance_case_is_not_past_due(engine, clock, tmp_path):
    _import(engine, clock, write_csv(tmp_path / "a.csv", HEADER, [case_row(1, balance="0")]))
    with SqlUnitOfWork(engine, clock) as uow:
        assert uow.cases.get("ACC-1").days_past_due == 0


def test_ambiguous_timezone_is_stored_with_candidates(engine, clock, tmp_path):
    path = write_csv(tmp_path / "a.csv", [*HEADER, "timezone"], [
        [*case_row(1, phone="+18005550100"), ""],
        [*case_row(2, phone="+14155550002"), "America/Chicago"],
    ])
    _import(engine, clock, path)
    with SqlUnitOfWork(engine, clock) as uow:
        toll_free = uow.cases.get("ACC-1")
        assert toll_free.timezone_ambiguous and "America/Chicago" in toll_free.timezone_candidates
        moved = uow.cases.get("ACC-2")
        assert moved.timezone == "America/Chicago"
        assert moved.timezone_candidates == ("America/Chicago", "America/Los_Angeles")


@pytest.mark.parametrize(("content", "match"), [
    ("", "empty file or no header row"),
    ("account_id,name,balance,currency\nA,B,1,USD\n", ":1: missing required column.*due_date"),
    ("account_id,name,balance,currency,due_date,phone,colour\n", ":1: unknown column.*'colour'"),
    ("account_id,name,balance,currency,due_date,phone,\n", ":1: unknown column.*''"),
    ("account_id,name,balance,currency,due_date,phone,Phone\n", ":1: column.*twice: phone"),
])
def test_file_level_errors(engine, clock, tmp_path, content, match):
    path = tmp_path / "book.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CsvFormatError, match=match):
        _import(engine, clock, path)
    assert counts(engine)["cases"] == 0


def test_header_is_case_and_space_insensitive_and_a_bom_is_fine(engine, clock, tmp_path):
    path = tmp_path / "book.csv"
    header = " Account_ID ,NAME,Balance,Currency,Due_Date,Phone,Email"
    body = ",".join(case_row(1))
    path.write_bytes(("\ufeff" + header + "\r\n" + body + "\r\n").encode())
    assert _import(engine, clock, path).created == 1


def test_not_utf8_names_the_line(engine, clock, tmp_path):
    path = tmp_path / "book.csv"
    lines = [",".join(HEADER)] + [",".join(case_row(n)) for n in range(1, 4)]
    lines[3] = lines[3].replace("Customer 3", "Jos\xe9")
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    with pytest.raises(CsvFormatError, match=r"book.csv:4: the file is not UTF-8 text"):
        _import(engine, clock, path)
    assert counts(engine)["cases"] == 0


def test_unreadable_csv_is_a_format_error(engine, clock, tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(case_row(1)) + "\n"
                    + 'ACC-2,"' + "x" * 200_000 + '\n', encoding="utf-8")  # unclosed quote
    with pytest.raises(CsvFormatError, match=r"book\.csv:3: not readable as CSV"):
        _import(engine, clock, path)
    assert counts(engine)["cases"] == 0


def test_too_many_cells_keeps_the_row_in_the_rejects(engine, clock, tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(case_row(1)) + "\n"
                    + ",".join(case_row(2)) + ",extra,cells\n", encoding="utf-8")
    rejects = tmp_path / "r.csv"
    report = _import(engine, clock, path, skip_invalid=True, rejects_path=rejects)
    assert report.created == 1 and report.rejected == 1
    assert report.errors[0].row == 3 and "2 more cell(s)" in report.errors[0].reason
    with rejects.open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["account_id"] == "ACC-2" and row["phone"] == "+14155550002"


def test_quoted_multiline_cell_counts_lines_of_the_file(engine, clock, tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(",".join(HEADER) + "\n"
                    + 'ACC-1,"Jordan\nExample",1.00,USD,2026-11-01,+14155550001,\n'
                    + "ACC-2,Sam,x,USD,2026-11-01,+14155550002,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        _import(engine, clock, path)
    assert [(e.row, e.column) for e in info.value.errors] == [(4, "balance")]


def test_import_events_are_one_per_row(engine, clock, tmp_path):
    _import(engine, clock, write_csv(tmp_path / "a.csv", HEADER, [case_row(n) for n in (1, 2)]))
    with Session(engine) as s:
        assert sorted(s.exec(select(CaseEventRow.type)).all()) == ["CaseOpened", "CaseOpened"]


def test_unwritable_rejects_file_imports_nothing(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", HEADER, [case_row(1), case_row(2, balance="x")])
    with pytest.raises(OSError):
        _import(engine, clock, path, skip_invalid=True,
                rejects_path=tmp_path / "no-such-dir" / "rejects.csv")
    assert counts(engine)["cases"] == 0
