"""Reading form fields: each function returns the value or raises :class:`FormError`
naming the field and what it takes (the page shows it next to the form)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from bot.domain.text_hygiene import text_problem
from bot.entrypoints.web.console.pages import FormError

FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2199, 12, 31)
MAX_AMOUNT = Decimal(10**12)


def text(value: str | None, field: str, form: str, *, required: bool = True,
         limit: int = 500) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FormError(f"{field}: required", form)
    if len(value) > limit:
        raise FormError(f"{field}: at most {limit} characters", form)
    problem = text_problem(value)
    if problem is not None:
        raise FormError(f"{field}: the text {problem}", form)
    return value


def day(value: str | None, field: str, form: str, *, required: bool = True) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise FormError(f"{field}: required (YYYY-MM-DD)", form)
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FormError(f"{field}: not a date (YYYY-MM-DD)", form) from None
    if not FIRST_DATE <= parsed <= LAST_DATE:
        raise FormError(f"{field}: between {FIRST_DATE} and {LAST_DATE}", form)
    return parsed


def amount(value: str | None, field: str, form: str) -> Decimal:
    raw = (value or "").strip().replace(",", "")
    try:
        parsed = Decimal(raw)
    except InvalidOperation:
        raise FormError(f"{field}: a number such as 120.50", form) from None
    if not parsed.is_finite() or parsed <= 0 or parsed > MAX_AMOUNT:
        raise FormError(f"{field}: a positive amount", form)
    return parsed


def whole(value: str | None, field: str, form: str, low: int, high: int) -> int:
    try:
        parsed = int((value or "").strip())
    except ValueError:
        raise FormError(f"{field}: a whole number from {low} to {high}", form) from None
    if not low <= parsed <= high:
        raise FormError(f"{field}: a whole number from {low} to {high}", form)
    return parsed


def choice(value: str | None, field: str, form: str, options: tuple[str, ...] | list[str]
           ) -> str:
    value = (value or "").strip()
    if value not in options:
        raise FormError(f"{field}: one of {', '.join(options)}", form)
    return value
