"""The sandbox channel and chat onboarding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from storage.tables.base import Row, utc_field


class SandboxMessageRow(Row, table=True):
    """What the sandbox channel delivered or was told by a pretend customer."""

    __tablename__ = "sandbox_message"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=3)
    address: str = Field(max_length=320, index=True)
    subject: str | None = Field(default=None, max_length=300)
    body: str = ""
    provider_id: str = Field(max_length=64, unique=True)
    at: datetime = utc_field()


class ChatLinkTokenRow(Row, table=True):
    """A deep-link onboarding token (stored as a SHA-256 hash: the token is a secret)."""

    __tablename__ = "chat_link_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    case_ref: str = Field(max_length=64)
    method: str = Field(max_length=16)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    chat_id: str | None = Field(default=None, max_length=32, index=True)
    claimed_at: datetime | None = utc_field(default=None)
    failures: int = 0
    used_at: datetime | None = utc_field(default=None)
    locked_at: datetime | None = utc_field(default=None)


class ChatLockRow(Row, table=True):
    __tablename__ = "chat_lock"
    chat_id: str = Field(primary_key=True, max_length=32)
    locked_at: datetime = utc_field()


class ChatLinkRow(Row, table=True):
    __tablename__ = "chat_link"
    __table_args__ = (UniqueConstraint("chat_id", "case_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=32, index=True)
    case_ref: str = Field(max_length=64)
    linked_at: datetime = utc_field()
