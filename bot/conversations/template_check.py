"""The check every template passes before it is used: the linter, for each profile in use.

A :class:`~bot.conversations.template_store.TemplateStore` built with a
:class:`TemplateCheck` accepts a template only when it lints clean under every profile
the deployment uses (its own and its campaigns'), with the deployment's brand in the
sample data: at start-up (a finding refuses the start), on a reload (a failing file is
refused and the template keeps its last valid version) and on an edit. So nothing
unlinted is ever rendered.

Linting a template costs milliseconds per profile; the result is kept per process by the
template's content, so applications built again and again on the same files (tests, the
planning processes) lint each text once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.conversations.template_errors import TemplateError
from bot.conversations.template_lint import LintIssue, LintProfile, lint_template, sample_contexts
from bot.conversations.template_spec import TemplateSpec
from bot.domain.brand import Brand
from bot.policy.pressure import PressureLexicon


class TemplateLintError(TemplateError):
    """A template that does not lint clean; one per finding (``code`` is the lint code)."""

    def __init__(self, issue: LintIssue) -> None:
        self.issue = issue
        self.code = issue.code  # type: ignore[misc]
        super().__init__(f"{issue.code} ({issue.profile}): {issue.message}",
                         template_id=issue.template_id, lang=issue.lang or None,
                         channel=issue.channel or None, level=issue.level or None,
                         part=issue.part or None)


class TemplateCheckError(TemplateError):
    """Templates or campaigns that cannot be used; ``findings`` lists every problem."""

    code = "check"

    def __init__(self, findings: Iterable[str], what: str = "templates") -> None:
        self.findings = list(findings)
        lines = "\n".join(f"  {f}" for f in self.findings)
        super().__init__(f"{len(self.findings)} problem(s) in the {what}; nothing loaded "
                         f"and nothing started:\n{lines}")


_CACHE: dict[tuple[Any, ...], tuple[LintProfile, PressureLexicon, list[LintIssue]]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4096


def content_key(spec: TemplateSpec) -> tuple[Any, ...]:
    """What a template's lint depends on (its id, level, exemption and texts)."""
    return (spec.id, spec.level, spec.opt_out_exempt,
            tuple(sorted(spec.variants.items(), key=lambda kv: (
                kv[0][0].value, kv[0][1].value, kv[0][2]))))


@dataclass(frozen=True)
class TemplateCheck:
    """Lints a template under every profile in ``profiles`` (see the module docs)."""

    profiles: tuple[LintProfile, ...]
    pressure: PressureLexicon
    brand: Brand = field(default_factory=lambda: Brand("Duebot Bank", "+1 800 555 0100",
                                                       "help@example.com",
                                                       "https://pay.example.com"))
    sms_segment_budget: int | None = None

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ValueError("a template check needs at least one profile")

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    def with_profiles(self, profiles: Iterable[LintProfile]) -> TemplateCheck:
        """The same check over these profiles too (each name once, the first wins)."""
        every = (*self.profiles, *profiles)
        merged = {p.name: p for p in reversed(every)}
        ordered = tuple(dict.fromkeys(p.name for p in every))
        return TemplateCheck(tuple(merged[n] for n in ordered), self.pressure, self.brand,
                             self.sms_segment_budget)

    def issues(self, spec: TemplateSpec) -> list[LintIssue]:
        """Every finding for ``spec`` under every profile (empty: it may be used)."""
        found: list[LintIssue] = []
        key = content_key(spec)
        for profile in self.profiles:
            found.extend(self._lint(key, spec, profile))
        return found

    def __call__(self, spec: TemplateSpec) -> list[TemplateError]:
        """The findings as errors (what a template store refuses a text for)."""
        return [TemplateLintError(issue) for issue in self.issues(spec)]

    def _lint(self, key: tuple[Any, ...], spec: TemplateSpec, profile: LintProfile
              ) -> list[LintIssue]:
        b = self.brand
        cache_key = (key, profile.name, id(profile), id(self.pressure), b.brand_name,
                     b.pay_url, b.support_phone, b.support_email, self.sms_segment_budget)
        with _CACHE_LOCK:
            hit = _CACHE.get(cache_key)
        if hit is not None and hit[0] is profile and hit[1] is self.pressure:
            return list(hit[2])
        samples = sample_contexts(brand_name=b.brand_name, pay_url=b.pay_url,
                                  support_phone=b.support_phone,
                                  support_email=b.support_email)
        issues = lint_template(spec, profile, pressure=self.pressure, samples=samples,
                               sms_segment_budget=self.sms_segment_budget)
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[cache_key] = (profile, self.pressure, issues)
        return list(issues)
