"""Repositories: load and save domain aggregates through a SQLModel session."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.domain import events as ev
from bot.domain.case import Case, CaseStatus, Hold, Payment, Promise, PromiseStatus
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from storage.models import (
    CaseEventRow,
    CaseRow,
    ContactPointRow,
    CustomerRow,
    DisputeRow,
    MessageRow,
    PaymentRow,
    PromiseRow,
)

_CASE_FIELDS = (
    "product", "currency", "balance_minor", "minimum_payment_minor", "due_date",
    "days_past_due", "status", "holds", "segment", "risk_band", "risk_band_override",
    "timezone", "timezone_candidates", "language", "country", "assigned_collector", "held_by",
    "payment_claim_until",
)


def _state(case: Case) -> tuple[object, ...]:
    """Everything the repository writes for a case, to tell whether it changed."""
    fields = tuple(getattr(case, name) for name in _CASE_FIELDS if name != "holds")
    return (fields, tuple(sorted(case.holds.items())),
            tuple(dataclasses.astuple(c) for c in case.contacts),
            tuple(dataclasses.astuple(p) for p in case.promises), len(case.payments))


class ConcurrentUpdateError(RuntimeError):
    """The case changed in another transaction since it was loaded; retry the command."""


def contact_from_row(row: ContactPointRow) -> ContactPoint:
    return ContactPoint(
        channel=ChannelKind(row.channel), address=row.address, consent=row.consent,
        consent_source=row.consent_source, opted_out_at=row.opted_out_at,
        opt_out_source=row.opt_out_source, invalid_at=row.invalid_at,
        invalid_reason=row.invalid_reason, wrong_party_at=row.wrong_party_at,
        preferred_start=row.preferred_start, preferred_end=row.preferred_end,
        forbidden_start=row.forbidden_start, forbidden_end=row.forbidden_end,
        verified=row.verified, role=row.role, id=row.id,
    )


def case_from_rows(
    row: CaseRow,
    customer: CustomerRow,
    contacts: Iterable[ContactPointRow],
    promises: Iterable[PromiseRow],
    payments: Iterable[PaymentRow],
) -> Case:
    return Case(
        account_id=row.account_id, currency=row.currency, balance_minor=row.balance_minor,
        due_date=row.due_date, customer_name=customer.name, product=row.product,
        minimum_payment_minor=row.minimum_payment_minor, status=CaseStatus(row.status),
        holds={Hold(k): v for k, v in (row.holds or {}).items()}, segment=row.segment,
        risk_band=row.risk_band, risk_band_override=row.risk_band_override,
        timezone=row.timezone, timezone_candidates=tuple(row.timezone_candidates or ()),
        language=row.language, country=row.country, assigned_collector=row.assigned_collector,
        held_by=row.held_by, days_past_due=row.days_past_due,
        contacts=[contact_from_row(c) for c in contacts],
        promises=[
            Promise(p.ref, p.amount_minor, p.due, PromiseStatus(p.status), p.made_at,
                    p.paid_minor, p.source_message_id, p.id)
            for p in sorted(promises, key=lambda p: p.id or 0)
        ],
        payments=[Payment(p.reference, p.amount_minor, p.paid_at, p.id)
                  for p in sorted(payments, key=lambda p: p.paid_at)],
        payment_claim_until=row.payment_claim_until, id=row.id, customer_id=row.customer_id,
    )


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

    # -------------------------------------------------------------- loading
    def _load(self, row: CaseRow | None) -> Case | None:
        if row is None:
            return None
        if row.account_id in self._seen:
            return self._seen[row.account_id][0]
        s = self.session
        customer = s.get(CustomerRow, row.customer_id)
        assert customer is not None
        contacts = s.exec(select(ContactPointRow).where(
            ContactPointRow.customer_id == row.customer_id)).all()
        promises = s.exec(select(PromiseRow).where(PromiseRow.case_id == row.id)).all()
        payments = s.exec(select(PaymentRow).where(PaymentRow.case_id == row.id)).all()
        case = case_from_rows(row, customer, contacts, promises, payments)
        self._seen[row.account_id] = (case, row.version, _state(case))
        return case

    def get(self, account_id: str) -> Case | None:
        row = self.session.exec(select(CaseRow).where(CaseRow.account_id == account_id)).first()
        return self._load(row)

    def get_by_id(self, case_id: int) -> Case | None:
        return self._load(self.session.get(CaseRow, case_id))

    def find_by_contact(self, channel: ChannelKind, address: str) -> list[Case]:
        """Open cases first, newest first; a contact point may reach several accounts."""
        rows = self.session.exec(
            select(CaseRow)
            .join(ContactPointRow, col(ContactPointRow.customer_id) == col(CaseRow.customer_id))
            .where(ContactPointRow.channel == channel.value, ContactPointRow.address == address)
            .order_by(col(CaseRow.id).desc())
        ).all()
        cases = [c for c in (self._load(r) for r in rows) if c is not None]
        return sorted(cases, key=lambda c: c.closed)

    def count(self, status: str | None = None,
              statuses: builtins.list[str] | None = None) -> int:
        """Cases in ``status`` (or any of ``statuses``); all cases when neither is given."""
        q = select(func.count()).select_from(CaseRow)
        if status:
            q = q.where(CaseRow.status == status)
        if statuses:
            q = q.where(col(CaseRow.status).in_(statuses))
        return int(self.session.exec(q).one())

    def list(self, statuses: builtins.list[str] | None = None, limit: int = 50,
             offset: int = 0) -> builtins.list[CaseRow]:
        q = select(CaseRow).order_by(col(CaseRow.days_past_due).desc(), col(CaseRow.id))
        if statuses:
            q = q.where(col(CaseRow.status).in_(statuses))
        return list(self.session.exec(q.offset(offset).limit(limit)).all())

    # -------------------------------------------------------------- adding
    def add(self, case: Case, customer_ref: str | None = None) -> Case:
        """Insert a new case (and its customer and contact points)."""
        s = self.session
        ref = customer_ref or case.account_id
        customer = s.exec(select(CustomerRow).where(CustomerRow.external_ref == ref)).first()
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
            row = self.session.exec(select(DisputeRow).where(
                DisputeRow.case_id == case_id, col(DisputeRow.resolved_at).is_(None))
                .order_by(col(DisputeRow.id).desc())).first()
            if row is not None:
                row.resolved_at, row.outcome = e.at, e.outcome
                self.session.add(row)

    def _save_contacts(self, case: Case) -> None:
        s = self.session
        for cp in case.contacts:
            row = s.get(ContactPointRow, cp.id) if cp.id is not None else None
            if row is None:
                row = ContactPointRow(customer_id=case.customer_id or 0, channel=cp.channel.value,
                                      address=cp.address, created_at=self.now)
            for name in ("consent", "consent_source", "opted_out_at", "opt_out_source",
                         "invalid_at", "invalid_reason", "wrong_party_at", "preferred_start",
                         "preferred_end", "forbidden_start", "forbidden_end", "verified", "role"):
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


class SqlMessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: MessageRow) -> MessageRow:
        self.session.add(row)
        self.session.flush()
        return row

    def by_provider_id(self, channel: str, provider_id: str) -> MessageRow | None:
        return self.session.exec(select(MessageRow).where(
            MessageRow.channel == channel, MessageRow.provider_id == provider_id)).first()

    def for_case(self, case_id: int, limit: int = 20) -> list[MessageRow]:
        rows = self.session.exec(
            select(MessageRow).where(MessageRow.case_id == case_id)
            .order_by(col(MessageRow.created_at).desc(), col(MessageRow.id).desc()).limit(limit)
        ).all()
        return list(rows)


class SqlEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_case(self, case_id: int, limit: int | None = None) -> list[CaseEventRow]:
        q = select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(
            col(CaseEventRow.at), col(CaseEventRow.id))
        if limit:
            q = q.limit(limit)
        return list(self.session.exec(q).all())
