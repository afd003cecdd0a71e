"""Campaigns: admin-defined strategies (YAML) and the pure daily planning decision.

``model`` (pydantic definitions), ``loader`` (all-or-nothing YAML loading),
``variants`` (champion/challenger assignment), ``risk`` (transparent risk band) and
``planner`` (``plan_case``: what to do today for one case, and why).
"""

from bot.campaigns.loader import CampaignError, Problem, load_campaign, load_campaigns
from bot.campaigns.model import Campaign, Conditions, EventKind, Step, Trigger, Variant
from bot.campaigns.planner import idempotency_key, plan_case
from bot.campaigns.risk import RiskAssessment, RiskBand, RiskBandError, assess

__all__ = [
    "Campaign",
    "CampaignError",
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
    "load_campaign",
    "load_campaigns",
    "plan_case",
]
