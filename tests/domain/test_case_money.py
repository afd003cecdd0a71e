"""Days past due and buckets, payments against promises, promises kept and broken."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.case import CaseStatus, PromiseStatus, bucket_for
from tests.domain.factories import AT, DUE, new_case, reach

S = CaseStatus
P = PromiseStatus


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)


@pytest.mark.parametrize(("today", "dpd"), [
    (DUE - timedelta(days=5), -5),
    (DUE, 0),
    (DUE + timedelta(days=1), 1),
    (DUE + timedelta(days=30), 30),
    (DUE + timedelta(days=400), 400),
])
def test_days_past_due_from_the_injected_date(today, dpd):
    assert new_case().compute_days_past_due(today) == dpd


@pytest.mark.parametrize(("dpd", "bucket"), [
    (-10, "current"), (0, "current"), (1, "1-29"), (29, "1-29"), (30, "30-59"), (59, "30-59"),
    (60, "60-89"), (89, "60-89"), (90, "90-119"), (119, "90-119"), (120, "120-179"),
    (179, "120-179"), (180, "180+"), (1000, "180+"),
])
def test_bucket_edges(dpd, bucket):
    assert bucket_for(max(0, dpd)) == bucket
    assert new_case().bucket(DUE + timedelta(days=dpd)) == bucket


def test_cured_when_the_minimum_is_paid_on_or_after_the_due_date():
    case = new_case()  # minimum 50.00
    today = DUE + timedelta(days=10)
    case.record_payment("R1", 2_000, _at(DUE + timedelta(days=3)))
    assert case.compute_days_past_due(today) == 10  # 20.00 of 50.00: still late
    case.record_payment("R2", 3_000, _at(DUE))  # on the due date counts
    assert case.compute_days_past_due(today) == 0
    assert case.bucket(today) == "current"


def test_payment_before_the_due_date_does_not_cure_a_later_cycle():
    case = new_case()
    case.record_payment("R1", 5_000, _at(DUE - timedelta(days=1)))
    assert case.compute_days_past_due(DUE + timedelta(days=4)) == 4


def test_without_a_minimum_only_the_whole_balance_cures():
    case = new_case(minimum_payment_minor=None)
    today = DUE + timedelta(days=12)
    case.record_payment("R1", 60_000, _at(DUE + timedelta(days=2)))  # 60% paid
    assert case.balance_minor == 40_000
    assert case.compute_days_past_due(today) == 12
    case.record_payment("R2", 40_000, _at(DUE + timedelta(days=3)))
    assert case.compute_days_past_due(today) == 0


def test_zero_balance_is_never_past_due():
    case = new_case(balance_minor=0)
    assert case.compute_days_past_due(DUE + timedelta(days=90)) == 0


def test_payments_go_to_pending_promises_in_date_order():
    case = reach(S.ACTIVE)
    late, early, middle = date(2027, 2, 1), date(2026, 12, 15), date(2027, 1, 1)
    case.make_promise([(30_000, late), (10_000, early), (20_000, middle)], AT, "bot")
    case.record_payment("R1", 25_000, AT)  # covers early (10k) and 15k of middle
    by_due = {p.due: p for p in case.promises}
    assert (by_due[early].status, by_due[early].paid_minor) == (P.KEPT, 10_000)
    assert (by_due[middle].status, by_due[middle].paid_minor) == (P.PENDING, 15_000)
    assert (by_due[late].status, by_due[late].paid_minor) == (P.PENDING, 0)
    assert case.status is S.PROMISED
    case.record_payment("R2", 5_000, AT)  # partial payments add up
    assert by_due[middle].status is P.KEPT and by_due[middle].paid_minor == 20_000
    case.record_payment("R3", 30_000, AT)
    assert by_due[late].status is P.KEPT
    assert case.status is S.ACTIVE  # every promise kept, 40.00 still owed
    assert case.balance_minor == 40_000


def test_promise_without_amount_is_kept_by_any_payment():
    case = reach(S.ACTIVE)
    case.make_promise([(None, date(2026, 12, 20))], AT, "bot")
    case.record_payment("R1", 100, AT)
    assert case.promises[0].status is P.KEPT and case.promises[0].paid_minor == 100


def test_payment_reference_is_idempotent():
    case = reach(S.ACTIVE)
    assert case.record_payment("R1", 1_000, AT)
    assert not case.record_payment("R1", 1_000, AT)
    assert not case.record_payment("R1", 9_999, AT)  # same reference, whatever it says
    assert case.balance_minor == 99_000 and len(case.payments) == 1


def test_overpayment_closes_the_case_and_keeps_the_credit():
    case = reach(S.PROMISED)
    case.record_payment("R1", 150_000, AT)
    assert case.status is S.CLOSED_PAID
    assert case.balance_minor == -50_000
    assert case.promises[0].status is P.KEPT


def test_exact_payment_closes_and_cancels_uncovered_promises():
    case = reach(S.ACTIVE)
    case.make_promise([(60_000, date(2026, 12, 10)), (60_000, date(2027, 1, 10))], AT, "bot")
    case.record_payment("R1", 100_000, AT)
    assert case.status is S.CLOSED_PAID and case.balance_minor == 0
    assert [p.status for p in case.promises] == [P.KEPT, P.CANCELLED]
    assert case.promises[1].paid_minor == 40_000


def test_promise_breaks_only_after_its_day():
    case = reach(S.ACTIVE)
    due = date(2026, 12, 10)
    case.make_promise([(10_000, due)], AT, "bot")
    assert case.break_overdue_promises(due - timedelta(days=1), AT) == []
    assert case.break_overdue_promises(due, AT) == []  # the day itself is still good
    assert case.status is S.PROMISED
    assert case.break_overdue_promises(due + timedelta(days=1), AT) == ["P1"]
    assert case.promises[0].status is P.BROKEN
    assert case.status is S.ACTIVE
    assert case.break_overdue_promises(due + timedelta(days=2), AT) == []  # only once


def test_one_broken_instalment_keeps_the_case_promised_while_others_pend():
    case = reach(S.ACTIVE)
    case.make_promise([(10_000, date(2026, 12, 10)), (10_000, date(2027, 1, 10))], AT, "bot")
    assert case.break_overdue_promises(date(2026, 12, 11), AT) == ["P1"]
    assert case.status is S.PROMISED
    assert [p.ref for p in case.pending_promises()] == ["P2"]


def test_partly_paid_promise_still_breaks():
    case = reach(S.ACTIVE)
    case.make_promise([(10_000, date(2026, 12, 10))], AT, "bot")
    case.record_payment("R1", 4_000, AT)
    assert case.break_overdue_promises(date(2026, 12, 11), AT) == ["P1"]
    assert case.promises[0].paid_minor == 4_000


def test_promise_refs_keep_counting_after_superseding():
    case = reach(S.ACTIVE)
    case.make_promise([(1_000, date(2026, 12, 10))], AT, "bot")
    case.make_promise([(1_000, date(2026, 12, 11)), (1_000, date(2026, 12, 12))], AT, "bot")
    case.make_promise([(1_000, date(2026, 12, 13))], AT, "bot")
    assert [p.ref for p in case.promises] == ["P1", "P2", "P3", "P4"]
    assert [p.ref for p in case.pending_promises()] == ["P4"]


def test_promise_taken_during_legal_review_returns_the_case_to_work():
    case = reach(S.LEGAL_REVIEW)
    case.make_promise([(5_000, date(2026, 12, 10))], AT, "bot")
    assert case.status is S.PROMISED


def test_money_stays_integer_minor_units():
    case = new_case(currency="JPY", balance_minor=12_345, minimum_payment_minor=None)
    case.record_payment("R1", 345, AT)
    assert case.balance_minor == 12_000 and isinstance(case.balance_minor, int)
