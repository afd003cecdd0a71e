"""Money as integer minor units: parsing at the edges, exponents per currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.money import (
    MoneyError,
    exponent,
    format_plain,
    from_minor,
    round_to_minor,
    to_minor,
)


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.34", "USD", 1234),
    ("12.3", "usd", 1230),
    ("12", "USD", 1200),
    ("1,234.56", "USD", 123456),
    ("1,234,567", "USD", 123456700),
    (" 7.50 ", "GBP", 750),
    ("1500", "JPY", 1500),
    ("1,500", "JPY", 1500),
    ("12.345", "BHD", 12345),
    ("0.001", "KWD", 1),
    ("12.340", "USD", 1234),  # a trailing zero is not extra precision
    ("-5.00", "USD", -500),
    (Decimal("9.99"), "EUR", 999),
    (42, "USD", 4200),
])
def test_to_minor(text, currency, minor):
    value = to_minor(text, currency)
    assert value == minor and isinstance(value, int)


@pytest.mark.parametrize(("text", "currency", "match"), [
    ("12.345", "USD", "more decimals than USD"),
    ("1500.5", "JPY", "more decimals than JPY"),
    ("1.2345", "BHD", "more decimals than BHD"),
    ("abc", "USD", "not an amount"),
    ("", "USD", "not an amount"),
    ("12,34", "USD", "thousands"),  # a decimal comma would be read 100x too big
    ("1,23,456", "USD", "thousands"),
    ("1.234,56", "EUR", "not an amount|thousands"),
    ("$12", "USD", "not an amount"),
    ("NaN", "USD", "not an amount"),
    ("Infinity", "USD", "not an amount"),
])
def test_to_minor_refuses(text, currency, match):
    with pytest.raises(MoneyError, match=match):
        to_minor(text, currency)


def test_exponents():
    assert (exponent("JPY"), exponent("BHD"), exponent("usd"), exponent("CNY")) == (0, 3, 2, 2)
    assert (exponent("UGX"), exponent("TND"), exponent("CLF")) == (0, 3, 4)


def test_round_trip_and_formatting():
    assert from_minor(1234, "USD") == Decimal("12.34")
    assert from_minor(1500, "JPY") == Decimal("1500")
    assert from_minor(12345, "BHD") == Decimal("12.345")
    assert format_plain(-5, "usd") == "-0.05 USD"
    assert format_plain(1500, "JPY") == "1500 JPY"
    assert format_plain(1, "KWD") == "0.001 KWD"
    for minor in (0, 1, 99, 100, 123_456_789):
        for cur in ("USD", "JPY", "BHD"):
            assert to_minor(from_minor(minor, cur), cur) == minor


def test_round_to_minor_half_up():
    assert round_to_minor(Decimal("10.005"), "USD") == 1001
    assert round_to_minor(Decimal("10.004"), "USD") == 1000
    assert round_to_minor(Decimal("99.5"), "JPY") == 100
