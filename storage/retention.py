"""The retention purge's SQL (:class:`bot.services.ports.RetentionStore`).

Closed cases are found with three grouped reads (latest event, message and payment per
case); anonymising rewrites the personal columns of the chosen cases, their messages,
events, disputes, work items, payments, conversations and chat links, and of their
customers and contact points once no case of the customer is left un-anonymised, in one
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine

from bot.domain.events import CaseAnonymised
from bot.services.ports import ClosedCase
from storage.case_stream import CLOSED_STATUSES
from storage.tables.cases import CaseRow, ContactPointRow, CustomerRow, DisputeRow, PaymentRow
from storage.tables.chat import ChatLinkRow, ChatLinkTokenRow
from storage.tables.messages import CaseEventRow, ConversationRow, MessageRow
from storage.tables.work import WorkItemRow
from storage.types import UTCDateTime

CA = CaseRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
DI = DisputeRow.__table__  # type: ignore[attr-defined]
WI = WorkItemRow.__table__  # type: ignore[attr-defined]
CO = ConversationRow.__table__  # type: ignore[attr-defined]
CL = ChatLinkRow.__table__  # type: ignore[attr-defined]
CT = ChatLinkTokenRow.__table__  # type: ignore[attr-defined]

#: event payload keys that carry no personal data (codes, amounts, dates); the rest
#: (reasons, masked addresses, sources, names) goes
SAFE_EVENT_KEYS = frozenset({
    "hold", "old", "new", "outcome", "amount_minor", "balance_after_minor", "balance_minor",
    "currency", "channel", "promise_ref", "due", "until", "fields",
})
CHUNK = 500


def anonymous_account(case_id: int) -> str:
    """What an anonymised case's account id becomes (unique, says nothing)."""
    return f"ANON-{case_id}"


def scrub_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (payload or {}).items() if k in SAFE_EVENT_KEYS}


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


class SqlRetentionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def closed_cases(self, inactive_since: datetime) -> list[ClosedCase]:
        closed = select(CA.c.id).where(CA.c.status.in_(CLOSED_STATUSES),
                                       CA.c.anonymised_at.is_(None)).scalar_subquery()
        with self.engine.connect() as conn:
            cases = conn.execute(select(CA.c.id, CA.c.account_id, CA.c.country, CA.c.holds)
                                 .where(CA.c.id.in_(closed))).all()
            latest: dict[int, datetime | None] = {}
            for column, table in ((EV.c.at, EV), (MS.c.created_at, MS), (MS.c.sent_at, MS),
                                  (PA.c.paid_at, PA)):
                rows = conn.execute(
                    select(table.c.case_id, func.max(column, type_=UTCDateTime))
                    .where(table.c.case_id.in_(closed)).group_by(table.c.case_id))
                for case_id, at in rows:
                    latest[case_id] = _latest(latest.get(case_id), at)
        out = []
        for case_id, account_id, country, holds in cases:
            at = latest.get(case_id)
            # a case with no recorded activity at all is kept: nothing says how old it is
            if at is not None and at < inactive_since:
                out.append(ClosedCase(case_id, account_id, country, tuple(sorted(holds or {})),
                                      at))
        return sorted(out, key=lambda c: (c.last_activity, c.case_id))

    def anonymise(self, case_ids: Sequence[int], now: datetime, actor: str,
                  reason: str) -> int:
        done = 0
        with self.engine.begin() as conn:
            rows = conn.execute(select(CA.c.id, CA.c.account_id, CA.c.customer_id, CA.c.holds)
                                .where(CA.c.id.in_(list(case_ids)),
                                       CA.c.anonymised_at.is_(None))).all()
            customers: set[int] = set()
            for case_id, account_id, customer_id, holds in rows:
                self._case(conn, case_id, account_id, holds or {}, now, actor, reason)
                customers.add(customer_id)
                done += 1
            for chunk in _chunks(sorted(customers)):
                live = set(conn.execute(select(CA.c.customer_id).where(
                    CA.c.customer_id.in_(chunk), CA.c.anonymised_at.is_(None))).scalars())
                for customer_id in chunk:
                    if customer_id not in live:
                        self._customer(conn, customer_id)
        return done

    @staticmethod
    def _case(conn: Connection, case_id: int, account_id: str, holds: dict[str, str],
              now: datetime, actor: str, reason: str) -> None:
        conn.execute(update(CA).where(CA.c.id == case_id).values(
            account_id=anonymous_account(case_id), holds={h: "" for h in holds},
            assigned_collector=None, anonymised_at=now, updated_at=now,
            version=CA.c.version + 1))
        conn.execute(update(MS).where(MS.c.case_id == case_id).values(
            address="", body="", subject=None, reply_token=None, thread_ref=None))
        conn.execute(update(DI).where(DI.c.case_id == case_id).values(reason=""))
        conn.execute(update(WI).where(WI.c.case_id == case_id).values(detail=""))
        conn.execute(delete(CO).where(CO.c.case_id == case_id))
        conn.execute(delete(CL).where(CL.c.case_ref == account_id))
        conn.execute(delete(CT).where(CT.c.case_ref == account_id))
        for pay_id in conn.execute(select(PA.c.id).where(PA.c.case_id == case_id)).scalars():
            conn.execute(update(PA).where(PA.c.id == pay_id).values(reference=f"ANON-P{pay_id}"))
        for ev_id, payload in conn.execute(select(EV.c.id, EV.c.payload)
                                           .where(EV.c.case_id == case_id)).all():
            conn.execute(update(EV).where(EV.c.id == ev_id).values(
                payload=scrub_payload(payload)))
        event = CaseAnonymised(anonymous_account(case_id), now, actor, reason)
        conn.execute(EV.insert().values(case_id=case_id, type=event.type,
                                        payload=event.payload(), actor=actor, at=now))

    @staticmethod
    def _customer(conn: Connection, customer_id: int) -> None:
        conn.execute(update(CU).where(CU.c.id == customer_id).values(
            external_ref=f"ANON-C{customer_id}", name="", date_of_birth=None, id_last4=None))
        for cp_id in conn.execute(select(CP.c.id).where(CP.c.customer_id == customer_id)
                                  ).scalars():
            conn.execute(update(CP).where(CP.c.id == cp_id).values(
                address=f"anon-{cp_id}", verified=False, opt_out_source=None,
                invalid_reason=None))
