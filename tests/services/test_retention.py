"""Retention (bot/services/retention.py) on the in-memory backend: per-profile minimums,
the bank's own limit, legal holds, dry runs.

Before: audit rows were kept for ever; there was no per-profile policy and no purge.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.policy.profiles import PROFILES, get_profile
from bot.services.retention import (
    RetentionError,
    RetentionPolicy,
    purge,
    years_before,
)
from tests.services.app import App, memory_app
from tests.world import make_case

END = datetime(2030, 6, 1, 12, tzinfo=UTC)


def closed_years_ago(app: App, account: str, years: float, *, country: str = "US",
                     holds: tuple[Hold, ...] = ()) -> None:
    """A case whose last collection activity was ``years`` ago (at END)."""
    app.clock.set(END - timedelta(days=round(365.25 * years)))
    app.add(make_case(account, 40, app.clock.now().date(), country=country,
                      phone=f"+1415555{zlib.crc32(account.encode()) % 10_000:04d}"))
    with app.c.uow() as uow:
        c = uow.cases.get(account)
        assert c is not None
        for hold in holds:
            c.place_hold(hold, app.clock.now(), "user:ann", "on file")
        c.write_off(app.clock.now(), "collector:ann", "closed")
        uow.commit()


@pytest.fixture
def app(clock: FixedClock) -> App:
    application = memory_app(clock)
    closed_years_ago(application, "US-3.5", 3.5)
    closed_years_ago(application, "US-2.5", 2.5)  # bank limit passed, Reg F's 3 years not
    closed_years_ago(application, "CN-4", 4, country="CN")  # CN: at least 5 years
    closed_years_ago(application, "CN-6", 6, country="CN")
    # UK: the bank's policy, but never shorter than the deployment's own profile
    closed_years_ago(application, "GB-2.5", 2.5, country="GB")
    closed_years_ago(application, "LAWYER-10", 10, holds=(Hold.ATTORNEY,))
    closed_years_ago(application, "COMPLAINT-10", 10, holds=(Hold.COMPLAINT,))
    application.clock.set(END)
    return application


def policy(deployment: str = "US-RegF", bank_years: int | None = 2) -> RetentionPolicy:
    return RetentionPolicy(get_profile(deployment), PROFILES.values(), bank_years)


def test_each_case_is_kept_for_its_longest_applicable_period(app: App) -> None:
    report = purge(app.c.retention, policy(), END, dry_run=True)
    assert sorted(a for a, _, _ in report.purged) == ["CN-6", "US-3.5"]
    bases = {a: keep.basis for a, _, keep in report.purged}
    assert bases == {"US-3.5": "US-RegF minimum 3y", "CN-6": "CN minimum 5y"}
    assert sorted(report.kept_on_hold) == [("COMPLAINT-10", ("complaint",)),
                                           ("LAWYER-10", ("attorney",))]
    # a dry run changes nothing
    assert app.case("US-3.5").customer_name == "Jordan Example"


def test_the_bank_limit_can_only_lengthen_the_keep_period(app: App) -> None:
    report = purge(app.c.retention, policy(bank_years=5), END, dry_run=True)
    assert sorted(a for a, _, _ in report.purged) == ["CN-6"]


def test_a_uk_deployment_still_keeps_us_and_cn_customers_for_their_minimum(app: App) -> None:
    report = purge(app.c.retention, policy("UK-FCA"), END, dry_run=True)
    # US-2.5 is a US customer: Reg F's three years apply whatever the deployment
    assert sorted(a for a, _, _ in report.purged) == ["CN-6", "GB-2.5", "US-3.5"]
    assert {a: k.basis for a, _, k in report.purged}["GB-2.5"] == "bank policy 2y"


def test_the_purge_anonymises_and_a_second_run_finds_nothing(app: App) -> None:
    report = purge(app.c.retention, policy(), END, dry_run=False, actor="retention-purge")
    assert report.anonymised == 2
    with app.c.uow() as uow:
        assert uow.cases.get("US-3.5") is None  # the account id is gone too
    assert app.case("LAWYER-10").customer_name == "Jordan Example"  # on a legal hold
    again = purge(app.c.retention, policy(), END, dry_run=False)
    assert (again.anonymised, again.purged) == (0, [])


def test_without_a_bank_limit_nothing_is_purged() -> None:
    with pytest.raises(RetentionError, match="DUEBOT_RETENTION_YEARS"):
        policy(bank_years=None)


def test_years_before_handles_the_leap_day() -> None:
    assert years_before(datetime(2028, 2, 29, tzinfo=UTC), 3) == datetime(2025, 2, 28,
                                                                          tzinfo=UTC)
    assert PROFILES["US-RegF"].retention_min_years == 3
    assert PROFILES["CN"].retention_min_years == 5
    assert PROFILES["UK-FCA"].retention_min_years is None
