"""``duebot plan --explain`` as data, with filters: what planning would decide for open
cases on a date — which campaign takes each case and by which rule (and why not the
others), the risk score, each decision with its reasons and the next possible time.
Nothing is written. The console's "plan for date" view and ``duebot plan --account``
call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from enum import StrEnum

from bot.campaigns.risk import assess
from bot.policy.engine import case_zone, local_date
from bot.services.handoff import NotFound
from bot.services.planning import CasePlan, PlanningService
from bot.services.ports import CaseBundle, UnitOfWorkFactory
from bot.services.roles import Actor, Permission, authorize

#: the most open cases one preview looks at (a portfolio can hold millions)
MAX_SCAN = 5_000


class Outcome(StrEnum):
    SEND = "send"
    LEGAL = "legal"
    DENY = "deny"
    NOTHING = "nothing"
    ERROR = "error"


def outcome(plan: CasePlan) -> Outcome:
    """What planning would do with the case."""
    if plan.error:
        return Outcome.ERROR
    chosen = plan.chosen
    if chosen is not None:
        return Outcome.LEGAL if chosen.action.value == "legal_review" else Outcome.SEND
    return Outcome.DENY if plan.decisions else Outcome.NOTHING


@dataclass(frozen=True, slots=True)
class PlanFilter:
    """Which plans to show: ``on_date`` (each case at noon that day in its own zone;
    None: now), one ``account``, one ``campaign``, one ``outcome``; ``limit`` rows."""

    on_date: date | None = None
    account: str | None = None
    campaign: str | None = None
    outcome: Outcome | None = None
    limit: int = 50
    drafts: bool = False


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One case's plan, explained."""

    account_id: str
    status: str
    days_past_due: int
    timezone: str
    at: datetime
    campaign_id: str | None
    outcome: Outcome
    #: every campaign considered: (id, its assignment rule, the verdict)
    considered: list[tuple[str, str, str]] = field(default_factory=list)
    risk: str = ""
    #: each decision's explanation lines (``Decision.explain``)
    decisions: list[list[str]] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PlanPreview:
    rows: list[PlanRow]
    scanned: int  # open cases looked at
    campaigns: tuple[str, ...]  # the campaigns planning used
    complete: bool  # False: stopped at MAX_SCAN cases or at the limit


def case_plan(planning: PlanningService, uow_factory: UnitOfWorkFactory, account_id: str,
              on_date: date | None = None, now: datetime | None = None) -> CasePlan:
    """The plan of one case (open or closed), at ``now`` or noon of ``on_date`` in its
    zone; :class:`NotFound` when there is no such case."""
    with uow_factory() as uow:
        case = uow.cases.get(account_id)
    if case is None or case.id is None:
        raise NotFound(f"no case with account id {account_id!r}")
    bundle = next((b for batch in planning.store.stream_open_cases(
        batch_size=1, after_id=case.id - 1, until_id=case.id) for b in batch), None)
    if bundle is None:  # a closed case: planned as it is, with no history
        bundle = CaseBundle(case, 0)
    at = now or planning.clock.now()
    if on_date is not None:
        at = datetime.combine(on_date, dtime(12), case_zone(bundle.case))
    return planning.plan_bundle(bundle, at.astimezone(planning.clock.now().tzinfo))


def explain(plan: CasePlan, planning: PlanningService) -> PlanRow:
    case = plan.case
    today = local_date(case, plan.now)
    considered = []
    for candidate, unmet in planning.campaigns.explain(case):
        verdict = "takes it" if candidate is plan.campaign else (
            "; ".join(unmet) if unmet else "matches, but an earlier campaign takes it")
        considered.append((candidate.id, candidate.assign.describe(), verdict))
    return PlanRow(
        account_id=case.account_id, status=case.status.value,
        days_past_due=case.compute_days_past_due(today), timezone=case.timezone,
        at=plan.now, campaign_id=plan.campaign.id if plan.campaign else None,
        outcome=outcome(plan), considered=considered,
        risk=assess(case, today, plan.now, plan.inbound).explain(),
        decisions=[d.explain().splitlines() for d in plan.decisions], error=plan.error)


def plan_preview(planning: PlanningService, uow_factory: UnitOfWorkFactory, actor: Actor,
                 wanted: PlanFilter) -> PlanPreview:
    """What planning would decide, explained, for the cases ``wanted`` picks (a dry run:
    nothing is written)."""
    authorize(actor, Permission.VIEW_REPORTS)
    if wanted.limit < 1:
        raise ValueError("limit must be at least 1")
    planning.refresh_campaigns()
    campaigns = tuple(sorted(planning.campaigns.source))
    if wanted.account:
        plan = case_plan(planning, uow_factory, wanted.account.strip(), wanted.on_date)
        row = explain(plan, planning)
        return PlanPreview([row] if _keeps(row, wanted) else [], 1, campaigns, True)
    rows: list[PlanRow] = []
    scanned = 0
    complete = True
    for plan in planning.plans(on_date=wanted.on_date, limit=MAX_SCAN):
        scanned += 1
        if wanted.campaign and (plan.campaign is None or plan.campaign.id != wanted.campaign):
            continue
        if wanted.outcome is not None and outcome(plan) is not wanted.outcome:
            continue
        rows.append(explain(plan, planning))
        if len(rows) >= wanted.limit:
            complete = False
            break
    if scanned >= MAX_SCAN:
        complete = False
    return PlanPreview(rows, scanned, campaigns, complete)


def _keeps(row: PlanRow, wanted: PlanFilter) -> bool:
    if wanted.campaign and row.campaign_id != wanted.campaign:
        return False
    return wanted.outcome is None or row.outcome is wanted.outcome
