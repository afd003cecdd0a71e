"""The planning tick: rendered outbox rows, idempotency (twice, after a crash), decisions,
legal review, and the streaming loader agreeing with the repository. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.campaigns import idempotency_key, plan_case
from bot.domain.case import CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.policy import SentRecord
from storage.case_stream import load_cases, stream_open_cases
from storage.models import CaseEventRow, ContactDecisionRow, MessageRow, WorkItemRow
from storage.uow import SqlUnitOfWork
from tests.world import (
    container_for,
    count,
    decisions,
    local_today,
    make_case,
    outbox,
    planning_for,
    seed,
)

CAMPAIGN = "standard-retail-us"


def three_cases(engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    seed(engine, clock,
         make_case("ACC-1", 1, today, email="one@example.com"),  # first_notice: email first
         make_case("ACC-2", 5, today, phone="+14155550124"),  # reminder, a variant
         make_case("ACC-3", -3, today, phone=None, email="three@example.com"))  # courtesy


def test_tick_queues_rendered_rows_with_the_planner_keys(engine: Engine,
                                                         clock: FixedClock) -> None:
    three_cases(engine, clock)
    c = container_for(engine, clock)
    report = planning_for(c).tick()
    assert (report.cases, report.enqueued, report.denied, report.errors) == (3, 3, 0, 0)

    rows = {r["step_id"]: r for r in outbox(engine)}
    assert set(rows) == {"first_notice", "reminder", "courtesy"}
    today = local_today(clock)
    first = rows["first_notice"]
    assert (first["channel"], first["address"], first["template_id"], first["purpose"],
            first["status"]) == ("email", "one@example.com", "first_notice", "dunning", "queued")
    assert first["idempotency_key"] == idempotency_key("ACC-1", "first_notice", None, today)
    assert first["fallback_channels"] == ["sms"]  # telegram came first and has no address
    assert first["subject"] and first["reply_token"]
    assert first["campaign_id"] == CAMPAIGN and first["actor"] == f"campaign:{CAMPAIGN}"
    assert first["next_attempt_at"] == clock.now()
    reminder = rows["reminder"]
    assert reminder["variant"] in ("A", "B") and reminder["channel"] == "sms"
    assert reminder["idempotency_key"] == idempotency_key("ACC-2", "reminder",
                                                          reminder["variant"], today)
    assert reminder["reply_token"] is None and reminder["subject"] is None
    for row in rows.values():
        # limited disclosure: the brand and the way to pay, never the amount or account
        assert "Acme Bank" in row["body"] and "Jordan" in row["body"]
        assert "1,200" not in row["body"] and "ACC-" not in row["body"]
    # an allowed send is recorded by its outbox row, not again as a decision
    assert decisions(engine) == []


def test_a_second_tick_queues_nothing(engine: Engine, clock: FixedClock) -> None:
    three_cases(engine, clock)
    planning = planning_for(container_for(engine, clock))
    planning.tick()
    before = outbox(engine)
    again = planning.tick()
    assert (again.enqueued, again.already_queued) == (0, 0)  # the history shows them queued
    # what the second tick decided anew is the Reg F validation notice that follows a
    # first message: not today (email cap, no email), so a denial each
    recorded = decisions(engine)
    assert {r["step_id"] for r in recorded} <= {"validation_notice"}
    clock.advance(timedelta(minutes=5))
    assert planning.tick().enqueued == 0
    assert outbox(engine) == before and decisions(engine) == recorded


def test_the_same_decision_twice_inserts_nothing(engine: Engine, clock: FixedClock) -> None:
    """Even without the history (a tick racing another), the keys keep rows unique."""
    three_cases(engine, clock)
    c = container_for(engine, clock)
    planning = planning_for(c)
    [batch] = list(stream_open_cases(engine))
    planning._tick_batch(0, batch, clock.now(), report := planning_tick_report(clock), False)
    planning._tick_batch(0, batch, clock.now(), report, False)  # same snapshot again
    assert report.enqueued == 3 and report.already_queued == 3
    assert count(engine, MessageRow) == 3


def planning_tick_report(clock: FixedClock):  # type: ignore[no-untyped-def]
    from bot.services.planning import TickReport

    return TickReport(started_at=clock.now())


@pytest.mark.parametrize("crash_on_batch", [0, 1])
def test_a_crash_between_enqueue_and_commit_sends_nothing_twice(
        engine: Engine, clock: FixedClock, crash_on_batch: int) -> None:
    today = local_today(clock)
    seed(engine, clock, *(make_case(f"ACC-{i}", 1, today, phone=f"+1415555010{i}")
                          for i in range(4)))
    c = container_for(engine, clock)

    def crash(batch: int) -> None:
        if batch == crash_on_batch:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        planning_for(c, batch_size=2, before_commit=crash).tick()
    # the crashed batch left nothing; the batches before it are complete
    assert count(engine, MessageRow) == 2 * crash_on_batch

    report = planning_for(c, batch_size=2).tick()
    assert report.enqueued == 4 - 2 * crash_on_batch
    keys = [r["idempotency_key"] for r in outbox(engine)]
    assert len(keys) == len(set(keys)) == 4
    assert planning_for(c, batch_size=3).tick().enqueued == 0
    # sends are recorded by the outbox (the denials are of the validation notice that
    # follows a first message: these customers have no email for it)
    assert count(engine, ContactDecisionRow,
                 ContactDecisionRow.step_id != "validation_notice") == 0  # type: ignore[arg-type]


def test_verified_email_gets_the_verified_text_sms_never(engine: Engine,
                                                         clock: FixedClock) -> None:
    today = local_today(clock)
    case = make_case("ACC-9", 1, today, email="v@example.com")
    case.contacts[1].verified = True
    seed(engine, clock, case, make_case("ACC-8", 1, today, phone="+14155550188",
                                        contacts=[ContactPoint(ChannelKind.SMS, "+14155550188",
                                                               verified=True)]))
    planning_for(container_for(engine, clock)).tick()
    rows = {r["address"]: r for r in outbox(engine)}
    assert "1,200.00" in rows["v@example.com"]["body"]  # balance, verified right party
    assert "1,200" not in rows["+14155550188"]["body"]  # SMS is always limited


def test_denials_are_recorded_once_a_day_with_reasons(engine: Engine,
                                                      clock: FixedClock) -> None:
    today = local_today(clock)
    held = make_case("ACC-5", 5, today)
    held.place_hold(Hold.CEASE, clock.now(), "collector:ann", "asked to stop")
    seed(engine, clock, held)
    planning = planning_for(container_for(engine, clock))
    report = planning.tick()
    assert (report.enqueued, report.denied) == (0, 1)
    [d] = decisions(engine)
    assert not d["allowed"] and d["step_id"] == "reminder"
    assert any(r.startswith("hold_cease") for r in d["reasons"])
    assert d["local_date"] == today
    planning.tick()
    assert len(decisions(engine)) == 1
    clock.advance(timedelta(days=1))
    planning.tick()
    assert len(decisions(engine)) == 2


def test_outside_hours_is_a_denial_then_a_send(engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    seed(engine, clock, make_case("ACC-6", 1, today, timezone="Asia/Shanghai",
                                  country="CN"))  # 23:00 in Shanghai
    planning = planning_for(container_for(engine, clock))
    assert planning.tick().denied == 1
    [d] = decisions(engine)
    assert any(r.startswith("outside_hours") for r in d["reasons"])
    clock.advance(timedelta(hours=10))  # 09:00 the next day there
    assert planning.tick().enqueued == 1


def test_legal_review_moves_the_case_once_per_cycle(engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    seed(engine, clock, make_case("ACC-7", 60, today))
    planning = planning_for(container_for(engine, clock))
    report = planning.tick()
    assert (report.escalated, report.enqueued) == (1, 0)
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-7")
        assert case is not None and case.status is CaseStatus.LEGAL_REVIEW
    assert count(engine, WorkItemRow, WorkItemRow.__table__.c.kind == "legal_review") == 1
    assert count(engine, CaseEventRow, CaseEventRow.__table__.c.type == "EscalatedToLegal") == 1
    [d] = [d for d in decisions(engine) if d["allowed"]]
    assert d["channel"] is None and d["step_id"] == "legal_review"

    with SqlUnitOfWork(engine, clock) as uow:  # a collector sends it back
        case = uow.cases.get("ACC-7")
        assert case is not None
        case.return_from_legal_review(clock.now(), "collector:ann", "customer called")
        uow.commit()
    clock.advance(timedelta(days=1))
    assert planning.tick().escalated == 0  # the escalation is in the history
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-7")
        assert case is not None and case.status is CaseStatus.ACTIVE


def test_a_case_changed_while_planning_is_not_escalated(engine: Engine,
                                                        clock: FixedClock) -> None:
    today = local_today(clock)
    seed(engine, clock, make_case("ACC-7", 60, today))
    c = container_for(engine, clock)
    planning = planning_for(c)
    [batch] = list(stream_open_cases(engine))
    with SqlUnitOfWork(engine, clock) as uow:  # a promise arrives meanwhile
        case = uow.cases.get("ACC-7")
        assert case is not None
        case.make_promise([(10_000, today + timedelta(days=3))], clock.now(), "customer")
        uow.commit()
    report = planning_tick_report(clock)
    planning._tick_batch(0, batch, clock.now(), report, False)
    assert report.escalated == 0
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-7")
        assert case is not None and case.status is CaseStatus.PROMISED


def test_a_stale_case_in_a_batch_is_left_alone_and_the_others_move(
        engine: Engine, clock: FixedClock) -> None:
    """The batch's guarded update moves the cases whose version is unchanged, skips the
    one a collector touched meanwhile (no status change, event, work item or decision),
    and the next tick decides it again from its new state."""
    today = local_today(clock)
    seed(engine, clock, *(make_case(f"ACC-{i}", 60, today, phone=f"+1415555020{i}")
                          for i in range(5)))
    planning = planning_for(container_for(engine, clock))
    [batch] = list(stream_open_cases(engine))
    with SqlUnitOfWork(engine, clock) as uow:  # a collector notes something on ACC-2
        case = uow.cases.get("ACC-2")
        assert case is not None
        case.assign("ann", clock.now(), "collector:lead")
        uow.commit()
    report = planning_tick_report(clock)
    planning._tick_batch(0, batch, clock.now(), report, False)
    assert report.escalated == 4
    with SqlUnitOfWork(engine, clock) as uow:
        status = {a: uow.cases.get(a).status for a in  # type: ignore[union-attr]
                  (f"ACC-{i}" for i in range(5))}
    assert status.pop("ACC-2") is CaseStatus.ACTIVE
    assert set(status.values()) == {CaseStatus.LEGAL_REVIEW}
    assert count(engine, WorkItemRow, WorkItemRow.__table__.c.kind == "legal_review") == 4
    assert count(engine, CaseEventRow, CaseEventRow.__table__.c.type == "EscalatedToLegal") == 4
    assert len([d for d in decisions(engine) if d["allowed"]]) == 4
    assert planning.tick().escalated == 1  # ACC-2, decided again from what it is now
    assert count(engine, WorkItemRow, WorkItemRow.__table__.c.kind == "legal_review") == 5


def test_promise_reminder_and_broken_follow_up_are_sent_once(engine: Engine,
                                                             clock: FixedClock) -> None:
    from tests.services.end_to_end.test_daily import broken

    today = local_today(clock)
    case = make_case("ACC-4", 10, today)
    case.make_promise([(10_000, today + timedelta(days=1))], clock.now(), "customer")
    seed(engine, clock, case)
    planning = planning_for(container_for(engine, clock))
    planning.tick()
    [reminder] = outbox(engine)
    assert (reminder["step_id"], reminder["ref"], reminder["purpose"]) == (
        "promise_due_tomorrow", "P1", "promise_reminder")
    for _ in range(4):  # the promise passes unpaid; the broken step goes once
        clock.advance(timedelta(days=1))
        broken(engine, clock)
        planning.tick()
    broken = [r for r in outbox(engine) if r["step_id"] == "promise_broken"]
    assert len(broken) == 1 and broken[0]["ref"] == "P1"


def test_the_stream_builds_the_same_case_as_the_repository(engine: Engine,
                                                           clock: FixedClock) -> None:
    today = local_today(clock)
    case = make_case("ACC-3", 20, today, email="x@example.com", segment="prime",
                     timezone_candidates=("America/New_York", "America/Chicago"))
    case.record_payment("PAY-1", 2_000, clock.now() - timedelta(days=2))
    case.make_promise([(5_000, today + timedelta(days=7)), (5_000, today + timedelta(days=14))],
                      clock.now(), "customer")
    case.opt_out(ChannelKind.EMAIL, "x@example.com", clock.now(), "reply")
    seed(engine, clock, case, make_case("ACC-4", 3, today))
    with SqlUnitOfWork(engine, clock) as uow:
        expected = uow.cases.get("ACC-3")
        assert expected is not None and expected.id is not None
        with engine.begin() as conn:
            conn.execute(MessageRow.__table__.insert(), [  # type: ignore[attr-defined]
                {"case_id": expected.id, "direction": "out", "channel": "sms",
                 "address": "+14155550123", "status": "sent", "step_id": "follow_up",
                 "campaign_id": CAMPAIGN, "created_at": clock.now(),
                 "sent_at": clock.now(), "body": "", "fallback_channels": []},
                {"case_id": expected.id, "direction": "out", "channel": "sms",
                 "address": "+14155550123", "status": "suppressed", "step_id": "reminder",
                 "campaign_id": CAMPAIGN, "created_at": clock.now(), "sent_at": None,
                 "body": "", "fallback_channels": []},
                {"case_id": expected.id, "direction": "in", "channel": "sms",
                 "address": "+14155550123", "status": "received", "step_id": None,
                 "campaign_id": None, "created_at": clock.now(), "sent_at": None,
                 "body": "", "fallback_channels": []}])
    [batch] = list(stream_open_cases(engine))
    got = {b.case.account_id: b for b in batch}["ACC-3"]
    for name in ("account_id", "currency", "balance_minor", "due_date", "customer_name",
                 "minimum_payment_minor", "status", "holds", "segment", "timezone",
                 "timezone_candidates", "language", "country", "days_past_due", "contacts",
                 "promises", "payments", "id", "customer_id"):
        assert getattr(got.case, name) == getattr(expected, name), name
    assert got.history == [SentRecord(ChannelKind.SMS, clock.now(), step_id="follow_up",
                                      campaign_id=CAMPAIGN, address="+14155550123")]
    assert got.inbound == [clock.now()]
    assert load_cases(engine, [expected.id])[expected.id].case.promises == expected.promises
    assert [b.case.account_id for b in next(stream_open_cases(engine, limit=1))] == ["ACC-3"]


def test_plans_write_nothing(engine: Engine, clock: FixedClock) -> None:
    three_cases(engine, clock)
    planning = planning_for(container_for(engine, clock))
    plans = list(planning.plans())
    assert sum(1 for p in plans if p.chosen is not None) == 3
    assert count(engine, MessageRow) == 0 and count(engine, ContactDecisionRow) == 0


def test_the_tick_decides_what_plan_case_decides(engine: Engine, clock: FixedClock) -> None:
    three_cases(engine, clock)
    c = container_for(engine, clock)
    planning = planning_for(c)
    campaign = planning.campaigns.campaigns[0]
    with SqlUnitOfWork(engine, clock) as uow:
        expected = {}
        for account in ("ACC-1", "ACC-2", "ACC-3"):
            case = uow.cases.get(account)
            assert case is not None
            [d] = plan_case(case, campaign, None, [], clock.now())
            expected[d.idempotency_key] = (d.step_id, d.channel.value if d.channel else None)
    planning.tick()
    with engine.connect() as conn:
        got = {k: (s, ch) for k, s, ch in conn.execute(select(
            MessageRow.__table__.c.idempotency_key, MessageRow.__table__.c.step_id,  # type: ignore[attr-defined]
            MessageRow.__table__.c.channel))}  # type: ignore[attr-defined]
    assert got == expected


def test_a_parallel_tick_writes_the_same_rows(sqlite_engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    seed(sqlite_engine, clock, *(make_case(f"ACC-{i:02d}", i % 40, today,
                                           phone=f"+141555501{i:02d}") for i in range(40)))
    planning = planning_for(container_for(sqlite_engine, clock), batch_size=3)
    expected = {d.idempotency_key for p in planning.plans() for d in p.decisions
                if d.allowed and d.channel is not None}
    try:
        report = planning.tick(workers=2)
    finally:
        planning.close()
    assert report.enqueued == len(expected) > 0 and report.workers == 2
    assert {r["idempotency_key"] for r in outbox(sqlite_engine)} == expected
    assert planning.tick().enqueued == 0


def test_automatic_workers_stay_in_process_for_a_small_portfolio(
        engine: Engine, clock: FixedClock) -> None:
    from bot.services.planning import AUTO_PARALLEL_FROM, auto_workers

    assert auto_workers(AUTO_PARALLEL_FROM - 1, cores=8) == 1
    assert auto_workers(AUTO_PARALLEL_FROM, cores=8) == 8
    assert auto_workers(10**6, cores=1) == 1
    seed(engine, clock, make_case("ACC-1", 1, local_today(clock)))
    planning = planning_for(container_for(engine, clock))
    report = planning.tick(workers=0)
    assert (report.workers, report.enqueued) == (1, 1)
    assert planning.tick(workers=0).workers == 1
    with pytest.raises(ValueError):
        planning.tick(workers=-1)


def test_a_tick_restores_the_garbage_collector_settings(engine: Engine,
                                                         clock: FixedClock) -> None:
    import gc

    from bot.services.planning import _batch_friendly_gc

    before = gc.get_threshold()
    seed(engine, clock, make_case("ACC-1", 1, local_today(clock)))
    planning = planning_for(container_for(engine, clock))
    with _batch_friendly_gc():  # a tick inside another (e.g. two threads) nests
        assert gc.get_threshold()[0] >= 50_000 and gc.get_freeze_count() > 0
        planning.tick()
        assert gc.get_threshold()[0] >= 50_000  # the inner tick did not undo the outer
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_parallel_tick_splits_the_ids_into_short_ranges_covering_them_once() -> None:
    import itertools

    from bot.services.planning import RANGES_PER_WORKER, id_ranges

    for lo, hi, workers, batch in ((1, 200_000, 2, 1000), (7, 20_006, 2, 1000),
                                   (5, 44, 2, 3), (3, 3, 4, 1000), (1, 10**6, 3, 500)):
        ranges = id_ranges(lo, hi, workers, batch)
        assert ranges[0][0] == lo - 1 and ranges[-1][1] == hi
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        assert all(until - after >= batch for after, until in ranges[:-1])
        assert len(ranges) <= workers * RANGES_PER_WORKER
    assert len(id_ranges(1, 200_000, 2, 1000)) == 2 * RANGES_PER_WORKER
    assert id_ranges(1, 2500, 2, 1000) == [(0, 1000), (1000, 2000), (2000, 2500)]
