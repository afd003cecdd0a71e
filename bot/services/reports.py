"""Campaign outcomes on live data (``duebot report``) and in the simulation, through the
same code: contacts, right-party contacts, promises kept and broken, cures, opt-outs,
disputes and complaints, each attributed to the last campaign message the case received
before it (last touch), with rates, and for the variants of a step a two-proportion test
against the step's first variant (the champion).

* contacts: campaign messages sent (``cases``: the distinct cases they reached);
* right-party contacts: campaign messages the customer answered (other than "wrong
  number"), once per message;
* promises: promises made (a plan counts once); kept / broken: of those promises, the
  ones whose first instalment was paid / was not (counted with the promise, in the row
  and period the promise was made in);
* cures: cases whose arrears got paid (closed paid, or payments since the due date
  covering the minimum payment), attributed at the covering payment;
* opt-outs, disputes, complaints: those events (a complaint: the legal-review queue took
  the conversation after the customer's message, or a person set a complaint hold).

Rows are per campaign step (``by="step"``), per step and variant (``"variant"``), or per
day (``"day"``, UTC dates of each outcome). ``since``/``until`` (dates, inclusive) keep the
outcomes that happened in the period; attribution still sees every earlier message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.case import LEGAL_QUEUE, CaseStatus
from bot.domain.clock import ensure_utc
from bot.services.ports import OutcomeFacts

#: the step of outcomes no campaign message preceded
NO_CAMPAIGN = "(no campaign message)"
GROUPINGS = ("step", "variant", "day")
#: the two-proportion tests reported for variants: name -> (successes, trials)
TESTS = {"promise_rate": ("promised_cases", "cases"), "cure_rate": ("cures", "cases")}
SIGNIFICANT = 0.05

Touch = tuple[str, str, str]  # campaign, step, variant


@dataclass
class Counts:
    contacts: int = 0
    cases: int = 0
    right_party: int = 0
    promises: int = 0
    promised_cases: int = 0
    kept: int = 0
    broken: int = 0
    cures: int = 0
    opt_outs: int = 0
    disputes: int = 0
    complaints: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, float | None]:
        def rate(n: int, of: int) -> float | None:
            return round(n / of, 4) if of else None

        return {"right_party_rate": rate(self.right_party, self.contacts),
                "promise_rate": rate(self.promised_cases, self.cases),
                "kept_rate": rate(self.kept, self.promises),
                "broken_rate": rate(self.broken, self.promises),
                "cure_rate": rate(self.cures, self.cases),
                "opt_out_rate": rate(self.opt_outs, self.contacts),
                "dispute_rate": rate(self.disputes, self.cases),
                "complaint_rate": rate(self.complaints, self.cases)}


@dataclass(frozen=True)
class Significance:
    """A two-proportion test of a challenger against the champion variant."""

    metric: str
    champion: str
    p_value: float | None  # None: not testable (no successes, or every trial one)
    difference: float | None  # challenger rate minus champion rate

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANT


@dataclass
class Row:
    key: tuple[str, ...]  # (campaign, step) | (campaign, step, variant) | (day,)
    counts: Counts
    tests: dict[str, Significance] = field(default_factory=dict)


@dataclass
class Report:
    by: str
    rows: list[Row]
    total: Counts
    since: date | None = None
    until: date | None = None
    campaign: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return {"step": ("campaign", "step"), "variant": ("campaign", "step", "variant"),
                "day": ("day",)}[self.by]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``--format json``; the simulation prints the same)."""
        def counts(c: Counts) -> dict[str, Any]:
            return {**{k: getattr(c, k) for k in c.__dataclass_fields__}, **c.rates()}

        return {
            "by": self.by, "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None, "campaign": self.campaign,
            "rows": [{**dict(zip(self.columns, r.key, strict=True)), **counts(r.counts),
                      "tests": {name: {"champion": t.champion, "p_value": t.p_value,
                                       "difference": t.difference,
                                       "significant": t.significant}
                                for name, t in r.tests.items()}}
                     for r in self.rows],
            "total": counts(self.total),
        }


