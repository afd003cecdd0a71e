"""Jinja filters for message templates: money, dates, masking and names.

Money and dates are formatted by Babel for the locale of the render (``locale`` in the
template context) and, for money, the case's currency (``currency``). Amounts are
integer minor units (see :mod:`bot.domain.money`); they never pass through a float.

Names: ``first_name`` keeps the first word of a name written with spaces ("Jordan
Avery Smith" → "Jordan", "Smith, Jordan" → "Jordan"). A name containing Chinese,
Japanese or Korean characters is used *as written* ("王小明" stays "王小明"): in those
scripts the family name comes first and there is no separator, so any cut would
either keep only the surname (curt, and wrong as a greeting) or guess a split.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError, localedata
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from bot.domain.contacts import mask_address
from bot.domain.money import from_minor

#: the locale used for a language when its country has no locale of its own in CLDR
DEFAULT_LOCALE = {"en": "en_US", "zh": "zh_CN"}
_DATE_FORMATS = ("short", "medium", "long", "full")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class FilterError(ValueError):
    """A filter was given a value it cannot format; the message names the filter."""


def locale_for(language: str, country: str | None = None) -> str:
    """The Babel locale for a case: ``("en", "GB")`` → ``en_GB``, ``("zh", "US")`` → ``zh_CN``.

    Language and country combine when CLDR knows the pair; otherwise the language's
    default (:data:`DEFAULT_LOCALE`, else the bare language) is used.
    """
    lang = (language or "en").strip().lower().replace("-", "_").split("_")[0]
    if country:
        candidate = f"{lang}_{country.strip().upper()}"
        try:
            Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            pass
        else:
            return candidate
    fallback = DEFAULT_LOCALE.get(lang, lang)
    if not localedata.exists(fallback) and not localedata.exists(lang):
        raise FilterError(f"no locale data for language {language!r}")
    return fallback


def _kind(value: Any) -> str:
    """What a bad value is, without showing it (it may be personal data)."""
    return "None" if value is None else f"a {type(value).__name__}"


def _defined(value: Any) -> Any:
    """Raise the undefined error (naming the variable) instead of formatting it."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _context_value(context: Context, name: str, filter_name: str) -> str:
    value = context.get(name)
    if not isinstance(value, str) or not value:
        raise FilterError(f"{filter_name}: the render context has no {name}")
    return value


@pass_context
def money(context: Context, minor: Any, currency: str | None = None) -> str:
    """``{{ balance_minor | money }}`` → ``$1,240.00`` (en_US), ``¥2,400.00`` (zh_CN, CNY)."""
    _defined(minor)
    if minor is None or isinstance(minor, bool) or not isinstance(minor, int):
        raise FilterError(f"money: expected an amount in minor units (int), got {_kind(minor)}")
    code = (currency or _context_value(context, "currency", "money")).upper()
    locale = _context_value(context, "locale", "money")
    return format_currency(from_minor(minor, code), code, locale=locale)


@pass_context
def format_day(context: Context, value: Any, fmt: str = "medium") -> str:
    """``{{ due_date | date }}`` → ``Mar 14, 2025`` / ``14 Mar 2025`` / ``2025年3月14日``.

    ``fmt`` is a Babel width (short, medium, long, full); a datetime is shown by its date.
    """
    if isinstance(_defined(value), datetime):
        value = value.date()
    if not isinstance(value, date):
        raise FilterError(f"date: expected a date, got {_kind(value)}")
    if fmt not in _DATE_FORMATS:
        raise FilterError(f"date: format must be one of {', '.join(_DATE_FORMATS)}, not {fmt!r}")
    return format_date(value, fmt, locale=_context_value(context, "locale", "date"))


def mask(value: Any) -> str:
    """``ACC-00004821`` → ``****4821``; phones and emails as :func:`mask_address` shows them."""
    if _defined(value) is None:
        raise FilterError("mask: nothing to mask (None)")
    return mask_address(str(value))


def first_name(value: Any, fallback: str = "") -> str:
    """The name to greet someone by (see the module docstring); ``fallback`` when empty."""
    name = " ".join(str(_defined(value) or "").split())
    if not name:
        return fallback
    if _CJK.search(name):
        return name
    if "," in name:  # "Smith, Jordan"
        after = name.split(",", 1)[1].strip()
        name = after or name.split(",", 1)[0]
    return name.split(" ", 1)[0]


FILTERS: dict[str, Callable[..., str]] = {
    "money": money,
    "date": format_day,
    "mask": mask,
    "first_name": first_name,
}
