"""A read model of one case for the CLI and the console: masked, JSON-ready."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.contacts import mask_address
from bot.domain.money import from_minor
from bot.services.ports import UnitOfWork


def case_view(uow: UnitOfWork, account_id: str, messages: int = 10,
              events: int | None = 50) -> dict[str, Any] | None:
    """The case as the CLI and console show it; None when there is no such account.

    Addresses are masked. Days past due are counted on the customer's local date;
    ``events`` are the last ones recorded (in the order they were written).
    """
    case = uow.cases.get(account_id)
    if case is None or case.id is None:
        return None
    try:
        zone = ZoneInfo(case.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    today = uow.clock.now().astimezone(zone).date()
    cur = case.currency

    def money(minor: int | None) -> str | None:
        return None if minor is None else str(from_minor(minor, cur))

    msgs = uow.messages.for_case(case.id, limit=messages)
    # in the order written: a payment imported late carries the time it was paid, and
    # by ``at`` it would sort before events recorded earlier and drop out of "the last N"
    evs = uow.events.for_case(case.id)
    if events is not None:
        evs = evs[-events:]
    return {
        "account_id": case.account_id,
        "customer": case.customer_name,
        "status": case.status.value,
        "holds": {h.value: r for h, r in case.holds.items()},
        "breathing_space_until": (case.breathing_space_until.isoformat()
                                  if case.breathing_space_until else None),
        "held_by": case.held_by,
        "balance": money(case.balance_minor),
        "currency": cur,
        "minimum_payment": money(case.minimum_payment_minor),
        "due_date": case.due_date.isoformat(),
        "days_past_due": case.compute_days_past_due(today),
        "bucket": case.bucket(today),
        "segment": case.segment,
        "risk_band": case.risk_band_override or case.risk_band,
        "product": case.product,
        "timezone": case.timezone,
        "timezone_ambiguous": case.timezone_ambiguous,
        "timezone_candidates": list(case.timezone_candidates),
        "language": case.language,
        "assigned_collector": case.assigned_collector,
        "contact_points": [
            {"channel": c.channel.value, "address": mask_address(c.address),
             "consent": c.consent, "consent_source": c.consent_source,
             "usable": c.usable, "unusable_because": c.why_unusable(),
             "opted_out_at": c.opted_out_at.isoformat() if c.opted_out_at else None,
             "verified": c.verified}
            for c in case.contacts
        ],
        "promises": [
            {"ref": p.ref, "amount": money(p.amount_minor),
             "date": p.due.isoformat() if p.due else None, "status": p.status.value,
             "paid": money(p.paid_minor)}
            for p in case.promises
        ],
        "payments": [
            {"reference": p.reference, "amount": money(p.amount_minor),
             "paid_at": p.paid_at.isoformat()}
            for p in case.payments
        ],
        "messages": [
            {"at": m.created_at.isoformat() if m.created_at else None,
             "direction": m.direction, "channel": m.channel,
             "to_or_from": mask_address(m.address), "template": m.template_id,
             "status": m.status, "intent": m.intent, "body": m.body}
            for m in msgs
        ],
        "events": [
            {"at": e.at.isoformat(), "type": e.type, "actor": e.actor, "payload": e.payload}
            for e in evs
        ],
    }
