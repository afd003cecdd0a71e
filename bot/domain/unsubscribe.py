"""Unsubscribe tokens: the address an email's one-click unsubscribe link stands for.

A token is authenticated and encrypted with the application secret: it cannot be forged
for another address, and the address is not readable from the link (it would otherwise
land in every web access log). The SMTP channel puts it in ``List-Unsubscribe``; the
unsubscribe page and the ``unsubscribe@`` mailbox read it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_TOKEN_TAG_LEN = 16
_TOKEN_MAX_LEN = 600  # base64 of a 16-byte tag + a 254-character address, with room


def _token_keys(secret: str) -> tuple[bytes, bytes]:
    if not secret:
        raise ValueError("the unsubscribe secret must not be empty")
    raw = secret.encode()
    mac_key = hmac.new(raw, b"duebot/unsubscribe/mac/v1", hashlib.sha256).digest()
    enc_key = hmac.new(raw, b"duebot/unsubscribe/enc/v1", hashlib.sha256).digest()
    return mac_key, enc_key


def _keystream(enc_key: bytes, iv: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(enc_key, iv + counter.to_bytes(4, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def make_unsubscribe_token(secret: str, address: str) -> str:
    """A URL-safe token naming ``address`` (lower-cased) that only ``secret`` can mint or read.

    Deterministic SIV construction from stdlib primitives: the tag is an HMAC of the
    address and also the IV of an HMAC-SHA256 keystream that hides it. The same address
    always gives the same token, so repeated emails carry the same link.
    """
    normalized = address.strip().lower()
    if "@" not in normalized:
        raise ValueError("an unsubscribe token needs an email address")
    mac_key, enc_key = _token_keys(secret)
    plain = normalized.encode()
    tag = hmac.new(mac_key, plain, hashlib.sha256).digest()[:_TOKEN_TAG_LEN]
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(enc_key, tag, len(plain)), strict=True))
    return base64.urlsafe_b64encode(tag + cipher).decode().rstrip("=")


def read_unsubscribe_token(secret: str, token: str) -> str | None:
    """The address inside a token made by :func:`make_unsubscribe_token`, or None if forged."""
    if not token or len(token) > _TOKEN_MAX_LEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) <= _TOKEN_TAG_LEN:
        return None
    mac_key, enc_key = _token_keys(secret)
    tag, cipher = raw[:_TOKEN_TAG_LEN], raw[_TOKEN_TAG_LEN:]
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(enc_key, tag, len(cipher)), strict=True))
    expected = hmac.new(mac_key, plain, hashlib.sha256).digest()[:_TOKEN_TAG_LEN]
    if not hmac.compare_digest(tag, expected):
        return None
    try:
        address = plain.decode()
    except UnicodeDecodeError:
        return None
    return address if "@" in address else None
