"""The retention purge in memory (:class:`bot.services.ports.RetentionStore`): the same
rules as :mod:`storage.retention`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from bot.domain.case import Case
from bot.domain.events import CaseAnonymised
from bot.services.ports import ClosedCase, EventRecord
from storage.memory.chat_links import MemoryChatLinkStore
from storage.memory.database import MemoryDatabase
from storage.retention import anonymous_account, scrub_payload


class MemoryRetentionStore:
    def __init__(self, db: MemoryDatabase, chat_links: MemoryChatLinkStore) -> None:
        self.db = db
        self.chat_links = chat_links

    def closed_cases(self, inactive_since: datetime) -> list[ClosedCase]:
        db = self.db
        with db.lock:
            closed = {i: c for i, (c, _) in db["cases"].items()
                      if c.closed and i not in db["anonymised"]}
            latest: dict[int, datetime] = {}

            def seen(case_id: int | None, at: datetime | None) -> None:
                if case_id in closed and at is not None:
                    assert case_id is not None
                    latest[case_id] = max(at, latest.get(case_id, at))

            for case_id, record in db["events"].values():
                seen(case_id, record.at)
            for m in db["messages"].values():
                seen(m.case_id, m.created_at)
                seen(m.case_id, m.sent_at)
            for case_id, case in closed.items():
                for pay in case.payments:
                    seen(case_id, pay.paid_at)
        out = [ClosedCase(i, c.account_id, c.country, tuple(sorted(h.value for h in c.holds)),
                          latest[i])
               for i, c in closed.items() if i in latest and latest[i] < inactive_since]
        return sorted(out, key=lambda c: (c.last_activity, c.case_id))

    def anonymise(self, case_ids: Sequence[int], now: datetime, actor: str,
                  reason: str) -> int:
        db = self.db
        done = 0
        with db.transaction():
            customers: set[int] = set()
            for case_id in case_ids:
                stored = db["cases"].get(case_id)
                if stored is None or case_id in db["anonymised"]:
                    continue
                case, version = stored
                self._case(case_id, case, version, now, actor, reason)
                assert case.customer_id is not None
                customers.add(case.customer_id)
                done += 1
            for customer_id in customers:
                if all(i in db["anonymised"] for i, (c, _) in db["cases"].items()
                       if c.customer_id == customer_id):
                    self._customer(customer_id)
        return done

    def _case(self, case_id: int, case: Case, version: int, now: datetime, actor: str,
              reason: str) -> None:
        db = self.db
        old_account = case.account_id
        new = dataclasses.replace(
            case, account_id=anonymous_account(case_id), holds=dict.fromkeys(case.holds, ""),
            assigned_collector=None,
            payments=[dataclasses.replace(p, reference=f"ANON-P{p.id}")
                      for p in case.payments])
        db.put("cases", case_id, (new, version + 1))
        db.delete("accounts", old_account)
        db.put("accounts", new.account_id, case_id)
        db.put("anonymised", case_id, now)
        for mid, m in list(db["messages"].items()):
            if m.case_id == case_id:
                db.put("messages", mid, dataclasses.replace(
                    m, address="", body="", subject=None, reply_token=None, thread_ref=None))
        for wid, item in list(db["work_items"].items()):
            if item.item.case_id == case_id:
                db.put("work_items", wid, dataclasses.replace(
                    item, item=dataclasses.replace(item.item, detail="")))
        for eid, (cid, record) in list(db["events"].items()):
            if cid == case_id:
                db.put("events", eid, (cid, dataclasses.replace(
                    record, payload=scrub_payload(record.payload))))
        db.delete("conversations", case_id)
        event = CaseAnonymised(new.account_id, now, actor, reason)
        record = EventRecord(db.next_id("events"), event.type, actor, now, event.payload())
        db.put("events", record.id, (case_id, record))
        self.chat_links.forget_case(old_account)

    def _customer(self, customer_id: int) -> None:
        db = self.db
        customer = db["customers"][customer_id]
        db.delete("customer_refs", customer.external_ref)
        anon = dataclasses.replace(customer, external_ref=f"ANON-C{customer_id}", name="",
                                   date_of_birth=None, id_last4=None)
        db.put("customers", customer_id, anon)
        db.put("customer_refs", anon.external_ref, customer_id)
        db.put("contacts", customer_id, tuple(
            dataclasses.replace(cp, address=f"anon-{cp.id}", verified=False,
                                opt_out_source=None, invalid_reason=None)
            for cp in db["contacts"].get(customer_id, ())))
