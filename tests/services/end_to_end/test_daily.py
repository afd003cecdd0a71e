"""Daily jobs: set-based days past due; broken promises at the end of the customer's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.domain.case import CaseStatus, PromiseStatus
from bot.domain.clock import FixedClock
from bot.policy.engine import local_date
from bot.services.case_upkeep import BrokenReport, break_overdue_promises, update_days_past_due
from storage.case_maintenance import SqlCaseMaintenance
from storage.case_stream import stream_open_cases
from storage.models import CaseEventRow
from storage.uow import SqlUnitOfWork
from tests.world import count, make_case, seed


def broken(engine: Engine, clock: FixedClock) -> BrokenReport:
    return break_overdue_promises(SqlCaseMaintenance(engine),
                                  lambda: SqlUnitOfWork(engine, clock), clock.now())

DUE = date(2026, 12, 1)


def test_days_past_due_matches_the_domain_rule_in_every_zone(engine: Engine,
                                                             clock: FixedClock) -> None:
    today = date(2026, 12, 1)
    cured = make_case("CURED", 20, today, minimum_payment_minor=5_000)
    cured.record_payment("P-1", 5_000, clock.now() - timedelta(days=3))
    short = make_case("SHORT", 20, today, minimum_payment_minor=5_000)
    short.record_payment("P-2", 4_999, clock.now() - timedelta(days=3))
    before_due = make_case("EARLY", 20, today, minimum_payment_minor=5_000)
    before_due.record_payment("P-3", 9_000, datetime.combine(
        before_due.due_date - timedelta(days=1), datetime.min.time(), UTC))
    no_minimum = make_case("NOMIN", 12, today, minimum_payment_minor=None)
    no_minimum.record_payment("P-4", 1_000, clock.now() - timedelta(days=1))
    paid = make_case("PAID", 30, today, balance_minor=10_000)
    paid.record_payment("P-5", 10_000, clock.now())
    seed(engine, clock, cured, short, before_due, no_minimum, paid,
         make_case("AHEAD", -3, today),
         make_case("TOKYO", 5, today, timezone="Asia/Tokyo"),  # already Dec 2 there
         make_case("HONOLULU", 5, today, timezone="Pacific/Honolulu"),
         make_case("BADZONE", 5, today, timezone="Not/AZone"))
    for bundle in next(stream_open_cases(engine)):  # mess every stored value up first
        with engine.begin() as conn:
            conn.execute(bundle_update(bundle.case.id or 0))
    later = clock.now() + timedelta(days=2, hours=3)
    changed = update_days_past_due(SqlCaseMaintenance(engine), later)
    assert changed == 8  # every open case (the paid one is closed)
    for bundle in next(stream_open_cases(engine)):
        case = bundle.case
        assert case.days_past_due == case.compute_days_past_due(local_date(case, later)), \
            case.account_id
    stored = {b.case.account_id: b.case.days_past_due for b in next(stream_open_cases(engine))}
    assert stored["CURED"] == 0 and stored["SHORT"] == 22 and stored["EARLY"] == 22
    assert stored["AHEAD"] == -1 and stored["TOKYO"] == 8 and stored["HONOLULU"] == 7
    # nothing moved: nothing written
    assert update_days_past_due(SqlCaseMaintenance(engine), later) == 0


def bundle_update(case_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from storage.models import CaseRow

    return update(CaseRow.__table__).where(  # type: ignore[attr-defined]
        CaseRow.__table__.c.id == case_id).values(days_past_due=999)  # type: ignore[attr-defined]


def test_a_shanghai_promise_breaks_once_its_day_is_over_there(engine: Engine) -> None:
    made = FixedClock(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    shanghai = make_case("SH-1", 10, DUE, timezone="Asia/Shanghai", country="CN")
    shanghai.make_promise([(10_000, DUE)], made.now(), "customer")
    new_york = make_case("NY-1", 10, DUE)
    new_york.make_promise([(10_000, DUE)], made.now(), "customer")
    seed(engine, made, shanghai, new_york)

    almost = FixedClock(datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC))  # 23:59:59 Dec 1 there
    assert broken(engine, almost).promises == 0
    midnight = FixedClock(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 00:00 Dec 2 there
    report = broken(engine, midnight)
    assert (report.cases, report.promises) == (1, 1)
    with SqlUnitOfWork(engine, midnight) as uow:
        sh, ny = uow.cases.get("SH-1"), uow.cases.get("NY-1")
        assert sh is not None and ny is not None
        assert sh.promises[0].status is PromiseStatus.BROKEN
        assert sh.status is CaseStatus.ACTIVE
        assert ny.promises[0].status is PromiseStatus.PENDING  # still Dec 1 in New York
    assert count(engine, CaseEventRow, CaseEventRow.__table__.c.type == "PromiseBroken") == 1
    assert broken(engine, midnight).promises == 0  # idempotent

    ny_midnight = FixedClock(datetime(2026, 12, 2, 5, 0, tzinfo=UTC))
    assert broken(engine, ny_midnight).promises == 1
