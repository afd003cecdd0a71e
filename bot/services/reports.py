"""Campaign outcomes: contacts, right-party contacts, promises, promises kept, cures and
opt-outs per campaign step and variant, each attributed to the last campaign message the
case received before it (last touch).

* contacts: campaign messages sent;
* right-party contacts: campaign messages the customer answered (other than "wrong
  number"), once per message;
* promises: promises made (a plan counts once); kept: their first instalment paid;
* cures: cases whose arrears got paid (closed paid, or payments since the due date
  covering the minimum payment), attributed at the covering payment;
* opt-outs: opt-out events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.case import CaseStatus
from bot.domain.clock import ensure_utc
from bot.services.ports import OutcomeFacts

#: the key of outcomes no campaign message preceded
NO_CAMPAIGN = ("(no campaign message)", "-")


@dataclass
class Outcome:
    contacts: int = 0
    right_party: int = 0
    promises: int = 0
    kept: int = 0
    cures: int = 0
    opt_outs: int = 0

    def add(self, other: Outcome) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))



def outcomes(facts: OutcomeFacts) -> tuple[dict[tuple[str, str], Outcome], Outcome]:
    """Per (step, variant) outcomes, last-touch attributed, and the totals."""
    sent, inbound, promises, opt_outs = facts.sent, facts.inbound, facts.promises, \
        facts.opt_outs
    cases, payments = facts.cases, facts.payments
    touches: dict[int, list[tuple[datetime, tuple[str, str]]]] = defaultdict(list)
    by_step: dict[tuple[str, str], Outcome] = defaultdict(Outcome)
    for case_id, sent_at, step, variant in sent:
        key = (step, variant or "-")
        touches[case_id].append((ensure_utc(sent_at), key))
        by_step[key].contacts += 1

    def last_touch(case_id: int, at: datetime) -> tuple[str, str]:
        before = [k for t, k in touches.get(case_id, []) if t <= at]
        return before[-1] if before else NO_CAMPAIGN

    answered: set[tuple[int, int]] = set()  # (case, index of the message answered)
    for case_id, at, intent in inbound:
        at = ensure_utc(at)
        if intent == "wrong_party":
            continue
        idx = [i for i, (t, _) in enumerate(touches.get(case_id, [])) if t <= at]
        if idx and (case_id, idx[-1]) not in answered:
            answered.add((case_id, idx[-1]))
            by_step[touches[case_id][idx[-1]][1]].right_party += 1

    events: dict[tuple[int, datetime], list[tuple[date | None, str]]] = defaultdict(list)
    for case_id, made_at, due, status in promises:
        if made_at is not None:
            events[(case_id, ensure_utc(made_at))].append((due, status))
    for (case_id, made_at), terms in events.items():
        outcome = by_step[last_touch(case_id, made_at)]
        outcome.promises += 1
        first = min(terms, key=lambda t: (t[0] or date.max))
        if first[1] == "kept":
            outcome.kept += 1

    for case_id, at in opt_outs:
        by_step[last_touch(case_id, ensure_utc(at))].opt_outs += 1

    for case_id, (status, due_date, balance, minimum) in cases.items():
        cure = _cured_at(status, due_date, balance, minimum, payments.get(case_id, []))
        if cure is not None:
            by_step[last_touch(case_id, cure)].cures += 1

    total = Outcome()
    for outcome in by_step.values():
        total.add(outcome)
    return dict(by_step), total


def _cured_at(status: str, due_date: date, balance: int, minimum: int | None,
              paid: list[tuple[datetime, int]]) -> datetime | None:
    """When the arrears were paid (the payment that covered them), if they were."""
    if not paid:
        return None
    if status == CaseStatus.CLOSED_PAID.value:
        return paid[-1][0]
    if not minimum:
        return None
    total = 0
    for at, amount in paid:
        if at.date() >= due_date:
            total += amount
            if total >= minimum:
                return at
    return None


