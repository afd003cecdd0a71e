"""The template linter (``duebot templates lint``, run in CI).

Every text of every template is checked statically, then rendered with fixed sample
data in each of its languages (and, for English, both US and UK locales), and the
output is checked against a jurisdiction profile. Issue codes:

``syntax``               not YAML / not the template format / not valid Jinja
``unsafe``               reaches outside the sandbox (``{{ ''.__class__ }}``, include, ...)
``undefined``            uses a variable the render context does not define
``render``               fails to render for another reason (a filter got a bad value)
``missing_language``     a channel has text in one shipped language but not another
``missing_opt_out``      an SMS, email or Telegram body without the profile's opt-out
                         instruction (Reg F 1006.6(e): every electronic medium)
``opt_out_exempt``       ``opt_out_exempt`` on a template outside
                         :data:`OPT_OUT_EXEMPT_TEMPLATES` (the fixed set of system texts
                         that confirm an opt-out or a bereavement)
``sms_too_long``         an SMS needs more segments than the budget (GSM-7 vs UCS-2)
``disclosure``           limited content (any limited text, every email subject) that
                         mentions an amount, an account number or a debt word, or reads
                         a verified-only variable
``forbidden_phrase``     a threat, pressure or insult found by the pattern rules of
                         :mod:`bot.policy.pressure` (per-language data files)
``missing_mini_miranda`` verified content without the debt-collector disclosure where
                         the profile requires it
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Protocol

from bot.conversations.disclosure import VERIFIED_ONLY_VARIABLES, Disclosure, variables_for
from bot.conversations.render_context import PlanOption, RenderContext
from bot.conversations.template_compiler import compile_text, undeclared_variables
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import RenderProfile, TemplateRenderer
from bot.conversations.template_spec import TemplateSpec
from bot.conversations.template_store import TemplateStore
from bot.domain.messages import ChannelKind
from bot.domain.money import from_minor
from bot.domain.sms_segments import GSM7_BASIC, GSM7_EXTENSION, count_segments
from bot.policy.pressure import PressureLexicon

SHIPPED_LANGUAGES = ("en", "zh")
#: SMS segments a message may use when the profile sets no budget of its own
DEFAULT_SMS_SEGMENT_BUDGET = 2

CODES = (
    "syntax", "unsafe", "undefined", "render", "missing_language", "missing_opt_out",
    "opt_out_exempt", "sms_too_long", "disclosure", "forbidden_phrase", "missing_mini_miranda",
)

#: the only templates that may carry no opt-out instruction (``opt_out_exempt``): system
#: texts confirming what the customer just asked for, where "reply STOP" makes no sense
OPT_OUT_EXEMPT_TEMPLATES = frozenset({"opt_out_confirmed", "opt_out_scope_confirmed",
                                      "bereavement_ack"})


class LintProfile(RenderProfile, Protocol):
    """What the linter needs from a jurisdiction profile; matches
    :class:`bot.policy.profiles.JurisdictionProfile`. A profile may also carry an
    ``sms_segment_budget`` int; without one :data:`DEFAULT_SMS_SEGMENT_BUDGET` applies."""

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class DictProfile:
    """A :class:`LintProfile` built from plain dicts (tests, or a profile under design)."""

    name: str
    opt_out: Mapping[str, Mapping[str, str]]  # language -> channel value -> instruction
    requires_mini_miranda: bool = False
    mini_miranda: Mapping[str, str] = field(default_factory=dict)
    sms_segment_budget: int = DEFAULT_SMS_SEGMENT_BUDGET

    def opt_out_text(self, language: str, channel: ChannelKind) -> str:
        texts = self.opt_out.get(language) or self.opt_out["en"]
        return texts[ChannelKind(channel).value]

    def mini_miranda_text(self, language: str) -> str | None:
        if not self.requires_mini_miranda:
            return None
        return self.mini_miranda.get(language) or self.mini_miranda.get("en")


def known_profiles() -> dict[str, LintProfile]:
    """The shipped jurisdiction profiles, by name."""
    from bot.policy.profiles import PROFILES

    return dict(PROFILES)


def get_profile(name: str) -> LintProfile:
    """A shipped profile by exact name; :class:`ValueError` naming the known ones."""
    from bot.policy.profiles import get_profile as policy_profile

    return policy_profile(name)


@dataclass(frozen=True, slots=True)
class LintIssue:
    template_id: str
    lang: str
    channel: str
    code: str
    message: str
    level: str = ""
    part: str = ""
    profile: str = ""

    def __str__(self) -> str:
        bits = "/".join(b for b in (self.level, self.channel, self.lang, self.part) if b)
        where = f"{self.template_id} [{bits}]" if bits else self.template_id
        return f"{where} {self.code}: {self.message}"


# ---------------------------------------------------------------------------- samples
SAMPLE_ACCOUNT = "ACC-00004821"


def sample_contexts(
    *,
    brand_name: str = "Duebot Bank",
    pay_url: str = "https://pay.example.com",
    support_phone: str = "+1 800 555 0100",
    support_email: str = "help@example.com",
) -> dict[str, list[RenderContext]]:
    """Fixed sample contexts by language, each language twice:

    * full - every optional value set (en as US/USD, zh as CN/CNY, date-of-birth checks);
    * sparse - what a real case may lack: no name, no minimum payment, a promise with a
      date but no amount, no plan options, no attempt count (en as UK/GBP, ID checks).

    The linter reads the amounts and the account back out of limited output to catch
    disclosures, so the amounts are chosen not to collide with the phone number.
    """
    def ctx(language: str, locale: str, name: str, currency: str, balance: int,
            minimum: int | None, promise: int | None, *, full: bool) -> RenderContext:
        plans = tuple(PlanOption(n, -(-balance // n), date(2025, 4, 1)) for n in (3, 6, 12))
        return RenderContext(
            brand_name=brand_name, pay_url=pay_url, support_phone=support_phone,
            support_email=support_email, disclosure=Disclosure.VERIFIED, language=language,
            locale=locale, customer_name=name,
            deep_link="https://t.me/DuebotBankBot?start=Zx8kQ7pWmA",
            verify_method="dob" if full else "id_last4",
            verify_attempts_left=2 if full else None, account_id=SAMPLE_ACCOUNT,
            currency=currency, balance_minor=balance, due_date=date(2025, 3, 14),
            minimum_payment_minor=minimum, days_past_due=37, promise_amount_minor=promise,
            promise_date=date(2025, 3, 28), plan_options=plans if full else (),
            itemization_date=date(2025, 3, 14), itemization_amount_minor=balance + 1500,
            payments_since_minor=1500, validation_end=date(2025, 4, 21),
        )

    return {
        "en": [ctx("en", "en_US", "Jordan Avery Smith", "USD", 124000, 12400, 50000, full=True),
               ctx("en", "en_GB", "", "GBP", 9640, None, None, full=False)],
        "zh": [ctx("zh", "zh_CN", "王小明", "CNY", 240000, 24000, 80000, full=True),
               ctx("zh", "zh_CN", "", "CNY", 731200, None, None, full=False)],
    }


# ---------------------------------------------------------------------------- rules
_DEBT_WORDS_EN = re.compile(
    r"(?<![A-Za-z])(?:debts?|owe[sd]?|owing|overdue|arrears|past[- ]due|due|delinquen\w*"
    r"|collections?|collectors?|collecting|balances?|outstanding|unpaid|defaulted|default"
    r"|late (?:payment|fee)s?|missed payments?|instal+ments?|repay\w*|loans?|credit report\w*"
    r"|charge[- ]?off|lawsuits?|court|legal|recovery|settlement)(?![A-Za-z])",
    re.IGNORECASE,
)
_DEBT_WORDS_ZH = re.compile(
    r"欠|债|逾期|催收|催缴|还款|还钱|拖欠|未还|未付|违约|余额|到期|分期|贷款|征信|诉讼|法律|法院"
    r"|律师|滞纳|罚息|利息|结清"
)
_MONEY = re.compile(
    r"(?:[$£¥€₹]|US\$|CN¥|RMB|USD|GBP|CNY|EUR)\s?\d[\d,.]*"
    r"|\d[\d,.]*\s?(?:USD|GBP|CNY|RMB|EUR|元|块|美元|英镑|人民币|欧元)",
    re.IGNORECASE,
)
_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MASKED = re.compile(r"[*•xX]{3,}\s?[0-9A-Za-z]{2,4}")


def _amount_patterns(ctx: RenderContext) -> list[re.Pattern[str]]:
    """The sample's own amounts, however they might be written."""
    amounts = [ctx.balance_minor, ctx.minimum_payment_minor, ctx.promise_amount_minor,
               *(p.amount_minor for p in ctx.plan_options)]
    pats = []
    for minor in amounts:
        if minor is None or ctx.currency is None:
            continue
        value = from_minor(minor, ctx.currency)
        whole = int(value)
        forms = {f"{value}", f"{value:,}"}
        if whole >= 1000:  # shorter whole numbers are too common (phone numbers, days)
            forms |= {str(whole), f"{whole:,}"}
        for form in forms:
            pats.append(re.compile(rf"(?<![\d,.]){re.escape(form)}(?![\d]|[.,]\d)"))
    return pats


