"""opt_out_scope and deceased (LABELING.md), recurring offers, Chinese variants, and the
promise terms that go to a person."""

from __future__ import annotations

import pytest
from replies_helpers import parse, terms

from bot.replies.chinese_variants import simplify
from bot.replies.instalments import AMOUNT_UNCLEAR, DATE_UNCLEAR


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("STOP", ("this",)),
        ("stop texting me", ("sms",)),
        ("don't email me again", ("email",)),
        ("stop texting and emailing me", ("sms", "email")),
        ("pls dont whatsapp or call me anymore", ("chat", "calls")),
        ("stop calling my work, text me instead", ("calls",)),
        ("leave me alone", ("all",)),
        ("remove me from your list", ("all",)),
        ("please stop contacting this number", ("this",)),
        ("text me one more time and I'm reporting you to the CFPB", ("all",)),
        ("no more phone calls please", ("calls",)),
        ("别再发了", ("this",)),
        ("别发短信了，打电话给我", ("sms",)),
        ("不要再联系我了", ("all",)),
        ("别在微信上给我发消息了", ("chat",)),
        ("再打我家里人电话，我就报警", ("all",)),
        ("請唔好再打嚟", ("calls",)),
    ],
)
def test_opt_out_scope(text: str, scope: tuple[str, ...]) -> None:
    reply = parse(text)
    assert reply.opt_out, text
    assert reply.opt_out_scope == scope, text


def test_no_scope_without_an_opt_out() -> None:
    assert parse("I'll pay 50 on friday").opt_out_scope == ()


@pytest.mark.parametrize(
    ("text", "deceased"),
    [
        ("he passed away last month", True),
        ("This is his wife. He died in November, please stop texting", True),
        ("她已经去世了", True),
        ("我是他儿子，我爸去年就走了", True),
        ("wrong number", False),
        ("my mum just died and I can't deal with this right now", False),  # hardship
    ],
)
def test_deceased(text: str, deceased: bool) -> None:
    reply = parse(text)
    assert reply.deceased is deceased, text
    if deceased:
        assert reply.intent == "wrong_party"


@pytest.mark.parametrize(
    ("text", "period", "first"),
    [
        ("300 a month from next Friday", "month", "2026-12-18"),
        ("$50 every friday", "week", "2026-12-11"),
        ("I can do 20 a week, starting Monday", "week", "2026-12-14"),
        ("每月还800，从下个月1号开始", "month", "2027-01-01"),
        ("100 every two weeks", "fortnight", None),
    ],
)
def test_recurring_offers_expose_their_recurrence(
    text: str, period: str, first: str | None
) -> None:
    reply = parse(text)
    assert reply.intent == "promise_to_pay" and len(reply.promises) == 1
    rec = reply.recurrence
    assert rec is not None and rec.period == period
    assert (rec.first.isoformat() if rec.first else None) == first
    assert rec.amount == reply.promises[0].amount and rec.first == reply.promises[0].date


def test_a_single_promise_has_no_recurrence() -> None:
    assert parse("I'll pay 200 on friday").recurrence is None


def test_traditional_and_dialect_forms_read_as_mandarin() -> None:
    assert simplify("我下個禮拜五還你三千蚊") == "我下个礼拜五还你三千元"
    assert simplify("唔好再發短訊嚟") == "不要再发短信来"
    assert simplify("莫再发咯") == "别再发咯"
    assert simplify("mt还") == "明天还"
    assert len(simplify("聽日過數俾你")) == len("聽日過數俾你")  # offsets are kept
    assert terms(parse("聽日還500，唔該")) == [("500.00", "2026-12-10")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("i get my pension on thursday or friday, will pay 80", DATE_UNCLEAR),  # days unused
        ("如果能免掉罚息，我明天就一次性还清，先转5000", AMOUNT_UNCLEAR),  # full and a number
    ],
)
def test_promise_terms_in_doubt_go_to_a_person(text: str, reason: str) -> None:
    reply = parse(text)
    assert reply.intent == "promise_to_pay"
    assert reason in reply.review and reply.needs_human


def test_a_single_instalment_takes_the_one_day_or_amount_the_reply_states() -> None:
    assert terms(parse("i get my pension on thursday, will pay 80")) == [("80.00", "2026-12-10")]
    assert terms(parse("那就十五号吧，先还四千")) == [("4000.00", "2026-12-15")]
    assert terms(parse("今天还不了，明天吧，先还八百")) == [("800.00", "2026-12-10")]
    assert terms(parse("现在就转，300")) == [("300.00", "2026-12-09")]
    assert terms(parse("ok的，friday还500")) == [("500.00", "2026-12-11")]  # English day
    # a day in an opt-out clause is no pay day
    assert terms(parse("I'll pay asap, now stop texting me")) == [(None, None)]


def test_a_clear_promise_is_not_in_doubt() -> None:
    reply = parse("I'll pay $200 on friday")
    assert reply.review == () and not reply.needs_human
