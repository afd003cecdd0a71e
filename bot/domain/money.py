"""Money as integer minor units. Never float; Decimal only at the edges."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2 digits.
_EXPONENT = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


class MoneyError(ValueError):
    pass


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """``Decimal("12.34"), "USD"`` → 1234. Rejects more precision than the currency has.

    Commas are accepted only as thousands separators (``1,234.56``): ``12,34`` is
    refused rather than read as 1234, a hundred times the decimal-comma meaning.
    """
    text = str(amount).strip()
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise MoneyError(f"not an amount: {amount!r} (commas only as thousands separators, "
                             "with a '.' for decimals)")
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not an amount: {amount!r}")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {currency.upper()} allows")
    return int(scaled)


def round_to_minor(amount: Decimal, currency: str) -> int:
    """Round half-up to the currency's minor unit (for computed amounts such as "half")."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> Decimal:
    e = exponent(currency)
    return Decimal(minor).scaleb(-e).quantize(Decimal(1).scaleb(-e))


def format_plain(minor: int, currency: str) -> str:
    """``1234, "USD"`` → ``"12.34 USD"`` (logs and CLI; templates use Babel)."""
    return f"{from_minor(minor, currency)} {currency.upper()}"