def disclosure_findings(text: str, ctx: RenderContext | None = None) -> list[str]:
    """What in ``text`` a stranger must not read (empty when it is fit for limited).

    With the sample ``ctx`` it was rendered from, the sample's own amounts and account
    number are looked for too."""
    found = []
    for pattern, what in ((_DEBT_WORDS_EN, "debt word"), (_DEBT_WORDS_ZH, "debt word"),
                          (_MONEY, "amount")):
        match = pattern.search(text)
        if match:
            found.append(f"{what} {match.group(0)!r}")
    for pat in _amount_patterns(ctx) if ctx is not None else ():
        match = pat.search(text)
        if match:
            found.append(f"amount {match.group(0)!r}")
            break
    if ctx is not None and ctx.account_id:
        last4 = re.sub(r"\D", "", ctx.account_id)[-4:]
        if ctx.account_id.lower() in text.lower():
            found.append("account number")
        elif last4 and re.search(rf"(?<!\d){last4}(?!\d)", text):
            found.append(f"account number digits {last4!r}")
    match = _MASKED.search(text)
    if match:
        found.append(f"masked account {match.group(0)!r}")
    return found


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _non_gsm(text: str) -> str:
    odd = sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION})
    return "".join(odd[:8])


# ---------------------------------------------------------------------------- linter
def lint_templates(
    store: TemplateStore,
    profile: LintProfile,
    *,
    pressure: PressureLexicon,
    samples: Mapping[str, Sequence[RenderContext]] | None = None,
    languages: Iterable[str] = SHIPPED_LANGUAGES,
    sms_segment_budget: int | None = None,
) -> list[LintIssue]:
    """Every issue of every template in ``store`` (plus the files it failed to load);
    ``pressure`` holds the threat and pressure patterns
    (``storage.pressure_files.shipped_pressure_lexicon()``)."""
    linter = _Linter(profile, pressure, samples or sample_contexts(), tuple(languages),
                     sms_segment_budget)
    issues: list[LintIssue] = []
    for problem in store.problems:
        err = problem.error
        issues.append(LintIssue(err.template_id or PurePath(problem.path).stem,
                                err.lang or "", err.channel or "", err.code, _message(err),
                                err.level or "", err.part or "", profile.name))
    for spec in store:
        issues.extend(linter.lint(spec))
    return issues


