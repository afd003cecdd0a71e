"""Domain events: every change to a case is recorded as one of these.

Events are plain frozen dataclasses; storage appends them to the case's event log
(type = class name, payload = the fields) and services react to them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    account_id: str
    at: datetime
    actor: str  # "system", "bot", "customer", "collector:<name>", "import", ...

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("account_id", "at", "actor"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            elif isinstance(value, tuple | list):
                value = [str(v) if not isinstance(v, int | str) else v for v in value]
            elif value is not None and not isinstance(value, int | str | bool | float):
                value = str(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class CaseOpened(Event):
    balance_minor: int = 0
    currency: str = ""


@dataclass(frozen=True)
class CaseUpdated(Event):
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusChanged(Event):
    old: str = ""
    new: str = ""
    reason: str = ""


@dataclass(frozen=True)
class HoldPlaced(Event):
    hold: str = ""
    reason: str = ""
    until: date | None = None  # a breathing space's last day

    def payload(self) -> dict[str, Any]:
        out = super().payload()
        if out.get("until") is None:
            out.pop("until", None)
        return out


@dataclass(frozen=True)
class HoldReleased(Event):
    hold: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PromiseMade(Event):
    promise_ref: str = ""
    amount_minor: int | None = None
    due: date | None = None
    source_message_id: int | None = None


@dataclass(frozen=True)
class PromiseKept(Event):
    promise_ref: str = ""


@dataclass(frozen=True)
class PromiseBroken(Event):
    promise_ref: str = ""
    due: date | None = None


@dataclass(frozen=True)
class PromiseCancelled(Event):
    promise_ref: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PaymentReceived(Event):
    reference: str = ""
    amount_minor: int = 0
    balance_after_minor: int = 0


@dataclass(frozen=True)
class PaymentClaimed(Event):
    """The customer says they paid; a collector checks, reminders pause meanwhile."""

    until: date | None = None


@dataclass(frozen=True)
class DisputeOpened(Event):
    reason: str = ""


@dataclass(frozen=True)
class DisputeResolved(Event):
    outcome: str = ""  # "verified" (debt stands) or "upheld" (customer was right)


@dataclass(frozen=True)
class OptedOut(Event):
    channel: str = ""
    address_masked: str = ""
    source: str = ""


@dataclass(frozen=True)
class OptedIn(Event):
    channel: str = ""
    address_masked: str = ""
    source: str = ""


@dataclass(frozen=True)
class ContactPointInvalidated(Event):
    channel: str = ""
    address_masked: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ContactPointShared(Event):
    """An address that others read too (another customer's, or a relative answered):
    limited content only, never a verified disclosure."""

    channel: str = ""
    address_masked: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ConversationTaken(Event):
    collector: str = ""


@dataclass(frozen=True)
class ConversationReleased(Event):
    collector: str = ""


@dataclass(frozen=True)
class CollectorAssigned(Event):
    collector: str | None = None


@dataclass(frozen=True)
class EscalatedToLegal(Event):
    reason: str = ""


@dataclass(frozen=True)
class NoteAdded(Event):
    """A person's note on the case (what was said on the phone, what to watch for)."""

    text: str = ""


@dataclass(frozen=True)
class CaseClosed(Event):
    outcome: str = ""


@dataclass(frozen=True)
class CaseAnonymised(Event):
    """The retention purge replaced the case's personal data (``duebot retention purge``)."""

    reason: str = ""
