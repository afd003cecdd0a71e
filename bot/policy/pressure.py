"""Pressure and threat patterns: what no collection message may say, by pattern.

The patterns live in one data file per language (``bot/policy/pressure_patterns/*.yaml``,
read by ``storage.pressure_files``); :func:`parse_language_rules` turns one file's text
into :class:`LanguageRules` and :class:`PressureLexicon` checks a text against every
language. The template linter reports each finding as ``forbidden_phrase``.

Matching, per language file:

* the text is lower-cased, curly quotes are made straight and the file's
  ``contractions`` are expanded, so ``we will``, ``we'll`` and ``we’ll`` read the same;
* a pattern may use ``{name}`` for one of the file's ``words`` (inflected forms are
  written out in the pattern or the word: ``su(?:e|es|ed|ing)``);
* with ``word_boundaries`` a match must start and end at a word edge ("court" is not
  found in "courtesy"); Chinese files match anywhere;
* a ``negatable`` rule is not broken when the file's ``negation`` pattern ends the text
  before the match within its clause ("we will **not** sue", "我们**不会**联系您的家人");
  threats of arrest and insults are not negatable: "you will not be arrested" still
  brings arrest into a collection message;
* a match inside one of the rule's ``allow`` patterns is no finding ("how long you can
  be sued", "诉讼时效": the neutral wording of a time-barred-debt disclosure).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WORD = re.compile(r"\{([a-z_]+)\}")
#: where a clause ends: a negation before it does not reach a match after it
_CLAUSE_END = re.compile(r"[.;:!?,\n。；：！？，、]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_RULE_KEYS = {"id", "what", "source", "negatable", "patterns", "allow"}
_TOP_KEYS = {"language", "word_boundaries", "contractions", "negation", "words", "rules"}


class PressureRulesError(ValueError):
    """A pattern file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class PressureRule:
    """One family of threats (litigation, arrest, third parties...) in one language."""

    id: str
    what: str
    source: str
    negatable: bool
    pattern: re.Pattern[str]
    allow: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class PressureFinding:
    rule: str  # the rule id, e.g. "litigation"
    what: str
    source: str
    language: str
    text: str  # what matched, as normalised


@dataclass(frozen=True)
class LanguageRules:
    """The rules of one language file."""

    language: str
    rules: tuple[PressureRule, ...]
    contractions: tuple[tuple[str, str], ...] = ()
    negation: re.Pattern[str] | None = None

    def normalise(self, text: str) -> str:
        text = text.translate(_QUOTES).lower()
        for short, long in self.contractions:
            text = text.replace(short, long)
        return " ".join(text.split())

    def findings(self, text: str, rule_ids: Iterable[str] | None = None
                 ) -> list[PressureFinding]:
        wanted = None if rule_ids is None else set(rule_ids)
        plain = self.normalise(text)
        found: list[PressureFinding] = []
        for rule in self.rules:
            if wanted is not None and rule.id not in wanted:
                continue
            for match in rule.pattern.finditer(plain):
                if rule.allow is not None and _inside_allowed(rule.allow, plain, match):
                    continue
                if rule.negatable and self._negated(plain, match.start()):
                    continue
                found.append(PressureFinding(rule.id, rule.what, rule.source, self.language,
                                             match.group(0).strip()))
                break  # one finding per rule and text is enough to fix it
        return found

    def _negated(self, text: str, start: int) -> bool:
        if self.negation is None:
            return False
        before = text[:start]
        ends = [m.end() for m in _CLAUSE_END.finditer(before)]
        clause = before[ends[-1]:] if ends else before
        return self.negation.search(clause.rstrip()) is not None


def _inside_allowed(allow: re.Pattern[str], text: str, match: re.Match[str]) -> bool:
    return any(a.start() <= match.start() and match.end() <= a.end()
               for a in allow.finditer(text))


class PressureLexicon:
    """Every language's rules; a text is checked against all of them (an English text
    may quote a Chinese phrase and the other way round)."""

    def __init__(self, languages: Iterable[LanguageRules]) -> None:
        self.languages: dict[str, LanguageRules] = {}
        for rules in languages:
            if rules.language in self.languages:
                raise PressureRulesError(f"two pattern files for language {rules.language!r}")
            self.languages[rules.language] = rules

    def findings(self, text: str, rule_ids: Iterable[str] | None = None
                 ) -> list[PressureFinding]:
        """What in ``text`` threatens or pressures (only ``rule_ids`` when given)."""
        ids = None if rule_ids is None else tuple(rule_ids)
        return [f for rules in self.languages.values() for f in rules.findings(text, ids)]

    def rule_ids(self) -> set[str]:
        return {r.id for rules in self.languages.values() for r in rules.rules}


