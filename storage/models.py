"""SQLModel tables. Money is integer minor units (BigInteger); datetimes are aware UTC.

Rows are persistence shapes only; the domain works on ``bot.domain`` objects and the
repositories translate between the two.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONText, UTCDateTime


class _Row(SQLModel):
    """What every table has in common: pydantic's validation and serialisation schema is
    built when first used, not when the class is made. Rows are never validated (a
    table model's constructor only sets values) nor dumped, so nothing builds it, and a
    process no longer pays for 23 schemas at import (a command line's start)."""

    model_config = {"defer_build": True}


def _dt(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class UserRow(_Row, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=16)  # admin | collector
    password_hash: str = Field(max_length=255)
    token_hash: str | None = Field(default=None, max_length=128, index=True)
    active: bool = True
    created_at: datetime = _dt()


class CustomerRow(_Row, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    external_ref: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    date_of_birth: date | None = None
    id_last4: str | None = Field(default=None, max_length=4)
    created_at: datetime = _dt()
    updated_at: datetime = _dt()


class ContactPointRow(_Row, table=True):
    __tablename__ = "contact_point"
    __table_args__ = (UniqueConstraint("customer_id", "channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)  # sms | email | telegram
    address: str = Field(max_length=320, index=True)
    role: str = Field(default="customer", max_length=16)  # customer | third_party | emergency
    consent: bool = True
    consent_source: str = Field(default="import", max_length=64)
    opted_out_at: datetime | None = _dt(default=None)
    opt_out_source: str | None = Field(default=None, max_length=64)
    invalid_at: datetime | None = _dt(default=None)
    invalid_reason: str | None = Field(default=None, max_length=120)
    wrong_party_at: datetime | None = _dt(default=None)
    preferred_start: time | None = None
    preferred_end: time | None = None
    forbidden_start: time | None = None
    forbidden_end: time | None = None
    verified: bool = False
    # others read it too (another customer's as well, a relative answered): limited only
    shared: bool = False
    created_at: datetime = _dt()


class CaseRow(_Row, table=True):
    __tablename__ = "collection_case"
    __table_args__ = (Index("ix_case_status_dpd", "status", "days_past_due"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(max_length=64, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product: str | None = Field(default=None, max_length=64)
    currency: str = Field(max_length=3)
    balance_minor: int = Field(sa_type=BigInteger)
    minimum_payment_minor: int | None = Field(default=None, sa_type=BigInteger)
    due_date: date
    days_past_due: int = 0
    status: str = Field(default="active", max_length=24, index=True)
    holds: dict[str, str] = Field(default_factory=dict, sa_type=JSONText)
    segment: str | None = Field(default=None, max_length=64)
    risk_band: str | None = Field(default=None, max_length=16)
    risk_band_override: str | None = Field(default=None, max_length=16)
    timezone: str = Field(default="UTC", max_length=64)
    timezone_candidates: list[str] = Field(default_factory=list, sa_type=JSONText)
    language: str = Field(default="en", max_length=8)
    country: str | None = Field(default=None, max_length=2)
    assigned_collector: str | None = Field(default=None, max_length=64)
    held_by: str | None = Field(default=None, max_length=64, index=True)
    payment_claim_until: date | None = None
    breathing_space_until: date | None = None  # a breathing space hold's last day
    anonymised_at: datetime | None = _dt(default=None)  # retention purge (duebot retention)
    time_barred: bool = False  # imported: past the limitation period
    limitation_date: date | None = None  # imported: time-barred from this day on
    version: int = 1
    created_at: datetime = _dt()
    updated_at: datetime = _dt()


class PromiseRow(_Row, table=True):
    __tablename__ = "promise"
    __table_args__ = (UniqueConstraint("case_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    ref: str = Field(max_length=16)
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    due: date | None = Field(default=None, index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    paid_minor: int = Field(default=0, sa_type=BigInteger)
    made_at: datetime | None = _dt(default=None)
    source_message_id: int | None = Field(default=None, foreign_key="message.id", index=True)


class PaymentRow(_Row, table=True):
    __tablename__ = "payment"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    reference: str = Field(max_length=128, unique=True, index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    paid_at: datetime = _dt()
    created_at: datetime = _dt()


class DisputeRow(_Row, table=True):
    __tablename__ = "dispute"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    reason: str = Field(default="", max_length=500)
    opened_at: datetime = _dt()
    resolved_at: datetime | None = _dt(default=None)
    outcome: str | None = Field(default=None, max_length=16)


class MessageRow(_Row, table=True):
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
    next_attempt_at: datetime | None = _dt(default=None)
    created_at: datetime = _dt()
    sent_at: datetime | None = _dt(default=None)
    actor: str | None = Field(default=None, max_length=80)
    # a customer's message: the reply parser's reading (bot/services/readings.py)
    reading: dict[str, Any] | None = Field(default=None, sa_type=JSONText)


class CaseEventRow(_Row, table=True):
    """Append-only log of domain events."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_at", "case_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id")
    type: str = Field(max_length=40, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    actor: str = Field(max_length=80)
    at: datetime = _dt()


class ContactDecisionRow(_Row, table=True):
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
    at: datetime = _dt()
    # planner decisions: a hash of (case, local date, step, variant, channel, outcome,
    # reasons), so ticks repeating the same decision on the same day record it once
    key: str | None = Field(default=None, max_length=64, unique=True)


class WorkItemRow(_Row, table=True):
    """An item in the collectors' queue: a conversation that needs a human."""

    __tablename__ = "work_item"
    __table_args__ = (Index("ix_work_item_open", "done_at", "priority"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="collection_case.id")
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    kind: str = Field(max_length=32)  # dispute | legal | callback | low_confidence | ...
    detail: str = Field(default="", max_length=500)
    priority: int = 50
    due_at: datetime | None = _dt(default=None)
    created_at: datetime = _dt()
    done_at: datetime | None = _dt(default=None)
    done_by: str | None = Field(default=None, max_length=64)


class ConversationRow(_Row, table=True):
    """Where the bot's dialogue with a case stands (what it last asked, and until when)."""

    __tablename__ = "conversation"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", unique=True)
    state: str = Field(default="idle", max_length=32)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    expires_at: datetime | None = _dt(default=None)
    verify_failures: int = 0
    locked_at: datetime | None = _dt(default=None)
    updated_at: datetime = _dt()


class SandboxMessageRow(_Row, table=True):
    """What the sandbox channel delivered or was told by a pretend customer."""

    __tablename__ = "sandbox_message"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=3)
    address: str = Field(max_length=320, index=True)
    subject: str | None = Field(default=None, max_length=300)
    body: str = ""
    provider_id: str = Field(max_length=64, unique=True)
    at: datetime = _dt()


class ChatLinkTokenRow(_Row, table=True):
    """A deep-link onboarding token (stored as a SHA-256 hash: the token is a secret)."""

    __tablename__ = "chat_link_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    case_ref: str = Field(max_length=64)
    method: str = Field(max_length=16)
    created_at: datetime = _dt()
    expires_at: datetime = _dt()
    chat_id: str | None = Field(default=None, max_length=32, index=True)
    claimed_at: datetime | None = _dt(default=None)
    failures: int = 0
    used_at: datetime | None = _dt(default=None)
    locked_at: datetime | None = _dt(default=None)


class ChatLockRow(_Row, table=True):
    __tablename__ = "chat_lock"
    chat_id: str = Field(primary_key=True, max_length=32)
    locked_at: datetime = _dt()


class ChatLinkRow(_Row, table=True):
    __tablename__ = "chat_link"
    __table_args__ = (UniqueConstraint("chat_id", "case_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=32, index=True)
    case_ref: str = Field(max_length=64)
    linked_at: datetime = _dt()


class InboundEventRow(_Row, table=True):
    """Keys of inbound events already processed: providers retry, we act once."""

    __tablename__ = "inbound_event"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True)
    at: datetime = _dt()


class UserSessionRow(_Row, table=True):
    """A console login: the session cookie's token, stored as a hash; revocable."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _dt()
    expires_at: datetime = _dt()
    revoked_at: datetime | None = _dt(default=None)


class LoginAttemptRow(_Row, table=True):
    """Failed logins, per user name and per client address: what rate-limits them."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, index=True)
    at: datetime = _dt(index=True)


class AuditRow(_Row, table=True):
    """Who did what outside a case's own event log (users, campaigns, reveals, logins)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _dt(index=True)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=40, index=True)
    target: str | None = Field(default=None, max_length=160)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)


class CampaignVersionRow(_Row, table=True):
    """One version of a campaign: its YAML text and where it stands
    (draft → approved → active ↔ paused; retired when another version replaces it)."""

    __tablename__ = "campaign_version"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(max_length=64, index=True)
    version: int
    status: str = Field(max_length=16, index=True)
    source: str = Field(max_length=255)
    body: str
    created_at: datetime = _dt()
    created_by: str = Field(max_length=120)
    approved_at: datetime | None = _dt(default=None)
    approved_by: str | None = Field(default=None, max_length=120)
    activated_at: datetime | None = _dt(default=None)
    activated_by: str | None = Field(default=None, max_length=120)
    paused_at: datetime | None = _dt(default=None)
    paused_by: str | None = Field(default=None, max_length=120)


class RateBucketRow(_Row, table=True):
    """A send rate shared by every worker (``storage/rate_buckets.py``): when the next
    send through ``key`` (a provider's sender) may go, in seconds since the epoch."""

    __tablename__ = "rate_bucket"
    key: str = Field(primary_key=True, max_length=200)
    next_at: float


class JobRunRow(_Row, table=True):
    """When each scheduled job (the planning tick, the daily jobs) last ran to its end,
    whichever scheduler ran it: the missed-tick metric reads it."""

    __tablename__ = "job_run"
    job: str = Field(primary_key=True, max_length=64)
    started_at: datetime = _dt()
    finished_at: datetime = _dt()
