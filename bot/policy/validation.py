"""The Reg F validation period (12 CFR 1006.34(b)(5)): when it ends.

The consumer may dispute the debt until 30 days after receiving the validation notice; a
debt collector may assume receipt any day up to five days (excluding legal public
holidays, Saturdays and Sundays) after sending it. So the period ends
``validation_period_days`` after ``validation_receipt_days`` business days after the
notice was sent (the latest receipt the rule lets us assume, so the consumer never has
less time than the law gives).
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.policy.contact_hours import holiday_country, holiday_name
from bot.policy.profiles import JurisdictionProfile


def assumed_receipt(sent: date, profile: JurisdictionProfile, country: str | None) -> date:
    """The day the notice sent on ``sent`` (local) is assumed received."""
    where = holiday_country(country, profile)
    day, left = sent, profile.validation_receipt_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and holiday_name(where, day) is None:
            left -= 1
    return day


def validation_period_end(sent: date, profile: JurisdictionProfile,
                          country: str | None) -> date:
    """The last day of the validation period of a notice sent on ``sent`` (local)."""
    return assumed_receipt(sent, profile, country) + timedelta(
        days=profile.validation_period_days)
