"""Use cases: import a portfolio of cases, import payments.

Both are atomic by default: every row is checked, every problem is reported with file,
line, column and reason, and if there is any, nothing is written. With
``skip_invalid`` the good rows are imported and the bad ones written to a rejects CSV.
Rows stream through in chunks, so memory stays flat however large the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo

from bot.domain.case import CaseStatus, Hold, TransitionError
from bot.domain.contacts import mask_address
from bot.domain.messages import ChannelKind
from bot.domain.money import MoneyError, to_minor
from bot.domain.portfolio import CaseRecord
from bot.services.csv_rows import (
    CountingLines,
    ImportRejected,
    Rejects,
    RowError,
    control_errors,
    read_rows,
    too_many_cells,
    write_rejects,
)
from bot.services.portfolio_rows import KNOWN, MAX_MINOR, REQUIRED, parse_case_row
from bot.services.ports import SharedAddress, UnitOfWork

Progress = Callable[[int], None]  # called with the number of bytes read so far
OpenRejects = Callable[[], TextIO]  # opens the rejects CSV for writing, when there are any
CHUNK = 2000


@dataclass(frozen=True)
class ImportDefaults:
    """What a row without the column gets (the deployment's settings)."""

    region: str = "US"
    timezone: str = "America/New_York"
    language: str = "en"


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects_written: bool = False
    #: addresses in the file that several customers hold (marked shared), by address
    shared: dict[tuple[ChannelKind, str], SharedAddress] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """One line per shared address (masked) with the accounts sharing it."""
        return [f"{s.channel} {mask_address(s.address)} is shared by {s.customers} customers "
                f"(accounts {', '.join(s.accounts)}): limited content only, one debtor's "
                "message a day, never a verified disclosure"
                for s in self.shared.values()]


def import_cases(
    source: BinaryIO, name: str, uow: UnitOfWork, defaults: ImportDefaults, *,
    skip_invalid: bool = False, open_rejects: OpenRejects | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import or update cases from a portfolio CSV read from ``source`` (``name`` is how
    errors cite it)."""
    report = ImportReport(name)
    rejects: Rejects = []
    seen: dict[str, int] = {}
    chunk: list[CaseRecord] = []
    now = uow.clock.now()
    with uow:
        stream = CountingLines(source, name)
        header: list[str] = []

        def flush() -> None:
            if chunk and (skip_invalid or not report.errors):
                created, updated = uow.portfolio.upsert(chunk, now)
                report.created += created
                report.updated += updated
                _flag_vulnerable(uow, [r for r in chunk if r.vulnerable], now)
                addresses = {(ChannelKind(c.channel), c.address) for r in chunk
                             for c in r.contacts}
                for shared in uow.portfolio.mark_shared(sorted(addresses), now):
                    report.shared[(shared.channel, shared.address)] = shared
            chunk.clear()

        for line, row in read_rows(name, stream, REQUIRED, KNOWN):
            header = header or [k for k in row if k != "__extra__"]
            report.rows += 1
            record, errors = parse_case_row(
                name, line, row, defaults.region, defaults.timezone, defaults.language,
                year=now.year)
            if record is not None and record.account_id in seen:
                first = seen[record.account_id]
                errors = [RowError(name, line, "account_id",
                                   f"duplicate account_id (first on line {first})")]
                record = None
            if record is None:
                report.errors.extend(errors)
                rejects.append((row, errors))
                continue
            seen[record.account_id] = line
            chunk.append(record)
            if len(chunk) >= CHUNK:
                flush()
                if progress:
                    progress(stream.read)
        flush()
        _finish(uow, report, rejects, header, skip_invalid, open_rejects)
    return report


def _flag_vulnerable(uow: UnitOfWork, records: list[CaseRecord], now: datetime) -> None:
    """A row flagged ``vulnerable`` places the hold (human contact only) on an open case.
    A later row without the flag never lifts it: that is a supervisor's decision."""
    for r in records:
        case = uow.cases.get(r.account_id)
        if case is not None and not case.closed and Hold.VULNERABLE not in case.holds:
            case.place_hold(Hold.VULNERABLE, now, "import",
                            "flagged vulnerable in the portfolio file")
    if records:
        uow.flush()


def _finish(uow: UnitOfWork, report: ImportReport, rejects: Rejects, header: list[str],
            skip_invalid: bool, open_rejects: OpenRejects | None) -> None:
    report.rejected = len(rejects)
    if report.errors and not skip_invalid:
        raise ImportRejected(report.errors, report.rows)
    if rejects and open_rejects is not None:
        # before the commit: if the rejects cannot be written, nothing is imported
        write_rejects(open_rejects, header, rejects)
        report.rejects_written = True
    uow.commit()


PAYMENT_COLUMNS = ("account_id", "amount", "paid_at", "reference")
MAX_REFERENCE = 128  # payment.reference


def _paid_at(value: str, tz: str) -> datetime:
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0), ZoneInfo(tz))
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed


