"""The set-based stores in memory: the tick's, the dispatchers', the daily jobs' and the
reports' (same contracts as ``storage/plan_store.py`` and its siblings)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime

from bot.domain.case import Case, CaseStatus, PromiseStatus
from bot.domain.messages import REFUSALS, ChannelKind
from bot.domain.outbox import SENT_STATUSES, OutboxStatus
from bot.policy.engine import local_date
from bot.policy.history import SentRecord
from bot.services.ports import (
    CaseBundle,
    DecisionRecord,
    DeliveryUpdate,
    EventRecord,
    OutboxHealth,
    OutcomeFacts,
    RelatedSend,
    StoredMessage,
    TickBatch,
    TickBatchResult,
)
from bot.services.reports import event_kind
from storage.memory.database import MemoryDatabase
from storage.memory.uow import (
    add_decisions,
    add_work_item,
    enqueue,
    load_case,
    update_delivery,
)
from storage.related import relate

#: outbound statuses that mean "never sent" and statuses of a failed attempt
_NOT_SENT = frozenset({OutboxStatus.SUPPRESSED.value})
_FAILED = frozenset({OutboxStatus.FAILED.value, OutboxStatus.UNDELIVERED.value})
_CAPPED = frozenset({"dunning", "promise_reminder"})
_SENT = frozenset(s.value for s in SENT_STATUSES)
_REFUSALS = frozenset(r.value for r in REFUSALS)


def _open_ids(db: MemoryDatabase) -> list[int]:
    return sorted(i for i, (c, _) in db["cases"].items() if not c.status.closed)


def bundle(db: MemoryDatabase, case_id: int, *, with_messages: bool = True) -> CaseBundle:
    """What the tick knows of a case: the case, its sent history, when the customer wrote."""
    loaded = load_case(db, case_id)
    assert loaded is not None
    case, version = loaded
    out = CaseBundle(case, version)
    if not with_messages:
        return out
    for m in sorted(db["messages"].values(), key=lambda m: m.id):
        if m.case_id != case_id:
            continue
        if m.direction == "in":
            assert m.created_at is not None
            out.inbound.append(m.created_at)
        elif m.status in _NOT_SENT:
            if m.error_code and "opted_out" in m.error_code:  # as storage/case_stream.py
                assert m.created_at is not None
                out.history.append(SentRecord(
                    ChannelKind(m.channel), m.created_at, step_id=m.step_id,
                    campaign_id=m.campaign_id, variant=m.variant, ref=m.ref,
                    address=m.address, failed=True, refused=True))
        elif m.status not in _NOT_SENT:
            at = m.sent_at or m.created_at
            assert at is not None
            failed = m.status in _FAILED
            out.history.append(SentRecord(
                ChannelKind(m.channel), at, step_id=m.step_id, campaign_id=m.campaign_id,
                variant=m.variant, ref=m.ref, address=m.address, failed=failed,
                refused=failed and m.error_reason in _REFUSALS))
    for d in db["decisions"].values():
        if d["case_id"] == case_id and d["allowed"] and d["channel"] is None:
            out.history.append(SentRecord(None, d["at"], step_id=d["step_id"],
                                          campaign_id=d["campaign_id"]))
    _add_related(db, out)
    return out


def _add_related(db: MemoryDatabase, out: CaseBundle) -> None:
    """The cases at this case's addresses and their records (as storage/case_stream.py)."""
    case = out.case
    addresses = {cp.address for cp in case.contacts}
    holders = {cid: {cp.address for cp in cps} & addresses
               for cid, cps in db["contacts"].items()}
    others: dict[int, list[object]] = {
        i: [c.customer_id, c.account_id, holders[c.customer_id]]
        for i, (c, _) in db["cases"].items()
        if i != case.id and holders.get(c.customer_id)}
    if not others:
        return
    records: dict[int, list[SentRecord]] = defaultdict(list)
    for m in sorted(db["messages"].values(), key=lambda m: m.id):
        if m.case_id in others and m.direction == "out" and m.status not in _NOT_SENT:
            at = m.sent_at or m.created_at
            assert at is not None
            records[m.case_id].append(SentRecord(ChannelKind(m.channel), at,
                                                 address=m.address,
                                                 failed=m.status in _FAILED))
    relate(out, others, records)


class MemoryPlanStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def prepare(self) -> None:
        """Nothing to prepare in memory."""

    def finish(self) -> None:
        """Nothing to finish in memory."""

    def open_case_span(self) -> tuple[int, int] | None:
        with self.db.lock:
            ids = _open_ids(self.db)
        return (ids[0], ids[-1]) if ids else None

    def stream_open_cases(self, *, batch_size: int, after_id: int = 0,
                          until_id: int | None = None, limit: int | None = None
                          ) -> Iterator[list[CaseBundle]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        last, left = after_id, limit
        while left is None or left > 0:
            n = batch_size if left is None else min(batch_size, left)
            with self.db.lock:
                ids = [i for i in _open_ids(self.db)
                       if i > last and (until_id is None or i <= until_id)][:n]
                batch = [bundle(self.db, i) for i in ids]
            if not batch:
                return
            yield batch
            last = ids[-1]
            if left is not None:
                left -= len(batch)

    def write(self, batch: TickBatch, before_commit: Callable[[], None] | None = None
              ) -> TickBatchResult:
        db = self.db
        with db.transaction():
            enqueued = len(enqueue(db, batch.outbox))
            moved: set[int] = set()
            decisions = list(batch.decisions)
            for e in batch.escalations:
                stored = db["cases"].get(e.case_id)
                if stored is None or stored[1] != e.version:
                    continue
                case, version = stored
                db.put("cases", e.case_id, (dataclasses.replace(
                    case, status=CaseStatus(e.status)), version + 1))
                for x in e.events:
                    record = EventRecord(db.next_id("events"), x.type, x.actor, x.at,
                                         x.payload())
                    db.put("events", record.id, (e.case_id, record))
                add_work_item(db, e.work_item)
                decisions.append(e.decision)
                moved.add(e.case_id)
            recorded = add_decisions(db, decisions)
            if before_commit is not None:
                before_commit()
        return TickBatchResult(enqueued, recorded, frozenset(moved))


class MemoryDeliveryStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[int]:
        if limit < 1:
            return []
        db = self.db
        with db.transaction():
            due = sorted((m for m in db["messages"].values() if m.direction == "out"
                          and m.status in (OutboxStatus.QUEUED.value,
                                           OutboxStatus.SENDING.value)
                          and m.next_attempt_at is not None and m.next_attempt_at <= now),
                         key=lambda m: (m.next_attempt_at, m.id))[:limit]
            for m in due:
                db.put("messages", m.id, dataclasses.replace(
                    m, status=OutboxStatus.SENDING.value, next_attempt_at=lease_until,
                    attempts=m.attempts + 1))
        return sorted(m.id for m in due)

    def claimed(self, ids: Sequence[int]) -> dict[int, StoredMessage]:
        with self.db.lock:
            return {i: self.db["messages"][i] for i in ids if i in self.db["messages"]}

    def cases(self, case_ids: Sequence[int]) -> dict[int, Case]:
        with self.db.lock:
            out = {}
            for i in case_ids:
                loaded = load_case(self.db, i)
                if loaded is not None:
                    out[i] = loaded[0]
            return out

    def histories(self, case_ids: Sequence[int], since: datetime
                  ) -> dict[int, list[tuple[int, SentRecord]]]:
        wanted = set(case_ids)
        out: dict[int, list[tuple[int, SentRecord]]] = defaultdict(list)
        with self.db.lock:
            for m in sorted(self.db["messages"].values(), key=lambda m: m.id):
                if (m.case_id in wanted and m.direction == "out" and m.status in _SENT
                        and m.purpose in _CAPPED and m.sent_at is not None
                        and m.sent_at >= since):
                    out[m.case_id].append((m.id, SentRecord(ChannelKind(m.channel), m.sent_at,
                                                            m.step_id, address=m.address)))
        return out

    def related_histories(self, targets: Sequence[tuple[int, str]], since: datetime
                          ) -> dict[tuple[int, str], list[RelatedSend]]:
        out: dict[tuple[int, str], list[RelatedSend]] = defaultdict(list)
        db = self.db
        with db.lock:
            cases = {i: c for i, (c, _) in db["cases"].items()}
            for case_id, address in targets:
                mine = cases[case_id].customer_id if case_id in cases else None
                holders = {cid for cid, cps in db["contacts"].items()
                           if any(cp.address == address for cp in cps)}
                for m in sorted(db["messages"].values(), key=lambda m: m.id):
                    other_case = cases.get(m.case_id) if m.case_id is not None else None
                    if (other_case is None or m.case_id == case_id
                            or other_case.customer_id not in holders
                            or m.direction != "out" or m.purpose not in _CAPPED):
                        continue
                    other = other_case.customer_id != mine
                    if other and m.address != address:
                        continue
                    flying = m.status == OutboxStatus.SENDING.value
                    at = m.created_at if flying else m.sent_at
                    if at is None or not (flying or (m.status in _SENT and at >= since)):
                        continue
                    out[(case_id, address)].append(RelatedSend(m.id, SentRecord(
                        ChannelKind(m.channel), at, address=m.address,
                        account=other_case.account_id, other_customer=other), flying))
        return out

    #: one transaction at a time (the memory database's lock)
    record_writers = 1

    def hold_connections(self) -> None:
        """Nothing to hold in memory."""

    def release_connections(self) -> None:
        """Nothing held in memory."""

    def record(self, updates: Sequence[DeliveryUpdate],
               decisions: Sequence[DecisionRecord] = ()) -> None:
        with self.db.transaction():
            for u in updates:
                update_delivery(self.db, u)
            add_decisions(self.db, decisions)

    def renew(self, claims: Mapping[int, int], lease_until: datetime) -> list[int]:
        return self._fenced(claims, lambda m: dataclasses.replace(
            m, next_attempt_at=lease_until))

    def release(self, claims: Mapping[int, int], now: datetime) -> list[int]:
        return self._fenced(claims, lambda m: dataclasses.replace(
            m, status=OutboxStatus.QUEUED.value, next_attempt_at=now,
            attempts=max(0, m.attempts - 1)))

    def _fenced(self, claims: Mapping[int, int],
                change: Callable[[StoredMessage], StoredMessage]) -> list[int]:
        done: list[int] = []
        with self.db.transaction():
            for message_id, attempts in claims.items():
                m = self.db["messages"].get(message_id)
                if (m is not None and m.status == OutboxStatus.SENDING.value
                        and m.attempts == attempts):
                    self.db.put("messages", message_id, change(m))
                    done.append(message_id)
        return sorted(done)


class MemoryCaseMaintenance:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def update_days_past_due(self, now: datetime) -> int:
        changed = 0
        with self.db.transaction():
            for i in _open_ids(self.db):
                case, version = self.db["cases"][i]
                dpd = case.compute_days_past_due(local_date(case, now))
                if dpd != case.days_past_due:
                    self.db.put("cases", i, (dataclasses.replace(case, days_past_due=dpd),
                                             version + 1))
                    changed += 1
        return changed

    def overdue_promise_cases(self, now: datetime) -> list[int]:
        with self.db.lock:
            out = []
            for i in _open_ids(self.db):
                case = self.db["cases"][i][0]
                today = local_date(case, now)
                if any(p.status is PromiseStatus.PENDING and p.due is not None and p.due < today
                       for p in case.promises):
                    out.append(i)
            return out


class MemoryOutcomeSource:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def outcome_facts(self) -> OutcomeFacts:
        db = self.db
        with db.lock:
            messages = sorted(db["messages"].values(), key=lambda m: m.id)
            sent = sorted(((m.case_id, m.sent_at, m.step_id, m.variant, m.campaign_id)
                           for m in messages
                           if m.direction == "out" and m.step_id is not None
                           and m.status in _SENT and m.case_id is not None
                           and m.sent_at is not None), key=lambda r: (r[0], r[1]))
            inbound = [(m.case_id, m.created_at, m.intent) for m in messages
                       if m.direction == "in" and m.case_id is not None]
            cases = {i: c for i, (c, _) in db["cases"].items()}
            promises = sorted(((i, p.made_at, p.due, p.status.value) for i, c in cases.items()
                               for p in c.promises),
                              key=lambda r: (r[0], r[2] is None, r[2]))
            found: dict[str, list[tuple[int, datetime]]] = {
                "opt_out": [], "dispute": [], "complaint": []}
            for _, (c, r) in sorted(db["events"].items()):
                kind = event_kind(r.type, r.payload)
                if kind is not None:
                    found[kind].append((c, r.at))
            facts = {i: (c.status.value, c.due_date, c.balance_minor, c.minimum_payment_minor)
                     for i, c in cases.items()}
            payments = {i: sorted((p.paid_at, p.amount_minor) for p in c.payments)
                        for i, c in cases.items() if c.payments}
        return OutcomeFacts(sent, inbound, promises, found["opt_out"],  # type: ignore[arg-type]
                            facts, payments, found["dispute"], found["complaint"])


class MemoryOperationsStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def outbox_health(self, now: datetime) -> OutboxHealth:
        pending = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)
        depth: dict[tuple[str, str], int] = defaultdict(int)
        oldest: datetime | None = None
        with self.db.lock:
            for m in self.db["messages"].values():
                if m.status not in pending:
                    continue
                depth[(m.status, m.channel)] += 1
                due = m.next_attempt_at
                if due is not None and due <= now and (oldest is None or due < oldest):
                    oldest = due
        return OutboxHealth(dict(depth), oldest)

    def job_finished(self, job: str, started_at: datetime, finished_at: datetime) -> None:
        with self.db.transaction():
            self.db.put("job_runs", job, (started_at, finished_at))

    def jobs_finished(self) -> dict[str, datetime]:
        with self.db.lock:
            return {job: finished for job, (_, finished) in self.db["job_runs"].items()}
