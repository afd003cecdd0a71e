"""Daily jobs: days past due, broken promises, the legal-review sweep.

"Daily" is per customer: a case's day ends at midnight in its own timezone, so the
scheduler runs these jobs every hour and each run only changes the cases whose local
date moved on. All of them are idempotent.

* :func:`update_days_past_due` recomputes ``collection_case.days_past_due`` with one
  set-based UPDATE per timezone (the same rule as ``Case.compute_days_past_due``: days
  since the due date, 0 once the balance is paid or, with a minimum payment, once
  payments since the due date cover it).
* :func:`break_overdue_promises` finds pending promises whose due date has ended in the
  customer's zone (set-based), then marks them broken through the domain
  (``Case.break_overdue_promises``: events, status back to active), case by case.
  The planner's ``promise_broken`` steps follow from there.
* the legal sweep is :meth:`PlanningService.tick` with ``legal_only=True``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, bindparam, cast, func, literal, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from bot.domain.clock import Clock
from bot.policy.engine import local_date
from storage.case_stream import CLOSED_STATUSES
from storage.models import CaseRow, PaymentRow, PromiseRow
from storage.repositories import ConcurrentUpdateError
from storage.uow import SqlUnitOfWork

log = logging.getLogger("duebot.daily")
CA = CaseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
#: the furthest any timezone is ahead of UTC (Pacific/Kiritimati)
MAX_UTC_OFFSET = timedelta(hours=14)
CHUNK = 200


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


@dataclass
class BrokenReport:
    cases: int = 0
    promises: int = 0
    conflicts: int = 0  # cases that changed concurrently (left for the next run)


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


def break_overdue_promises(engine: Engine, clock: Clock, now: datetime | None = None
                           ) -> BrokenReport:
    """Mark broken every pending promise whose day has ended where the customer lives."""
    now = now or clock.now()
    report = BrokenReport()
    ids = overdue_promise_cases(engine, now)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        try:
            _break_chunk(engine, clock, chunk, now, report)
        except ConcurrentUpdateError:
            for case_id in chunk:  # find the one that moved, keep the others
                try:
                    _break_chunk(engine, clock, [case_id], now, report)
                except ConcurrentUpdateError:
                    report.conflicts += 1
    if report.promises:
        log.info("marked %d promises broken on %d cases", report.promises, report.cases)
    return report


def _break_chunk(engine: Engine, clock: Clock, case_ids: list[int], now: datetime,
                 report: BrokenReport) -> None:
    cases = promises = 0
    with SqlUnitOfWork(engine, clock) as uow:
        for case_id in case_ids:
            case = uow.cases.get_by_id(case_id)
            if case is None or case.closed:
                continue
            broken = case.break_overdue_promises(local_date(case, now), now, actor="system")
            if broken:
                cases += 1
                promises += len(broken)
        uow.commit()
    report.cases += cases
    report.promises += promises
