"""opt_out (LABELING.md): keywords, keyword clauses, requests to stop contact, non-opt-outs."""

from __future__ import annotations

import pytest
from replies_helpers import parse

KEYWORDS = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "退订",
    "TD",
    "N",
]


@pytest.mark.parametrize("word", KEYWORDS)
@pytest.mark.parametrize("shape", ["{}", "{}.", "{}!!", " {} ", "{}\n", "'{}'", "**{}**"])
def test_whole_message_keyword_any_case_and_punctuation(word, shape):
    for variant in (word, word.lower(), word.title()):
        reply = parse(shape.format(variant))
        assert reply.opt_out, shape.format(variant)
        assert reply.intent == "stop"


@pytest.mark.parametrize("text", ["ＳＴＯＰ", "ＴＤ", "Ｓｔｏｐ！"])
def test_full_width_keywords(text):
    assert parse(text).opt_out


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("STOP. I already paid", "paid"),
        ("已经还了，退订", "paid"),
        ("TD 谢谢", "stop"),
        ("我要退订", "stop"),
        ("Paid it Tuesday. STOP", "paid"),
        ("Unsubscribe, thanks", "stop"),
        ("退订！", "stop"),
        ("cancel, I paid", "paid"),
    ],
)
def test_keyword_as_its_own_clause(text, intent):
    reply = parse(text)
    assert reply.opt_out and reply.intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "stop texting me",
        "don't contact me again",
        "remove me from your list",
        "leave me alone",
        "不要再联系我",
        "别再发了",
        "别烦我",
        "stop calling my work",
        "leave me alone for now",
        "stop harassing me",
        "别催了",
        "请停止催收",
        "别发短信了，打电话给我",
        "Please don't text me anymore",
        "No more texts please",
        "quit texting me",
        "Take me off your mailing list",
        "remove my number please",
        "I don't want these messages anymore",
        "Do not contact me again by phone, text or email",
        "stop sending these",
        "never contact me again",
        "不要再打我电话，也别发短信",
        "请不要再发这类信息",
        "以后别再发了",
        "opt me out",
        "stop emailing me",
        "lose my number",
    ],
)
def test_requests_to_stop_contact(text):
    assert parse(text).opt_out, text


@pytest.mark.parametrize(
    "text",
    [
        "I want to cancel my card",
        "我想取消自动扣款",
        "text me instead",
        "talk to my lawyer",
        "you can just text me instead",
        "How do I cancel autopay?",
        "can you stop the late fees?",
        "I can't stop worrying about this",
        "the end of the month",
        "I'll pay by the end of the week",
        "No",
        "no thanks",
        "Keep texting all you want, I'm not paying",
        "能不能停息挂账",
        "I paid via TD bank",
        "Call me",
        "send me a statement",
    ],
)
def test_not_opt_outs(text):
    assert not parse(text).opt_out, text


def test_opt_out_is_reported_whatever_the_intent():
    assert parse("I'll pay $80 tomorrow, stop texting me").intent == "promise_to_pay"
    assert parse("wrong number, remove me from your list").intent == "wrong_party"
    assert parse("Chapter 13 filed, stop contacting me").intent == "legal"
    for text in (
        "I'll pay $80 tomorrow, stop texting me",
        "wrong number, remove me from your list",
        "Chapter 13 filed, stop contacting me",
    ):
        assert parse(text).opt_out


def test_opt_out_far_into_a_long_message():
    text = "I have been meaning to write. " * 300 + "Please stop texting me."
    assert parse(text).opt_out
