"""Campaigns against the templates they use: what a start-up or a reload checks besides
each file on its own.

A campaign is usable when every step and variant names a template that exists and has a
text for each of its channels in every shipped language (limited, or verified only where
a verified reader may get it: never SMS). Each template's own content is the template
check's (every profile in use, the campaigns' included); see
:mod:`bot.conversations.template_check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.campaigns.model import Action, Campaign, Variant
from bot.conversations.disclosure import Disclosure
from bot.conversations.template_lint import SHIPPED_LANGUAGES
from bot.conversations.template_store import TemplateStore


def campaign_findings(campaigns: Mapping[str, Campaign], templates: TemplateStore,
                      languages: Iterable[str] = SHIPPED_LANGUAGES) -> list[str]:
    """Every reason one of ``campaigns`` cannot be used with ``templates`` (a template
    whose file the store refused is named as refused, not as missing)."""
    langs = tuple(languages)
    refused = {p.error.template_id for p in templates.problems if p.error.template_id}
    found: list[str] = []
    for campaign in campaigns.values():
        found.extend(_findings(campaign, templates, langs, refused))
    return found


def _findings(campaign: Campaign, templates: TemplateStore, langs: tuple[str, ...],
              refused: set[str]) -> list[str]:
    found: list[str] = []
    for step in campaign.steps:
        if step.action is Action.LEGAL_REVIEW:
            continue
        arms: list[Variant | None] = list(step.variants) or [None]
        for variant in arms:
            where = f"campaign {campaign.id}: step {step.id}" + (
                f" variant {variant.id}" if variant is not None else "")
            template_id = step.template_for(variant)
            if template_id is None:
                continue  # the campaign model refuses such a step
            if template_id not in templates:
                why = "was refused (see its findings)" if template_id in refused \
                    else "does not exist"
                found.append(f"{where}: template {template_id!r} {why}")
                continue
            spec = templates.get(template_id)
            for channel in step.channels_for(variant):
                for lang in langs:
                    # what a stranger may read must exist: a limited text (a verified one
                    # alone is refused for an unverified contact point)
                    if spec.variant(Disclosure.LIMITED, channel, lang) is None:
                        found.append(f"{where}: template {template_id!r} has no limited "
                                     f"{channel.value} text in {lang!r}")
    return found
