"""The cue scanner's two ways of finding cues (a gate over word starts, programs per first
character) find the same hits, and first characters are read soundly."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from bot.replies.alternations import DIGIT, first_chars
from bot.replies.amounts import EN_MARKER_PARTS
from bot.replies.cue_lexicons import CATEGORIES, CLAUSE_CATEGORIES, LEXICONS
from bot.replies.cue_scanner import Parts, Scanner
from bot.replies.dates import gate_parts
from bot.replies.optout import REQUEST_EN
from bot.replies.parser import prepare

CORPUS = Path(__file__).parent / "corpus"


def _categories(lang: str) -> list[tuple[str, Parts]]:
    """The categories of the parser's scanner for ``lang`` (language_scanners)."""
    lex = LEXICONS[lang]
    cats: list[tuple[str, Parts]] = [(c, getattr(lex, c)) for c in CATEGORIES]
    if lang == "en":
        cats.append(("optout", REQUEST_EN))
        cats.extend(EN_MARKER_PARTS)
    else:
        cats.append(("date", gate_parts(lang)))
    return cats


def _texts(lang: str) -> list[str]:
    """Folded replies of the corpus in ``lang``, and as many made by splicing two of them
    around a digit, a space, punctuation or a numeral (seeded)."""
    texts = []
    for path in sorted(CORPUS.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                _, t, lg = prepare(json.loads(line)["text"])
                if lg == lang:
                    texts.append(t)
    rng = random.Random(16)
    spliced = []
    for _ in range(len(texts)):
        a, b = rng.choice(texts), rng.choice(texts)
        glue = rng.choice(["", " ", "1", "23", ",", "?", "\n", "x", "二", "号"])
        spliced.append(a[: rng.randrange(len(a) + 1)] + glue + b[rng.randrange(len(b) + 1) :])
    return [*texts, *spliced, "", " ", "1", "?"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_modes_find_the_same_hits(lang: str) -> None:
    cats = _categories(lang)
    only = frozenset({"date"})
    gate = Scanner(cats, CLAUSE_CATEGORIES, only, by_char=False)
    by_char = Scanner(cats, CLAUSE_CATEGORIES, only, by_char=True)
    assert not gate.by_char and by_char.by_char
    for t in _texts(lang):
        a: dict[str, list[tuple[int, int]]] = {}
        b: dict[str, list[tuple[int, int]]] = {}
        gate.scan_gated(t, a)
        by_char.scan_gated(t, b)
        assert a == b, t
        assert list(a) == list(b), t  # categories first found in the same order


def test_the_parsers_scanners_pick_their_mode() -> None:
    from bot.replies.language_scanners import SCANNERS

    assert not SCANNERS["en"].by_char  # word-bounded cues: the gate
    assert SCANNERS["zh"].by_char  # cues at any character


def test_small_scanners_agree_too() -> None:
    texts = _texts("en")[:400]
    for cats in (list(EN_MARKER_PARTS), [("optout", REQUEST_EN)]):
        gate, by_char = Scanner(cats, by_char=False), Scanner(cats, by_char=True)
        for t in texts:
            a: dict[str, list[tuple[int, int]]] = {}
            b: dict[str, list[tuple[int, int]]] = {}
            gate.scan_gated(t, a)
            by_char.scan_gated(t, b)
            assert a == b, t


def test_first_characters() -> None:
    assert first_chars("abc") == {"a"}
    assert first_chars(r"(?:the\s+)?week") == {"t", "w"}
    assert first_chars(r"[a-c]?z") == {"a", "b", "c", "z"}
    assert first_chars(r"(?<=a)b") == {"b"}  # lookarounds match no character
    assert first_chars(r"\bfoo|bar") == {"f", "b"}
    assert first_chars(r"\d+元") == {DIGIT}
    assert first_chars("(?>ab)c*+") == {"a"}
    for unknown in ("a?", "", "x|", r"\s+x", ".x", "[^a]x", r"\w", "(?i:a)b", "(?i)ab"):
        assert first_chars(unknown) is None, unknown


def _same_match(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    # the subset's groups are the matched pattern's: compare those that took part
    found = {k: v for k, v in a.groupdict().items() if v is not None}
    return (a.span(), a.lastgroup) == (b.span(), b.lastgroup) and found == {
        k: v for k, v in b.groupdict().items() if v is not None
    }


def test_a_first_character_alternation_matches_as_the_whole_alternation() -> None:
    from bot.replies import dates

    texts = _texts("en")[:1500] + _texts("zh")[:1500] + ["٣/4", "12/3", "x"]
    for sources, dispatch in (
        (dates._EN_SOURCES, dates._EN_RE),
        (dates._ZH_SOURCES, dates._ZH_AT),
    ):
        whole = re.compile("|".join(sources))
        for t in texts:
            for p in range(len(t) + 1):
                assert _same_match(whole.match(t, p), dispatch.match(t, p)), (t, p)


def test_date_triggers_start_where_the_trigger_regex_finds_them() -> None:
    from bot.replies import dates

    for t in [*_texts("en"), "friday_tomorrow", "é tomorrow", "tomorrow-friday 5th"]:
        assert dates._trigger_starts(t) == [m.start() for m in dates._TRIGGERS.finditer(t)], t


def test_patterns_with_a_first_character_set_match_as_re_compiles_them() -> None:
    """Every pattern rx compiled with a first-character set in its program (the parser's,
    the lexicons', the opt-out detector's) matches, at every position of the corpus replies
    and of random strings, exactly as re.compile's program."""
    import bot.replies.parser  # noqa: F401 - compiles the parser's patterns
    from bot.replies import regex_programs

    if regex_programs.PROGRAM_TAG is None:
        pytest.skip("this interpreter compiles with re.compile")
    compiled = [
        (regex_programs.rx(p, f), re.compile(p, f))
        for p, f in sorted(regex_programs.first_set_patterns())
    ]
    assert len(compiled) >= 40
    rng = random.Random(16)
    alphabet = list("0123456789$£€¥ .,:/-+()?'abdeinostuwy\n\t一二两十万号还每而不是")
    texts = _texts("en")[:600] + _texts("zh")[:600]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(30))) for _ in range(2000)]
    texts += ["usd150", "hk$20", "s$5", "mt还", "ht 500", "every other week", "2,000.50", "٣ ٤"]
    for fast, plain in compiled:
        for t in texts:
            assert [m.span() for m in fast.finditer(t)] == [m.span() for m in plain.finditer(t)]
            assert [m.groupdict() for m in fast.finditer(t)] == [
                m.groupdict() for m in plain.finditer(t)
            ]
            assert fast.sub("_", t) == plain.sub("_", t)
            for p in range(0, len(t) + 1, 3):
                a, b = fast.search(t, p), plain.search(t, p)
                assert (a and a.span()) == (b and b.span())


def test_rx_keeps_the_pattern_as_written() -> None:
    from bot.replies.regex_programs import rx

    compiled = rx(r"\bnot\s+(?:pay|paying)\b")
    assert compiled.pattern == r"\bnot\s+(?:pay|paying)\b"
    assert compiled.search("i will not pay").span() == (7, 14)
