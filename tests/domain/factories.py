"""Builders for case-domain tests: a case in any status, reached through public methods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain import events as ev
from bot.domain.case import Case, CaseStatus, Hold
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
DUE = date(2026, 11, 1)
PHONE = "+14155550123"
EMAIL = "jordan@example.com"


def new_case(**kw: object) -> Case:
    """A fresh active USD case, 1,000.00 owed, minimum 50.00, phone and email."""
    values: dict[str, object] = {
        "account_id": "ACC-1", "currency": "USD", "balance_minor": 100_000, "due_date": DUE,
        "customer_name": "Jordan Example", "minimum_payment_minor": 5_000,
        "contacts": [ContactPoint(ChannelKind.SMS, PHONE), ContactPoint(ChannelKind.EMAIL, EMAIL)],
    }
    values.update(kw)
    return Case(**values)  # type: ignore[arg-type]


def reach(status: CaseStatus, **kw: object) -> Case:
    """A case brought to ``status`` through the public methods, events cleared."""
    case = new_case(**kw)
    if status is CaseStatus.PROMISED:
        case.make_promise([(10_000, DUE + timedelta(days=40))], AT, "bot")
    elif status is CaseStatus.DISPUTED:
        case.open_dispute(AT, "customer", "not mine")
    elif status is CaseStatus.LEGAL_HOLD:
        case.place_hold(Hold.ATTORNEY, AT, "collector:ann", "represented")
    elif status is CaseStatus.LEGAL_REVIEW:
        case.escalate_to_legal_review(AT, "campaign", "final step")
    elif status is CaseStatus.CLOSED_PAID:
        case.record_payment("PAY-ALL", case.balance_minor, AT)
    elif status is CaseStatus.CLOSED_WRITTEN_OFF:
        case.write_off(AT, "collector:ann", "uneconomic")
    assert case.status is status
    case.events.clear()
    return case


def status_moves(case: Case) -> list[tuple[str, str]]:
    return [(e.old, e.new) for e in case.events if isinstance(e, ev.StatusChanged)]


def of_type(case: Case, kind: type[ev.Event]) -> list[ev.Event]:
    return [e for e in case.events if isinstance(e, kind)]
