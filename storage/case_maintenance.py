"""The daily jobs' set-based SQL (:class:`bot.services.ports.CaseMaintenance`).

Days past due are recomputed with one UPDATE per local date (the same rule as
``Case.compute_days_past_due``: days since the due date, 0 once the balance is paid or,
with a minimum payment, once payments since the due date cover it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, bindparam, cast, func, literal, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from storage.case_stream import CLOSED_STATUSES
from storage.tables.cases import CaseRow, PaymentRow, PromiseRow

CA = CaseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
#: the furthest any timezone is ahead of UTC (Pacific/Kiritimati)
MAX_UTC_OFFSET = timedelta(hours=14)


def zone_of(name: str, candidates: list[str] | tuple[str, ...] = ()) -> ZoneInfo:
    """The case's calendar zone, as ``bot.policy.engine.case_zone`` picks it."""
    for candidate in (name, *candidates):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _days_since_due(engine: Engine, today: date) -> ColumnElement[int]:
    if engine.dialect.name == "postgresql":
        return cast(bindparam("today", today, type_=CA.c.due_date.type) - CA.c.due_date,
                    Integer)
    return cast(func.julianday(literal(today.isoformat())) - func.julianday(CA.c.due_date),
                Integer)


def _paid_on_or_after_due(engine: Engine) -> ColumnElement[bool]:
    """``payment.paid_at`` (UTC) falls on or after the case's due date."""
    if engine.dialect.name == "postgresql":
        return cast(func.timezone("UTC", PA.c.paid_at), CA.c.due_date.type) >= CA.c.due_date
    return func.date(PA.c.paid_at) >= CA.c.due_date


def update_days_past_due(engine: Engine, now: datetime) -> int:
    """Recompute days past due for every open case; returns the number of cases changed."""
    changed = 0
    with engine.begin() as conn:
        zones = conn.execute(select(CA.c.timezone, CA.c.timezone_candidates).where(
            CA.c.status.not_in(CLOSED_STATUSES)).distinct()).all()
        by_day: dict[date, set[str]] = defaultdict(set)
        for name, candidates in zones:
            by_day[now.astimezone(zone_of(name, candidates or ())).date()].add(name)
        for today, names in sorted(by_day.items()):
            days = _days_since_due(engine, today)
            paid = (select(func.coalesce(func.sum(PA.c.amount_minor), 0))
                    .where(PA.c.case_id == CA.c.id, _paid_on_or_after_due(engine))
                    .scalar_subquery())
            cured = (CA.c.minimum_payment_minor > 0) & (paid >= CA.c.minimum_payment_minor)
            value = sql_case(
                (CA.c.balance_minor <= 0, 0),
                (days <= 0, days),
                (cured, 0),
                else_=days,
            )
            result = conn.execute(
                update(CA)
                .where(CA.c.timezone.in_(sorted(names)),
                       CA.c.status.not_in(CLOSED_STATUSES),
                       CA.c.days_past_due != value)
                .values(days_past_due=value, version=CA.c.version + 1, updated_at=now))
            changed += int(result.rowcount or 0)
    return changed


def overdue_promise_cases(engine: Engine, now: datetime) -> list[int]:
    """Open cases with a pending promise whose due date has ended in the case's zone."""
    latest_day = (now.astimezone(UTC) + MAX_UTC_OFFSET).date()
    with engine.connect() as conn:
        rows = conn.execute(
            select(PR.c.case_id, PR.c.due, CA.c.timezone, CA.c.timezone_candidates)
            .select_from(PR.join(CA, CA.c.id == PR.c.case_id))
            .where(PR.c.status == "pending", PR.c.due.is_not(None), PR.c.due < latest_day,
                   CA.c.status.not_in(CLOSED_STATUSES))).all()
    due: set[int] = set()
    for case_id, promise_due, name, candidates in rows:
        if promise_due < now.astimezone(zone_of(name, candidates or ())).date():
            due.add(case_id)
    return sorted(due)



class SqlCaseMaintenance:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def update_days_past_due(self, now: datetime) -> int:
        return update_days_past_due(self.engine, now)

    def overdue_promise_cases(self, now: datetime) -> list[int]:
        return overdue_promise_cases(self.engine, now)
