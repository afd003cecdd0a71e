"""Users of the console and API: admins and collectors."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlmodel import select

from storage.models import UserRow
from storage.uow import SqlUnitOfWork

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


def add_user(uow: SqlUnitOfWork, username: str, role: str, password: str) -> str:
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
        if uow.session.exec(select(UserRow).where(UserRow.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        uow.session.add(UserRow(username=username, role=role, password_hash=hash_password(password),
                                token_hash=token_hash(token), created_at=uow.clock.now()))
        uow.commit()
    return token


def user_for_token(uow: SqlUnitOfWork, token: str) -> UserRow | None:
    row = uow.session.exec(select(UserRow).where(UserRow.token_hash == token_hash(token))).first()
    return row if row is not None and row.active else None
