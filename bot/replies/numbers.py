"""Number words: English cardinals and Chinese numerals (simple and formal).

``parse_english`` reads "two hundred", "twenty-five", "a grand", "two fifty"
(250), "a tenner". ``parse_chinese`` reads "五百", "两千五" (2500), "一万二"
(12000), "伍佰", "1千5" (1500), "1.5万", and reads a range such as "五六百" or
"一两千" as its lower bound. Both return ``None`` for text that is not a number.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

EN_UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
EN_TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
EN_SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000}
EN_NOUNS: dict[str, int] = {"tenner": 10, "fiver": 5, "grand": 1000, "hundred": 100}

#: Words that may appear in an English number phrase (for the finder regex).
EN_NUMBER_WORDS: tuple[str, ...] = (
    *EN_UNITS,
    *EN_TENS,
    "hundred",
    "thousand",
    "grand",
)


def parse_english(words: list[str]) -> int | None:
    """Value of a list of English number words (``"and"``/``"a"`` allowed).

    >>> parse_english(["two", "hundred", "and", "fifty"])
    250
    """
    toks = [w for w in words if w not in ("and", "-")]
    if not toks:
        return None
    if toks[0] in ("a", "an", "one") and len(toks) == 2 and toks[1] in EN_NOUNS:
        return EN_NOUNS[toks[1]]
    if toks[0] in ("a", "an"):
        toks = ["one", *toks[1:]]
    # Colloquial hundreds: "two fifty" = 250, "one twenty five" = 125.
    if (
        len(toks) >= 2
        and toks[0] in EN_UNITS
        and 1 <= EN_UNITS[toks[0]] <= 9
        and toks[1] in EN_TENS
    ):
        rest = parse_english(toks[1:])
        if rest is not None and rest < 100:
            return EN_UNITS[toks[0]] * 100 + rest
    total = 0
    current = 0
    seen = False
    prev_kind = ""
    for t in toks:
        if t in EN_UNITS:
            if prev_kind == "unit":
                return None
            current += EN_UNITS[t]
            prev_kind = "unit"
        elif t in EN_TENS:
            if prev_kind in ("unit", "tens"):
                return None
            current += EN_TENS[t]
            prev_kind = "tens"
        elif t == "hundred":
            current = (current or 1) * 100
            prev_kind = "hundred"
        elif t in ("thousand", "grand", "k"):
            total += (current or 1) * 1000
            current = 0
            prev_kind = "thousand"
        else:
            return None
        seen = True
    return total + current if seen else None


CN_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "貳": 2,
    "两": 2,
    "俩": 2,
    "兩": 2,
    "三": 3,
    "叁": 3,
    "參": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "陸": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
CN_UNITS: dict[str, int] = {
    "十": 10,
    "拾": 10,
    "百": 100,
    "佰": 100,
    "千": 1000,
    "仟": 1000,
    "k": 1000,
}
CN_BIG: dict[str, int] = {
    "万": 10_000,
    "萬": 10_000,
    "w": 10_000,
    "亿": 100_000_000,
    "億": 100_000_000,
}

#: Characters a Chinese numeral may be made of (digits may be ASCII).
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG)


def _tokens(text: str) -> list[tuple[str, Decimal]] | None:
    """Split into ("d", value) digit tokens and ("u"/"b", scale) unit tokens."""
    out: list[tuple[str, Decimal]] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isdigit() and ch.isascii():
            j = i
            while j < n and ((text[j].isdigit() and text[j].isascii()) or text[j] == "."):
                j += 1
            try:
                out.append(("d", Decimal(text[i:j])))
            except InvalidOperation:
                return None
            i = j
            continue
        if ch in CN_DIGITS:
            out.append(("c", Decimal(CN_DIGITS[ch])))
        elif ch in CN_UNITS:
            out.append(("u", Decimal(CN_UNITS[ch])))
        elif ch in CN_BIG:
            out.append(("b", Decimal(CN_BIG[ch])))
        else:
            return None
        i += 1
    return out


def parse_chinese(text: str) -> Decimal | None:
    """Value of a Chinese numeral, possibly mixed with ASCII digits.

    Abbreviated tails count in the next lower unit ("两千五" = 2500, "一万二" =
    12000, "1千5" = 1500); two adjacent digits before a unit are a range and
    give the lower bound ("五六百" = 500, "一两千" = 1000).

    >>> parse_chinese("两千五")
    Decimal('2500')
    """
    toks = _tokens(text)
    if not toks:
        return None
    if all(k == "c" for k, _ in toks):
        if len(toks) == 1:
            return toks[0][1]
        # Digit-by-digit reading such as "二零二六".
        return Decimal("".join(str(int(v)) for _, v in toks))
    total = Decimal(0)
    section = Decimal(0)
    number: Decimal | None = None
    last_unit: Decimal | None = None
    after_zero = False
    prev = ""
    for kind, val in toks:
        if kind in ("c", "d"):
            if prev in ("c", "d") and number is not None:
                if val == 0 or number == 0:
                    number = val
                # Range such as "五六百": keep the lower (first) digit.
                prev = kind
                continue
            if kind == "c" and val == 0:
                after_zero = True
                number = None
                prev = kind
                continue
            number = val
        elif kind == "u":
            if number is None:
                if prev == "" or prev == "b":
                    number = Decimal(1)
                else:
                    return None
            section += number * val
            number = None
            last_unit = val
            after_zero = False
        else:  # big unit
            if number is not None:
                section += number
                number = None
            if section == 0 and total == 0:
                section = Decimal(1)
            if val >= 100_000_000:
                total = (total + section) * val
            else:
                total += section * val
            section = Decimal(0)
            last_unit = val
            after_zero = False
        prev = kind
    if number is not None:
        if last_unit is not None and not after_zero and prev in ("c", "d") and number < 10:
            section += number * (last_unit / 10)
        else:
            section += number
    return total + section
