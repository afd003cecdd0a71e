"""Parse and validate campaign YAML documents, all or nothing.

Every problem in every document is reported at once as ``file:line: path.inside:
reason`` (YAML syntax errors with their line, validation errors with the path pydantic
gives and the line of the offending value). If anything is wrong, nothing is returned:
callers keep whatever campaigns they had before. Documents come as text with a source
name for the messages; reading files is the adapter's job (``storage.campaign_files``).
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.campaigns.model import Campaign

if TYPE_CHECKING:
    import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class CampaignError(ValueError):
    """One or more campaign files are invalid; ``problems`` lists each of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in campaign definitions; nothing loaded"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


def format_loc(loc: Loc) -> str:
    """``("steps", 2, "channels", 0)`` → ``steps[2].channels[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the node at ``loc``, or of its closest existing parent."""
    import yaml

    node = root
    if node is None:
        return None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _duplicate_keys(node: yaml.Node, path: Loc = ()) -> list[tuple[Loc, int, str]]:
    """PyYAML keeps the last of two equal keys silently; we refuse the file instead."""
    import yaml

    out: list[tuple[Loc, int, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            if name in seen:
                out.append(((*path, name), key.start_mark.line + 1,
                            f"duplicate key {name!r}"))
            seen.add(name)
            out += _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _duplicate_keys(item, (*path, i))
    return out


def parse_campaign(text: str, source: str) -> Campaign:
    """Validate one campaign document; ``source`` names it in errors (file or "console")."""
    campaign, problems = _parse(text, source)
    if problems or campaign is None:
        raise CampaignError(problems)
    return campaign


def _parse(text: str, source: str) -> tuple[Campaign | None, list[Problem]]:
    # YAML is read only when a campaign is parsed: looking at cases imports none
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        return None, [Problem(source, line, "", f"YAML syntax error: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(source, None, "", f"YAML error: {exc}")]

    if root is not None:
        dups = _duplicate_keys(root)
        if dups:
            return None, [Problem(source, line, format_loc(loc), why) for loc, line, why in dups]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return None, [Problem(source, 1, "", f"a campaign file holds a mapping, not {kind}")]
    try:
        return Campaign.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc: Loc = tuple(err["loc"])
            reason = _reason(err)
            problems.append(Problem(source, _line_of(root, loc), format_loc(loc) or "(top)",
                                    reason))
        return None, problems


def did_you_mean(value: object, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, else ``""``."""
    close = difflib.get_close_matches(str(value), list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model whose fields are found at ``loc`` inside a campaign document."""
    model: type[BaseModel] | None = Campaign
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(part)
        model = None if info is None else _inner_model(info.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _reason(err: Any) -> str:
    """A reader's message for one validation error: unknown fields and values name the
    closest known one."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden" and loc:
        model = _model_at(loc[:-1])
        known = sorted(model.model_fields) if model is not None else []
        return (f"unknown field {loc[-1]!r}{did_you_mean(loc[-1], known)}"
                + (f" (known fields: {', '.join(known)})" if known else ""))
    if kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        what = "channel" if "channels" in loc else "value"
        return (f"unknown {what} {err['input']!r}{did_you_mean(err['input'], expected)}"
                f" (one of: {', '.join(expected)})")
    return str(err["msg"]).removeprefix("Value error, ")


@dataclass(frozen=True, slots=True)
class CampaignText:
    """One campaign document as read; ``source`` names it in problems (a file, "console")."""

    source: str
    text: str


def parse_campaigns(documents: Iterable[CampaignText | Problem]) -> dict[str, Campaign]:
    """Every document's campaign by id, or nothing at all (:class:`CampaignError`).

    All documents are checked before anything is returned; a campaign id defined twice
    is an error too. A :class:`Problem` among the documents stands for one that could
    not be read, and is reported in its place.
    """
    problems: list[Problem] = []
    loaded: dict[str, tuple[Campaign, str]] = {}
    for doc in documents:
        if isinstance(doc, Problem):
            problems.append(doc)
            continue
        campaign, found = _parse(doc.text, doc.source)
        if found or campaign is None:
            problems += found
            continue
        if campaign.id in loaded:
            import yaml

            other = loaded[campaign.id][1]
            root = yaml.compose(doc.text, Loader=yaml.SafeLoader)
            problems.append(Problem(doc.source, _line_of(root, ("id",)), "id",
                                    f"campaign id {campaign.id!r} is already defined in "
                                    f"{other}"))
            continue
        loaded[campaign.id] = (campaign, doc.source)
    if problems:
        raise CampaignError(problems)
    return {cid: c for cid, (c, _) in loaded.items()}
