"""The dispatcher's set-based batch: many cases prepared and recorded at once, each row
with its own outcome; the batched loaders agree with the repository; the SQLite claim
waits for a concurrent writer; a fallback keeps the message's ``ref``."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.domain.case import Case, Hold, Payment, Promise, PromiseStatus
from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    FailureReason,
    OutboundMessage,
)
from bot.domain.outbox import outbox_message
from bot.services.dispatch import HISTORY_WINDOW, LEASE, Dispatcher
from channels.sandbox import SandboxEmailChannel
from storage.case_stream import load_cases_by_id
from storage.delivery_store import SqlDeliveryStore
from storage.memory.sandbox import MemorySandboxStore
from storage.message_log import enqueue
from storage.models import CaseEventRow, ContactDecisionRow, MessageRow
from storage.uow import SqlUnitOfWork
from tests.world import (
    claim_due,
    container_for,
    count,
    local_today,
    make_case,
    outbox,
    planning_for,
    sandbox_channels,
    seed,
)

M = MessageRow.__table__  # type: ignore[attr-defined]


class ScriptedEmail(SandboxEmailChannel):
    """The email sandbox, with addresses whose provider answers 'try again later'."""

    def __init__(self, *args: Any, transient: set[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.transient = transient

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        if outbound.to in self.transient:
            return DeliveryResult.transient(FailureReason.UNAVAILABLE, code="451")
        return await super().send(outbound)


def email_row(case: Case, key: str, clock: FixedClock, **kw: Any) -> dict[str, Any]:
    cp = next(c for c in case.contacts if c.channel is ChannelKind.EMAIL)
    values: dict[str, Any] = {
        "case_id": case.id, "contact_point_id": cp.id, "channel": "email",
        "address": cp.address, "body": "Hello, please get in touch.", "subject": "Hello",
        "idempotency_key": key, "now": clock.now(), "purpose": "dunning",
        "template_id": "first_notice", "lang": "en", "step_id": "first_notice",
        "campaign_id": "standard-retail-us"}
    values.update(kw)
    return outbox_message(**values)


async def test_one_batch_many_cases_each_row_gets_its_own_outcome(engine: Engine,
                                                                  clock: FixedClock) -> None:
    today = local_today(clock)
    cases = seed(engine, clock, *[make_case(f"ACC-{i}", 3, today, email=f"c{i}@example.com")
                                  for i in range(8)])
    # far-apart case ids in one batch: the loader reads by id list, not by id range
    held = cases[1]
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get(held.account_id)
        assert case is not None
        case.place_hold(Hold.DISPUTE, clock.now(), "agent:1", "disputed")
        uow.commit()
    # case 2 already had a dunning email today: the frequency cap defers its next one
    with engine.begin() as conn:
        enqueue(conn, [email_row(cases[2], "earlier", clock)])
        conn.execute(update(M).where(M.c.idempotency_key == "earlier").values(
            status="sent", sent_at=clock.now() - timedelta(hours=1)))
        enqueue(conn, [email_row(c, f"k-{i}", clock) for i, c in enumerate(cases)])
    store = MemorySandboxStore()
    channels: dict[ChannelKind, Any] = dict(sandbox_channels(clock, store))
    channels[ChannelKind.EMAIL] = ScriptedEmail(
        ChannelKind.EMAIL, store, clock=clock, transient={"c3@example.com"},
        opted_out=["c4@example.com"], rejects=["c5@example.com"])
    c = container_for(engine, clock)
    dispatcher = Dispatcher(c.uow, c.delivery_store, clock, channels, c.profile, max_attempts=4)

    stats = await dispatcher.run_once(limit=100)

    assert stats.claimed == 8
    # the connections held for the batch's outcomes are back in the pool
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    rows = {r["idempotency_key"]: r for r in outbox(engine)}
    status = {k: (r["status"], r["error_reason"]) for k, r in rows.items()}
    assert status["k-0"] == ("sent", None) and rows["k-0"]["sent_at"] == clock.now()
    assert rows["k-0"]["provider_id"] is not None
    assert status["k-1"] == ("suppressed", "policy") and "hold" in rows["k-1"]["error_code"]
    assert status["k-2"][0] == "queued" and status["k-2"][1] == "deferred"
    assert rows["k-2"]["attempts"] == 0 and rows["k-2"]["next_attempt_at"] > clock.now()
    assert status["k-3"] == ("queued", "unavailable") and rows["k-3"]["attempts"] == 1
    assert rows["k-3"]["next_attempt_at"] == clock.now() + timedelta(seconds=30)
    assert status["k-4"] == ("failed", "opted_out")
    assert status["k-5"] == ("failed", "invalid_address")
    assert {status[f"k-{i}"] for i in (6, 7)} == {("sent", None)}
    assert (stats.sent, stats.suppressed, stats.deferred, stats.retried, stats.failed) == (
        3, 1, 1, 1, 2)
    # refusals are logged as decisions; final failures changed the case, with events
    assert count(engine, ContactDecisionRow,
                 ContactDecisionRow.__table__.c.allowed.is_(False)) == 2  # type: ignore[attr-defined]
    with SqlUnitOfWork(engine, clock) as uow:
        opted = uow.cases.get("ACC-4")
        invalid = uow.cases.get("ACC-5")
        assert opted is not None and invalid is not None
        assert opted.contact(ChannelKind.EMAIL, "c4@example.com").opted_out_at == clock.now()  # type: ignore[union-attr]
        assert invalid.contact(ChannelKind.EMAIL, "c5@example.com").invalid_at == clock.now()  # type: ignore[union-attr]
    assert count(engine, CaseEventRow, CaseEventRow.case_id == cases[4].id,
                 CaseEventRow.type == "OptedOut") == 1
    assert count(engine, CaseEventRow, CaseEventRow.case_id == cases[5].id,
                 CaseEventRow.type == "ContactPointInvalidated") == 1
    assert count(engine, CaseEventRow, CaseEventRow.case_id == cases[0].id) == 1  # opened


async def test_a_held_case_in_the_middle_of_a_batch_stays_silent(engine: Engine,
                                                                 clock: FixedClock) -> None:
    today = local_today(clock)
    cases = seed(engine, clock, *[make_case(f"ACC-{i}", 3, today, email=f"h{i}@example.com")
                                  for i in range(3)])
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-1")
        assert case is not None
        case.take_over("alice", clock.now())
        uow.commit()
    with engine.begin() as conn:
        enqueue(conn, [email_row(c, f"r-{i}", clock, purpose="reply")
                            for i, c in enumerate(cases)])
        enqueue(conn, [email_row(c, f"c-{i}", clock, purpose="confirmation")
                            for i, c in enumerate(cases)])
    c = container_for(engine, clock)
    stats = await c.dispatcher.drain()
    assert (stats.sent, stats.suppressed) == (4, 2)
    silent = {r["idempotency_key"] for r in outbox(engine) if r["status"] == "suppressed"}
    assert silent == {"r-1", "c-1"}


def test_the_batched_history_is_each_cases_own(engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    cases = seed(engine, clock, *[make_case(f"ACC-{i}", 3, today, email=f"y{i}@example.com")
                                  for i in range(4)])
    now = clock.now()
    with engine.begin() as conn:
        for i, case in enumerate(cases):
            enqueue(conn, [email_row(case, f"m-{i}-{j}", clock) for j in range(i + 1)])
        # sent, in and out of the window, one reply (not capped), one only queued
        conn.execute(update(M).values(status="sent", sent_at=now - timedelta(days=1)))
        conn.execute(update(M).where(M.c.idempotency_key == "m-2-0").values(
            sent_at=now - timedelta(days=9)))
        conn.execute(update(M).where(M.c.idempotency_key == "m-3-1").values(purpose="reply"))
        conn.execute(update(M).where(M.c.idempotency_key == "m-3-2").values(status="queued"))
        ids = [case.id for case in cases if case.id is not None]
    batched = SqlDeliveryStore(engine).histories(ids, now - HISTORY_WINDOW)
    # each case's own sent campaign messages inside the window, nothing else
    assert [len(batched.get(i, ())) for i in ids] == [1, 2, 2, 2]
    for i, case_id in enumerate(ids):
        keys = {r["idempotency_key"]: r["id"] for r in outbox(engine)
                if r["case_id"] == case_id}
        expected = {keys[f"m-{i}-{j}"] for j in range(i + 1)} - {
            keys.get("m-2-0"), keys.get("m-3-1"), keys.get("m-3-2")}
        assert {rid for rid, _ in batched.get(case_id, ())} == expected
        assert all(rec.channel is ChannelKind.EMAIL for _, rec in batched.get(case_id, ()))


def test_load_cases_by_id_matches_the_repository(engine: Engine, clock: FixedClock) -> None:
    today = local_today(clock)
    cases = seed(engine, clock, *[make_case(f"ACC-{i}", 3, today, email=f"z{i}@example.com")
                                  for i in range(30)])
    with SqlUnitOfWork(engine, clock) as uow:
        case = uow.cases.get("ACC-29")
        assert case is not None
        case.promises.append(Promise("P-1", 5000, today + timedelta(days=3),
                                     PromiseStatus.PENDING, clock.now()))
        case.payments.append(Payment("PAY-1", 1000, clock.now()))
        case.place_hold(Hold.DISPUTE, clock.now(), "agent:1")
        uow.commit()
    wanted = [cases[0].id, cases[29].id, 10**9]  # far apart, and one that does not exist
    with engine.connect() as conn:
        bundles = load_cases_by_id(conn, [i for i in wanted if i is not None],
                                   with_messages=False)
    assert sorted(bundles) == sorted(i for i in wanted[:2] if i is not None)
    first = bundles[cases[0].id or 0].case
    assert (first.account_id, first.balance_minor, first.contacts[0].address) == (
        "ACC-0", cases[0].balance_minor, cases[0].contacts[0].address)
    last = bundles[cases[29].id or 0].case
    assert Hold.DISPUTE in last.holds
    assert [p.amount_minor for p in last.payments] == [1000]
    assert all(b.history == [] and b.inbound == [] for b in bundles.values())
    assert [p.ref for p in bundles[cases[29].id or 0].case.promises] == ["P-1"]
    assert load_cases_by_id(engine, []) == {}


def test_sqlite_claim_waits_for_a_concurrent_writer(sqlite_engine: Engine,
                                                    clock: FixedClock) -> None:
    [case] = seed(sqlite_engine, clock, make_case("ACC-1", 3, local_today(clock),
                                                  email="w@example.com"))
    with sqlite_engine.begin() as conn:
        enqueue(conn, [email_row(case, f"w-{i}", clock) for i in range(5)])
    writer = sqlite3.connect(sqlite_engine.url.database or "", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE message SET body = body || '.' WHERE idempotency_key = 'w-4'")
    result: dict[str, Any] = {}

    def claim() -> None:
        try:
            result["ids"] = claim_due(sqlite_engine, clock.now(), 3)
        except Exception as exc:  # reported below
            result["error"] = exc

    worker = threading.Thread(target=claim)
    worker.start()
    time.sleep(0.3)  # the claim is now waiting on the writer's lock
    writer.execute("COMMIT")
    writer.close()
    worker.join(10)
    assert "error" not in result, result.get("error")
    assert len(result["ids"]) == 3 and result["ids"] == sorted(result["ids"])
    rows = {r["id"]: r for r in outbox(sqlite_engine)}
    for row_id in result["ids"]:
        assert (rows[row_id]["status"], rows[row_id]["attempts"]) == ("sending", 1)
        assert rows[row_id]["next_attempt_at"] == clock.now() + LEASE
    assert len(claim_due(sqlite_engine, clock.now(), 10)) == 2
    assert claim_due(sqlite_engine, clock.now(), 10) == []


async def test_a_fallback_keeps_the_message_ref(engine: Engine, clock: FixedClock) -> None:
    seed(engine, clock, make_case("ACC-1", 1, local_today(clock), email="f@example.com"))
    c = container_for(engine, clock, email={"rejects": ["f@example.com"]})
    planning_for(c).tick()
    with engine.begin() as conn:
        conn.execute(update(M).values(ref="promise:P-9"))
    stats = await c.dispatcher.drain()
    assert stats.fallbacks == 1
    rows = {r["channel"]: r for r in outbox(engine)}
    assert rows["email"]["status"] == "failed"
    assert rows["sms"]["ref"] == "promise:P-9" and rows["sms"]["status"] == "sent"
    with engine.connect() as conn:
        refs = set(conn.execute(select(M.c.ref)).scalars())
    assert refs == {"promise:P-9"}


def test_the_email_header_caches_do_not_change_the_bytes(clock: FixedClock) -> None:
    """build_message shares parsed header objects between messages: the bytes must stay
    what a plain stdlib ``EmailMessage`` gives, message after message, channel by channel."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime

    from aiosmtplib.email import flatten_message

    from channels.email.smtp import SmtpEmailChannel, message_id_for

    subject = "Über Ihr Konto — 关于您的账户 " * 3
    for name in ("Acme Bank", "銀行 «Collections», Inc."):
        channel = SmtpEmailChannel(host="127.0.0.1", tls="none", port=2525, clock=clock,
                                   from_address="collect@acme.example", from_name=name)
        for i in range(3):
            out = OutboundMessage(idempotency_key=f"k-{i}", channel=ChannelKind.EMAIL,
                                  to=f"p{i}@example.com", body="Hello 你好\n" * 3,
                                  subject=subject)
            ref = EmailMessage()
            ref["From"] = Address(display_name=name, addr_spec="collect@acme.example")
            ref["To"] = out.to
            ref["Subject"] = subject
            ref["Date"] = format_datetime(clock.now())
            ref["Message-ID"] = f"<{message_id_for(out.idempotency_key, 'acme.example')}>"
            ref["Auto-Submitted"] = "auto-generated"
            ref.set_content(out.body)
            for utf8 in (False, True):
                assert (flatten_message(channel.build_message(out), utf8=utf8)
                        == flatten_message(ref, utf8=utf8))


