"""The collectors' queue: what kinds of work a person is asked to do, and how urgent each is.

Every work item is built here (:func:`work_item`), so a kind always has the same
priority. The queue is worked in priority order, then oldest first:

priority (lower first) | kinds | why a person is needed
--- | --- | ---
10 urgent | held_conversation | the customer wrote while a person holds the case
10 urgent | vulnerable | a customer marked vulnerable wrote
10 urgent | legal | lawyer, bankruptcy, complaint or threat of action
10 urgent | bereavement | the customer died (a relative told us): the specialist team
10 urgent | complaint | a customer with an open complaint wrote
20 high | breathing_space | a customer in a breathing space (debt respite) wrote
20 high | dispute | a contested debt pauses collection
20 high | verification_locked | a chat locked after failed identity checks
30 soon | legal_review | a campaign escalated the case to legal review
30 soon | callback | the customer asked for a call (at the time they said, if any)
40 attention | reply_undeliverable | an answer with no usable address to send it to
50 normal | payment_claim, hardship, refusal, question, | the bot could not finish
 | other, promise_to_pay, promise_negotiation, | the conversation on its own
 | low_confidence, needs_review, reply_failed |
80 low | unknown_sender | a message from an address on no case
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

#: the longest detail kept with an item
MAX_DETAIL = 500


class Priority(IntEnum):
    URGENT = 10
    HIGH = 20
    SOON = 30
    ATTENTION = 40
    NORMAL = 50
    LOW = 80


class WorkItemKind(StrEnum):
    HELD_CONVERSATION = "held_conversation"
    VULNERABLE = "vulnerable"
    LEGAL = "legal"
    BEREAVEMENT = "bereavement"
    COMPLAINT = "complaint"
    BREATHING_SPACE = "breathing_space"
    DISPUTE = "dispute"
    VERIFICATION_LOCKED = "verification_locked"
    LEGAL_REVIEW = "legal_review"
    REPLY_UNDELIVERABLE = "reply_undeliverable"
    PAYMENT_CLAIM = "payment_claim"
    HARDSHIP = "hardship"
    REFUSAL = "refusal"
    CALLBACK = "callback"
    PROMISE_TO_PAY = "promise_to_pay"
    PROMISE_NEGOTIATION = "promise_negotiation"
    QUESTION = "question"
    OTHER = "other"
    LOW_CONFIDENCE = "low_confidence"
    NEEDS_REVIEW = "needs_review"
    REPLY_FAILED = "reply_failed"
    UNKNOWN_SENDER = "unknown_sender"

    @property
    def priority(self) -> Priority:
        return PRIORITY[self]


K = WorkItemKind
PRIORITY: dict[WorkItemKind, Priority] = {
    K.HELD_CONVERSATION: Priority.URGENT, K.VULNERABLE: Priority.URGENT,
    K.LEGAL: Priority.URGENT, K.BEREAVEMENT: Priority.URGENT, K.COMPLAINT: Priority.URGENT,
    K.BREATHING_SPACE: Priority.HIGH,
    K.DISPUTE: Priority.HIGH, K.VERIFICATION_LOCKED: Priority.HIGH,
    K.LEGAL_REVIEW: Priority.SOON,
    K.REPLY_UNDELIVERABLE: Priority.ATTENTION,
    K.CALLBACK: Priority.SOON,
    K.PAYMENT_CLAIM: Priority.NORMAL, K.HARDSHIP: Priority.NORMAL, K.REFUSAL: Priority.NORMAL,
    K.QUESTION: Priority.NORMAL, K.OTHER: Priority.NORMAL, K.PROMISE_TO_PAY: Priority.NORMAL,
    K.PROMISE_NEGOTIATION: Priority.NORMAL, K.LOW_CONFIDENCE: Priority.NORMAL,
    K.NEEDS_REVIEW: Priority.NORMAL, K.REPLY_FAILED: Priority.NORMAL,
    K.UNKNOWN_SENDER: Priority.LOW,
}
assert set(PRIORITY) == set(WorkItemKind), "every kind needs a priority"


@dataclass(frozen=True, slots=True)
class NewWorkItem:
    """A work item to add to the queue (see :func:`work_item`)."""

    kind: WorkItemKind
    priority: Priority
    case_id: int | None
    message_id: int | None
    detail: str
    due_at: datetime | None
    created_at: datetime


def work_item(kind: WorkItemKind, now: datetime, *, case_id: int | None = None,
              message_id: int | None = None, detail: str = "",
              due_at: datetime | None = None) -> NewWorkItem:
    """The one way to make a work item: its priority comes from its kind."""
    return NewWorkItem(kind, kind.priority, case_id, message_id, detail[:MAX_DETAIL], due_at,
                       now)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """An open work item as the queue shows it."""

    id: int
    kind: WorkItemKind
    priority: int
    account_id: str | None
    detail: str
    created_at: datetime
    due_at: datetime | None
    held_by: str | None

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind.value, "priority": self.priority,
                "account_id": self.account_id, "detail": self.detail,
                "created_at": self.created_at.isoformat(),
                "due_at": self.due_at.isoformat() if self.due_at else None,
                "held_by": self.held_by}
