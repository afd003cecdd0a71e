"""What happened on a case: messages in and out (the outbox), events, the planner's
decisions, the bot's conversation; the keys of the inbound events processed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from storage.tables.base import Row, utc_field
from storage.types import JSONText


class MessageRow(Row, table=True):
    """Every message in and out. Outbound rows double as the outbox (status ``queued``)."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        Index("ix_message_outbox", "status", "next_attempt_at"),
        Index("ix_message_case_created", "case_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="collection_case.id")
    contact_point_id: int | None = Field(default=None, foreign_key="contact_point.id")
    direction: str = Field(max_length=3)  # in | out
    channel: str = Field(max_length=16)
    address: str = Field(max_length=320)
    template_id: str | None = Field(default=None, max_length=64)
    step_id: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=16)
    campaign_id: str | None = Field(default=None, max_length=64)
    # the event a campaign message is about (promise ref, "silence:<date>"): Decision.ref
    ref: str | None = Field(default=None, max_length=64)
    purpose: str | None = Field(default=None, max_length=24)  # dunning | reply | ...
    lang: str | None = Field(default=None, max_length=8)
    fallback_channels: list[str] = Field(default_factory=list, sa_type=JSONText)
    reply_token: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(max_length=16)
    provider_id: str | None = Field(default=None, max_length=255)
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    subject: str | None = Field(default=None, max_length=300)
    body: str = ""
    intent: str | None = Field(default=None, max_length=24)
    thread_ref: str | None = Field(default=None, max_length=255)
    error_code: str | None = Field(default=None, max_length=32)
    error_reason: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    next_attempt_at: datetime | None = utc_field(default=None)
    created_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(default=None)
    actor: str | None = Field(default=None, max_length=80)
    # a customer's message: the reply parser's reading (bot/services/readings.py)
    reading: dict[str, Any] | None = Field(default=None, sa_type=JSONText)


class CaseEventRow(Row, table=True):
    """Append-only log of domain events."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_at", "case_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id")
    type: str = Field(max_length=40, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    actor: str = Field(max_length=80)
    at: datetime = utc_field()


class ContactDecisionRow(Row, table=True):
    """A planner decision for a case on a day: every denial with its reasons, and each
    allowed legal review (an allowed send is recorded by its outbox row instead)."""

    __tablename__ = "contact_decision"
    __table_args__ = (Index("ix_decision_case_day", "case_id", "local_date"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id")
    local_date: date
    campaign_id: str = Field(max_length=64)
    step_id: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=16)
    allowed: bool
    reasons: list[str] = Field(default_factory=list, sa_type=JSONText)
    at: datetime = utc_field()
    # planner decisions: a hash of (case, local date, step, variant, channel, outcome,
    # reasons), so ticks repeating the same decision on the same day record it once
    key: str | None = Field(default=None, max_length=64, unique=True)


class ConversationRow(Row, table=True):
    """Where the bot's dialogue with a case stands (what it last asked, and until when)."""

    __tablename__ = "conversation"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", unique=True)
    state: str = Field(default="idle", max_length=32)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    expires_at: datetime | None = utc_field(default=None)
    verify_failures: int = 0
    locked_at: datetime | None = utc_field(default=None)
    updated_at: datetime = utc_field()


class InboundEventRow(Row, table=True):
    """Keys of inbound events already processed: providers retry, we act once."""

    __tablename__ = "inbound_event"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True)
    at: datetime = utc_field()
