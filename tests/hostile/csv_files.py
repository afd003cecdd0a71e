"""Fifty-four hostile CSV files for ``duebot import cases|payments``, and how to judge one.

The files are generated (:func:`corpus`): NUL bytes and other control characters in
cells and headers, spreadsheet formulas in rejected and accepted rows, encodings that are
not UTF-8, broken CSV, absurd numbers and dates, over-long values, look-alike account
ids. A file is *clean* (:func:`judge`) when importing it, atomically and then with
``--skip-invalid``:

* raises nothing but the importer's own report (``ImportRejected``, ``CsvFormatError``),
  every problem given as ``file:line: column: reason`` (the columns the file is about
  among them);
* stores all of its rows or none of them (atomic mode);
* stores no value holding a NUL or another control character;
* writes a rejects file without a live formula (a cell starting with ``= + - @``, tab
  or CR that is not a plain number or an E.164 phone);
* and, for the file that carries a neutralised formula (``'=...``), stores the original
  value.
"""

from __future__ import annotations

import csv
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = ["account_id", "name", "balance", "currency", "due_date", "phone", "email"]
PAYMENT_HEADER = ["account_id", "amount", "paid_at", "reference"]
#: what a live formula looks like to a spreadsheet, unless it is a number or a phone
_TRIGGER = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ROW_ERROR = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<column>[a-z_0-9*]+): \S.*$", re.S)


@dataclass(frozen=True)
class HostileCsv:
    name: str
    kind: str  # "cases" or "payments"
    content: bytes
    #: columns the importer must name in its report (empty: no requirement)
    expect_columns: tuple[str, ...] = ()
    #: the file must be refused as a whole (a format error) or be accepted (None: either)
    refused: bool | None = None
    #: for an accepted file: account id -> the customer name it must be stored with
    stored_names: dict[str, str] = field(default_factory=dict)


def _row(prefix: str, n: int = 1, **cells: str) -> list[str]:
    return [_cells(prefix, n, cells).get(h, "") for h in HEADER]


def _cells(prefix: str, n: int, changes: dict[str, str]) -> dict[str, str]:
    values = {"account_id": f"{prefix}-{n}", "name": "Sam Lee", "balance": "100.00",
              "currency": "USD", "due_date": "2026-11-01", "phone": f"+1415555{n:04d}",
              "email": f"sam{n}@example.org"}
    values.update({k: v.replace("{p}", prefix) for k, v in changes.items()})
    return values


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = []
    for cells in [header, *rows]:
        quoted = []
        for c in cells:
            quoted.append('"' + c.replace('"', '""') + '"' if any(
                x in c for x in ',"\n\r') else c)
        out.append(",".join(quoted))
    return ("\n".join(out) + "\n").encode("utf-8", "surrogatepass")


