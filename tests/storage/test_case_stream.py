"""The streaming loader (storage/case_stream.py) builds exactly what the ORM repository
builds: every field of every kind of row, decoded to the same values and types (the loader
reads raw driver values and decodes them itself). Streaming, ``load_cases`` and
``load_cases_by_id`` agree; history and inbound follow the message and decision rows.
SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from bot.domain.case import Case, CaseStatus, Hold, Payment, Promise, PromiseStatus
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.policy import SentRecord
from storage.case_rows import EnumLookup as _EnumLookup
from storage.case_rows import _positional
from storage.case_stream import (
    CaseBundle,
    load_case_by_id,
    load_cases,
    load_cases_at,
    load_cases_by_id,
    stream_open_cases,
)
from storage.models import CaseRow, ContactDecisionRow, MessageRow
from storage.uow import SqlUnitOfWork
from tests.world import NY, local_today, make_case

CAMPAIGN = "standard-retail-us"
M = MessageRow.__table__  # type: ignore[attr-defined]
D = ContactDecisionRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]


@dataclass
class Portfolio:
    ids: dict[str, int]  # account -> case id
    history: dict[str, list[SentRecord]]
    inbound: dict[str, list[datetime]]


def _cases(today: date, now: datetime) -> list[tuple[Case, str | None]]:
    """Cases (with the customer they share, if any) covering every column."""
    full = make_case(
        "ACC-FULL", 20, today, phone=None, status=CaseStatus.DISPUTED, product="card",
        segment="prime", risk_band="B", risk_band_override="A", language="es",
        timezone_candidates=(NY, "America/Chicago"), assigned_collector="ann",
        held_by="bob", payment_claim_until=today + timedelta(days=2),
        breathing_space_until=today + timedelta(days=40),
        holds={Hold.BREATHING_SPACE: "moratorium", Hold.DECEASED: "estate",
               Hold.DISPUTE: "agent:1", Hold.VULNERABLE: "carer, \"quoted\" ünïcode"},
        time_barred=True, limitation_date=today - timedelta(days=400),
        contacts=[
            ContactPoint(ChannelKind.EMAIL, "full@example.com", consent=False,
                         consent_source="web-form",
                         opted_out_at=now - timedelta(days=3, microseconds=250),
                         opt_out_source="reply", invalid_at=now - timedelta(days=2, seconds=1),
                         invalid_reason="bounce", wrong_party_at=now - timedelta(hours=5),
                         preferred_start=time(9, 30), preferred_end=time(17, 45, 30, 123456),
                         forbidden_start=time(12), forbidden_end=time(13, 15),
                         verified=True, role="third_party"),
            ContactPoint(ChannelKind.SMS, "+14155550100", shared=True),
            ContactPoint(ChannelKind.TELEGRAM, "777000", verified=True, role="emergency"),
        ],
        promises=[
            Promise("P1", 5_000, today + timedelta(days=7), PromiseStatus.PENDING, now),
            Promise("P2", None, None, PromiseStatus.KEPT, None, 2_500),
            Promise("P3", 1_000, today - timedelta(days=3), PromiseStatus.BROKEN,
                    now - timedelta(days=10, microseconds=7), 100),
            Promise("P4", 700, today + timedelta(days=1), PromiseStatus.CANCELLED, now),
        ],
        payments=[
            Payment("PAY-2", 2_000, now - timedelta(days=2)),
            Payment("PAY-3", 300, now - timedelta(days=2)),  # same time: by id
            Payment("PAY-1", 100, now - timedelta(days=9, microseconds=1)),
        ])
    sibling = make_case("ACC-SIBLING", 5, today, phone=None, minimum_payment_minor=None)
    closed = make_case("ACC-CLOSED", 3, today, status=CaseStatus.CLOSED_PAID,
                       phone="+14155550199", balance_minor=0)
    bare = make_case("ACC-BARE", -2, today, phone=None, timezone="Europe/London",
                     country=None, timezone_candidates=("Europe/London",))
    review = make_case("ACC-REVIEW", 61, today, status=CaseStatus.LEGAL_REVIEW,
                       email="review@example.com")
    plain = [make_case(f"ACC-P{i}", i, today, phone=f"+1415555020{i}") for i in range(3)]
    return [(full, "CUST-1"), (sibling, "CUST-1"), (closed, None), (bare, None),
            (review, None), *((p, None) for p in plain)]


def _message(case_id: int | None, direction: str, channel: str, status: str,
             created_at: datetime, sent_at: datetime | None = None, **kw: Any) -> dict[str, Any]:
    row = {"case_id": case_id, "direction": direction, "channel": channel,
           "address": "+14155550100" if channel == "sms" else "full@example.com",
           "status": status, "step_id": None, "campaign_id": None, "variant": None,
           "ref": None, "created_at": created_at, "sent_at": sent_at, "body": "",
           "fallback_channels": []}
    row.update(kw)
    return row


def _decision(case_id: int, at: datetime, *, allowed: bool, channel: str | None,
              key: str) -> dict[str, Any]:
    return {"case_id": case_id, "local_date": at.date(), "campaign_id": CAMPAIGN,
            "step_id": "legal_review", "variant": None, "channel": channel,
            "allowed": allowed, "reasons": [], "at": at, "key": key}


def seed_portfolio(engine: Engine, clock: FixedClock) -> Portfolio:
    today, now = local_today(clock), clock.now()
    cases = _cases(today, now)
    with SqlUnitOfWork(engine, clock) as uow:
        for case, customer in cases:
            uow.cases.add(case, customer_ref=customer)
        uow.commit()
    ids = {case.account_id: case.id for case, _ in cases if case.id is not None}
    full, sib, closed = ids["ACC-FULL"], ids["ACC-SIBLING"], ids["ACC-CLOSED"]
    day, hour = timedelta(days=1), timedelta(hours=1)
    step = {"step_id": "reminder", "campaign_id": CAMPAIGN}
    with engine.begin() as conn:
        conn.execute(insert(M), [
            _message(full, "out", "sms", "sent", now - 2 * day, now - day, variant="A", **step),
            _message(full, "out", "email", "queued", now - hour, **step),
            _message(full, "out", "sms", "sending", now - 3 * hour, **step),
            _message(full, "out", "sms", "failed", now - 5 * day, now - 5 * day, **step),
            _message(full, "out", "email", "undelivered", now - 6 * day,
                     now - 6 * day + timedelta(microseconds=5), **step),
            _message(full, "out", "sms", "suppressed", now - 4 * day, **step),
            _message(full, "out", "email", "delivered", now - 7 * day, now - 7 * day,
                     ref="P1", step_id="promise_due_tomorrow", campaign_id=CAMPAIGN),
            _message(full, "out", "sms", "sent", now - 8 * day, now - 8 * day),  # a reply
            _message(full, "in", "sms", "received", now - timedelta(minutes=30)),
            _message(full, "in", "email", "received", now - 2 * day - timedelta(microseconds=9)),
            _message(sib, "out", "sms", "sent", now - day, now - day, **step),
            _message(closed, "in", "sms", "received", now - day),
            _message(None, "in", "sms", "received", now - day),  # unknown sender
        ])
        conn.execute(insert(D), [
            _decision(full, now - 40 * day, allowed=True, channel=None, key="k1"),
            _decision(full, now - 39 * day, allowed=False, channel=None, key="k2"),
            _decision(full, now - 38 * day, allowed=True, channel="sms", key="k3"),
            _decision(sib, now - 30 * day, allowed=True, channel=None, key="k4"),
        ])
        source = conn.execute(select(M.c.id).where(M.c.status == "delivered")).scalar_one()
    with SqlUnitOfWork(engine, clock) as uow:  # a promise made in a message
        case = uow.cases.get("ACC-FULL")
        assert case is not None
        case.promises[0].source_message_id = source
        uow.commit()

    sms, email = ChannelKind.SMS, ChannelKind.EMAIL
    phone, mail = "+14155550100", "full@example.com"
    return Portfolio(
        ids=ids,
        history={
            "ACC-FULL": [
                SentRecord(sms, now - day, variant="A", address=phone, **step),
                SentRecord(email, now - hour, address=mail, **step),
                SentRecord(sms, now - 3 * hour, address=phone, **step),
                SentRecord(sms, now - 5 * day, address=phone, failed=True, **step),
                SentRecord(email, now - 6 * day + timedelta(microseconds=5), address=mail,
                           failed=True, **step),
                SentRecord(email, now - 7 * day, step_id="promise_due_tomorrow",
                           campaign_id=CAMPAIGN, ref="P1", address=mail),
                SentRecord(sms, now - 8 * day, address=phone),
                SentRecord(None, now - 40 * day, step_id="legal_review", campaign_id=CAMPAIGN),
            ],
            "ACC-SIBLING": [
                SentRecord(sms, now - day, address=phone, **step),
                SentRecord(None, now - 30 * day, step_id="legal_review", campaign_id=CAMPAIGN),
            ],
        },
        inbound={"ACC-FULL": [now - timedelta(minutes=30),
                              now - 2 * day - timedelta(microseconds=9)],
                 "ACC-CLOSED": [now - day]},
    )


def assert_bundle(engine: Engine, clock: FixedClock, p: Portfolio, bundle: CaseBundle, *,
                  with_messages: bool = True) -> None:
    """``bundle`` is what the repository loads, field for field and type for type."""
    case_id = bundle.case.id
    assert case_id is not None
    with SqlUnitOfWork(engine, clock) as uow:
        expected = uow.cases.get_by_id(case_id)
        version = uow.session.execute(select(CA.c.version).where(CA.c.id == case_id)).scalar()
    assert expected is not None
    # repr tells True from 1, a date from its text, UTC from another zone, an enum from str
    assert repr(bundle.case) == repr(expected)
    assert bundle.case == expected
    assert bundle.version == version
    account = expected.account_id
    if not with_messages:
        assert bundle.history == [] and bundle.inbound == []
        return
    # the message read has no order: compare as sets of records
    assert sorted(map(repr, bundle.history)) == sorted(map(repr, p.history.get(account, [])))
    assert sorted(map(repr, bundle.inbound)) == sorted(map(repr, p.inbound.get(account, [])))


def test_the_portfolio_covers_every_field(engine: Engine, clock: FixedClock) -> None:
    """The fixture sets what it claims to (so the comparisons below mean something)."""
    p = seed_portfolio(engine, clock)
    with SqlUnitOfWork(engine, clock) as uow:
        full = uow.cases.get("ACC-FULL")
        sibling = uow.cases.get("ACC-SIBLING")
    assert full is not None and sibling is not None
    assert all(value is not None for value in vars(full.contacts[0]).values())
    assert {pr.status for pr in full.promises} == set(PromiseStatus)
    assert full.promises[0].source_message_id is not None
    assert len(full.payments) == 3 and len(full.holds) == 4
    assert full.breathing_space_until is not None
    assert sibling.contacts == full.contacts  # one customer, two cases
    assert len(p.history["ACC-FULL"]) == 8


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_streamed_bundles_equal_the_repository(engine: Engine, clock: FixedClock,
                                               batch_size: int) -> None:
    p = seed_portfolio(engine, clock)
    batches = list(stream_open_cases(engine, batch_size=batch_size))
    assert all(0 < len(b) <= batch_size for b in batches)
    streamed = [b for batch in batches for b in batch]
    open_ids = sorted(i for a, i in p.ids.items() if a != "ACC-CLOSED")
    assert [b.case.id for b in streamed] == open_ids
    for bundle in streamed:
        assert_bundle(engine, clock, p, bundle)
    holds = [b.case.holds for b in streamed]
    assert len({id(h) for h in holds}) == len(holds)  # each case its own (mutable) dict


def test_stream_bounds_and_limit(engine: Engine, clock: FixedClock) -> None:
    p = seed_portfolio(engine, clock)
    open_ids = sorted(i for a, i in p.ids.items() if a != "ACC-CLOSED")

    def ids(**kw: Any) -> list[int | None]:
        return [b.case.id for batch in stream_open_cases(engine, batch_size=2, **kw)
                for b in batch]

    assert ids(after_id=open_ids[1], until_id=open_ids[4]) == open_ids[2:5]
    assert ids(after_id=open_ids[-1]) == []
    assert ids(limit=3) == open_ids[:3]
    assert ids(after_id=open_ids[0], limit=1) == open_ids[1:2]
    with pytest.raises(ValueError, match="batch_size"):
        next(stream_open_cases(engine, batch_size=0))


def test_load_cases_and_load_cases_by_id_equal_the_repository(engine: Engine,
                                                               clock: FixedClock) -> None:
    p = seed_portfolio(engine, clock)
    every = sorted(p.ids.values())
    loaded = load_cases(engine, [*every, every[0], 10**9])  # closed included, no duplicates
    assert sorted(loaded) == every
    for bundle in loaded.values():
        assert_bundle(engine, clock, p, bundle)
    wanted = [p.ids["ACC-P2"], p.ids["ACC-FULL"], p.ids["ACC-CLOSED"], 10**9]
    by_id = load_cases_by_id(engine, wanted)
    assert sorted(by_id) == sorted(wanted[:3])
    for bundle in by_id.values():
        assert_bundle(engine, clock, p, bundle)
    with engine.begin() as conn:  # inside the caller's transaction, without messages
        quiet = load_cases_by_id(conn, wanted, with_messages=False)
        assert conn.in_transaction()
    assert sorted(quiet) == sorted(wanted[:3])
    for bundle in quiet.values():
        assert_bundle(engine, clock, p, bundle, with_messages=False)
    with engine.connect() as conn:  # a connection with no transaction yet
        assert load_cases_by_id(conn, [p.ids["ACC-BARE"]]).keys() == {p.ids["ACC-BARE"]}
    assert load_cases(engine, []) == {} and load_cases_by_id(engine, []) == {}


def test_cases_read_for_updating_equal_the_range_read_with_their_conversations(
        engine: Engine, clock: FixedClock) -> None:
    """The one-statement read of a customer's cases (by address, by id: contact points
    joined, promises and payments read only where counted, the conversation row along)
    gives what the batch read gives, field for field."""
    from bot.conversations.dialog import Conversation, State

    p = seed_portfolio(engine, clock)
    reference = load_cases(engine, sorted(p.ids.values()))
    with SqlUnitOfWork(engine, clock) as uow:
        uow.conversations.save(p.ids["ACC-FULL"], Conversation(
            State.VERIFY, {"purpose": "plans", "note": "ünï"},
            clock.now() + timedelta(hours=2, microseconds=3), 2), clock.now())
        uow.commit()

    def same(bundle: CaseBundle) -> None:
        wanted = reference[bundle.case.id or 0]
        assert repr(bundle.case) == repr(wanted.case) and bundle.version == wanted.version
        assert bundle.history == [] and bundle.inbound == []

    with engine.begin() as conn:
        at = load_cases_at(conn, "sms", "+14155550100")  # one customer, two cases
        assert list(at.bundles) == sorted([p.ids["ACC-FULL"], p.ids["ACC-SIBLING"]])
        for bundle in at.bundles.values():
            same(bundle)
        assert at.conversations == {
            p.ids["ACC-FULL"]: ("verify", {"purpose": "plans", "note": "ünï"},
                                clock.now() + timedelta(hours=2, microseconds=3), 2),
            p.ids["ACC-SIBLING"]: None}
        assert load_cases_at(conn, "sms", "+10000000000").bundles == {}
        for account in ("ACC-FULL", "ACC-BARE", "ACC-CLOSED", "ACC-P1"):
            one = load_case_by_id(conn, p.ids[account])
            assert list(one.bundles) == [p.ids[account]]
            same(one.bundles[p.ids[account]])
        assert load_case_by_id(conn, 10**9).bundles == {}


def test_a_conversation_read_with_its_case_is_not_read_again(engine: Engine,
                                                             clock: FixedClock) -> None:
    from bot.conversations.dialog import Conversation, State
    from bot.domain.messages import ChannelKind as Kind

    p = seed_portfolio(engine, clock)
    case_id = p.ids["ACC-P1"]
    with SqlUnitOfWork(engine, clock) as uow:
        uow.conversations.save(case_id, Conversation(State.ASK_DATE, {"a": 1}, None, 0),
                               clock.now())
        uow.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        [case] = uow.cases.find_by_contact(Kind.SMS, "+14155550201")
        assert case.id == case_id
        if engine.dialect.name == "postgresql":  # (SQLite: this one could not write then)
            with engine.begin() as other:  # changed by another transaction after the read
                other.execute(text("UPDATE conversation SET state = 'idle'"))
        got = uow.conversations.get(case_id)
        assert got is not None and got.state is State.ASK_DATE  # as read with the case
        uow.conversations.save(case_id, Conversation(State.CHOOSE_PLAN, {}, None, 0),
                               clock.now())
        again = uow.conversations.get(case_id)  # read again: this transaction's write
        assert again is not None and again.state is State.CHOOSE_PLAN
        uow.commit()


def test_unknown_enum_values_fail_as_the_enum_does() -> None:
    statuses = _EnumLookup(CaseStatus)
    assert statuses["active"] is CaseStatus.ACTIVE
    with pytest.raises(ValueError, match="bogus"):
        statuses["bogus"]


def test_a_reordered_dataclass_is_refused_at_import() -> None:
    @dataclass
    class Pair:
        second: int
        first: int

    _positional(Pair, "second first")
    with pytest.raises(RuntimeError, match="Pair"):
        _positional(Pair, "first second")
