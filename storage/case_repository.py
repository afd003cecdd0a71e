"""The case aggregate in SQL: cases with their customer, contact points, promises and
payments, loaded through :mod:`storage.case_stream` (the one row-to-Case mapping) and
saved back with optimistic concurrency on ``collection_case.version``."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Text, func, or_, select, type_coerce, update
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from bot.domain import events as ev
from bot.domain.case import Case
from bot.domain.messages import ChannelKind
from bot.services.ports import CaseSummary, ConcurrentUpdateError, Identity
from storage.case_stream import load_cases_by_id
from storage.models import (
    CaseEventRow,
    CaseRow,
    ContactPointRow,
    CustomerRow,
    DisputeRow,
    PaymentRow,
    PromiseRow,
)

CA = CaseRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
_CASE_FIELDS = (
    "product", "currency", "balance_minor", "minimum_payment_minor", "due_date",
    "days_past_due", "status", "holds", "segment", "risk_band", "risk_band_override",
    "timezone", "timezone_candidates", "language", "country", "assigned_collector", "held_by",
    "payment_claim_until", "breathing_space_until", "time_barred", "limitation_date",
)


def _state(case: Case) -> tuple[object, ...]:
    """Everything the repository writes for a case, to tell whether it changed."""
    fields = tuple(getattr(case, name) for name in _CASE_FIELDS if name != "holds")
    return (fields, tuple(sorted(case.holds.items())),
            tuple(dataclasses.astuple(c) for c in case.contacts),
            tuple(dataclasses.astuple(p) for p in case.promises), len(case.payments))


class SqlCaseRepository:
    """Cases with their contact points, promises and payments.

    Loaded cases are tracked; :meth:`flush` writes every tracked case back and appends
    its pending domain events to ``case_event``. Saves use optimistic concurrency on
    ``collection_case.version``.
    """

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._seen: dict[str, tuple[Case, int, tuple[object, ...]]] = {}
        self._by_id: dict[int, Case] = {}

    # -------------------------------------------------------------- loading
    def _track(self, case_ids: Iterable[int]) -> builtins.list[Case]:
        """The cases with these ids (tracked ones as tracked), in the order given."""
        ids = builtins.list(dict.fromkeys(case_ids))
        missing = [i for i in ids if i not in self._by_id]
        if missing:
            for bundle in load_cases_by_id(self.session.connection(), missing,
                                           with_messages=False).values():
                case = bundle.case
                assert case.id is not None
                self._seen[case.account_id] = (case, bundle.version, _state(case))
                self._by_id[case.id] = case
        return [self._by_id[i] for i in ids if i in self._by_id]

    def get(self, account_id: str) -> Case | None:
        if account_id in self._seen:
            return self._seen[account_id][0]
        found = self.session.execute(select(CA.c.id).where(CA.c.account_id == account_id)
                                     ).scalar()
        return None if found is None else next(iter(self._track([found])), None)

    def get_by_id(self, case_id: int) -> Case | None:
        return next(iter(self._track([case_id])), None)

    def find_by_contact(self, channel: ChannelKind, address: str) -> builtins.list[Case]:
        ids = self.session.execute(
            select(CA.c.id)
            .join(CP, CP.c.customer_id == CA.c.customer_id)
            .where(CP.c.channel == channel.value, CP.c.address == address)
            .order_by(CA.c.id.desc())).scalars()
        return sorted(self._track(ids), key=lambda c: c.closed)

    def count(self, statuses: Sequence[str] | None = None) -> int:
        q = select(func.count()).select_from(CA)
        if statuses:
            q = q.where(CA.c.status.in_(builtins.list(statuses)))
        return int(self.session.execute(q).scalar_one())

    def summaries(self, statuses: Sequence[str] | None = None, limit: int = 50,
                  offset: int = 0, holds: Sequence[str] | None = None
                  ) -> builtins.list[CaseSummary]:
        q = (select(CA.c.account_id, CA.c.status, CA.c.days_past_due, CA.c.balance_minor,
                    CA.c.currency, CA.c.segment, CA.c.risk_band, CA.c.holds)
             .order_by(CA.c.days_past_due.desc(), CA.c.id))
        if statuses:
            q = q.where(CA.c.status.in_(builtins.list(statuses)))
        if holds:
            # ``holds`` is a JSON object kept as compact text ({"vulnerable":"why",...}):
            # a key is the one place a quoted name is followed by a bare colon (a quote
            # inside a value is escaped)
            q = q.where(or_(*(type_coerce(CA.c.holds, Text).like(_key_pattern(h), escape="\\")
                              for h in holds)))
        return [CaseSummary(a, st, dpd, bal, cur, seg, risk, tuple(holds or {}))
                for a, st, dpd, bal, cur, seg, risk, holds in
                self.session.execute(q.offset(offset).limit(limit))]

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
        self._write_case_fields(row, case)
        s.add(row)
        s.flush()
        case.id, case.customer_id = row.id, customer.id
        case.events.insert(0, ev.CaseOpened(case.account_id, self.now, "system",
                                            case.balance_minor, case.currency))
        self._seen[case.account_id] = (case, row.version, ())
        self._by_id[row.id or 0] = case
        return case

    # -------------------------------------------------------------- saving
    @staticmethod
    def _write_case_fields(row: CaseRow, case: Case) -> None:
        row.product = case.product
        row.currency = case.currency
        row.balance_minor = case.balance_minor
        row.minimum_payment_minor = case.minimum_payment_minor
        row.due_date = case.due_date
        row.days_past_due = case.days_past_due
        row.status = case.status.value
        row.holds = {h.value: r for h, r in case.holds.items()}
        row.segment = case.segment
        row.risk_band = case.risk_band
        row.risk_band_override = case.risk_band_override
        row.timezone = case.timezone
        row.timezone_candidates = list(case.timezone_candidates)
        row.language = case.language
        row.country = case.country
        row.assigned_collector = case.assigned_collector
        row.held_by = case.held_by
        row.payment_claim_until = case.payment_claim_until
        row.breathing_space_until = case.breathing_space_until
        row.time_barred = case.time_barred
        row.limitation_date = case.limitation_date

    def flush(self) -> builtins.list[ev.Event]:
        """Write tracked cases back; returns the events persisted (for handlers).

        The case row is updated with ``WHERE version = <version loaded>``: if another
        transaction saved the case in between, nothing matches and the command fails
        with :class:`ConcurrentUpdateError` instead of silently losing that change.
        """
        s = self.session
        published: builtins.list[ev.Event] = []
        for case, version, loaded in list(self._seen.values()):
            assert case.id is not None and case.customer_id is not None
            if not case.events and _state(case) == loaded:
                continue  # untouched: no write, no version bump, no false conflicts
            probe = CaseRow(account_id=case.account_id, customer_id=case.customer_id,
                            currency=case.currency, balance_minor=case.balance_minor,
                            due_date=case.due_date)
            self._write_case_fields(probe, case)
            values = {name: getattr(probe, name) for name in _CASE_FIELDS}
            result = s.execute(
                update(CaseRow)
                .where(col(CaseRow.id) == case.id, col(CaseRow.version) == version)
                .values(**values, version=version + 1, updated_at=self.now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdateError(f"case {case.account_id} changed concurrently")
            self._save_contacts(case)
            self._save_promises(case)
            self._save_payments(case)
            for e in case.events:
                s.add(CaseEventRow(case_id=case.id, type=e.type, payload=e.payload(),
                                   actor=e.actor, at=e.at))
                self._record_dispute(case.id, e)
            published.extend(case.events)
            case.events.clear()
            self._seen[case.account_id] = (case, version + 1, _state(case))
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

    def _save_contacts(self, case: Case) -> None:
        s = self.session
        for cp in case.contacts:
            row = s.get(ContactPointRow, cp.id) if cp.id is not None else None
            if row is None:  # a contact point the customer has already: the same one
                row = s.exec(orm_select(ContactPointRow).where(
                    ContactPointRow.customer_id == case.customer_id,
                    ContactPointRow.channel == cp.channel.value,
                    ContactPointRow.address == cp.address)).first()
            if row is None:
                row = ContactPointRow(customer_id=case.customer_id or 0, channel=cp.channel.value,
                                      address=cp.address, created_at=self.now)
            for name in ("consent", "consent_source", "opted_out_at", "opt_out_source",
                         "invalid_at", "invalid_reason", "wrong_party_at", "preferred_start",
                         "preferred_end", "forbidden_start", "forbidden_end", "verified", "role",
                         "shared"):
                setattr(row, name, getattr(cp, name))
            s.add(row)
            if cp.id is None:
                s.flush()
                cp.id = row.id

    def _save_promises(self, case: Case) -> None:
        s = self.session
        for p in case.promises:
            row = s.get(PromiseRow, p.id) if p.id is not None else None
            if row is None:
                row = PromiseRow(case_id=case.id or 0, ref=p.ref)
            row.amount_minor, row.due, row.status = p.amount_minor, p.due, p.status.value
            row.paid_minor, row.made_at = p.paid_minor, p.made_at
            row.source_message_id = p.source_message_id
            s.add(row)
            if p.id is None:
                s.flush()
                p.id = row.id

    def _save_payments(self, case: Case) -> None:
        s = self.session
        for p in case.payments:
            if p.id is None:
                row = PaymentRow(case_id=case.id or 0, reference=p.reference,
                                 amount_minor=p.amount_minor, paid_at=p.paid_at,
                                 created_at=self.now)
                s.add(row)
                s.flush()
                p.id = row.id


class SqlCustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def identity(self, customer_id: int) -> Identity | None:
        row = self.session.get(CustomerRow, customer_id)
        return None if row is None else Identity(row.date_of_birth, row.id_last4)


def _key_pattern(name: str) -> str:
    """A LIKE pattern matching ``"name":`` anywhere in a JSON text."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}":%'
