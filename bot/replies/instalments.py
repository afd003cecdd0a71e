"""The instalments of a promise: the amount and date items of its clauses, paired.

Items are read in order; an amount opens a new instalment, a date completes the open
one. Rows are then merged ("500ish after xmas, say the 28th"), a dateless promise takes
the date of an earlier pay-day clause, and vague rows give way to concrete ones.
"""

from __future__ import annotations

import datetime as dt

from bot.replies.amounts import FULL, HALF, NUM, REST, AmountHit, quantize, resolve
from bot.replies.analysis import Analysis
from bot.replies.dates import DATE, EVENT, PAST, DateHit
from bot.replies.markers import ZH_THEN
from bot.replies.model import PromiseTerm, Recurrence, new_term
from bot.replies.numbers import parse_chinese
from bot.replies.regex_programs import rx

# "这个月底还不上": a day followed by "cannot pay" is not promised.
_CANNOT_AFTER = rx(r"\S{0,3}?(?:还不|付不|交不|没法|不能|不行|不了|can'?t|cannot|won'?t)")
_THEN_EN = rx(
    r"\b(?:then|by\s+then|that\s+day|the\s+moment\s+it\s+does|when\s+it\s+(?:comes|lands))\b"
)
_EVERY = rx(
    r"\b(?:every|each|per|a)\s+(?:other\s+)?(?:\d+\s+|two\s+)?(?:week|month|fortnight)|每|"
    r"\b(?:every|each)\s+(?:other\s+)?(?:mon|tue|wed|thu|fri|sat|sun)"
)
# "this saturday instead of friday": the day after these is not promised.
_INSTEAD = rx(r"\b(?:instead\s+of|rather\s+than)\b|而不是")
# "200 of the rest": a part of the rest, not the rest
_OF_BEFORE = rx(r"\bof\s+$")
_EXCLUDED_BEFORE = rx(r"(?:\binstead\s+of|\brather\s+than|\bnot|而不是|不是)\s*(?:on\s+|the\s+)?$")


