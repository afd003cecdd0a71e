"""Unsubscribe tokens: round trip, secrecy of the address, forgery."""

from __future__ import annotations

import base64
import re

import pytest

from bot.domain.unsubscribe import make_unsubscribe_token, read_unsubscribe_token

SECRET = "app-secret-for-unsubscribe-tests"
ADDRESS = "jane.doe@example.org"


def test_token_round_trips_and_normalises_case() -> None:
    token = make_unsubscribe_token(SECRET, "Jane.Doe@Example.org")
    assert read_unsubscribe_token(SECRET, token) == ADDRESS
    assert make_unsubscribe_token(SECRET, ADDRESS) == token  # stable per address
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


def test_token_does_not_reveal_the_address() -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS)
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"jane" not in decoded and b"example" not in decoded
    assert "jane" not in token.lower()


def test_forged_and_damaged_tokens_are_rejected() -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS)
    assert read_unsubscribe_token("another-secret", token) is None
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert read_unsubscribe_token(SECRET, flipped) is None
    assert read_unsubscribe_token(SECRET, token[:20]) is None
    plain = base64.urlsafe_b64encode(b"\x00" * 16 + ADDRESS.encode()).decode().rstrip("=")
    assert read_unsubscribe_token(SECRET, plain) is None
    for junk in ("", "!!!", "a" * 5000, "%2F..%2F"):
        assert read_unsubscribe_token(SECRET, junk) is None


def test_tokens_differ_per_address_and_need_a_secret() -> None:
    assert make_unsubscribe_token(SECRET, "a@example.org") != make_unsubscribe_token(
        SECRET, "b@example.org"
    )
    with pytest.raises(ValueError, match="secret"):
        make_unsubscribe_token("", ADDRESS)
    with pytest.raises(ValueError, match="address"):
        make_unsubscribe_token(SECRET, "not an address")
