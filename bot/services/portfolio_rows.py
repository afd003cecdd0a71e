"""Turn portfolio CSV rows into validated case records (``duebot import cases``).

Columns (header names are case-insensitive):

required: ``account_id``, ``name``, ``balance``, ``currency``, ``due_date`` (YYYY-MM-DD)
and at least one of ``phone``, ``email``, ``telegram_chat_id``.

optional: ``customer_id`` (groups several accounts of one person; default: the
account id), ``country`` (ISO 3166 alpha-2, the phone's default region), ``timezone``
(IANA; inferred from the phone when absent), ``language`` (en/zh), ``segment``,
``product``, ``minimum_payment``, ``risk_band`` (low/medium/high, overrides the score),
``consent_sms``, ``consent_email``, ``consent_telegram`` (true/false/yes/no/1/0, default
true), ``consent_source``, ``date_of_birth`` (YYYY-MM-DD) and ``id_last4`` (for
right-party verification), ``preferred_hours`` (``HH:MM-HH:MM`` local).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import timezone as phone_timezone

from bot.domain.money import MoneyError, to_minor
from bot.services.csv_rows import RowError

REQUIRED = ("account_id", "name", "balance", "currency", "due_date")
ADDRESS_COLUMNS = ("phone", "email", "telegram_chat_id")
OPTIONAL = (
    "customer_id", "country", "timezone", "language", "segment", "product", "minimum_payment",
    "risk_band", "consent_sms", "consent_email", "consent_telegram", "consent_source",
    "date_of_birth", "id_last4", "preferred_hours",
)
KNOWN = frozenset(REQUIRED + ADDRESS_COLUMNS + OPTIONAL)
LANGUAGES = ("en", "zh")
RISK_BANDS = ("low", "medium", "high")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_ACCOUNT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_HOURS_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_TELEGRAM_RE = re.compile(r"-?\d{1,20}")


@dataclass
class ContactRecord:
    channel: str
    address: str
    consent: bool
    preferred_start: time | None = None
    preferred_end: time | None = None


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


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _flag(row: dict[str, str], column: str, errors: list[RowError], mk: RowErrorFactory) -> bool:
    value = row.get(column, "").lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append(mk(column, f"expected true/false, got {value!r}"))
    return True


class RowErrorFactory:
    def __init__(self, file: str, line: int) -> None:
        self.file, self.line = file, line

    def __call__(self, column: str, reason: str) -> RowError:
        return RowError(self.file, self.line, column, reason)


def _date(value: str) -> date:
    return date.fromisoformat(value)


def parse_case_row(
    file: str, line: int, row: dict[str, str], default_region: str, default_timezone: str,
    default_language: str,
) -> tuple[CaseRecord | None, list[RowError]]:
    """Validate one row; returns the record, or None and every problem found in it."""
    mk = RowErrorFactory(file, line)
    errors: list[RowError] = []
    if "__extra__" in row:
        return None, [mk("*", "more cells than header columns")]
    for column in REQUIRED:
        if not row.get(column):
            errors.append(mk(column, "required"))
    account = row.get("account_id", "")
    if account and not _ACCOUNT_RE.fullmatch(account):
        errors.append(mk("account_id", "use 1-64 letters, digits, '.', '_', '-' or '/'"))
    currency = row.get("currency", "").upper()
    if currency and not _CURRENCY_RE.fullmatch(currency):
        errors.append(mk("currency", f"not an ISO 4217 code: {row['currency']!r}"))
    balance = None
    if row.get("balance") and currency:
        try:
            balance = to_minor(row["balance"], currency)
            if balance < 0:
                errors.append(mk("balance", "must not be negative"))
        except MoneyError as exc:
            errors.append(mk("balance", str(exc)))
    minimum = None
    if row.get("minimum_payment") and currency:
        try:
            minimum = to_minor(row["minimum_payment"], currency)
            if minimum < 0:
                errors.append(mk("minimum_payment", "must not be negative"))
        except MoneyError as exc:
            errors.append(mk("minimum_payment", str(exc)))
    due = None
    if row.get("due_date"):
        try:
            due = _date(row["due_date"])
        except ValueError:
            errors.append(mk("due_date", f"expected YYYY-MM-DD, got {row['due_date']!r}"))
    country = row.get("country", "").upper() or None
    if country and (len(country) != 2 or not country.isalpha()):
        errors.append(mk("country", f"expected a 2-letter ISO country code, got {country!r}"))
    region = country or default_region
    language = (row.get("language") or default_language).lower()
    if language not in LANGUAGES:
        errors.append(mk("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}"))
    risk = row.get("risk_band", "").lower() or None
    if risk and risk not in RISK_BANDS:
        errors.append(mk("risk_band", f"expected one of {', '.join(RISK_BANDS)}, got {risk!r}"))

    preferred: tuple[time | None, time | None] = (None, None)
    if row.get("preferred_hours"):
        m = _HOURS_RE.fullmatch(row["preferred_hours"])
        try:
            if not m:
                raise ValueError
            preferred = (time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))
        except ValueError:
            errors.append(mk("preferred_hours", "expected HH:MM-HH:MM, e.g. 09:00-18:00"))

    contacts: list[ContactRecord] = []
    phone_zones: list[str] = []
    if not any(row.get(c) for c in ADDRESS_COLUMNS):
        errors.append(mk("phone", "at least one of phone, email, telegram_chat_id is required"))
    if row.get("phone"):
        try:
            number = phonenumbers.parse(row["phone"], region)
            if not phonenumbers.is_valid_number(number):
                raise phonenumbers.NumberParseException(0, "not a valid number for its region")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            contacts.append(ContactRecord("sms", e164, _flag(row, "consent_sms", errors, mk),
                                          *preferred))
            phone_zones = [z for z in phone_timezone.time_zones_for_number(number)
                           if z != "Etc/Unknown"]
        except phonenumbers.NumberParseException as exc:
            errors.append(mk("phone", f"invalid phone number ({exc._msg}); region {region}"))
    if row.get("email"):
        try:
            info = validate_email(row["email"], check_deliverability=False)
            address = info.local_part + "@" + info.domain.lower()
            contacts.append(ContactRecord("email", address,
                                          _flag(row, "consent_email", errors, mk), *preferred))
        except EmailNotValidError as exc:
            errors.append(mk("email", f"invalid email address: {exc}"))
    if row.get("telegram_chat_id"):
        if _TELEGRAM_RE.fullmatch(row["telegram_chat_id"]):
            contacts.append(ContactRecord("telegram", row["telegram_chat_id"],
                                          _flag(row, "consent_telegram", errors, mk), *preferred))
        else:
            errors.append(mk("telegram_chat_id", "expected a numeric chat id"))

    tz = row.get("timezone", "")
    candidates: list[str] = []
    if tz:
        if tz not in _zones():
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                errors.append(mk("timezone", f"unknown IANA time zone {tz!r}"))
        if phone_zones and tz not in phone_zones:
            candidates = [tz, *phone_zones]  # address and phone disagree: ambiguous
    elif phone_zones:
        tz = phone_zones[0]
        candidates = phone_zones if len(phone_zones) > 1 else []
    else:
        tz = default_timezone

    dob = None
    if row.get("date_of_birth"):
        try:
            dob = _date(row["date_of_birth"])
        except ValueError:
            errors.append(mk("date_of_birth", "expected YYYY-MM-DD"))
    last4 = row.get("id_last4") or None
    if last4 and not (len(last4) == 4 and last4.isalnum()):
        errors.append(mk("id_last4", "expected 4 letters or digits"))

    if errors:
        return None, errors
    assert balance is not None and due is not None
    return CaseRecord(
        line=line, account_id=account, customer_ref=row.get("customer_id") or account,
        name=row["name"], currency=currency, balance_minor=balance, due_date=due,
        contacts=contacts, minimum_payment_minor=minimum, product=row.get("product") or None,
        segment=row.get("segment") or None, risk_band_override=risk, timezone=tz,
        timezone_candidates=candidates, language=language, country=country,
        consent_source=row.get("consent_source") or "import", date_of_birth=dob,
        id_last4=last4,
    ), []
