"""Unsubscribe tokens: the address an email's one-click unsubscribe link stands for.

A token is a Fernet token (``cryptography``: AES-128-CBC and HMAC-SHA256, with the time
it was minted) of the address, under a key derived with HKDF from the application secret
key: it cannot be forged for another address, and the address cannot be read from the
link (it would otherwise land in every web access log). The SMTP channel puts it in
``List-Unsubscribe``; the unsubscribe page and the ``unsubscribe@`` mailbox read it back.

Lifetime
    A token is honoured for :data:`TOKEN_LIFETIME` after it was minted (a year: a
    customer may act on an old email long after it came).

Key rotation
    ``keys`` lists the current secret key first, then the previous ones
    (``DUEBOT_SECRET_KEY``, then ``DUEBOT_PREVIOUS_SECRET_KEYS``; a string is split on
    commas). Tokens are minted with the first and read with any, so links in mail already
    sent keep working: keep a replaced key among the previous ones for a
    :data:`TOKEN_LIFETIME`, then drop it.

Tokens of the earlier format
    Before this module, tokens were sealed by a construction of duebot's own (an HMAC-SHA256
    keystream, no time inside). Mail that carries them was sent before the upgrade, so they
    are still read until :data:`LEGACY_TOKENS_UNTIL` (the upgrade plus a token lifetime),
    under any configured key but the development value (public, so anyone could mint
    them); after that date they are refused, and :func:`_read_legacy` can go.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.domain.secret_keys import DEV_SECRET_KEY

#: how long after minting a token is honoured
TOKEN_LIFETIME = timedelta(days=365)
#: tokens of the earlier format are refused from this instant on
LEGACY_TOKENS_UNTIL = datetime(2028, 1, 1, tzinfo=UTC)
_MAX_TOKEN_LEN = 1000  # a 254-character address gives a token of about 430 characters
_HKDF_INFO = b"duebot/unsubscribe/fernet/v2"

Keys = str | Sequence[str]


def _key_list(keys: Keys) -> list[str]:
    listed = keys.split(",") if isinstance(keys, str) else list(keys)
    found = [k.strip() for k in listed if k.strip()]
    if not found:
        raise ValueError("the unsubscribe tokens need the application secret key")
    return found


@functools.lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    """The Fernet of ``key`` (derived once per key: every email of a batch mints a token)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=_HKDF_INFO).derive(key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _normalise(address: str) -> str:
    normalized = address.strip().lower()
    if "@" not in normalized:
        raise ValueError("an unsubscribe token needs an email address")
    return normalized


def make_unsubscribe_token(keys: Keys, address: str, now: datetime) -> str:
    """A URL-safe token naming ``address`` (lower-cased), minted at ``now`` with the
    first of ``keys``."""
    token = _fernet(_key_list(keys)[0]).encrypt_at_time(_normalise(address).encode(),
                                                        int(now.timestamp()))
    return token.decode("ascii").rstrip("=")


def read_unsubscribe_token(keys: Keys, token: str, now: datetime) -> str | None:
    """The address inside a token minted with one of ``keys`` no longer than
    :data:`TOKEN_LIFETIME` before ``now``; None for anything else."""
    if not token or len(token) > _MAX_TOKEN_LEN or not token.isascii():
        return None
    key_list = _key_list(keys)
    ring = MultiFernet([_fernet(k) for k in key_list])
    padded = (token + "=" * (-len(token) % 4)).encode("ascii")
    try:
        plain = ring.decrypt_at_time(padded, int(TOKEN_LIFETIME.total_seconds()),
                                     int(now.timestamp()))
    except InvalidToken:
        if now >= LEGACY_TOKENS_UNTIL:
            return None
        for key in key_list:
            if key != DEV_SECRET_KEY and (address := _read_legacy(key, token)) is not None:
                return address
        return None
    try:
        address = plain.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return address if "@" in address else None


# ---------------------------------------------------------------------------- legacy
_LEGACY_TAG_LEN = 16
_LEGACY_MAX_LEN = 600


def _read_legacy(secret: str, token: str) -> str | None:
    """The address in a token of the earlier format (read-only: none are minted)."""
    if len(token) > _LEGACY_MAX_LEN:
        return None
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError):
        return None
    if len(raw) <= _LEGACY_TAG_LEN:
        return None
    secret_bytes = secret.encode()
    mac_key = hmac.new(secret_bytes, b"duebot/unsubscribe/mac/v1", hashlib.sha256).digest()
    enc_key = hmac.new(secret_bytes, b"duebot/unsubscribe/enc/v1", hashlib.sha256).digest()
    tag, cipher = raw[:_LEGACY_TAG_LEN], raw[_LEGACY_TAG_LEN:]
    stream = b"".join(hmac.new(enc_key, tag + n.to_bytes(4, "big"), hashlib.sha256).digest()
                      for n in range((len(cipher) + 31) // 32))
    plain = bytes(a ^ b for a, b in zip(cipher, stream, strict=False))
    expected = hmac.new(mac_key, plain, hashlib.sha256).digest()[:_LEGACY_TAG_LEN]
    if not hmac.compare_digest(tag, expected):
        return None
    try:
        address = plain.decode()
    except UnicodeDecodeError:
        return None
    return address if "@" in address else None
