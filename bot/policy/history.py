"""The contact history the rules look at: what was already sent to this customer.

Storage builds these from the message log/outbox. Include messages that are queued or
accepted by a provider (so planning twice never doubles up) and mark permanent delivery
failures ``failed=True``: a failed message does not count against the frequency caps and
does not count as the step having been sent, but it makes the planner fall back to the
next channel for that step. An escalation to legal review is recorded with
``channel=None`` and the legal step's id, so a case returned from review is not
escalated again in the same delinquency cycle.

Caps count per person and per address, not per account: the records of the customer's
other accounts, and of other customers written to at one of this case's addresses, come
as *related* records (``account`` set to whose they are; ``other_customer`` when that
account belongs to someone else). They count against the caps only: what a step has
sent is always read from the case's own records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.domain.clock import ensure_utc
from bot.domain.messages import ChannelKind


@dataclass(frozen=True, slots=True)
class SentRecord:
    channel: ChannelKind | None  # None: not a message (legal-review escalation)
    sent_at: datetime
    step_id: str | None = None  # None for replies and manual messages
    campaign_id: str | None = None
    variant: str | None = None
    ref: str | None = None  # event subject (promise ref, ...), as in Decision.ref
    address: str | None = None  # full address of the failed/sent contact point
    failed: bool = False
    #: the provider refused it for good (opt-out such as Twilio 21610, blocked, rejected):
    #: the step is not tried on another channel unless the campaign allows it
    refused: bool = False
    account: str | None = None  # related records: the account it was sent for
    other_customer: bool = False  # related records: that account is another customer's

    @property
    def is_message(self) -> bool:
        return self.channel is not None


HistoryItem = SentRecord | tuple[ChannelKind, datetime]


def normalise(history: Iterable[HistoryItem]) -> list[SentRecord]:
    """Accept :class:`SentRecord` or bare ``(channel, sent_at)`` pairs; times to aware UTC."""
    out: list[SentRecord] = []
    for item in history:
        if isinstance(item, SentRecord):
            rec = item
        else:
            channel, sent_at = item
            rec = SentRecord(ChannelKind(channel), sent_at)
        if rec.sent_at.tzinfo is not UTC:  # already-normalised records pass as they are
            rec = replace(rec, sent_at=ensure_utc(rec.sent_at))
        out.append(rec)
    return out
