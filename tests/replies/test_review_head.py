"""The review head: its features, how it settles a reading, the artifact's head, and the
safety reasons it cannot override."""

from __future__ import annotations

import datetime as dt

import pytest
from replies_helpers import NOW_EN, parse, terms

from bot.replies.intent_model import IntentModel, ReviewHead, export_model
from bot.replies.model import Intent, PromiseTerm, Reply
from bot.replies.parser import parse_reply, read_reply
from bot.replies.review_head import (
    DOUBTFUL,
    NAMES,
    PROMISE_CONFLICT,
    settle,
)
from bot.replies.second_opinion import DISAGREE, OPT_OUT_UNSURE
from storage.intent_model_file import load_intent_model


def _reading(review: tuple[str, ...] = (), confidence: float = 0.9) -> Reply:
    return Reply(Intent.PROMISE_TO_PAY, False, (PromiseTerm(None, None),), "en", confidence,
                 (), "will pay", review=review)


def _head(p_bias: float, threshold: float = 0.9) -> ReviewHead:
    return ReviewHead(NAMES, [0.0] * len(NAMES), p_bias, threshold)


def test_an_accepted_reading_keeps_only_the_hard_reasons() -> None:
    sure = _head(5.0)
    x = 0.993
    assert settle(sure, _reading(), x) == _reading()  # nothing to change
    out = settle(sure, _reading((DISAGREE, PROMISE_CONFLICT)), x)
    assert out.review == (PROMISE_CONFLICT,) and out.needs_human
    out = settle(sure, _reading((DISAGREE,), confidence=0.3), x)
    assert out.review == () and out.confidence == 0.99 and not out.needs_human


def test_a_doubted_reading_goes_to_a_person() -> None:
    unsure = _head(0.0)
    x = 0.5
    out = settle(unsure, _reading(), x)
    assert out.review == (DOUBTFUL,) and out.needs_human and out.confidence == 0.5
    out = settle(unsure, _reading((OPT_OUT_UNSURE, DISAGREE)), x)
    assert out.review == (OPT_OUT_UNSURE, DISAGREE)


def test_the_artifact_carries_a_head_with_a_threshold_chosen_in_training() -> None:
    model = load_intent_model()
    assert model.review is not None and model.review.names == NAMES
    assert 0.5 <= model.review.threshold <= 1.0
    # the head survives a round trip through the artifact format
    again = IntentModel.from_bytes(
        export_model(["a", "b"], ["wx"], [[1.0], [0.0], [0.0]], [0, 0, 0], None, model.review)
    )
    assert again.review is not None and again.review.weights == pytest.approx(
        model.review.weights, abs=1e-6
    )


@pytest.mark.parametrize(
    "text",
    [
        "I'll pay $50 on Friday", "wrong number, who is this?", "我下周五还500，但是这个利息不对",
        "if I get paid I'll send half on friday", "stop texting me, I paid", "能不能分期",
        "I can't pay, lost my job", "gonna pay a bit today and clear the rest next week",
    ],
)
def test_the_estimate_is_the_heads_probability_of_the_features(text: str) -> None:
    from bot.replies.parser import _parse
    from bot.replies.review_head import estimate, review_features

    model = load_intent_model()
    assert model.review is not None
    reply, seen = _parse(text, NOW_EN, None, None, None, model)
    assert seen is not None
    want = model.review.probability(review_features(*seen, reply))
    assert estimate(model.review, *seen, reply) == pytest.approx(want, abs=1e-9)


def test_read_reply_gives_the_features_of_readings_the_model_saw() -> None:
    model = load_intent_model()
    _, x = read_reply("I'll pay $50 on Friday", NOW_EN, None, None, None, model)
    assert x is not None and len(x) == len(NAMES)
    assert read_reply("STOP", NOW_EN, None, None, None, model)[1] is None  # settled by rules
    assert read_reply("I'll pay $50 on Friday", NOW_EN)[1] is None  # no model


@pytest.mark.parametrize(
    "text",
    [
        "I'll pay $100 on friday but honestly I can't afford it, I lost my job",
        "我下周五还500，但是这个利息不对",
    ],
)
def test_a_promise_beside_hardship_or_a_dispute_goes_to_a_person(text: str) -> None:
    reply = parse_reply(text, NOW_EN, model=load_intent_model())
    assert reply.needs_human


def test_a_promise_beside_a_hardship_cue_is_a_hard_reason() -> None:
    text = "I'll pay $100 on friday but honestly I can't afford it, I lost my job"
    reply = parse_reply(text, NOW_EN, model=load_intent_model())
    assert reply.intent is not Intent.PROMISE_TO_PAY or PROMISE_CONFLICT in reply.review


def test_the_model_sure_of_an_opt_out_sets_it() -> None:
    model = load_intent_model()
    for text in ("stop texting me", "不要再发了", "please cease all communication"):
        reply = parse_reply(text, NOW_EN, model=model)
        assert reply.opt_out, text


@pytest.mark.parametrize(
    "text",
    [
        "I'll pay you when pigs fly",
        "yeah right. like i'm gonna pay",
        "Sure, I'll get right on that... NOT",
        "I'll pay it the day after never",
        "下辈子再还吧",
    ],
)
def test_refusals_worded_as_promises_promise_nothing(text: str) -> None:
    reply = parse(text)
    assert reply.intent is not Intent.PROMISE_TO_PAY and reply.promises == ()


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("half on friday, rest on the 30th", [("500.00", "2026-12-11"), (None, "2026-12-30")]),
        ("$150 on the 20th and the same again on the 5th",
         [("150.00", "2026-12-20"), ("150.00", "2027-01-05")]),
        ("CAD 600 on december 20th, thats all i can do right now", [("600.00", "2026-12-20")]),
        ("今天先还300，剩下的过完年再说", [("300.00", "2026-12-09")]),
        ("下礼拜五先打五百过去", [("500.00", "2026-12-18")]),
        ("我 next Friday 会 transfer 一千块 ok?", [("1000.00", "2026-12-18")]),
    ],
)
def test_promise_terms(text: str, want: list[tuple[str | None, str | None]]) -> None:
    assert terms(parse(text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "no calls please",
        "quit blowing up my phone",
        "I hereby withdraw my consent to be contacted by telephone",
        "The family would appreciate it if these messages stopped.",
        "Keep harassing me and I'm going straight to the Ombudsman",
        "I'm not paying, so stop wasting your time texting me",
        "请不要再以任何形式联系本人",
        "你们再上门我就报警",
        "请将本人的邮箱从贵司的通知列表中删除",
        # stopping some contact for a time is an opt-out too (every writer labels it so)
        "no calls after 6pm please",
    ],
)
def test_wider_opt_outs(text: str) -> None:
    assert parse(text).opt_out


@pytest.mark.parametrize(
    "text", ["calls after 6pm suit me better", "I keep calling you, nobody answers"]
)
def test_not_opt_outs(text: str) -> None:
    assert not parse(text).opt_out


def test_the_reading_is_the_same_without_a_date_object() -> None:
    assert parse_reply("will pay 50 tomorrow", dt.date(2026, 12, 9)).promises == (
        PromiseTerm(parse_reply("will pay 50 tomorrow", NOW_EN).promises[0].amount,
                    dt.date(2026, 12, 10)),
    )
