"""``duebot report`` and ``GET /api/reports``: campaign outcomes on the database, steps in
campaign order (see :mod:`bot.services.reports` for what is counted)."""

from __future__ import annotations

from datetime import date

from bot.services.campaign_admin import CampaignAdmin
from bot.services.ports import OutcomeSource
from bot.services.reports import Report, build_report
from bot.services.roles import Actor, Permission, authorize


def campaign_reports(source: OutcomeSource, campaigns: CampaignAdmin, actor: Actor, *,
                     bys: tuple[str, ...] = ("step", "variant", "day"),
                     since: date | None = None, until: date | None = None,
                     campaign: str | None = None) -> dict[str, Report]:
    """The report grouped each way of ``bys`` over one read of the facts (the
    console's dashboard); each is what :func:`campaign_report` gives for that grouping."""
    authorize(actor, Permission.VIEW_REPORTS)
    if since is not None and until is not None and since > until:
        raise ValueError("--from is after --to")
    steps, variants = campaigns.orders()
    facts = source.outcome_facts()
    return {by: build_report(facts, by=by, since=since, until=until, campaign=campaign,
                             step_order=steps, variant_order=variants) for by in bys}


def campaign_report(source: OutcomeSource, campaigns: CampaignAdmin, actor: Actor, *,
                    by: str = "variant", since: date | None = None, until: date | None = None,
                    campaign: str | None = None) -> Report:
    authorize(actor, Permission.VIEW_REPORTS)
    if since is not None and until is not None and since > until:
        raise ValueError("--from is after --to")
    steps, variants = campaigns.orders()
    return build_report(source.outcome_facts(), by=by, since=since, until=until,
                        campaign=campaign, step_order=steps, variant_order=variants)
