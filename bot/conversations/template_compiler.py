"""Compiling template texts in the sandbox, once per process, and what each text reads.

:func:`compile_text` refuses bad syntax and sandbox escapes before anything runs;
:func:`compile_problems` lists them for a whole template; :func:`text_reads` says what
can change what a text prints (the render cache is keyed by it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

from jinja2 import Template, nodes
from jinja2 import exceptions as jinja_exc
from jinja2 import meta as jinja_meta

from bot.conversations.template_errors import (
    TemplateError,
    TemplateSyntaxError,
    UnsafeTemplateError,
)
from bot.conversations.template_sandbox import ENV, static_unsafe
from bot.conversations.template_spec import TemplateSpec


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
    reason = static_unsafe(ast)
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

