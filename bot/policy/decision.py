"""What the policy engine and the planner answer: allow or deny, and exactly why.

Every rule returns a list of :class:`Reason` (empty = the rule allows). A
:class:`Decision` bundles them with what would be sent (channel, contact point, step,
variant, template) so a denial can be recorded and ``duebot plan --explain`` can show it.
Reason codes are a closed, machine-readable vocabulary; the ``detail`` is for humans and
never contains a full address, account number or message body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.contacts import mask_address
from bot.domain.messages import ChannelKind


class ReasonCode(StrEnum):
    """Why a contact is denied (or, for ``superseded``, postponed)."""

    # case-level hard stops (bot/policy/hard_stops.py)
    CLOSED = "closed"
    LEGAL_REVIEW = "legal_review"  # the case already waits for a human legal decision
    LEGAL_HOLD = "legal_hold"  # status legal_hold without a recorded attorney/bankruptcy hold
    HOLD_DISPUTE = "hold_dispute"
    HOLD_CEASE = "hold_cease"
    HOLD_ATTORNEY = "hold_attorney"
    HOLD_BANKRUPTCY = "hold_bankruptcy"
    HOLD_VULNERABLE = "hold_vulnerable"
    HOLD_HUMAN = "hold_human"
    HOLD_OPTED_OUT = "hold_opted_out"
    HOLD_WRONG_PARTY = "hold_wrong_party"
    HOLD_PAYMENT_CLAIMED = "hold_payment_claimed"
    HOLD_DECEASED = "hold_deceased"
    HOLD_COMPLAINT = "hold_complaint"
    HOLD_BREATHING_SPACE = "hold_breathing_space"
    PENDING_PROMISE = "pending_promise"  # no dunning while a promise is pending
    REMINDER_NOT_DUE = "reminder_not_due"  # a promise reminder only goes the day before
    # contact point (bot/policy/contact_point.py)
    THIRD_PARTY = "third_party"
    OPTED_OUT = "opted_out"
    INVALID_ADDRESS = "invalid_address"
    WRONG_PARTY = "wrong_party"
    NO_CONSENT = "no_consent"
    DELIVERY_FAILED = "delivery_failed"  # this step already failed on this contact point
    # time of day (bot/policy/contact_hours.py)
    OUTSIDE_HOURS = "outside_hours"
    HOLIDAY = "holiday"
    PREFERRED_HOURS = "preferred_hours"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    # frequency (bot/policy/frequency.py): counted per person (all the customer's
    # accounts) and per address (every customer written to there)
    FREQUENCY_CHANNEL = "frequency_channel"
    FREQUENCY_TOTAL = "frequency_total"
    FREQUENCY_CONTACT_POINT = "frequency_contact_point"
    # planning (bot/campaigns/planner.py)
    NO_CONTACT_POINT = "no_contact_point"  # the case has no address on that channel
    NO_CHANNEL = "no_channel"  # every channel of the step was denied
    CONDITION_NOT_MET = "condition_not_met"
    SUPERSEDED = "superseded"  # another message for this case was chosen today
    NO_FALLBACK = "no_fallback"  # the step was refused on its channel: not sent elsewhere
    # debt rules (bot/campaigns/planner.py)
    TIME_BARRED = "time_barred"  # past the limitation period: no suit, no threat of one
    VALIDATION_NOTICE_MISSING = "validation_notice_missing"  # not sent in the days allowed
    VALIDATION_PERIOD = "validation_period"  # nothing may overshadow the notice meanwhile


#: codes that only say "not now": the same contact becomes possible later by itself.
TIME_BOUND: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.OUTSIDE_HOURS,
        ReasonCode.HOLIDAY,
        ReasonCode.PREFERRED_HOURS,
        ReasonCode.FREQUENCY_CHANNEL,
        ReasonCode.FREQUENCY_TOTAL,
        ReasonCode.FREQUENCY_CONTACT_POINT,
    }
)


class Purpose(StrEnum):
    """Why we want to write to the customer; the rules differ per purpose.

    * ``dunning``: a collection message from a campaign step.
    * ``promise_reminder``: a reminder the day before a promised payment (or instalment)
      is due; allowed while the promise is pending, when dunning is not.
    * ``reply``: an answer to the customer's own inbound message. Not subject to the
      frequency caps; not subject to the contact window either when answered within the
      profile's ``reply_grace`` of the inbound message (the customer chose the time).
      Never to an opted-out contact point, a third party, or while a collector holds
      the conversation (see ``bot/policy/hard_stops.py`` for the full table).
    """

    DUNNING = "dunning"
    PROMISE_REMINDER = "promise_reminder"
    REPLY = "reply"


class Action(StrEnum):
    SEND = "send"  # send a message on ``channel`` to the contact point
    LEGAL_REVIEW = "legal_review"  # move the case to the legal-review queue


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    detail: str = ""
    channel: ChannelKind | None = None  # set when the reason is about one channel/address
    contact: str | None = None  # masked address the reason is about
    #: other accounts whose messages the reason counted (caps per person and address);
    #: shown by ``plan --explain``, kept out of ``str``/``to_record`` (the decision log)
    accounts: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        where = ""
        if self.channel is not None:
            where = f" [{self.channel}{' ' + self.contact if self.contact else ''}]"
        return f"{self.code}{where}: {self.detail}" if self.detail else f"{self.code}{where}"

    def to_record(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "detail": self.detail,
            "channel": self.channel.value if self.channel else None,
            "contact": self.contact,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """One answer for one case: contact (``allowed``) or not, and why not.

    ``address`` is the full address for the outbox; it is kept out of ``repr`` and of
    :meth:`to_record`/:meth:`explain`, which show the masked form only. ``not_before`` is
    the earliest time the same contact could be allowed, when every reason is time-bound
    (hours, holiday, frequency); ``None`` when unknown or when a hard stop applies.
    """

    allowed: bool
    reasons: tuple[Reason, ...] = ()
    action: Action = Action.SEND
    purpose: Purpose = Purpose.DUNNING
    channel: ChannelKind | None = None
    address: str | None = field(default=None, repr=False)
    contact_id: int | None = None
    campaign_id: str | None = None
    step_id: str | None = None
    variant: str | None = None
    template_id: str | None = None
    ref: str | None = None  # event subject: promise ref, silence start, ...
    idempotency_key: str | None = None
    not_before: datetime | None = None
    risk_band: str | None = None

    def __post_init__(self) -> None:
        if self.allowed and self.reasons:
            raise ValueError("an allowed decision carries no denial reasons")
        if not self.allowed and not self.reasons:
            raise ValueError("a denied decision needs at least one reason")

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def masked_address(self) -> str | None:
        return mask_address(self.address) if self.address else None

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict for the decision log (addresses masked)."""
        return {
            "allowed": self.allowed,
            "action": self.action.value,
            "purpose": self.purpose.value,
            "channel": self.channel.value if self.channel else None,
            "contact": self.masked_address,
            "contact_id": self.contact_id,
            "campaign_id": self.campaign_id,
            "step_id": self.step_id,
            "variant": self.variant,
            "template_id": self.template_id,
            "ref": self.ref,
            "idempotency_key": self.idempotency_key,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "risk_band": self.risk_band,
            "reasons": [r.to_record() for r in self.reasons],
        }

    def explain(self) -> str:
        """Human-readable lines for ``duebot plan --explain``."""
        what = f"step {self.step_id}" if self.step_id else self.purpose.value
        if self.variant:
            what += f" variant {self.variant}"
        if self.action is Action.LEGAL_REVIEW:
            head = f"{'LEGAL REVIEW' if self.allowed else 'NO LEGAL REVIEW'} {what}"
        elif self.allowed:
            head = (
                f"SEND {what} template {self.template_id} via {self.channel} "
                f"to {self.masked_address}"
            )
        else:
            head = f"DENY {what}"
        lines = [head]
        for r in self.reasons:
            counted = f" (counted: {', '.join(r.accounts)})" if r.accounts else ""
            lines.append(f"  - {r}{counted}")
        if self.not_before is not None:
            lines.append(f"  next possible: {self.not_before.isoformat()}")
        return "\n".join(lines)


def only_time_bound(reasons: list[Reason] | tuple[Reason, ...]) -> bool:
    return bool(reasons) and all(r.code in TIME_BOUND for r in reasons)
