"""The date table of LABELING.md: phrases to dates relative to the local ``today``.

``find_dates`` returns every date phrase in a folded reply with its value:
a concrete ``date``, or ``None`` for phrases that state a time without a day
("soon", "next year", "early next month", "过几天"). Each hit has a ``kind``:

- ``date``: a concrete day;
- ``vague``: a stated time with no day (includes recurring "a month", "每月");
- ``event``: a scheduled event such as pay day ("when I get paid", "发工资后");
- ``past``: a reference to the past ("yesterday", "上周"), never a promise date.

Weeks run Monday to Sunday.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bot.replies.alternations import FirstCharAlternation, trie_alternation
from bot.replies.numbers import EN_TENS, EN_UNITS, parse_chinese
from bot.replies.regex_programs import rx


def word_start(text: str, pos: int) -> bool:
    """True when ``pos`` starts a word (what a leading ``\\b`` checks)."""
    if pos == 0:
        return True
    c = text[pos - 1]
    return not (c.isalnum() or c == "_")


DATE, VAGUE, EVENT, PAST = "date", "vague", "event", "past"


class DateHit(NamedTuple):
    """A date phrase found in folded text."""

    start: int
    end: int
    value: dt.date | None
    kind: str


@dataclass(frozen=True, slots=True)
class DateContext:
    """Per-day arithmetic for one ``today`` (cached: many replies share a day)."""

    today: dt.date
    day_first: bool

    @property
    def monday(self) -> dt.date:
        return self.today - dt.timedelta(days=self.today.weekday())

    def plus(self, days: int) -> dt.date | None:
        try:
            return self.today + dt.timedelta(days=days)
        except OverflowError:
            return None

    def bare_weekday(self, wd: int) -> dt.date:
        """The first such weekday strictly after today."""
        return self.today + dt.timedelta(days=(wd - self.today.weekday() - 1) % 7 + 1)

    def this_weekday(self, wd: int) -> dt.date:
        """That day of this week; of next week when already past; today if today."""
        if wd >= self.today.weekday():
            return self.monday + dt.timedelta(days=wd)
        return self.monday + dt.timedelta(days=7 + wd)

    def week_day(self, weeks_ahead: int, wd: int) -> dt.date:
        return self.monday + dt.timedelta(days=7 * weeks_ahead + wd)

    def sunday(self, weeks_ahead: int) -> dt.date:
        return self.monday + dt.timedelta(days=7 * weeks_ahead + 6)

    def month_end(self, months_ahead: int) -> dt.date:
        y, m = _add_months(self.today.year, self.today.month, months_ahead)
        return dt.date(y, m, calendar.monthrange(y, m)[1])

    def month_day(self, months_ahead: int, day: int) -> dt.date | None:
        y, m = _add_months(self.today.year, self.today.month, months_ahead)
        if 1 <= day <= calendar.monthrange(y, m)[1]:
            return dt.date(y, m, day)
        return None

    def day_of_month(self, day: int) -> dt.date | None:
        """The first ``day``-th on or after today; months without it are skipped."""
        if not 1 <= day <= 31:
            return None
        if day >= self.today.day:
            d = self.month_day(0, day)
            if d is not None:
                return d
        for k in range(1, 13):
            d = self.month_day(k, day)
            if d is not None:
                return d
        return None

    def calendar_date(self, month: int, day: int, year: int | None = None) -> dt.date | None:
        """Month/day this year if today or later, else next year (or the given year)."""
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        if year is not None:
            if year < 100:
                year += 2000
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
        for y in (self.today.year, self.today.year + 1, self.today.year + 2, self.today.year + 3):
            try:
                d = dt.date(y, month, day)
            except ValueError:
                continue
            if d >= self.today:
                return d
        return None

    def month_last(self, month: int) -> dt.date | None:
        if not 1 <= month <= 12:
            return None
        y = self.today.year if month >= self.today.month else self.today.year + 1
        return dt.date(y, month, calendar.monthrange(y, month)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


@lru_cache(maxsize=4096)
def context(today: dt.date, day_first: bool) -> DateContext:
    """A cached :class:`DateContext` for ``today``."""
    return DateContext(today, day_first)


# --------------------------------------------------------------------------- English

_WEEKDAYS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "monday mon mondy munday",
        "tuesday tues tue tuesdy teusday tuseday tusday",
        "wednesday weds wed wednsday wensday wenesday wedsday wednesdy wendsday",
        "thursday thurs thur thu thurday thrusday thursdy thrus",
        "friday fri firday fridy fryday frday",
        "saturday sat saturdy satuday saterday satruday",
        "sunday sun sundy sonday",
    )
):
    for _n in _names.split():
        _WEEKDAYS[_n] = _i

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "january jan",
        "february feb febuary",
        "march mar",
        "april apr",
        "may",
        "june jun",
        "july jul",
        "august aug",
        "september sept sep",
        "october oct",
        "november nov",
        "december dec",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _i

_ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
for _t, _tv in (("twenty", 20), ("thirty", 30)):
    for _o, _ov in list(_ORDINALS.items())[:9]:
        if _tv + _ov <= 31:
            _ORDINALS[f"{_t}-{_o}"] = _tv + _ov
            _ORDINALS[f"{_t} {_o}"] = _tv + _ov
            _ORDINALS[f"{_t}{_o}"] = _tv + _ov

_COUNT_WORDS: dict[str, int] = {**EN_UNITS, **EN_TENS, "a": 1, "an": 1, "one": 1}
_COUNT_WORDS.update({"a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2})


def _alt(words: object) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))  # type: ignore[attr-defined]


_WD = f"(?:{_alt(_WEEKDAYS)})"
_MON = f"(?:{_alt(_MONTHS)})"
_ORD = f"(?:{_alt(_ORDINALS)})"
_CNT = (
    r"(?:\d{1,3}|a\s+couple(?:\s+of)?|couple(?:\s+of)?|"
    + _alt([w for w in _COUNT_WORDS if " " not in w])
    + ")"
)
_DAYNUM = r"(?:[12]\d|3[01]|0?[1-9])"
_TMR = (
    r"(?:tomorrow|tmrw|tmrow|tmr|tmw|tomorow|tomorro|tommorow|tommorrow|tommorw|tomoro|tmorow|tmorrow|"
    r"tomoz|tomrw|tomm|2morrow|2moro|2mrw|2morow|2mro)"
)

_EN_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"\b(?P<iso_y>20\d\d)[-/.](?P<iso_m>\d{1,2})[-/.](?P<iso_d>\d{1,2})\b"),
    (
        "past_rel",
        r"\b(?:yesterday|last\s+(?:night|week(?:end)?|month|year|time)|"
        r"(?:\d{1,3}|a|an|one|two|three|four|five|six|a\s+few|few|a\s+couple(?:\s+of)?|couple(?:\s+of)?|several)"
        r"\s+(?:days?|weeks?|months?|years?)\s+ago|earlier\s+today|the\s+other\s+day|"
        r"(?:just|until|till|by|up\s+to)\s+now)\b",
    ),
    ("for_now", r"\bfor\s+now\b"),
    ("wk2", r"\b(?:the\s+)?week\s+after\s+next\b"),
    ("dat", r"\b(?:the\s+)?day\s+after\s+" + _TMR + r"\b"),
    (
        "nth_next",
        r"\b(?:the\s+)?(?P<nn_d>"
        + _DAYNUM
        + r"(?:st|nd|rd|th)?|"
        + _ORD
        + r")\s+(?:of\s+)?(?:next|the\s+next|the\s+coming|the\s+following)\s+month\b",
    ),
    (
        "next_month_nth",
        r"\bnext\s+month\s+on\s+the\s+(?P<nm_d>" + _DAYNUM + r"(?:st|nd|rd|th)?|" + _ORD + r")\b",
    ),
    (
        "vague_next",
        r"\b(?:early|beginning\s+of|start\s+of|the\s+start\s+of|the\s+beginning\s+of|"
        r"mid|middle\s+of|the\s+middle\s+of|late|later|sometime|some\s+time|the\s+first\s+week\s+of|"
        r"the\s+first\s+part\s+of)(?:\s+|-)(?:next|the\s+next|the\s+following)\s+(?:month|week|year)\b",
    ),
    (
        "eonm",
        r"\b(?:(?:by\s+)?(?:the\s+)?end\s+of\s+)?(?:next|the\s+next|the\s+following|nxt)"
        r"\s+month(?:'?s\s+end|\s+end)?\b",
    ),
    (
        "vague_month",
        r"\b(?:mid(?:-|\s*)month|(?:the\s+)?middle\s+of\s+(?:the\s+|this\s+)?month|"
        r"early\s+(?:this\s+|the\s+)?month|(?:the\s+)?(?:beginning|start)\s+of\s+(?:the\s+|this\s+)?month)\b",
    ),
    (
        "eom",
        r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|teh\s+|da\s+)?(?:month|mnth|mth|mon|monht|moth|mont|mnt)|month[-\s]?end|eom|"
        r"this\s+month|"
        r"later\s+this\s+month|the\s+month'?s\s+end|end\s+of\s+mo)\b",
    ),
    ("end_of_mon", r"\b(?:the\s+)?end\s+of\s+(?P<eo_m>" + _MON + r")\b"),
    (
        "eoy",
        r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year|year[-\s]?end|eoy|this\s+year|"
        r"later\s+this\s+year)\b",
    ),
    ("xmas", r"\b(?:by|before|on|for|at|until|till)\s+(?:christmas|xmas)(?:\s+day)?\b"),
    ("after_xmas", r"\b(?:after|past)\s+(?:christmas|xmas|the\s+holidays|new\s+year'?s?)\b"),
    (
        "vague_span",
        r"\b(?:next\s+year|(?:in|within|for|after)\s+(?:a|one|\d{1,2}|two|three|four|six|"
        r"a\s+few|few|a\s+couple(?:\s+of)?|couple(?:\s+of)?|several)\s+(?:more\s+)?(?:months?|years?)|"
        r"(?:another|a|one\s+more|an\s+extra|extra)\s+(?:couple(?:\s+of)?\s+|few\s+)?months?|"
        r"(?:another|one\s+more|an\s+extra)\s+(?:days?|weeks?)|"
        r"(?:every|each|per|a)\s+(?:other\s+)?(?:(?:two|2|three|3|four|4|couple(?:\s+of)?)\s+)?"
        r"(?:weeks?|months?|fortnight|paycheck|pay\s+period)|bi-?weekly|weekly|monthly|fortnightly)\b",
    ),
    (
        "next_week",
        r"\b(?:(?:by\s+)?(?:the\s+)?end\s+of\s+)?(?:next|nxt|the\s+following)\s+"
        r"(?:week(?:end|\s+end)?|wk(?:nd)?)\b",
    ),
    (
        "this_week",
        r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:week|wk)|this\s+(?:coming\s+)?"
        r"(?:week(?:end|\s+end)?|wk(?:nd)?)|(?:the\s+|by\s+the\s+)?week[-\s]?end|eow|wkend|wknd)\b",
    ),
    (
        # "Friday 11th", "fri the 11th": the day number is the more precise part.
        "wd_day",
        r"\b(?:" + _WD + r")\.?,?\s+(?:the\s+)?(?P<wdd_d>" + _DAYNUM + r")(?:st|nd|rd|th)\b",
    ),
    (
        "weekday",
        r"\b(?:(?P<wd_mod>this\s+coming|this|next|nxt|coming|the\s+coming|upcoming|"
        r"the\s+following|following|last|past|every|each)\s+)?(?P<wd>"
        + _WD
        + r")(?:s|\.)?\b(?:\s+(?P<wd_suf>next\s+week|this\s+week|after\s+next|week))?",
    ),
    ("tmr", r"\b" + _TMR + r"\b"),
    (
        "today",
        r"\b(?:today|tonight|tonite|2nite|2day|tday|this\s+(?:evening|afternoon|morning|arvo)|"
        r"right\s+now|rn|later\s+today|(?:the\s+)?end\s+of\s+(?:the\s+)?day|eod|"
        # ("happy now?", "working on it now": no day of paying)
        r"(?<!happy\s)(?<!satisfied\s)(?<!on\sit\s)now|immediately|"
        r"right\s+away|straight\s+away|this\s+instant)\b",
    ),
    (
        "in_days",
        r"\b(?:in|within|inside(?:\s+of)?|in\s+the\s+next|over\s+the\s+next|after|give\s+me|gimme)\s+"
        r"(?:about\s+|around\s+|roughly\s+|approximately\s+|like\s+)?(?P<ind_n>"
        + _CNT
        + r")\s*(?:more\s+|extra\s+)?(?P<ind_u>(?:business\s+|working\s+)?days?|weeks?|wks?|"
        r"fortnight)\b(?:'?s?\s+time)?",
    ),
    (
        "days_from",
        r"\b(?P<dfn_n>" + _CNT + r")\s*(?P<dfn_u>days?|weeks?|wks?)\s+(?:from\s+(?:now|today)|"
        r"later|time|out)\b",
    ),
    ("fortnight", r"\b(?:in\s+)?a\s+fortnight\b"),
    ("day_or_two", r"\b(?:in\s+|within\s+)?a\s+(?P<dot_u>day|week)\s+or\s+(?:two|so)\b"),
    ("couple_days", r"\b(?:a\s+)?couple(?:\s+of)?\s+(?P<cd_u>days|weeks)\b"),
    ("few_days", r"\b(?:(?:in\s+)?a\s+few|few|several|some|a\s+few\s+more)\s+(?:days|weeks)\b"),
    (
        "md",
        r"\b(?P<md_m>"
        + _MON
        + r")\.?\s+(?:the\s+)?(?P<md_d>"
        + _DAYNUM
        + r")(?:st|nd|rd|th)?\b(?:,?\s+(?P<md_y>20\d\d))?",
    ),
    (
        "dm",
        r"\b(?:the\s+)?(?P<dm_d>"
        + _DAYNUM
        + r")(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm_m>"
        + _MON
        + r")\b\.?(?:,?\s+(?P<dm_y>20\d\d))?",
    ),
    (
        "month_only",
        r"\b(?:in|by|until|till|before|early|mid|late)\s+(?:"
        + _alt([m for m in _MONTHS if len(m) > 3])
        + r")\b(?!\s*(?:the\s+)?\d)",
    ),
    (
        "numeric",
        # ("will pay 1/2 on friday": half, an amount)
        r"(?!(?<=pay\s)1/2\b|(?<=send\s)1/2\b|(?<=do\s)1/2\b)"
        r"(?<![\d/.,$£€¥])(?P<nu_a>\d{1,2})/(?P<nu_b>\d{1,2})(?:/(?P<nu_y>\d{2}|\d{4}))?(?![\d/])",
    ),
    ("ord", r"\b(?:the\s+)?(?P<od_d>" + _DAYNUM + r")(?:st|nd|rd|th)\b"),
    (
        "ord_word",
        r"\b(?:(?:on|by|before|until|till|after)\s+the\s+(?P<ow_a>"
        + _ORD
        + r")|the\s+(?P<ow_b>"
        + _ORD
        + r")\s+of\s+(?:the|this)\s+month)\b"
        r"(?!\s+of\s+(?:next|the\s+next|the\s+following|the\s+coming)\s+month)",
    ),
    (
        "event",
        r"\b(?:(?:when|once|after|as\s+soon\s+as|soon\s+as|the\s+day|whenever|till|until)\s+"
        r"(?:i|we|my\s+\w+|he|she)\s+(?:get|gets|got|receive|am|is|are|be|get\s+my|receive\s+my)\s+paid|"
        r"pay\s*day|pay\s*check|pay\s*cheque|payroll|(?:i|we)\s+get\s+paid|get\s+paid|"
        r"when\s+(?:my\s+|the\s+)?(?:pay|check|cheque|wages?|salary|benefits|ssi|disability|"
        r"tax\s+refund|refund|stimulus|income|money)\s+(?:comes?|hits?|clears?|arrives?|lands?|"
        r"is\s+in|goes\s+in|gets?\s+in|drops?|comes\s+in|shows\s+up|posts?))\b",
    ),
    (
        "vague",
        r"\b(?:soon|soonish|asap|a\.s\.a\.p|as\s+soon\s+as\s+(?:possible|poss|i\s+can)|shortly|"
        r"later|eventually|one\s+of\s+these\s+days|some\s*time|in\s+a\s+bit|in\s+a\s+while|"
        r"in\s+due\s+course)\b",
    ),
]

# A leading \b defeats the engine's first-character skipping; it is checked on each hit instead.
_EN_BOUNDED = frozenset(n for n, p in _EN_PATTERNS if p.startswith("\\b"))
# Each alternative ends with an empty named group, so ``lastgroup`` names it while
# the alternative still starts with a literal (a leading group would slow matching).
_EN_SOURCES = [f"(?:{p[2:] if n in _EN_BOUNDED else p})(?P<{n}>)" for n, p in _EN_PATTERNS]
# Matched at a position, only the patterns that can start with the character there are
# tried (the first that matches is the same as in the whole alternation).
_EN_RE = FirstCharAlternation(_EN_SOURCES, rx)

# Every English date phrase starts with a digit or one of these words; the big
# alternation is only tried where such a word starts (much faster than a scan).
_EN_TOKEN = rx(r"[a-z0-9]+")
_EN_TRIGGERS = frozenset(
    [*_WEEKDAYS, *_MONTHS, *_ORDINALS]
    + [w.split("-")[0] for w in _ORDINALS]
    + [
        "yesterday",
        "last",
        "earlier",
        "the",
        "until",
        "till",
        "week",
        "day",
        "next",
        "nxt",
        "early",
        "beginning",
        "start",
        "mid",
        "middle",
        "late",
        "later",
        "sometime",
        "end",
        "eom",
        "this",
        "year",
        "eoy",
        "christmas",
        "xmas",
        "in",
        "within",
        "after",
        "another",
        "extra",
        "every",
        "each",
        "per",
        "bi",
        "biweekly",
        "weekly",
        "monthly",
        "fortnightly",
        "following",
        "coming",
        "upcoming",
        "past",
        "tomorrow",
        "tmrw",
        "tmrow",
        "tmr",
        "tmw",
        "tomorow",
        "tomorro",
        "tommorow",
        "tommorrow",
        "tommorw",
        "tomoro",
        "tmorow",
        "tmorrow",
        "tomoz",
        "tomrw",
        "tomm",
        "today",
        "tonight",
        "tonite",
        "tday",
        "right",
        "rn",
        "eod",
        "now",
        "immediately",
        "straight",
        "inside",
        "give",
        "gimme",
        "over",
        "fortnight",
        "couple",
        "few",
        "several",
        "before",
        "when",
        "once",
        "soon",
        "whenever",
        "payday",
        "paycheck",
        "paycheque",
        "payroll",
        "soonish",
        "asap",
        "shortly",
        "eventually",
        "wk",
        "wkend",
        "wknd",
        "eow",
        "weekend",
        "instant",
    ]
)
# Common words that start a date phrase only when followed by certain words.
_EN_CONDITIONAL_TRIGGERS = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|twenty|thirty)"
    r"(?=\s*(?:other\s+|(?:two|2|three|3|four|4)\s+)?(?:couple|few|more\s+|extra\s+|day|week|wk|"
    r"fortnight|month|year|\.s\.a\.p|s\.a\.p|paycheck|pay\s+period))",
    r"on(?=\s+(?:the\s+[a-z]|christmas|xmas))",
    r"at(?=\s+(?:christmas|xmas))",
    r"by(?=\s+(?:christmas|xmas|now))",
    r"for(?=\s+(?:now|a|an|one|two|three|four|six|\d|few|couple|several|christmas|xmas)\b)",
    r"(?:i|we)(?=\s+get\s+paid)",
    r"get(?=\s+paid)",
    r"pay(?=\s*(?:day|check|cheque)\b)",
    r"month(?=[-\s]?end\b)",
    r"as(?=\s+soon)",
    r"some(?=\s*(?:time|days|weeks))",
    r"up(?=\s+to\s+now)",
    r"just(?=\s+now)",
    r"\d++(?=[/\-.]\d|(?:st|nd|rd|th)\b|\s*(?:days?|weeks?|wks?|months?|years?|yrs?)\b|\s+(?:of\s+)?(?:"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\b|mor|mo\b|mrw|nite|day\b)",
)

# Longest first; ties by spelling, so the pattern (and its cached program) is the same in
# every process whatever the set's iteration order.
_TRIGGER_BODY = (
    "(?:(?:"
    + trie_alternation(sorted(_EN_TRIGGERS, key=lambda w: (-len(w), w)))
    + r")(?![a-z0-9])|"
    + "|".join(_EN_CONDITIONAL_TRIGGERS)
    + ")"
)
#: where an English date may start (the trigger words, not inside a word)
_TRIGGERS = rx(r"(?<![a-z0-9_])" + _TRIGGER_BODY)
# the same after the character before them, a class the regex engine searches for (it skips
# through words instead of testing each position); the trigger is group 1
_TRIGGERS_AFTER = rx(r"[^a-z0-9_](?=(" + _TRIGGER_BODY + "))")


def _trigger_starts(text: str) -> list[int]:
    """The starts of ``_TRIGGERS.finditer(text)``: leftmost, non-overlapping."""
    m = _TRIGGERS.match(text)
    starts = [] if m is None else [0]
    done = 0 if m is None else m.end()
    for m in _TRIGGERS_AFTER.finditer(text):
        p = m.end()
        if p >= done:
            starts.append(p)
            done = m.end(1)
    return starts


def _matches_at(
    rx: FirstCharAlternation, text: str, starts: list[int]
) -> list[re.Match[str]]:
    """Leftmost, non-overlapping matches of ``rx`` starting at one of ``starts``."""
    out = []
    done = 0
    for p in starts:
        if p < done:
            continue
        m = rx.match(text, p)
        if m is not None and m.end() > p:
            out.append(m)
            done = m.end()
    return out


# --------------------------------------------------------------------------- Chinese

_CN_N = r"[0-9零〇一二两俩三四五六七八九十]{1,3}"
# "right away" words that follow an event said just before ("到账后马上还") are its day
_RIGHT_AFTER = frozenset({"马上", "立刻", "立即", "当天"})
_ZH_EVENT_BEFORE = rx(
    r"^(?:(?!刚|已)[^。！？!?\n])*(?:发工资|工资|到账|到帐|发了|到了|拿到|发薪|收到钱|钱到)(?:(?!刚|已)[^。！？!?\n]){0,8}$"
)
# A month's number, 1 to 12: "600 月底还" is 600 at the end of this month, not a 600th month.
_CN_MONTH = (
    r"(?<![0-9零〇一二两三四五六七八九十])(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])(?![0-9])"
)
# A weekday character; "一" is not Monday in "一定" (definitely) or "一直" (always).
_CN_WD = r"(?:一(?![定直起样点下些般共切次])|[二三四五六日天七1-7])"
_CN_WDMAP = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "七": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_WEEK = r"(?:周|星期|礼拜|个星期|个礼拜)"

_ZH_PATTERNS: list[tuple[str, str]] = [
    (
        "iso",
        r"(?P<iso_y>20\d\d)\s*[-/.年]\s*(?P<iso_m>\d{1,2})\s*[-/.月]\s*(?P<iso_d>\d{1,2})(?![\d])[日号]?",
    ),
    (
        "z_past",
        r"(?:昨天|昨晚|昨日|昨儿|前天|前晚|刚才|刚刚|前几天|前两天|上次|早就|"
        # "之前" right after a day is "before that day" (LABELING.md: X之前 is X)
        r"(?<![号日天一二三四五六七末底月周0-9])之前|"
        r"上(?:个|一)?(?:周|星期|礼拜)(?:"
        + _CN_WD
        + r"|末)?|上(?:个|一)?月(?:底|末|初)?|去年|"
        + _CN_N
        + r"(?:天|个?星期|个?礼拜|周|个?月)前)",
    ),
    ("z_md", r"(?P<zmd_m>" + _CN_N + r")\s*月\s*(?P<zmd_d>" + _CN_N + r")\s*(?:日|号)"),
    ("z_mend", r"(?P<zme_m>" + _CN_MONTH + r")\s*月(?:底|末|尾)"),
    ("z_next_nth", r"下(?:个|一个)?月(?:的)?\s*(?P<znn_d>" + _CN_N + r")\s*(?:号|日)"),
    (
        "z_vague_next",
        r"下(?:个|一个)?月(?:初|中|上旬|中旬|下旬|头)|(?:这个?|本)?月(?:初|中|上旬|中旬)|"
        r"明年|来年|下一年|年后|过年后|年初",
    ),
    ("z_nn_month", r"下下(?:个)?月(?:底|末)?"),
    ("z_eonm", r"下(?:个|一个)?月(?:底|末|尾)?"),
    ("z_recurring", r"每(?:个)?(?:月|天|日|周|星期|礼拜)(?!" + _CN_WD + r")|按月|按周"),
    ("z_every_wd", r"每(?:个)?" + _WEEK + r"(?P<zev_w>" + _CN_WD + r")"),
    ("z_eom", r"(?:这个?|本|当)月(?:底|末|尾)?|月(?:底|末|尾)"),
    ("z_eoy", r"(?:今年)?(?:年底|年末|年尾)|今年"),
    ("z_wk2", r"下下(?:个)?" + _WEEK + r"(?P<zw2_w>" + _CN_WD + r")?末?"),
    ("z_next_wd", r"下(?:个|一个)?" + _WEEK + r"(?P<znw_w>" + _CN_WD + r")"),
    ("z_next_week", r"下(?:个|一个)?" + _WEEK + r"末?"),
    ("z_this_wd", r"(?:这|本|这个)" + _WEEK + r"(?P<ztw_w>" + _CN_WD + r")"),
    ("z_this_week", r"(?:这|本|这个)" + _WEEK + r"末?|周末"),
    (
        "z_ndays",
        r"(?P<znd_n>"
        + _CN_N
        + r"|几|两三|三五|一两|两)\s*(?P<znd_u>个?(?:天|日|周|星期|礼拜|工作日))"
        r"(?:后|之后|以后|内|之内|以内|左右)",
    ),
    ("z_bare_wd", r"(?:周|星期|礼拜)(?P<zbw_w>" + _CN_WD + r")"),
    ("z_guo", r"过(?P<zg_n>" + _CN_N + r"|几|两)天"),
    (
        "z_vague",
        r"这两天|这几天|近两天|近几天|最近几天|过段时间|过一段时间|过阵子|过些天|过些日子|改天|回头|"
        r"晚点|晚些|尽快|尽早|早日|以后|很快|迟些|等有钱|几天后|"
        + _CN_N
        + r"个月(?:后|之后|以后|内|之内)",
    ),
    (
        "z_event",
        r"发工资|发薪|工资到账|工资下来|工资发了|发了工资|领工资|拿到工资|发工钱|出粮|工资到了|"
        r"工资一到|发了薪水|薪水到账|发钱",
    ),
    ("z_dat3", r"大后天"),
    ("z_dat2", r"后天"),
    ("z_tmr", r"明天|明日|明早|明晚|明儿"),
    (
        "z_today",
        # "到账当天就还", "发了马上还": the day of an event said before, not today
        r"今天|今日|今晚|今早|今儿|(?<!到账)(?<!到帐)(?<!发薪)(?<!那)当天|(?<!发了|到了|到账)(?:马上|立刻|立即)|现在|即刻|"
        r"今夜|这会儿|"
        # a time of day alone is today's ("下午就转"); after a day it belongs to that day
        r"(?<![天日号一二三四五六七末])(?:下午|上午|中午|晚上|早上|傍晚)",
    ),
    ("z_day", r"(?P<zd_d>" + _CN_N + r")\s*(?:号|日)(?!元)"),
    (
        "numeric",
        # NFKC makes "，" a ",": after a clause's comma "1/20" is a date again
        r"(?<![\d/.$£€¥])(?P<nu_a>\d{1,2})/(?P<nu_b>\d{1,2})(?:/(?P<nu_y>\d{2}|\d{4}))?(?![\d/])",
    ),
]

_ZH_SOURCES = [f"(?:{p})(?P<{n}>)" for n, p in _ZH_PATTERNS]
_ZH_RE = rx("|".join(_ZH_SOURCES))
# at the scanner's start positions, only the patterns that can start there
_ZH_AT = FirstCharAlternation(_ZH_SOURCES, rx)


def _count(word: str) -> int | None:
    w = " ".join(word.split())
    if w.isdigit():
        return int(w)
    if w in _COUNT_WORDS:
        return _COUNT_WORDS[w]
    return None


def _ordinal(text: str) -> int | None:
    t = " ".join(text.split())
    if t[:1].isdigit():
        digits = t.rstrip("stndrh")
        return int(digits) if digits.isdigit() else None
    return _ORDINALS.get(t)


def _cn_int(text: str) -> int | None:
    v = parse_chinese(text.strip())
    if v is None or v != v.to_integral_value():
        return None
    return int(v)


def _en_value(name: str, m: re.Match[str], ctx: DateContext) -> tuple[dt.date | None, str]:
    g = m.group
    if name == "iso":
        return ctx.calendar_date(int(g("iso_m")), int(g("iso_d")), int(g("iso_y"))), DATE
    if name == "past_rel":
        return None, PAST
    if name in (
        "for_now",
        "vague_next",
        "vague_month",
        "vague_span",
        "vague",
        "few_days",
        "month_only",
    ):
        return None, VAGUE
    if name == "event":
        return None, EVENT
    if name == "wk2":
        return ctx.sunday(2), DATE
    if name == "dat":
        return ctx.plus(2), DATE
    if name in ("nth_next", "next_month_nth"):
        d = _ordinal(g("nn_d") if name == "nth_next" else g("nm_d"))
        return (ctx.month_day(1, d) if d else None), DATE
    if name == "eonm":
        return ctx.month_end(1), DATE
    if name == "eom":
        return ctx.month_end(0), DATE
    if name == "end_of_mon":
        return ctx.month_last(_MONTHS[g("eo_m")]), DATE
    if name == "eoy":
        return dt.date(ctx.today.year, 12, 31), DATE
    if name == "xmas":
        return ctx.calendar_date(12, 25), DATE
    if name == "after_xmas":
        return None, VAGUE
    if name == "next_week":
        return ctx.sunday(1), DATE
    if name == "this_week":
        return ctx.sunday(0), DATE
    if name == "wd_day":
        return ctx.day_of_month(int(g("wdd_d"))), DATE
    if name == "weekday":
        wd = _WEEKDAYS[g("wd")]
        mod = " ".join((g("wd_mod") or "").split())
        suf = " ".join((g("wd_suf") or "").split())
        if mod in ("last", "past"):
            return None, PAST
        if suf == "next week" or mod in ("next", "nxt", "the following", "following"):
            if suf == "after next":
                return ctx.week_day(2, wd), DATE
            return ctx.week_day(1, wd), DATE
        if suf == "this week" or mod == "this":
            return ctx.this_weekday(wd), DATE
        day = ctx.bare_weekday(wd)
        if suf == "after next":
            day = ctx.week_day(2, wd)
        elif suf == "week":
            day = day + dt.timedelta(days=7)
        return day, DATE
    if name == "tmr":
        return ctx.plus(1), DATE
    if name == "today":
        return ctx.today, DATE
    if name in ("in_days", "days_from"):
        n = _count(g("ind_n") if name == "in_days" else g("dfn_n"))
        unit = g("ind_u") if name == "in_days" else g("dfn_u")
        if n is None or n > 400:
            return None, VAGUE
        if unit.startswith("fortnight"):
            n *= 14
        elif unit.startswith("w"):
            n *= 7
        return ctx.plus(n), DATE
    if name == "fortnight":
        return ctx.plus(14), DATE
    if name == "day_or_two":
        return ctx.plus(7 if g("dot_u") == "week" else 1), DATE
    if name == "couple_days":
        return ctx.plus(14 if g("cd_u") == "weeks" else 2), DATE
    if name == "md":
        y = g("md_y")
        return ctx.calendar_date(_MONTHS[g("md_m")], int(g("md_d")), int(y) if y else None), DATE
    if name == "dm":
        y = g("dm_y")
        return ctx.calendar_date(_MONTHS[g("dm_m")], int(g("dm_d")), int(y) if y else None), DATE
    if name == "numeric":
        return _numeric(m, ctx)
    if name == "ord":
        return ctx.day_of_month(int(g("od_d"))), DATE
    if name == "ord_word":
        d = _ORDINALS.get(" ".join((g("ow_a") or g("ow_b")).split()))
        return (ctx.day_of_month(d) if d else None), DATE
    return None, VAGUE


def _numeric(m: re.Match[str], ctx: DateContext) -> tuple[dt.date | None, str]:
    a, b = int(m.group("nu_a")), int(m.group("nu_b"))
    y = m.group("nu_y")
    month, day = (b, a) if ctx.day_first else (a, b)
    return ctx.calendar_date(month, day, int(y) if y else None), DATE


def _zh_value(name: str, m: re.Match[str], ctx: DateContext) -> tuple[dt.date | None, str]:
    g = m.group
    if name == "iso":
        return ctx.calendar_date(int(g("iso_m")), int(g("iso_d")), int(g("iso_y"))), DATE
    if name == "z_past":
        return None, PAST
    if name in ("z_vague_next", "z_recurring", "z_vague"):
        return None, VAGUE
    if name == "z_event":
        return None, EVENT
    if name == "z_md":
        mo, d = _cn_int(g("zmd_m")), _cn_int(g("zmd_d"))
        return (ctx.calendar_date(mo, d) if mo and d else None), DATE
    if name == "z_mend":
        mo = _cn_int(g("zme_m"))
        return (ctx.month_last(mo) if mo else None), DATE
    if name == "z_next_nth":
        d = _cn_int(g("znn_d"))
        return (ctx.month_day(1, d) if d else None), DATE
    if name == "z_nn_month":
        return ctx.month_end(2), DATE
    if name == "z_eonm":
        return ctx.month_end(1), DATE
    if name == "z_every_wd":
        return ctx.bare_weekday(_CN_WDMAP[g("zev_w")]), DATE
    if name == "z_eom":
        return ctx.month_end(0), DATE
    if name == "z_eoy":
        return dt.date(ctx.today.year, 12, 31), DATE
    if name == "z_wk2":
        w = g("zw2_w")
        return (ctx.week_day(2, _CN_WDMAP[w]) if w else ctx.sunday(2)), DATE
    if name == "z_next_wd":
        return ctx.week_day(1, _CN_WDMAP[g("znw_w")]), DATE
    if name == "z_next_week":
        return ctx.sunday(1), DATE
    if name == "z_this_wd":
        return ctx.this_weekday(_CN_WDMAP[g("ztw_w")]), DATE
    if name == "z_this_week":
        return ctx.sunday(0), DATE
    if name == "z_ndays":
        raw = g("znd_n")
        n = {"两三": 2, "三五": 3, "一两": 1, "两": 2}.get(raw) or (
            _cn_int(raw) if raw != "几" else None
        )
        if n is None or n > 400:
            return None, VAGUE
        unit = g("znd_u")
        if "天" not in unit and "日" not in unit:
            n *= 7
        return ctx.plus(n), DATE
    if name == "z_bare_wd":
        return ctx.bare_weekday(_CN_WDMAP[g("zbw_w")]), DATE
    if name == "z_guo":
        raw = g("zg_n")
        n = 2 if raw == "两" else (_cn_int(raw) if raw != "几" else None)
        return (ctx.plus(n), DATE) if n is not None and n <= 400 else (None, VAGUE)
    if name == "z_dat3":
        return ctx.plus(3), DATE
    if name == "z_dat2":
        return ctx.plus(2), DATE
    if name == "z_tmr":
        return ctx.plus(1), DATE
    if name == "z_today":
        return ctx.today, DATE
    if name == "z_day":
        d = _cn_int(g("zd_d"))
        return (ctx.day_of_month(d) if d else None), DATE
    if name == "numeric":
        return _numeric(m, ctx)
    return None, VAGUE


def gate_parts(lang: str) -> tuple[str, ...]:
    """The date patterns without group names, for the reply scanner's "date" positions."""
    patterns = _ZH_PATTERNS if lang == "zh" else _EN_PATTERNS
    return tuple(_GROUP_NAME.sub("(?:", p) for _, p in patterns)


