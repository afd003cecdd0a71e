"""The set-based stores (the tick's, the dispatchers', the daily jobs', the reports'): the
same behaviour in memory, on SQLite and on PostgreSQL (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import events as ev
from bot.domain.case import CaseStatus, Hold, PromiseStatus
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.work_items import WorkItemKind, work_item
from bot.policy.engine import local_date
from bot.services.ports import DeliveryUpdate, Escalation, NewInboundMessage, TickBatch
from tests.storage.contract.test_unit_of_work import PHONE, add, outbox
from tests.world import local_today, make_case


def decision(case_id: int, clock: FixedClock, key: str | None, *, allowed: bool = False,
             channel: str | None = "sms") -> Any:
    return {"case_id": case_id, "local_date": local_today(clock), "campaign_id": "c",
            "step_id": "legal_review" if channel is None else "reminder", "variant": None,
            "channel": channel, "allowed": allowed, "reasons": [] if allowed else ["caps"],
            "at": clock.now(), "key": key}


# ---------------------------------------------------------------------------- plan store
def test_open_cases_stream_in_id_order_within_bounds(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    cases = add(backend, *[make_case(f"A-{i}", i, today, phone=f"+1415555010{i}")
                           for i in range(6)],
                make_case("SHUT", 3, today, phone="+14155550199", status=CaseStatus.CLOSED_PAID))
    ids = [c.id for c in cases[:6]]
    store = backend.plan_store
    assert store.open_case_span() == (ids[0], ids[-1])

    def streamed(**kw: Any) -> list[list[int | None]]:
        return [[b.case.id for b in batch]
                for batch in store.stream_open_cases(batch_size=2, **kw)]

    assert streamed() == [ids[0:2], ids[2:4], ids[4:6]]
    assert streamed(after_id=ids[1], until_id=ids[4]) == [ids[2:4], ids[4:5]]
    assert streamed(limit=3) == [ids[0:2], ids[2:3]]
    assert streamed(after_id=ids[-1]) == []
    with pytest.raises(ValueError, match="batch_size"):
        next(store.stream_open_cases(batch_size=0))


def test_a_bundle_carries_history_and_inbound(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        sent, suppressed, failed = uow.outbox.enqueue([
            outbox(case, "k-1", clock, step_id="reminder", campaign_id="c", variant="B"),
            outbox(case, "k-2", clock, step_id="reminder", campaign_id="c"),
            outbox(case, "k-3", clock, step_id="reminder", campaign_id="c")])
        uow.messages.update_delivery(DeliveryUpdate(sent, "sent", sent_at=clock.now()))
        uow.messages.update_delivery(DeliveryUpdate(suppressed, "suppressed"))
        uow.messages.update_delivery(DeliveryUpdate(failed, "failed"))
        uow.messages.add_inbound(NewInboundMessage(case.id, "sms", PHONE, "hi", None, "SM1",
                                                   None, clock.now()))
        uow.commit()
    with backend.uow() as uow:
        uow.decisions.add([decision(case.id or 0, clock, "k-esc", allowed=True, channel=None)])
        uow.commit()
    [[bundle]] = list(backend.plan_store.stream_open_cases(batch_size=10))
    records = sorted(bundle.history, key=lambda r: (r.channel is None, r.failed))
    assert [(r.channel, r.failed, r.variant) for r in records] == [
        (ChannelKind.SMS, False, "B"), (ChannelKind.SMS, True, None), (None, False, None)]
    assert bundle.inbound == [clock.now()]


def test_a_tick_batch_is_written_once_and_all_or_nothing(backend: Any,
                                                         clock: FixedClock) -> None:
    today = local_today(clock)
    a, b = add(backend, make_case("A", 61, today), make_case("B", 61, today,
                                                             phone="+14155550777"))
    store = backend.plan_store
    [[read_a, read_b]] = list(store.stream_open_cases(batch_size=10))

    def batch(version_b: int) -> TickBatch:
        moves = []
        for case, version in ((a, read_a.version), (b, version_b)):
            assert case.id is not None
            moves.append(Escalation(
                case.id, version, CaseStatus.LEGAL_REVIEW.value,
                [ev.EscalatedToLegal(case.account_id, clock.now(), "campaign:c")],
                work_item(WorkItemKind.LEGAL_REVIEW, clock.now(), case_id=case.id),
                decision(case.id, clock, f"esc-{case.account_id}", allowed=True, channel=None)))
        return TickBatch(outbox=[outbox(a, "t-1", clock), outbox(a, "t-1", clock)],
                         decisions=[decision(a.id or 0, clock, "d-1")], escalations=moves)

    def boom() -> None:
        raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        store.write(batch(read_b.version), before_commit=boom)
    with backend.uow() as uow:
        assert uow.messages.for_case(a.id or 0) == [] and uow.work_items.open_items() == []
        got = uow.cases.get("A")
        assert got is not None and got.status is CaseStatus.ACTIVE
    result = store.write(batch(read_b.version - 1))  # B changed since: left alone
    assert (result.enqueued, result.recorded, result.escalated) == (1, 2, frozenset({a.id}))
    again = store.write(batch(read_b.version - 1))
    assert (again.enqueued, again.recorded, again.escalated) == (0, 0, frozenset())
    with backend.uow() as uow:
        moved, kept = uow.cases.get("A"), uow.cases.get("B")
        assert moved is not None and moved.status is CaseStatus.LEGAL_REVIEW
        assert kept is not None and kept.status is CaseStatus.ACTIVE
        assert [i.kind for i in uow.work_items.open_items()] == [WorkItemKind.LEGAL_REVIEW]
        assert "EscalatedToLegal" in [e.type for e in uow.events.for_case(a.id or 0)]
    [[bundle, _]] = list(store.stream_open_cases(batch_size=10))
    assert bundle.version == read_a.version + 1
    assert [r.channel for r in bundle.history if r.step_id == "legal_review"] == [None]


def test_a_tick_batch_keeps_queued_rows_and_adds_new_ones_in_order(backend: Any,
                                                                   clock: FixedClock) -> None:
    [a] = add(backend, make_case("A", 3, local_today(clock)))
    store = backend.plan_store
    store.prepare()
    with backend.uow() as uow:
        [old] = uow.outbox.enqueue([outbox(a, "k-2", clock, body="first wording",
                                           fallback_channels=["email"])])
        uow.commit()
    later = clock.now() + timedelta(minutes=5)
    keys = ["k-5", "k-2", "k-1", "k-4", "k-1", "k-3"]
    result = store.write(TickBatch(outbox=[
        outbox(a, k, clock, body=f"{k} #{i}", now=later, subject="Hi",
               fallback_channels=["email", "telegram"])
        for i, k in enumerate(keys)]))
    assert result.enqueued == 4
    with backend.uow() as uow:
        stored = sorted(uow.messages.for_case(a.id or 0), key=lambda m: m.id)
    assert [(m.idempotency_key, m.body) for m in stored] == [
        ("k-2", "first wording"), ("k-5", "k-5 #0"), ("k-1", "k-1 #2"), ("k-4", "k-4 #3"),
        ("k-3", "k-3 #5")]
    assert stored[0].id == old and stored[0].fallback_channels == ("email",)
    assert stored[1].fallback_channels == ("email", "telegram")
    assert stored[1].subject == "Hi" and stored[1].next_attempt_at == later
    store.prepare()  # statistics refreshed or not, the rows are the same
    again = store.write(TickBatch(outbox=[outbox(a, "k-3", clock, body="other")]))
    assert again.enqueued == 0


# ---------------------------------------------------------------------------- delivery
def test_claiming_takes_due_messages_once_under_a_lease(backend: Any,
                                                        clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    now = clock.now()
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([outbox(case, f"k-{i}", clock) for i in range(3)]
                                 + [outbox(case, "later", clock,
                                           not_before=now + timedelta(hours=1))])
        uow.commit()
    store, lease = backend.delivery_store, now + timedelta(minutes=5)
    first = store.claim(now, 2, lease)
    second = store.claim(now, 10, lease)
    assert first == ids[:2] and second == ids[2:3] and store.claim(now, 10, lease) == []
    assert store.claim(now, 0, lease) == []
    claimed = store.claimed([*first, 10**9])
    assert sorted(claimed) == first
    assert all((m.status, m.attempts, m.next_attempt_at) == ("sending", 1, lease)
               for m in claimed.values())
    # a worker that died: its messages come back once the lease has run out
    assert store.claim(lease, 10, lease + timedelta(minutes=5)) == ids[:3]
    assert store.claimed(ids[:1])[ids[0]].attempts == 2


def test_a_claim_is_renewed_and_released_only_while_it_is_held(backend: Any,
                                                                clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    now = clock.now()
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([outbox(case, f"k-{i}", clock) for i in range(4)])
        uow.commit()
    store, lease = backend.delivery_store, now + timedelta(minutes=1)
    assert store.claim(now, 10, lease) == ids
    claims = {i: m.attempts for i, m in store.claimed(ids).items()}
    assert set(claims.values()) == {1}
    # renewed: not claimable when the first lease runs out, only after the new one
    later = lease + timedelta(minutes=1)
    assert store.renew(claims, later) == ids
    assert store.claim(lease, 10, lease + timedelta(minutes=5)) == []
    # one message sent and recorded, one claimed again by another worker meanwhile
    store.record([DeliveryUpdate(ids[0], "sent", sent_at=now, set_next_attempt=True)])
    assert store.claim(later, 1, later + timedelta(minutes=1)) == [ids[1]]
    # neither is renewed nor released any more under the old claim
    assert store.renew(claims, later + timedelta(minutes=2)) == ids[2:]
    assert store.release(claims, now) == ids[2:]
    got = store.claimed(ids)
    assert [(got[i].status, got[i].attempts) for i in ids] == [
        ("sent", 1), ("sending", 2), ("queued", 0), ("queued", 0)]
    assert got[ids[2]].next_attempt_at == now and got[ids[1]].next_attempt_at == (
        later + timedelta(minutes=1))
    # given back: due at once for the next claim
    assert store.claim(now, 10, lease) == ids[2:]
    assert store.renew({}, lease) == [] and store.release({}, now) == []


def test_recorded_outcomes_and_histories(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    a, b = add(backend, make_case("A", 3, today), make_case("B", 3, today,
                                                             phone="+14155550777"))
    now = clock.now()
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([
            outbox(a, "a-1", clock, step_id="reminder"),
            outbox(a, "a-2", clock, purpose="reply"),
            outbox(a, "a-3", clock, step_id="old"),
            outbox(b, "b-1", clock, step_id="reminder")])
        uow.commit()
    store = backend.delivery_store
    store.claim(now, 10, now + timedelta(minutes=5))
    store.record([
        DeliveryUpdate(ids[0], "sent", provider_id="SM1", sent_at=now, set_next_attempt=True),
        DeliveryUpdate(ids[1], "sent", sent_at=now, set_next_attempt=True),
        DeliveryUpdate(ids[2], "sent", sent_at=now - timedelta(days=9), set_next_attempt=True),
        DeliveryUpdate(ids[3], "queued", error_reason="deferred", release_attempt=True,
                       next_attempt_at=now + timedelta(hours=1), set_next_attempt=True)],
        [decision(b.id or 0, clock, None)])
    got = store.claimed(ids)
    assert (got[ids[0]].status, got[ids[0]].provider_id, got[ids[0]].next_attempt_at) == (
        "sent", "SM1", None)
    assert (got[ids[3]].status, got[ids[3]].attempts) == ("queued", 0)
    # the times come back as they went (bound as the column type binds them)
    assert got[ids[0]].sent_at == now and got[ids[2]].sent_at == now - timedelta(days=9)
    assert (got[ids[3]].error_reason, got[ids[3]].next_attempt_at, got[ids[3]].sent_at) == (
        "deferred", now + timedelta(hours=1), None)
    histories = store.histories([a.id or 0, b.id or 0], now - timedelta(days=8))
    # capped purposes only (not the reply), inside the window (not the old one)
    assert [rid for rid, _ in histories[a.id or 0]] == [ids[0]]
    assert (b.id or 0) not in histories
    cases = store.cases([a.id or 0, 10**9])
    assert list(cases) == [a.id] and cases[a.id or 0].account_id == "A"


# ---------------------------------------------------------------------------- daily jobs
def test_days_past_due_and_overdue_promises_follow_each_local_day(backend: Any,
                                                                  clock: FixedClock) -> None:
    today = local_today(clock)
    shanghai = make_case("SH", 10, today, timezone="Asia/Shanghai", phone="+8613800138000")
    shanghai.make_promise([(10_000, today)], clock.now(), "customer")
    new_york = make_case("NY", 10, today)
    new_york.make_promise([(10_000, today)], clock.now(), "customer")
    add(backend, shanghai, new_york)
    jobs = backend.maintenance
    midnight_shanghai = datetime(today.year, today.month, today.day, 16, 0, tzinfo=UTC)
    assert jobs.overdue_promise_cases(midnight_shanghai) == [shanghai.id]
    assert sorted(jobs.overdue_promise_cases(midnight_shanghai + timedelta(hours=13))) == \
        sorted([shanghai.id, new_york.id])
    later = clock.now() + timedelta(days=2)
    assert jobs.update_days_past_due(later) == 2
    assert jobs.update_days_past_due(later) == 0
    with backend.uow() as uow:
        sh = uow.cases.get("SH")
        assert sh is not None and sh.days_past_due == 12 == sh.compute_days_past_due(
            local_date(sh, later))
        assert sh.promises[0].status is PromiseStatus.PENDING


# ---------------------------------------------------------------------------- reports
def test_outcome_facts(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        [mid] = uow.outbox.enqueue([outbox(case, "k", clock, step_id="reminder",
                                           variant="A", campaign_id="standard-retail-us")])
        uow.messages.update_delivery(DeliveryUpdate(mid, "sent", sent_at=clock.now()))
        c = uow.cases.get("A")
        assert c is not None
        c.opt_out(ChannelKind.SMS, PHONE, clock.now(), "reply")
        c.record_payment("P-1", 1_000, clock.now())
        c.open_dispute(clock.now(), "customer", "not mine")
        c.place_hold(Hold.COMPLAINT, clock.now(), "collector:ann", "rude caller")
        uow.commit()
    facts = backend.outcome_source.outcome_facts()
    assert facts.disputes == [(case.id, clock.now())]
    assert facts.complaints == [(case.id, clock.now())]
    assert facts.sent == [(case.id, clock.now(), "reminder", "A", "standard-retail-us")]
    assert facts.opt_outs == [(case.id, clock.now())]
    assert facts.payments == {case.id: [(clock.now(), 1_000)]}
    assert facts.cases[case.id or 0][0] == "disputed"


# ---------------------------------------------------------------------------- operations
def test_outbox_health_counts_what_waits_and_finds_the_oldest_due(backend: Any,
                                                                  clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    now = clock.now()
    ops = backend.operations
    assert ops.outbox_health(now).depth == {} and ops.outbox_health(now).oldest_due is None
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([
            outbox(case, "due-early", clock, not_before=now - timedelta(minutes=30)),
            outbox(case, "due", clock),
            outbox(case, "later", clock, not_before=now + timedelta(hours=2)),
            outbox(case, "mail", clock, channel="email", address="a@example.com"),
            outbox(case, "sent", clock)])
        uow.commit()
    store = backend.delivery_store
    # a worker holds two (one of them the oldest), under a lease running to now + 1 min
    assert store.claim(now, 1, now + timedelta(minutes=1)) == ids[:1]
    store.claim(now, 1, now + timedelta(minutes=1))
    store.record([DeliveryUpdate(ids[4], "sent", sent_at=now, set_next_attempt=True)])
    health = ops.outbox_health(now)
    assert health.depth == {("sending", "sms"): 2, ("queued", "sms"): 1,
                            ("queued", "email"): 1}
    assert health.oldest_due == now  # the claimed ones are not due: the mail is
    # the worker died: once its lease has run out, its oldest message is due again
    later = now + timedelta(minutes=2)
    assert ops.outbox_health(later).oldest_due == now
    store.record([DeliveryUpdate(ids[3], "sent", sent_at=now, set_next_attempt=True)])
    assert ops.outbox_health(later).oldest_due == now + timedelta(minutes=1)


def test_the_last_run_of_each_job_is_kept(backend: Any, clock: FixedClock) -> None:
    ops, now = backend.operations, clock.now()
    assert ops.jobs_finished() == {}
    ops.job_finished("planning-tick", now, now + timedelta(seconds=5))
    ops.job_finished("daily-jobs", now, now + timedelta(seconds=1))
    ops.job_finished("planning-tick", now + timedelta(minutes=5), now + timedelta(minutes=6))
    assert ops.jobs_finished() == {"planning-tick": now + timedelta(minutes=6),
                                   "daily-jobs": now + timedelta(seconds=1)}


# ---------------------------------------------------------------------------- related cases
def test_a_bundle_carries_what_the_customers_other_accounts_and_the_address_got(
        backend: Any, clock: FixedClock) -> None:
    """Caps per person and per address (issue #12): the stream brings the messages of the
    customer's other accounts (any address) and of other customers at a shared address
    (that address only), each naming its account."""
    today = local_today(clock)
    _, sibling = add(backend, make_case("MINE", 3, today, email="me@example.com"),
                        make_case("SIBLING", 9, today), customer="CUST")
    [stranger] = add(backend, make_case("STRANGER", 3, today, email="them@example.com"))
    [alone] = add(backend, make_case("ALONE", 3, today, phone="+14155550999"))
    with backend.uow() as uow:
        uow.outbox.enqueue([
            outbox(sibling, "s-1", clock, step_id="reminder", address="me@example.com",
                   channel="email"),
            outbox(stranger, "x-1", clock, step_id="reminder"),  # the shared phone
            outbox(stranger, "x-2", clock, step_id="reminder", channel="email",
                   address="them@example.com"),  # not shared: not counted
            outbox(alone, "a-1", clock, step_id="reminder", address="+14155550999")])
        uow.commit()
    bundles = {b.case.account_id: b for batch in
               backend.plan_store.stream_open_cases(batch_size=2) for b in batch}
    got = bundles["MINE"]
    assert {(r.account_id, r.other_customer, r.addresses) for r in got.related_cases} == {
        ("SIBLING", False, frozenset()), ("STRANGER", True, frozenset({PHONE}))}
    assert sorted((r.account, r.other_customer, r.channel, r.address) for r in got.related) == [
        ("SIBLING", False, ChannelKind.EMAIL, "me@example.com"),
        ("STRANGER", True, ChannelKind.SMS, PHONE)]
    assert all(r.step_id is None for r in got.related)  # never mistaken for this case's step
    assert [r.account for r in bundles["STRANGER"].related] == []  # nothing sent to MINE
    assert bundles["ALONE"].related_cases == [] and bundles["ALONE"].related == []


def test_related_histories_at_send_time(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    now = clock.now()
    mine, sibling = add(backend, make_case("MINE", 3, today), make_case("SIB", 3, today),
                        customer="CUST")
    [stranger] = add(backend, make_case("STRANGER", 3, today))  # the same phone
    with backend.uow() as uow:
        ids = uow.outbox.enqueue([
            outbox(sibling, "s-1", clock, step_id="reminder"),
            outbox(stranger, "x-1", clock, step_id="reminder"),
            outbox(stranger, "x-2", clock, purpose="reply"),  # replies are not capped
            outbox(mine, "m-1", clock, step_id="reminder")])
        uow.commit()
    store = backend.delivery_store
    store.claim(now, 10, now + timedelta(minutes=5))
    store.record([DeliveryUpdate(ids[0], "sent", sent_at=now, set_next_attempt=True)])
    related = store.related_histories([(mine.id or 0, PHONE)], now - timedelta(days=8))
    got = sorted((r.message_id, r.record.account, r.record.other_customer, r.in_flight)
                 for r in related[(mine.id or 0, PHONE)])
    # the sibling's sent message; the stranger's, claimed and not yet sent (in flight)
    assert got == [(ids[0], "SIB", False, False), (ids[1], "STRANGER", True, True)]
    assert store.related_histories([], now) == {}


def test_a_refusal_and_an_opt_out_before_sending_are_refused_records(backend: Any,
                                                                     clock: FixedClock) -> None:
    [case] = add(backend, make_case("A", 3, local_today(clock)))
    with backend.uow() as uow:
        refused, held, bounced = uow.outbox.enqueue([
            outbox(case, "k-1", clock, step_id="reminder", campaign_id="c"),
            outbox(case, "k-2", clock, step_id="reminder", campaign_id="c"),
            outbox(case, "k-3", clock, step_id="reminder", campaign_id="c")])
        uow.messages.update_delivery(DeliveryUpdate(refused, "failed", error_code="21610",
                                                    error_reason="opted_out"))
        uow.messages.update_delivery(DeliveryUpdate(held, "suppressed", error_code="opted_out",
                                                    error_reason="policy"))
        uow.messages.update_delivery(DeliveryUpdate(bounced, "failed",
                                                    error_reason="invalid_address"))
        uow.commit()
    [[bundle]] = list(backend.plan_store.stream_open_cases(batch_size=10))
    assert sorted((r.failed, r.refused) for r in bundle.history) == [
        (True, False), (True, True), (True, True)]