def corpus() -> list[HostileCsv]:
    """The 54 files, in a stable order."""
    files: list[HostileCsv] = []

    def cases(name: str, bad: dict[str, str], expect: tuple[str, ...] = (), *,
              header: list[str] | None = None, refused: bool | None = None,
              stored: str | None = None) -> None:
        prefix = f"H{len(files) + 1:02d}"
        head = header or HEADER
        rows = [[_cells(prefix, n, bad if n == 2 else {}).get(h, "") for h in head]
                for n in (1, 2, 3)]
        files.append(HostileCsv(name, "cases", _csv(head, rows), expect, refused,
                                {f"{prefix}-2": stored} if stored is not None else {}))

    def raw(name: str, content: bytes, *, refused: bool | None = True,
            kind: str = "cases", expect: tuple[str, ...] = ()) -> None:
        files.append(HostileCsv(name, kind, content, expect, refused))

    def payments(name: str, bad: dict[str, str], expect: tuple[str, ...]) -> None:
        good = {"account_id": "P-1", "amount": "10.00", "paid_at": "2026-11-20",
                "reference": f"REF-{len(files)}-1"}
        rows = [[good[h] for h in PAYMENT_HEADER],
                [{**good, "reference": f"REF-{len(files)}-2", **bad}[h] for h in PAYMENT_HEADER]]
        files.append(HostileCsv(name, "payments", _csv(PAYMENT_HEADER, rows), expect))

    # NUL and other control characters in cells
    cases("NUL in a name", {"name": "Sam\x00Lee"}, ("name",))
    cases("NUL in an account id", {"account_id": "{p}\x00-2"}, ("account_id",))
    cases("NUL in an email", {"email": "sam\x00@example.org"}, ("email",))
    cases("NUL in a phone", {"phone": "+1415555\x000002"}, ("phone",))
    cases("NUL in a segment", {"segment": "prime\x00"}, ("segment",),
          header=[*HEADER, "segment"])
    cases("NUL in a product", {"product": "\x00card"}, ("product",),
          header=[*HEADER, "product"])
    cases("NUL in a quoted multi-line name", {"name": "Sam\n\x00Lee"}, ("name",))
    cases("SOH in a name", {"name": "Sam\x01Lee"}, ("name",))
    cases("ANSI escape in a name", {"name": "\x1b[31mSam\x1b[0m"}, ("name",))
    cases("DEL in a customer id", {"customer_id": "C\x7f1"}, ("customer_id",),
          header=[*HEADER, "customer_id"])
    cases("C1 control (NEL) in a name", {"name": "Sam\x85Lee"}, ("name",))
    cases("vertical tab and form feed in a name", {"name": "Sam\x0b\x0cLee"}, ("name",))
    cases("bell in a consent source", {"consent_source": "web\x07"}, ("consent_source",),
          header=[*HEADER, "consent_source"])
    cases("backspace in a timezone", {"timezone": "Europe/Lon\x08don"}, ("timezone",),
          header=[*HEADER, "timezone"])
    raw("NUL in the header", _csv([*HEADER[:-1], "email\x00"], [_row("H15")]))
    raw("a file of NUL bytes", b"\x00" * 512)
    # files that are not CSV in UTF-8
    raw("an empty file", b"")
    raw("a byte-order mark only", b"\xef\xbb\xbf")
    raw("a header only", _csv(HEADER, []), refused=False)
    raw("UTF-16", ",".join(HEADER).encode("utf-16"))
    raw("Latin-1", _csv(HEADER, [_row("H21", name="Jos\u00e9")]).decode().encode("latin-1"))
    raw("not UTF-8 on line 3", _csv(HEADER, [_row("H22", 1)]) + b"H22-2,\xff\xfe,1,USD,"
        b"2026-11-01,+14155550002,\n")
    raw("an unbalanced quote", _csv(HEADER, [_row("H23")]) + b'H23-2,"Sam,1,USD\n',
        refused=None)
    raw("a 200 KB cell", _csv(HEADER, [_row("H24", name="x" * 200_000)]))
    raw("10,000 cells in a row", _csv(HEADER, [_row("H25") + ["x"] * 10_000]),
        refused=None, expect=("*",))
    raw("a column given twice", _csv([*HEADER, "name"], [[*_row("H26"), "Sam"]]))
    raw("an unknown column", _csv([*HEADER, "=cmd|'/C calc'!A0"], [[*_row("H27"), "x"]]))
    raw("a required column missing", _csv(HEADER[1:], [_row("H28")[1:]]))
    # formulas (CSV injection)
    link = '=HYPERLINK("http://evil.test","x")'
    cases("a formula as account id", {"account_id": link}, ("account_id",))
    cases("a formula in a rejected row's name", {"name": link, "balance": "ten"}, ("balance",))
    cases("+formula in a rejected row", {"name": "+cmd|' /C calc'!A0", "currency": "XXXY"},
          ("currency",))
    cases("-formula in a rejected row", {"name": "-2+3+cmd|' /C calc'!A0", "due_date": "soon"},
          ("due_date",))
    cases("@formula in a rejected row", {"name": "@SUM(1+1)*cmd|' /C calc'!A0",
                                          "phone": "12"}, ("phone",))
    cases("tab-led formula in a rejected row", {"name": "\t=1+1", "email": "nope"}, ("email",))
    cases("CR-led formula in a rejected row", {"name": "\r=1+1", "email": "nope"}, ("email",))
    cases("a formula in an accepted name", {"name": link}, refused=False, stored=link)
    cases("a neutralised formula reads back", {"name": "'" + link}, refused=False, stored=link)
    cases("a quote before a plain name stays", {"name": "'Connor"}, refused=False,
          stored="'Connor")
    # absurd numbers, dates and lengths
    cases("balance 1e400", {"balance": "1e400"}, ("balance",))
    cases("balance NaN", {"balance": "NaN"}, ("balance",))
    cases("balance -Infinity", {"balance": "-Infinity"}, ("balance",))
    cases("balance beyond 64-bit", {"balance": "9" * 30}, ("balance",))
    cases("due date in year 0", {"due_date": "0000-01-01"}, ("due_date",))
    cases("a Telegram chat id beyond 64-bit", {"telegram_chat_id": "9" * 21},
          ("telegram_chat_id",), header=[*HEADER, "telegram_chat_id"])
    cases("a phone of 500 digits", {"phone": "+1" + "5" * 498}, ("phone",))
    cases("an email of 400 characters", {"email": "a" * 390 + "@ex.org"}, ("email",))
    cases("a name of 10,000 characters", {"name": "N" * 10_000}, ("name",))
    cases("a Cyrillic look-alike account id", {"account_id": "{p}-\u04102"}, ("account_id",))
    cases("a zero-width space in an account id", {"account_id": "{p}-\u200b2"},
          ("account_id",))
    cases("the same account twice", {"account_id": "{p}-1"}, ("account_id",))
    # payments
    payments("NUL in a payment reference", {"reference": "BANK\x00-1"}, ("reference",))
    payments("amount NaN", {"amount": "NaN"}, ("amount",))
    payments("a reference of 200 characters", {"reference": "R" * 200}, ("reference",))
    payments("a formula as reference, negative amount",
             {"reference": "=HYPERLINK(\"http://evil.test\")", "amount": "-5"}, ("amount",))
    assert len(files) == 54, len(files)
    return files