def instalments(an: Analysis, clause_idx: list[int]) -> tuple[PromiseTerm, ...]:
    """The promised instalments of the clauses ``clause_idx`` (at least one term), by
    date when every term has one; records their amount and date spans."""
    rows: list[list[object]] = []  # [amount_hit, date_hit, clause_index]
    for i in clause_idx:
        s, e = an.clauses[i]
        dates, amts = an.clause_items(s, e)
        dates = [
            d
            for d in dates
            if d.kind != PAST
            and not _EXCLUDED_BEFORE.search(an.t, max(0, d.start - 14), d.start)
            and not _CANNOT_AFTER.match(an.t, d.end)
        ]
        ins = _INSTEAD.search(an.t, s, e)
        if ins is not None and (
            any(d.start < ins.start() for d in dates) or any(a.start < ins.start() for a in amts)
        ):
            # "200 saturday instead of the 300 on friday": what follows is not offered
            dates = [d for d in dates if d.start < ins.start()]
            amts = [a for a in amts if a.start < ins.start()]
        if any(a.kind == NUM for a in amts):
            # "200 tomorrow n the rest by the 30th": a rest after the numbers is its own row
            last = max(a.start for a in amts if a.kind == NUM)
            amts = [
                a
                for a in amts
                if a.kind in (NUM, HALF)
                or (a.kind == REST and a.start > last and not _OF_BEFORE.search(an.t, 0, a.start))
            ]
        if any(a.kind in (REST, HALF) for a in amts):
            # "付清余款" is the rest, "还清一半" half: not the whole balance
            amts = [a for a in amts if a.kind != FULL]
        items: list[DateHit | AmountHit] = sorted([*dates, *amts], key=lambda h: h.start)
        cur: list[object] = [None, None, i]
        for it in items:
            if isinstance(it, AmountHit):
                prev_a = cur[0]
                if (
                    isinstance(prev_a, AmountHit)
                    and prev_a.kind != NUM
                    and prev_a.kind == it.kind
                    and cur[1] is None  # "half now half next friday": two halves
                ):
                    continue
                if cur[0] is not None:
                    rows.append(cur)
                    cur = [None, None, i]
                cur[0] = it
            else:
                prev = cur[1]
                if isinstance(prev, DateHit) and prev.kind == it.kind and prev.value == it.value:
                    continue
                if isinstance(prev, DateHit):
                    if prev.kind != DATE and it.kind == DATE:
                        cur[1] = it
                        continue
                    if it.kind != DATE:
                        continue
                    rows.append(cur)
                    cur = [None, None, i]
                cur[1] = it
        rows.append(cur)
    rows = _merge_rows(rows)
    _same_again(an, rows)
    _attach_event_date(an, rows, clause_idx)
    rows = _start_date(an, rows)
    if any(isinstance(r[0], AmountHit) and r[0].kind == NUM for r in rows):
        rows = [
            r
            for r in rows
            if not (isinstance(r[0], AmountHit) and r[0].kind == FULL and not _concrete(r[1]))
        ]
    if len(rows) > 1:
        # "先还300，剩下的再说": the rest without a day is left open, not promised
        rows = [r for r in rows if (r[0] is not None and not _left_open(an, r)) or _concrete(r[1])]
        rows = rows or [[None, None, 0]]
    if len(rows) > 1 and any(isinstance(r[0], AmountHit) for r in rows):
        # "CAD 600 on december 20th, that's all i can do right now": a day with no amount
        # of its own beside instalments that have one is no instalment
        rows = [r for r in rows if r[0] is not None] or rows
    if len(rows) == 1:
        _fill_in(an, rows[0])
    rows = _each(an, rows)
    if (
        len(rows) > 1
        and an.balance is not None
        and sum(_concrete(r[1]) and isinstance(r[0], AmountHit) for r in rows) >= 2
    ):
        # "the outstanding balance of £2,140 in two instalments: £1,070 on ... ": the whole
        # balance named beside dated instalments is no instalment of its own
        rows = [
            r
            for r in rows
            if _concrete(r[1])
            or not isinstance(r[0], AmountHit)
            or resolve(r[0], an.balance) != an.balance
        ]
    if len(rows) > 1 and _EVERY.search(an.t):
        # "£20 today and £20 every week after": the first instalment only (LABELING.md)
        dated = {r[0].value for r in rows if isinstance(r[0], AmountHit) and _concrete(r[1])}
        rows = [
            r
            for r in rows
            if _concrete(r[1]) or not (isinstance(r[0], AmountHit) and r[0].value in dated)
        ]
    seen: set[tuple[object, object]] = set()
    terms: list[PromiseTerm] = []
    for a, d, _ in rows:
        amount = resolve(a, an.balance) if isinstance(a, AmountHit) else None
        date = d.value if isinstance(d, DateHit) and d.kind == DATE else None
        key = (amount, date)
        if key in seen and amount is None:
            continue
        seen.add(key)
        terms.append(new_term(amount, date))
        if isinstance(a, AmountHit):
            an.add_span(a.start, a.end, "amount", None if amount is None else f"{amount:.2f}")
        if isinstance(d, DateHit):
            an.add_span(d.start, d.end, "date", None if date is None else date.isoformat())
    if not terms:
        terms = [new_term(None, None)]
    if len(terms) > 1 and an.balance is not None:
        # "本人将于2月28日前还清全部款项": the whole balance said twice is paid once, on its day
        whole = quantize(an.balance)
        if any(p.amount == whole and p.date is not None for p in terms):
            terms = [p for p in terms if not (p.amount == whole and p.date is None)]
    if all(p.date is not None for p in terms):
        terms.sort(key=lambda p: p.date or dt.date.max)
    return tuple(terms)


_START_BEFORE = rx(
    r"(?:从|自|\bstarting(?:\s+(?:from|on|with))?|\bbeginning|\bcommencing|\bfirst\s+(?:one|payment)\s+"
    r"(?:on|is|goes\s+out(?:\s+on)?))\s*$"
)
_START_AFTER = rx(r"\s*(?:开始|起)")