def lint_template(
    spec: TemplateSpec,
    profile: LintProfile,
    *,
    pressure: PressureLexicon,
    samples: Mapping[str, Sequence[RenderContext]] | None = None,
    languages: Iterable[str] = SHIPPED_LANGUAGES,
    sms_segment_budget: int | None = None,
) -> list[LintIssue]:
    """Lint one parsed template (e.g. an admin's edit, before it is saved); syntax and
    sandbox problems are issues here, not exceptions."""
    return lint_templates(TemplateStore([spec]), profile, pressure=pressure, samples=samples,
                          languages=languages, sms_segment_budget=sms_segment_budget)


def _message(err: TemplateError) -> str:
    return err.detail + (f" (line {err.line})" if err.line else "")


class _Linter:
    def __init__(self, profile: LintProfile, pressure: PressureLexicon,
                 samples: Mapping[str, Sequence[RenderContext]],
                 languages: tuple[str, ...], budget: int | None) -> None:
        self.profile = profile
        self.pressure = pressure
        self.samples = samples
        self.languages = languages
        self.budget = budget or getattr(profile, "sms_segment_budget", None) \
            or DEFAULT_SMS_SEGMENT_BUDGET

    def lint(self, spec: TemplateSpec) -> list[LintIssue]:
        out: list[LintIssue] = []
        seen: set[tuple[str, ...]] = set()

        def add(lang: str, channel: str, code: str, message: str, level: str = "",
                part: str = "") -> None:
            key = (lang, channel, code, message, level, part)
            if key not in seen:
                seen.add(key)
                out.append(LintIssue(spec.id, lang, channel, code, message, level, part,
                                     self.profile.name))

        for disclosure in spec.level.disclosures:
            for channel in sorted(spec.channels(disclosure)):
                have = {lang for (d, c, lang) in spec.variants if d is disclosure and c is channel}
                for lang in self.languages:
                    if lang not in have:
                        add(lang, channel.value, "missing_language",
                            f"no {lang} text (has {', '.join(sorted(have))})", disclosure.value)

        if spec.opt_out_exempt is not None and spec.id not in OPT_OUT_EXEMPT_TEMPLATES:
            allowed = ", ".join(sorted(OPT_OUT_EXEMPT_TEMPLATES))
            add("", "", "opt_out_exempt",
                f"only the system templates {allowed} may be opt_out_exempt; every other "
                "text carries the opt-out instruction (print {{ opt_out }})")

        renderer = TemplateRenderer(TemplateStore([spec]), self.profile)
        for (disclosure, channel, lang), variant in sorted(spec.variants.items()):
            static_ok = True
            for part, source in variant.parts():
                level = Disclosure.LIMITED if part == "subject" else disclosure
                for code, message in self._static(source, level, part):
                    static_ok = False
                    add(lang, channel.value, code, message, disclosure.value, part)
            rendered_any = False
            for sample in self.samples.get(lang, ()) if static_ok else ():
                try:
                    rendered = renderer.render(spec.id, lang, channel, sample, level=disclosure)
                except TemplateError as err:
                    add(lang, channel.value, err.code if err.code in CODES else "render",
                        _message(err), disclosure.value, err.part or "")
                    continue
                rendered_any = True
                for code, message, part in self._check(spec, rendered.body, rendered.subject,
                                                       disclosure, channel, lang, sample):
                    add(lang, channel.value, code, message, disclosure.value, part)
            if not rendered_any:
                # still report what the literal text says, so one fix-and-rerun shows all
                for part, source in variant.parts():
                    literal = _JINJA_TAG.sub(" ", source)
                    for code, message in self._content(literal, part, disclosure, None):
                        add(lang, channel.value, code, message, disclosure.value, part)
        return out

    def _static(self, source: str, level: Disclosure, part: str) -> list[tuple[str, str]]:
        try:
            compile_text(source)
        except TemplateError as err:
            return [(err.code, _message(err))]
        names = undeclared_variables(source)
        allowed = variables_for(level)
        found = []
        for name in sorted(names - allowed):
            if name in VERIFIED_ONLY_VARIABLES:
                scope = "an email subject" if part == "subject" else "limited content"
                found.append(("disclosure", f"{name!r} is verified-only and cannot be used "
                                            f"in {scope}"))
            else:
                found.append(("undefined", f"undefined variable {name!r} (not a template "
                                           "variable)"))
        return found

    def _content(self, text: str, part: str, disclosure: Disclosure,
                 sample: RenderContext | None) -> list[tuple[str, str]]:
        """Disclosure (limited content, every subject) and forbidden-phrase findings."""
        found: list[tuple[str, str]] = []
        if disclosure is Disclosure.LIMITED or part == "subject":
            scope = "email subject" if part == "subject" else "limited content"
            found.extend(("disclosure", f"{scope} reveals a debt: {finding}")
                         for finding in disclosure_findings(text, sample))
        for finding in self.pressure.findings(text):
            found.append(("forbidden_phrase",
                          f"{finding.text!r} is forbidden by {self.profile.name}: "
                          f"{finding.what} (rule {finding.language}/{finding.rule}; "
                          f"{finding.source})"))
        return found

    def _check(self, spec: TemplateSpec, body: str, subject: str | None,
               disclosure: Disclosure, channel: ChannelKind, lang: str,
               sample: RenderContext) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        parts = [("body", body)] + ([("subject", subject)] if subject is not None else [])

        if spec.opt_out_exempt is None or spec.id not in OPT_OUT_EXEMPT_TEMPLATES:
            instruction = self.profile.opt_out_text(lang, channel)
            if instruction and _normalise(instruction) not in _normalise(body):
                found.append(("missing_opt_out",
                              f"the body lacks the {self.profile.name} opt-out instruction "
                              f"{instruction!r} (print {{{{ opt_out }}}})", "body"))

        if channel is ChannelKind.SMS:
            info = count_segments(body)
            if info.segments > self.budget:
                why = ""
                if info.encoding == "UCS-2" and lang == "en":
                    why = f"; UCS-2 because of {_non_gsm(body)!r}"
                found.append(("sms_too_long",
                              f"needs {info.segments} segments ({info.encoding}, {info.units} "
                              f"units with {sample.locale} sample data), budget is "
                              f"{self.budget}{why}", "body"))

        for part, text in parts:
            found.extend((code, message, part)
                         for code, message in self._content(text, part, disclosure, sample))

        if disclosure is Disclosure.VERIFIED and self.profile.requires_mini_miranda:
            miranda = self.profile.mini_miranda_text(lang)
            if miranda and _normalise(miranda) not in _normalise(body):
                found.append(("missing_mini_miranda",
                              f"{self.profile.name} requires the mini-Miranda disclosure in "
                              "verified content (print {{ mini_miranda }})", "body"))
        return found

