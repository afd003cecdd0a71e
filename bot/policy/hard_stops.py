"""Hard stops: case-level reasons nobody may write to the customer about this case.

Which stop blocks which purpose (``deny`` = a reason is returned):

=====================  =======  ================  ========================================
stop                   dunning  promise_reminder  reply to the customer's own message
=====================  =======  ================  ========================================
closed case            deny     deny              allow (answering "is it settled?")
in legal review        deny     deny              allow
legal hold status      deny     deny              deny
dispute (unverified)   deny     deny              allow (acknowledging the dispute)
cease request          deny     deny              allow (the customer wrote again)
attorney               deny     deny              deny (talk to the attorney only)
bankruptcy             deny     deny              deny (automatic stay)
vulnerable customer    deny     deny              deny the bot; allow a person
deceased               deny     deny              deny the bot; allow a person (a
                                                  specialist answers the estate)
complaint              deny     deny              deny the bot; allow a person
breathing space        deny     deny              deny the bot; allow a person; lapses
                                                  after its last day (UK Debt Respite
                                                  Scheme)
wrong party (case)     deny     deny              deny
all opted out (case)   deny     deny              deny
payment claimed        deny     deny              allow
collector holds it     deny     deny              deny
pending promise        deny     allow the day     allow
                                before it is due
=====================  =======  ================  ========================================

A pending promise blocks dunning from the day it is made until its due date (inclusive);
once the due date has passed without payment the promise is broken (even before the
nightly job marks it) and dunning may resume. A pending promise without a due date
blocks dunning until a collector resolves it.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.case import Case, CaseStatus, Hold
from bot.policy.decision import Purpose, Reason, ReasonCode

_HOLD_CODES: dict[Hold, ReasonCode] = {
    Hold.DISPUTE: ReasonCode.HOLD_DISPUTE,
    Hold.CEASE: ReasonCode.HOLD_CEASE,
    Hold.ATTORNEY: ReasonCode.HOLD_ATTORNEY,
    Hold.BANKRUPTCY: ReasonCode.HOLD_BANKRUPTCY,
    Hold.VULNERABLE: ReasonCode.HOLD_VULNERABLE,
    Hold.HUMAN: ReasonCode.HOLD_HUMAN,
    Hold.OPTED_OUT: ReasonCode.HOLD_OPTED_OUT,
    Hold.WRONG_PARTY: ReasonCode.HOLD_WRONG_PARTY,
    Hold.PAYMENT_CLAIMED: ReasonCode.HOLD_PAYMENT_CLAIMED,
    Hold.DECEASED: ReasonCode.HOLD_DECEASED,
    Hold.COMPLAINT: ReasonCode.HOLD_COMPLAINT,
    Hold.BREATHING_SPACE: ReasonCode.HOLD_BREATHING_SPACE,
}

#: holds under which the bot may still answer a message the customer sent.
_REPLY_ALLOWED: frozenset[Hold] = frozenset({Hold.DISPUTE, Hold.CEASE, Hold.PAYMENT_CLAIMED})
#: holds that mean "a person answers, not the bot": a person's reply goes under them
PERSON_ONLY: frozenset[Hold] = frozenset({Hold.VULNERABLE, Hold.DECEASED, Hold.COMPLAINT,
                                          Hold.BREATHING_SPACE})

_HOLD_DETAIL: dict[Hold, str] = {
    Hold.DISPUTE: "the debt is disputed and not yet verified",
    Hold.CEASE: "the customer asked us to stop contacting them",
    Hold.ATTORNEY: "the customer is represented by an attorney",
    Hold.BANKRUPTCY: "the customer is in bankruptcy",
    Hold.VULNERABLE: "the customer is flagged vulnerable; a person handles the case",
    Hold.HUMAN: "a collector holds the conversation",
    Hold.OPTED_OUT: "every contact point opted out",
    Hold.WRONG_PARTY: "no contact point reaches the right party",
    Hold.PAYMENT_CLAIMED: "the customer says they paid; the payment is being checked",
    Hold.DECEASED: "the customer has died; a specialist deals with the estate",
    Hold.COMPLAINT: "an open complaint; a person handles the case",
    Hold.BREATHING_SPACE: "a breathing space (debt respite) moratorium is in force",
}


def check_case(case: Case, purpose: Purpose, today: date, *, by_person: bool = False
               ) -> list[Reason]:
    """Every case-level reason to stay silent for ``purpose``; ``today`` is the local date.
    ``by_person``: a reply written by a person (a collector), which the holds that mean
    "a person answers" (:data:`PERSON_ONLY`) let through."""
    reasons: list[Reason] = []
    reply = purpose is Purpose.REPLY
    allowed = (_REPLY_ALLOWED | PERSON_ONLY if by_person else _REPLY_ALLOWED) if reply \
        else frozenset()
    status = case.status

    if status is not CaseStatus.ACTIVE and status is not CaseStatus.PROMISED:
        if status.closed and not reply:
            reasons.append(Reason(ReasonCode.CLOSED, f"case is {status}"))
        if status is CaseStatus.LEGAL_REVIEW and not reply:
            reasons.append(Reason(ReasonCode.LEGAL_REVIEW,
                                  "case waits in the legal-review queue"))
        if status is CaseStatus.LEGAL_HOLD and not (
            {Hold.ATTORNEY, Hold.BANKRUPTCY} & case.holds.keys()
        ):
            reasons.append(Reason(ReasonCode.LEGAL_HOLD, "case is on legal hold"))
        if status is CaseStatus.DISPUTED and Hold.DISPUTE not in case.holds and not reply:
            reasons.append(Reason(ReasonCode.HOLD_DISPUTE, "case is disputed"))

    if case.holds:
        for hold in sorted(case.holds, key=lambda h: h.value):
            if hold in allowed:
                continue
            if not case.hold_in_force(hold, today):
                continue  # a breathing space after its last day
            if hold is Hold.HUMAN:
                who = case.held_by or case.holds[hold] or "a collector"
                detail = f"held by collector {who}"
            elif hold is Hold.BREATHING_SPACE and case.breathing_space_until is not None:
                detail = f"{_HOLD_DETAIL[hold]} until {case.breathing_space_until.isoformat()}"
            else:
                detail = _HOLD_DETAIL[hold]
            reasons.append(Reason(_HOLD_CODES[hold], detail))
    if case.held_by is not None and Hold.HUMAN not in case.holds:
        reasons.append(Reason(ReasonCode.HOLD_HUMAN, f"held by collector {case.held_by}"))

    # without promises dunning has no promise reason (a reminder still has one)
    if not reply and (case.promises or purpose is not Purpose.DUNNING):
        reasons.extend(_promise_reasons(case, purpose, today))
    return reasons


def _promise_reasons(case: Case, purpose: Purpose, today: date) -> list[Reason]:
    # A pending promise whose day has passed is broken in substance; it blocks nothing.
    live = [p for p in case.pending_promises() if p.due is None or p.due >= today]
    if purpose is Purpose.DUNNING:
        if not live:
            return []
        first = live[0]
        when = f"due {first.due.isoformat()}" if first.due else "without a due date"
        return [Reason(ReasonCode.PENDING_PROMISE, f"promise {first.ref} is pending, {when}")]
    # promise reminder: only the day before a pending promise is due
    tomorrow = today + timedelta(days=1)
    if any(p.due == tomorrow for p in live):
        return []
    if not live:
        return [Reason(ReasonCode.REMINDER_NOT_DUE, "no pending promise to remind of")]
    dues = ", ".join(p.due.isoformat() if p.due else "undated" for p in live)
    return [Reason(ReasonCode.REMINDER_NOT_DUE,
                   f"a reminder goes the day before the due date ({dues})")]
