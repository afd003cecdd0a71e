"""Every row of LABELING.md's date table, in English and Chinese (now: Wed 2026-12-09)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from replies_helpers import NOW_EN, parse, terms

from bot.replies.dates import DATE, EVENT, PAST, VAGUE, context, find_dates

TODAY = "2026-12-09"


def promised_date(
    phrase: str, currency: str | None = None, now: dt.datetime | None = None
) -> str | None:
    zh = any("\u4e00" <= c <= "\u9fff" for c in phrase)
    text = f"{phrase}还500" if zh else f"I'll pay 500 {phrase}"
    reply = parse(text, currency=currency, now=now)
    assert reply.intent == "promise_to_pay", (text, reply)
    got = terms(reply)
    assert len(got) == 1, (text, got)
    assert got[0][0] == "500.00", (text, got)
    return got[0][1]


@pytest.mark.parametrize(
    ("phrase", "want"),
    [
        # today
        ("today", TODAY),
        ("tonight", TODAY),
        ("this evening", TODAY),
        ("now", TODAY),
        ("right now", TODAY),
        ("今天", TODAY),
        ("今晚", TODAY),
        ("马上", TODAY),
        ("现在", TODAY),
        # today + 1, + 2, + 3
        ("tomorrow", "2026-12-10"),
        ("tmrw", "2026-12-10"),
        ("明天", "2026-12-10"),
        ("the day after tomorrow", "2026-12-11"),
        ("后天", "2026-12-11"),
        ("大后天", "2026-12-12"),
        # a bare weekday: the first such day strictly after today
        ("Friday", "2026-12-11"),
        ("by fri", "2026-12-11"),
        ("on Friday", "2026-12-11"),
        ("周五", "2026-12-11"),
        ("星期五", "2026-12-11"),
        ("礼拜五", "2026-12-11"),
        ("wednesday", "2026-12-16"),
        ("周三", "2026-12-16"),
        ("monday", "2026-12-14"),
        ("星期天", "2026-12-13"),
        ("礼拜日", "2026-12-13"),
        # this <weekday>: this week's; next week's if already past; today if today
        ("this Friday", "2026-12-11"),
        ("这周五", "2026-12-11"),
        ("本周五", "2026-12-11"),
        ("this monday", "2026-12-14"),
        ("这周一", "2026-12-14"),
        ("this wednesday", TODAY),
        ("本周三", TODAY),
        # next <weekday>: that day of next week
        ("next Friday", "2026-12-18"),
        ("下周五", "2026-12-18"),
        ("下星期五", "2026-12-18"),
        ("下个周五", "2026-12-18"),
        ("next monday", "2026-12-14"),
        ("下周一", "2026-12-14"),
        # this week: Sunday of this week
        ("this week", "2026-12-13"),
        ("end of the week", "2026-12-13"),
        ("这周", "2026-12-13"),
        ("本周", "2026-12-13"),
        ("this weekend", "2026-12-13"),
        ("周末", "2026-12-13"),
        # next week: Sunday of next week
        ("next week", "2026-12-20"),
        ("next weekend", "2026-12-20"),
        ("下周", "2026-12-20"),
        ("下周末", "2026-12-20"),
        # the week after next
        ("the week after next", "2026-12-27"),
        ("下下周", "2026-12-27"),
        # this month / next month
        ("end of the month", "2026-12-31"),
        ("this month", "2026-12-31"),
        ("月底", "2026-12-31"),
        ("月末", "2026-12-31"),
        ("这个月", "2026-12-31"),
        ("next month", "2027-01-31"),
        ("end of next month", "2027-01-31"),
        ("下个月", "2027-01-31"),
        ("下月", "2027-01-31"),
        ("on the first of next month", "2027-01-01"),
        ("下个月1号", "2027-01-01"),
        ("下月1号", "2027-01-01"),
        ("on the 15th of next month", "2027-01-15"),
        ("下个月15号", "2027-01-15"),
        # end of the year
        ("by the end of the year", "2026-12-31"),
        ("年底", "2026-12-31"),
        # in N days / weeks
        ("in 3 days", "2026-12-12"),
        ("within 3 days", "2026-12-12"),
        ("3 days from now", "2026-12-12"),
        ("3天后", "2026-12-12"),
        ("3天内", "2026-12-12"),
        ("in a couple of days", "2026-12-11"),
        ("过两天", "2026-12-11"),
        ("in 2 weeks", "2026-12-23"),
        ("2周后", "2026-12-23"),
        ("within a week", "2026-12-16"),
        ("一周内", "2026-12-16"),
        ("in two weeks", "2026-12-23"),
        # the Nth: first on or after today
        ("on the 15th", "2026-12-15"),
        ("the 15th", "2026-12-15"),
        ("15号", "2026-12-15"),
        ("15日", "2026-12-15"),
        ("on the 9th", TODAY),
        ("on the 5th", "2027-01-05"),
        ("the 31st", "2026-12-31"),
        # month and day: this year if today or later, else next year
        ("Dec 20", "2026-12-20"),
        ("December 20th", "2026-12-20"),
        ("12/20", "2026-12-20"),
        ("12月20日", "2026-12-20"),
        ("12月20号", "2026-12-20"),
        ("Dec 5", "2027-12-05"),
        ("12/5", "2027-12-05"),
        ("12月5日", "2027-12-05"),
        ("on 5 January", "2027-01-05"),
        # ISO
        ("on 2026-12-05", "2026-12-05"),
        ("2027-01-08", "2027-01-08"),
        # by X / before X / X前 / X之前
        ("by Friday", "2026-12-11"),
        ("before Friday", "2026-12-11"),
        ("周五前", "2026-12-11"),
        ("周五之前", "2026-12-11"),
        ("月底之前", "2026-12-31"),
        # times of day are ignored
        ("Friday at 5pm", "2026-12-11"),
        ("周五下午3点", "2026-12-11"),
    ],
)
def test_date_table(phrase, want):
    assert promised_date(phrase) == want


@pytest.mark.parametrize(
    "phrase",
    [
        "soon",
        "when I get paid",
        "in a few days",
        "asap",
        "early next month",
        "mid-month",
        "in a month",
        "next year",
        "发工资后",
        "过几天",
        "这两天",
        "月初",
        "下个月初",
        "月中",
    ],
)
def test_null_dates(phrase):
    assert promised_date(phrase) is None


def test_31st_skips_months_without_one():
    feb = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
    assert promised_date("on the 31st", now=feb) == "2027-03-31"
    assert promised_date("on the 30th", now=feb) == "2027-03-30"
    sep = dt.datetime(2027, 9, 13, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert promised_date("31号", now=sep) == "2027-10-31"


def test_numeric_dates_are_day_month_for_gbp_and_eur():
    assert promised_date("on 5/12", currency="GBP") == "2027-12-05"
    assert promised_date("on 20/12", currency="EUR") == "2026-12-20"
    assert promised_date("on 12/20", currency="USD") == "2026-12-20"
    assert promised_date("on 1/2", currency="GBP") == "2027-02-01"
    assert promised_date("on 1/2", currency="USD") == "2027-01-02"


def test_dates_follow_the_customers_calendar_day():
    # 23:30 in Shanghai on the 9th is still the 9th there.
    late = dt.datetime(2026, 12, 9, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert promised_date("明天", now=late) == "2026-12-10"


def test_recurring_offer_takes_the_first_instalment():
    assert terms(parse("$100 every Friday")) == [("100.00", "2026-12-11")]
    assert terms(parse("每周五还500")) == [("500.00", "2026-12-11")]
    assert terms(parse("100 every two weeks")) == [("100.00", None)]
    assert terms(parse("每月还500")) == [("500.00", None)]


def test_kinds_of_hits():
    ctx = context(NOW_EN.date(), False)
    kinds = {
        t.lower(): [h.kind for h in find_dates(t.lower(), "en", ctx)]
        for t in ["yesterday", "soon", "when I get paid", "Friday", "last friday"]
    }
    assert kinds == {
        "yesterday": [PAST],
        "soon": [VAGUE],
        "when i get paid": [EVENT],
        "friday": [DATE],
        "last friday": [PAST],
    }


def test_trigger_gated_search_finds_what_a_full_scan_finds():
    """English date phrases are only tried where a trigger word starts; none may be missed."""
    import random

    from bot.replies import dates as d

    phrases = [
        "today",
        "tonight",
        "tmrw",
        "2morrow",
        "the day after tomorrow",
        "friday",
        "by fri",
        "this friday",
        "next friday",
        "this week",
        "end of the week",
        "next weekend",
        "the week after next",
        "end of the month",
        "this month",
        "next month",
        "first of next month",
        "on the first of next month",
        "the 15th of next month",
        "end of the year",
        "in 3 days",
        "within 3 days",
        "3 days from now",
        "a couple of days",
        "in 2 weeks",
        "within a week",
        "on the 15th",
        "dec 5",
        "december 5th",
        "12/5",
        "2026-12-05",
        "soon",
        "when i get paid",
        "a few days",
        "asap",
        "early next month",
        "mid-month",
        "in a month",
        "another month",
        "next year",
        "for now",
        "by christmas",
        "after christmas",
        "5 days ago",
        "last week",
        "yesterday",
        "i get paid on the 20th",
        "pay day",
        "month end",
        "some time",
        "just now",
        "at xmas",
        "for a month",
        "one more week",
        "two weeks from now",
        "20 november",
        "a fortnight",
    ]
    fillers = ["i can pay 50", "ok", "and", "the", "$100", "on", "a", "for", "by", "i", "pay"]
    ctx = d.context(NOW_EN.date(), False)
    # the whole alternation in one program, searched at every position: the oracle
    full_scan = re.compile("|".join(d._EN_SOURCES))
    rng = random.Random(7)
    for _ in range(2000):
        text = " ".join(rng.choice(phrases + fillers) for _ in range(rng.randint(1, 6)))
        want = []
        for m in full_scan.finditer(text):
            name = m.lastgroup or ""
            if name in d._EN_BOUNDED and not d.word_start(text, m.start()):
                continue
            value, kind = d._en_value(name, m, ctx)
            if not (kind == DATE and value is None):
                want.append((m.end(), value, kind))
        got = [(h.end, h.value, h.kind) for h in find_dates(text, "en", ctx)]
        assert got == want, text


@pytest.mark.parametrize(
    ("text", "now", "want"),
    [
        ("I'll pay 500 this sunday", (2026, 12, 13), "2026-12-13"),
        ("I'll pay 500 next week", (2026, 12, 13), "2026-12-20"),
        ("I'll pay 500 by the end of the month", (2026, 12, 31), "2026-12-31"),
        ("I'll pay 500 next month", (2026, 12, 31), "2027-01-31"),
        ("I'll pay 500 on 12/31", (2027, 1, 1), "2027-12-31"),
        ("I'll pay 500 friday", (2027, 1, 1), "2027-01-08"),
        ("I'll pay 500 this friday", (2027, 1, 1), "2027-01-01"),
        ("I'll pay 500 in 3 days", (2026, 12, 30), "2027-01-02"),
        ("I'll pay 500 on the 31st of next month", (2027, 1, 15), None),
        ("下个月31号还500", (2027, 1, 15), None),
        ("月底还500", (2027, 2, 28), "2027-02-28"),
        ("周日还500", (2026, 12, 13), "2026-12-20"),
        ("这周日还500", (2026, 12, 13), "2026-12-13"),
    ],
)
def test_calendar_edges(text, now, want):
    at = dt.datetime(*now, 12, 0, tzinfo=dt.UTC)
    assert terms(parse(text, now=at)) == [("500.00", want)]
