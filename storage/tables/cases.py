"""The cases: customers, their contact points, cases, promises, payments and disputes."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field

from storage.tables.base import Row, utc_field
from storage.types import JSONText


class CustomerRow(Row, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    external_ref: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    date_of_birth: date | None = None
    id_last4: str | None = Field(default=None, max_length=4)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class ContactPointRow(Row, table=True):
    __tablename__ = "contact_point"
    __table_args__ = (UniqueConstraint("customer_id", "channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)  # sms | email | telegram
    address: str = Field(max_length=320, index=True)
    role: str = Field(default="customer", max_length=16)  # customer | third_party | emergency
    consent: bool = True
    consent_source: str = Field(default="import", max_length=64)
    opted_out_at: datetime | None = utc_field(default=None)
    opt_out_source: str | None = Field(default=None, max_length=64)
    invalid_at: datetime | None = utc_field(default=None)
    invalid_reason: str | None = Field(default=None, max_length=120)
    wrong_party_at: datetime | None = utc_field(default=None)
    preferred_start: time | None = None
    preferred_end: time | None = None
    forbidden_start: time | None = None
    forbidden_end: time | None = None
    verified: bool = False
    # others read it too (another customer's as well, a relative answered): limited only
    shared: bool = False
    created_at: datetime = utc_field()


class CaseRow(Row, table=True):
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
    anonymised_at: datetime | None = utc_field(default=None)  # retention purge (duebot retention)
    time_barred: bool = False  # imported: past the limitation period
    limitation_date: date | None = None  # imported: time-barred from this day on
    version: int = 1
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class PromiseRow(Row, table=True):
    __tablename__ = "promise"
    __table_args__ = (UniqueConstraint("case_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    ref: str = Field(max_length=16)
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    due: date | None = Field(default=None, index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    paid_minor: int = Field(default=0, sa_type=BigInteger)
    made_at: datetime | None = utc_field(default=None)
    source_message_id: int | None = Field(default=None, foreign_key="message.id", index=True)


class PaymentRow(Row, table=True):
    __tablename__ = "payment"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    reference: str = Field(max_length=128, unique=True, index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    paid_at: datetime = utc_field()
    created_at: datetime = utc_field()


class DisputeRow(Row, table=True):
    __tablename__ = "dispute"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collection_case.id", index=True)
    reason: str = Field(default="", max_length=500)
    opened_at: datetime = utc_field()
    resolved_at: datetime | None = utc_field(default=None)
    outcome: str | None = Field(default=None, max_length=16)
