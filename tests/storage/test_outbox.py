from __future__ import annotations

from datetime import timedelta

from storage.outbox import claim_due, enqueue_many, outbox_row


def _row(key: str, now):
    return outbox_row(case_id=None, contact_point_id=None, channel="sms", address="+14155550100",
                      body="hello", subject=None, idempotency_key=key, now=now,
                      purpose="confirmation")


def test_enqueue_counts_only_new_rows_and_claim_takes_each_once(engine, clock):
    now = clock.now()
    with engine.begin() as conn:
        assert enqueue_many(conn, [_row("a", now), _row("b", now)]) == 2
        assert enqueue_many(conn, [_row("a", now), _row("c", now)]) == 1
        assert enqueue_many(conn, []) == 0
    first = claim_due(engine, now, 2)
    second = claim_due(engine, now, 10)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert claim_due(engine, now, 10) == []
    # a worker that died: its rows come back once the lease has run out
    assert sorted(claim_due(engine, now + timedelta(minutes=6), 10)) == sorted(first + second)
