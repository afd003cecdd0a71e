"""The renderer's caches: the text chosen per template, and limited renders.

A limited text sees nothing account-specific, so a planning tick renders the same few
(text, variables) pairs over and over: the result is kept by the chosen text and the
values of the variables it reads (:func:`limited_reads`; filters that are handed the
context make it read them all). Verified texts carry account data and are never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.conversations.disclosure import LIMITED_VARIABLES, Disclosure
from bot.conversations.template_compiler import FilterUse, text_reads
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_sandbox import ENV
from bot.conversations.template_spec import TemplateSpec, Variant
from bot.domain.messages import ChannelKind

if TYPE_CHECKING:
    from bot.conversations.template_renderer import Rendered

#: limited renders kept at most (the cache starts afresh when full)
RENDERED_MAX = 8192
#: the limited variables the renderer sets, not the context
RENDERER_SETS = frozenset({"language", "opt_out"})


@dataclass(frozen=True, slots=True, eq=False)
class TextChoice:
    """The text :meth:`TemplateRenderer.render` picked for one template, language,
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


def limited_reads(variant: Variant
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


def text_choice(spec: TemplateSpec, channel: ChannelKind, disclosure: Disclosure,
                variant: Variant) -> TextChoice:
    """The choice of ``variant`` (``spec``'s text for ``channel`` at ``disclosure``), with
    what can change a limited render of it."""
    reads = limited_reads(variant) if disclosure is Disclosure.LIMITED else None
    if reads is None:
        return TextChoice(spec, channel, disclosure, variant, None, (), False)
    read, only_filtered = reads
    names = tuple(sorted(read - RENDERER_SETS))
    filtered = tuple(
        (i, tuple((ENV.filters[flt], args) for flt, args in sorted(
            only_filtered[name], key=repr)))
        for i, name in enumerate(names) if name in only_filtered)
    return TextChoice(spec, channel, disclosure, variant, names, filtered, "opt_out" in read)


def render_key(choice: TextChoice, opt_out: str | None, values: list[Any]
               ) -> tuple[Any, ...] | None:
    """The cache key of a limited render: the choice, the opt-out text it prints (None
    when it prints none), and ``values``, those of ``choice.reads`` (None: left out), a
    value read only through pure filters replaced by their results. None when such a
    filter fails: the render, uncached, raises the error if the text reaches it."""
    for i, uses in choice.filtered:
        value = values[i]
        if value is not None:
            try:
                values[i] = tuple([flt(value, *args) for flt, args in uses])
            except Exception:  # reported by the render, if the text reaches it
                return None
    return (choice, opt_out, *values)


class RenderCache:
    """One renderer's caches: its choices, and its limited renders by key."""

    __slots__ = ("choices", "rendered")

    def __init__(self) -> None:
        #: (template id, language, channel, allowed level, forced level) -> choice
        self.choices: dict[tuple[Any, ...], TextChoice] = {}
        #: :func:`render_key` -> the render
        self.rendered: dict[tuple[Any, ...], Rendered] = {}

    def keep(self, key: tuple[Any, ...], rendered: Rendered) -> None:
        """Keep a limited render (the oldest go all at once when the cache is full)."""
        if len(self.rendered) >= RENDERED_MAX:
            self.rendered.clear()
        self.rendered[key] = rendered
