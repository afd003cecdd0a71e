"""The Jinja sandbox every template text runs in, and the checks made before a text runs."""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from bot.conversations.template_filters import FILTERS, FilterError


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


def static_unsafe(ast: nodes.Template) -> str | None:
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
