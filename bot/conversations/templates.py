"""Message templates: loading, validation and privacy-aware rendering.

One YAML file per template id (format: ``bot/templates/README.md``) holds the text for
each disclosure level, channel and language. Loading is split in three steps so an
admin console can check an edited template before saving it:

* :func:`parse_template` - YAML and shape (raises :class:`TemplateFormatError`);
* :func:`compile_problems` - Jinja syntax and sandbox rules for every text;
* :class:`TemplateStore` - the loaded set (package dir, then the override dir).

:class:`TemplateRenderer` renders with a Jinja ``SandboxedEnvironment`` and
``StrictUndefined``. Disclosure is enforced twice: the renderer refuses ``verified``
content on a ``limited`` context, and limited texts (and every email subject) are
rendered with the limited variables only, so a limited text *cannot* print a balance.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import yaml
from jinja2 import StrictUndefined, Template, nodes
from jinja2 import exceptions as jinja_exc
from jinja2 import meta as jinja_meta
from jinja2.sandbox import SandboxedEnvironment

from bot.conversations.template_filters import FILTERS, FilterError, locale_for
from bot.domain.messages import ChannelKind

if TYPE_CHECKING:
    from bot.domain.case import Case
    from bot.domain.sms_segments import SegmentInfo
    from bot.settings import Settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


class Disclosure(StrEnum):
    """How much a text may reveal.

    ``limited``: what a stranger holding the phone or mailbox may read - brand name, a
    request to get in touch, how to reply or pay; no amount, no account number, no word
    that reveals a debt. ``verified``: full detail, only for a verified right party.
    """

    LIMITED = "limited"
    VERIFIED = "verified"


class TemplateLevel(StrEnum):
    """The levels a template file declares it holds content for."""

    LIMITED = "limited"
    VERIFIED = "verified"
    BOTH = "both"

    @property
    def disclosures(self) -> tuple[Disclosure, ...]:
        if self is TemplateLevel.BOTH:
            return (Disclosure.LIMITED, Disclosure.VERIFIED)
        return (Disclosure(self.value),)


#: variables any text may use
LIMITED_VARIABLES = frozenset({
    "brand_name", "customer_name", "language", "locale", "pay_url", "support_phone",
    "support_email", "deep_link", "opt_out", "promise_date", "verify_method",
    "verify_attempts_left",
})
#: variables only verified bodies may use (never an email subject)
VERIFIED_ONLY_VARIABLES = frozenset({
    "account_id", "balance_minor", "currency", "due_date", "minimum_payment_minor",
    "promise_amount_minor", "plan_options", "days_past_due", "mini_miranda",
})
VERIFIED_VARIABLES = LIMITED_VARIABLES | VERIFIED_ONLY_VARIABLES


def variables_for(disclosure: Disclosure) -> frozenset[str]:
    return VERIFIED_VARIABLES if disclosure is Disclosure.VERIFIED else LIMITED_VARIABLES


# ---------------------------------------------------------------------------- errors
class TemplateError(Exception):
    """A template problem; ``where`` names the template, language, channel, level and part."""

    code = "template"

    def __init__(
        self,
        message: str,
        *,
        template_id: str | None = None,
        lang: str | None = None,
        channel: str | None = None,
        level: str | None = None,
        part: str | None = None,
        line: int | None = None,
    ) -> None:
        self.detail = message
        self.template_id = template_id
        self.lang = lang
        self.channel = channel
        self.level = level
        self.part = part
        self.line = line
        super().__init__(f"{self.where}: {message}" if self.where else message)

    @property
    def where(self) -> str:
        if self.template_id is None:
            return ""
        bits = [b for b in (self.level, self.channel, self.lang, self.part) if b]
        loc = f"template {self.template_id}"
        if bits:
            loc += f" [{'/'.join(bits)}]"
        if self.line is not None:
            loc += f" line {self.line}"
        return loc


class TemplateFormatError(TemplateError):
    """The file is not valid YAML or not in the template format."""

    code = "syntax"


class TemplateSyntaxError(TemplateError):
    """A text is not valid Jinja."""

    code = "syntax"


class UnsafeTemplateError(TemplateError):
    """A text tries to reach outside the sandbox (dunder attributes, imports, ...)."""

    code = "unsafe"


class UndefinedVariableError(TemplateError):
    """A text used a variable the render context does not define."""

    code = "undefined"

    def __init__(self, message: str, *, variable: str | None = None, **where: Any) -> None:
        self.variable = variable
        super().__init__(message, **where)


class DisclosureError(TemplateError):
    """Verified content was asked for on a limited context, or a limited text reached
    for verified-only data."""

    code = "disclosure"


class UnknownTemplateError(TemplateError, LookupError):
    code = "unknown"


class MissingVariantError(TemplateError, LookupError):
    """The template has no text for this channel/language/level."""

    code = "missing_variant"


class TemplateRenderError(TemplateError):
    """Rendering failed for another reason (e.g. a filter got a value it cannot format)."""

    code = "render"


# ---------------------------------------------------------------------------- spec
@dataclass(frozen=True, slots=True)
class Variant:
    """The text of one (level, channel, language): a body and, for email, a subject."""

    body: str
    subject: str | None = None

    def parts(self) -> Iterator[tuple[str, str]]:
        if self.subject is not None:
            yield "subject", self.subject
        yield "body", self.body


VariantKey = tuple[Disclosure, ChannelKind, str]


@dataclass(frozen=True)
class TemplateSpec:
    """One parsed template file."""

    id: str
    level: TemplateLevel
    variants: Mapping[VariantKey, Variant]
    description: str = ""
    opt_out_exempt: str | None = None  # why SMS/email texts carry no opt-out instruction
    source: str = "<memory>"

    def variant(self, disclosure: Disclosure, channel: ChannelKind, lang: str) -> Variant | None:
        return self.variants.get((disclosure, channel, lang))

    def languages(self) -> set[str]:
        return {lang for (_, _, lang) in self.variants}

    def channels(self, disclosure: Disclosure) -> set[ChannelKind]:
        return {ch for (lv, ch, _) in self.variants if lv is disclosure}


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TOP_KEYS = {"id", "description", "level", "limited", "verified", "opt_out_exempt"}


def parse_template(text: str, *, source: str = "<memory>",
                   expected_id: str | None = None) -> TemplateSpec:
    """Parse and shape-check one template file; raises :class:`TemplateFormatError`.

    Does not compile the Jinja texts: see :func:`compile_problems`.
    """
    def fail(msg: str, tid: str | None = None) -> TemplateFormatError:
        return TemplateFormatError(f"{source}: {msg}", template_id=tid)

    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # safe loader: plain data only
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise fail("must be a mapping with id, level and the texts")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(map(str, unknown))}; allowed: {sorted(_TOP_KEYS)}")
    tid = data.get("id")
    if not isinstance(tid, str) or not TEMPLATE_ID.match(tid):
        raise fail(f"id must be lower_snake_case (up to 64 chars), got {tid!r}")
    if expected_id is not None and tid != expected_id:
        raise fail(f"id {tid!r} does not match the file name {expected_id!r}", tid)
    try:
        level = TemplateLevel(str(data.get("level")))
    except ValueError:
        raise fail(f"level must be limited, verified or both, got {data.get('level')!r}",
                   tid) from None
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description must be text", tid)
    exempt = data.get("opt_out_exempt")
    if exempt is not None and (not isinstance(exempt, str) or not exempt.strip()):
        raise fail("opt_out_exempt must be a non-empty reason", tid)

    variants: dict[VariantKey, Variant] = {}
    for disclosure in Disclosure:
        section = data.get(disclosure.value)
        if disclosure not in level.disclosures:
            if section is not None:
                raise fail(f"level is {level.value} but the file has a {disclosure.value} "
                           "section", tid)
            continue
        if not isinstance(section, dict) or not section:
            raise fail(f"level {level.value} needs a {disclosure.value} section with "
                       "channels", tid)
        for ch_name, by_lang in section.items():
            try:
                channel = ChannelKind(ch_name)
            except ValueError:
                raise fail(f"{disclosure.value}: unknown channel {ch_name!r} "
                           f"(use {', '.join(c.value for c in ChannelKind)})", tid) from None
            if disclosure is Disclosure.VERIFIED and channel is ChannelKind.SMS:
                raise fail("verified: SMS content is always limited (anyone holding the "
                           "phone can read it)", tid)
            if not isinstance(by_lang, dict) or not by_lang:
                raise fail(f"{disclosure.value}.{channel.value} must map languages to "
                           "texts", tid)
            for lang, value in by_lang.items():
                where = f"{disclosure.value}.{channel.value}.{lang}"
                if not isinstance(lang, str) or not LANGUAGE.match(lang):
                    raise fail(f"{where}: language must be a two-letter code", tid)
                variants[(disclosure, channel, lang)] = _parse_variant(
                    value, channel, where, fail, tid)
    return TemplateSpec(tid, level, variants, description.strip(),
                        exempt.strip() if exempt else None, source)


def _parse_variant(value: Any, channel: ChannelKind, where: str, fail: Any,
                   tid: str) -> Variant:
    if channel is ChannelKind.EMAIL:
        if not isinstance(value, dict) or set(value) != {"subject", "body"}:
            raise fail(f"{where}: an email needs exactly 'subject' and 'body'", tid)
        subject, body = value["subject"], value["body"]
        if not isinstance(subject, str) or not subject.strip():
            raise fail(f"{where}.subject must be non-empty text", tid)
        if "\n" in subject.strip():
            raise fail(f"{where}.subject must be one line", tid)
        if not isinstance(body, str) or not body.strip():
            raise fail(f"{where}.body must be non-empty text", tid)
        return Variant(body=body, subject=subject.strip())
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{where} must be non-empty text", tid)
    return Variant(body=value)


# ---------------------------------------------------------------------------- environment
def make_environment() -> SandboxedEnvironment:
    """The sandbox every template text runs in: strict undefined, no globals but
    ``range``, no ``attr`` filter, our filters, no autoescape (texts are plain text).

    ``trim_blocks``: the newline after a block tag is dropped, so a content line that
    ends with ``{% endif %}`` must end with ``{% endif +%}`` to keep its line break.
    """
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,  # a line holding only a block tag leaves no blank line
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=_refuse_none,
    )
    env.globals = {"range": env.globals["range"]}
    env.filters.pop("attr", None)
    env.filters.update(FILTERS)
    return env


def _refuse_none(value: Any) -> Any:
    if value is None:
        raise FilterError("a variable printed None (the render context left it empty)")
    return value


def _static_unsafe(ast: nodes.Template) -> str | None:
    """Why a parsed text is unsafe, or None. The sandbox would also stop most of these
    at run time; refusing them before any run means they are never executed."""
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return f"{type(node).__name__.lower()} is not allowed in a message template"
    for getattr_node in ast.find_all(nodes.Getattr):
        if getattr_node.attr.startswith("_"):
            return f"access to attribute {getattr_node.attr!r} is not allowed"
    for getitem in ast.find_all(nodes.Getitem):
        if isinstance(getitem.arg, nodes.Const) and isinstance(getitem.arg.value, str) \
                and getitem.arg.value.startswith("_"):
            return f"access to item {getitem.arg.value!r} is not allowed"
    for name in ast.find_all(nodes.Name):
        if name.name.startswith("_"):
            return f"name {name.name!r} is not allowed"
    for flt in ast.find_all((nodes.Filter, nodes.Test)):
        if flt.name == "attr":
            return "the attr filter is not allowed"
    return None


#: the one environment every text is compiled in
ENV = make_environment()


# ---------------------------------------------------------------------------- profile
class RenderProfile(Protocol):
    """What rendering needs from a jurisdiction profile; matches
    :class:`bot.policy.profiles.JurisdictionProfile`."""

    @property
    def requires_mini_miranda(self) -> bool: ...

    def opt_out_text(self, language: str, channel: ChannelKind) -> str:
        """The opt-out instruction for this language and channel."""
        ...

    def mini_miranda_text(self, language: str) -> str | None:
        """The debt-collector disclosure in this language, None when not required."""
        ...


# ---------------------------------------------------------------------------- context
@dataclass(frozen=True, slots=True)
class PlanOption:
    """An instalment plan to offer: ``count`` payments of ``amount_minor``."""

    count: int
    amount_minor: int
    first_due: date | None = None


@dataclass(frozen=True)
class RenderContext:
    """Everything a template may print, and the disclosure level the recipient allows.

    Optional values left ``None`` are *not defined* in the template, so a text that
    prints one fails with a precise "undefined" error instead of printing "None";
    texts test them with ``{% if promise_amount_minor is defined %}``.
    """

    brand_name: str
    pay_url: str
    support_phone: str
    support_email: str
    disclosure: Disclosure = Disclosure.LIMITED
    language: str = "en"
    locale: str = "en_US"
    customer_name: str = ""
    deep_link: str | None = None
    verify_method: str = "dob"  # dob | id_last4 (settings.telegram_verification)
    verify_attempts_left: int | None = None
    # case fields (verified only, except promise_date)
    account_id: str | None = None
    currency: str | None = None
    balance_minor: int | None = None
    due_date: date | None = None
    minimum_payment_minor: int | None = None
    days_past_due: int | None = None
    promise_amount_minor: int | None = None
    promise_date: date | None = None
    plan_options: tuple[PlanOption, ...] = field(default_factory=tuple)

    @classmethod
    def from_case(
        cls,
        case: Case,
        settings: Settings,
        *,
        disclosure: Disclosure = Disclosure.LIMITED,
        deep_link: str | None = None,
        plan_options: Iterable[PlanOption] = (),
        verify_attempts_left: int | None = None,
    ) -> RenderContext:
        """Build the context for one case; the next pending promise fills the promise."""
        pending = case.pending_promises()
        promise = pending[0] if pending else None
        return cls(
            brand_name=settings.brand_name,
            pay_url=settings.pay_url,
            support_phone=settings.support_phone,
            support_email=settings.support_email,
            disclosure=disclosure,
            language=case.language,
            locale=_locale_for(case.language, case.country),
            customer_name=case.customer_name,
            deep_link=deep_link,
            verify_method=settings.telegram_verification,
            verify_attempts_left=verify_attempts_left,
            account_id=case.account_id,
            currency=case.currency,
            balance_minor=case.balance_minor,
            due_date=case.due_date,
            minimum_payment_minor=case.minimum_payment_minor,
            days_past_due=case.days_past_due,
            promise_amount_minor=promise.amount_minor if promise else None,
            promise_date=promise.due if promise else None,
            plan_options=tuple(plan_options),
        )

    def variables(self, disclosure: Disclosure) -> dict[str, Any]:
        """The template variables for a text of this level (None values left out)."""
        allowed = variables_for(disclosure)
        values = {name: getattr(self, name) for name in allowed if hasattr(self, name)}
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Rendered:
    template_id: str
    lang: str
    channel: ChannelKind
    level: Disclosure
    body: str
    subject: str | None = None
    sms: SegmentInfo | None = None  # encoding and segment count, SMS only

    @property
    def segments(self) -> int | None:
        return self.sms.segments if self.sms is not None else None


# ---------------------------------------------------------------------------- store
@dataclass
class LoadProblem:
    """A file that could not be loaded (kept so a linter can list every problem)."""

    path: str
    error: TemplateError


class TemplateStore:
    """The loaded templates, by id. Files in ``override_dir`` replace shipped ones."""

    def __init__(self, specs: Iterable[TemplateSpec] = (),
                 override_dir: Path | None = None) -> None:
        self._specs: dict[str, TemplateSpec] = {}
        self.override_dir = override_dir
        self.problems: list[LoadProblem] = []
        for spec in specs:
            self._specs[spec.id] = spec

    @classmethod
    def load(cls, override_dir: Path | None = None, *, package_dir: Path = PACKAGE_DIR,
             strict: bool = True) -> TemplateStore:
        """Load the shipped templates, then ``override_dir`` (``settings.template_dir``).

        ``strict`` raises the first problem; otherwise problems are kept in
        :attr:`problems` and the bad files are skipped.
        """
        store = cls(override_dir=override_dir)
        dirs = [package_dir] + ([override_dir] if override_dir is not None else [])
        for directory in dirs:
            if not directory.is_dir():
                err = TemplateFormatError(f"template directory {directory} does not exist")
                if strict:
                    raise err
                store.problems.append(LoadProblem(str(directory), err))
                continue
            for path in sorted(directory.glob("*.yaml")):
                try:
                    spec = parse_template(path.read_text(encoding="utf-8"), source=str(path),
                                          expected_id=path.stem)
                    problems = compile_problems(spec)
                except TemplateError as err:
                    problems = [err]
                except (OSError, UnicodeDecodeError) as exc:
                    problems = [TemplateFormatError(f"{path}: cannot read: {exc}")]
                if problems:
                    if strict:
                        raise problems[0]
                    store.problems.extend(LoadProblem(str(path), p) for p in problems)
                    store._specs.pop(path.stem, None)  # never fall back to a shipped copy
                    continue
                store._specs[spec.id] = spec
        return store

    def __iter__(self) -> Iterator[TemplateSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.id))

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._specs

    def ids(self) -> list[str]:
        return sorted(self._specs)

    def get(self, template_id: str) -> TemplateSpec:
        try:
            return self._specs[template_id]
        except KeyError:
            raise UnknownTemplateError(f"no template {template_id!r}",
                                       template_id=template_id) from None

    def put(self, spec: TemplateSpec) -> None:
        """Replace a template in memory (after it passed :func:`compile_problems`)."""
        problems = compile_problems(spec)
        if problems:
            raise problems[0]
        self._specs[spec.id] = spec

    def save(self, text: str, expected_id: str | None = None) -> TemplateSpec:
        """Validate an edited file and write it to the override dir atomically.

        Nothing is written unless the text parses and compiles; run the linter on the
        returned spec before calling this if content rules must hold too.
        """
        if self.override_dir is None:
            raise TemplateFormatError("no override directory configured (settings.template_dir)")
        spec = parse_template(text, source="<edit>", expected_id=expected_id)
        self.put(spec)
        self.override_dir.mkdir(parents=True, exist_ok=True)
        target = self.override_dir / f"{spec.id}.yaml"
        fd, tmp = tempfile.mkstemp(dir=self.override_dir, prefix=f".{spec.id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return spec


def compile_problems(spec: TemplateSpec) -> list[TemplateError]:
    """Syntax and sandbox problems of every text in ``spec`` (empty when all compile)."""
    found: list[TemplateError] = []
    for (disclosure, channel, lang), variant in sorted(spec.variants.items()):
        for part, source in variant.parts():
            where = {"template_id": spec.id, "lang": lang, "channel": channel.value,
                     "level": disclosure.value, "part": part}
            try:
                compile_text(source, where)
            except TemplateError as err:
                found.append(err)
    return found


#: a filter applied to a variable with constant arguments: (filter name, arguments)
FilterUse = tuple[str, tuple[Any, ...]]
#: our filters whose result depends on their arguments only (no context, no state): a
#: text that reads a variable only through them prints nothing else of it
_PURE_FILTERS = frozenset({"first_name", "mask"})


class TextReads(NamedTuple):
    """What can change what a text prints (see :func:`text_reads`)."""

    #: the variables it reads; None: any (a filter or test it uses gets the context)
    names: frozenset[str] | None
    #: those it reads only as ``name | filter(constants)`` of pure filters, and how
    filtered: Mapping[str, frozenset[FilterUse]]


#: every text compiles once per process: source -> (template, variables it reads, what
#: can change its output)
_COMPILED: dict[str, tuple[Template, frozenset[str], TextReads]] = {}
_COMPILED_MAX = 4096


def compile_text(source: str, where: dict[str, Any] | None = None) -> Template:
    """Compile one text in :data:`ENV`, refusing bad syntax and sandbox escapes before
    anything runs. ``where`` names the text in errors."""
    return _compile(source, where)[0]


def _compile(source: str, where: dict[str, Any] | None = None
             ) -> tuple[Template, frozenset[str], TextReads]:
    hit = _COMPILED.get(source)
    if hit is not None:
        return hit
    where = where or {}
    try:
        ast = ENV.parse(source)
    except jinja_exc.TemplateSyntaxError as exc:
        raise TemplateSyntaxError(exc.message or str(exc), line=exc.lineno, **where) from None
    reason = _static_unsafe(ast)
    if reason is not None:
        raise UnsafeTemplateError(f"unsafe template: {reason}", **where)
    names = frozenset(jinja_meta.find_undeclared_variables(ast)) - set(ENV.globals)
    template = ENV.template_class.from_code(ENV, ENV.compile(ast), ENV.make_globals(None))
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    reads = TextReads(None, {}) if _passes_context(ast) else \
        TextReads(names, _filtered_reads(ast, names))
    compiled = _COMPILED[source] = (template, names, reads)
    return compiled


def undeclared_variables(source: str) -> frozenset[str]:
    """Variables a text reads from the context, whatever branch it takes."""
    return _compile(source)[1]


def text_reads(source: str) -> TextReads:
    """What can change what a text prints: the variables it reads (undeclared), or any
    when a filter or test it uses is handed the context (``money`` and ``date`` read
    ``locale`` and ``currency`` from it); and of those, the ones it prints only through
    pure filters (``customer_name | first_name('there')``: only the first name counts).
    """
    return _compile(source)[2]


def _filtered_reads(ast: nodes.Template, names: frozenset[str]
                    ) -> dict[str, frozenset[FilterUse]]:
    """The variables of ``names`` that every mention in ``ast`` reads as the input of a
    :data:`_PURE_FILTERS` filter with constant positional arguments, with those uses. A
    name the text also assigns (set, for, macro argument) is left out."""
    loads: Counter[str] = Counter()
    assigned: set[str] = set()
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load":
            loads[name.name] += 1
        else:
            assigned.add(name.name)
    uses: dict[str, set[FilterUse]] = {}
    wrapped: Counter[str] = Counter()
    for flt in ast.find_all(nodes.Filter):
        var = flt.node
        args = [a.value for a in flt.args if isinstance(a, nodes.Const) and _constant(a.value)]
        if isinstance(var, nodes.Name) and var.ctx == "load" and flt.name in _PURE_FILTERS \
                and len(args) == len(flt.args) and not flt.kwargs \
                and flt.dyn_args is None and flt.dyn_kwargs is None:
            uses.setdefault(var.name, set()).add((flt.name, tuple(args)))
            wrapped[var.name] += 1
    return {n: frozenset(uses[n]) for n in names
            if n in uses and n not in assigned and wrapped[n] == loads[n]}


def _constant(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def _passes_context(ast: nodes.Template) -> bool:
    """Whether a filter or test the text uses takes the context, eval context or
    environment (``@pass_context`` etc.); an unknown name counts too."""
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        table = ENV.filters if isinstance(node, nodes.Filter) else ENV.tests
        func = table.get(node.name)
        if func is None or getattr(func, "jinja_pass_arg", None) is not None:
            return True
    return False


# ---------------------------------------------------------------------------- renderer
#: Babel's locale lookup is pure and slow next to a render; cases repeat a few pairs
_locale_for = lru_cache(maxsize=256)(locale_for)
#: limited renders by everything that can reach the text (see ``TemplateRenderer.render``)
_RENDERED_MAX = 8192
#: the limited variables the renderer sets, not the context (see ``_variables``)
_RENDERER_SETS = frozenset({"language", "opt_out"})


def _next_promise_date(case: Case) -> date | None:
    pending = case.pending_promises()
    return pending[0].due if pending else None


#: How :meth:`RenderContext.from_case` fills each limited variable of the context, read
#: straight from the case and settings (``deep_link`` and ``verify_attempts_left`` are
#: arguments of ``from_case``, None by default; the renderer sets ``language`` and
#: ``opt_out``). :meth:`TemplateRenderer.render_case` uses it to find a cached limited
#: render without building a context; it must agree with ``from_case`` (the tests compare
#: the two).
_LIMITED_FROM_CASE: dict[str, Callable[[Case, Settings], Any]] = {
    "brand_name": lambda case, settings: settings.brand_name,
    "pay_url": lambda case, settings: settings.pay_url,
    "support_phone": lambda case, settings: settings.support_phone,
    "support_email": lambda case, settings: settings.support_email,
    "locale": lambda case, settings: _locale_for(case.language, case.country),
    "customer_name": lambda case, settings: case.customer_name,
    "deep_link": lambda case, settings: None,
    "verify_method": lambda case, settings: settings.telegram_verification,
    "verify_attempts_left": lambda case, settings: None,
    "promise_date": lambda case, settings: _next_promise_date(case),
}

_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")


@dataclass(frozen=True, slots=True, eq=False)
class _Choice:
    """The text :meth:`TemplateRenderer._choose` picked for one template, language,
    channel, allowed and forced level; compared by identity (a cache key).

    For a limited text, what can change its output besides the choice itself (which
    fixes ``language``): ``reads``, the context's limited variables it reads, in a fixed
    order; ``filtered``, for those it reads only through pure filters, their position
    in ``reads`` and the (filter, constant arguments) applied; ``reads_opt_out``.
    ``reads`` is None when the text is verified (never cached) or does not compile.
    """

    spec: TemplateSpec
    channel: ChannelKind
    disclosure: Disclosure
    variant: Variant
    reads: tuple[str, ...] | None
    filtered: tuple[tuple[int, tuple[tuple[Callable[..., Any], tuple[Any, ...]], ...]], ...]
    reads_opt_out: bool


class TemplateRenderer:
    """Renders templates from a store for one jurisdiction profile.

    Compiled texts are cached by source, and the text chosen for a template, language,
    channel and level by spec, so an edited template takes effect as soon as the store
    holds the new spec. Limited renders are cached too (see :meth:`render`).
    """

    def __init__(self, store: TemplateStore, profile: RenderProfile) -> None:
        self.store = store
        self.profile = profile
        self._choices: dict[tuple[Any, ...], _Choice] = {}
        self._rendered: dict[tuple[Any, ...], Rendered] = {}

    def render(self, template_id: str, lang: str, channel: ChannelKind | str,
               ctx: RenderContext, *, level: Disclosure | str | None = None) -> Rendered:
        """Render ``template_id`` for ``lang``/``channel``.

        The text is the verified one when the context is verified and the template has
        one, else the limited one. ``level`` forces a level; asking for ``verified`` on
        a limited context raises :class:`DisclosureError`, as does a template that only
        has verified content.
        """
        kind = _channel(channel)
        spec = self.store.get(template_id)
        wanted = Disclosure(level) if level is not None else None
        choice = self._choice(spec, lang, kind, ctx.disclosure, wanted)
        disclosure, variant = choice.disclosure, choice.variant
        # A limited text sees nothing account-specific, so a planning tick renders the
        # same few (text, variables) pairs over and over: the result is cached by the
        # chosen text and the values of the variables it reads (filters that are handed
        # the context make it read them all). Verified texts carry account data and are
        # never kept.
        key: tuple[Any, ...] | None = None
        if choice.reads is not None:
            key = self._key(choice, lang, [getattr(ctx, name, None) for name in choice.reads])
            try:
                hit = self._rendered.get(key) if key is not None else None
            except TypeError:  # an unhashable value: render without the cache
                key, hit = None, None
            if hit is not None:
                return hit
        variables = self._variables(ctx, disclosure, lang, kind)
        where = {"template_id": spec.id, "lang": lang, "channel": kind.value,
                 "level": disclosure.value}

        subject = None
        if variant.subject is not None:
            # the subject shows in inbox lists and notifications: always limited
            limited = variables if disclosure is Disclosure.LIMITED else \
                self._variables(ctx, Disclosure.LIMITED, lang, kind)
            subject = " ".join(self._render_text(
                variant.subject, limited, {**where, "part": "subject"},
                Disclosure.LIMITED).split())
        body = self._render_text(variant.body, dict(variables), {**where, "part": "body"},
                                 disclosure)
        sms = None
        if kind is ChannelKind.SMS:
            from bot.domain.sms_segments import count_segments

            sms = count_segments(body)
        rendered = Rendered(spec.id, lang, kind, disclosure, body, subject, sms)
        if key is not None:
            if len(self._rendered) >= _RENDERED_MAX:
                self._rendered.clear()
            self._rendered[key] = rendered
        return rendered

    def render_case(self, template_id: str, lang: str, channel: ChannelKind | str,
                    case: Case, settings: Settings, *,
                    disclosure: Disclosure = Disclosure.LIMITED) -> Rendered:
        """``render(template_id, lang, channel, RenderContext.from_case(case, settings,
        disclosure=disclosure))``, without building the context when the render is
        cached: a planning tick renders the same few limited texts for every case.
        """
        # from_case fails on a case language Babel has no locale for: so does this
        _locale_for(case.language, case.country)
        member = disclosure is Disclosure.LIMITED or disclosure is Disclosure.VERIFIED
        choice = self._choices.get((template_id, lang, channel, disclosure, None)) \
            if member else None
        if choice is not None and choice.reads is not None \
                and self.store.get(template_id) is choice.spec:
            key = self._key(choice, lang, [_LIMITED_FROM_CASE[name](case, settings)
                                           for name in choice.reads])
            try:
                hit = self._rendered.get(key) if key is not None else None
            except TypeError:  # an unhashable value: render() renders it uncached
                hit = None
            if hit is not None:
                return hit
        return self.render(template_id, lang, channel,
                           RenderContext.from_case(case, settings, disclosure=disclosure))

    def _key(self, choice: _Choice, lang: str, values: list[Any]) -> tuple[Any, ...] | None:
        """The cache key of a limited render: the choice, the opt-out text it prints if
        it does, and ``values``, those of ``choice.reads`` (None: left out), a value read
        only through pure filters replaced by their results. None when such a filter
        fails: the render, uncached, raises the error if the text reaches it."""
        for i, uses in choice.filtered:
            value = values[i]
            if value is not None:
                try:
                    values[i] = tuple([flt(value, *args) for flt, args in uses])
                except Exception:  # reported by the render, if the text reaches it
                    return None
        opt_out = self.profile.opt_out_text(lang, choice.channel) if choice.reads_opt_out \
            else None
        return (choice, opt_out, *values)

    def _choice(self, spec: TemplateSpec, lang: str, channel: ChannelKind,
                allowed: Disclosure, wanted: Disclosure | None) -> _Choice:
        """:meth:`_choose`, kept per spec (a spec the store replaced is chosen again).

        Only a successful choice on a context whose level is a :class:`Disclosure`
        member is kept: ``_choose`` tests the level by identity, and an equal plain
        string must not share its entry. Errors are raised afresh every time.
        """
        key = (spec.id, lang, channel, allowed, wanted)
        member = allowed is Disclosure.LIMITED or allowed is Disclosure.VERIFIED
        hit = self._choices.get(key) if member else None
        if hit is not None and hit.spec is spec:
            return hit
        disclosure = self._choose(spec, lang, channel, allowed, wanted)
        variant = spec.variant(disclosure, channel, lang)
        assert variant is not None  # _choose only returns a level that has this variant
        reads = _limited_reads(variant) if disclosure is Disclosure.LIMITED else None
        if reads is None:
            choice = _Choice(spec, channel, disclosure, variant, None, (), False)
        else:
            read, only_filtered = reads
            names = tuple(sorted(read - _RENDERER_SETS))
            filtered = tuple(
                (i, tuple((ENV.filters[flt], args) for flt, args in sorted(
                    only_filtered[name], key=repr)))
                for i, name in enumerate(names) if name in only_filtered)
            choice = _Choice(spec, channel, disclosure, variant, names, filtered,
                             "opt_out" in read)
        if member:
            self._choices[key] = choice
        return choice

    def _choose(self, spec: TemplateSpec, lang: str, channel: ChannelKind,
                allowed: Disclosure, wanted: Disclosure | None) -> Disclosure:
        where: dict[str, Any] = {"template_id": spec.id, "lang": lang,
                                 "channel": channel.value}
        if wanted is Disclosure.VERIFIED and allowed is Disclosure.LIMITED:
            raise DisclosureError("verified content refused: the context is limited (the "
                                  "recipient is not a verified right party)", **where)
        has = {d for d in Disclosure if spec.variant(d, channel, lang) is not None}
        if wanted is not None:
            if wanted in has:
                return wanted
            raise MissingVariantError(f"no {wanted.value} text for this channel and language "
                                      f"(has: {_levels(spec, channel, lang)})", **where)
        if allowed is Disclosure.VERIFIED and Disclosure.VERIFIED in has:
            return Disclosure.VERIFIED
        if Disclosure.LIMITED in has:
            return Disclosure.LIMITED
        if Disclosure.VERIFIED in has:
            raise DisclosureError("verified content refused: this template has only "
                                  "verified text and the context is limited", **where)
        raise MissingVariantError(f"no text for this channel and language (template has "
                                  f"{_describe_variants(spec)})", **where)

    def _variables(self, ctx: RenderContext, disclosure: Disclosure, lang: str,
                   channel: ChannelKind) -> dict[str, Any]:
        values = ctx.variables(disclosure)
        values["language"] = lang
        values["opt_out"] = self.profile.opt_out_text(lang, channel)
        if disclosure is Disclosure.VERIFIED:
            values["mini_miranda"] = (self.profile.mini_miranda_text(lang) or ""
                                      if self.profile.requires_mini_miranda else "")
        return values

    def _render_text(self, source: str, variables: dict[str, Any], where: dict[str, Any],
                     disclosure: Disclosure) -> str:
        template = compile_text(source, where)
        try:
            text = template.render(variables)
        except jinja_exc.SecurityError as exc:
            raise UnsafeTemplateError(f"unsafe template: {exc}", line=_template_line(),
                                      **where) from None
        except jinja_exc.UndefinedError as exc:
            raise _undefined_error(str(exc), disclosure, where, _template_line()) from None
        except (FilterError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateRenderError(str(exc), line=_template_line(), **where) from None
        return tidy(text)


def _limited_reads(variant: Variant
                   ) -> tuple[frozenset[str], Mapping[str, frozenset[FilterUse]]] | None:
    """What can change what a limited variant prints (:func:`text_reads` of its texts
    together), limited variables only; None when a text does not compile (rendering
    raises the error, naming the part)."""
    names: set[str] = set()
    filtered: dict[str, set[FilterUse]] = {}
    raw: set[str] = set()
    for _, source in variant.parts():
        try:
            reads = text_reads(source)
        except TemplateError:
            return None
        if reads.names is None:
            return LIMITED_VARIABLES, {}
        names |= reads.names
        for name in reads.names:
            if name in reads.filtered:
                filtered.setdefault(name, set()).update(reads.filtered[name])
            else:
                raw.add(name)
    names &= LIMITED_VARIABLES
    return frozenset(names), {n: frozenset(uses) for n, uses in filtered.items()
                              if n in names and n not in raw}


def _undefined_error(message: str, disclosure: Disclosure, where: dict[str, Any],
                     line: int | None) -> TemplateError:
    match = _UNDEFINED_NAME.match(message)
    name = match.group(1) if match else None
    if name is not None and disclosure is Disclosure.LIMITED and name in VERIFIED_ONLY_VARIABLES:
        part = where.get("part")
        scope = "an email subject" if part == "subject" else "limited content"
        return DisclosureError(f"{name!r} is verified-only and cannot be used in {scope}",
                               line=line, **where)
    if name is not None:
        hint = ("not set for this case" if name in VERIFIED_VARIABLES
                else "not a template variable")
        return UndefinedVariableError(f"undefined variable {name!r} ({hint})", variable=name,
                                      line=line, **where)
    return UndefinedVariableError(f"undefined: {message}", line=line, **where)


def _template_line() -> int | None:
    """The template line of the exception being handled (Jinja rewrites tracebacks so
    that template frames carry the template's own line numbers)."""
    tb: TracebackType | None = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def tidy(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines (left by empty variables)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _channel(channel: ChannelKind | str) -> ChannelKind:
    try:
        return ChannelKind(channel)
    except ValueError:
        raise MissingVariantError(f"unknown channel {channel!r} (use "
                                  f"{', '.join(c.value for c in ChannelKind)})") from None


def _levels(spec: TemplateSpec, channel: ChannelKind, lang: str) -> str:
    have = [d.value for d in Disclosure if spec.variant(d, channel, lang) is not None]
    return ", ".join(have) or "none"


def _describe_variants(spec: TemplateSpec) -> str:
    return ", ".join(sorted(f"{d.value}/{c.value}/{lang}" for (d, c, lang) in spec.variants))
