"""Template errors: each names the template, language, channel, level and part."""

from __future__ import annotations

from typing import Any


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

