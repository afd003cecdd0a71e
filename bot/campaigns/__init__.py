"""Campaigns: admin-defined strategies (YAML) and the pure daily planning decision.

``model`` (pydantic definitions), ``parsing`` (all-or-nothing YAML parsing; the files
are read by ``storage.campaign_files``),
``variants`` (champion/challenger assignment), ``risk`` (transparent risk band) and
``planner`` (``plan_case``: what to do today for one case, and why).

Each name is imported from its module when first used (``from bot.campaigns import X``
still works): a module that needs the model does not import the planner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from bot.campaigns.model import Campaign, Conditions, EventKind, Step, Trigger, Variant
    from bot.campaigns.parsing import (
        CampaignError,
        CampaignText,
        Problem,
        parse_campaign,
        parse_campaigns,
    )
    from bot.campaigns.planner import idempotency_key, plan_case
    from bot.campaigns.risk import RiskAssessment, RiskBand, RiskBandError, assess

#: where each name is defined
_WHERE = {
    "Campaign": "bot.campaigns.model",
    "CampaignError": "bot.campaigns.parsing",
    "CampaignText": "bot.campaigns.parsing",
    "Conditions": "bot.campaigns.model",
    "EventKind": "bot.campaigns.model",
    "Problem": "bot.campaigns.parsing",
    "RiskAssessment": "bot.campaigns.risk",
    "RiskBand": "bot.campaigns.risk",
    "RiskBandError": "bot.campaigns.risk",
    "Step": "bot.campaigns.model",
    "Trigger": "bot.campaigns.model",
    "Variant": "bot.campaigns.model",
    "assess": "bot.campaigns.risk",
    "idempotency_key": "bot.campaigns.planner",
    "parse_campaign": "bot.campaigns.parsing",
    "parse_campaigns": "bot.campaigns.parsing",
    "plan_case": "bot.campaigns.planner",
}

__all__ = [
    "Campaign",
    "CampaignError",
    "CampaignText",
    "Conditions",
    "EventKind",
    "Problem",
    "RiskAssessment",
    "RiskBand",
    "RiskBandError",
    "Step",
    "Trigger",
    "Variant",
    "assess",
    "idempotency_key",
    "parse_campaign",
    "parse_campaigns",
    "plan_case",
]


#: the names above, each imported from its module when first asked for
__getattr__ = lazy_exports(__name__, _WHERE)
