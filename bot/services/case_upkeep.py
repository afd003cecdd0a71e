"""Case upkeep, per customer day: days past due, broken promises, the legal-review sweep.

"Daily" is per customer: a case's day ends at midnight in its own timezone, so the
scheduler runs these jobs every hour and each run only changes the cases whose local
date moved on. All of them are idempotent.

* :func:`update_days_past_due` recomputes days past due set-based (see
  :class:`~bot.services.ports.CaseMaintenance`).
* :func:`break_overdue_promises` finds pending promises whose due date has ended in the
  customer's zone, then marks them broken through the domain
  (``Case.break_overdue_promises``: events, status back to active), case by case. The
  planner's ``promise_broken`` steps follow from there.
* the legal sweep is :meth:`PlanningService.tick` with ``legal_only=True``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.policy.engine import local_date
from bot.services.ports import CaseMaintenance, ConcurrentUpdateError, UnitOfWorkFactory

log = logging.getLogger("duebot.daily")
CHUNK = 200


@dataclass
class BrokenReport:
    cases: int = 0
    promises: int = 0
    conflicts: int = 0  # cases that changed concurrently (left for the next run)


def update_days_past_due(maintenance: CaseMaintenance, now: datetime) -> int:
    """Recompute days past due for every open case; returns the number of cases changed."""
    return maintenance.update_days_past_due(now)


def break_overdue_promises(maintenance: CaseMaintenance, uow: UnitOfWorkFactory,
                           now: datetime) -> BrokenReport:
    """Mark broken every pending promise whose day has ended where the customer lives."""
    report = BrokenReport()
    ids = maintenance.overdue_promise_cases(now)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        try:
            _break_chunk(uow, chunk, now, report)
        except ConcurrentUpdateError:
            for case_id in chunk:  # find the one that moved, keep the others
                try:
                    _break_chunk(uow, [case_id], now, report)
                except ConcurrentUpdateError:
                    report.conflicts += 1
    if report.promises:
        log.info("marked %d promises broken on %d cases", report.promises, report.cases)
    return report


def _break_chunk(uow_factory: UnitOfWorkFactory, case_ids: list[int], now: datetime,
                 report: BrokenReport) -> None:
    cases = promises = 0
    with uow_factory() as uow:
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
