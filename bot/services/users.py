"""Users of the console and API: admins and collectors."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from bot.services.ports import UnitOfWork, UserRecord

ROLES = ("admin", "collector")
_NAME = re.compile(r"[a-z][a-z0-9_.-]{1,63}")


class UserError(ValueError):
    pass


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Does ``password`` match the stored hash? A malformed hash never matches."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "scrypt" or not salt:
        return False
    expected = hash_password(password, salt).split("$")[2]
    return hmac.compare_digest(expected, digest_hex)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(uow: UnitOfWork, username: str, role: str, password: str) -> str:
    """Create a user; returns a new API token (shown once, stored only as a hash)."""
    username = username.strip().lower()
    if not _NAME.fullmatch(username):
        raise UserError("username: 2-64 characters, lower-case letters, digits, '.', '_', '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise UserError("password must have at least 10 characters")
    token = secrets.token_urlsafe(32)
    with uow:
        if uow.users.get(username) is not None:
            raise UserError(f"user {username!r} already exists")
        uow.users.add(username, role, hash_password(password), token_hash(token),
                      uow.clock.now())
        uow.commit()
    return token


def user_for_token(uow: UnitOfWork, token: str) -> UserRecord | None:
    user = uow.users.by_token_hash(token_hash(token))
    return user if user is not None and user.active else None


def active_user(uow: UnitOfWork, username: str) -> UserRecord | None:
    user = uow.users.get(username)
    return user if user is not None and user.active else None