# Patterns made only of digits: an impossible value means "not a date", not "no day".
_DIGIT_ONLY = frozenset({"numeric", "iso"})
_GROUP_NAME = rx(r"\(\?P<\w+>")


_LATIN_WORD = rx(r"[a-z]{3,}")
_HAN = rx(r"[\u3400-\u9fff]")


def find_dates(
    text: str, lang: str, ctx: DateContext, starts: list[int] | None = None
) -> list[DateHit]:
    """All date phrases in folded ``text``, left to right, non-overlapping.

    ``starts`` (sorted) are positions where a date may start, from the reply
    scanner; without them the text is scanned here.
    """
    hits: list[DateHit] = []
    if lang == "zh":
        found = _ZH_RE.finditer(text) if starts is None else _matches_at(_ZH_AT, text, starts)
        for m in found:
            name = m.lastgroup or ""
            if name == "z_today" and m.group() in _RIGHT_AFTER and _ZH_EVENT_BEFORE.search(
                text[max(0, m.start() - 12) : m.start()]
            ):
                continue  # "发工资后马上还", "12号发工资，当天还": the event's day, not today
            value, kind = _zh_value(name, m, ctx)
            if kind == DATE and value is None:
                # "下个月31号" in a 30-day month: a stated time with no valid day.
                if name in _DIGIT_ONLY:
                    continue
                kind = VAGUE
            hits.append(DateHit(m.start(), m.end(), value, kind))
        if _LATIN_WORD.search(text):
            # English date words inside a Chinese reply ("我 next friday 会 transfer"): read
            # them too, where no Chinese date phrase is
            for h in find_dates(_HAN.sub(" ", text), "en", ctx):
                k = bisect_right(hits, h.start, key=lambda d: d.start)
                if (k == 0 or hits[k - 1].end <= h.start) and (
                    k == len(hits) or h.end <= hits[k].start
                ):
                    hits.insert(k, h)
        return hits
    done = 0
    match = _EN_RE.match
    if starts is None:
        starts = _trigger_starts(text)
    for start in starts:
        if start < done:
            continue
        found_at = match(text, start)
        if found_at is None or found_at.end() == start:
            continue
        name = found_at.lastgroup or ""
        if name in _EN_BOUNDED and not word_start(text, start):
            continue
        done = found_at.end()
        value, kind = _en_value(name, found_at, ctx)
        if kind == DATE and value is None:
            if name in _DIGIT_ONLY:
                continue  # "13/45" is not a date at all
            kind = VAGUE  # "the 31st of next month" in a 30-day month
        hits.append(DateHit(found_at.start(), found_at.end(), value, kind))
    return hits
