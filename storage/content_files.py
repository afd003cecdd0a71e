"""The templates and campaigns of a deployment, on disk (the ``ContentFiles`` port).

Templates: the shipped directory, then ``DUEBOT_TEMPLATE_DIR``
(:mod:`storage.template_files`); campaigns: every ``*.yaml``/``*.yml`` of
``DUEBOT_CAMPAIGN_DIR`` (:mod:`storage.campaign_files`). Checking them is
``bot.services.content``'s job.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from bot.campaigns.parsing import CampaignText, Problem
from bot.conversations.template_store import TemplateGate, TemplateStore
from bot.services.ports import ContentNotWritable
from storage.campaign_files import campaign_documents
from storage.template_files import SHIPPED_TEMPLATE_DIR, load_templates

#: what a template id (and so its file name) may be
_TEMPLATE_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


class DiskContent:
    """``ContentFiles`` over a template override directory and a campaign directory."""

    def __init__(self, template_dir: Path | None, campaign_dir: Path | None, *,
                 shipped_dir: Path = SHIPPED_TEMPLATE_DIR) -> None:
        self.template_dir = template_dir
        self.campaign_dir = campaign_dir
        self.shipped_dir = shipped_dir

    def load_templates(self, check: TemplateGate, *, checked_on_use: bool = False
                       ) -> TemplateStore:
        return load_templates(self.template_dir, shipped_dir=self.shipped_dir, strict=False,
                              check=check, checked_on_use=checked_on_use)

    def campaign_documents(self) -> list[CampaignText | Problem]:
        if self.campaign_dir is None:
            return []
        return campaign_documents(self.campaign_dir)

    def _file(self, directory: Path | None, template_id: str) -> Path | None:
        if directory is None or not _TEMPLATE_ID.fullmatch(template_id):
            return None
        return directory / f"{template_id}.yaml"

    def template_text(self, template_id: str) -> str | None:
        for directory in (self.template_dir, self.shipped_dir):
            path = self._file(directory, template_id)
            if path is not None and path.is_file():
                try:
                    return path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    return None
        return None

    def save_template_text(self, template_id: str, text: str) -> str:
        if self.template_dir is None:
            raise ContentNotWritable("no template override directory: set "
                                     "DUEBOT_TEMPLATE_DIR to keep edited templates")
        target = self._file(self.template_dir, template_id)
        if target is None:
            raise ValueError(f"{template_id!r} is not a template id")
        self.template_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.template_dir, prefix=f".{template_id}.",
                                   suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(target)
