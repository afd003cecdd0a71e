"""Chinese typed in pinyin is read as the characters it spells (bot.replies.pinyin)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.replies.parser import parse_reply, prepare
from bot.replies.pinyin import from_pinyin, looks_pinyin

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("wo hou tian huan 1000 kuai", "我后天还1000块"),
        ("mingtian zhongwu qian gei ni da 600 guoqu", "明天中午前给你打600过去"),
        ("yijing huan qing le, bie zai da dian hua le", "已经还清了,别再打电话了"),
        ("ok wo jin wan huan 300", "ok我今晚还300"),
        ("san qian kuai yue di huan", "三千块月底还"),
        ("ni men shi na ge gong si de", "你们是哪个公司的"),
    ],
)
def test_pinyin_reads_as_characters(text, chinese):
    assert looks_pinyin(text)
    assert from_pinyin(text)[0] == chinese


@pytest.mark.parametrize(
    "text",
    [
        "I can pay 200 tomorrow",
        "you can call me",
        "ok thanks",
        "hang on",
        "no man",
        "she is in hospital",
        "long time",
        "ping me",
        "STOP",
    ],
)
def test_english_is_not_pinyin(text):
    assert not looks_pinyin(text.lower())


def test_a_pinyin_reply_is_chinese_and_its_spans_point_into_what_was_written():
    text = "wo hou tian huan 1000 kuai, bie zai da dian hua le"
    reply = parse_reply(text, NOW)
    assert reply.lang == "zh"
    assert reply.opt_out
    assert [(p.amount and str(p.amount), p.date) for p in reply.promises] == [
        ("1000.00", dt.date(2026, 12, 9))
    ]
    spans = {s.kind: text[s.start : s.end] for s in reply.spans}
    assert spans["date"] == "hou tian"
    assert spans["amount"] == "1000 kuai"
    assert reply.text == text


def test_a_caller_who_says_english_is_believed():
    _, t, lang = prepare("wo hou tian huan 1000 kuai", "en")
    assert (t, lang) == ("wo hou tian huan 1000 kuai", "en")


def test_long_runs_of_syllables_are_read_in_bounded_work():
    text = "a" * 5000 + " huan " + "wo" * 3000
    assert not looks_pinyin(text)
    reply = parse_reply(text, NOW)
    assert reply.lang == "en"
