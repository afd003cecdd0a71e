"""Compiled regex programs: reused programs behave exactly like ``re.compile``, and
they travel between processes as bytes (the package itself reads and writes nothing)."""

from __future__ import annotations

import marshal
import re
import subprocess
import sys
import uuid

import pytest

from bot.replies import regex_programs
from bot.replies.regex_programs import rx

pytestmark = pytest.mark.skipif(regex_programs.PROGRAM_TAG is None,
                                reason="this interpreter cannot reuse regex programs")

PATTERNS = [
    r"(?<!\w)(?=a(?:bc|b\s+c)|x(?P<n>\d+))",
    r"还(?![有是在])|转|付\s*(?P<amt>[0-9]+(?:\.\d\d)?)",
    r"^\W*(?:stop|quit)\W*$",
]
SAMPLES = ["abc", "ab  c x12", "还有", "转 付 12.50", " STOP!", "stop", "", "x" * 50]


def _same_matches(compiled: re.Pattern[str], pattern: str) -> None:
    expected = re.compile(pattern)
    assert compiled.pattern == expected.pattern
    assert compiled.groupindex == expected.groupindex
    assert compiled.flags == expected.flags
    for text in SAMPLES:
        assert [m.span() for m in compiled.finditer(text.lower())] == [
            m.span() for m in expected.finditer(text.lower())
        ]
        assert [m.groupdict() for m in compiled.finditer(text)] == [
            m.groupdict() for m in expected.finditer(text)
        ]


def _in_fresh_process(code: str, stdin: bytes = b"") -> bytes:
    """Run ``code`` in a new interpreter (a process with no programs of its own yet)."""
    proc = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True,
                          check=True, timeout=60)
    return proc.stdout


EXPORT = """
import sys
from bot.replies import regex_programs
for pattern in sys.argv[1:] or {patterns!r}:
    regex_programs.rx(pattern)
sys.stdout.buffer.write(regex_programs.export_programs())
"""

IMPORT = """
import sys
from bot.replies import regex_programs
accepted = regex_programs.load_programs(sys.stdin.buffer.read())
compiled = [regex_programs.rx(p) for p in {patterns!r}]
print(accepted, regex_programs.has_new_programs(),
      [c.pattern == p for c, p in zip(compiled, {patterns!r})])
"""


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_program_compiled_here_matches_like_re(pattern: str) -> None:
    _same_matches(rx(pattern), pattern)
    _same_matches(rx(pattern), pattern)  # the second time from the kept program


def test_programs_round_trip_through_bytes_between_processes() -> None:
    data = _in_fresh_process(EXPORT.format(patterns=PATTERNS))
    out = _in_fresh_process(IMPORT.format(patterns=PATTERNS), stdin=data)
    # accepted, and nothing had to be compiled afresh: every program came from the bytes
    assert out.split(b" ", 2)[:2] == [b"True", b"False"]
    assert b"False]" not in out

    # ... and what the loaded programs match is what re.compile matches
    assert regex_programs.load_programs(data)
    for pattern in PATTERNS:
        _same_matches(rx(pattern), pattern)


def test_without_loaded_programs_the_patterns_are_compiled_afresh() -> None:
    out = _in_fresh_process(IMPORT.format(patterns=PATTERNS), stdin=b"")
    assert out.split(b" ", 2)[:2] == [b"False", b"True"]


def test_an_export_holds_only_what_was_compiled_and_resets_the_news() -> None:
    pattern = f"only-this-{uuid.uuid4().hex}"
    rx(pattern)
    assert regex_programs.has_new_programs()
    tag, programs = marshal.loads(regex_programs.export_programs())
    assert tag == regex_programs.PROGRAM_TAG and (pattern, 0) in programs
    assert not regex_programs.has_new_programs()


@pytest.mark.parametrize("data", [
    b"",
    b"not marshal at all",
    marshal.dumps({"an": "old-format dict"}),
    marshal.dumps(("cpython-00-0", {})),  # another interpreter's programs
    marshal.dumps((regex_programs.PROGRAM_TAG, ["not", "a", "dict"])),
])
def test_foreign_or_broken_data_is_refused(data: bytes) -> None:
    assert regex_programs.load_programs(data) is False


def test_flags_are_part_of_the_key() -> None:
    assert rx("stop", re.IGNORECASE).match("STOP") is not None
    assert rx("stop").match("STOP") is None


def test_a_corrupt_program_falls_back_to_compiling() -> None:
    pattern = f"corrupt(?:entry)-{uuid.uuid4().hex}"
    bad = (32, b"\x00\x01", 0, {}, (None,))
    assert regex_programs.load_programs(marshal.dumps((regex_programs.PROGRAM_TAG,
                                                       {(pattern, 0): bad})))
    _same_matches(rx(pattern), pattern)
