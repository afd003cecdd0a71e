"""Campaign files: the YAML campaign definitions in a directory, on disk.

Reading only; parsing and validation (all or nothing, every problem with its file and
line) are :mod:`bot.campaigns.parsing`'s.
"""

from __future__ import annotations

from pathlib import Path

from bot.campaigns.model import Campaign
from bot.campaigns.parsing import (
    CampaignError,
    CampaignText,
    Problem,
    parse_campaign,
    parse_campaigns,
)


def _read(path: Path) -> CampaignText | Problem:
    try:
        return CampaignText(str(path), path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(str(path), None, "", f"cannot read: {exc}")


def load_campaign(path: str | Path) -> Campaign:
    """Load one YAML file; :class:`CampaignError` names every problem in it."""
    doc = _read(Path(path))
    if isinstance(doc, Problem):
        raise CampaignError([doc])
    return parse_campaign(doc.text, doc.source)


def campaign_documents(directory: str | Path) -> list[CampaignText | Problem]:
    """The text of every ``*.yaml``/``*.yml`` in ``directory`` (file name order), or why
    it could not be read."""
    directory = Path(directory)
    if not directory.is_dir():
        return [Problem(str(directory), None, "", "not a directory")]
    files = sorted(p for p in directory.iterdir()
                   if p.suffix in (".yaml", ".yml") and p.is_file())
    return [_read(path) for path in files]


def load_campaigns(directory: str | Path) -> dict[str, Campaign]:
    """Every ``*.yaml``/``*.yml`` in ``directory`` by campaign id, or nothing at all.

    All files are checked before anything is returned; a campaign id defined twice is an
    error too.
    """
    return parse_campaigns(campaign_documents(directory))


def read_documents(paths: list[Path]) -> list[CampaignText | Problem]:
    """The campaign documents at ``paths``: files as given, directories' ``*.yaml`` and
    ``*.yml`` files (sorted); a path that cannot be read is a :class:`Problem`."""
    docs: list[CampaignText | Problem] = []
    for path in paths:
        if path.is_dir():
            docs += [_read(p) for p in sorted(path.iterdir())
                     if p.suffix in (".yaml", ".yml") and p.is_file()]
        elif path.exists():
            docs.append(_read(path))
        else:
            docs.append(Problem(str(path), None, "", "no such file or directory"))
    return docs
