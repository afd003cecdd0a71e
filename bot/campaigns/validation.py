"""``duebot campaigns validate``: every problem of every campaign document at once.

Beyond what parsing finds (YAML, unknown fields and values with a "did you mean", types,
profiles), it checks what pydantic skips once a field is wrong — variant weights adding
up to 100 — and, given the template catalogue, that every template id exists (with the
closest one when it does not) and has a text for every channel the step may use. It also
warns when two campaigns claim the same cases with the same priority (only the first by
id would ever get them). Pure: documents and the catalogue come in as values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.campaigns.model import Campaign
from bot.campaigns.parsing import (
    CampaignText,
    Loc,
    Problem,
    _line_of,
    _parse,
    did_you_mean,
    format_loc,
)

CHANNELS = ("sms", "email", "telegram")


@dataclass
class Validation:
    """The campaigns that are valid, every problem (errors) and every warning."""

    campaigns: dict[str, Campaign] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # campaign id -> source

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_documents(documents: Iterable[CampaignText | Problem],
                       templates: Mapping[str, Collection[str]] | None = None) -> Validation:
    """Check every document; ``templates``: template id -> the channels it has a text
    for (None: template ids are not checked)."""
    result = Validation()
    for doc in documents:
        if isinstance(doc, Problem):
            result.problems.append(doc)
            continue
        campaign, problems = _parse(doc.text, doc.source)
        try:
            root = yaml.compose(doc.text, Loader=yaml.SafeLoader)
            data: Any = yaml.safe_load(doc.text)
        except yaml.YAMLError:
            root, data = None, None
        if isinstance(data, dict):
            problems += _raw_problems(data, root, doc.source, problems, templates)
        result.problems += _unique(problems)
        if campaign is None or problems:
            continue
        if campaign.id in result.campaigns:
            result.problems.append(Problem(
                doc.source, _line_of(root, ("id",)), "id",
                f"campaign id {campaign.id!r} is already defined in "
                f"{result.sources[campaign.id]}"))
            continue
        result.campaigns[campaign.id] = campaign
        result.sources[campaign.id] = doc.source
    result.warnings += overlap_warnings(result.campaigns, result.sources)
    return result


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _raw_problems(data: dict[str, Any], root: yaml.Node | None, source: str,
                  found: list[Problem], templates: Mapping[str, Collection[str]] | None
                  ) -> list[Problem]:
    out: list[Problem] = []
    steps = data.get("steps")
    if not isinstance(steps, list):
        return out

    def problem(loc: Loc, reason: str) -> None:
        out.append(Problem(source, _line_of(root, loc), format_loc(loc), reason))

    reported = {p.path for p in found}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        variants = step.get("variants")
        variants = variants if isinstance(variants, list) else []
        raw = [v.get("weight") for v in variants if isinstance(v, dict)]
        weights = [w for w in raw if isinstance(w, int) and not isinstance(w, bool)]
        if weights and len(weights) == len(raw) and sum(weights) != 100 \
                and f"steps[{i}].variants" not in reported:
            problem(("steps", i, "variants"),
                    f"variant weights must add up to 100 (got {sum(weights)})")
        if templates is None:
            continue
        arms: list[tuple[Loc, Any, Any]] = [(("steps", i), step.get("template"),
                                             step.get("channels"))]
        for j, v in enumerate(variants):
            if isinstance(v, dict):
                arms.append((("steps", i, "variants", j),
                             v.get("template") or step.get("template"),
                             v.get("channels") or step.get("channels")))
        for loc, template, channels in arms:
            _template_problems(loc, template, channels, templates, problem,
                               own="template" in (step if len(loc) == 2 else
                                                  variants[int(loc[-1])]))
    return out


def _template_problems(loc: Loc, template: Any, channels: Any,
                       templates: Mapping[str, Collection[str]], problem: Any,
                       own: bool) -> None:
    if not isinstance(template, str):
        return
    where = (*loc, "template") if own else loc
    if template not in templates:
        if own:
            problem(where, f"unknown template {template!r}"
                           f"{did_you_mean(template, sorted(templates))}")
        return
    has = templates[template]
    for channel in channels if isinstance(channels, list) else []:
        if channel in CHANNELS and channel not in has:
            problem(where, f"template {template!r} has no {channel} text "
                           f"(it has: {', '.join(sorted(has)) or 'none'})")


def overlap_warnings(campaigns: Mapping[str, Campaign], sources: Mapping[str, str]
                     ) -> list[Problem]:
    """Campaigns with the same rules and priority: only the first by id gets their cases."""
    seen: dict[tuple[Any, ...], str] = {}
    out: list[Problem] = []
    for cid in sorted(campaigns):
        a = campaigns[cid].assign
        key = (a.priority, *(None if v is None else tuple(sorted(str(x).casefold() for x in v))
                             for v in (a.countries, a.segments, a.products, a.risk_bands,
                                       a.languages)))
        if key in seen:
            out.append(Problem(sources.get(cid, cid), None, "assign",
                               f"campaign {cid!r} takes the same cases as {seen[key]!r} at "
                               f"the same priority ({a.describe()}): it gets none of them "
                               "while both are active; give one a lower priority or "
                               "narrower rules"))
        else:
            seen[key] = cid
    return out
