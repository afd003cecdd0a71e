"""Unsubscribe tokens: round trip, secrecy of the address, forgery, lifetime, key rotation,
and the earlier format's transition period."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.secret_keys import DEV_SECRET_KEY
from channels.email.unsubscribe_tokens import (
    LEGACY_TOKENS_UNTIL,
    TOKEN_LIFETIME,
    make_unsubscribe_token,
    read_unsubscribe_token,
)

SECRET = "app-secret-for-unsubscribe-tests-0123456789"
OLD_SECRET = "the-key-before-the-rotation-0123456789abcdef"
ADDRESS = "jane.doe@example.org"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def legacy_token(secret: str, address: str) -> str:
    """A token of the earlier format, built as the code before the upgrade built it."""
    raw = secret.encode()
    mac_key = hmac.new(raw, b"duebot/unsubscribe/mac/v1", hashlib.sha256).digest()
    enc_key = hmac.new(raw, b"duebot/unsubscribe/enc/v1", hashlib.sha256).digest()
    plain = address.encode()
    tag = hmac.new(mac_key, plain, hashlib.sha256).digest()[:16]
    stream = b"".join(hmac.new(enc_key, tag + n.to_bytes(4, "big"), hashlib.sha256).digest()
                      for n in range((len(plain) + 31) // 32))
    cipher = bytes(a ^ b for a, b in zip(plain, stream, strict=False))
    return base64.urlsafe_b64encode(tag + cipher).decode().rstrip("=")


def test_token_round_trips_and_normalises_case() -> None:
    token = make_unsubscribe_token(SECRET, "Jane.Doe@Example.org", NOW)
    assert read_unsubscribe_token(SECRET, token, NOW) == ADDRESS
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


def test_token_does_not_reveal_the_address() -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"jane" not in decoded and b"example" not in decoded
    assert "jane" not in token.lower()


def test_forged_and_damaged_tokens_are_rejected() -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    assert read_unsubscribe_token("another-secret-of-enough-length-0123456", token, NOW) is None
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert read_unsubscribe_token(SECRET, flipped, NOW) is None
    assert read_unsubscribe_token(SECRET, token[:20], NOW) is None
    with_nul = token[:5] + "\x00" + token[5:]
    assert read_unsubscribe_token(SECRET, with_nul, NOW) is None
    plain = base64.urlsafe_b64encode(b"\x00" * 16 + ADDRESS.encode()).decode().rstrip("=")
    assert read_unsubscribe_token(SECRET, plain, NOW) is None
    for junk in ("", "!!!", "a" * 5000, "%2F..%2F", "gAAAAA\ud800"):
        assert read_unsubscribe_token(SECRET, junk, NOW) is None


def test_tokens_need_a_key_and_an_address() -> None:
    with pytest.raises(ValueError, match="secret"):
        make_unsubscribe_token("", ADDRESS, NOW)
    with pytest.raises(ValueError, match="address"):
        make_unsubscribe_token(SECRET, "not an address", NOW)


def test_a_token_lives_for_its_lifetime_then_is_refused() -> None:
    token = make_unsubscribe_token(SECRET, ADDRESS, NOW)
    assert read_unsubscribe_token(SECRET, token, NOW + TOKEN_LIFETIME) == ADDRESS
    assert read_unsubscribe_token(SECRET, token, NOW + TOKEN_LIFETIME + timedelta(seconds=1)
                                  ) is None


def test_key_rotation_keeps_links_already_sent_working() -> None:
    old_link = make_unsubscribe_token(OLD_SECRET, ADDRESS, NOW)
    rotated = [SECRET, OLD_SECRET]  # DUEBOT_SECRET_KEY, DUEBOT_PREVIOUS_SECRET_KEYS
    later = NOW + timedelta(days=30)
    assert read_unsubscribe_token(rotated, old_link, later) == ADDRESS
    assert read_unsubscribe_token(f"{SECRET}, {OLD_SECRET}", old_link, later) == ADDRESS
    new_link = make_unsubscribe_token(rotated, ADDRESS, later)
    assert read_unsubscribe_token(SECRET, new_link, later) == ADDRESS  # minted with the first
    assert read_unsubscribe_token(SECRET, old_link, later) is None  # old key dropped


def test_earlier_format_is_read_until_the_stated_date_then_refused() -> None:
    old = legacy_token(SECRET, ADDRESS)
    before = LEGACY_TOKENS_UNTIL - timedelta(seconds=1)
    assert read_unsubscribe_token(SECRET, old, NOW) == ADDRESS
    assert read_unsubscribe_token([SECRET, OLD_SECRET], legacy_token(OLD_SECRET, ADDRESS),
                                  before) == ADDRESS
    assert read_unsubscribe_token(SECRET, old, LEGACY_TOKENS_UNTIL) is None
    assert read_unsubscribe_token("another-secret-of-enough-length-0123456", old, NOW) is None
    # a NUL slipped into a token of the earlier format no longer passes (it used to:
    # base64 decoding skipped the character)
    assert read_unsubscribe_token(SECRET, old[:5] + "\x00" + old[5:], NOW) is None


def test_earlier_format_is_never_read_under_the_development_key() -> None:
    """The development key is public: anyone could mint such a token for any address."""
    forged = legacy_token(DEV_SECRET_KEY, "victim@example.org")
    assert read_unsubscribe_token(DEV_SECRET_KEY, forged, NOW) is None
    assert read_unsubscribe_token([SECRET, DEV_SECRET_KEY], forged, NOW) is None