@dataclass
class Verdict:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def live_formulas(path: Path) -> list[str]:
    """Cells of a CSV file that a spreadsheet would run as formulas."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return [cell for row in csv.reader(f) for cell in row
                if _TRIGGER.match(cell) and not (_NUMBER.match(cell) or _E164.match(cell))]


def _stored_text(engine: object) -> list[str]:
    from sqlalchemy import text

    queries = ("SELECT name FROM customer", "SELECT external_ref FROM customer",
               "SELECT account_id FROM collection_case",
               "SELECT coalesce(segment, '') FROM collection_case",
               "SELECT coalesce(product, '') FROM collection_case",
               "SELECT timezone FROM collection_case", "SELECT address FROM contact_point",
               "SELECT consent_source FROM contact_point", "SELECT reference FROM payment")
    values: list[str] = []
    with engine.connect() as conn:  # type: ignore[attr-defined]
        for q in queries:
            values.extend(str(v) for (v,) in conn.execute(text(q)))
    return values


def _counts(engine: object) -> tuple[int, ...]:
    from sqlalchemy import text

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("collection_case", "customer", "contact_point", "payment",
                               "case_event"))


def _seed_payment_cases(container: object) -> None:
    from datetime import date

    from bot.domain.case import Case

    with container.uow() as uow:  # type: ignore[attr-defined]
        if uow.cases.get("P-1") is None:
            uow.cases.add(Case(account_id="P-1", currency="USD", balance_minor=1_000_000,
                               due_date=date(2026, 11, 1), customer_name="Pat Payer",
                               timezone="America/New_York"))
            uow.commit()


def judge(container: Any, hostile: HostileCsv, workdir: Path) -> Verdict:
    """Import ``hostile`` atomically, then with ``--skip-invalid``, through ``container``
    (an application over a SQL database)."""
    from bot.services.csv_rows import CsvFormatError, ImportRejected, RowError
    from bot.services.importing import ImportDefaults, import_cases, import_payments

    verdict = Verdict(hostile.name)
    engine = container.engine
    _seed_payment_cases(container)
    safe_name = re.sub(r"[^A-Za-z0-9]+", "-", hostile.name).strip("-")
    path = workdir / f"{safe_name}.csv"
    path.write_bytes(hostile.content)
    rejects = workdir / f"{safe_name}.rejects.csv"

    def run(skip_invalid: bool) -> list[RowError] | str | None:
        """The errors reported (a list), a format error (a str), or None: imported."""
        with path.open("rb") as source:
            def open_rejects():  # type: ignore[no-untyped-def]
                return rejects.open("w", encoding="utf-8", newline="")

            try:
                if hostile.kind == "cases":
                    report = import_cases(source, str(path), container.uow(), ImportDefaults(),
                                          skip_invalid=skip_invalid, open_rejects=open_rejects)
                else:
                    report = import_payments(source, str(path), container.uow(),
                                             skip_invalid=skip_invalid,
                                             open_rejects=open_rejects)
            except ImportRejected as exc:
                return exc.errors
            except CsvFormatError as exc:
                return str(exc)
            except Exception as exc:  # what this proof is looking for
                last = traceback.extract_tb(exc.__traceback__)[-1]
                verdict.problems.append(f"{type(exc).__name__} at {Path(last.filename).name}:"
                                        f"{last.lineno} (skip_invalid={skip_invalid})")
                return "crashed"
            return report.errors or None

    stored_before = set(_stored_text(engine))
    before = _counts(engine)
    atomic = run(False)
    after = _counts(engine)
    if isinstance(atomic, list | str) and after != before:
        verdict.problems.append(f"refused, yet stored something: {before} -> {after}")
    if hostile.refused is True and not isinstance(atomic, str):
        verdict.problems.append("should be refused as a whole")
    if hostile.refused is False and atomic is not None:
        verdict.problems.append(f"should import, got {atomic!r:.200}")
    if isinstance(atomic, list):
        for error in atomic:
            if not _ROW_ERROR.match(str(error)):
                verdict.problems.append(f"not file:line: column: reason: {error!s:.120}")
        reported = {e.column for e in atomic}
        for column in hostile.expect_columns:
            if column not in reported:
                verdict.problems.append(f"{column} not reported (got {sorted(reported)})")
    elif isinstance(atomic, str) and atomic != "crashed" and not re.match(
            r"^.+?:(\d+:)? \S", atomic):
        verdict.problems.append(f"format error without file and line: {atomic:.120}")
    if atomic is None and hostile.expect_columns:
        verdict.problems.append(f"imported, yet {hostile.expect_columns} are bad")
    run(True)
    for cell in live_formulas(rejects):
        verdict.problems.append(f"live formula in the rejects file: {cell!r:.60}")
    for value in sorted(set(_stored_text(engine)) - stored_before):
        if _CONTROL.search(value):
            verdict.problems.append(f"stored a control character: {value!r:.60}")
    for account, name in hostile.stored_names.items():
        stored = _customer_name(engine, account)
        if stored != name:
            verdict.problems.append(f"{account}: name stored as {stored!r}, not {name!r}")
    return verdict


def _customer_name(engine: object, account: str) -> str | None:
    from sqlalchemy import text

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(text(
            "SELECT customer.name FROM customer JOIN collection_case "
            "ON collection_case.customer_id = customer.id WHERE account_id = :a"),
            {"a": account}).scalar_one_or_none()
