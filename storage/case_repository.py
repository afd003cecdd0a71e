"""The case aggregate in SQL: cases with their customer, contact points, promises and
payments, loaded through :mod:`storage.case_stream` (the one row-to-Case mapping) and
saved back with optimistic concurrency on ``collection_case.version``."""

from __future__ import annotations

import builtins
import dataclasses
import operator
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, bindparam, insert, or_, select, type_coerce, update
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from bot.domain import events as ev
from bot.domain.case import Case, Promise
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.services.ports import CaseBundle, CaseSummary, ConcurrentUpdateError, Identity
from storage.case_stream import HeldCases, load_case_by_id, load_cases_at, load_cases_by_id
from storage.conversation_rows import remember_conversations
from storage.raw_sql import RawStatement
from storage.tables.cases import (
    CaseRow,
    ContactPointRow,
    CustomerRow,
    DisputeRow,
    PaymentRow,
    PromiseRow,
)
from storage.tables.messages import CaseEventRow

CA = CaseRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
_CASE_FIELDS = (
    "product", "currency", "balance_minor", "minimum_payment_minor", "due_date",
    "days_past_due", "status", "holds", "segment", "risk_band", "risk_band_override",
    "timezone", "timezone_candidates", "language", "country", "assigned_collector", "held_by",
    "payment_claim_until", "breathing_space_until", "time_barred", "limitation_date",
)
#: what a save writes of an existing contact point and of a promise
_CONTACT_FIELDS = ("consent", "consent_source", "opted_out_at", "opt_out_source",
                   "invalid_at", "invalid_reason", "wrong_party_at", "preferred_start",
                   "preferred_end", "forbidden_start", "forbidden_end", "verified", "role",
                   "shared")
_PROMISE_FIELDS = ("amount_minor", "due", "status", "paid_minor", "made_at",
                   "source_message_id")
_case_scalars = operator.attrgetter(*(n for n in _CASE_FIELDS if n != "holds"))
_contact_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(ContactPoint)))
_promise_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Promise)))

# Statements built once: a customer's message loads and saves its case, and building a
# statement per call cost more CPU than the database spends on it.
_UPDATE_CASE = RawStatement(
    update(CA).where(CA.c.id == bindparam("case_id"), CA.c.version == bindparam("loaded"))
    .values({**{name: bindparam(f"v_{name}", type_=CA.c[name].type) for name in _CASE_FIELDS},
             "version": bindparam("new_version"), "updated_at": bindparam("now")}))
_UPDATE_CONTACT = RawStatement(update(CP).where(CP.c.id == bindparam("cp_id")).values(
    {name: bindparam(f"v_{name}", type_=CP.c[name].type) for name in _CONTACT_FIELDS}))
_UPDATE_PROMISE = RawStatement(update(PR).where(PR.c.id == bindparam("promise_id")).values(
    {name: bindparam(f"v_{name}", type_=PR.c[name].type) for name in _PROMISE_FIELDS}))
_INSERT_PROMISE = RawStatement(insert(PR).values(
    {name: bindparam(f"v_{name}", type_=PR.c[name].type)
     for name in ("case_id", "ref", *_PROMISE_FIELDS)}).returning(PR.c.id))
_INSERT_PAYMENT = RawStatement(insert(PA).values(
    {name: bindparam(f"v_{name}", type_=PA.c[name].type)
     for name in ("case_id", "reference", "amount_minor", "paid_at", "created_at")}
).returning(PA.c.id))
_INSERT_EVENT = RawStatement(insert(EV).values(
    {name: bindparam(f"v_{name}", type_=EV.c[name].type)
     for name in ("case_id", "type", "payload", "actor", "at")}))
_IDENTITY = RawStatement(
    select(CU.c.date_of_birth, CU.c.id_last4).where(CU.c.id == bindparam("id")))


