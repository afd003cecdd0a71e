"""The pure dialog: one parsed reply + where the conversation stands → one turn.

Replies are built directly (``bot.replies.model.Reply``), so these tests pin the dialog's
decisions independently of the parser.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.conversations.dialog import (
    CONVERSATION_TTL,
    CaseFacts,
    ClaimPayment,
    Conversation,
    Limits,
    MakePromise,
    MarkShared,
    MarkVerified,
    MarkWrongParty,
    OpenDispute,
    OptOutContact,
    PlaceHold,
    PlaceLegalHold,
    QueueForHuman,
    State,
    Turn,
    callback_time,
    check_terms,
    decide,
    normalise_answer,
    plan_options,
    plan_terms,
    recurring_terms,
)
from bot.domain.case import Hold
from bot.domain.work_items import WorkItemKind
from bot.replies.model import Intent, PromiseTerm, Recurrence, Reply

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York
TODAY = date(2026, 12, 1)
LIMITS = Limits(max_promise_horizon_days=60, min_instalment_percent=10, max_instalments=12)
FACTS = CaseFacts(balance_minor=100_000, currency="USD", today=TODAY,
                  minimum_payment_minor=5_000, expected_answer="1980-05-17",
                  timezone="America/New_York")
VERIFIED = replace(FACTS, verified=True)
SMS = replace(FACTS, can_verify=False)  # the inbound service: SMS never verifies


def rep(intent: Intent, text: str = "", *, opt_out: bool = False,
        promises: tuple[tuple[str | None, date | None], ...] = (), confidence: float = 0.9,
        lang: str = "en") -> Reply:
    terms = tuple(PromiseTerm(Decimal(a) if a is not None else None, d) for a, d in promises)
    return Reply(intent, opt_out, terms, lang, confidence, (), text)


def other(text: str, lang: str = "en") -> Reply:
    return rep(Intent.OTHER, text, lang=lang)


def run(reply: Reply, conv: Conversation | None = None, facts: CaseFacts = FACTS,
        now: datetime = NOW) -> Turn:
    return decide(reply, conv or Conversation(), facts, LIMITS, now)


def templates(turn: Turn) -> list[str]:
    return [r.template_id for r in turn.replies]


def queued(turn: Turn) -> list[str]:
    return [c.kind for c in turn.commands if isinstance(c, QueueForHuman)]


def only(turn: Turn, kind: type) -> list:
    return [c for c in turn.commands if isinstance(c, kind)]


# ------------------------------------------------------------------ each intent
def test_promise_within_policy_is_recorded_and_confirmed() -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "I will pay 200 on December 10",
                   promises=(("200", date(2026, 12, 10)),)))
    assert turn.commands == [MakePromise(((20_000, date(2026, 12, 10)),))]
    assert templates(turn) == ["promise_confirmed"]
    assert turn.conversation.state is State.IDLE


def test_instalment_promise_within_policy_records_every_instalment() -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "300 on the 15th and 700 on the 30th",
                   promises=(("300", date(2026, 12, 15)), ("700", date(2026, 12, 30)))))
    assert turn.commands == [MakePromise(((30_000, date(2026, 12, 15)),
                                          (70_000, date(2026, 12, 30))))]


def test_paid_claims_the_payment_queues_a_check_and_acknowledges() -> None:
    turn = run(rep(Intent.PAID, "already paid"))
    assert only(turn, ClaimPayment) == [ClaimPayment(grace_days=5)]
    assert queued(turn) == ["payment_claim"]
    assert templates(turn) == ["paid_ack"]


def test_dispute_opens_a_dispute_queues_it_and_acknowledges() -> None:
    turn = run(rep(Intent.DISPUTE, "this is not my debt"))
    assert len(only(turn, OpenDispute)) == 1
    assert queued(turn) == ["dispute"]
    assert templates(turn) == ["dispute_ack"]


@pytest.mark.parametrize(("text", "kind"), [
    ("talk to my lawyer", "attorney"),
    ("I filed for bankruptcy", "bankruptcy"),
    ("this is a cease and desist", "cease"),
    ("I will file a complaint", "complaint"),
    ("我找律师了", "attorney"),
])
def test_legal_places_the_right_hold_and_queues_first(text: str, kind: str) -> None:
    turn = run(rep(Intent.LEGAL, text))
    assert only(turn, PlaceLegalHold) == [PlaceLegalHold(kind)]
    legal = [c for c in turn.commands if isinstance(c, QueueForHuman)]
    assert [(c.kind, c.kind.priority) for c in legal] == [("legal", 10)]
    assert templates(turn) == ["legal_ack"] and turn.replies[0].confirmation


def test_wrong_party_marks_the_contact_and_answers_once_as_a_confirmation() -> None:
    turn = run(rep(Intent.WRONG_PARTY, "wrong number"))
    assert turn.commands == [MarkWrongParty()]
    assert templates(turn) == ["wrong_party_reply"] and turn.replies[0].confirmation


@pytest.mark.parametrize("reply", [
    rep(Intent.WRONG_PARTY, "My husband passed away"),
    rep(Intent.WRONG_PARTY, "她已经去世了", lang="zh"),
    # the parser's own flag (LABELING.md "deceased"), whatever the words
    replace(rep(Intent.WRONG_PARTY, "he is gone, sorry"), deceased=True),
])
def test_a_death_is_a_deceased_hold_for_a_specialist_not_a_wrong_number(reply: Reply) -> None:
    turn = run(reply)
    assert only(turn, MarkWrongParty) == []
    assert only(turn, PlaceHold) == [PlaceHold(Hold.DECEASED,
                                               "a reply says the customer has died")]
    assert queued(turn) == [WorkItemKind.BEREAVEMENT]
    assert templates(turn) == ["bereavement_ack"] and turn.replies[0].confirmation


def test_a_death_with_an_opt_out_records_both_and_answers_once() -> None:
    turn = run(rep(Intent.WRONG_PARTY, "He passed away, stop texting", opt_out=True))
    assert only(turn, OptOutContact) == [OptOutContact()]
    assert templates(turn) == ["bereavement_ack"]


def test_a_bereaved_customer_is_not_deceased() -> None:
    turn = run(rep(Intent.HARDSHIP, "My mother passed away so I cannot pay this month"))
    assert only(turn, PlaceHold) == []


def test_refusal_goes_to_a_person() -> None:
    turn = run(rep(Intent.REFUSE, "I won't pay"))
    assert queued(turn) == ["refusal"] and templates(turn) == ["handoff_ack"]
    assert not only(turn, MakePromise)


def test_callback_queues_with_the_requested_local_time() -> None:
    turn = run(rep(Intent.CALLBACK, "call me tomorrow at 3pm"))
    [item] = only(turn, QueueForHuman)
    assert item.kind == "callback"
    assert item.due_at == datetime(2026, 12, 2, 15, 0, tzinfo=ZoneInfo("America/New_York"))
    assert templates(turn) == ["callback_ack"]


def test_question_how_to_pay_is_answered_without_verification() -> None:
    turn = run(rep(Intent.QUESTION, "how can I pay?"))
    assert templates(turn) == ["how_to_pay"] and not turn.commands


def test_an_acknowledgement_changes_nothing() -> None:
    turn = run(rep(Intent.OTHER, "thanks", confidence=0.9))
    assert turn.commands == [] and turn.replies == []
    assert turn.conversation.state is State.IDLE


def test_other_the_parser_could_not_place_goes_to_a_person() -> None:
    turn = run(rep(Intent.OTHER, "asdf qwerty", confidence=0.6))
    assert queued(turn) == ["other"] and turn.replies == []


@pytest.mark.parametrize("intent", [Intent.OTHER, Intent.PROMISE_TO_PAY, Intent.PAID,
                                    Intent.HARDSHIP, Intent.QUESTION, Intent.DISPUTE,
                                    Intent.WRONG_PARTY, Intent.REFUSE])
def test_low_confidence_only_queues_for_a_person(intent: Intent) -> None:
    turn = run(rep(intent, "asdf qwerty", confidence=0.3,
                   promises=(("50", TODAY + timedelta(days=3)),)))
    assert [(type(c), getattr(c, "kind", None)) for c in turn.commands] == [
        (QueueForHuman, "low_confidence")]
    # the neutral handoff answer, nothing that acts on the reading
    assert templates(turn) == ([] if intent is Intent.OTHER else ["handoff_ack"])
    assert turn.conversation.state is State.IDLE


@pytest.mark.parametrize(("intent", "promises"), [
    (Intent.PROMISE_TO_PAY, (("50", TODAY + timedelta(days=3)),)),
    (Intent.DISPUTE, ()), (Intent.PAID, ()), (Intent.HARDSHIP, ()),
])
def test_needs_human_blocks_every_automatic_action(
        intent: Intent, promises: tuple[tuple[str | None, date | None], ...]) -> None:
    # confident rules, but the learned model disagrees: the reply is not safe to act on
    reply = replace(rep(intent, "I'll pay 50 friday", promises=promises),
                    review=("rules and model disagree",))
    assert reply.needs_human
    turn = run(reply, facts=VERIFIED)
    assert [type(c) for c in turn.commands] == [QueueForHuman]
    assert queued(turn) == ["low_confidence"]
    assert "rules and model disagree" in turn.commands[0].detail
    assert templates(turn) == ["handoff_ack"]


def test_needs_human_still_lets_an_opt_out_bind() -> None:
    reply = replace(rep(Intent.PROMISE_TO_PAY, "ill pay 50 fri, stop texting", opt_out=True,
                        promises=(("50", TODAY + timedelta(days=3)),)),
                    review=("model unsure",))
    turn = run(reply)
    assert OptOutContact(("this",)) in turn.commands and not only(turn, MakePromise)
    assert queued(turn) == ["low_confidence"]
    assert templates(turn) == ["opt_out_confirmed"]


def test_needs_human_legal_reading_still_holds_the_case() -> None:
    reply = replace(rep(Intent.LEGAL, "my lawyer will call"), review=("model unsure",))
    turn = run(reply)
    assert only(turn, PlaceLegalHold) and queued(turn) == ["legal"]
    # but a legal reading the rules did not make (the model's alone) is only queued
    guess = replace(rep(Intent.LEGAL, "I saw the letter"), review=("rules and model disagree",))
    turn = run(guess)
    assert not only(turn, PlaceLegalHold) and queued(turn) == ["low_confidence"]
    assert templates(turn) == ["handoff_ack"]


# ------------------------------------------------------------------ recurring offers
def test_recurring_offer_within_policy_is_recorded_as_a_plan() -> None:
    first = TODAY + timedelta(days=3)
    reply = replace(rep(Intent.PROMISE_TO_PAY, "300 a month from friday",
                        promises=(("300", first),)),
                    recurrence=Recurrence(Decimal("300"), "month", first))
    turn = run(reply)
    [promise] = [c for c in turn.commands if isinstance(c, MakePromise)]
    assert promise.terms == ((30_000, first), (30_000, date(2027, 1, 4)),
                             (30_000, date(2027, 2, 4)), (10_000, date(2027, 3, 4)))
    assert templates(turn) == ["promise_confirmed"]
    assert turn.note.startswith("plan_proposed:")


def test_recurring_offer_outside_policy_is_not_a_single_promise() -> None:
    first = TODAY + timedelta(days=2)
    # 20 a week is 50 instalments: more than the profile allows, and each below 10%
    reply = replace(rep(Intent.PROMISE_TO_PAY, "20 a week from thursday",
                        promises=(("20", first),)),
                    recurrence=Recurrence(Decimal("20"), "week", first))
    turn = run(reply, facts=VERIFIED)
    assert not only(turn, MakePromise)
    assert queued(turn) == ["promise_negotiation"]
    assert "too_many_instalments" in turn.commands[0].detail
    assert templates(turn) == ["promise_out_of_policy"]


def test_recurring_terms_cover_the_balance() -> None:
    first = date(2026, 12, 4)
    assert recurring_terms(40_000, "week", first, 100_000) == [
        (40_000, first), (40_000, date(2026, 12, 11)), (20_000, date(2026, 12, 18))]
    assert recurring_terms(50_000, "fortnight", first, 100_000)[1] == (50_000,
                                                                        date(2026, 12, 18))
    assert recurring_terms(0, "week", first, 100_000) == []


# ------------------------------------------------------------------ opt-out
def test_opt_out_suppresses_and_confirms_once() -> None:
    turn = run(rep(Intent.STOP, "stop texting me", opt_out=True))
    assert turn.commands == [OptOutContact(("this",))]
    assert templates(turn) == ["opt_out_confirmed"] and turn.replies[0].confirmation
    again = run(rep(Intent.STOP, "stop texting me", opt_out=True),
                facts=replace(FACTS, contact_opted_out=True))
    assert again.commands == [] and again.replies == []


def test_opt_out_with_paid_records_the_claim_but_sends_only_the_confirmation() -> None:
    turn = run(rep(Intent.PAID, "please stop texting me, I already paid", opt_out=True))
    assert only(turn, OptOutContact) and only(turn, ClaimPayment)
    assert queued(turn) == ["payment_claim"]
    assert templates(turn) == ["opt_out_confirmed"]


def test_opt_out_with_dispute_opens_the_dispute_silently() -> None:
    turn = run(rep(Intent.DISPUTE, "not my debt, stop messaging me", opt_out=True))
    assert only(turn, OptOutContact) and only(turn, OpenDispute)
    assert queued(turn) == ["dispute"]
    assert templates(turn) == ["opt_out_confirmed"]


def test_opt_out_with_a_promise_queues_it_for_a_person() -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "I'll pay friday, now stop texting", opt_out=True,
                   promises=((None, date(2026, 12, 4)),)))
    assert not only(turn, MakePromise)
    assert queued(turn) == ["promise_to_pay"]


def test_opt_out_wins_over_a_pending_question() -> None:
    asked = Conversation(State.CONFIRM_PROMISE, {"terms": [(None, "2027-01-30")]},
                         NOW + CONVERSATION_TTL)
    turn = run(rep(Intent.STOP, "STOP", opt_out=True), asked)
    assert turn.commands == [OptOutContact(("this",))]
    assert turn.conversation.state is State.IDLE


# ------------------------------------------------------------------ promise rules
def test_promise_without_a_date_asks_for_one_then_a_bare_date_answers_it() -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "I can pay 200", promises=(("200", None),)))
    assert templates(turn) == ["ask_promise_date"] and not turn.commands
    assert turn.conversation.state is State.ASK_DATE
    # "next friday" alone is no promise to the parser: the question gives it its meaning
    answer = run(other("next friday"), turn.conversation)
    assert answer.commands == [MakePromise(((20_000, date(2026, 12, 11)),))]
    assert templates(answer) == ["promise_confirmed"]


def test_a_chinese_date_answers_the_date_question() -> None:
    asked = run(rep(Intent.PROMISE_TO_PAY, "我会还的", lang="zh")).conversation
    turn = run(other("下周五", lang="zh"), asked)
    assert turn.commands == [MakePromise(((None, date(2026, 12, 11)),))]


def test_another_intent_wins_over_the_date_question() -> None:
    asked = run(rep(Intent.PROMISE_TO_PAY, "I can pay", promises=())).conversation
    turn = run(rep(Intent.PAID, "actually I paid yesterday"), asked)
    assert only(turn, ClaimPayment) and not only(turn, MakePromise)


def test_date_too_far_gets_a_counter_offer_and_yes_confirms_it() -> None:
    far = TODAY + timedelta(days=90)
    turn = run(rep(Intent.PROMISE_TO_PAY, "I'll pay in March", promises=((None, far),)),
               facts=SMS)
    horizon = TODAY + timedelta(days=60)
    assert templates(turn) == ["promise_counter_offer"] and not turn.commands
    assert turn.replies[0].values["proposed"] == [(None, horizon.isoformat())]
    assert turn.conversation.state is State.CONFIRM_PROMISE
    for yes in ("yes", "OK", "好的", "Yes!", "sure"):
        confirmed = run(other(yes), turn.conversation, facts=SMS)
        assert confirmed.commands == [MakePromise(((None, horizon),))], yes
        assert templates(confirmed) == ["promise_confirmed"]
        assert confirmed.conversation.state is State.IDLE


@pytest.mark.parametrize("no", ["no", "Nope", "不", "不行"])
def test_no_to_a_counter_offer_goes_to_a_person(no: str) -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "", promises=(("100", TODAY - timedelta(days=1)),)))
    assert turn.replies[0].values["proposed"] == [(10_000, TODAY.isoformat())]
    declined = run(other(no), turn.conversation)
    assert queued(declined) == ["promise_negotiation"] and not only(declined, MakePromise)
    assert templates(declined) == ["handoff_ack"]


def test_an_unrelated_reply_to_a_counter_offer_is_read_on_its_own() -> None:
    asked = run(rep(Intent.PROMISE_TO_PAY, "", promises=((None, TODAY + timedelta(days=99)),)))
    turn = run(rep(Intent.DISPUTE, "this is not my debt"), asked.conversation)
    assert only(turn, OpenDispute) and not only(turn, MakePromise)


def test_amount_out_of_policy_on_a_limited_contact_goes_to_a_person() -> None:
    # an SMS cannot show an amount, so the customer could not see what YES would agree to
    turn = run(rep(Intent.PROMISE_TO_PAY, "I will pay 2000 on friday",
                   promises=(("2000", date(2026, 12, 4)),)), facts=SMS)
    assert templates(turn) == ["promise_out_of_policy"]
    assert queued(turn) == ["promise_negotiation"]
    assert turn.conversation.state is State.IDLE
    assert turn.replies[0].values["offer"] == [(200_000, "2026-12-04")]


def test_amount_out_of_policy_on_a_verified_contact_is_countered_with_the_balance() -> None:
    turn = run(rep(Intent.PROMISE_TO_PAY, "I will pay 2000 on friday",
                   promises=(("2000", date(2026, 12, 4)),)), facts=VERIFIED)
    assert templates(turn) == ["promise_counter_offer"]
    assert turn.replies[0].values["proposed"] == [(100_000, "2026-12-04")]
    assert run(other("yes"), turn.conversation, facts=VERIFIED).commands == [
        MakePromise(((100_000, date(2026, 12, 4)),))]


def test_too_many_instalments_go_to_a_person_with_plans_for_a_verified_customer() -> None:
    terms = tuple(("50", TODAY + timedelta(days=7 + 30 * i)) for i in range(13))
    turn = run(rep(Intent.PROMISE_TO_PAY, "", promises=terms), facts=VERIFIED)
    assert queued(turn) == ["promise_negotiation"] and not only(turn, MakePromise)
    assert templates(turn) == ["promise_out_of_policy"]
    assert [c for c, _, _ in turn.replies[0].values["plan_options"]] == [3, 6]
    assert turn.conversation.state is State.CHOOSE_PLAN


@pytest.mark.parametrize(("terms", "problems"), [
    ([(10_000, TODAY)], []),
    ([(10_000, TODAY - timedelta(days=1))], ["date_in_past"]),
    ([(10_000, TODAY + timedelta(days=60))], []),
    ([(10_000, TODAY + timedelta(days=61))], ["date_too_far"]),
    ([(100_000, TODAY)], []),
    ([(100_001, TODAY)], ["amount_above_balance"]),
    ([(5_000, TODAY)], []),
    ([(4_999, TODAY)], ["amount_below_minimum"]),
    ([(None, TODAY)], []),
    # plans: first within the horizon, monthly up to max_instalments, 10 % each
    (list(plan_terms(12, 10_000, TODAY + timedelta(days=60), 100_000)), []),
    ([(10_000, TODAY + timedelta(days=61)), (90_000, TODAY + timedelta(days=91))],
     ["date_too_far"]),
    # 13 × 10 % cannot fit in the balance: both rules speak
    ([(10_000, TODAY + timedelta(days=7)) for _ in range(13)],
     ["instalments_above_balance", "too_many_instalments"]),
    ([(9_999, TODAY + timedelta(days=7)), (50_000, TODAY + timedelta(days=37))],
     ["amount_below_minimum"]),
    ([(95_000, TODAY + timedelta(days=7)), (5_000, TODAY + timedelta(days=37))], []),
    ([(60_000, TODAY + timedelta(days=7)), (60_000, TODAY + timedelta(days=37))],
     ["instalments_above_balance"]),
])
def test_check_terms_boundaries(terms: list[tuple[int | None, date | None]],
                                problems: list[str]) -> None:
    assert check_terms(terms, FACTS, LIMITS)[1] == problems


def test_check_terms_without_a_minimum_payment_accepts_any_positive_amount() -> None:
    facts = replace(FACTS, minimum_payment_minor=None)
    assert check_terms([(1, TODAY)], facts, LIMITS)[1] == []


def test_check_terms_moves_terms_into_policy() -> None:
    fixed, _ = check_terms([(200_000, TODAY + timedelta(days=100))], FACTS, LIMITS)
    assert fixed == [(100_000, TODAY + timedelta(days=60))]


# ------------------------------------------------------------------ hardship and plans
def test_plan_options_respect_the_minimum_instalment() -> None:
    assert plan_options(FACTS, LIMITS) == [(3, 33_334, TODAY + timedelta(days=7)),
                                           (6, 16_667, TODAY + timedelta(days=7))]
    assert [c for c, _, _ in plan_options(FACTS, replace(LIMITS, min_instalment_percent=1))] \
        == [3, 6, 12]
    assert [c for c, _, _ in plan_options(FACTS, replace(LIMITS, max_instalments=6))] == [3, 6]


def test_hardship_for_a_verified_customer_offers_plans() -> None:
    turn = run(rep(Intent.HARDSHIP, "I lost my job"), facts=VERIFIED)
    assert templates(turn) == ["plan_options"]
    assert turn.conversation.state is State.CHOOSE_PLAN
    assert not turn.commands


@pytest.mark.parametrize(("answer", "count"), [
    ("2", 6), ("6 months", 6), ("6期", 6), ("option 1", 3), ("3", 3), ("6个月", 6),
])
def test_a_short_answer_picks_a_plan(answer: str, count: int) -> None:
    offered = run(rep(Intent.HARDSHIP, "I lost my job"), facts=VERIFIED).conversation
    # the parser reads "2" as a promise of 2.00: the question comes first
    turn = run(rep(Intent.PROMISE_TO_PAY, answer, promises=(("2", None),), confidence=0.75),
               offered, facts=VERIFIED)
    [promise] = only(turn, MakePromise)
    assert len(promise.terms) == count
    assert sum(a or 0 for a, _ in promise.terms) == 100_000
    assert promise.terms[0][1] == TODAY + timedelta(days=7)
    assert templates(turn) == ["promise_confirmed"]
    assert turn.conversation.state is State.IDLE


def test_no_plan_suits_goes_to_a_person() -> None:
    offered = run(rep(Intent.HARDSHIP, "I lost my job"), facts=VERIFIED).conversation
    turn = run(other("no"), offered, facts=VERIFIED)
    assert queued(turn) == ["hardship"] and templates(turn) == ["handoff_ack"]


def test_hardship_on_an_unverified_chat_verifies_before_showing_plans() -> None:
    turn = run(rep(Intent.HARDSHIP, "I lost my job"))
    assert templates(turn) == ["plan_options", "verify_prompt"]
    assert turn.replies[0].values == {}  # no amounts for the limited text
    assert turn.conversation.state is State.VERIFY
    verified = run(other("17 May 1980"), turn.conversation)
    assert verified.commands == [MarkVerified()]
    assert templates(verified) == ["verified_ok", "plan_options"]
    assert verified.replies[1].values["plan_options"]
    assert verified.conversation.state is State.CHOOSE_PLAN


def test_hardship_on_sms_points_to_the_phone_and_queues() -> None:
    turn = run(rep(Intent.HARDSHIP, "I lost my job"), facts=SMS)
    assert templates(turn) == ["plan_options"] and turn.replies[0].values == {}
    assert queued(turn) == ["hardship"]
    assert turn.conversation.state is State.IDLE


def test_hardship_without_a_plan_in_policy_goes_to_a_person() -> None:
    tiny = replace(VERIFIED, balance_minor=0)
    turn = run(rep(Intent.HARDSHIP, "I can't pay"), facts=tiny)
    assert queued(turn) == ["hardship"] and templates(turn) == ["handoff_ack"]


# ------------------------------------------------------------------ verification
def test_balance_question_needs_verification_first() -> None:
    assert templates(run(rep(Intent.QUESTION, "how much do I owe?"), facts=VERIFIED)) \
        == ["balance_info"]
    turn = run(rep(Intent.QUESTION, "how much do I owe?"))
    assert templates(turn) == ["verify_prompt"] and not turn.commands
    assert turn.conversation.state is State.VERIFY
    sms = run(rep(Intent.QUESTION, "how much do I owe?"), facts=SMS)
    assert templates(sms) == ["handoff_ack"] and queued(sms) == ["question"]


@pytest.mark.parametrize("answer", ["1980-05-17", "05/17/1980", "17 May 1980",
                                    "May 17, 1980", "1980年5月17日", "my dob is 17 may 1980"])
def test_a_right_verification_answer_verifies(answer: str) -> None:
    asked = run(rep(Intent.QUESTION, "what is my balance")).conversation
    turn = run(other(answer), asked)
    assert turn.commands == [MarkVerified()]
    assert templates(turn) == ["verified_ok"]
    assert turn.conversation == Conversation()


def test_day_first_regions_read_day_month() -> None:
    assert normalise_answer("dob", "17/05/1980", day_first=True) == "1980-05-17"
    assert normalise_answer("dob", "05/17/1980") == "1980-05-17"
    assert normalise_answer("dob", "31/02/1980", day_first=True) is None
    assert normalise_answer("id_last4", "ID 12-34 5678") == "5678"
    assert normalise_answer("id_last4", "123") is None


def test_three_wrong_answers_lock_and_queue() -> None:
    conv = run(rep(Intent.QUESTION, "how much do I owe")).conversation
    first = run(other("1981-01-01"), conv)
    assert templates(first) == ["verify_failed"]
    assert first.replies[0].values == {"attempts_left": 2}
    second = run(other("02/02/1982"), first.conversation)
    assert second.replies[0].values == {"attempts_left": 1}
    assert not second.commands
    third = run(other("3 March 1983"), second.conversation)
    assert [(c.kind, c.kind.priority) for c in only(third, QueueForHuman)] == [
        ("verification_locked", 20)]
    assert templates(third) == ["verify_locked"]
    assert third.conversation.state is State.LOCKED
    # locked: every later message is for a person; no reply, no verification
    later = run(other("1980-05-17"), third.conversation, now=NOW + timedelta(days=30))
    assert queued(later) == ["verification_locked"] and later.replies == []
    assert not only(later, MarkVerified)


def test_an_unreadable_answer_asks_again_without_counting() -> None:
    conv = run(rep(Intent.QUESTION, "how much do I owe")).conversation
    turn = run(other("what?"), conv)
    assert templates(turn) == ["verify_prompt"]
    assert turn.conversation.verify_failures == 0
    assert turn.conversation.state is State.VERIFY


def test_a_promise_while_verifying_is_a_promise_not_a_wrong_birthday() -> None:
    conv = run(rep(Intent.QUESTION, "how much do I owe")).conversation
    turn = run(rep(Intent.PROMISE_TO_PAY, "I'll pay 50 on 12/20/2026",
                   promises=(("50", date(2026, 12, 20)),)), conv)
    assert turn.commands == [MakePromise(((5_000, date(2026, 12, 20)),))]
    assert turn.conversation.verify_failures == 0


# ------------------------------------------------------------------ timeouts
def test_an_unanswered_question_times_out_back_to_idle() -> None:
    asked = run(rep(Intent.PROMISE_TO_PAY, "", promises=((None, TODAY + timedelta(days=99)),)))
    conv = asked.conversation
    assert conv.expires_at == NOW + CONVERSATION_TTL
    late = NOW + CONVERSATION_TTL
    assert conv.current(late).state is State.IDLE
    assert conv.current(late - timedelta(seconds=1)).state is State.CONFIRM_PROMISE
    turn = run(other("yes"), conv, now=late)
    assert turn.commands == [] and turn.replies == []
    assert turn.conversation.state is State.IDLE


def test_failed_attempts_survive_a_timeout_and_a_lock_does_not_time_out() -> None:
    conv = Conversation(State.VERIFY, {"purpose": "balance"}, NOW, verify_failures=2)
    assert conv.current(NOW).verify_failures == 2
    locked = Conversation(State.LOCKED, {}, None, 3)
    assert locked.current(NOW + timedelta(days=365)).state is State.LOCKED


# ------------------------------------------------------------------ callback time
NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("text", "now", "expected"), [
    ("call me tomorrow at 3pm", datetime(2026, 12, 1, 10, tzinfo=NY),
     datetime(2026, 12, 2, 15, tzinfo=NY)),
    ("call me at 9:30 am", datetime(2026, 12, 1, 10, tzinfo=NY),
     datetime(2026, 12, 2, 9, 30, tzinfo=NY)),  # already past today: tomorrow
    ("ring me at 4 p.m.", datetime(2026, 12, 1, 10, tzinfo=NY),
     datetime(2026, 12, 1, 16, tzinfo=NY)),
    ("明天下午3点给我打电话", datetime(2026, 12, 1, 10, tzinfo=SH),
     datetime(2026, 12, 2, 15, tzinfo=SH)),
    ("后天上午十点半打给我", datetime(2026, 12, 1, 10, tzinfo=SH),
     datetime(2026, 12, 3, 10, 30, tzinfo=SH)),
    ("please call me back", datetime(2026, 12, 1, 10, tzinfo=NY), None),
    ("call me at 25pm", datetime(2026, 12, 1, 10, tzinfo=NY), None),
])
def test_callback_time(text: str, now: datetime, expected: datetime | None) -> None:
    assert callback_time(text, now) == expected


def test_verification_by_the_last_four_id_digits() -> None:
    facts = replace(FACTS, verify_method="id_last4", expected_answer="4321")
    asked = run(rep(Intent.QUESTION, "what's my balance"), facts=facts).conversation
    assert run(other("it ends 43 21"), asked, facts=facts).commands == [MarkVerified()]
    wrong = run(other("1234"), asked, facts=facts)
    assert templates(wrong) == ["verify_failed"] and not wrong.commands


# ------------------------------------------------------------------ issue #12
def scoped(text: str, scope: tuple[str, ...], intent: Intent = Intent.STOP) -> Reply:
    return replace(rep(intent, text, opt_out=True), opt_out_scope=scope)


def test_an_opt_out_carries_its_scope_and_confirms_in_kind() -> None:
    on_sms = replace(FACTS, medium="sms")
    here = run(scoped("stop texting me", ("sms",)), facts=on_sms)
    assert here.commands == [OptOutContact(("sms",))]
    assert templates(here) == ["opt_out_confirmed"]  # "no more texts to this number"
    elsewhere = run(scoped("don't email me again", ("email",)), facts=on_sms)
    assert elsewhere.commands == [OptOutContact(("email",))]
    assert templates(elsewhere) == ["opt_out_scope_confirmed"]
    # this address already stopped: another medium is still stopped, silently
    again = run(scoped("and no emails", ("email",)),
                facts=replace(on_sms, contact_opted_out=True))
    assert again.commands == [OptOutContact(("email",))] and again.replies == []


def test_a_wrong_party_speaks_for_this_address_only() -> None:
    turn = run(scoped("wrong number, leave me alone", ("all",), Intent.WRONG_PARTY))
    assert only(turn, OptOutContact) == [OptOutContact(("this",))]
    assert only(turn, MarkWrongParty)


def test_a_relative_answering_marks_the_address_shared() -> None:
    turn = run(rep(Intent.WRONG_PARTY, "This is his wife, he is at work"))
    assert only(turn, MarkShared) and not only(turn, MarkWrongParty)
    assert templates(turn) == ["handoff_ack"] and queued(turn) == ["other"]
    zh = run(rep(Intent.WRONG_PARTY, "我是他老婆，他不在", lang="zh"))
    assert only(zh, MarkShared)
    stranger = run(rep(Intent.WRONG_PARTY, "wrong number, I don't know him"))
    assert only(stranger, MarkWrongParty) and templates(stranger) == ["wrong_party_reply"]