def _start_date(an: Analysis, rows: list[list[object]]) -> list[list[object]]:
    """A recurring offer's stated start is its first instalment's date ("每周五还300，从这周五
    开始": this Friday, not the Friday after; "every Monday starting next week": Monday of
    next week; "the 3rd of each month starting next month": the 3rd of next month)."""
    amounts = [r for r in rows if isinstance(r[0], AmountHit)]
    if len(amounts) != 1 or not _EVERY.search(an.t):
        return rows
    row = amounts[0]
    first = _first_in_period(an)
    if first is not None:
        return [[row[0], first, row[2]]]
    for d in an.dates:
        if d.kind == DATE and (
            _START_BEFORE.search(an.t, max(0, d.start - 30), d.start)
            or _START_AFTER.match(an.t, d.end)
        ):
            return [[row[0], d, row[2]]]
    return rows


_EN_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ZH_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EVERY_WEEKDAY = rx(
    r"\b(?:every|each)\s+(?P<en>mon|tue|wed|thu|fri|sat|sun)[a-z]*|"
    r"每(?:个)?(?:周|星期|礼拜)(?P<zh>[一二三四五六日天])"
)
_EVERY_MONTHDAY = rx(
    r"\b(?:the\s+)?(?P<en>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?:each|every)\s+month|"
    r"\b(?:each|every)\s+month\s+on\s+the\s+(?P<en2>\d{1,2})(?:st|nd|rd|th)?\b|"
    r"每(?:个)?月(?:的)?(?P<zh>\d{1,2}|[一二三四五六七八九十]{1,3})(?:号|日)"
)
_PERIOD_START = rx(
    r"\b(?:starting|beginning|from|commencing)\s+(?:from\s+)?(?P<en>this|next)\s+(?P<enp>week|month)\b|"
    r"(?:从|自)?(?P<zh>这|本|下)(?:个)?(?P<zhp>周|星期|礼拜|月)(?:开始|起)"
)


def _first_in_period(an: Analysis) -> DateHit | None:
    """The first instalment of a recurring day whose start is a week or month ("每周一还
    200，从下周开始"), as a date hit on the start phrase; None when the reply says neither."""
    start = _PERIOD_START.search(an.t)
    if start is None:
        return None
    nxt = (start.group("en") or start.group("zh")) in ("next", "下")
    month = (start.group("enp") or start.group("zhp")) in ("month", "月")
    ctx = an.ctx
    value: dt.date | None = None
    if month:
        m = _EVERY_MONTHDAY.search(an.t)
        if m is None:
            return None
        raw = m.group("en") or m.group("en2") or m.group("zh")
        number = parse_chinese(raw)
        if number is None:
            return None
        day = int(number)
        value = ctx.month_day(1, day) if nxt else ctx.day_of_month(day)
    else:
        w = _EVERY_WEEKDAY.search(an.t)
        if w is None:
            return None
        wd = _EN_DAYS[w.group("en")] if w.group("en") else _ZH_DAYS[w.group("zh")]
        value = ctx.week_day(1, wd) if nxt else ctx.this_weekday(wd)
    if value is None:
        return None
    return DateHit(start.start(), start.end(), value, DATE)


_SAME = rx(r"\b(?:same|the\s+same|same\s+again|same\s+amount|again)\b|同样|一样|再来一次")


def _same_again(an: Analysis, rows: list[list[object]]) -> None:
    """ "150 on the 20th and the same again on the 5th": a dated row without an amount whose
    clause says "the same" repeats the amount before it."""
    for k in range(1, len(rows)):
        r, p = rows[k], rows[k - 1]
        if r[0] is None and _concrete(r[1]) and isinstance(p[0], AmountHit):
            d = r[1]
            assert isinstance(d, DateHit)
            s, _ = an.clause_of(d.start)
            if _SAME.search(an.t, max(s, d.start - 20), d.start):
                r[0] = p[0]


def _merge_rows(rows: list[list[object]]) -> list[list[object]]:
    """Join an amount-only row and a date-only row that complete each other."""
    out: list[list[object]] = []
    for r in rows:
        if r[0] is None and r[1] is None:
            out.append(r)
            continue
        if out:
            p = out[-1]
            if p[0] is None and p[1] is None:
                out[-1] = r
                continue
            if p[1] is None and p[0] is not None and r[0] is None and r[1] is not None:
                p[1] = r[1]
                continue
            if p[0] is not None and not _concrete(p[1]) and r[0] is None and _concrete(r[1]):
                p[1] = r[1]  # "500ish after xmas, say the 28th"
                continue
            if p[0] is None and p[1] is not None and r[0] is not None and r[1] is None:
                p[0] = r[0]
                continue
        out.append(r)
    return out or [[None, None, 0]]


