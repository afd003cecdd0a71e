"""Bulk upsert of imported portfolio rows (customers, cases, contact points, events).

Set-based INSERT ... ON CONFLICT in chunks: a 100,000-row file is a few hundred
statements, not 100,000 ORM round trips. An upsert never clears an opt-out, an invalid
mark or a wrong-party mark on a contact point, and never changes a case's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from bot.domain.contacts import mask_address
from bot.domain.messages import ChannelKind
from bot.domain.portfolio import CaseRecord
from bot.services.ports import SharedAddress
from storage.db import upsert
from storage.tables.cases import CaseRow, ContactPointRow, CustomerRow
from storage.tables.messages import CaseEventRow

CT = CustomerRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]


def _insert(conn: Connection, table: Any) -> Any:
    return upsert(conn, table)


def days_past_due_at_import(r: CaseRecord, now: datetime) -> int:
    """As ``Case.compute_days_past_due`` for a case without payments yet."""
    if r.balance_minor <= 0:
        return 0
    return (now.astimezone(ZoneInfo(r.timezone)).date() - r.due_date).days


class SqlPortfolioWriter:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, records: Sequence[CaseRecord], now: datetime, actor: str = "import"
               ) -> tuple[int, int]:
        return upsert_cases(self.session.connection(), records, now, actor)

    def mark_shared(self, addresses: Sequence[tuple[ChannelKind, str]], now: datetime,
                    actor: str = "import") -> list[SharedAddress]:
        return mark_shared(self.session.connection(), addresses, now, actor)


_CHUNK = 1000


def mark_shared(conn: Connection, addresses: Sequence[tuple[ChannelKind, str]],
                now: datetime, actor: str = "import") -> list[SharedAddress]:
    """See :meth:`bot.services.ports.PortfolioWriter.mark_shared` (indexed reads by
    address, then one update and one event insert)."""
    wanted = {(c.value, a) for c, a in addresses}
    plain = sorted({a for _, a in wanted})
    holders: dict[tuple[str, str], dict[int, tuple[int, bool]]] = {}
    for i in range(0, len(plain), _CHUNK):
        for channel, address, customer_id, cp_id, shared in conn.execute(
                select(CP.c.channel, CP.c.address, CP.c.customer_id, CP.c.id, CP.c.shared)
                .where(CP.c.address.in_(plain[i:i + _CHUNK]))):
            if (channel, address) in wanted:
                holders.setdefault((channel, address), {})[customer_id] = (cp_id, bool(shared))
    many = {k: v for k, v in holders.items() if len(v) > 1}
    if not many:
        return []
    customers = sorted({c for v in many.values() for c in v})
    accounts: dict[int, list[tuple[int, str]]] = {}
    for i in range(0, len(customers), _CHUNK):
        for case_id, customer_id, account in conn.execute(
                select(CA.c.id, CA.c.customer_id, CA.c.account_id)
                .where(CA.c.customer_id.in_(customers[i:i + _CHUNK]))):
            accounts.setdefault(customer_id, []).append((case_id, account))
    fresh = [(k, cp_id, customer_id) for k, v in many.items()
             for customer_id, (cp_id, shared) in v.items() if not shared]
    ids = [cp_id for _, cp_id, _ in fresh]
    for i in range(0, len(ids), _CHUNK):
        conn.execute(update(CP).where(CP.c.id.in_(ids[i:i + _CHUNK])).values(shared=True))
    events = [{
        "case_id": case_id, "type": "ContactPointShared",
        "payload": {"channel": channel, "address_masked": mask_address(address),
                    "reason": f"held by {len(many[(channel, address)])} customers"},
        "actor": actor, "at": now,
    } for (channel, address), _, customer_id in fresh
        for case_id, _ in accounts.get(customer_id, ())]
    if events:
        conn.execute(EV.insert(), events)
    return [SharedAddress(ChannelKind(channel), address,
                          tuple(sorted(a for c in v for _, a in accounts.get(c, ()))), len(v))
            for (channel, address), v in sorted(many.items())]


def upsert_cases(conn: Connection, records: Sequence[CaseRecord], now: datetime,
                 actor: str = "import") -> tuple[int, int]:
    """Insert or update one chunk; returns (created, updated)."""
    if not records:
        return 0, 0
    # one customer row per ref; the last row in the chunk wins for name/identity data
    customers: dict[str, dict[str, Any]] = {}
    for r in records:
        customers[r.customer_ref] = {
            "external_ref": r.customer_ref, "name": r.name, "date_of_birth": r.date_of_birth,
            "id_last4": r.id_last4, "created_at": now, "updated_at": now,
        }
    stmt = _insert(conn, CT)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["external_ref"],
        set_={"name": stmt.excluded.name, "date_of_birth": stmt.excluded.date_of_birth,
              "id_last4": stmt.excluded.id_last4, "updated_at": stmt.excluded.updated_at},
    ), list(customers.values()))
    cust_ids: dict[str, int] = dict(conn.execute(
        select(CT.c.external_ref, CT.c.id).where(CT.c.external_ref.in_(list(customers)))).all())

    accounts = [r.account_id for r in records]
    existing: set[str] = set(conn.execute(
        select(CA.c.account_id).where(CA.c.account_id.in_(accounts))).scalars())
    rows: list[dict[str, Any]] = [{
        "account_id": r.account_id, "customer_id": cust_ids[r.customer_ref],
        "product": r.product, "currency": r.currency, "balance_minor": r.balance_minor,
        "minimum_payment_minor": r.minimum_payment_minor, "due_date": r.due_date,
        "days_past_due": days_past_due_at_import(r, now),
        "status": "active", "holds": {}, "segment": r.segment,
        "risk_band": r.risk_band_override, "risk_band_override": r.risk_band_override,
        "timezone": r.timezone, "timezone_candidates": r.timezone_candidates,
        "language": r.language, "country": r.country, "version": 1,
        "time_barred": r.time_barred, "limitation_date": r.limitation_date,
        "created_at": now, "updated_at": now,
    } for r in records]
    stmt = _insert(conn, CA)
    ex = stmt.excluded
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["account_id"],
        set_={"customer_id": ex.customer_id, "product": ex.product, "currency": ex.currency,
              "balance_minor": ex.balance_minor,
              "minimum_payment_minor": ex.minimum_payment_minor, "due_date": ex.due_date,
              "days_past_due": ex.days_past_due,
              "segment": ex.segment, "risk_band_override": ex.risk_band_override,
              "timezone": ex.timezone, "timezone_candidates": ex.timezone_candidates,
              "language": ex.language, "country": ex.country, "updated_at": ex.updated_at,
              "time_barred": ex.time_barred, "limitation_date": ex.limitation_date,
              "version": CA.c.version + 1},
    ), rows)
    case_ids: dict[str, int] = dict(conn.execute(
        select(CA.c.account_id, CA.c.id).where(CA.c.account_id.in_(accounts))).all())

    contacts: dict[tuple[int, str, str], dict[str, Any]] = {}
    for r in records:
        for c in r.contacts:
            cid = cust_ids[r.customer_ref]
            contacts[(cid, c.channel, c.address)] = {
                "customer_id": cid, "channel": c.channel, "address": c.address,
                "role": "customer", "consent": c.consent, "consent_source": r.consent_source,
                "preferred_start": c.preferred_start, "preferred_end": c.preferred_end,
                "forbidden_start": c.forbidden_start, "forbidden_end": c.forbidden_end,
                "verified": False, "created_at": now,
            }
    if contacts:
        stmt = _insert(conn, CP)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["customer_id", "channel", "address"],
            set_={"consent": stmt.excluded.consent,
                  "consent_source": stmt.excluded.consent_source,
                  "preferred_start": stmt.excluded.preferred_start,
                  "preferred_end": stmt.excluded.preferred_end,
                  "forbidden_start": stmt.excluded.forbidden_start,
                  "forbidden_end": stmt.excluded.forbidden_end},
        ), list(contacts.values()))

    events = []
    for r in records:
        created = r.account_id not in existing
        events.append({
            "case_id": case_ids[r.account_id],
            "type": "CaseOpened" if created else "CaseUpdated",
            "payload": ({"balance_minor": r.balance_minor, "currency": r.currency} if created
                        else {"fields": ["import"], "balance_minor": r.balance_minor}),
            "actor": actor, "at": now,
        })
    conn.execute(EV.insert(), events)
    n_created = sum(1 for a in accounts if a not in existing)
    return n_created, len(accounts) - n_created