def import_payments(
    source: BinaryIO, name: str, uow: UnitOfWork, *, skip_invalid: bool = False,
    open_rejects: OpenRejects | None = None, progress: Progress | None = None,
) -> ImportReport:
    """Apply payments: idempotent on ``reference``; balances, promises, closure follow."""
    report = ImportReport(name)
    rejects: Rejects = []
    header: list[str] = []
    file = name
    with uow:
        stream = CountingLines(source, name)
        # reference -> (account, amount) of payments applied earlier in this file
        refs_done: dict[str, tuple[str, int]] = {}
        now = uow.clock.now()
        for line, row in read_rows(name, stream, PAYMENT_COLUMNS, frozenset(PAYMENT_COLUMNS)):
            header = header or list(PAYMENT_COLUMNS)
            report.rows += 1
            errors: list[RowError] = []
            if "__extra__" in row:
                errors.append(too_many_cells(file, line, row))
                rejects.append((row, errors))
                report.errors.extend(errors)
                continue
            if unreadable := control_errors(file, line, row):
                report.errors.extend(unreadable)
                rejects.append((row, unreadable))
                continue
            for c in PAYMENT_COLUMNS:
                if not row.get(c):
                    errors.append(RowError(file, line, c, "required"))
            ref, account = row.get("reference", ""), row.get("account_id", "")
            if len(ref) > MAX_REFERENCE:
                errors.append(RowError(file, line, "reference",
                                       f"longer than {MAX_REFERENCE} characters"))
            case = uow.cases.get(account) if account else None
            if account and case is None:
                errors.append(RowError(file, line, "account_id", "no such account"))
            amount = paid_at = None
            if case is not None and row.get("amount"):
                try:
                    amount = to_minor(row["amount"], case.currency)
                    if amount <= 0:
                        errors.append(RowError(file, line, "amount", "must be positive"))
                    elif amount > MAX_MINOR:
                        errors.append(RowError(file, line, "amount", "implausibly large amount"))
                except MoneyError as exc:
                    errors.append(RowError(file, line, "amount", str(exc)))
            if ref and not errors:
                applied = refs_done.get(ref) or uow.payments.applied(ref)
                if applied == (account, amount):
                    report.duplicates += 1  # already applied: idempotent re-import
                    continue
                if applied is not None:
                    errors.append(RowError(
                        file, line, "reference",
                        "already used by a different payment (another account or amount)"))
            if case is not None and row.get("paid_at"):
                try:
                    paid_at = _paid_at(row["paid_at"], case.timezone)
                    if paid_at > now + timedelta(days=1):
                        errors.append(RowError(file, line, "paid_at",
                                               f"in the future (today is {now.date()})"))
                except ValueError:
                    errors.append(RowError(file, line, "paid_at",
                                           "expected YYYY-MM-DD or an ISO-8601 date-time"))
            if not errors and case is not None and case.status is CaseStatus.CLOSED_WRITTEN_OFF:
                errors.append(RowError(file, line, "account_id",
                                       "the case is written off: record this payment by hand"))
            if not errors and case is not None and amount and paid_at:
                try:
                    case.record_payment(ref, amount, paid_at, actor="import")
                except TransitionError as exc:
                    errors.append(RowError(file, line, "account_id", str(exc)))
            if errors:
                report.errors.extend(errors)
                rejects.append((row, errors))
                continue
            assert amount is not None
            refs_done[ref] = (account, amount)
            report.applied += 1
            if report.applied % CHUNK == 0:
                if not report.errors or skip_invalid:
                    uow.flush()
                if progress:
                    progress(stream.read)
        _finish(uow, report, rejects, header, skip_invalid, open_rejects)
    return report
