"""Money amounts in a folded reply (LABELING.md, "Amounts").

Numerals with or without currency ("$200", "1,200.50", "1.2k", "500元"),
English number words ("two hundred", "a grand", "two fifty"), Chinese numerals
("两千五", "1.5万", "伍佰"), approximations (the number) and ranges (the lower
bound). "in full"/"全部" and "half"/"一半" are markers resolved against the
balance; "the rest"/"剩下的" is a marker with no amount. Days of the month,
times, phone and account digits are not amounts.
"""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from bot.replies.alternations import trie_alternation
from bot.replies.cue_scanner import Parts, Scanner
from bot.replies.dates import DateHit
from bot.replies.numbers import EN_NUMBER_WORDS, EN_TENS, EN_UNITS, parse_chinese, parse_english
from bot.replies.regex_programs import rx

NUM, FULL, HALF, REST, PART = "num", "full", "half", "rest", "part"
_INF = 1 << 62
_ANY_DIGIT = rx(r"\d")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")
#: A reply is read for at most this many numbers: no real promise has more, and it
#: bounds the work on pathological input (thousands of digits).
MAX_CANDIDATES = 300


class AmountHit(NamedTuple):
    """An amount (or amount marker) found in folded text."""

    start: int
    end: int
    value: Decimal | None
    kind: str  # num, full, half, rest or part (some of it, beside the rest)


