"""The Reg F validation period: 30 days after the assumed receipt, five business days
(no weekends, no public holidays) after the notice is sent (12 CFR 1006.34(b)(5))."""

from __future__ import annotations

from datetime import date

from bot.policy import get_profile
from bot.policy.validation import assumed_receipt, validation_period_end

US = get_profile("US-RegF")


def test_receipt_skips_weekends_and_public_holidays() -> None:
    assert assumed_receipt(date(2026, 12, 2), US, "US") == date(2026, 12, 9)  # Wed -> Wed
    assert assumed_receipt(date(2026, 12, 4), US, "US") == date(2026, 12, 11)  # Fri -> Fri
    # Thanksgiving (Thu 26 Nov 2026) does not count
    assert assumed_receipt(date(2026, 11, 24), US, "US") == date(2026, 12, 2)


def test_the_period_ends_thirty_days_after_receipt() -> None:
    assert validation_period_end(date(2026, 12, 2), US, "US") == date(2027, 1, 8)
