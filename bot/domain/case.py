"""The case aggregate: one overdue account, its lifecycle, holds, promises and payments.

Pure: no I/O, no clock. Every method that changes the case takes the time it happens
(``at``) and records domain events in ``case.events`` for the unit of work to persist.
Impossible moves raise :class:`TransitionError` with a message a collector can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain import events as ev
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind


class CaseStatus(StrEnum):
    ACTIVE = "active"
    PROMISED = "promised"
    DISPUTED = "disputed"
    LEGAL_HOLD = "legal_hold"  # attorney or bankruptcy: nobody contacts the customer
    LEGAL_REVIEW = "legal_review"  # last step of a campaign: a human decides on legal action
    CLOSED_PAID = "closed_paid"
    CLOSED_WRITTEN_OFF = "closed_written_off"

    @property
    def closed(self) -> bool:
        return self in (CaseStatus.CLOSED_PAID, CaseStatus.CLOSED_WRITTEN_OFF)


S = CaseStatus
#: allowed status moves; anything else is refused.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.ACTIVE: frozenset(
        {S.PROMISED, S.DISPUTED, S.LEGAL_HOLD, S.LEGAL_REVIEW, S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF}
    ),
    S.PROMISED: frozenset(
        {S.ACTIVE, S.DISPUTED, S.LEGAL_HOLD, S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF}
    ),
    S.DISPUTED: frozenset({S.ACTIVE, S.LEGAL_HOLD, S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF}),
    # leaving a legal hold or legal review returns to the status the case rests in
    # (disputed, promised or active); a dispute may be raised during legal review
    S.LEGAL_HOLD: frozenset(
        {S.ACTIVE, S.PROMISED, S.DISPUTED, S.LEGAL_REVIEW, S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF}
    ),
    S.LEGAL_REVIEW: frozenset(
        {S.ACTIVE, S.PROMISED, S.DISPUTED, S.LEGAL_HOLD, S.CLOSED_PAID, S.CLOSED_WRITTEN_OFF}
    ),
    S.CLOSED_PAID: frozenset(),
    S.CLOSED_WRITTEN_OFF: frozenset(),
}


class Hold(StrEnum):
    """Reasons nobody may contact the customer about this case (until released)."""

    CEASE = "cease"  # the customer asked us to stop all contact
    OPTED_OUT = "opted_out"  # every contact point opted out
    ATTORNEY = "attorney"
    BANKRUPTCY = "bankruptcy"
    VULNERABLE = "vulnerable"
    WRONG_PARTY = "wrong_party"  # no remaining contact point reaches the right party
    DISPUTE = "dispute"  # until the debt is verified
    PAYMENT_CLAIMED = "payment_claimed"  # grace while a claimed payment is checked
    HUMAN = "human"  # a collector holds the conversation: the bot is silent
    DECEASED = "deceased"  # the customer died: a specialist deals with the estate
    COMPLAINT = "complaint"  # an open complaint: a person answers, nothing automated
    BREATHING_SPACE = "breathing_space"  # UK Debt Respite Scheme, until its end date


#: holds that put the case on legal hold (status ``legal_hold``)
LEGAL_HOLDS = frozenset({Hold.ATTORNEY, Hold.BANKRUPTCY})
#: holds that protect the customer: any collector may place one, only a supervisor may
#: lift it, always with who and why (``bot.services.case_work.set_hold``/``clear_hold``)
PROTECTIVE_HOLDS = frozenset({Hold.CEASE, Hold.ATTORNEY, Hold.BANKRUPTCY, Hold.VULNERABLE,
                              Hold.DECEASED, Hold.COMPLAINT, Hold.BREATHING_SPACE})
#: the pseudo-collector holding a case after a complaint, until a person looks at it
LEGAL_QUEUE = "legal-review"
#: the media an opt-out request may name (``Reply.opt_out_scope``) and their channels
_MEDIA = {"sms": ChannelKind.SMS, "email": ChannelKind.EMAIL, "chat": ChannelKind.TELEGRAM,
          "telegram": ChannelKind.TELEGRAM}


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class TransitionError(ValueError):
    """An impossible move on a case; the message says what and why."""


@dataclass
class Promise:
    ref: str  # stable within the case: "P1", "P2", ...
    amount_minor: int | None
    due: date | None
    status: PromiseStatus = PromiseStatus.PENDING
    made_at: datetime | None = None
    paid_minor: int = 0  # applied payments
    source_message_id: int | None = None
    id: int | None = None

    @property
    def open(self) -> bool:
        return self.status is PromiseStatus.PENDING


@dataclass
class Payment:
    reference: str
    amount_minor: int
    paid_at: datetime
    id: int | None = None


BUCKETS = ((0, "current"), (29, "1-29"), (59, "30-59"), (89, "60-89"), (119, "90-119"),
           (179, "120-179"))


def bucket_for(days_past_due: int) -> str:
    for limit, name in BUCKETS:
        if days_past_due <= limit:
            return name
    return "180+"


@dataclass
class Case:
    account_id: str
    currency: str
    balance_minor: int
    due_date: date
    customer_name: str = ""
    product: str | None = None
    minimum_payment_minor: int | None = None
    status: CaseStatus = CaseStatus.ACTIVE
    holds: dict[Hold, str] = field(default_factory=dict)  # hold -> reason
    segment: str | None = None
    risk_band: str | None = None
    risk_band_override: str | None = None
    timezone: str = "UTC"
    timezone_candidates: tuple[str, ...] = ()  # several when the phone spans zones
    language: str = "en"
    country: str | None = None
    assigned_collector: str | None = None
    held_by: str | None = None  # collector holding the conversation
    days_past_due: int = 0
    contacts: list[ContactPoint] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    payment_claim_until: date | None = None
    id: int | None = None
    customer_id: int | None = None
    breathing_space_until: date | None = None  # the moratorium's last day (inclusive)
    #: the debt is past its limitation period (imported flag), or will be from
    #: ``limitation_date`` on: no suit, no threat of one (see :meth:`is_time_barred`)
    time_barred: bool = False
    limitation_date: date | None = None
    events: list[ev.Event] = field(default_factory=list, repr=False)

    # ---------------------------------------------------------------- queries
    @property
    def closed(self) -> bool:
        return self.status.closed

    @property
    def timezone_ambiguous(self) -> bool:
        return len(self.timezone_candidates) > 1

    def is_time_barred(self, today: date) -> bool:
        """Whether the debt is time-barred on ``today`` (local): flagged so, or its
        limitation date reached."""
        return self.time_barred or (self.limitation_date is not None
                                    and today >= self.limitation_date)

    def pending_promises(self) -> list[Promise]:
        return sorted(
            (p for p in self.promises if p.open), key=lambda p: (p.due or date.max, p.ref)
        )

    def contact(self, channel: ChannelKind, address: str) -> ContactPoint | None:
        for cp in self.contacts:
            if cp.channel == channel and cp.address == address:
                return cp
        return None

    def compute_days_past_due(self, today: date) -> int:
        """Days since the due date (negative before it); 0 once the arrears are cured.

        The arrears are the minimum payment when one is set, else the whole balance;
        payments made on or after the due date count towards curing them.
        """
        if self.balance_minor <= 0:
            return 0
        days = (today - self.due_date).days
        if days <= 0:
            return days
        if not self.minimum_payment_minor:
            return days  # the whole balance is in arrears and some of it is still owed
        paid_since_due = sum(
            p.amount_minor for p in self.payments if p.paid_at.date() >= self.due_date
        )
        return 0 if paid_since_due >= self.minimum_payment_minor else days

    def bucket(self, today: date) -> str:
        return bucket_for(max(0, self.compute_days_past_due(today)))

    def hold_in_force(self, hold: Hold, today: date) -> bool:
        """Whether ``hold`` protects the customer on their local ``today`` (a breathing
        space ends after its last day; every other hold until it is lifted)."""
        if hold not in self.holds:
            return False
        if hold is Hold.BREATHING_SPACE and self.breathing_space_until is not None:
            return today <= self.breathing_space_until
        return True

    # ---------------------------------------------------------------- helpers
    def _record(self, event: ev.Event) -> None:
        self.events.append(event)

    def _move(self, new: CaseStatus, at: datetime, actor: str, reason: str) -> None:
        if new is self.status:
            return
        if new not in TRANSITIONS[self.status]:
            raise TransitionError(
                f"case {self.account_id}: cannot go from {self.status} to {new} ({reason})"
            )
        old, self.status = self.status, new
        self._record(ev.StatusChanged(self.account_id, at, actor, old, new, reason))
        if new.closed:
            for p in self.pending_promises():
                p.status = PromiseStatus.CANCELLED
                self._record(ev.PromiseCancelled(self.account_id, at, actor, p.ref, "case closed"))
            self._record(ev.CaseClosed(self.account_id, at, actor, new.value))

    def _refuse_if_closed(self, what: str) -> None:
        if self.closed:
            raise TransitionError(f"case {self.account_id} is {self.status}: cannot {what}")

    # ---------------------------------------------------------------- holds
    def place_hold(self, hold: Hold, at: datetime, actor: str, reason: str = "",
                   until: date | None = None) -> None:
        """Place a hold; attorney/bankruptcy move the case to legal hold, a dispute hold
        opens a dispute (as :meth:`open_dispute`). ``until``: a breathing space's last
        day (a breathing space placed again with another end date moves it)."""
        self._refuse_if_closed(f"place a {hold} hold")
        if until is not None and hold is not Hold.BREATHING_SPACE:
            raise TransitionError(f"only a breathing space has an end date, not {hold}")
        if hold in self.holds:
            if hold is Hold.BREATHING_SPACE and until != self.breathing_space_until:
                self.breathing_space_until = until
                self.holds[hold] = reason
                self._record(ev.HoldPlaced(self.account_id, at, actor, hold.value, reason,
                                           until))
            return
        if hold is Hold.DISPUTE:
            self.open_dispute(at, actor, reason)
            return
        self.holds[hold] = reason
        if hold is Hold.BREATHING_SPACE:
            self.breathing_space_until = until
        self._record(ev.HoldPlaced(self.account_id, at, actor, hold.value, reason, until))
        if hold in LEGAL_HOLDS and self.status is not S.LEGAL_HOLD:
            self._move(S.LEGAL_HOLD, at, actor, f"{hold} hold")

    def release_hold(self, hold: Hold, at: datetime, actor: str, reason: str = "") -> None:
        """Lift a hold. The last legal hold (or a dispute hold) lifted returns the case to
        the status it rests in: disputed, promised or active."""
        if hold not in self.holds:
            raise TransitionError(f"case {self.account_id} has no {hold} hold to release")
        self._drop_hold(hold, at, actor, reason)
        if hold is Hold.HUMAN:
            self.held_by = None
        if (self.status is S.LEGAL_HOLD and not (LEGAL_HOLDS & self.holds.keys())) or (
            self.status is S.DISPUTED and hold is Hold.DISPUTE
        ):
            self._move(self._resting_status(), at, actor, f"{hold} hold released")

    def _drop_hold(self, hold: Hold, at: datetime, actor: str, reason: str) -> None:
        del self.holds[hold]
        if hold is Hold.BREATHING_SPACE:
            self.breathing_space_until = None
        self._record(ev.HoldReleased(self.account_id, at, actor, hold.value, reason))

    def _resting_status(self) -> CaseStatus:
        """Where an open case stands when no collector decision (legal review) holds it."""
        if LEGAL_HOLDS & self.holds.keys():
            return S.LEGAL_HOLD
        if Hold.DISPUTE in self.holds:
            return S.DISPUTED
        return S.PROMISED if self.pending_promises() else S.ACTIVE

    # ---------------------------------------------------------------- promises
    def make_promise(
        self,
        terms: list[tuple[int | None, date | None]],
        at: datetime,
        actor: str,
        source_message_id: int | None = None,
    ) -> list[Promise]:
        """Record one promise per instalment; earlier pending promises are superseded."""
        self._refuse_if_closed("take a promise")
        if self.status in (S.DISPUTED, S.LEGAL_HOLD) or (
            (LEGAL_HOLDS | {Hold.DISPUTE}) & self.holds.keys()
        ):
            raise TransitionError(
                f"case {self.account_id} is {self.status}: a promise cannot be taken"
            )
        if not terms:
            raise TransitionError("a promise needs at least one instalment")
        for amount, _ in terms:
            if amount is not None and amount <= 0:
                raise TransitionError("a promised amount must be positive")
        for p in self.pending_promises():
            p.status = PromiseStatus.CANCELLED
            self._record(ev.PromiseCancelled(self.account_id, at, actor, p.ref, "superseded"))
        made: list[Promise] = []
        n = len(self.promises)
        for i, (amount, due) in enumerate(sorted(terms, key=lambda t: t[1] or date.max)):
            promise = Promise(f"P{n + i + 1}", amount, due, made_at=at,
                              source_message_id=source_message_id)
            self.promises.append(promise)
            made.append(promise)
            self._record(ev.PromiseMade(self.account_id, at, actor, promise.ref, amount, due,
                                        source_message_id))
        if self.status is S.LEGAL_REVIEW:
            self._move(S.ACTIVE, at, actor, "promise taken during legal review")
        self._move(S.PROMISED, at, actor, "promise to pay")
        return made

    def cancel_promise(self, ref: str, at: datetime, actor: str, reason: str) -> None:
        promise = next((p for p in self.promises if p.ref == ref), None)
        if promise is None:
            raise TransitionError(f"case {self.account_id} has no promise {ref}")
        if not promise.open:
            raise TransitionError(f"promise {ref} is {promise.status}, not pending")
        promise.status = PromiseStatus.CANCELLED
        self._record(ev.PromiseCancelled(self.account_id, at, actor, ref, reason))
        if self.status is S.PROMISED and not self.pending_promises():
            self._move(S.ACTIVE, at, actor, "promise cancelled")

    def break_overdue_promises(self, today: date, at: datetime, actor: str = "system") -> list[str]:
        """Mark pending promises whose day has ended (``due < today``, local) broken."""
        broken = []
        for p in self.pending_promises():
            if p.due is not None and p.due < today:
                p.status = PromiseStatus.BROKEN
                broken.append(p.ref)
                self._record(ev.PromiseBroken(self.account_id, at, actor, p.ref, p.due))
        if broken and self.status is S.PROMISED and not self.pending_promises():
            self._move(S.ACTIVE, at, actor, "promise broken")
        return broken

    # ---------------------------------------------------------------- payments
    def record_payment(
        self, reference: str, amount_minor: int, paid_at: datetime, actor: str = "import"
    ) -> bool:
        """Apply a payment; returns False when this reference was already applied."""
        if any(p.reference == reference for p in self.payments):
            return False
        if amount_minor <= 0:
            raise TransitionError(f"payment {reference}: amount must be positive")
        if self.status is S.CLOSED_WRITTEN_OFF:
            raise TransitionError(f"case {self.account_id} is written off: record it manually")
        self.payments.append(Payment(reference, amount_minor, paid_at))
        self.balance_minor -= amount_minor
        self._record(ev.PaymentReceived(self.account_id, paid_at, actor, reference, amount_minor,
                                        self.balance_minor))
        remaining = amount_minor
        for p in self.pending_promises():
            if remaining <= 0:
                break
            need = (p.amount_minor if p.amount_minor is not None else remaining) - p.paid_minor
            applied = min(need, remaining)
            p.paid_minor += applied
            remaining -= applied
            if p.amount_minor is None or p.paid_minor >= p.amount_minor:
                p.status = PromiseStatus.KEPT
                self._record(ev.PromiseKept(self.account_id, paid_at, actor, p.ref))
        if Hold.PAYMENT_CLAIMED in self.holds:
            self.release_hold(Hold.PAYMENT_CLAIMED, paid_at, actor, "payment arrived")
        if self.balance_minor <= 0:
            self._move(S.CLOSED_PAID, paid_at, actor, "balance paid")
        elif self.status is S.PROMISED and not self.pending_promises():
            self._move(S.ACTIVE, paid_at, actor, "promises kept")
        return True

    def claim_payment(self, at: datetime, grace_days: int, actor: str = "customer") -> None:
        self._refuse_if_closed("record a payment claim")
        until = at.date() + timedelta(days=grace_days)
        self.payment_claim_until = until
        self.place_hold(Hold.PAYMENT_CLAIMED, at, actor, f"until {until.isoformat()}")
        self._record(ev.PaymentClaimed(self.account_id, at, actor, until))

    # ---------------------------------------------------------------- disputes and legal
    def open_dispute(self, at: datetime, actor: str, reason: str = "") -> None:
        """Record a dispute: pending promises are cancelled and a dispute hold placed.

        Under a legal hold (attorney/bankruptcy) the case stays on legal hold and the
        dispute is only recorded as a hold; otherwise the case becomes ``disputed``.
        """
        self._refuse_if_closed("open a dispute")
        if Hold.DISPUTE in self.holds:
            return
        for p in self.pending_promises():
            p.status = PromiseStatus.CANCELLED
            self._record(ev.PromiseCancelled(self.account_id, at, actor, p.ref, "disputed"))
        if not (LEGAL_HOLDS & self.holds.keys()):
            self._move(S.DISPUTED, at, actor, "dispute")
        self.holds[Hold.DISPUTE] = reason
        self._record(ev.HoldPlaced(self.account_id, at, actor, Hold.DISPUTE.value, reason))
        self._record(ev.DisputeOpened(self.account_id, at, actor, reason))

    def resolve_dispute(self, outcome: str, at: datetime, actor: str) -> None:
        """``verified``: the debt stands, collection resumes; ``upheld``: written off."""
        if Hold.DISPUTE not in self.holds:
            raise TransitionError(f"case {self.account_id} has no open dispute")
        if outcome not in ("verified", "upheld"):
            raise TransitionError("dispute outcome must be 'verified' or 'upheld'")
        if outcome == "upheld" and self.closed:
            raise TransitionError(
                f"case {self.account_id} is {self.status}: an upheld dispute cannot write it off"
            )
        self._record(ev.DisputeResolved(self.account_id, at, actor, outcome))
        self._drop_hold(Hold.DISPUTE, at, actor, outcome)
        if outcome == "upheld":
            self._move(S.CLOSED_WRITTEN_OFF, at, actor, "dispute upheld")
        elif self.status is S.DISPUTED:
            self._move(self._resting_status(), at, actor, "debt verified")

    def escalate_to_legal_review(self, at: datetime, actor: str, reason: str) -> None:
        """Queue the case for a human decision on legal action (from active or legal hold)."""
        self._refuse_if_closed("escalate")
        if self.status not in (S.ACTIVE, S.LEGAL_HOLD):
            raise TransitionError(
                f"case {self.account_id} is {self.status}: only an active case or one on "
                "legal hold goes to legal review"
            )
        self._move(S.LEGAL_REVIEW, at, actor, reason)
        self._record(ev.EscalatedToLegal(self.account_id, at, actor, reason))

    def return_from_legal_review(self, at: datetime, actor: str, reason: str) -> None:
        """Back to the status the case rests in (legal hold, disputed, promised, active)."""
        if self.status is not S.LEGAL_REVIEW:
            raise TransitionError(f"case {self.account_id} is not in legal review")
        self._move(self._resting_status(), at, actor, reason)

    def write_off(self, at: datetime, actor: str, reason: str) -> None:
        self._refuse_if_closed("write off")
        self._move(S.CLOSED_WRITTEN_OFF, at, actor, reason)

    # ---------------------------------------------------------------- contact points
    def opt_out(self, channel: ChannelKind, address: str, at: datetime, source: str,
                actor: str = "customer") -> bool:
        """Suppress one contact point; returns False if it was already opted out."""
        cp = self.contact(channel, address)
        if cp is None:
            raise TransitionError(f"case {self.account_id} has no such {channel} contact point")
        if cp.opted_out_at is not None:
            return False
        cp.opted_out_at, cp.opt_out_source = at, source
        self._record(ev.OptedOut(self.account_id, at, actor, channel.value, cp.masked, source))
        if self.contacts and all(c.opted_out_at is not None for c in self.contacts) \
                and not self.closed:
            self.place_hold(Hold.OPTED_OUT, at, actor, "every contact point opted out")
        return True

    def opt_out_scope(self, scope: Iterable[str], channel: ChannelKind, address: str,
                      at: datetime, source: str, actor: str = "customer") -> list[ContactPoint]:
        """Apply an opt-out request with exactly its scope (the reply parser's
        ``opt_out_scope``); returns the contact points it newly suppressed.

        ``this`` (or no scope): the contact point the request came from (``channel``,
        ``address``). A medium (``sms``, ``email``, ``chat``/``telegram``): every contact
        point of the customer on it, wherever the request came from. ``all``: every
        contact point, and a cease hold (the customer asked us to stop all contact).
        ``calls``: duebot does not call, so nothing here to suppress.
        """
        wanted = set(scope) or {"this"}
        changed: list[ContactPoint] = []

        def stop(cp: ContactPoint) -> None:
            if cp.opted_out_at is None and self.opt_out(cp.channel, cp.address, at, source,
                                                          actor):
                changed.append(cp)

        if "all" in wanted:
            for cp in list(self.contacts):
                stop(cp)
            if not self.closed:
                self.place_hold(Hold.CEASE, at, actor, f"asked to stop all contact ({source})")
            return changed
        media = {_MEDIA[m] for m in wanted if m in _MEDIA}
        for cp in list(self.contacts):
            if cp.channel in media:
                stop(cp)
        if "this" in wanted:
            here = self.contact(channel, address)
            if here is not None:
                stop(here)
        return changed

    def mark_shared(self, channel: ChannelKind, address: str, at: datetime, reason: str,
                    actor: str = "system") -> bool:
        """Record that others read this address too (limited content only from now on);
        False when it was already marked."""
        cp = self.contact(channel, address)
        if cp is None:
            raise TransitionError(f"case {self.account_id} has no such {channel} contact point")
        if cp.shared:
            return False
        cp.shared = True
        cp.verified = False  # a verification there proved nothing about who reads it
        self._record(ev.ContactPointShared(self.account_id, at, actor, channel.value,
                                           cp.masked, reason))
        return True

    def opt_in(self, channel: ChannelKind, address: str, at: datetime, source: str,
               actor: str = "customer") -> bool:
        cp = self.contact(channel, address)
        if cp is None or cp.opted_out_at is None:
            return False
        cp.opted_out_at, cp.opt_out_source = None, None
        self._record(ev.OptedIn(self.account_id, at, actor, channel.value, cp.masked, source))
        if Hold.OPTED_OUT in self.holds:
            self.release_hold(Hold.OPTED_OUT, at, actor, "contact point opted back in")
        return True

    def invalidate_contact(self, channel: ChannelKind, address: str, at: datetime, reason: str,
                           actor: str = "system", wrong_party: bool = False) -> bool:
        cp = self.contact(channel, address)
        if cp is None:
            raise TransitionError(f"case {self.account_id} has no such {channel} contact point")
        if wrong_party:
            if cp.wrong_party_at is not None:
                return False
            cp.wrong_party_at = at
        else:
            if cp.invalid_at is not None:
                return False
            cp.invalid_at, cp.invalid_reason = at, reason
        self._record(ev.ContactPointInvalidated(self.account_id, at, actor, channel.value,
                                                cp.masked, reason))
        if wrong_party and self.contacts and not self.closed and all(
            c.wrong_party_at is not None or c.invalid_at is not None for c in self.contacts
        ):
            self.place_hold(Hold.WRONG_PARTY, at, actor, "no contact point reaches the customer")
        return True

    # ---------------------------------------------------------------- humans
    def take_over(self, collector: str, at: datetime) -> None:
        if self.held_by is not None and self.held_by != collector:
            raise TransitionError(
                f"case {self.account_id} is already held by {self.held_by}"
            )
        if self.held_by == collector:
            return
        self.held_by = collector
        self.holds[Hold.HUMAN] = collector
        self._record(ev.HoldPlaced(self.account_id, at, f"collector:{collector}",
                                   Hold.HUMAN.value, "conversation taken"))
        self._record(ev.ConversationTaken(self.account_id, at, f"collector:{collector}",
                                          collector))

    def hand_back(self, collector: str, at: datetime) -> None:
        if self.held_by is None:
            raise TransitionError(f"case {self.account_id} is not held by a collector")
        if self.held_by != collector:
            raise TransitionError(
                f"case {self.account_id} is held by {self.held_by}, not {collector}"
            )
        self.held_by = None
        self.holds.pop(Hold.HUMAN, None)
        self._record(ev.HoldReleased(self.account_id, at, f"collector:{collector}",
                                     Hold.HUMAN.value, "conversation released"))
        self._record(ev.ConversationReleased(self.account_id, at, f"collector:{collector}",
                                             collector))

    def add_note(self, text: str, at: datetime, actor: str) -> None:
        """Record a person's note (kept in the case's event log; closed cases too)."""
        text = text.strip()
        if not text:
            raise TransitionError("a note needs some text")
        self._record(ev.NoteAdded(self.account_id, at, actor, text[:2000]))

    def assign(self, collector: str | None, at: datetime, actor: str) -> None:
        if self.assigned_collector == collector:
            return
        self.assigned_collector = collector
        self._record(ev.CollectorAssigned(self.account_id, at, actor, collector))