def _attach_event_date(an: Analysis, rows: list[list[object]], clause_idx: list[int]) -> None:
    """Give a dateless promise the date of an earlier pay-day clause ("I get paid the 25th")."""
    if len(rows) != 1 or _concrete(rows[0][1]):
        return
    first = clause_idx[0] if clause_idx else 0
    if clause_idx and an.lg == "en":
        s, e = an.clauses[first]
        if _THEN_EN.search(an.t, s, e):
            d = an.earlier_date(s)
            if d is not None:  # "my salary comes in on the 25th, can I pay $300 then?"
                rows[0][1] = d
                return
    if clause_idx and an.lg == "zh":
        s, e = an.clauses[first]
        if ZH_THEN.search(an.t, s, e):
            d = an.earlier_date(s)
            if d is not None:  # "下个月才有钱，到时候还": then = the stated time
                rows[0][1] = d
                return
    for s, e in an.clauses[:first]:
        dates = an.clause_items(s, e)[0]
        if any(d.kind == EVENT for d in dates):
            concrete = [d for d in dates if d.kind == DATE]
            if concrete:
                rows[0][1] = concrete[0]
                return


_LATER = rx(
    r"[^.!?。！？\n]{0,12}?(?:再说|商量|协商|沟通|再议|再看|以后再|回头再|再联系|待定|later|we'?ll\s+see|"
    r"to\s+be\s+discussed|discuss|tbd|tbc|negotiat\w*|sort\s+out|figure\s+out)"
)


_EACH = rx(
    r"\b(?:(?:two|three|four|2|3|4)\s+(?:equal\s+)?(?:payments|instal+ments)|(?:payments|instal+ments)\s+of|"
    r"each)\b|各|分[两三四二234][次期笔]"
)


def _each(an: Analysis, rows: list[list[object]]) -> list[list[object]]:
    """ "three payments of $400: February 5, March 5 and April 5", "12月15日、1月15日、2月15日
    各还2500": one amount paid on each of several days (not a recurrence, which lists its
    first instalment only)."""
    if sum(d.kind == DATE for d in an.dates) < 2 or not _EACH.search(an.t):
        return rows
    nums = [
        r[0]
        for r in rows
        if isinstance(r[0], AmountHit) and r[0].kind == NUM and r[0].value != an.balance
    ]
    if len({a.value for a in nums}) != 1 or _EVERY.search(an.t):
        return rows
    amount = nums[0]
    days: list[DateHit] = []
    for d in an.dates:
        if _usable(an, d) and all(d.value != x.value for x in days):
            days.append(d)
    if len(days) < 2:
        return rows
    return [[amount, d, rows[0][2]] for d in days]


def _usable(an: Analysis, d: DateHit) -> bool:
    s, e = an.clause_of(d.start)
    return (
        d.kind == DATE
        and not an.blocked(s, e)
        and not any(sp.kind == "opt_out" for sp in an.spans)
        and not _EXCLUDED_BEFORE.search(an.t, max(0, d.start - 14), d.start)
        and not _CANNOT_AFTER.match(an.t, d.end)
    )


def _fill_in(an: Analysis, row: list[object]) -> None:
    """Complete a single instalment from the rest of the reply: the one day it states
    ("那就十五号吧，先还四千", "今天还不了，明天吧，先还八百") or the one amount ("现在就转，300"),
    when the promising clauses left it out and nothing else competes."""
    if not _concrete(row[1]):
        days = {d.value for d in an.dates if _usable(an, d)}
        if len(days) == 1 and not any(d.kind == PAST for d in an.dates):
            row[1] = next(d for d in an.dates if _usable(an, d))
    if row[0] is None:
        nums = [a for a in an.amounts if a.kind == NUM]
        if len({a.value for a in nums}) == 1:
            row[0] = nums[0]


def _left_open(an: Analysis, row: list[object]) -> bool:
    """Whether a row is "the rest" put off for later ("剩下的再说", "the rest we'll see")."""
    a = row[0]
    return (
        isinstance(a, AmountHit)
        and a.kind == REST
        and not _concrete(row[1])
        and _LATER.match(an.t, a.end) is not None
    )


