"""Users, console sessions, failed logins and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from storage.tables.base import Row, utc_field
from storage.types import JSONText


class UserRow(Row, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=16)  # admin | collector
    password_hash: str = Field(max_length=255)
    token_hash: str | None = Field(default=None, max_length=128, index=True)
    active: bool = True
    created_at: datetime = utc_field()


class UserSessionRow(Row, table=True):
    """A console login: the session cookie's token, stored as a hash; revocable."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(default=None)


class LoginAttemptRow(Row, table=True):
    """Failed logins, per user name and per client address: what rate-limits them."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, index=True)
    at: datetime = utc_field(index=True)


class AuditRow(Row, table=True):
    """Who did what outside a case's own event log (users, campaigns, reveals, logins)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(index=True)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=40, index=True)
    target: str | None = Field(default=None, max_length=160)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
