"""The case read model behind ``duebot case show`` (fixed clock, both backends)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.domain.case import Case, Hold
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from bot.services.case_view import case_view
from storage.uow import SqlUnitOfWork

PHONE, EMAIL = "+14155550123", "jordan@example.com"


def _seed(engine, clock) -> None:
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.add(Case(
            account_id="ACC-1", currency="BHD", balance_minor=12_345,
            due_date=date(2026, 11, 1), customer_name="Jordan", minimum_payment_minor=1_000,
            timezone="America/Los_Angeles",
            contacts=[ContactPoint(ChannelKind.SMS, PHONE), ContactPoint(ChannelKind.EMAIL,
                                                                         EMAIL)]))
        case.place_hold(Hold.VULNERABLE, clock.now(), "collector:ann", "bereavement")
        uow.outbox.enqueue([outbox_message(
            case_id=case.id, contact_point_id=None, channel="sms", address=PHONE,
            body=f"message {n}", subject=None, idempotency_key=f"m-{n}",
            now=clock.now() + timedelta(minutes=n), purpose="dunning") for n in range(3)])
        uow.commit()


def test_view_masks_and_formats(engine):
    # 03:00 UTC on 1 December is still 30 November in Los Angeles
    clock = FixedClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    _seed(engine, clock)
    with SqlUnitOfWork(engine, clock) as uow:
        v = case_view(uow, "ACC-1", messages=2)
    assert v is not None
    assert v["days_past_due"] == 29 and v["bucket"] == "1-29"
    assert v["balance"] == "12.345" and v["minimum_payment"] == "1.000"
    assert v["holds"] == {"vulnerable": "bereavement"}
    assert [c["address"] for c in v["contact_points"]] == ["+141****0123", "j***@e***.com"]
    assert [m["body"] for m in v["messages"]] == ["message 2", "message 1"]  # newest first
    assert all(m["to_or_from"] == "+141****0123" for m in v["messages"])
    text = json.dumps(v)
    assert PHONE not in text and EMAIL not in text


def test_last_events_are_the_last_recorded(engine, clock):
    _seed(engine, clock)
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        # recorded now, dated a month back (when the money moved)
        case.record_payment("BANK-1", 1_000, clock.now() - timedelta(days=30))
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        v = case_view(uow, "ACC-1", events=1)
        assert v is not None and [e["type"] for e in v["events"]] == ["PaymentReceived"]
        assert v["payments"][0]["amount"] == "1.000"
        assert case_view(uow, "ACC-404") is None
