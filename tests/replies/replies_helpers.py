"""Shared helpers for reply-parser tests: a fixed ``now`` and a compact view of a Reply."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.replies.model import Reply
from bot.replies.parser import parse_reply

# Wednesday 9 December 2026, mid-morning, in New York and in Shanghai.
NOW_EN = dt.datetime(2026, 12, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
NOW_ZH = dt.datetime(2026, 12, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def terms(reply: Reply) -> list[tuple[str | None, str | None]]:
    """Promises as (amount "D.DD", ISO date) pairs."""
    return [
        (
            None if p.amount is None else f"{p.amount:.2f}",
            None if p.date is None else p.date.isoformat(),
        )
        for p in reply.promises
    ]


def parse(
    text: str,
    *,
    balance: str | None = "1000.00",
    currency: str | None = None,
    now: dt.datetime | None = None,
) -> Reply:
    """Parse with the fixed ``now`` of the reply's script (Chinese if it has Han characters)."""
    zh = any("\u4e00" <= c <= "\u9fff" for c in text)
    return parse_reply(
        text,
        now or (NOW_ZH if zh else NOW_EN),
        Decimal(balance) if balance is not None else None,
        currency or ("CNY" if zh else "USD"),
    )