def event_kind(event_type: str, payload: Mapping[str, object]) -> str | None:
    """Which reported outcome a case event is: ``opt_out``, ``dispute``, ``complaint``
    (None: none of them)."""
    if event_type == "OptedOut":
        return "opt_out"
    if event_type == "DisputeOpened":
        return "dispute"
    if event_type == "ConversationTaken" and payload.get("collector") == LEGAL_QUEUE:
        return "complaint"
    if event_type == "HoldPlaced" and payload.get("hold") == "complaint":
        return "complaint"
    return None


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value that two proportions are equal (Pearson's chi-squared on the
    2×2 table without continuity correction, which is the two-proportion z-test), from
    ``scipy.stats``; None when it cannot be computed."""
    if min(n1, n2) <= 0 or x1 + x2 == 0 or x1 + x2 == n1 + n2:
        return None
    from scipy.stats import chi2_contingency

    result = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
    return round(float(result.pvalue), 6)


def _in(at: datetime | date, since: date | None, until: date | None) -> bool:
    day = at.date() if isinstance(at, datetime) else at
    return (since is None or day >= since) and (until is None or day <= until)


def build_report(facts: OutcomeFacts, *, by: str = "variant", since: date | None = None,
                 until: date | None = None, campaign: str | None = None,
                 step_order: Mapping[str, list[str]] | None = None,
                 variant_order: Mapping[tuple[str, str], list[str]] | None = None) -> Report:
    """The report over ``facts``; ``step_order``: campaign id -> its step ids in campaign
    order (rows follow it; unknown steps after, by name); ``variant_order``: (campaign,
    step) -> variant ids, the first being the champion (default: alphabetical)."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    touches: dict[int, list[tuple[datetime, Touch]]] = defaultdict(list)
    for case_id, sent_at, step, variant, camp in facts.sent:
        touches[case_id].append((ensure_utc(sent_at), (camp or "-", step, variant or "-")))
    for t in touches.values():
        t.sort(key=lambda x: x[0])

    def last_touch(case_id: int, at: datetime) -> Touch:
        before = [k for t, k in touches.get(case_id, []) if t <= at]
        return before[-1] if before else ("-", NO_CAMPAIGN, "-")

    counts: dict[tuple[str, ...], Counts] = defaultdict(Counts)
    reached: dict[tuple[str, ...], set[int]] = defaultdict(set)
    promised: dict[tuple[str, ...], set[int]] = defaultdict(set)

    def key(touch: Touch, at: datetime) -> tuple[str, ...] | None:
        if campaign is not None and touch[0] != campaign:
            return None
        if by == "day":
            return (at.date().isoformat(),)
        return touch[:2] if by == "step" else touch

    def count(case_id: int, at: datetime, name: str, touch: Touch | None = None) -> None:
        at = ensure_utc(at)
        if not _in(at, since, until):
            return
        k = key(touch or last_touch(case_id, at), at)
        if k is None:
            return
        setattr(counts[k], name, getattr(counts[k], name) + 1)
        if name == "contacts":
            reached[k].add(case_id)
        elif name == "promises":
            promised[k].add(case_id)

    for case_id, sent in touches.items():
        for at, touch in sent:
            count(case_id, at, "contacts", touch)

    answered: set[tuple[int, int]] = set()  # (case, index of the message answered)
    for case_id, at, intent in facts.inbound:
        at = ensure_utc(at)
        if intent == "wrong_party":
            continue
        idx = [i for i, (t, _) in enumerate(touches.get(case_id, [])) if t <= at]
        if idx and (case_id, idx[-1]) not in answered:
            answered.add((case_id, idx[-1]))
            count(case_id, at, "right_party", touches[case_id][idx[-1]][1])

    made: dict[tuple[int, datetime], list[tuple[date | None, str]]] = defaultdict(list)
    for case_id, made_at, due, status in facts.promises:
        if made_at is not None:
            made[(case_id, ensure_utc(made_at))].append((due, status))
    for (case_id, made_at), terms in made.items():
        count(case_id, made_at, "promises")
        first = min(terms, key=lambda t: (t[0] or date.max))
        if first[1] == "kept":
            count(case_id, made_at, "kept")
        elif first[1] == "broken":
            count(case_id, made_at, "broken")

    for name, events in (("opt_outs", facts.opt_outs), ("disputes", facts.disputes),
                         ("complaints", facts.complaints)):
        for case_id, at in events:
            count(case_id, at, name)

    for case_id, (status, due_date, balance, minimum) in facts.cases.items():
        cure = _cured_at(status, due_date, balance, minimum, facts.payments.get(case_id, []))
        if cure is not None:
            count(case_id, cure, "cures")

    for k, c in counts.items():
        c.cases, c.promised_cases = len(reached.get(k, ())), len(promised.get(k, ()))
    rows = [Row(k, counts[k]) for k in _ordered(counts, by, step_order or {})]
    if by == "variant":
        _add_tests(rows, variant_order or {})
    total = Counts()
    for r in rows:
        total.add(r.counts)
    # distinct cases over the whole report, not the sum of the rows'
    total.cases = len(set().union(*reached.values())) if reached else 0
    total.promised_cases = len(set().union(*promised.values())) if promised else 0
    return Report(by, rows, total, since, until, campaign)


def _ordered(counts: Mapping[tuple[str, ...], Counts], by: str,
             step_order: Mapping[str, list[str]]) -> list[tuple[str, ...]]:
    if by == "day":
        return sorted(counts)

    def order(k: tuple[str, ...]) -> tuple[Any, ...]:
        camp, step = k[0], k[1]
        steps = step_order.get(camp, [])
        return (step == NO_CAMPAIGN, camp, steps.index(step) if step in steps else len(steps),
                step, *k[2:])

    return sorted(counts, key=order)


def _add_tests(rows: list[Row], variant_order: Mapping[tuple[str, str], list[str]]) -> None:
    by_step: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        if r.key[2] != "-":
            by_step[(r.key[0], r.key[1])].append(r)
    for step, arms in by_step.items():
        if len(arms) < 2:
            continue
        order = variant_order.get(step, [])
        arms.sort(key=lambda r: (order.index(r.key[2]) if r.key[2] in order else len(order),
                                 r.key[2]))
        champion = arms[0]
        for challenger in arms[1:]:
            for name, (hits, trials) in TESTS.items():
                x1, n1 = getattr(champion.counts, hits), getattr(champion.counts, trials)
                x2, n2 = getattr(challenger.counts, hits), getattr(challenger.counts, trials)
                diff = round(x2 / n2 - x1 / n1, 4) if n1 and n2 else None
                challenger.tests[name] = Significance(name, champion.key[2],
                                                      two_proportion_p(x1, n1, x2, n2), diff)


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
