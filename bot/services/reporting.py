"""``duebot report`` and ``GET /api/reports``: campaign outcomes on the database, steps in
campaign order (see :mod:`bot.services.reports` for what is counted)."""

from __future__ import annotations

from datetime import date

from bot.services.campaign_admin import CampaignAdmin
from bot.services.ports import OutcomeSource
from bot.services.reports import Report, build_report
from bot.services.roles import Actor, Permission, authorize


def campaign_report(source: OutcomeSource, campaigns: CampaignAdmin, actor: Actor, *,
                    by: str = "variant", since: date | None = None, until: date | None = None,
                    campaign: str | None = None) -> Report:
    authorize(actor, Permission.VIEW_REPORTS)
    if since is not None and until is not None and since > until:
        raise ValueError("--from is after --to")
    steps, variants = campaigns.orders()
    return build_report(source.outcome_facts(), by=by, since=since, until=until,
                        campaign=campaign, step_order=steps, variant_order=variants)