def _state(case: Case) -> tuple[Any, ...]:
    """Everything the repository writes for a case, to tell whether it changed (the
    values are immutable, so a shallow copy is a snapshot)."""
    return (_case_scalars(case), tuple(sorted(case.holds.items())),
            tuple(_contact_fields(c) for c in case.contacts),
            tuple(_promise_fields(p) for p in case.promises), len(case.payments))


def _case_values(case: Case) -> dict[str, Any]:
    """The ``collection_case`` columns of ``case`` (those a save writes)."""
    return {
        "product": case.product, "currency": case.currency,
        "balance_minor": case.balance_minor,
        "minimum_payment_minor": case.minimum_payment_minor, "due_date": case.due_date,
        "days_past_due": case.days_past_due, "status": case.status.value,
        "holds": {h.value: r for h, r in case.holds.items()}, "segment": case.segment,
        "risk_band": case.risk_band, "risk_band_override": case.risk_band_override,
        "timezone": case.timezone, "timezone_candidates": list(case.timezone_candidates),
        "language": case.language, "country": case.country,
        "assigned_collector": case.assigned_collector, "held_by": case.held_by,
        "payment_claim_until": case.payment_claim_until,
        "breathing_space_until": case.breathing_space_until,
        "time_barred": case.time_barred, "limitation_date": case.limitation_date,
    }


_CP_ID = [f.name for f in dataclasses.fields(ContactPoint)].index("id")
_PROMISE_ID = [f.name for f in dataclasses.fields(Promise)].index("id")


@dataclasses.dataclass(slots=True)
class _Tracked:
    """A tracked case and what it held when last read or written (its version, and
    :func:`_state`)."""

    case: Case
    version: int
    state: tuple[Any, ...]


