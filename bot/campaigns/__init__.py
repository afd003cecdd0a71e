"""Campaigns: admin-defined strategies (YAML) and the pure daily planning decision.

``model`` (pydantic definitions), ``parsing`` (all-or-nothing YAML parsing; the files
are read by ``storage.campaign_files``),
``variants`` (champion/challenger assignment), ``risk`` (transparent risk band) and
``planner`` (``plan_case``: what to do today for one case, and why).
"""

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
