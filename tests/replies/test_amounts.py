"""LABELING.md's amount forms: numerals, number words, Chinese numerals, markers, non-amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from replies_helpers import parse, terms

from bot.replies.numbers import parse_chinese, parse_english


def promised_amount(text: str, balance: str | None = "1000.00") -> str | None:
    reply = parse(text, balance=balance)
    assert reply.intent == "promise_to_pay", (text, reply)
    got = terms(reply)
    assert len(got) == 1, (text, got)
    return got[0][0]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # numerals, with or without currency
        ("I can pay $200 on Friday", "200.00"),
        ("I'll pay 200 bucks friday", "200.00"),
        ("will pay USD 200 tomorrow", "200.00"),
        ("I'll send 1,200.50 on the 15th", "1200.50"),
        ("I can do 1.2k next week", "1200.00"),
        ("明天还500元", "500.00"),
        ("明天还500块", "500.00"),
        ("I can pay 5k next month", "5000.00"),
        ("I'll pay £75 tomorrow", "75.00"),
        ("I'll transfer €250 tomorrow", "250.00"),
        ("明天还¥300", "300.00"),
        ("I'll pay 95.00 tomorrow", "95.00"),
        ("I'll pay 200 dollars tomorrow", "200.00"),
        # number words
        ("I'll pay two hundred next week", "200.00"),
        ("I'll pay fifty tomorrow", "50.00"),
        ("I will pay twenty-five dollars friday", "25.00"),
        ("明天还五百", "500.00"),
        ("明天还两千", "2000.00"),
        ("后天还两千五", "2500.00"),
        ("明天还一千二", "1200.00"),
        ("下个月还一万", "10000.00"),
        ("下个月还1万", "10000.00"),
        ("明天还3千", "3000.00"),
        # colloquial
        ("can do a grand next friday", "1000.00"),
        ("I can pay a hundred tomorrow", "100.00"),
        ("two fifty tmrw?", "250.00"),
        ("I'll send a tenner tomorrow", "10.00"),
        ("下周一先还1千5", "1500.00"),
        ("2w 年底前还上", "20000.00"),
        ("下周还1.5万", "15000.00"),
        ("明天先还伍佰元", "500.00"),
        ("明天还八百块", "800.00"),
        # approximations are the number
        ("I can pay about 500 friday", "500.00"),
        ("500ish this weekend", "500.00"),
        ("月底还500左右", "500.00"),
        ("月底还500多", "500.00"),
        ("月底大概还500", "500.00"),
        ("I can pay around 300 tomorrow", "300.00"),
        # ranges are their lower bound
        ("500-600 on friday", "500.00"),
        ("I can do five or six hundred next month", "500.00"),
        ("这周先还五六百", "500.00"),
        ("过两天还一两千", "1000.00"),
        ("I can pay 150 to 200 friday", "150.00"),
    ],
)
def test_amount_forms(text, want):
    assert promised_amount(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "I'll pay it in full on Friday",
        "I'll pay the full amount on friday",
        "I'll pay all of it friday",
        "I'll pay the whole balance friday",
        "I'll pay the balance on friday",
        "I'll pay it off friday",
        "周五全部还了",
        "周五全额还",
        "周五还清",
        "周五结清",
        "周五一次性还清",
    ],
)
def test_full_balance(text):
    assert promised_amount(text, balance="1240.50") == "1240.50"
    assert promised_amount(text, balance=None) is None


@pytest.mark.parametrize("text", ["I'll pay half on Friday", "周五还一半"])
def test_half_rounds_half_up(text):
    assert promised_amount(text, balance="845.35") == "422.68"
    assert promised_amount(text, balance="9999.99") == "5000.00"
    assert promised_amount(text, balance=None) is None


def test_the_rest_is_null():
    assert terms(parse("300 now and the rest next month")) == [
        ("300.00", "2026-12-09"),
        (None, "2027-01-31"),
    ]
    assert terms(parse("先还3000，剩下的下个月还")) == [("3000.00", None), (None, "2027-01-31")]
    assert terms(parse("先还3000，其余的月底还")) == [("3000.00", None), (None, "2026-12-31")]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("I'll pay on the 15th", [(None, "2026-12-15")]),
        ("I'll pay friday at 5pm", [(None, "2026-12-11")]),
        ("I'll pay 1,500 Tuesday with my card ending 4821", [("1500.00", "2026-12-15")]),
        ("尾号4821的卡我先还1000", [("1000.00", None)]),
        ("本周五下午3点前转3000过去", [("3000.00", "2026-12-11")]),
        ("I can pay 250 5 days from now", [("250.00", "2026-12-14")]),
        ("I'll pay 100 tomorrow, call me on 555-0172 if needed", [("100.00", "2026-12-10")]),
        ("the most I can do is 150 on friday", [("150.00", "2026-12-11")]),
        ("my offer is 300 next week", [("300.00", "2026-12-20")]),
    ],
)
def test_days_times_and_account_digits_are_not_amounts(text, want):
    assert terms(parse(text)) == want


@pytest.mark.parametrize(
    ("words", "want"),
    [
        ("two hundred", 200),
        ("two hundred and fifty", 250),
        ("twenty five", 25),
        ("fifty", 50),
        ("a grand", 1000),
        ("two grand", 2000),
        ("a hundred", 100),
        ("two fifty", 250),
        ("one twenty five", 125),
        ("a tenner", 10),
        ("a fiver", 5),
        ("one thousand two hundred", 1200),
        ("nineteen", 19),
        ("ninety nine", 99),
    ],
)
def test_english_number_words(words, want):
    assert parse_english(words.split()) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("五百", 500),
        ("两千", 2000),
        ("两千五", 2500),
        ("一千二", 1200),
        ("一万", 10000),
        ("1万", 10000),
        ("3千", 3000),
        ("1千5", 1500),
        ("2w", 20000),
        ("1.5万", 15000),
        ("伍佰", 500),
        ("五六百", 500),
        ("一两千", 1000),
        ("十五", 15),
        ("二十", 20),
        ("一百五", 150),
        ("一千零五十", 1050),
        ("三万五", 35000),
        ("一万二", 12000),
        ("两万三千", 23000),
        ("壹仟贰佰", 1200),
        ("3000", 3000),
        ("十", 10),
    ],
)
def test_chinese_numerals(text, want):
    assert parse_chinese(text) == Decimal(want)


def test_not_numbers():
    assert parse_chinese("") is None
    assert parse_chinese("还") is None
    assert parse_english(["and"]) is None
    assert parse_english(["hello"]) is None
