"""The documented risk formula, its boundaries, and the imported override."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.campaigns import RiskBand, RiskBandError, assess
from bot.campaigns.risk import balance_points, band_for, dpd_points, parse_band
from bot.domain.case import CaseStatus, PromiseStatus
from tests.policy.factories import make_case

DUE = date(2025, 3, 3)
NOW = datetime(2025, 4, 17, 16, tzinfo=UTC)


@pytest.mark.parametrize(("dpd", "pts"), [(-3, 0), (0, 0), (1, 10), (29, 10), (30, 20),
                                           (59, 20), (60, 30), (89, 30), (90, 40), (400, 40)])
def test_dpd_points(dpd: int, pts: int) -> None:
    assert dpd_points(dpd) == pts


@pytest.mark.parametrize(("major", "pts"), [("0", 0), ("499.99", 0), ("500", 10),
                                             ("1999.99", 10), ("2000", 20), ("9999.99", 20),
                                             ("10000", 30)])
def test_balance_points(major: str, pts: int) -> None:
    from decimal import Decimal

    assert balance_points(Decimal(major)) == pts


@pytest.mark.parametrize(("score", "band"), [(0, RiskBand.LOW), (29, RiskBand.LOW),
                                              (30, RiskBand.MEDIUM), (59, RiskBand.MEDIUM),
                                              (60, RiskBand.HIGH), (115, RiskBand.HIGH)])
def test_bands(score: int, band: RiskBand) -> None:
    assert band_for(score) is band


def broken_case(n_broken: int, balance_minor: int = 1_200_00):  # type: ignore[no-untyped-def]
    case = make_case(due=DUE, balance_minor=balance_minor)
    for i in range(n_broken):
        case.make_promise([(10_00, DUE + timedelta(days=i + 1))],
                          datetime(2025, 3, 4, tzinfo=UTC), "customer")
        case.promises[-1].status = PromiseStatus.BROKEN
    case.status = CaseStatus.ACTIVE
    return case


def test_documented_example_is_high() -> None:
    # 45 dpd (20) + 1,200 USD (10) + one broken promise (15) + no reply (15) = 60
    a = assess(broken_case(1), DUE + timedelta(days=45), NOW)
    assert (a.score, a.band, a.source) == (60, RiskBand.HIGH, "score")
    assert [p for _, p, _ in a.points] == [20, 10, 15, 15]
    assert "risk high (score 60" in a.explain()


def test_a_recent_reply_lowers_the_score() -> None:
    case = broken_case(1)
    recent = assess(case, DUE + timedelta(days=45), NOW, [NOW - timedelta(days=29)])
    old = assess(case, DUE + timedelta(days=45), NOW, [NOW - timedelta(days=30)])
    assert (recent.score, recent.band) == (45, RiskBand.MEDIUM)
    assert old.score == 60


def test_broken_promises_are_capped() -> None:
    assert [p for n, p, _ in assess(broken_case(3), DUE, NOW).points
            if n == "broken_promises"] == [30]


def test_override_wins_and_the_score_is_still_shown() -> None:
    case = broken_case(1)
    case.risk_band_override = " Low "
    a = assess(case, DUE + timedelta(days=45), NOW)
    assert (a.band, a.source, a.score) == (RiskBand.LOW, "override", 60)
    assert "imported override" in a.explain()


def test_invalid_override_is_a_clear_error() -> None:
    case = make_case(due=DUE)
    case.risk_band_override = "critical"
    with pytest.raises(RiskBandError, match=r"low, medium, high \(got 'critical'\)"):
        assess(case, DUE, NOW)
    assert parse_band("MEDIUM") is RiskBand.MEDIUM
