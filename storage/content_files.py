"""The templates and campaigns of a deployment, on disk (the ``ContentFiles`` port).

Templates: the shipped directory, then ``DUEBOT_TEMPLATE_DIR``
(:mod:`storage.template_files`); campaigns: every ``*.yaml``/``*.yml`` of
``DUEBOT_CAMPAIGN_DIR`` (:mod:`storage.campaign_files`). Checking them is
``bot.services.content``'s job.
"""

from __future__ import annotations

from pathlib import Path

from bot.campaigns.parsing import CampaignText, Problem
from bot.conversations.template_store import TemplateGate, TemplateStore
from storage.campaign_files import campaign_documents
from storage.template_files import SHIPPED_TEMPLATE_DIR, load_templates


class DiskContent:
    """``ContentFiles`` over a template override directory and a campaign directory."""

    def __init__(self, template_dir: Path | None, campaign_dir: Path | None, *,
                 shipped_dir: Path = SHIPPED_TEMPLATE_DIR) -> None:
        self.template_dir = template_dir
        self.campaign_dir = campaign_dir
        self.shipped_dir = shipped_dir

    def load_templates(self, check: TemplateGate) -> TemplateStore:
        return load_templates(self.template_dir, shipped_dir=self.shipped_dir, strict=False,
                              check=check)

    def campaign_documents(self) -> list[CampaignText | Problem]:
        if self.campaign_dir is None:
            return []
        return campaign_documents(self.campaign_dir)