def quantize(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def resolve(hit: AmountHit, balance: Decimal | None) -> Decimal | None:
    """The amount a hit stands for, given the case balance."""
    if hit.kind == NUM:
        return hit.value
    if hit.kind == FULL:
        return quantize(balance) if balance is not None else None
    if hit.kind == HALF:
        return quantize(balance / 2) if balance is not None else None
    return None


# Digits (possessive quantifiers keep long digit runs linear).
_CODES = (
    *("usd", "cad", "aud", "nzd", "gbp", "eur", "sgd", "hkd", "rmb", "cny", "us$", "s$", "hk$"),
    *("c$", "a$", "nz$", "nt$", "rm", "myr", "rs", "rs.", "inr", "php", "zar", "ngn", "kes", "ksh"),
    *("twd", "ntd", "jpy", "thb", "idr", "chf", "mxn", "brl", "₹", "₱", "₦"),
)
# A currency code may stand right before the digits ("USD150", "CNY3000").
_AFTER_CODE = "|".join(f"(?<={re.escape(c)})" for c in _CODES)
_EN_NUM = rx(
    r"(?:(?<![\w.:/,$£€¥])|" + _AFTER_CODE + r")(?:[$£€¥]\s*)?\d++(?:,\d{3})*+(?:\.\d++)?"
)
# "5 or 6 hundred": the digit is the start of a range of number words, read there.
_DIGIT_RANGE_AFTER = rx(r"\s+(?:or|to|-)\s+\d{1,2}\s+(?P<scale>hundred|thousand|grand)\b")
_EN_AFTER = rx(
    r"(?P<mult>\s?(?:k|grand|thousand|hundred|hundy|hunnid|hundo)\b)?(?P<ish>-?ish\b)?\s*+"
    r"(?P<cur>dollars?|bucks?|usd|pounds?|quid|euros?|eur|gbp|rmb|cny|yuan|dlls?|dlrs?|cad|aud)?"
)
_EN_NOT_AFTER = rx(
    r"\s*+(?:(?:st|nd|rd|th|am|pm|a\.m|p\.m|o'?clock|h|hrs?|hours?|mins?|minutes?|secs?|percent|"
    r"days?(?!\s+after\s+(?:tomorrow|tmrw|tmr|tomoz|2moro))|weeks?|wks?|months?|mos|years?|yrs?|times|x|"
    r"kids|children|people|installments?|"
    r"instalments?|payments?\s+of|payments|parts|ppl|persons?|digits|calls|texts|messages|miles|km|"
    r"street|ave|road|apt|floor)\b|:\d|%|/\d|-(?!ish)[a-z])"
)
# Words right before a number that make it an identifier, a time or a stated balance,
# not an offer: "card ending 4821", "case number 26-10443", "call me at 555 ...".
_ID_WORDS = frozenset(
    [
        "ending",
        "ends",
        "acct",
        "account",
        "a/c",
        "card",
        "case",
        "chapter",
        "ch",
        "receipt",
        "confirmation",
        "conf",
        "ref",
        "cheque",
        "check",
        "reference",
        "order",
        "invoice",
        "ticket",
        "id",
        "policy",
        "loan",
        "member",
        "phone",
        "tel",
        "mobile",
        "cell",
        "number",
        "no",
        "room",
        "apt",
        "suite",
        "unit",
        "route",
        "ext",
        "extension",
        "zip",
        "code",
        "pin",
        "box",
        "flight",
        "version",
        "call",
        "text",
        "year",
        "borrowed",
        "owe",
        "owed",
        "charged",
        "balance",
        "total",
        "balance",
        "paid",
        "sent",
        "lent",
        "fee",
    ]
)
_ID_PAIRS = frozenset(
    {"me at", "me on", "reach me", "last 4", "last four", "4 digits", "four digits"}
)
_TAIL_WORDS = rx(r"[a-z0-9/]+")


def _id_context(before: str) -> bool:
    """Whether the text just before a number marks it as an identifier or a stated figure."""
    tail = before.rstrip()
    stripped = tail.rstrip(":#-.,")
    if "#" in tail[len(stripped) :] or len(tail) - len(stripped) > 3:
        return "#" in tail[len(stripped) :]
    words = _TAIL_WORDS.findall(stripped[-30:])
    if not words:
        return False
    if words[-1] in _ID_WORDS or (
        len(words) > 1 and words[-1] in ("in", "with", "at", "on", "of") and words[-2] in _ID_WORDS
    ):
        return True
    return len(words) > 1 and f"{words[-2]} {words[-1]}" in _ID_PAIRS


_YEAR_BEFORE = rx(r"(?:\bin|\bsince|\bfrom|\bof|\byear|\bby|\buntil|\bbefore|\bafter)\s+$")
_TIME_BEFORE = rx(r"(?:\bat|\bafter|\bbefore|\bbetween|\buntil|\btill|\bfrom|\bby|@)\s*$")
_BETWEEN_BEFORE = rx(r"\bbetween\s+\d{1,2}(?::\d\d)?\s*(?:am|pm)?\s+(?:and|-|to)\s+$")
_AGE_BEFORE = rx(r"\b(?:i\s+am|i'?m|im|aged|age)\s*$")
_AGE_AFTER = rx(r"\s*(?:years?\b|yrs?\b|y/?o\b|yo\b|and\b|with\b|on\s+(?:a\s+)?pension|[,.!;]|$)")
# Names that hold a number: "Can I pay at a 7-Eleven?"
_NAMES_WITH_NUMBERS = rx(r"(?<![0-9a-z])7\s*-?\s*(?:eleven|11)(?![0-9a-z])|(?<![0-9])7/11(?![0-9])")
_PHONE = rx(r"(?<![\d.,])\+?\d[\d\- ().]{5,18}\d(?![\d,])")

_EN_WORD_RUN = rx(
    r"\b(?:(?:a|an)\s+)?(?:couple(?:\s+of)?\s+)?(?:"
    + "|".join(sorted(EN_NUMBER_WORDS, key=len, reverse=True))
    + r"|tenner|fiver)\b(?:(?:\s+|-)(?:and\s+)?(?:"
    + "|".join(sorted(EN_NUMBER_WORDS, key=len, reverse=True))
    + r")\b)*+"
)
_EN_WORD_GATE = rx(
    r"(?<![a-z0-9_])(?:"
    + trie_alternation(
        sorted([*EN_NUMBER_WORDS, "tenner", "fiver", "couple"], key=len, reverse=True)
    )
    + r")(?![a-z0-9])"
)
_EN_WORD_RANGE = rx(
    r"\b(?P<a>"
    + "|".join(k for k, v in EN_UNITS.items() if 1 <= v <= 9)
    + r"|\d)\s+(?:or|to|-)\s+(?:"
    + "|".join(k for k, v in EN_UNITS.items() if 1 <= v <= 10)
    + r"|\d{1,2})\s+(?P<s>hundred|thousand|grand)\b"
)
_EN_WORD_AFTER_BAD = rx(
    r"\s*+(?:-\s*+)?(?:days?|weeks?|months?|years?|hours?|minutes?|times|of\s+(?:them|us|these|those|my|the)|"
    r"more\s+(?:days?|weeks?|months?)|o'?clock|am|pm|kids|children|people|installments?|instalments?|"
    r"payments|parts|ways|things)\b"
)
# "2 fifty": a digit then a tens word is hundreds and tens, as "two fifty" is.
_DIGIT_TENS_AFTER = rx(
    r"\s+(?P<tens>" + "|".join(EN_TENS) + r")(?:[\s-](?P<unit>"
    + "|".join(k for k, v in EN_UNITS.items() if 1 <= v <= 9) + r"))?\b(?!\s*(?:am|pm|o'?clock))"
)
_EN_CUR_AFTER = rx(r"\s*+(?:dollars?|bucks?|pounds?|quid|euros?|usd|gbp|eur)\b")

#: English amount markers for the reply scanner, as (category, cues).
EN_MARKER_PARTS: tuple[tuple[str, Parts], ...] = (
    (
        "amount_" + REST,
        (
            r"\bthe\s+(?:rest|remainder|remaining(?:\s+(?:balance|amount|bit))?|balance\s+remaining|"
            r"difference|other\s+(?:part|bit))\b",
            r"\bremaining\s+(?:balance|amount|amt|bal|sum|part)\b|\bwhat'?s\s+left\b|\bwhat\s+is\s+left\b",
        ),
    ),
    (
        "amount_" + PART,
        (
            r"\b(?:a\s+(?:bit|little|portion|part|chunk)|some(?:\s+of\s+it)?|part\s+of\s+it|"
            r"something)\b(?!\s+(?:of\s+the\s+rest|more|else))",
        ),
    ),
    (
        "amount_" + HALF,
        (
            r"\bhalf\b(?!\s+(?:past|an?\s+hour|hour|the\s+time|day))",
            r"\b50\s*%",
            # "will pay 1/2 on friday": a fraction as what is paid is half
            r"(?<=\bpay\s)1/2\b|(?<=\bdo\s)1/2\b|(?<=\bsend\s)1/2\b",
        ),
    ),
    (
        "amount_" + FULL,
        (
            r"\bin\s+full\b",
            r"\b(?:the\s+)?full\s+(?:amount|balance|payment|sum|thing|debt|total|bill)\b",
            r"\ball\s+of\s+it\b",
            r"\bthe\s+(?:whole\s+)?lot\b",
            r"\b(?:have|get|got)\s+(?:it|this|that|everything)\s+paid\s+off\b",
            r"\b(?:pay|paying|clear|clearing|settle|settling|cover)\s+(?:off\s+)?(?:my|this|that|your)\s+"
            r"(?:whole\s+|full\s+|entire\s+|total\s+|outstanding\s+)?balance\b",
            r"\b(?:the\s+|my\s+|this\s+)?(?:whole|entire|total|complete|outstanding)\s+"
            r"(?:balance|amount|thing|lot|debt|sum|bill)\b",
            r"\bthe\s+balance\b(?<!towards\sthe\sbalance)(?<!toward\sthe\sbalance)(?<!against\sthe\sbalance)"
            r"(?<!of\sthe\sbalance)(?<!off\sthe\sbalance)(?<!from\sthe\sbalance)",
            r"\b(?:pay|paying|clear|clearing|settle|settling|cover)\s+(?:it|this|that|everything|the\s+(?:debt|"
            r"loan|bill|account|lot))\s+off\b",
            r"\bpay(?:ing)?\s+off\s+(?:the\s+(?:debt|loan|bill|account|(?:whole\s+|full\s+|entire\s+|outstanding\s+)?"
            r"balance)|everything|it\s+all)\b",
            r"\b(?:have|get)\s+(?:it|this|that)\s+all\s+(?:paid|sorted|cleared|settled|done|to\s+you|by)\b",
            r"\b(?:you'?ll|you\s+will)\s+have\s+it\s+all\b|\bsend\s+(?:you\s+)?it\s+all\b|\bfull\s+whack\b",
            r"\bclear\s+(?:the|my)\s+account\b",
            r"\b(?:pay|paying|clear|settle|cover)\s+(?:it|this|that|them)\s+all\b",
            r"\beverything\s+(?:i|that\s+i)\s+owe\b",
            r"\b(?:pay|paying|clear|settle)\s+(?:it\s+)?everything\b",
            r"\bclear\s+(?:it|this|that)\b(?!\s+(?:up|out|with|for|over|down))",
        ),
    ),
)
_standalone: list[Scanner] = []

# Chinese numerals, possibly mixed with ASCII digits ("1千5", "1.5万", "2w").
_ZH_RUN = rx(
    r"(?:(?:(?<![0-9a-z.,:/])|" + _AFTER_CODE + r")"
    r"[0-9]++(?:,[0-9]{3})*+(?:\.[0-9]++)?[kw]?(?![a-z])|"
    # a Chinese numeral may follow a comma ("大后天吧，两千五": NFKC makes "，" a ",")
    r"(?<![0-9a-z.])[零〇一二两三四五六七八九十壹贰貳叁參肆伍陆陸柒捌玖拾])"
    r"[0-9.零〇一二两三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億]*+"
)
_ZH_AFTER_COMMA = rx(
    r"(?<=[^0-9],)[0-9]++(?:\.[0-9]++)?[kw]?(?![a-z0-9])"
    r"[0-9.零〇一二两三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億]*+"
)
_ZH_NOT_AFTER = rx(
    r"(?:个|天|日|号|周|星期|礼拜|月(?!底|末|尾)|年(?!底|末)|点|時|时|分钟|小时|期|次|岁|倍|%|张|笔|位|人|遍|页|条|秒|楼|层|"
    r"栋|室|家|套|辆|台|部|件|只|份|种|成|折|章|集|热线|:\d|/\d)"
)
_ZH_ID_BEFORE = rx(
    r"(?:尾号|账号|卡号|编号|单号|订单号|工号|电话|手机|号码|手机号|流水号|身份证|第|拨|分|(?<![0-9一二三四五六七八九十])号|"
    r"ending|card|#|no\.?|电话是|号码是|借了|欠了|只欠|欠|只借了|借|(?<!把)本金|(?<!把)利息|一共|总共|共计|合计|总计|共|显示|"
    r"已经还了|还了|转了|已还|已转)\s*[:：]?\s*$"
)
_ZH_CUR_AFTER = rx(r"\s*+(?:元|块|圆|人民币|rmb|cny|¥|万元|千元|百元)")
_ZH_MARKERS = rx(
    r"(?P<rest>(?:剩下|剩余|其余|余下|其他|剩低)(?:的|部分|欠款|款项|全部)*|余款|尾款|余数|余额)"
    r"|(?P<half>一半|半数)"
    r"|(?P<part>一部分|部分|一点|一些|一小部分)"
    r"|(?P<full>一次性(?:还清|结清|付清|全部还上)|全部(?:欠款)?(?:还清|结清|付清|还上|还完)?|全额|还清|结清|付清|缴清|交清|"
    r"所有欠款|全款|全(?:都|部)?还(?:了|掉|上|完)|(?:settle|clear)\s*掉)"
)
_CN_DIGIT_START = set("0123456789零〇一二两三四五六七八九十壹贰貳叁參肆伍陆陸柒捌玖拾")
_CN_HAS_UNIT = set("十百千万亿拾佰仟萬億kw")


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True when ``[start, end)`` overlaps a span; ``spans`` sorted by start, non-overlapping."""
    k = bisect_right(spans, (start, _INF)) - 1
    if k >= 0 and spans[k][1] > start:
        return True
    return k + 1 < len(spans) and spans[k + 1][0] < end


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _valid(value: Decimal | None) -> Decimal | None:
    if value is None or value <= 0 or value >= MAX_AMOUNT:
        return None
    return quantize(value)


def _phones(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _PHONE.finditer(text):
        s = m.group()
        digits = sum(c.isdigit() for c in s)
        if digits < 7:
            continue
        parts = s.split("-")
        if len(parts) == 2 and " " not in s:
            a, b = parts
            if (
                a.isdigit()
                and b.isdigit()
                and not b.startswith("0")
                and int(a) < int(b)
                and len(b) - len(a) <= 1
                and not a.startswith("0")
                and b.endswith("0")
            ):
                continue  # a range such as 1000-2000
        out.append(m.span())
    return out


def find_amounts(
    text: str, lang: str, dates: list[DateHit], cues: dict[str, list[tuple[int, int]]] | None = None
) -> list[AmountHit]:
    """All amount hits in folded ``text``, left to right, ranges merged.

    ``cues`` are the reply scanner's hits (English markers) when the parser has them.
    """
    if lang == "en" and not _ANY_DIGIT.search(text):
        hits = _en_words(text, [(d.start, d.end) for d in dates], [])
    else:
        blocked = [(d.start, d.end) for d in dates]
        blocked = _merge_spans(
            blocked
            + [p for p in _phones(text) if not _overlaps(p[0], p[1], blocked)]
            + [m.span() for m in _NAMES_WITH_NUMBERS.finditer(text)]
        )
        hits = _zh_numbers(text, blocked) if lang == "zh" else _en_numbers(text, blocked)
        if lang == "en":
            hits += _en_words(text, blocked, hits)
    if lang == "zh":
        for m in _ZH_MARKERS.finditer(text):
            hits.append(AmountHit(m.start(), m.end(), None, m.lastgroup or FULL))
        if any(h.kind == PART for h in hits) and not any(h.kind == REST for h in hits):
            hits = [h for h in hits if h.kind != PART]
    else:
        if cues is None:
            if not _standalone:
                _standalone.append(Scanner(list(EN_MARKER_PARTS)))
            cues = {}
            _standalone[0].scan_gated(text, cues)
        taken: list[tuple[int, int]] = []
        rest = cues.get("amount_" + REST, [])
        if "rest" in text or "remain" in text:
            rest = sorted([*rest, *(m.span() for m in _BARE_REST.finditer(text))])
        # "some of it" is an instalment only beside "the rest" ("a bit today, the rest
        # next week")
        kinds = (REST, HALF, FULL, PART) if rest else (REST, HALF, FULL)
        for kind in kinds:
            for s, e in rest if kind == REST else cues.get("amount_" + kind, ()):
                if not _overlaps(s, e, taken):
                    hits.append(AmountHit(s, e, None, kind))
                    insort(taken, (s, e))
    hits.sort(key=lambda h: h.start)
    return _merge_ranges(text, hits)


# "half on friday, rest on the 30th": a bare "rest" opening a clause (read here, not by the
# reply scanner: a cue that starts with a lookbehind cannot be gated there)
_BARE_REST = rx(
    r"(?:(?<=,)|(?<=,\s)|(?<=;\s)|(?<=\band\s)|(?<=\bthen\s)|(?<=\bn\s)|(?<=&\s)|(?<=\bplus\s)|^)"
    r"(?:(?:the\s+)?rest|remainder|remaining)\b"
    r"(?!\s+(?:of\s+(?:my|the|your)\s+(?:life|day|week|month|year|family)|assured|up|day|well))"
)
_RANGE_GAP = rx(r"\s*(?:-|~|to|or|到|至|或|—)\s*(?:[$£€¥]\s*)?")


def _merge_ranges(text: str, hits: list[AmountHit]) -> list[AmountHit]:
    out: list[AmountHit] = []
    for h in hits:
        if out:
            prev = out[-1]
            if (
                prev.kind == NUM
                and h.kind == NUM
                and prev.value is not None
                and h.value is not None
                and prev.value <= h.value
                and _RANGE_GAP.fullmatch(text, prev.end, h.start)
            ):
                out[-1] = AmountHit(prev.start, h.end, prev.value, NUM)
                continue
        out.append(h)
    return out


def _en_numbers(text: str, blocked: list[tuple[int, int]]) -> list[AmountHit]:
    hits: list[AmountHit] = []
    done = 0
    for n, m in enumerate(_EN_NUM.finditer(text)):
        if n >= MAX_CANDIDATES:
            break
        start, end = m.span()
        raw = m.group()
        has_cur = raw[0] in "$£€¥"
        digits = raw.lstrip("$£€¥ ").replace(",", "")
        if start < done or _overlaps(start, end, blocked):
            continue
        rng = _DIGIT_RANGE_AFTER.match(text, end)
        if rng is not None and digits.isdigit():
            # "5 or 6 hundred": the lower bound, in the scale said once at the end
            low = _valid(Decimal(int(digits) * (100 if rng.group("scale") == "hundred" else 1000)))
            if low is not None:
                hits.append(AmountHit(start, rng.end(), low, NUM))
            done = rng.end()
            continue
        tens = _DIGIT_TENS_AFTER.match(text, end) if len(digits) == 1 and digits != "0" else None
        if tens is not None and not _TIME_BEFORE.search(text[max(0, start - 30) : start]):
            unit = tens.group("unit")
            said = int(digits) * 100 + EN_TENS[tens.group("tens")] + (EN_UNITS[unit] if unit else 0)
            hits.append(AmountHit(start, tens.end(), quantize(Decimal(said)), NUM))
            done = tens.end()
            continue
        after = _EN_AFTER.match(text, end)
        mult = after.group("mult") if after else None
        cur_after = after.group("cur") if after else None
        if not mult and not cur_after and _EN_NOT_AFTER.match(text, end):
            continue
        before = text[max(0, start - 30) : start]
        if not has_cur:
            prev = text[max(0, start - 4) : start].rstrip()
            if prev.endswith(_CODES):
                has_cur = True
        if not has_cur and not cur_after and _id_context(before):
            continue
        if not has_cur and not cur_after and not mult and _AGE_BEFORE.search(before) and (
            _AGE_AFTER.match(text, end)
        ):
            continue  # "I am 78 and I don't use the app": an age
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        if not has_cur and not cur_after and not mult:
            if 1900 <= value <= 2099 and len(digits) == 4 and _YEAR_BEFORE.search(before):
                continue
            if (
                value == value.to_integral_value()
                and value <= 24
                and (_TIME_BEFORE.search(before) or _BETWEEN_BEFORE.search(before))
            ):
                continue
            if len(digits) >= 7 and "." not in digits:
                continue
        if mult:
            value *= 100 if mult.strip().startswith("hun") else 1000
        v = _valid(value)
        if v is None:
            continue
        stop = after.end() if after and (mult or cur_after or after.group("ish")) else end
        hits.append(AmountHit(start, stop, v, NUM))
    return hits


def _en_words(
    text: str, blocked: list[tuple[int, int]], numeric: list[AmountHit]
) -> list[AmountHit]:
    if not _EN_WORD_GATE.search(text):
        return []
    taken = _merge_spans(blocked + [(h.start, h.end) for h in numeric])
    hits: list[AmountHit] = []
    for m in _EN_WORD_RANGE.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        a = m.group("a")
        base = int(a) if a.isdigit() else EN_UNITS[a]
        scale = 100 if m.group("s") == "hundred" else 1000
        v = _valid(Decimal(base * scale))
        if v is not None:
            hits.append(AmountHit(m.start(), m.end(), v, NUM))
            insort(taken, m.span())
    for n, m in enumerate(_EN_WORD_RUN.finditer(text)):
        if n >= MAX_CANDIDATES:
            break
        if _overlaps(m.start(), m.end(), taken):
            continue
        words = m.group().replace("-", " ").split()
        if words[0] in ("a", "an") and len(words) == 1:
            continue
        couple = "couple" in words
        words = [w for w in words if w not in ("couple", "of")]
        if couple:
            words = ["two" if w in ("a", "an") else w for w in words]
            if words and words[0] in ("hundred", "thousand", "grand"):
                words.insert(0, "two")
        value = parse_english(words)
        if value is None:
            continue
        end = m.end()
        if _EN_WORD_AFTER_BAD.match(text, end):
            continue
        cur = _EN_CUR_AFTER.match(text, end)
        if value < 10 and not cur:
            continue
        v = _valid(Decimal(value))
        if v is not None:
            hits.append(AmountHit(m.start(), cur.end() if cur else end, v, NUM))
    return hits


def _zh_numbers(text: str, blocked: list[tuple[int, int]]) -> list[AmountHit]:
    hits: list[AmountHit] = []
    found = list(_ZH_RUN.finditer(text))
    if "," in text:
        # "现在就转，300" (NFKC makes "，" a ","): a number after a comma that is no
        # thousands separator
        found += _ZH_AFTER_COMMA.finditer(text)
        found.sort(key=lambda m: m.start())
    for n, m in enumerate(found):
        if n >= MAX_CANDIDATES:
            break
        start, end = m.span()
        raw = m.group().rstrip(".")
        end = start + len(raw)
        if not raw or raw[0] not in _CN_DIGIT_START:
            continue
        if _overlaps(start, end, blocked):
            continue
        cur = _ZH_CUR_AFTER.match(text, end)
        is_ascii = raw[0].isascii()
        has_unit = any(c in _CN_HAS_UNIT for c in raw)
        if not cur:
            if _ZH_NOT_AFTER.match(text, end):
                continue
            if not is_ascii and not has_unit:
                continue
        before = text[max(0, start - 8) : start]
        prefix_cur = before.rstrip().endswith(("¥", "$", "rmb", "人民币"))
        if not cur and not prefix_cur and _ZH_ID_BEFORE.search(before):
            continue
        digits = raw.replace(",", "")
        if is_ascii and digits.isdigit() and len(digits) >= 7:
            continue
        value = parse_chinese(digits)
        v = _valid(value)
        if v is None:
            continue
        hits.append(AmountHit(start, cur.end() if cur else end, v, NUM))
    # ASCII amounts with a currency sign inside Chinese text ("$200", "¥500").
    return hits
