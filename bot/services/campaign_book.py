"""Which active campaign plans a case (:class:`CampaignBook`). Apart from
:mod:`bot.services.planning` (which re-exports it) so that looking at a case, the queue
or an answer's profile does not import the planner and the rendering behind it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.campaigns.model import Campaign
from bot.domain.case import Case
from bot.policy.profiles import JurisdictionProfile, get_profile


class CampaignBook:
    """The enabled campaigns, and which one plans a given case.

    Each campaign's ``assign`` rules say which cases it takes (see
    :class:`~bot.campaigns.model.Assignment`): the campaigns are tried by priority (lower
    first), a campaign with rules before one without at equal priority, then by id; the
    first whose rules all match the case plans it. No match: the case has no campaign.
    ``jurisdiction`` is kept for callers and plays no part in the choice.
    """

    def __init__(self, campaigns: Mapping[str, Campaign], jurisdiction: str | None = None
                 ) -> None:
        self.source = dict(campaigns)
        self.campaigns = sorted((c for c in campaigns.values() if c.enabled),
                                key=lambda c: (c.assign.priority, not c.assign.has_rules, c.id))
        self.jurisdiction = jurisdiction
        # campaigns are frozen models: whether each has rules is worked out once
        self._tried = [(c, c.assign.has_rules) for c in self.campaigns]

    def __len__(self) -> int:
        return len(self.campaigns)

    def for_case(self, case: Case) -> Campaign | None:
        for campaign, has_rules in self._tried:
            if not has_rules or not campaign.assign.unmet(case):
                return campaign
        return None

    def explain(self, case: Case) -> list[tuple[Campaign, list[str]]]:
        """Every campaign in the order tried, with the rules the case fails (the first
        with none plans it)."""
        return [(c, c.assign.unmet(case)) for c in self.campaigns]

    def profile_for(self, case: Case, campaign_id: str | None = None
                    ) -> JurisdictionProfile | None:
        """The profile that governs a message about ``case``: its campaign's
        (``campaign_id``, when it is a campaign message), else that of the campaign that
        plans the case; None when no campaign is known (the deployment's applies)."""
        campaign = self.source.get(campaign_id) if campaign_id else None
        campaign = campaign or self.for_case(case)
        return get_profile(campaign.profile) if campaign is not None else None
