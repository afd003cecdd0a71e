"""Portfolio records: a case as a bank's file describes it, validated, before import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time


@dataclass
class ContactRecord:
    channel: str
    address: str
    consent: bool
    preferred_start: time | None = None
    preferred_end: time | None = None
    forbidden_start: time | None = None
    forbidden_end: time | None = None


@dataclass
class CaseRecord:
    line: int
    account_id: str
    customer_ref: str
    name: str
    currency: str
    balance_minor: int
    due_date: date
    contacts: list[ContactRecord] = field(default_factory=list)
    minimum_payment_minor: int | None = None
    product: str | None = None
    segment: str | None = None
    risk_band_override: str | None = None
    timezone: str = "UTC"
    timezone_candidates: list[str] = field(default_factory=list)
    language: str = "en"
    country: str | None = None
    consent_source: str = "import"
    date_of_birth: date | None = None
    id_last4: str | None = None
    vulnerable: bool = False  # the bank flags the customer vulnerable: human contact only
    time_barred: bool = False
    limitation_date: date | None = None
