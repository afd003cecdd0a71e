"""People who use duebot: accounts, passwords, API tokens, console sessions, logins.

Passwords are hashed with argon2id (``argon2-cffi``) and checked at login; API tokens
and session tokens are random (``secrets``) and stored as SHA-256 hashes, so a database
dump reveals no credential. Both are revocable: ``rotate_token``/``revoke_token`` for the
API, logout, a new password or disabling the user for sessions. Failed logins are
rate-limited per user name and per client address. Every change is recorded in the audit
trail with the person who made it; managing users needs the ``admin`` role.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.domain.case import LEGAL_QUEUE
from bot.services.ports import AuditRecord, UnitOfWork, UserRecord
from bot.services.roles import ROLES, Actor, Permission, Role, authorize

_NAME = re.compile(r"[a-z][a-z0-9_.-]{1,63}")
#: names the system writes as actors or queues: a person may not take them
RESERVED = frozenset({LEGAL_QUEUE, "system", "bot", "customer", "import", "campaign",
                      "collector", "supervisor", "sandbox", "cli", "simulate", "nobody"})
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


@functools.cache
def _dummy_hash() -> str:
    """Checked when the user name is unknown, so a miss takes as long as a wrong
    password; made on first use (an argon2 hash takes a fifth of a second: not at import,
    which every command line start would pay)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A request about users that cannot be done; the message says why."""


class LoginRefused(UserError):
    """Wrong user name or password, or a disabled user (one message for all three)."""


class LoginThrottled(UserError):
    """Too many failed logins recently; ``retry_after`` seconds until the next try."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {max(1, retry_after // 60)} "
                         "minute(s)")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How long sessions last and how failed logins are limited."""

    session_hours: int = 12
    max_failures: int = 5
    window_minutes: int = 15


@dataclass(frozen=True, slots=True)
class Login:
    """A new console session: the token for the cookie (shown once) and its user."""

    token: str
    user: UserRecord
    expires_at: datetime


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password: str, stored: str) -> bool:
    """Does ``password`` match the stored argon2 hash? A malformed hash never matches."""
    try:
        return bool(_HASHER.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_name(username: str) -> str:
    return username.strip().lower()


def _valid_name(username: str) -> str:
    name = normalise_name(username)
    if not _NAME.fullmatch(name):
        raise UserError("username: 2-64 characters, lower-case letters, digits, '.', '_', '-'"
                        ", starting with a letter")
    if name in RESERVED:
        raise UserError(f"{name!r} is reserved (the system uses it); choose another name")
    return name


def _valid_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserError(f"role must be one of {', '.join(ROLES)}") from None


def _valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password must have at most {MAX_PASSWORD} characters")
    return password


def audit(uow: UnitOfWork, actor: Actor | str, action: str, target: str | None = None,
          **detail: object) -> None:
    """Record one entry of the audit trail (in the caller's unit of work)."""
    label = actor.label if isinstance(actor, Actor) else actor
    uow.audit.add(AuditRecord(uow.clock.now(), label, action, target, dict(detail)))


def _existing(uow: UnitOfWork, username: str) -> UserRecord:
    user = uow.users.get(normalise_name(username))
    if user is None:
        raise UserError(f"no user {normalise_name(username)!r}")
    return user


# ---------------------------------------------------------------------------- admin
def add_user(uow: UnitOfWork, username: str, role: str, password: str | None, *,
             actor: Actor) -> str:
    """Create a user; returns a new API token (shown once, stored only as a hash).

    Without a password the user has only the API token (no console login) until
    :func:`set_password`."""
    authorize(actor, Permission.MANAGE_USERS)
    name, valid_role = _valid_name(username), _valid_role(role)
    pw_hash = hash_password(_valid_password(password)) if password is not None else ""
    token = secrets.token_urlsafe(32)
    with uow:
        if uow.users.get(name) is not None:
            raise UserError(f"user {name!r} already exists")
        uow.users.add(name, valid_role.value, pw_hash, token_hash(token), uow.clock.now())
        audit(uow, actor, "user.add", name, role=valid_role.value,
              password=password is not None)
        uow.commit()
    return token


def list_users(uow: UnitOfWork, *, actor: Actor) -> list[UserRecord]:
    authorize(actor, Permission.MANAGE_USERS)
    with uow:
        return uow.users.all()


def set_active(uow: UnitOfWork, username: str, active: bool, *, actor: Actor) -> None:
    """Disable (every session ends, the API token stops working) or enable a user."""
    authorize(actor, Permission.MANAGE_USERS)
    with uow:
        user = _existing(uow, username)
        if actor.is_person and user.username == actor.username and not active:
            raise UserError("you cannot disable yourself")
        uow.users.set_active(user.username, active)
        if not active:
            uow.sessions.revoke_user(user.id, uow.clock.now())
        audit(uow, actor, "user.enable" if active else "user.disable", user.username)
        uow.commit()


def set_role(uow: UnitOfWork, username: str, role: str, *, actor: Actor) -> None:
    authorize(actor, Permission.MANAGE_USERS)
    new = _valid_role(role)
    with uow:
        user = _existing(uow, username)
        if actor.is_person and user.username == actor.username and new is not Role.ADMIN:
            raise UserError("you cannot take the admin role from yourself")
        uow.users.set_role(user.username, new.value)
        audit(uow, actor, "user.set_role", user.username, old=user.role, new=new.value)
        uow.commit()


def rotate_token(uow: UnitOfWork, username: str, *, actor: Actor) -> str:
    """A new API token for the user (shown once); the old one stops working."""
    authorize(actor, Permission.MANAGE_USERS)
    token = secrets.token_urlsafe(32)
    with uow:
        user = _existing(uow, username)
        uow.users.set_token_hash(user.username, token_hash(token))
        audit(uow, actor, "user.rotate_token", user.username)
        uow.commit()
    return token


def revoke_token(uow: UnitOfWork, username: str, *, actor: Actor) -> None:
    """The user's API token stops working; the user has none until :func:`rotate_token`."""
    authorize(actor, Permission.MANAGE_USERS)
    with uow:
        user = _existing(uow, username)
        uow.users.set_token_hash(user.username, None)
        audit(uow, actor, "user.revoke_token", user.username)
        uow.commit()


def set_password(uow: UnitOfWork, username: str, password: str, *, actor: Actor) -> None:
    """Set a new password; the user's console sessions end."""
    authorize(actor, Permission.MANAGE_USERS)
    pw_hash = hash_password(_valid_password(password))
    with uow:
        user = _existing(uow, username)
        uow.users.set_password_hash(user.username, pw_hash)
        uow.sessions.revoke_user(user.id, uow.clock.now())
        audit(uow, actor, "user.set_password", user.username)
        uow.commit()


# ---------------------------------------------------------------------------- sign-in
def login(uow: UnitOfWork, username: str, password: str, client: str,
          policy: LoginPolicy = LoginPolicy()) -> Login:
    """Check the password and open a console session.

    Refused (:class:`LoginRefused`) for a wrong name or password or a disabled user,
    alike; :class:`LoginThrottled` after ``policy.max_failures`` failures in
    ``policy.window_minutes`` for the same name or from the same client, without
    checking the password. Every attempt is audited (the password never is)."""
    name = normalise_name(username)[:64]
    keys = (f"user:{name}", f"client:{client}")
    with uow:
        now = uow.clock.now()
        since = now - timedelta(minutes=policy.window_minutes)
        if any(uow.login_attempts.failures_since(k, since) >= policy.max_failures
               for k in keys):
            audit(uow, f"login:{name}", "login.throttled", name, client=client)
            uow.commit()
            raise LoginThrottled(policy.window_minutes * 60)
        user = uow.users.get(name)
        ok = check_password(password, user.password_hash if user and user.password_hash
                            else _dummy_hash())
        if user is None or not user.active or not user.password_hash or not ok:
            for k in keys:
                uow.login_attempts.add_failure(k, now)
            audit(uow, f"login:{name}", "login.failed", name, client=client)
            uow.commit()
            raise LoginRefused("wrong user name or password")
        if _HASHER.check_needs_rehash(user.password_hash):
            uow.users.set_password_hash(name, hash_password(password))
        token = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=policy.session_hours)
        uow.sessions.add(user.id, token_hash(token), now, expires)
        uow.login_attempts.clear(keys[0])
        audit(uow, f"collector:{name}", "login", name, client=client)
        uow.commit()
    return Login(token, user, expires)


