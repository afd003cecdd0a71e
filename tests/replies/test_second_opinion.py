"""How the rules' reading and the model's opinion are combined."""

from __future__ import annotations

from replies_helpers import NOW_EN

from bot.replies.intent_model import ModelOpinion
from bot.replies.model import PRIORITY, Intent
from bot.replies.parser import parse_reply
from bot.replies.second_opinion import (
    DISAGREE,
    OPT_OUT_UNSURE,
    UNSURE,
    choose_intent,
    combine,
    review_reasons,
)
from storage.intent_model_file import load_intent_model

CLASSES = tuple(i.value for i in PRIORITY)


def opinion(intent: str, p: float, opt_out: float = 0.0) -> ModelOpinion:
    rest = (1 - p) / (len(CLASSES) - 1)
    return ModelOpinion.of(CLASSES, tuple(p if c == intent else rest for c in CLASSES), opt_out, 5)


def test_agreement_acts_alone_unless_the_model_is_unsure() -> None:
    reply = parse_reply("I'll pay $50 on friday", NOW_EN)
    sure = combine(reply, opinion("promise_to_pay", 0.9))
    assert sure.intent is Intent.PROMISE_TO_PAY and not sure.needs_human
    assert sure.confidence > reply.confidence  # two agreeing readings
    unsure = combine(reply, opinion("promise_to_pay", 0.2))
    assert unsure.review == (UNSURE,) and unsure.needs_human


def test_disagreement_goes_to_a_person() -> None:
    reply = parse_reply("I'll pay $50 on friday", NOW_EN)
    out = combine(reply, opinion("refuse", 0.6))
    assert DISAGREE in out.review and out.needs_human
    assert out.intent is Intent.PROMISE_TO_PAY  # a confident rule reading is kept


def test_the_model_fills_in_where_the_rules_found_nothing() -> None:
    assert choose_intent(Intent.OTHER, 0.3, opinion("refuse", 0.8)) is Intent.REFUSE
    assert choose_intent(Intent.OTHER, 0.3, opinion("refuse", 0.4)) is Intent.OTHER
    # a sure model overrides an implausible reading, but not a legal/wrong-party/dispute cue
    assert choose_intent(Intent.PROMISE_TO_PAY, 0.9, opinion("refuse", 0.95)) is Intent.REFUSE
    assert choose_intent(Intent.LEGAL, 0.9, opinion("promise_to_pay", 0.99)) is Intent.LEGAL


def test_a_missed_opt_out_is_flagged() -> None:
    reply = parse_reply("I'll pay $50 on friday", NOW_EN)
    assert OPT_OUT_UNSURE in review_reasons(reply, opinion("promise_to_pay", 0.9, opt_out=0.8))
    assert not reply.opt_out  # the rules' opt-out is not changed; a person decides


def test_the_shipped_model_sends_the_issue_example_to_a_person() -> None:
    model = load_intent_model()
    reply = parse_reply("我失业了，现在没钱还，能不能分期", NOW_EN, model=model)
    assert reply.intent is Intent.HARDSHIP and reply.promises == ()
    for text in ("STOP", "ok", "I'll pay $50 on Friday", "wrong number"):
        assert not parse_reply(text, NOW_EN, model=model).needs_human, text
