"""The compiled-regex cache: cached programs behave exactly like ``re.compile``."""

from __future__ import annotations

import re

import pytest

from bot.replies import _rx

PATTERNS = [
    r"(?<!\w)(?=a(?:bc|b\s+c)|x(?P<n>\d+))",
    r"还(?![有是在])|转|付\s*(?P<amt>[0-9]+(?:\.\d\d)?)",
    r"^\W*(?:stop|quit)\W*$",
]
SAMPLES = ["abc", "ab  c x12", "还有", "转 付 12.50", " STOP!", "stop", "", "x" * 50]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_cached_program_matches_like_re(pattern: str) -> None:
    fresh = _rx.rx(pattern)  # compiled afresh (or from the cache file)
    cached = _rx.rx(pattern)  # now certainly from the in-memory cache
    expected = re.compile(pattern)
    assert cached.pattern == expected.pattern
    assert cached.groupindex == expected.groupindex
    assert cached.flags == expected.flags
    for text in SAMPLES:
        for rx in (fresh, cached):
            assert [m.span() for m in rx.finditer(text.lower())] == [
                m.span() for m in expected.finditer(text.lower())
            ]
            assert [m.groupdict() for m in rx.finditer(text)] == [
                m.groupdict() for m in expected.finditer(text)
            ]


def test_flags_are_part_of_the_key() -> None:
    assert _rx.rx("stop", re.IGNORECASE).match("STOP") is not None
    assert _rx.rx("stop").match("STOP") is None


def test_a_corrupt_entry_falls_back_to_compiling() -> None:
    key = ("corrupt(?:entry)", 0)
    _rx._cache[key] = (32, b"\x00\x01", 0, {}, (None,))
    assert _rx.rx("corrupt(?:entry)").match("corruptentry") is not None
    _rx._cache.pop(key, None)
