from __future__ import annotations

from datetime import timedelta

from bot.domain.outbox import outbox_message
from storage.message_log import enqueue
from tests.world import claim_due


def _row(key: str, now):
    return outbox_message(case_id=None, contact_point_id=None, channel="sms",
                          address="+14155550100", body="hello", subject=None,
                          idempotency_key=key, now=now, purpose="confirmation")


def test_enqueue_counts_only_new_rows_and_claim_takes_each_once(engine, clock):
    now = clock.now()
    with engine.begin() as conn:
        assert len(enqueue(conn, [_row("a", now), _row("b", now)])) == 2
        assert len(enqueue(conn, [_row("a", now), _row("c", now)])) == 1
        assert enqueue(conn, []) == []
    first = claim_due(engine, now, 2)
    second = claim_due(engine, now, 10)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert claim_due(engine, now, 10) == []
    # a worker that died: its rows come back once the lease has run out
    assert sorted(claim_due(engine, now + timedelta(minutes=6), 10)) == sorted(first + second)


def test_the_tick_refreshes_stale_planner_statistics(engine, clock):
    from storage.models import CustomerRow
    from storage.plan_store import SqlPlanStore, stale_tables

    rows = [{"external_ref": f"C{i}", "name": "N", "created_at": clock.now(),
             "updated_at": clock.now()} for i in range(1500)]
    with engine.begin() as conn:
        conn.execute(CustomerRow.__table__.insert(), rows)
    with engine.connect() as conn:
        assert "customer" in stale_tables(conn)
    SqlPlanStore(engine).prepare()
    with engine.connect() as conn:
        assert stale_tables(conn) == []
