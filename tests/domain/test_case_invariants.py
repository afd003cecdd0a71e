"""Random sequences of case commands: whatever happens, the aggregate stays consistent.

Each command either succeeds or raises TransitionError leaving the case exactly as it
was; after every step the status history only uses moves from TRANSITIONS and the
status agrees with the holds, promises and balance.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import events as ev
from bot.domain.case import TRANSITIONS, Case, CaseStatus, Hold, PromiseStatus, TransitionError
from bot.domain.messages import ChannelKind
from tests.domain.factories import AT, DUE, EMAIL, PHONE, new_case

S = CaseStatus
LEGAL = {Hold.ATTORNEY, Hold.BANKRUPTCY}
CONTACTS = [(ChannelKind.SMS, PHONE), (ChannelKind.EMAIL, EMAIL)]

amounts = st.one_of(st.none(), st.integers(1, 60_000))
days = st.integers(-5, 60)
ops = st.one_of(
    st.tuples(st.just("promise"), st.lists(st.tuples(amounts, days), min_size=1, max_size=3)),
    st.tuples(st.just("cancel"), st.integers(1, 6)),
    st.tuples(st.just("break"), days),
    st.tuples(st.just("pay"), st.integers(1, 120_000), st.sampled_from(["R1", "R2", "R3", "R4"])),
    st.tuples(st.just("claim"), st.integers(1, 10)),
    # OPTED_OUT follows the contact points (checked below); by hand it is an override
    st.tuples(st.just("hold"), st.sampled_from([h for h in Hold if h is not Hold.OPTED_OUT])),
    st.tuples(st.just("release"), st.sampled_from(list(Hold))),
    st.tuples(st.just("dispute")),
    st.tuples(st.just("resolve"), st.sampled_from(["verified", "upheld"])),
    st.tuples(st.just("escalate")),
    st.tuples(st.just("return")),
    st.tuples(st.just("write_off")),
    st.tuples(st.just("opt_out"), st.integers(0, 1)),
    st.tuples(st.just("opt_in"), st.integers(0, 1)),
    st.tuples(st.just("invalidate"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("take"), st.sampled_from(["ann", "bob"])),
    st.tuples(st.just("hand_back"), st.sampled_from(["ann", "bob"])),
)


def apply(case: Case, op: tuple, step: int) -> None:
    at = AT + timedelta(hours=step)
    name, *args = op
    if name == "promise":
        case.make_promise([(a, DUE + timedelta(days=30 + d)) for a, d in args[0]], at, "bot")
    elif name == "cancel":
        case.cancel_promise(f"P{args[0]}", at, "collector:ann", "changed")
    elif name == "break":
        case.break_overdue_promises(DUE + timedelta(days=30 + args[0]), at)
    elif name == "pay":
        case.record_payment(args[1], args[0], at)
    elif name == "claim":
        case.claim_payment(at, args[0])
    elif name == "hold":
        case.place_hold(args[0], at, "collector:ann", "reason")
    elif name == "release":
        case.release_hold(args[0], at, "collector:ann")
    elif name == "dispute":
        case.open_dispute(at, "customer", "not mine")
    elif name == "resolve":
        case.resolve_dispute(args[0], at, "collector:ann")
    elif name == "escalate":
        case.escalate_to_legal_review(at, "campaign", "final")
    elif name == "return":
        case.return_from_legal_review(at, "collector:ann", "back")
    elif name == "write_off":
        case.write_off(at, "collector:ann", "uneconomic")
    elif name == "opt_out":
        case.opt_out(*CONTACTS[args[0]], at, "reply")
    elif name == "opt_in":
        case.opt_in(*CONTACTS[args[0]], at, "reply")
    elif name == "invalidate":
        case.invalidate_contact(*CONTACTS[args[0]], at, "bounce", wrong_party=args[1])
    elif name == "take":
        case.take_over(args[0], at)
    elif name == "hand_back":
        case.hand_back(args[0], at)


def check(case: Case, initial_balance: int) -> None:
    moves = [(e.old, e.new) for e in case.events if isinstance(e, ev.StatusChanged)]
    current = S.ACTIVE.value
    for old, new in moves:
        assert old == current, f"status history jumps: {moves}"
        assert S(new) in TRANSITIONS[S(old)], f"{old} -> {new} is not in TRANSITIONS"
        current = new
    assert current == case.status.value
    assert all(e.account_id == case.account_id for e in case.events)

    refs = [p.reference for p in case.payments]
    assert len(refs) == len(set(refs))
    assert case.balance_minor == initial_balance - sum(p.amount_minor for p in case.payments)
    assert len({p.ref for p in case.promises}) == len(case.promises)
    for p in case.promises:
        if p.amount_minor is not None:
            assert p.paid_minor <= p.amount_minor
            if p.status is PromiseStatus.KEPT:
                assert p.paid_minor == p.amount_minor
    pending = case.pending_promises()
    if case.held_by is not None:
        assert case.holds.get(Hold.HUMAN) == case.held_by
    if Hold.OPTED_OUT in case.holds:
        assert all(c.opted_out_at is not None for c in case.contacts)
    if case.closed:
        assert not pending
        assert (case.status is S.CLOSED_PAID) == (case.balance_minor <= 0) or \
            case.status is S.CLOSED_WRITTEN_OFF
        return
    assert case.balance_minor > 0
    legal = bool(LEGAL & case.holds.keys())
    assert (case.status is S.LEGAL_HOLD) <= legal
    if legal:
        assert case.status in (S.LEGAL_HOLD, S.LEGAL_REVIEW)
    if case.status is S.DISPUTED:
        assert Hold.DISPUTE in case.holds
    if Hold.DISPUTE in case.holds:
        assert case.status in (S.DISPUTED, S.LEGAL_HOLD, S.LEGAL_REVIEW)
    if case.status is S.PROMISED:
        assert pending
    if pending:
        assert case.status in (S.PROMISED, S.LEGAL_HOLD, S.LEGAL_REVIEW)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=30))
def test_random_command_sequences_keep_the_case_consistent(sequence):
    case = new_case()
    initial = case.balance_minor
    for step, op in enumerate(sequence, start=1):
        before = copy.deepcopy(case)
        try:
            apply(case, op, step)
        except TransitionError as exc:
            assert str(exc)
            assert case == before, f"{op} failed half-way: the case changed"
        check(case, initial)


def test_days_past_due_is_never_positive_once_paid():
    case = new_case()
    case.record_payment("R1", case.balance_minor, AT)
    assert case.compute_days_past_due(date(2027, 6, 1)) == 0
