"""Builders for policy and planner tests: a case that is allowed unless a test says otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.case import Case
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")

SMS_ADDR = "+14155550123"
EMAIL_ADDR = "jane.doe@example.com"
TG_ADDR = "987654321"


@dataclass
class RoledContactPoint(ContactPoint):
    """A contact point with the ``role`` field ContactPoint does not have yet."""

    role: str = "customer"


@dataclass
class ForbiddenHoursContactPoint(ContactPoint):
    forbidden_start: time | None = None
    forbidden_end: time | None = None


def at(zone: ZoneInfo, y: int, mo: int, d: int, h: int = 12, mi: int = 0, s: int = 0
       ) -> datetime:
    """A local wall-clock time in ``zone``, as aware UTC."""
    return datetime(y, mo, d, h, mi, s, tzinfo=zone).astimezone(UTC)


def sms(address: str = SMS_ADDR, **kw: object) -> ContactPoint:
    return ContactPoint(ChannelKind.SMS, address, **kw)  # type: ignore[arg-type]


def email(address: str = EMAIL_ADDR, **kw: object) -> ContactPoint:
    return ContactPoint(ChannelKind.EMAIL, address, **kw)  # type: ignore[arg-type]


def telegram(address: str = TG_ADDR, **kw: object) -> ContactPoint:
    return ContactPoint(ChannelKind.TELEGRAM, address, **kw)  # type: ignore[arg-type]


def make_case(
    *,
    due: date = date(2025, 3, 1),
    balance_minor: int = 120_000,
    timezone: str = "America/New_York",
    contacts: list[ContactPoint] | None = None,
    **kw: object,
) -> Case:
    case = Case(
        account_id="ACC-0001", currency="USD", balance_minor=balance_minor, due_date=due,
        customer_name="Jane Doe", timezone=timezone, **kw,  # type: ignore[arg-type]
    )
    case.contacts = contacts if contacts is not None else [sms(), email()]
    return case