def _concrete(d: object) -> bool:
    return isinstance(d, DateHit) and d.kind == DATE


_EVERY_EN = rx(
    r"\b(?:every|each|per|a)\s+(?:(?P<other>other)\s+)?(?:(?P<n>two|2|couple\s+of)\s+)?"
    r"(?P<unit>week|month|fortnight|day|paycheck|pay\s+period|mon|tue|wed|thu|fri|sat|sun)\w*"
    r"|\b(?P<adverb>weekly|monthly|fortnightly|bi-?weekly|daily)\b"
)
_EVERY_ZH = rx(r"每(?:个)?(?P<unit>月|周|星期|礼拜|天|日)|按(?P<by>月|周)|(?P<two>每两周|每半个月)")


def recurrence(an: Analysis, promises: tuple[PromiseTerm, ...]) -> Recurrence | None:
    """The recurrence of a promise that repeats ("300 a month from next Friday", "每周五还200"),
    or None. Its amount and first date are those of the first instalment."""
    if len(promises) != 1:
        return None  # instalments written out one by one are a plan already
    if an.lg == "zh":
        m = _EVERY_ZH.search(an.t)
        if m is None:
            return None
        unit = m.group("unit") or m.group("by") or ""
        period = (
            "fortnight"
            if m.group("two")
            else "month"
            if unit == "月"
            else ("day" if unit in ("天", "日") else "week")
        )
    else:
        m = _EVERY_EN.search(an.t)
        if m is None:
            return None
        unit = (m.group("unit") or m.group("adverb") or "").replace(" ", "")
        if unit.startswith(("fortnight", "bi")) or m.group("n") or m.group("other"):
            period = "fortnight" if not unit.startswith("month") else "month"
        elif unit.startswith(("month",)):
            period = "month"
        elif unit.startswith(("day", "daily")):
            period = "day"
        elif unit.startswith(("pay",)):
            return None  # every pay day: a schedule the parser cannot date
        else:
            period = "week"
    first = promises[0]
    return Recurrence(first.amount, period, first.date)


#: Review reasons for promise terms the parser may have read wrongly.
DATE_UNCLEAR = "promise date unclear"
AMOUNT_UNCLEAR = "promise amount unclear"
TERMS_UNCLEAR = "promise terms unclear"
_LATIN_WORD = rx(r"[a-z]{3,}")


def promise_doubts(an: Analysis, promises: tuple[PromiseTerm, ...]) -> tuple[str, ...]:
    """Why the promise terms read from ``an`` may be wrong (empty: nothing to doubt).

    A term without a date while the reply states a day the terms do not use ("I get my
    pension on thursday, will pay 80 then"), or with a date while the reply ties the
    payment to an event; a term without an amount while the reply has a number the
    terms do not use ("CNY500 今晚转"); a conditional full amount next to a number; the
    same date twice; an empty term beside real ones.
    """
    if not promises:
        return ()
    reasons: list[str] = []
    used_dates = {p.date for p in promises if p.date is not None}
    used_amounts = {p.amount for p in promises if p.amount is not None}
    concrete = [d for d in an.dates if d.kind == DATE and d.value is not None]
    undated = any(p.date is None for p in promises)
    day_unused = any(d.value not in used_dates for d in concrete) or (
        an.lg == "zh" and _LATIN_WORD.search(an.t) is not None  # "friday还500"
    )
    event_dated = bool(used_dates) and any(d.kind == EVENT for d in an.dates)
    if (undated and day_unused) or event_dated:
        reasons.append(DATE_UNCLEAR)
    nums = [a for a in an.amounts if a.kind == NUM and a.value is not None]
    number_unused = any(p.amount is None for p in promises) and any(
        a.value not in used_amounts for a in nums
    )
    full_and_number = bool(nums) and any(a.kind == FULL for a in an.amounts)
    if number_unused or full_and_number:
        reasons.append(AMOUNT_UNCLEAR)
    dates = [p.date for p in promises if p.date is not None]
    if len(set(dates)) < len(dates) or (
        len(promises) > 1 and any(p.amount is None and p.date is None for p in promises)
    ):
        reasons.append(TERMS_UNCLEAR)
    return tuple(reasons)
