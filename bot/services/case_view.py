"""A read model of one case for the CLI and the console: masked, JSON-ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.campaigns.model import EventKind
from bot.domain.contacts import mask_address
from bot.domain.money import from_minor
from bot.domain.outbox import SENT_STATUSES
from bot.policy.profiles import get_profile
from bot.services.ports import UnitOfWork

if TYPE_CHECKING:
    from bot.services.campaign_book import CampaignBook

_SENT = frozenset(s.value for s in SENT_STATUSES)


def case_view(uow: UnitOfWork, account_id: str, messages: int = 10,
              events: int | None = 50, campaigns: CampaignBook | None = None
              ) -> dict[str, Any] | None:
    """The case as the CLI and console show it; None when there is no such account.

    Addresses are masked. Days past due are counted on the customer's local date;
    ``events`` are the last ones recorded (in the order they were written). With
    ``campaigns``: the campaign and profile that govern the case, and (profiles that
    require one) when its validation notice went and when the validation period ends.
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

    campaign = campaigns.for_case(case) if campaigns is not None else None
    profile = get_profile(campaign.profile) if campaign is not None else None
    validation: dict[str, Any] | None = None
    if campaign is not None and profile is not None \
            and profile.validation_notice_days is not None:
        # the period's end counts holidays: their calendars only for a case that has one
        from bot.policy.validation import validation_period_end

        steps = {s.id for s in campaign.event_steps(EventKind.VALIDATION_NOTICE)}
        sent = sorted(m.sent_at for m in uow.messages.for_case(case.id, limit=10_000)
                      if m.direction == "out" and m.step_id in steps and m.status in _SENT
                      and m.sent_at is not None)
        validation = {"notice_sent_at": sent[0].isoformat() if sent else None,
                      "period_ends": validation_period_end(
                          sent[0].astimezone(zone).date(), profile, case.country).isoformat()
                      if sent else None}
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
        "campaign": campaign.id if campaign is not None else None,
        "profile": profile.name if profile is not None else None,
        "time_barred": case.is_time_barred(today),
        "limitation_date": case.limitation_date.isoformat() if case.limitation_date else None,
        "validation": validation,
        "assigned_collector": case.assigned_collector,
        "contact_points": [
            {"channel": c.channel.value, "address": mask_address(c.address),
             "consent": c.consent, "consent_source": c.consent_source,
             "usable": c.usable, "unusable_because": c.why_unusable(),
             "opted_out_at": c.opted_out_at.isoformat() if c.opted_out_at else None,
             "verified": c.verified, "shared": c.shared}
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
             "status": m.status, "intent": m.intent, "body": m.body,
             "id": m.id, "subject": m.subject, "actor": m.actor, "purpose": m.purpose,
             "campaign": m.campaign_id, "step": m.step_id, "variant": m.variant,
             "error_code": m.error_code, "error_reason": m.error_reason,
             "sent_at": m.sent_at.isoformat() if m.sent_at else None,
             "reading": m.reading}
            for m in msgs
        ],
        "queue_items": [i.as_dict() for i in uow.work_items.open_for_case(case.id)],
        "events": [
            {"at": e.at.isoformat(), "type": e.type, "actor": e.actor, "payload": e.payload}
            for e in evs
        ],
    }


#: the kinds of entry on a case's timeline
TIMELINE_KINDS = ("message", "event", "promise", "payment")


def timeline(view: dict[str, Any]) -> list[dict[str, Any]]:
    """One list of what happened on a case, oldest first: its messages (both ways),
    events, promises (when each was made, from its ``PromiseMade`` event, else its due
    date) and payments, from a :func:`case_view`. Each entry: ``kind`` (one of
    :data:`TIMELINE_KINDS`), ``at`` (ISO text) and ``item`` (the view's own dict)."""
    entries: list[tuple[str, int, int, dict[str, Any]]] = []
    for m in view["messages"]:  # newest first: the id orders those written together
        entries.append((m["at"] or "", 0, m.get("id") or 0,
                        {"kind": "message", "at": m["at"], "item": m}))
    made: dict[str, str] = {}
    for n, e in enumerate(view["events"]):  # in the order they were written
        entries.append((e["at"], 1, n, {"kind": "event", "at": e["at"], "item": e}))
        ref = e["payload"].get("promise_ref") if e["type"] == "PromiseMade" else None
        if ref:
            made.setdefault(str(ref), e["at"])
    for p in view["promises"]:
        at = made.get(p["ref"]) or p["date"] or ""
        entries.append((at, 2, 0, {"kind": "promise", "at": at, "item": p}))
    for pay in view["payments"]:
        entries.append((pay["paid_at"], 3, 0, {"kind": "payment", "at": pay["paid_at"],
                                                 "item": pay}))
    entries.sort(key=lambda x: (_instant(x[0]), x[1], x[2]))
    return [entry for _, _, _, entry in entries]


def _instant(text: str) -> str:
    """A sortable UTC form of an ISO date or date-time (dates at midnight UTC)."""
    from datetime import UTC, datetime

    if not text:
        return ""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat()
