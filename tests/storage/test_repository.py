from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.domain.case import Case, CaseStatus, Hold, PromiseStatus
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.services.ports import ConcurrentUpdateError
from storage.models import CaseEventRow, CaseRow, MessageRow
from storage.uow import SqlUnitOfWork


def _case(account: str = "ACC-1") -> Case:
    return Case(
        account_id=account, currency="USD", balance_minor=124_050, due_date=date(2026, 11, 1),
        customer_name="Jordan Example", minimum_payment_minor=5_000, timezone="America/Chicago",
        timezone_candidates=("America/Chicago", "America/Denver"),
        contacts=[ContactPoint(ChannelKind.SMS, "+14155550123"),
                  ContactPoint(ChannelKind.EMAIL, "jordan@example.com")],
    )


def test_case_round_trip_keeps_money_dates_contacts_and_events(engine, clock):
    at = clock.now()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(_case())
        case.make_promise([(10_000, date(2026, 12, 5)), (10_000, date(2027, 1, 5))], at, "bot")
        case.opt_out(ChannelKind.SMS, "+14155550123", at, "carrier-stop")
        uow.commit()

    with SqlUnitOfWork(engine, clock) as uow:
        got = uow.cases.get("ACC-1")
        assert got is not None
        assert got.balance_minor == 124_050 and isinstance(got.balance_minor, int)
        assert got.status is CaseStatus.PROMISED
        assert [p.amount_minor for p in got.pending_promises()] == [10_000, 10_000]
        assert got.timezone_candidates == ("America/Chicago", "America/Denver")
        sms = got.contact(ChannelKind.SMS, "+14155550123")
        assert sms is not None and sms.opted_out_at == at
        assert sms.opted_out_at.tzinfo is not None
        types = [e.type for e in uow.events.for_case(got.id)]
        assert types[0] == "CaseOpened"
        assert types.count("PromiseMade") == 2 and "OptedOut" in types
        assert all(e.at.tzinfo is not None for e in uow.events.for_case(got.id))


def test_payment_keeps_promise_and_closes_case(engine, clock):
    at = clock.now()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(_case())
        case.make_promise([(124_050, date(2026, 12, 5))], at, "bot")
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        assert case.record_payment("REF-1", 124_050, at + timedelta(days=1))
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        assert case.status is CaseStatus.CLOSED_PAID
        assert case.promises[0].status is PromiseStatus.KEPT
        assert case.balance_minor == 0 and len(case.payments) == 1


def test_concurrent_update_is_refused_not_lost(engine, clock):
    with SqlUnitOfWork(engine, clock) as uow:
        uow.cases.add(_case())
        uow.commit()
    at = clock.now()
    with SqlUnitOfWork(engine, clock) as first, SqlUnitOfWork(engine, clock) as second:
        a = first.cases.get("ACC-1")
        b = second.cases.get("ACC-1")
        a.place_hold(Hold.VULNERABLE, at, "collector:ann")
        first.commit()
        b.place_hold(Hold.CEASE, at, "collector:bob")
        with pytest.raises(ConcurrentUpdateError):
            second.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        assert set(uow.cases.get("ACC-1").holds) == {Hold.VULNERABLE}


def test_account_id_is_unique(engine, clock):
    with SqlUnitOfWork(engine, clock) as uow:
        uow.cases.add(_case())
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow, pytest.raises(IntegrityError):
        uow.cases.add(_case())
        uow.commit()


def test_datetimes_come_back_aware_utc_and_naive_is_refused(engine, clock):
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(_case())
        uow.session.add(MessageRow(case_id=case.id, direction="out", channel="sms",
                                   address="+14155550123", status="queued", created_at=clock.now(),
                                   next_attempt_at=datetime(2026, 12, 1, 9, tzinfo=UTC)))
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        row = uow.session.exec(select(MessageRow)).one()
        assert row.next_attempt_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
        assert row.created_at.tzinfo is not None
    with SqlUnitOfWork(engine, clock) as uow, pytest.raises(Exception, match="naive"):
        uow.session.add(MessageRow(direction="out", channel="sms", address="x", status="queued",
                                   created_at=datetime(2026, 12, 1, 9)))
        uow.session.flush()


def test_events_are_append_only_log(engine, clock):
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(_case())
        case.place_hold(Hold.VULNERABLE, clock.now(), "collector:ann", "bereavement")
        uow.commit()
        n = len(uow.session.exec(select(CaseEventRow)).all())
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        case.release_hold(Hold.VULNERABLE, clock.now(), "collector:ann")
        uow.commit()
        rows = uow.session.exec(select(CaseEventRow)).all()
        assert len(rows) == n + 1
        assert rows[-1].type == "HoldReleased" and rows[-1].payload["hold"] == "vulnerable"


def test_balance_is_big_integer(engine, clock):
    big = 9_000_000_000_000  # 90 billion in cents: beyond 32-bit
    with SqlUnitOfWork(engine, clock) as uow:
        c = _case()
        c.balance_minor = big
        uow.cases.add(c)
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(text("select balance_minor from collection_case")).scalar() == big
    with SqlUnitOfWork(engine, clock) as uow:
        assert uow.session.exec(select(CaseRow)).one().balance_minor == big


def test_disputes_are_kept_in_the_dispute_table(engine, clock):
    from storage.models import DisputeRow

    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(_case())
        case.open_dispute(clock.now(), "customer", "not my loan")
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        case.resolve_dispute("verified", clock.now(), "collector:ann")
        uow.commit()
        rows = uow.session.exec(select(DisputeRow)).all()
    assert [(r.reason, r.outcome) for r in rows] == [("not my loan", "verified")]
    assert rows[0].resolved_at == clock.now()


def test_each_block_makes_the_repositories_it_uses_over_its_own_session(sqlite_engine, clock):
    """Repositories are made when a block first uses them (their modules imported then):
    one per block, over that block's session, the cases' with the time the block began."""
    uow = SqlUnitOfWork(sqlite_engine, clock)
    with pytest.raises(AttributeError, match="with block"):
        _ = uow.cases
    with uow:
        first, session = uow.cases, uow.session
        assert uow.cases is first and first.session is session and first.now == clock.now()
        assert "conversations" not in vars(uow)  # not used: not made
    clock.advance(timedelta(minutes=5))
    with uow:
        assert uow.cases is not first and uow.cases.session is uow.session is not session
        assert uow.cases.now == clock.now()