class SlowEmail(SandboxEmailChannel):
    """The email sandbox, each send taking a while (the next batch is prepared then)."""

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        await asyncio.sleep(0.2)
        return await super().send(outbound)


async def test_a_batch_prepared_ahead_counts_the_messages_still_being_sent(
        engine: Engine, clock: FixedClock) -> None:
    """The next batch is prepared while the current one goes out: a message of the same
    case still being sent counts against the caps as if sent, so the caps decide as they
    would with the batch prepared after the current one's outcomes are in."""
    today = local_today(clock)
    cases = seed(engine, clock, *[make_case(f"ACC-{i}", 3, today, email=f"q{i}@example.com")
                                  for i in range(2)])
    with engine.begin() as conn:  # two dunning messages per case, case by case
        enqueue(conn, [email_row(case, f"d-{i}-{j}", clock, step_id=f"s{j}")
                       for i, case in enumerate(cases) for j in range(2)])
    outcomes = []
    for ahead in (False, True):
        with engine.begin() as conn:
            conn.execute(update(M).values(status="queued", next_attempt_at=clock.now(),
                                          attempts=0, sent_at=None, provider_id=None))
            conn.execute(ContactDecisionRow.__table__.delete())  # type: ignore[attr-defined]
        c = container_for(engine, clock)
        c.channels[ChannelKind.EMAIL] = SlowEmail(ChannelKind.EMAIL, MemorySandboxStore(),
                                                  clock=clock)
        dispatcher = c.dispatcher
        if ahead:  # batch after batch, each prepared while the one before goes out
            sent = (await dispatcher.drain(limit=1)).sent
        else:  # one batch at a time, each prepared once the one before is recorded
            sent = sum([(await dispatcher.run_once(limit=1)).sent for _ in range(5)])
        outcomes.append(({r["idempotency_key"]: r["status"] for r in outbox(engine)}, sent))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] == 2  # the first message of each case; the caps hold the other
