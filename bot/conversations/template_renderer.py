"""Rendering templates, privacy first.

:class:`TemplateRenderer` renders with the Jinja sandbox
(:mod:`~bot.conversations.template_sandbox`) and ``StrictUndefined``. Disclosure is
enforced twice: the renderer refuses ``verified`` content on a ``limited`` context, and
limited texts (and every email subject) are rendered with the limited variables only,
so a limited text *cannot* print a balance.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import exceptions as jinja_exc

from bot.conversations.disclosure import VERIFIED_ONLY_VARIABLES, VERIFIED_VARIABLES, Disclosure
from bot.conversations.render_cache import RenderCache, TextChoice, render_key, text_choice
from bot.conversations.render_context import (
    LIMITED_FROM_CASE,
    RenderContext,
    cached_locale_for,
)
from bot.conversations.template_compiler import compile_text
from bot.conversations.template_errors import (
    DisclosureError,
    MissingVariantError,
    TemplateError,
    TemplateRenderError,
    UndefinedVariableError,
    UnsafeTemplateError,
)
from bot.conversations.template_filters import FilterError
from bot.conversations.template_spec import TemplateSpec
from bot.conversations.template_store import TemplateStore
from bot.domain.messages import ChannelKind

if TYPE_CHECKING:
    from bot.domain.brand import Brand
    from bot.domain.case import Case
    from bot.domain.sms_segments import SegmentInfo

_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")


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


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered message: the text and the level it was rendered at."""

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


class TemplateRenderer:
    """Renders templates from a store for one jurisdiction profile.

    Compiled texts are cached by source, and the text chosen for a template, language,
    channel and level by spec, so an edited template takes effect as soon as the store
    holds the new spec. Limited renders are cached too (see :meth:`render`).
    """

    def __init__(self, store: TemplateStore, profile: RenderProfile,
                 cache: RenderCache | None = None) -> None:
        self.store = store
        self.profile = profile
        #: its caches (see :mod:`bot.conversations.render_cache`)
        self.cache = cache or RenderCache()
        self._siblings: dict[int, TemplateRenderer] = {id(profile): self}

    def for_profile(self, profile: RenderProfile) -> TemplateRenderer:
        """This renderer for another jurisdiction profile (a campaign's): the same store
        and caches (a limited render's key holds the opt-out text it printed; verified
        renders, which print the mini-Miranda, are never kept)."""
        hit = self._siblings.get(id(profile))
        if hit is None or hit.profile is not profile:
            hit = TemplateRenderer(self.store, profile, self.cache)
            hit._siblings = self._siblings
            self._siblings[id(profile)] = hit
        return hit

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
        # Limited renders are kept by the chosen text and the values it reads
        # (bot.conversations.render_cache); verified ones carry account data: never kept.
        key: tuple[Any, ...] | None = None
        if choice.reads is not None:
            key = self._key(choice, lang, [getattr(ctx, name, None) for name in choice.reads])
            try:
                hit = self.cache.rendered.get(key) if key is not None else None
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
            self.cache.keep(key, rendered)
        return rendered

    def render_case(self, template_id: str, lang: str, channel: ChannelKind | str,
                    case: Case, brand: Brand, *,
                    disclosure: Disclosure = Disclosure.LIMITED) -> Rendered:
        """``render(template_id, lang, channel, RenderContext.from_case(case, brand,
        disclosure=disclosure))``, without building the context when the render is
        cached: a planning tick renders the same few limited texts for every case.
        """
        # from_case fails on a case language Babel has no locale for: so does this
        cached_locale_for(case.language, case.country)
        member = disclosure is Disclosure.LIMITED or disclosure is Disclosure.VERIFIED
        choice = self.cache.choices.get((template_id, lang, channel, disclosure, None)) \
            if member else None
        if choice is not None and choice.reads is not None \
                and self.store.get(template_id) is choice.spec:
            key = self._key(choice, lang, [LIMITED_FROM_CASE[name](case, brand)
                                           for name in choice.reads])
            try:
                hit = self.cache.rendered.get(key) if key is not None else None
            except TypeError:  # an unhashable value: render() renders it uncached
                hit = None
            if hit is not None:
                return hit
        return self.render(template_id, lang, channel,
                           RenderContext.from_case(case, brand, disclosure=disclosure))

    def _key(self, choice: TextChoice, lang: str, values: list[Any]
             ) -> tuple[Any, ...] | None:
        """:func:`~bot.conversations.render_cache.render_key`, with this profile's opt-out
        text when the choice prints it."""
        opt_out = self.profile.opt_out_text(lang, choice.channel) if choice.reads_opt_out \
            else None
        return render_key(choice, opt_out, values)

    def _choice(self, spec: TemplateSpec, lang: str, channel: ChannelKind,
                allowed: Disclosure, wanted: Disclosure | None) -> TextChoice:
        """:meth:`_choose`, kept per spec (a spec the store replaced is chosen again).

        Only a successful choice on a context whose level is a :class:`Disclosure`
        member is kept: ``_choose`` tests the level by identity, and an equal plain
        string must not share its entry. Errors are raised afresh every time.
        """
        key = (spec.id, lang, channel, allowed, wanted)
        member = allowed is Disclosure.LIMITED or allowed is Disclosure.VERIFIED
        hit = self.cache.choices.get(key) if member else None
        if hit is not None and hit.spec is spec:
            return hit
        disclosure = self._choose(spec, lang, channel, allowed, wanted)
        variant = spec.variant(disclosure, channel, lang)
        assert variant is not None  # _choose only returns a level that has this variant
        choice = text_choice(spec, channel, disclosure, variant)
        if member:
            self.cache.choices[key] = choice
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