class SqlCaseRepository:
    """Cases with their contact points, promises and payments.

    Loaded cases are tracked; :meth:`flush` writes every tracked case back and appends
    its pending domain events to ``case_event``. Saves use optimistic concurrency on
    ``collection_case.version``.
    """

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._seen: dict[str, _Tracked] = {}
        self._by_id: dict[int, Case] = {}

    # -------------------------------------------------------------- loading
    def _adopt(self, bundles: Iterable[CaseBundle]) -> None:
        """Track the loaded cases not tracked yet (a tracked case stays as it is)."""
        for bundle in bundles:
            case = bundle.case
            assert case.id is not None
            if case.id not in self._by_id:
                self._seen[case.account_id] = _Tracked(case, bundle.version, _state(case))
                self._by_id[case.id] = case

    def _held(self, held: HeldCases) -> None:
        """Track cases read for updating; their conversation rows, read with them, are
        kept for the conversation repository of this transaction."""
        self._adopt(held.bundles.values())
        remember_conversations(self.session, held.conversations)

    def _track(self, case_ids: Iterable[int]) -> builtins.list[Case]:
        """The cases with these ids (tracked ones as tracked), in the order given."""
        ids = builtins.list(dict.fromkeys(case_ids))
        missing = [i for i in ids if i not in self._by_id]
        if len(missing) == 1:
            self._held(load_case_by_id(self.session.connection(), missing[0]))
        elif missing:
            self._adopt(load_cases_by_id(self.session.connection(), missing,
                                         with_messages=False).values())
        return [self._by_id[i] for i in ids if i in self._by_id]

    def get(self, account_id: str) -> Case | None:
        if account_id in self._seen:
            return self._seen[account_id].case
        found = self.session.execute(select(CA.c.id).where(CA.c.account_id == account_id)
                                     ).scalar()
        return None if found is None else next(iter(self._track([found])), None)

    def get_by_id(self, case_id: int) -> Case | None:
        return next(iter(self._track([case_id])), None)

    def find_by_contact(self, channel: ChannelKind, address: str) -> builtins.list[Case]:
        """The cases at the address, newest first, open before closed (one read of the
        cases with their contact points and conversations; promises and payments when
        there are some)."""
        held = load_cases_at(self.session.connection(), channel.value, address)
        self._held(held)
        return sorted((self._by_id[i] for i in reversed(held.bundles)), key=lambda c: c.closed)

    def count(self, statuses: Sequence[str] | None = None) -> int:
        from storage.read_statements import READS

        if statuses:
            q, params = READS["case_count_in"], {"statuses": builtins.list(statuses)}
        else:
            q, params = READS["case_count"], {}
        return int(self.session.execute(q, params).scalar_one())

    def summaries(self, statuses: Sequence[str] | None = None, limit: int = 50,
                  offset: int = 0, holds: Sequence[str] | None = None
                  ) -> builtins.list[CaseSummary]:
        from storage.read_statements import case_summaries

        where = []
        if statuses:
            where.append(CA.c.status.in_(builtins.list(statuses)))
        if holds:
            # ``holds`` is a JSON object kept as compact text ({"vulnerable":"why",...}):
            # a key is the one place a quoted name is followed by a bare colon (a quote
            # inside a value is escaped)
            where.append(or_(*(type_coerce(CA.c.holds, Text).like(_key_pattern(h), escape="\\")
                               for h in holds)))
        return [CaseSummary(a, st, dpd, bal, cur, seg, risk, tuple(holds or {}))
                for a, st, dpd, bal, cur, seg, risk, holds in
                self.session.execute(case_summaries(*where),
                                     {"limit": limit, "offset": offset})]

    # -------------------------------------------------------------- adding
    def add(self, case: Case, customer_ref: str | None = None) -> Case:
        """Insert a new case (and its customer and contact points)."""
        s = self.session
        ref = customer_ref or case.account_id
        customer = s.exec(orm_select(CustomerRow).where(CustomerRow.external_ref == ref)).first()
        if customer is None:
            customer = CustomerRow(external_ref=ref, name=case.customer_name,
                                   created_at=self.now, updated_at=self.now)
            s.add(customer)
            s.flush()
        assert customer.id is not None
        row = CaseRow(
            account_id=case.account_id, customer_id=customer.id, currency=case.currency,
            balance_minor=case.balance_minor, due_date=case.due_date,
            created_at=self.now, updated_at=self.now,
        )
        for name, value in _case_values(case).items():
            setattr(row, name, value)
        s.add(row)
        s.flush()
        case.id, case.customer_id = row.id, customer.id
        case.events.insert(0, ev.CaseOpened(case.account_id, self.now, "system",
                                            case.balance_minor, case.currency))
        self._seen[case.account_id] = _Tracked(case, row.version, ())
        self._by_id[row.id or 0] = case
        return case

    # -------------------------------------------------------------- saving
    def flush(self) -> builtins.list[ev.Event]:
        """Write tracked cases back; returns the events persisted (for handlers).

        The case row is updated with ``WHERE version = <version loaded>``: if another
        transaction saved the case in between, nothing matches and the command fails
        with :class:`ConcurrentUpdateError` instead of silently losing that change.
        Only the contact points and promises that changed are written.
        """
        s = self.session
        published: builtins.list[ev.Event] = []
        for tracked in builtins.list(self._seen.values()):
            case, version = tracked.case, tracked.version
            assert case.id is not None and case.customer_id is not None
            state = _state(case)
            if not case.events and state == tracked.state:
                continue  # untouched: no write, no version bump, no false conflicts
            conn = s.connection()
            values = {f"v_{name}": value for name, value in _case_values(case).items()}
            changed = _UPDATE_CASE.run(conn, {**values, "case_id": case.id, "loaded": version,
                                              "new_version": version + 1, "now": self.now})
            if changed != 1:
                raise ConcurrentUpdateError(f"case {case.account_id} changed concurrently")
            loaded = tracked.state
            self._save_contacts(conn, case, loaded[2] if loaded else ())
            self._save_promises(conn, case, loaded[3] if loaded else ())
            self._save_payments(conn, case)
            for e in case.events:
                _INSERT_EVENT.run(conn, {"v_case_id": case.id, "v_type": e.type,
                                         "v_payload": e.payload(), "v_actor": e.actor,
                                         "v_at": e.at})
                self._record_dispute(case.id, e)
            published.extend(case.events)
            case.events.clear()
            self._seen[case.account_id] = _Tracked(case, version + 1, _state(case))
        s.flush()
        return published

    def _record_dispute(self, case_id: int, e: ev.Event) -> None:
        """Keep the ``dispute`` table (one row per dispute) in step with the events."""
        if isinstance(e, ev.DisputeOpened):
            self.session.add(DisputeRow(case_id=case_id, reason=e.reason[:500], opened_at=e.at))
        elif isinstance(e, ev.DisputeResolved):
            self.session.flush()
            row = self.session.exec(orm_select(DisputeRow).where(
                DisputeRow.case_id == case_id, col(DisputeRow.resolved_at).is_(None))
                .order_by(col(DisputeRow.id).desc())).first()
            if row is not None:
                row.resolved_at, row.outcome = e.at, e.outcome
                self.session.add(row)

    def _save_contacts(self, conn: Connection, case: Case,
                       loaded: Sequence[Any]) -> None:
        """Update the contact points that changed since ``loaded`` (their state then);
        insert new ones (or take over the customer's row for the same address)."""
        before = {c[_CP_ID]: c for c in loaded}
        for cp in case.contacts:
            if cp.id is not None:
                if before.get(cp.id) != _contact_fields(cp):
                    _UPDATE_CONTACT.run(conn, {
                        "cp_id": cp.id,
                        **{f"v_{name}": getattr(cp, name) for name in _CONTACT_FIELDS}})
                continue
            s = self.session
            # a contact point the customer has already: the same one
            row = s.exec(orm_select(ContactPointRow).where(
                ContactPointRow.customer_id == case.customer_id,
                ContactPointRow.channel == cp.channel.value,
                ContactPointRow.address == cp.address)).first()
            if row is None:
                row = ContactPointRow(customer_id=case.customer_id or 0, channel=cp.channel.value,
                                      address=cp.address, created_at=self.now)
            for name in _CONTACT_FIELDS:
                setattr(row, name, getattr(cp, name))
            s.add(row)
            s.flush()
            cp.id = row.id

    def _save_promises(self, conn: Connection, case: Case, loaded: Sequence[Any]) -> None:
        """Update the promises that changed since ``loaded``; insert new ones."""
        before = {p[_PROMISE_ID]: p for p in loaded}
        for p in case.promises:
            if p.id is not None and before.get(p.id) == _promise_fields(p):
                continue
            values = {"v_amount_minor": p.amount_minor, "v_due": p.due,
                      "v_status": p.status.value, "v_paid_minor": p.paid_minor,
                      "v_made_at": p.made_at, "v_source_message_id": p.source_message_id}
            if p.id is not None:
                _UPDATE_PROMISE.run(conn, {"promise_id": p.id, **values})
            else:
                p.id = int(_INSERT_PROMISE.all(conn, {
                    "v_case_id": case.id, "v_ref": p.ref, **values})[0][0])

    def _save_payments(self, conn: Connection, case: Case) -> None:
        for p in case.payments:
            if p.id is None:
                p.id = int(_INSERT_PAYMENT.all(conn, {
                    "v_case_id": case.id, "v_reference": p.reference,
                    "v_amount_minor": p.amount_minor, "v_paid_at": p.paid_at,
                    "v_created_at": self.now})[0][0])


class SqlCustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def identity(self, customer_id: int) -> Identity | None:
        row = _IDENTITY.first(self.session.connection(), {"id": customer_id})
        return None if row is None else Identity(row[0], row[1])


def _key_pattern(name: str) -> str:
    """A LIKE pattern matching ``"name":`` anywhere in a JSON text."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}":%'