def session_user(uow: UnitOfWork, token: str) -> UserRecord | None:
    """The active user of an open, unexpired session, else None."""
    session = uow.sessions.get(token_hash(token))
    if session is None or session.revoked_at is not None \
            or session.expires_at <= uow.clock.now():
        return None
    user = uow.users.get_by_id(session.user_id)
    return user if user is not None and user.active else None


def logout(uow: UnitOfWork, token: str) -> bool:
    """End the session; False when it was not open."""
    with uow:
        session = uow.sessions.get(token_hash(token))
        ended = uow.sessions.revoke(token_hash(token), uow.clock.now())
        if ended and session is not None:
            user = uow.users.get_by_id(session.user_id)
            who = user.username if user else str(session.user_id)
            audit(uow, f"collector:{who}", "logout", who)
        uow.commit()
    return ended


def user_for_token(uow: UnitOfWork, token: str) -> UserRecord | None:
    """The active user whose API token this is, else None."""
    user = uow.users.by_token_hash(token_hash(token))
    return user if user is not None and user.active else None


def active_user(uow: UnitOfWork, username: str) -> UserRecord | None:
    user = uow.users.get(normalise_name(username))
    return user if user is not None and user.active else None


def actor_for(user: UserRecord, via: str | None = None) -> Actor:
    """The actor a stored user acts as (``via``: the operator acting for them)."""
    return Actor(user.username, Role(user.role), via)
