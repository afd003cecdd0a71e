"""Risk band: a transparent default score, overridable by an imported column.

The score is a sum of points, each of which ``duebot plan --explain`` can show:

=======================================  =================================================
factor                                   points
=======================================  =================================================
days past due                            ≤0: 0 · 1–29: 10 · 30–59: 20 · 60–89: 30 · 90+: 40
balance (major units, case currency)     <500: 0 · 500–1,999.99: 10 · 2,000–9,999.99: 20 ·
                                         10,000+: 30
broken promises (all time)               15 each, at most 30
customer replies in the last 30 days     none: 15 · one or more: 0
=======================================  =================================================

Band: score 0–29 **low**, 30–59 **medium**, 60+ **high**.

The balance thresholds are plain major-unit numbers whatever the currency; pass other
thresholds to :func:`assess` for currencies where they make no sense (JPY, ...). When the
case carries an imported ``risk_band_override`` (``low``/``medium``/``high``, any case) it
wins, and the computed score is still reported next to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from bot.domain.case import Case, PromiseStatus
from bot.domain.clock import ensure_utc
from bot.domain.money import exponent, from_minor


class RiskBand(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RiskBandError(ValueError):
    """An imported risk band that is not low, medium or high."""


DPD_POINTS: tuple[tuple[int, int], ...] = ((0, 0), (29, 10), (59, 20), (89, 30))
DPD_POINTS_MAX = 40
BALANCE_POINTS: tuple[tuple[Decimal, int], ...] = (
    (Decimal("500"), 0), (Decimal("2000"), 10), (Decimal("10000"), 20))
BALANCE_POINTS_MAX = 30
BROKEN_PROMISE_POINTS = 15
BROKEN_PROMISE_MAX = 30
NO_RESPONSE_POINTS = 15
RESPONSE_WINDOW = timedelta(days=30)
MEDIUM_FROM = 30
HIGH_FROM = 60


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    band: RiskBand
    score: int
    points: tuple[tuple[str, int, str], ...]  # (factor, points, why)
    source: str  # "score" or "override"

    def explain(self) -> str:
        parts = ", ".join(f"{name} {pts:+d} ({why})" for name, pts, why in self.points)
        head = f"risk {self.band} (score {self.score}: {parts})"
        return head + (" — imported override" if self.source == "override" else "")


def parse_band(value: str) -> RiskBand:
    """``"High "`` → ``RiskBand.HIGH``; anything else is a :class:`RiskBandError`."""
    try:
        return RiskBand(value.strip().lower())
    except ValueError:
        raise RiskBandError(
            f"risk band must be one of low, medium, high (got {value!r})"
        ) from None


def band_for(score: int) -> RiskBand:
    if score >= HIGH_FROM:
        return RiskBand.HIGH
    if score >= MEDIUM_FROM:
        return RiskBand.MEDIUM
    return RiskBand.LOW


def dpd_points(days_past_due: int) -> int:
    for limit, pts in DPD_POINTS:
        if days_past_due <= limit:
            return pts
    return DPD_POINTS_MAX


def balance_points(
    balance_major: Decimal,
    thresholds: Sequence[tuple[Decimal, int]] = BALANCE_POINTS,
    top: int = BALANCE_POINTS_MAX,
) -> int:
    for limit, pts in thresholds:
        if balance_major < limit:
            return pts
    return top


@lru_cache(maxsize=64)
def _minor_limits(currency: str, thresholds: tuple[tuple[Decimal, int], ...]
                  ) -> tuple[tuple[Decimal, int], ...]:
    return tuple((limit.scaleb(exponent(currency)), pts) for limit, pts in thresholds)


def _balance_points_minor(balance_minor: int, currency: str,
                          thresholds: tuple[tuple[Decimal, int], ...], top: int) -> int:
    """:func:`balance_points` of ``from_minor(balance_minor)``, comparing in minor units
    (an int against a Decimal compares exactly)."""
    for limit, pts in _minor_limits(currency, thresholds):
        if balance_minor < limit:
            return pts
    return top


def assess(
    case: Case,
    today: date,
    now: datetime,
    inbound: Iterable[datetime] = (),
    *,
    balance_thresholds: Sequence[tuple[Decimal, int]] = BALANCE_POINTS,
    balance_top: int = BALANCE_POINTS_MAX,
) -> RiskAssessment:
    """Score ``case`` (``today`` local, ``now`` for the 30-day reply window)."""
    now = ensure_utc(now)
    dpd = case.compute_days_past_due(today)
    balance = from_minor(max(case.balance_minor, 0), case.currency)
    broken = sum(1 for p in case.promises if p.status is PromiseStatus.BROKEN)
    replies = sum(1 for t in inbound if now - RESPONSE_WINDOW < ensure_utc(t) <= now)
    points = (
        ("dpd", dpd_points(dpd), f"{dpd} days past due"),
        ("balance", balance_points(balance, balance_thresholds, balance_top),
         f"{balance} {case.currency.upper()}"),
        ("broken_promises", min(broken * BROKEN_PROMISE_POINTS, BROKEN_PROMISE_MAX),
         f"{broken} broken"),
        ("responses", 0 if replies else NO_RESPONSE_POINTS,
         f"{replies} replies in 30 days"),
    )
    score = sum(p for _, p, _ in points)
    if case.risk_band_override:
        return RiskAssessment(parse_band(case.risk_band_override), score, points, "override")
    return RiskAssessment(band_for(score), score, points, "score")


def assess_band(
    case: Case,
    today: date,
    now: datetime,
    inbound: Iterable[datetime] = (),
    *,
    balance_thresholds: Sequence[tuple[Decimal, int]] = BALANCE_POINTS,
    balance_top: int = BALANCE_POINTS_MAX,
    days_past_due: int | None = None,
) -> RiskBand:
    """``assess(...).band`` without the explanation (the planner's per-case path).

    Same points, same override rule, same :class:`RiskBandError` for a bad override.
    ``days_past_due``: ``case.compute_days_past_due(today)`` when the caller has it.
    """
    if case.risk_band_override:
        return parse_band(case.risk_band_override)
    now = ensure_utc(now)
    broken = sum(1 for p in case.promises if p.status is PromiseStatus.BROKEN)
    replied = any(now - RESPONSE_WINDOW < ensure_utc(t) <= now for t in inbound)
    score = (
        dpd_points(case.compute_days_past_due(today) if days_past_due is None
                   else days_past_due)
        + _balance_points_minor(max(case.balance_minor, 0), case.currency,
                                tuple(balance_thresholds), balance_top)
        + min(broken * BROKEN_PROMISE_POINTS, BROKEN_PROMISE_MAX)
        + (0 if replied else NO_RESPONSE_POINTS)
    )
    return band_for(score)
