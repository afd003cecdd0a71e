"""One template file, parsed: its id, level and the text of each (level, channel, language).

A file holds YAML in the format of ``bot/templates/README.md``; :func:`parse_template`
reads and shape-checks its text (the Jinja texts are compiled by
:func:`~bot.conversations.template_compiler.compile_problems`). Reading files is the
adapter's job (``storage.template_files``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from bot.conversations.disclosure import Disclosure
from bot.conversations.template_errors import TemplateFormatError
from bot.domain.messages import ChannelKind

TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


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