# ---------------------------------------------------------------------------- parsing
def parse_language_rules(text: str, *, source: str = "<memory>") -> LanguageRules:
    """One pattern file (format: ``bot/policy/pressure_patterns/README.md``); raises
    :class:`PressureRulesError` naming ``source`` and what is wrong."""
    def fail(msg: str) -> PressureRulesError:
        return PressureRulesError(f"{source}: {msg}")

    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise fail("must be a mapping with language and rules")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(map(str, unknown))}")
    language = data.get("language")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language):
        raise fail(f"language must be a two-letter code, got {language!r}")
    words = _strings(data.get("words") or {}, "words", fail)
    contractions = _strings(data.get("contractions") or {}, "contractions", fail)
    bounded = bool(data.get("word_boundaries", True))
    negation = data.get("negation")
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise fail("rules must be a non-empty list")
    seen: set[str] = set()
    rules = []
    for i, raw in enumerate(rules_data):
        rule = _rule(raw, i, words, bounded, fail)
        if rule.id in seen:
            raise fail(f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
        rules.append(rule)
    neg = None
    if negation is not None:
        if not isinstance(negation, str) or not negation.strip():
            raise fail("negation must be a pattern")
        edge = r"(?<![a-z0-9])" if bounded else ""
        # the negator, then at most two words (en) or a short modal (zh), then the match
        tail = r"(?:\s+\S+){0,2}$" if bounded else r"(?:会|能|要|再|可能|去|用|必)?$"
        neg = _compile(f"{edge}(?:{_expand(negation, words, fail)}){tail}", "negation", fail)
    ordered = sorted(contractions.items(), key=lambda kv: -len(kv[0]))
    return LanguageRules(language, tuple(rules), tuple((k.lower(), v) for k, v in ordered),
                         neg)


def _strings(value: Any, key: str, fail: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise fail(f"{key} must map names to text")
    return dict(value)


def _tidy(pattern: str) -> str:
    """A pattern as written across YAML lines: space next to ``|`` means nothing, a run
    of spaces is one space."""
    return re.sub(r"\s*\|\s*", "|", " ".join(pattern.split()))


def _rule(raw: Any, i: int, words: Mapping[str, str], bounded: bool, fail: Any
          ) -> PressureRule:
    where = f"rules[{i}]"
    if not isinstance(raw, dict):
        raise fail(f"{where} must be a mapping")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise fail(f"{where}: unknown keys {sorted(map(str, unknown))}")
    rid, what, source = raw.get("id"), raw.get("what"), raw.get("source")
    if not isinstance(rid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
        raise fail(f"{where}.id must be lower_snake_case, got {rid!r}")
    if not isinstance(what, str) or not what.strip():
        raise fail(f"{where}.what must be non-empty text ({rid})")
    if not isinstance(source, str) or not source.strip():
        raise fail(f"{where}.source must be non-empty text ({rid})")
    patterns = raw.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) and p.strip() for p in patterns):
        raise fail(f"{where}.patterns must be a non-empty list of patterns ({rid})")
    allow = raw.get("allow") or []
    if not isinstance(allow, list) or not all(isinstance(p, str) and p for p in allow):
        raise fail(f"{where}.allow must be a list of patterns ({rid})")
    edge_l, edge_r = (r"(?<![a-z0-9])", r"(?![a-z0-9])") if bounded else ("", "")
    body = "|".join(f"(?:{_expand(p, words, fail)})" for p in patterns)
    pattern = _compile(f"{edge_l}(?:{body}){edge_r}", f"{where}.patterns ({rid})", fail)
    allowed = None
    if allow:
        allowed = _compile("|".join(f"(?:{_expand(p, words, fail)})" for p in allow),
                           f"{where}.allow ({rid})", fail)
    return PressureRule(rid, what.strip(), source.strip(), bool(raw.get("negatable", False)),
                        pattern, allowed)


def _expand(pattern: str, words: Mapping[str, str], fail: Any) -> str:
    def word(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in words:
            raise fail(f"pattern {pattern!r} uses {{{name}}}, which words does not define")
        return f"(?:{_tidy(words[name])})"

    return _WORD.sub(word, _tidy(pattern))


def _compile(pattern: str, where: str, fail: Any) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise fail(f"{where}: not a valid pattern: {exc}") from None
