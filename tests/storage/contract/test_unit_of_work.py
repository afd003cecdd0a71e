"""The unit of work and its repositories: the same behaviour in memory, on SQLite and on
PostgreSQL (see conftest.py)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from bot.conversations.dialog import Conversation, State
from bot.domain.case import Case, CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from bot.domain.portfolio import CaseRecord, ContactRecord
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.ports import ConcurrentUpdateError, DeliveryUpdate, NewInboundMessage
from tests.storage.test_case_stream import _cases
from tests.world import local_today, make_case

PHONE, EMAIL = "+14155550123", "jordan@example.com"


def add(backend: Any, *cases: Case, customer: str | None = None) -> list[Case]:
    with backend.uow() as uow:
        for case in cases:
            uow.cases.add(case, customer_ref=customer)
        uow.commit()
    return list(cases)


def normalised(case: Case) -> Case:
    """As a repository gives a case back: payments by time, no pending events."""
    return dataclasses.replace(case, events=[],
                               payments=sorted(case.payments, key=lambda p: (p.paid_at, p.id)))


def outbox(case: Case | None, key: str, clock: FixedClock, **kw: Any) -> Any:
    values: dict[str, Any] = dict(
        case_id=case.id if case else None, contact_point_id=None, channel="sms",
        address=PHONE, body="Hello", subject=None, idempotency_key=key, now=clock.now(),
        purpose="dunning")
    values.update(kw)
    return outbox_message(**values)


# ---------------------------------------------------------------------------- cases
def test_every_field_of_a_case_comes_back_as_written(backend: Any, clock: FixedClock) -> None:
    originals = [c for c, customer in _cases(local_today(clock), clock.now())
                 if customer is None or c.account_id == "ACC-FULL"]
    with backend.uow() as uow:
        for case in originals:
            uow.cases.add(case, customer_ref=f"ref-{case.account_id}")
        uow.commit()
    with backend.uow() as uow:
        for case in originals:
            got = uow.cases.get(case.account_id)
            assert got is not None
            # repr tells True from 1, a date from its text, UTC from another zone
            assert repr(got) == repr(normalised(case))
            assert uow.cases.get_by_id(case.id or 0) is got  # one object per case per uow
    assert all(c.id and c.customer_id for c in originals)
    for kind in ("promises", "payments", "contacts"):
        ids = [p.id for c in originals for p in getattr(c, kind)]
        assert None not in ids and len(set(ids)) == len(ids), kind


def test_accounts_of_one_customer_share_contact_points(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    add(backend, make_case("A-1", 3, today, email=EMAIL), make_case("A-2", 9, today, phone=None),
        customer="CUST")
    with backend.uow() as uow:
        case = uow.cases.get("A-2")
        assert case is not None
        assert [c.address for c in case.contacts] == [PHONE, EMAIL]
        case.opt_out(ChannelKind.SMS, PHONE, clock.now(), "reply")
        uow.commit()
    with backend.uow() as uow:
        other = uow.cases.get("A-1")
        assert other is not None
        sms = other.contact(ChannelKind.SMS, PHONE)
        assert sms is not None and sms.opted_out_at == clock.now()


def test_find_by_contact_gives_open_cases_first_newest_first(backend: Any,
                                                             clock: FixedClock) -> None:
    today = local_today(clock)
    add(backend, make_case("OLD", 3, today), make_case("CLOSED", 3, today,
                                                        status=CaseStatus.CLOSED_PAID),
        make_case("NEW", 3, today), customer="CUST")
    add(backend, make_case("ELSE", 3, today, phone="+14155550999"))
    with backend.uow() as uow:
        found = [c.account_id for c in uow.cases.find_by_contact(ChannelKind.SMS, PHONE)]
        assert found == ["NEW", "OLD", "CLOSED"]
        assert uow.cases.find_by_contact(ChannelKind.EMAIL, PHONE) == []


def test_concurrent_changes_to_one_case_are_refused_not_lost(backend: Any,
                                                             clock: FixedClock) -> None:
    if hasattr(backend, "db"):
        pytest.skip("in memory, units of work run one at a time (each holds the lock)")
    add(backend, make_case("ACC-1", 3, local_today(clock)))
    first, second = backend.uow(), backend.uow()
    with first:
        a = first.cases.get("ACC-1")
        assert a is not None
        with second:
            b = second.cases.get("ACC-1")
            assert b is not None
            b.place_hold(Hold.DISPUTE, clock.now(), "collector:ann")
            second.commit()
        a.take_over("bob", clock.now())
        with pytest.raises(ConcurrentUpdateError):
            first.commit()
    with backend.uow() as uow:
        got = uow.cases.get("ACC-1")
        assert got is not None and Hold.DISPUTE in got.holds and got.held_by is None


def test_nothing_is_kept_without_commit(backend: Any, clock: FixedClock) -> None:
    add(backend, make_case("ACC-1", 3, local_today(clock)))
    with backend.uow() as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None
        case.take_over("ann", clock.now())
        uow.cases.add(make_case("ACC-2", 3, local_today(clock), phone="+14155550777"))
        uow.work_items.add(work_item(WorkItemKind.CALLBACK, clock.now(), case_id=case.id))
        uow.outbox.enqueue([outbox(case, "k-1", clock)])
    with backend.uow() as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None and case.held_by is None
        assert uow.cases.get("ACC-2") is None
        assert uow.work_items.open_items() == []
        assert uow.messages.for_case(case.id or 0) == []


def test_events_are_recorded_in_order(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("ACC-1", 3, local_today(clock)))
    with backend.uow() as uow:
        c = uow.cases.get("ACC-1")
        assert c is not None
        c.make_promise([(10_000, local_today(clock) + timedelta(days=2))], clock.now(), "bot")
        c.record_payment("REF-1", 10_000, clock.now())
        uow.commit()
    with backend.uow() as uow:
        types = [e.type for e in uow.events.for_case(case.id or 0)]
        events = uow.events.for_case(case.id or 0)
    assert types[0] == "CaseOpened" and "PromiseMade" in types and "PaymentReceived" in types
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert all(e.at.tzinfo is not None for e in events)


def test_count_and_summaries(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    add(backend, make_case("A", 3, today, phone="+14155550001"),
        make_case("B", 30, today, phone="+14155550002", holds={Hold.DISPUTE: ""},
                  status=CaseStatus.DISPUTED),
        make_case("C", 10, today, phone="+14155550003", status=CaseStatus.CLOSED_PAID))
    with backend.uow() as uow:
        assert uow.cases.count() == 3
        assert uow.cases.count(["active", "disputed"]) == 2
        rows = uow.cases.summaries()
        assert [r.account_id for r in rows] == ["B", "C", "A"]
        assert rows[0].holds == ("dispute",) and rows[0].balance_minor == 120_000
        assert [r.account_id for r in uow.cases.summaries(["active"], limit=1)] == ["A"]
        assert [r.account_id for r in uow.cases.summaries(limit=1, offset=1)] == ["C"]


def test_customer_identity(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        identity = uow.customers.identity(case.customer_id or 0)
        assert identity is not None and identity.date_of_birth is None
        assert uow.customers.identity(10**9) is None


# ---------------------------------------------------------------------------- messages
def test_messages_match_replies_to_cases(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    a, b = add(backend, make_case("A", 3, today), make_case("B", 3, today), customer="C")
    with backend.uow() as uow:
        uow.outbox.enqueue([outbox(a, "k-a", clock, reply_token="tok-a")])
        clock.advance(timedelta(minutes=1))
        [second] = uow.outbox.enqueue([outbox(b, "k-b", clock)])
        uow.messages.update_delivery(DeliveryUpdate(second, "sent", provider_id="SM1",
                                                    sent_at=clock.now()))
        inbound = uow.messages.add_inbound(NewInboundMessage(
            case_id=None, channel="sms", address=PHONE, body="ok", subject=None,
            provider_id="SM9", thread_ref=None, created_at=clock.now()))
        uow.messages.set_case(inbound, b.id or 0)
        uow.messages.set_intent(inbound, "other")
        uow.commit()
    with backend.uow() as uow:
        assert uow.messages.case_for_reply_token("tok-a") == a.id
        assert uow.messages.case_for_reply_token("nope") is None
        assert uow.messages.case_for_provider_id("SM1") == b.id
        assert uow.messages.last_case_written_to(PHONE, [a.id or 0, b.id or 0]) == b.id
        assert uow.messages.last_case_written_to(PHONE, [a.id or 0]) == a.id
        assert uow.messages.last_inbound_channel(b.id or 0) is ChannelKind.SMS
        assert uow.messages.last_inbound_channel(a.id or 0) is None
        sent = uow.messages.outbound_by_provider_id(ChannelKind.SMS, "SM1")
        assert sent is not None and sent.id == second and sent.status == "sent"
        assert uow.messages.outbound_by_provider_id(ChannelKind.SMS, "SM9") is None  # inbound
        got = uow.messages.get(inbound)
        assert got is not None and (got.case_id, got.intent, got.direction) == (b.id, "other",
                                                                               "in")
        newest = uow.messages.for_case(b.id or 0)
        assert [m.id for m in newest] == [inbound, second]
        assert [m.id for m in uow.messages.for_case(b.id or 0, limit=1)] == [inbound]


def test_enqueue_keeps_each_idempotency_key_once(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([outbox(case, "k-1", clock), outbox(case, "k-2", clock)])
        again = uow.outbox.enqueue([outbox(case, "k-1", clock), outbox(case, "k-3", clock)])
        assert uow.outbox.enqueue([]) == []
        uow.commit()
    assert len(ids) == 2 and len(again) == 1 and not set(ids) & set(again)
    with backend.uow() as uow:
        message = uow.messages.get(again[0])
        assert message is not None
        assert (message.status, message.attempts, message.idempotency_key) == ("queued", 0,
                                                                             "k-3")
        assert message.next_attempt_at == clock.now()


def test_a_delivery_update_changes_only_what_it_says(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        [mid] = uow.outbox.enqueue([outbox(case, "k-1", clock)])
        uow.messages.update_delivery(DeliveryUpdate(mid, "failed", error_code="30007"))
        uow.commit()
    with backend.uow() as uow:
        m = uow.messages.get(mid)
        assert m is not None
        assert (m.status, m.error_code, m.next_attempt_at) == ("failed", "30007", clock.now())
        uow.messages.update_delivery(DeliveryUpdate(mid, "queued", set_next_attempt=True,
                                                    next_attempt_at=None))
        uow.commit()
    with backend.uow() as uow:
        m = uow.messages.get(mid)
        assert m is not None and (m.status, m.error_code, m.next_attempt_at) == (
            "queued", "30007", None)


# ---------------------------------------------------------------------------- the queue
def test_the_queue_is_worked_by_priority_then_age(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        first = uow.work_items.add(work_item(WorkItemKind.HARDSHIP, clock.now(),
                                             case_id=case.id, detail="x" * 900))
        clock.advance(timedelta(minutes=1))
        urgent = uow.work_items.add(work_item(WorkItemKind.LEGAL, clock.now(),
                                              case_id=case.id))
        stranger = uow.work_items.add(work_item(WorkItemKind.UNKNOWN_SENDER, clock.now()))
        clock.advance(timedelta(minutes=1))
        later = uow.work_items.add(work_item(WorkItemKind.PAYMENT_CLAIM, clock.now(),
                                             case_id=case.id))
        c = uow.cases.get("A")
        assert c is not None
        c.take_over("ann", clock.now())
        uow.commit()
    with backend.uow() as uow:
        items = uow.work_items.open_items()
        assert [i.id for i in items] == [urgent, first, later, stranger]
        assert items[0].kind is WorkItemKind.LEGAL and items[0].priority == 10
        assert (items[0].account_id, items[0].held_by) == ("A", "ann")
        assert items[-1].account_id is None and len(items[1].detail) == 500
        assert uow.work_items.close(first, "ann", clock.now()) is True
        assert uow.work_items.close(first, "bob", clock.now()) is False
        assert uow.work_items.close(10**9, "bob", clock.now()) is None
        uow.commit()
    with backend.uow() as uow:
        assert [i.id for i in uow.work_items.open_items(limit=2)] == [urgent, later]


# ---------------------------------------------------------------------------- conversations
def test_conversations_round_trip_and_reset(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    cid = case.id or 0
    with backend.uow() as uow:
        assert uow.conversations.get(cid) is None
        uow.conversations.reset(cid, clock.now())  # nothing to reset
        uow.conversations.save(cid, Conversation(State.ASK_DATE, {"amount": 500},
                                                 clock.now() + timedelta(hours=24), 1),
                               clock.now())
        uow.commit()
    with backend.uow() as uow:
        got = uow.conversations.get(cid)
        assert got is not None
        assert (got.state, got.context, got.expires_at, got.verify_failures) == (
            State.ASK_DATE, {"amount": 500}, clock.now() + timedelta(hours=24), 1)
        uow.conversations.reset(cid, clock.now())
        uow.commit()
    with backend.uow() as uow:
        got = uow.conversations.get(cid)
        assert got is not None and got.state is State.IDLE and got.verify_failures == 0


# ---------------------------------------------------------------------------- logs
def test_an_inbound_event_is_handled_once(backend: Any, clock: FixedClock) -> None:
    with backend.uow() as uow:
        assert uow.inbound_events.first_time("msg:sms:SM1", clock.now()) is True
        assert uow.inbound_events.first_time("msg:sms:SM1", clock.now()) is False
        uow.commit()
    with backend.uow() as uow:
        assert uow.inbound_events.first_time("msg:sms:SM1", clock.now()) is False
        assert uow.inbound_events.first_time("msg:sms:SM2", clock.now()) is True


def test_decisions_are_recorded(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        uow.decisions.add([{"case_id": case.id or 0, "local_date": local_today(clock),
                            "campaign_id": "c", "step_id": "s", "variant": None,
                            "channel": "sms", "allowed": False, "reasons": ["quiet_hours"],
                            "at": clock.now(), "key": None}] * 2)
        uow.commit()


def test_payments_are_found_by_reference(backend: Any, clock: FixedClock) -> None:
    add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        case = uow.cases.get("A")
        assert case is not None
        case.record_payment("REF-1", 5_000, clock.now())
        assert uow.payments.applied("REF-1") is None  # not saved yet
        uow.commit()
    with backend.uow() as uow:
        assert uow.payments.applied("REF-1") == ("A", 5_000)
        assert uow.payments.applied("REF-2") is None


def test_users(backend: Any, clock: FixedClock) -> None:
    with backend.uow() as uow:
        uow.users.add("ann", "collector", "hash", "token-hash", clock.now())
        uow.commit()
    with backend.uow() as uow:
        ann = uow.users.get("ann")
        assert ann is not None and (ann.role, ann.active, ann.created_at) == (
            "collector", True, clock.now())
        assert uow.users.by_token_hash("token-hash") == ann
        assert uow.users.get("bob") is None and uow.users.by_token_hash("x") is None


# ---------------------------------------------------------------------------- imports
def record(account: str, **kw: Any) -> CaseRecord:
    values: dict[str, Any] = dict(
        line=2, account_id=account, customer_ref=account, name="Jordan Example",
        currency="USD", balance_minor=10_000, due_date=date(2026, 11, 1),
        contacts=[ContactRecord("sms", PHONE, True)], timezone="America/New_York")
    values.update(kw)
    return CaseRecord(**values)


def test_an_upsert_updates_and_never_clears_an_opt_out(backend: Any, clock: FixedClock) -> None:
    with backend.uow() as uow:
        assert uow.portfolio.upsert([record("A"), record("B", customer_ref="A")],
                                    clock.now()) == (2, 0)
        uow.commit()
    with backend.uow() as uow:
        case = uow.cases.get("A")
        assert case is not None and case.days_past_due == 30 and case.status is CaseStatus.ACTIVE
        case.opt_out(ChannelKind.SMS, PHONE, clock.now(), "reply")
        case.place_hold(Hold.DISPUTE, clock.now(), "collector:ann")
        uow.commit()
    with backend.uow() as uow:
        assert uow.portfolio.upsert([record("A", balance_minor=20_000, segment="prime")],
                                    clock.now()) == (0, 1)
        uow.commit()
    with backend.uow() as uow:
        case = uow.cases.get("A")
        assert case is not None
        assert (case.balance_minor, case.segment) == (20_000, "prime")
        assert Hold.DISPUTE in case.holds and case.status is CaseStatus.DISPUTED
        sms = case.contact(ChannelKind.SMS, PHONE)
        assert sms is not None and sms.opted_out_at is not None
        types = [e.type for e in uow.events.for_case(case.id or 0)]
        assert types[0] == "CaseOpened" and "CaseUpdated" in types
        other = uow.cases.get("B")
        assert other is not None and [c.address for c in other.contacts] == [PHONE]


def test_addresses_several_customers_hold_are_marked_shared(backend: Any,
                                                            clock: FixedClock) -> None:
    """Issue #12: a phone two customers hold is flagged at import, with their accounts."""
    with backend.uow() as uow:
        uow.portfolio.upsert([record("A"), record("B", customer_ref="A"),
                              record("C", customer_ref="OTHER"),
                              record("D", contacts=[ContactRecord("sms", "+14155550999", True)])],
                             clock.now())
        [shared] = uow.portfolio.mark_shared([(ChannelKind.SMS, PHONE),
                                              (ChannelKind.SMS, "+14155550999")], clock.now())
        assert (shared.channel, shared.address, shared.accounts, shared.customers) == (
            ChannelKind.SMS, PHONE, ("A", "B", "C"), 2)
        uow.commit()
    with backend.uow() as uow:
        for account in ("A", "B", "C"):
            case = uow.cases.get(account)
            assert case is not None
            sms = case.contact(ChannelKind.SMS, PHONE)
            assert sms is not None and sms.shared, account
            assert "ContactPointShared" in [e.type for e in uow.events.for_case(case.id or 0)]
        alone = uow.cases.get("D")
        assert alone is not None and not alone.contacts[0].shared
        # marking again finds it again, records no second event
        assert len(uow.portfolio.mark_shared([(ChannelKind.SMS, PHONE)], clock.now())) == 1
        case = uow.cases.get("A")
        assert case is not None
        assert [e.type for e in uow.events.for_case(case.id or 0)].count(
            "ContactPointShared") == 1


def test_time_barred_and_limitation_date_are_imported(backend: Any, clock: FixedClock) -> None:
    with backend.uow() as uow:
        uow.portfolio.upsert([record("A", time_barred=True),
                              record("B", limitation_date=date(2024, 1, 1))], clock.now())
        uow.commit()
    with backend.uow() as uow:
        a, b = uow.cases.get("A"), uow.cases.get("B")
        assert a is not None and b is not None
        assert (a.time_barred, a.limitation_date) == (True, None)
        assert (b.time_barred, b.limitation_date) == (False, date(2024, 1, 1))
        assert b.is_time_barred(date(2024, 1, 1)) and not b.is_time_barred(date(2023, 12, 31))
