"""Retention: anonymise closed cases once their records may go (``duebot retention purge``).

A closed case is kept for the longest of

* the legal minimum of every profile that applies to it (the deployment's, and the one
  of the customer's country): US Reg F 1006.100 three years after the last collection
  activity, CN five; the UK sets no number, so there the bank's policy is the minimum;
* the bank's own limit (``DUEBOT_RETENTION_YEARS``), without which nothing is purged;

counted from its last collection activity (the latest event, message or payment). A
case under a legal hold (attorney, bankruptcy) or with an open dispute or complaint is
never purged: its records are evidence. The purge runs only when someone runs it (never
on a schedule); ``--dry-run`` lists what it would do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.case import LEGAL_HOLDS, Hold
from bot.policy.profiles import JurisdictionProfile
from bot.services.ports import ClosedCase, RetentionStore

log = logging.getLogger("duebot.retention")

#: holds under which a closed case's records are evidence and are never purged
RETENTION_HOLDS = frozenset({*LEGAL_HOLDS, Hold.DISPUTE, Hold.COMPLAINT})


class RetentionError(ValueError):
    """The purge cannot run as configured; the message says what to set."""


@dataclass(frozen=True)
class KeepPeriod:
    years: int
    basis: str  # e.g. "US-RegF minimum 3y", "bank policy 7y"


@dataclass
class PurgeReport:
    dry_run: bool
    bank_years: int
    considered: int = 0
    #: (account id, last activity, keep period) of each case purged (or to purge)
    purged: list[tuple[str, datetime, KeepPeriod]] = field(default_factory=list)
    #: (account id, holds) of the cases past their period but kept under a hold
    kept_on_hold: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    anonymised: int = 0

    def summary(self) -> str:
        verb = "would be anonymised" if self.dry_run else "anonymised"
        count = len(self.purged) if self.dry_run else self.anonymised
        return (f"{count} closed case(s) {verb}; {len(self.kept_on_hold)} kept under a legal "
                f"hold, dispute or complaint; {self.considered} closed case(s) considered "
                f"(bank limit {self.bank_years} years)")


def years_before(now: datetime, years: int) -> datetime:
    """``now`` moved back ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


class RetentionPolicy:
    """How long each closed case is kept (see the module docs)."""

    def __init__(self, deployment: JurisdictionProfile,
                 profiles: Iterable[JurisdictionProfile], bank_years: int | None) -> None:
        if bank_years is None:
            raise RetentionError(
                "no retention limit configured: set DUEBOT_RETENTION_YEARS (the bank's "
                "policy, in years after the last collection activity); nothing was purged")
        if bank_years < 1:
            raise RetentionError("DUEBOT_RETENTION_YEARS must be at least 1")
        self.deployment = deployment
        self.bank_years = bank_years
        self.by_country: Mapping[str, JurisdictionProfile] = {
            p.holiday_country.upper(): p for p in profiles}

    def period(self, case: ClosedCase) -> KeepPeriod:
        applicable = [self.deployment]
        local = self.by_country.get((case.country or "").upper())
        if local is not None and local is not self.deployment:
            applicable.append(local)
        best = KeepPeriod(self.bank_years, f"bank policy {self.bank_years}y")
        for profile in applicable:
            minimum = profile.retention_min_years
            if minimum is not None and minimum > best.years:
                best = KeepPeriod(minimum, f"{profile.name} minimum {minimum}y")
        return best

    def shortest(self) -> int:
        """No case is kept for less than this (the first cut of the candidates)."""
        return self.bank_years


def purge(store: RetentionStore, policy: RetentionPolicy, now: datetime, *,
          dry_run: bool, actor: str = "retention") -> PurgeReport:
    """Anonymise every closed case past its keep period and not on a retention hold;
    with ``dry_run`` only report them."""
    report = PurgeReport(dry_run=dry_run, bank_years=policy.bank_years)
    candidates = store.closed_cases(years_before(now, policy.shortest()))
    report.considered = len(candidates)
    due: list[int] = []
    for case in candidates:
        keep = policy.period(case)
        if case.last_activity >= years_before(now, keep.years):
            continue
        on_hold = tuple(h for h in case.holds if h in {x.value for x in RETENTION_HOLDS})
        if on_hold:
            report.kept_on_hold.append((case.account_id, on_hold))
            continue
        report.purged.append((case.account_id, case.last_activity, keep))
        due.append(case.case_id)
    if due and not dry_run:
        report.anonymised = store.anonymise(
            due, now, actor, f"retention: closed, no collection activity within the keep "
                             f"period (bank limit {policy.bank_years}y)")
    log.info("retention purge: %s", report.summary())
    return report
