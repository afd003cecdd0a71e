"""The unit of work and its repositories in memory (fast service tests, one-process demos).

They pass the same contract tests as the SQL ones (``tests/storage/contract``). A unit of
work holds the database's lock from ``__enter__`` to ``__exit__``, so units of work are
serialised; what is not committed is rolled back when the block ends.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from bot.conversations.dialog import Conversation, State
from bot.domain import events as ev
from bot.domain.case import Case, CaseStatus
from bot.domain.clock import Clock
from bot.domain.contacts import ContactPoint, mask_address
from bot.domain.messages import ChannelKind
from bot.domain.outbox import NewOutboxMessage
from bot.domain.portfolio import CaseRecord
from bot.domain.work_items import NewWorkItem, QueueItem
from bot.services.ports import (
    PREVIEW_CHARS,
    CaseSummary,
    ConcurrentUpdateError,
    DecisionRecord,
    DeliveryUpdate,
    EventRecord,
    Identity,
    InboxEntry,
    InboxFacets,
    InboxFilter,
    NewInboundMessage,
    SharedAddress,
    StoredMessage,
    UserRecord,
)
from storage.case_import import days_past_due_at_import
from storage.memory.accounts import (
    MemoryAuditLog,
    MemoryCampaignVersions,
    MemoryLoginAttempts,
    MemorySessionRepository,
)
from storage.memory.database import MemoryDatabase


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    external_ref: str
    name: str
    date_of_birth: date | None = None
    id_last4: str | None = None


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: int
    item: NewWorkItem
    done_at: datetime | None = None
    done_by: str | None = None


def _state(case: Case) -> tuple[object, ...]:
    return (tuple(getattr(case, f.name) for f in dataclasses.fields(case)
                  if f.name not in ("events", "contacts", "promises", "payments", "holds")),
            tuple(sorted(case.holds.items())),
            tuple(dataclasses.astuple(c) for c in case.contacts),
            tuple(dataclasses.astuple(p) for p in case.promises), len(case.payments))


def load_case(db: MemoryDatabase, case_id: int) -> tuple[Case, int] | None:
    """A fresh copy of the stored case (with its customer's contact points) and version."""
    stored = db["cases"].get(case_id)
    if stored is None:
        return None
    case, version = stored
    out = copy.deepcopy(case)
    out.contacts = copy.deepcopy(list(db["contacts"].get(case.customer_id, ())))
    out.promises.sort(key=lambda p: p.id or 0)
    out.payments.sort(key=lambda p: (p.paid_at, p.id or 0))
    out.customer_name = db["customers"][case.customer_id].name
    return out, version


def save_case(db: MemoryDatabase, case: Case, version: int, now: datetime) -> list[ev.Event]:
    """Write the case back (guarded by ``version``) with its contacts, promises, payments
    and events; returns the events written."""
    assert case.id is not None and case.customer_id is not None
    stored = db["cases"].get(case.id)
    if stored is None or stored[1] != version:
        raise ConcurrentUpdateError(f"case {case.account_id} changed concurrently")
    contacts = {cp.id: cp for cp in db["contacts"].get(case.customer_id, ())}
    known = {(cp.channel, cp.address): cp.id for cp in contacts.values()}
    for cp in case.contacts:
        if cp.id is None:  # a contact point the customer has already: the same one
            cp.id = known.get((cp.channel, cp.address)) or db.next_id("contacts")
        contacts[cp.id] = copy.deepcopy(cp)
    db.put("contacts", case.customer_id, tuple(contacts[k] for k in sorted(contacts)))
    for p in case.promises:
        if p.id is None:
            p.id = db.next_id("promises")
    for pay in case.payments:
        if pay.id is None:
            pay.id = db.next_id("payments")
    body = copy.deepcopy(dataclasses.replace(case, contacts=[], events=[]))
    db.put("cases", case.id, (body, version + 1))
    written = list(case.events)
    for e in written:
        record = EventRecord(db.next_id("events"), e.type, e.actor, e.at, e.payload())
        db.put("events", record.id, (case.id, record))
    case.events.clear()
    return written


class MemoryCaseRepository:
    def __init__(self, db: MemoryDatabase, now: datetime) -> None:
        self.db = db
        self.now = now
        self._seen: dict[int, tuple[Case, int, tuple[object, ...]]] = {}

    def _track(self, case_id: int) -> Case | None:
        if case_id in self._seen:
            return self._seen[case_id][0]
        loaded = load_case(self.db, case_id)
        if loaded is None:
            return None
        case, version = loaded
        self._seen[case_id] = (case, version, _state(case))
        return case

    def get(self, account_id: str) -> Case | None:
        case_id = self.db["accounts"].get(account_id)
        return None if case_id is None else self._track(case_id)

    def get_by_id(self, case_id: int) -> Case | None:
        return self._track(case_id)

    def find_by_contact(self, channel: ChannelKind, address: str) -> builtins.list[Case]:
        customers = {cid for cid, cps in self.db["contacts"].items()
                     if any(c.channel is channel and c.address == address for c in cps)}
        ids = sorted((i for i, (c, _) in self.db["cases"].items()
                      if c.customer_id in customers), reverse=True)
        cases = [c for c in (self._track(i) for i in ids) if c is not None]
        return sorted(cases, key=lambda c: c.closed)

    def add(self, case: Case, customer_ref: str | None = None) -> Case:
        ref = customer_ref or case.account_id
        customer_id = self.db["customer_refs"].get(ref)
        if customer_id is None:
            customer_id = self.db.next_id("customers")
            self.db.put("customers", customer_id,
                        Customer(customer_id, ref, case.customer_name))
            self.db.put("customer_refs", ref, customer_id)
        if case.account_id in self.db["accounts"]:
            raise ValueError(f"case {case.account_id} already exists")
        case.id, case.customer_id = self.db.next_id("cases"), customer_id
        case.events.insert(0, ev.CaseOpened(case.account_id, self.now, "system",
                                            case.balance_minor, case.currency))
        self.db.put("cases", case.id, (dataclasses.replace(case, contacts=[], events=[]), 1))
        self.db.put("accounts", case.account_id, case.id)
        self._seen[case.id] = (case, 1, ())
        return case

    def count(self, statuses: Sequence[str] | None = None) -> int:
        return sum(1 for c, _ in self.db["cases"].values()
                   if not statuses or c.status.value in statuses)

    def summaries(self, statuses: Sequence[str] | None = None, limit: int = 50,
                  offset: int = 0, holds: Sequence[str] | None = None
                  ) -> builtins.list[CaseSummary]:
        cases = sorted((c for c, _ in self.db["cases"].values()
                        if (not statuses or c.status.value in statuses)
                        and (not holds or any(h.value in holds for h in c.holds))),
                       key=lambda c: (-c.days_past_due, c.id or 0))
        return [CaseSummary(c.account_id, c.status.value, c.days_past_due, c.balance_minor,
                            c.currency, c.segment, c.risk_band,
                            tuple(h.value for h in c.holds))
                for c in cases[offset:offset + limit]]

    def flush(self) -> builtins.list[ev.Event]:
        published: builtins.list[ev.Event] = []
        for case_id, (case, version, loaded) in builtins.list(self._seen.items()):
            if not case.events and _state(case) == loaded:
                continue
            published += save_case(self.db, case, version, self.now)
            self._seen[case_id] = (case, version + 1, _state(case))
        return published


class MemoryCustomerRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def identity(self, customer_id: int) -> Identity | None:
        c = self.db["customers"].get(customer_id)
        return None if c is None else Identity(c.date_of_birth, c.id_last4)


def new_message(db: MemoryDatabase, values: dict[str, Any]) -> StoredMessage:
    """Store a message (a new id); returns it."""
    message = StoredMessage(id=db.next_id("messages"), **values)
    db.put("messages", message.id, message)
    if message.provider_id is not None:
        db.put("provider_ids", (message.channel, message.provider_id), message.id)
    return message


def enqueue(db: MemoryDatabase, messages: Sequence[NewOutboxMessage]) -> list[int]:
    """Store the outbox messages whose idempotency key is new; returns their ids."""
    ids = []
    for m in messages:
        if m["idempotency_key"] in db["message_keys"]:
            continue
        values: dict[str, Any] = dict(m)
        values["fallback_channels"] = tuple(m["fallback_channels"])
        message = new_message(db, values)
        db.put("message_keys", m["idempotency_key"], message.id)
        ids.append(message.id)
    return ids


def update_delivery(db: MemoryDatabase, u: DeliveryUpdate) -> None:
    old = db["messages"].get(u.message_id)
    if old is None:
        return
    changes: dict[str, Any] = {"status": u.status}
    for name in ("provider_id", "sent_at", "error_code", "error_reason"):
        if getattr(u, name) is not None:
            changes[name] = getattr(u, name)
    if u.set_next_attempt:
        changes["next_attempt_at"] = u.next_attempt_at
    if u.release_attempt:
        changes["attempts"] = max(0, old.attempts - 1)
    new = dataclasses.replace(old, **changes)
    db.put("messages", new.id, new)
    if new.provider_id is not None:
        db.put("provider_ids", (new.channel, new.provider_id), new.id)


def add_decisions(db: MemoryDatabase, decisions: Sequence[DecisionRecord]) -> int:
    """Store decisions; one with a key already stored is skipped. Returns how many."""
    added = 0
    for d in decisions:
        if d["key"] is not None and d["key"] in db["decision_keys"]:
            continue
        i = db.next_id("decisions")
        db.put("decisions", i, dict(d))
        if d["key"] is not None:
            db.put("decision_keys", d["key"], i)
        added += 1
    return added


def add_work_item(db: MemoryDatabase, item: NewWorkItem) -> int:
    i = db.next_id("work_items")
    db.put("work_items", i, WorkItem(i, item))
    return i


class MemoryMessageLog:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _messages(self) -> builtins.list[StoredMessage]:
        return builtins.list(self.db["messages"].values())

    def add_inbound(self, message: NewInboundMessage) -> int:
        return new_message(self.db, {
            "case_id": message.case_id, "contact_point_id": None, "direction": "in",
            "channel": message.channel, "address": message.address, "status": "received",
            "body": message.body, "subject": message.subject,
            "provider_id": message.provider_id, "thread_ref": message.thread_ref,
            "created_at": message.created_at, "actor": "customer", "intent": message.intent,
            "reading": None if message.reading is None else copy.deepcopy(dict(message.reading)),
        }).id

    def get(self, message_id: int) -> StoredMessage | None:
        return self.db["messages"].get(message_id)

    def _change(self, message_id: int, **changes: Any) -> None:
        old = self.db["messages"].get(message_id)
        if old is not None:
            self.db.put("messages", message_id, dataclasses.replace(old, **changes))

    def set_intent(self, message_id: int, intent: str) -> None:
        self._change(message_id, intent=intent)

    def set_reading(self, message_id: int, intent: str, reading: Mapping[str, Any]) -> None:
        self._change(message_id, intent=intent, reading=copy.deepcopy(dict(reading)))

    def set_case(self, message_id: int, case_id: int) -> None:
        self._change(message_id, case_id=case_id)

    def outbound_by_provider_id(self, channel: ChannelKind, provider_id: str
                                ) -> StoredMessage | None:
        found = self.db["provider_ids"].get((channel.value, provider_id))
        message = self.db["messages"].get(found) if found is not None else None
        return message if message is not None and message.direction == "out" else None

    def update_delivery(self, update: DeliveryUpdate) -> None:
        update_delivery(self.db, update)

    def _case_of_outbound(self, **match: str) -> int | None:
        for m in sorted(self._messages(), key=lambda m: m.id):
            if m.direction == "out" and m.case_id is not None and all(
                    getattr(m, k) == v for k, v in match.items()):
                return m.case_id
        return None

    def case_for_reply_token(self, token: str) -> int | None:
        return self._case_of_outbound(reply_token=token)

    def case_for_provider_id(self, provider_id: str) -> int | None:
        return self._case_of_outbound(provider_id=provider_id)

    def last_case_written_to(self, address: str, case_ids: Sequence[int]) -> int | None:
        sent = [m for m in self._messages() if m.address == address and m.direction == "out"
                and m.case_id in case_ids and m.created_at is not None]
        return max(sent, key=lambda m: m.created_at).case_id if sent else None  # type: ignore[arg-type,return-value]

    def last_inbound_channel(self, case_id: int) -> ChannelKind | None:
        got = [m for m in self._messages() if m.case_id == case_id and m.direction == "in"]
        if not got:
            return None
        return ChannelKind(max(got, key=lambda m: (m.created_at, m.id)).channel)

    def for_case(self, case_id: int, limit: int = 20) -> builtins.list[StoredMessage]:
        mine = [m for m in self._messages() if m.case_id == case_id]
        return sorted(mine, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]


class MemoryOutboxRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def enqueue(self, messages: Sequence[NewOutboxMessage]) -> builtins.list[int]:
        return enqueue(self.db, messages)


class MemoryWorkQueue:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add(self, item: NewWorkItem) -> int:
        return add_work_item(self.db, item)

    def open_items(self, limit: int = 100) -> builtins.list[QueueItem]:
        return self._open(limit)

    def open_for_case(self, case_id: int) -> builtins.list[QueueItem]:
        return self._open(None, case_id)

    def _open(self, limit: int | None, case_id: int | None = None
              ) -> builtins.list[QueueItem]:
        items = sorted((w for w in self.db["work_items"].values() if w.done_at is None
                        and (case_id is None or w.item.case_id == case_id)),
                       key=lambda w: (w.item.priority, w.item.created_at, w.id))
        out = []
        for w in items[:limit]:
            stored = self.db["cases"].get(w.item.case_id)
            case = stored[0] if stored else None
            out.append(QueueItem(w.id, w.item.kind, int(w.item.priority),
                                 case.account_id if case else None, w.item.detail,
                                 w.item.created_at, w.item.due_at,
                                 case.held_by if case else None))
        return out

    def _latest(self, case_id: int | None, campaign: bool = False) -> StoredMessage | None:
        mine = [m for m in self.db["messages"].values() if m.case_id == case_id
                and case_id is not None
                and (not campaign or (m.direction == "out" and m.campaign_id is not None))]
        return max(mine, key=lambda m: (m.direction == "in", m.created_at, m.id)) \
            if mine else None

    def inbox(self, wanted: InboxFilter, limit: int = 200) -> builtins.list[InboxEntry]:
        out = []
        for item in self._open(None):
            w = self.db["work_items"][item.id]
            stored = self.db["cases"].get(w.item.case_id)
            case = stored[0] if stored else None
            last = self._latest(w.item.case_id)
            camp = self._latest(w.item.case_id, campaign=True)
            campaign_id = camp.campaign_id if camp else None
            if wanted.kinds and item.kind.value not in wanted.kinds:
                continue
            if wanted.campaign and campaign_id != wanted.campaign:
                continue
            if wanted.language and (case is None or case.language != wanted.language):
                continue
            if wanted.holder == InboxFilter.NOBODY and case is not None \
                    and case.held_by is not None:
                continue
            if wanted.holder and wanted.holder != InboxFilter.NOBODY \
                    and (case is None or case.held_by != wanted.holder):
                continue
            customer = self.db["customers"].get(case.customer_id) if case else None
            out.append(InboxEntry(
                item, customer.name if customer else None, case.language if case else None,
                campaign_id, last.direction if last else None, last.channel if last else None,
                last.created_at if last else None,
                last.body[:PREVIEW_CHARS] if last else None, last.intent if last else None))
            if len(out) >= limit:
                break
        return out

    def inbox_facets(self) -> InboxFacets:
        kinds: dict[str, int] = {}
        campaigns, languages, holders = set(), set(), set()
        for item in self._open(None):
            kinds[item.kind.value] = kinds.get(item.kind.value, 0) + 1
            w = self.db["work_items"][item.id]
            stored = self.db["cases"].get(w.item.case_id)
            if stored is None:
                continue
            case = stored[0]
            languages.add(case.language)
            if case.held_by:
                holders.add(case.held_by)
            camp = self._latest(w.item.case_id, campaign=True)
            if camp is not None and camp.campaign_id:
                campaigns.add(camp.campaign_id)
        return InboxFacets(kinds, tuple(sorted(campaigns)), tuple(sorted(languages)),
                           tuple(sorted(holders)))

    def close(self, item_id: int, by: str, at: datetime) -> bool | None:
        w = self.db["work_items"].get(item_id)
        if w is None:
            return None
        if w.done_at is not None:
            return False
        self.db.put("work_items", item_id, dataclasses.replace(w, done_at=at, done_by=by))
        return True


class MemoryConversationRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def get(self, case_id: int) -> Conversation | None:
        stored = self.db["conversations"].get(case_id)
        return None if stored is None else copy.deepcopy(stored[0])

    def save(self, case_id: int, conversation: Conversation, now: datetime) -> None:
        stored = self.db["conversations"].get(case_id)
        locked_at = stored[1] if stored else None
        if conversation.state is State.LOCKED and locked_at is None:
            locked_at = now
        self.db.put("conversations", case_id, (copy.deepcopy(conversation), locked_at))

    def reset(self, case_id: int, now: datetime) -> None:
        if case_id in self.db["conversations"]:
            self.db.put("conversations", case_id, (Conversation(), None))


class MemoryDecisionLog:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add(self, decisions: Sequence[DecisionRecord]) -> None:
        for d in decisions:
            if d["key"] is not None and d["key"] in self.db["decision_keys"]:
                raise ValueError(f"decision {d['key']} is already recorded")
        add_decisions(self.db, decisions)


class MemoryEventLog:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def for_case(self, case_id: int) -> builtins.list[EventRecord]:
        return [r for i, (c, r) in sorted(self.db["events"].items()) if c == case_id]


class MemoryInboundLog:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def first_time(self, key: str, at: datetime) -> bool:
        if key in self.db["inbound_keys"]:
            return False
        self.db.put("inbound_keys", key, at)
        return True


class MemoryPaymentLedger:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def applied(self, reference: str) -> tuple[str, int] | None:
        for case, _ in self.db["cases"].values():
            for p in case.payments:
                if p.reference == reference and p.id is not None:
                    return case.account_id, p.amount_minor
        return None


class MemoryPortfolioWriter:
    """The same upsert as :mod:`storage.case_import`: never clears an opt-out, an invalid
    or wrong-party mark, and never changes a case's status."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def upsert(self, records: Sequence[CaseRecord], now: datetime, actor: str = "import"
               ) -> tuple[int, int]:
        db = self.db
        created = updated = 0
        for r in records:
            cid = db["customer_refs"].get(r.customer_ref)
            if cid is None:
                cid = db.next_id("customers")
                db.put("customer_refs", r.customer_ref, cid)
            db.put("customers", cid, Customer(cid, r.customer_ref, r.name, r.date_of_birth,
                                              r.id_last4))
            contacts = {(c.channel, c.address): c for c in db["contacts"].get(cid, ())}
            for c in r.contacts:
                old = contacts.get((ChannelKind(c.channel), c.address))
                if old is None:
                    old = ContactPoint(ChannelKind(c.channel), c.address,
                                       id=db.next_id("contacts"))
                new = dataclasses.replace(
                    old, consent=c.consent, consent_source=r.consent_source,
                    preferred_start=c.preferred_start, preferred_end=c.preferred_end,
                    forbidden_start=c.forbidden_start, forbidden_end=c.forbidden_end)
                contacts[(new.channel, new.address)] = new
            db.put("contacts", cid, tuple(sorted(contacts.values(), key=lambda c: c.id or 0)))
            fields = dict(
                customer_id=cid, product=r.product, currency=r.currency,
                balance_minor=r.balance_minor, minimum_payment_minor=r.minimum_payment_minor,
                due_date=r.due_date, days_past_due=days_past_due_at_import(r, now),
                segment=r.segment, risk_band_override=r.risk_band_override,
                timezone=r.timezone, timezone_candidates=tuple(r.timezone_candidates),
                language=r.language, country=r.country, time_barred=r.time_barred,
                limitation_date=r.limitation_date)
            case_id = db["accounts"].get(r.account_id)
            if case_id is None:
                case_id = db.next_id("cases")
                case = Case(account_id=r.account_id, customer_name=r.name, id=case_id,
                            status=CaseStatus.ACTIVE, risk_band=r.risk_band_override,
                            **fields)  # type: ignore[arg-type]
                db.put("cases", case_id, (case, 1))
                db.put("accounts", r.account_id, case_id)
                kind = "CaseOpened"
                payload: dict[str, Any] = {"balance_minor": r.balance_minor,
                                           "currency": r.currency}
                created += 1
            else:
                case, version = db["cases"][case_id]
                db.put("cases", case_id, (dataclasses.replace(case, **fields), version + 1))
                kind = "CaseUpdated"
                payload = {"fields": ["import"], "balance_minor": r.balance_minor}
                updated += 1
            record = EventRecord(db.next_id("events"), kind, actor, now, payload)
            db.put("events", record.id, (case_id, record))
        return created, updated

    def mark_shared(self, addresses: Sequence[tuple[ChannelKind, str]], now: datetime,
                    actor: str = "import") -> builtins.list[SharedAddress]:
        db = self.db
        wanted = set(addresses)
        holders: dict[tuple[ChannelKind, str], builtins.list[int]] = {}
        for cid, cps in sorted(db["contacts"].items()):
            for cp in cps:
                if (cp.channel, cp.address) in wanted:
                    holders.setdefault((cp.channel, cp.address), []).append(cid)
        out: builtins.list[SharedAddress] = []
        for (channel, address), customers in sorted(holders.items()):
            if len(customers) < 2:
                continue
            cases = sorted((i, c.account_id) for i, (c, _) in db["cases"].items()
                           if c.customer_id in customers)
            for cid in customers:
                cps = db["contacts"][cid]
                if all(cp.shared for cp in cps if (cp.channel, cp.address) == (channel, address)):
                    continue
                db.put("contacts", cid, tuple(
                    dataclasses.replace(cp, shared=True)
                    if (cp.channel, cp.address) == (channel, address) else cp for cp in cps))
                for case_id, _ in cases:
                    if db["cases"][case_id][0].customer_id != cid:
                        continue
                    record = EventRecord(db.next_id("events"), "ContactPointShared", actor, now,
                                         {"channel": channel.value,
                                          "address_masked": mask_address(address),
                                          "reason": f"held by {len(customers)} customers"})
                    db.put("events", record.id, (case_id, record))
            out.append(SharedAddress(channel, address, tuple(sorted(a for _, a in cases)),
                                     len(customers)))
        return out


class MemoryUserRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def get(self, username: str) -> UserRecord | None:
        return self.db["users"].get(username)

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        return next((u for u in self.db["users"].values() if u.token_hash == token_hash), None)

    def add(self, username: str, role: str, password_hash: str, token_hash: str,
            now: datetime) -> int:
        if username in self.db["users"]:
            raise ValueError(f"user {username!r} already exists")
        user = UserRecord(self.db.next_id("users"), username, role, password_hash, token_hash,
                          True, now)
        self.db.put("users", username, user)
        return user.id

    def get_by_id(self, user_id: int) -> UserRecord | None:
        return next((u for u in self.db["users"].values() if u.id == user_id), None)

    def all(self) -> builtins.list[UserRecord]:
        return [self.db["users"][name] for name in sorted(self.db["users"])]

    def _set(self, username: str, **changes: Any) -> None:
        user = self.db["users"].get(username)
        if user is not None:
            self.db.put("users", username, dataclasses.replace(user, **changes))

    def set_role(self, username: str, role: str) -> None:
        self._set(username, role=role)

    def set_active(self, username: str, active: bool) -> None:
        self._set(username, active=active)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self._set(username, password_hash=password_hash)

    def set_token_hash(self, username: str, token_hash: str | None) -> None:
        self._set(username, token_hash=token_hash)


class MemoryUnitOfWork:
    """``with uow: ...; uow.commit()``: leaving the block without commit rolls back."""

    def __init__(self, db: MemoryDatabase, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.published: builtins.list[ev.Event] = []

    def __enter__(self) -> Self:
        db = self.db
        db.begin()
        self.cases = MemoryCaseRepository(db, self.clock.now())
        self.customers = MemoryCustomerRepository(db)
        self.messages = MemoryMessageLog(db)
        self.outbox = MemoryOutboxRepository(db)
        self.work_items = MemoryWorkQueue(db)
        self.conversations = MemoryConversationRepository(db)
        self.decisions = MemoryDecisionLog(db)
        self.events = MemoryEventLog(db)
        self.inbound_events = MemoryInboundLog(db)
        self.payments = MemoryPaymentLedger(db)
        self.portfolio = MemoryPortfolioWriter(db)
        self.users = MemoryUserRepository(db)
        self.sessions = MemorySessionRepository(db)
        self.login_attempts = MemoryLoginAttempts(db)
        self.audit = MemoryAuditLog(db)
        self.campaigns = MemoryCampaignVersions(db)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.db.end()

    def flush(self) -> None:
        self.published.extend(self.cases.flush())

    def commit(self) -> None:
        savepoint = self.db.savepoint()
        try:
            self.flush()
        except BaseException:
            self.db.rollback_to(savepoint)
            raise
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback_to(0)
