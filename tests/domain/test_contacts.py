"""Masking addresses for screens and logs."""

from __future__ import annotations

import pytest

from bot.domain.contacts import mask_address, mask_email


@pytest.mark.parametrize(("address", "masked"), [
    ("+14155550123", "+141****0123"),
    ("+8613912345678", "+861****5678"),
    ("jordan@example.com", "j***@e***.com"),
    ("a@b", "a***@b***"),
    ("123456789", "****6789"),
    ("1234", "****"),
    ("", ""),
])
def test_mask_address(address, masked):
    assert mask_address(address) == masked


@pytest.mark.parametrize("address", ["+14155550123", "+447400123456", "jordan.ex@example.co.uk",
                                     "5550001234567"])
def test_masked_form_never_contains_the_address(address):
    masked = mask_address(address)
    assert address not in masked and "*" in masked
    if "@" not in address:
        assert masked.endswith(address[-4:])
        assert sum(ch.isdigit() for ch in masked) <= 7


def test_mask_email() -> None:
    assert mask_email("john.doe@example.com") == "***oe@***.com"
    assert "john" not in mask_email("john@localhost")
