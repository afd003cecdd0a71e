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
right-party verification), ``preferred_hours`` and ``forbidden_hours`` (``HH:MM-HH:MM``
local: when the customer wants to be contacted, and when never), ``vulnerable``
(true/false, default false: the import places a ``vulnerable`` hold), ``time_barred``
(true/false) and ``limitation_date`` (YYYY-MM-DD: the debt is time-barred from that day
on).

``telegram_chat_id`` must be a private chat's id (a positive number): a group or
channel (negative id) is read by others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from babel.core import get_global
from babel.numbers import is_currency
from email_validator import EmailNotValidError, validate_email
from phonenumbers import timezone as phone_timezone

from bot.domain.money import MoneyError, to_minor
from bot.domain.portfolio import CaseRecord, ContactRecord
from bot.services.csv_rows import RowError, control_errors, too_many_cells

REQUIRED = ("account_id", "name", "balance", "currency", "due_date")
ADDRESS_COLUMNS = ("phone", "email", "telegram_chat_id")
OPTIONAL = (
    "customer_id", "country", "timezone", "language", "segment", "product", "minimum_payment",
    "risk_band", "consent_sms", "consent_email", "consent_telegram", "consent_source",
    "date_of_birth", "id_last4", "preferred_hours", "forbidden_hours", "vulnerable",
    "time_barred", "limitation_date",
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
_PRIVATE_CHAT_RE = re.compile(r"0*[1-9]\d{0,19}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: the largest amount accepted, in minor units (fits a BIGINT with room for sums)
MAX_MINOR = 10**15
#: longest values the database keeps (see storage.models)
_MAX_LEN = {"name": 200, "customer_id": 64, "product": 64, "segment": 64, "consent_source": 64}
#: file names in the zone database that are not places
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


@lru_cache(maxsize=1024)
def _clock_signature(zone: str, year: int) -> tuple[float | None, ...]:
    """UTC offsets through ``year``: zones with the same signature keep the same clock."""
    tz = ZoneInfo(zone)
    instants = [datetime(year, m, d, 12, tzinfo=UTC) for m in range(1, 13) for d in (1, 15)]
    return tuple(
        off.total_seconds() if (off := i.astimezone(tz).utcoffset()) is not None else None
        for i in instants
    )


def distinct_zones(zones: Sequence[str], preferred: Sequence[str] = (), *, year: int
                   ) -> list[str]:
    """Collapse zone names that keep the same clock (``Europe/Jersey`` = ``Europe/London``).

    One name per distinct clock, in first-seen order; within a group the first of
    ``preferred`` that belongs to it is the name kept.
    """
    groups: dict[tuple[float | None, ...], list[str]] = {}
    for zone in zones:
        groups.setdefault(_clock_signature(zone, year), []).append(zone)
    return [next((p for p in preferred if p in members), members[0])
            for members in groups.values()]


def _territory_zones(region: str) -> list[str]:
    zones = get_global("territory_zones")
    return list(zones.get(region, ()))


def _flag(row: dict[str, str], column: str, errors: list[RowError], mk: RowErrorFactory,
          default: bool = True) -> bool:
    value = row.get(column, "").lower()
    if not value:
        return default
    if value in _TRUE:
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
    if not _DATE_RE.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _amount(row: dict[str, str], column: str, currency: str, errors: list[RowError],
            mk: RowErrorFactory) -> int | None:
    try:
        minor = to_minor(row[column], currency)
    except MoneyError as exc:
        errors.append(mk(column, str(exc)))
        return None
    if minor < 0:
        errors.append(mk(column, "must not be negative"))
    elif minor > MAX_MINOR:
        errors.append(mk(column, f"implausibly large amount {row[column]!r}"))
    return minor


def parse_case_row(
    file: str, line: int, row: dict[str, str], default_region: str, default_timezone: str,
    default_language: str, *, year: int,
) -> tuple[CaseRecord | None, list[RowError]]:
    """Validate one row; returns the record, or None and every problem found in it.

    ``year``: the year whose daylight-saving rules decide which zones keep one clock."""
    mk = RowErrorFactory(file, line)
    errors: list[RowError] = []
    if "__extra__" in row:
        return None, [too_many_cells(file, line, row)]
    if unreadable := control_errors(file, line, row):
        return None, unreadable
    for column in REQUIRED:
        if not row.get(column):
            errors.append(mk(column, "required"))
    account = row.get("account_id", "")
    if account and not _ACCOUNT_RE.fullmatch(account):
        errors.append(mk("account_id", "use 1-64 letters, digits, '.', '_', '-' or '/'"))
    for column, limit in _MAX_LEN.items():
        if len(row.get(column, "")) > limit:
            errors.append(mk(column, f"longer than {limit} characters"))
    customer_ref = row.get("customer_id", "")
    if customer_ref and not _ACCOUNT_RE.fullmatch(customer_ref):
        errors.append(mk("customer_id", "use 1-64 letters, digits, '.', '_', '-' or '/'"))
    currency = row.get("currency", "").upper()
    if currency and not (_CURRENCY_RE.fullmatch(currency) and is_currency(currency)):
        errors.append(mk("currency", f"not an ISO 4217 currency code: {row['currency']!r}"))
    balance = None
    if row.get("balance") and currency:
        balance = _amount(row, "balance", currency, errors, mk)
    minimum = None
    if row.get("minimum_payment") and currency:
        minimum = _amount(row, "minimum_payment", currency, errors, mk)
    due = None
    if row.get("due_date"):
        try:
            due = _date(row["due_date"])
        except ValueError:
            errors.append(mk("due_date", f"expected YYYY-MM-DD, got {row['due_date']!r}"))
    country = row.get("country", "").upper() or None
    if country and country not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(mk("country", f"expected a 2-letter ISO country code, got {country!r}"))
    region = country or default_region
    language = (row.get("language") or default_language).lower()
    if language not in LANGUAGES:
        errors.append(mk("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}"))
    risk = row.get("risk_band", "").lower() or None
    if risk and risk not in RISK_BANDS:
        errors.append(mk("risk_band", f"expected one of {', '.join(RISK_BANDS)}, got {risk!r}"))

    hours: dict[str, tuple[time | None, time | None]] = {}
    for column in ("preferred_hours", "forbidden_hours"):
        hours[column] = (None, None)
        if row.get(column):
            m = _HOURS_RE.fullmatch(row[column])
            try:
                if not m:
                    raise ValueError
                hours[column] = (time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))
            except ValueError:
                errors.append(mk(column, "expected HH:MM-HH:MM, e.g. 09:00-18:00"))
    preferred = (*hours["preferred_hours"], *hours["forbidden_hours"])

    contacts: list[ContactRecord] = []
    phone_zones: list[str] = []
    phone_region = region
    # consent flags are checked even without the address they belong to
    consent = {c: _flag(row, c, errors, mk)
               for c in ("consent_sms", "consent_email", "consent_telegram")}
    vulnerable = _flag(row, "vulnerable", errors, mk, default=False)
    if not any(row.get(c) for c in ADDRESS_COLUMNS):
        errors.append(mk("phone", "at least one of phone, email, telegram_chat_id is required"))
    if row.get("phone"):
        try:
            number = phonenumbers.parse(row["phone"], region)
            if not phonenumbers.is_valid_number(number):
                raise phonenumbers.NumberParseException(0, "not a valid number for its region")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            contacts.append(ContactRecord("sms", e164, consent["consent_sms"], *preferred))
            phone_zones = [z for z in phone_timezone.time_zones_for_number(number)
                           if z in _zones()]
            phone_region = phonenumbers.region_code_for_number(number) or region
        except phonenumbers.NumberParseException as exc:
            errors.append(mk("phone", f"invalid phone number ({exc._msg}); region {region}"))
    if row.get("email"):
        try:
            info = validate_email(row["email"], check_deliverability=False)
            # one spelling per mailbox, so a re-import finds the contact point (and its
            # opt-out) again whatever the case of the address in the new file
            address = (info.local_part + "@" + info.domain).lower()
            contacts.append(ContactRecord("email", address, consent["consent_email"],
                                          *preferred))
        except EmailNotValidError as exc:
            errors.append(mk("email", f"invalid email address: {exc}"))
    if row.get("telegram_chat_id"):
        chat = row["telegram_chat_id"]
        if _PRIVATE_CHAT_RE.fullmatch(chat):
            contacts.append(ContactRecord("telegram", str(int(chat)),
                                          consent["consent_telegram"], *preferred))
        elif _TELEGRAM_RE.fullmatch(chat):
            errors.append(mk("telegram_chat_id", "not a private chat: group and channel ids "
                                                 "(negative or 0) are read by others; give "
                                                 "the customer's own chat id"))
        else:
            errors.append(mk("telegram_chat_id", "expected a numeric chat id"))

    tz = row.get("timezone", "")
    candidates: list[str] = []
    # equivalent names collapse onto the zone the row or the deployment names, else the
    # country's own (so a UK mobile is Europe/London, not four "candidates")
    phone_clocks = distinct_zones(phone_zones, [tz or default_timezone,
                                                *_territory_zones(phone_region)], year=year)

    def clock(zone: str) -> tuple[float | None, ...]:
        return _clock_signature(zone, year)

    if tz:
        if tz not in _zones():
            errors.append(mk("timezone", f"unknown IANA time zone {tz!r}"))
        elif phone_clocks and clock(tz) not in map(clock, phone_clocks):
            candidates = [tz, *phone_clocks]  # the row and the phone disagree: ambiguous
    elif len(phone_clocks) == 1:
        tz = phone_clocks[0]
    elif phone_clocks:  # the number spans several clocks: ambiguous
        # the deployment's default clock first when it is one of them (phonenumbers
        # lists zones alphabetically: for a US toll-free number America/Adak comes first)
        default_clock = clock(default_timezone) if default_timezone in _zones() else None
        phone_clocks.sort(key=lambda z: clock(z) != default_clock)
        tz = phone_clocks[0]
        candidates = phone_clocks
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
    barred = _flag(row, "time_barred", errors, mk, default=False)
    limitation = None
    if row.get("limitation_date"):
        try:
            limitation = _date(row["limitation_date"])
        except ValueError:
            errors.append(mk("limitation_date", "expected YYYY-MM-DD"))

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
        id_last4=last4, vulnerable=vulnerable, time_barred=barred,
        limitation_date=limitation,
    ), []
