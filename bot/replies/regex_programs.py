"""Regex compilation that searches faster, and can reuse compiled programs from an earlier
process.

The regex engine finds where a pattern may match by scanning for its literal prefix or
its first character class, when the pattern begins with one; otherwise ``search``,
``finditer``, ``sub`` and ``findall`` run the whole pattern at every position of the text,
which for a pattern beginning with ``\\b``, a lookbehind, a repeat or an alternation of
classes is most of the cost. :func:`rx` gives such a pattern's program the set of
characters its matches can start with (:func:`~bot.replies.alternations.first_chars_of`)
as that first class: the engine then skips, in C, the positions no match starts at. The
program matches exactly what ``re.compile``'s does; its ``pattern`` is the source.

``duebot parse`` is measured including process start, and parsing and compiling the
lexicons' large alternations with ``re`` (pure Python) takes most of it. The compiled
program of a pattern depends only on the pattern, its flags and the interpreter's
``_sre`` version, so :func:`rx` remembers the programs it compiled, and hands programs
given back by :func:`load_programs` straight to ``_sre.compile`` (which validates every
program it is given). Any failure falls back to :func:`re.compile`.

No I/O here: an entry point that keeps programs between processes reads them and calls
:func:`load_programs` *before* the modules that compile patterns are imported, and
stores :func:`export_programs` afterwards when :func:`has_new_programs` says so (see
:mod:`bot.entrypoints.regex_cache`).
"""

from __future__ import annotations

import marshal
import re
import sys
from array import array
from typing import Any

from bot.replies.alternations import DIGIT, SPACE, first_chars_of

try:
    import _sre
    import re._compiler as _compiler  # type: ignore[import-not-found,import-untyped,unused-ignore]
    import re._constants as _constants  # type: ignore[import-not-found,import-untyped,unused-ignore]
    import re._parser as _parser  # type: ignore[import-not-found,import-untyped,unused-ignore]

    if array("I").itemsize != _sre.CODESIZE:
        raise ImportError("unexpected _sre code size")
    #: What exported programs are valid for (interpreter and ``_sre`` version); None when
    #: programs cannot be reused here and :func:`rx` is plain :func:`re.compile`.
    # ("f2": programs with first-character sets, also from a leading lookahead; see the
    # module docstring)
    PROGRAM_TAG: str | None = f"{sys.implementation.cache_tag}-{_sre.MAGIC}-f2"
except (ImportError, AttributeError):  # another interpreter
    PROGRAM_TAG = None

# flags, program (native-endian 32-bit words: marshal loads bytes far faster than
# a list of ints), group count - 1, group index, index group.
_Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
_programs: dict[tuple[str, int], _Entry] = {}
_used: set[tuple[str, int]] = set()  # exported: patterns no longer compiled drop out
_new = False
#: patterns compiled here with a first-character set the engine would not have found
_with_first_set: set[tuple[str, int]] = set()


def _program(parsed: Any, flags: int) -> tuple[list[int], bool]:
    """``re._compiler._code(parsed, flags)``, with a first-character set in the info block
    when the engine finds neither a literal prefix nor a first class of its own; and
    whether it got one."""
    flags = parsed.state.flags | flags
    code: list[int] = []
    _compiler._compile_info(code, parsed, flags)
    added = False
    # [INFO, skip, mask, min width, max width, ...]: no prefix, no charset, never empty
    if code[2] == 0 and code[3] > 0 and not flags & (re.IGNORECASE | re.LOCALE):
        charset = _first_charset(parsed)
        if charset is not None:
            charset, _ = _compiler._optimize_charset(charset)
            info = [_constants.INFO, 0, _constants.SRE_INFO_CHARSET, code[3], code[4]]
            _compiler._compile_charset(charset, flags, info)
            info[1] = len(info) - 1
            code = info
            added = True
    _compiler._compile(code, parsed.data, flags)
    code.append(_constants.SUCCESS)
    return code, added


def _first_charset(parsed: Any) -> list[tuple[Any, Any]] | None:
    """The characters every match of ``parsed`` starts with, as ``re`` charset items."""
    first = first_chars_of(parsed)
    if first is None:
        first = _lookahead_first(parsed)
    if first is None:
        return None
    c = _constants
    items: list[tuple[Any, Any]] = []
    for ch in sorted(first):
        if ch == DIGIT:
            items.append((c.CATEGORY, c.CATEGORY_DIGIT))
        elif ch == SPACE:
            items.append((c.CATEGORY, c.CATEGORY_SPACE))
        else:
            items.append((c.LITERAL, ord(ch)))
    return items


def _lookahead_first(parsed: Any) -> frozenset[str] | None:
    """The first characters of the first positive lookahead the pattern opens with (after
    other zero-width items), when its body cannot match empty: a match starts where that
    body matches. (A gate such as ``(?=cue|cue|...)`` is all lookahead: without this the
    engine would try the whole gate at every position.)"""
    c = _constants
    for op, av in parsed.data:
        if op is c.ASSERT and av[0] == 1:
            found = first_chars_of(av[1])
            if found is not None:
                return found
        elif op not in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return None
    return None


def first_set_patterns() -> set[tuple[str, int]]:
    """The patterns (and flags) :func:`rx` compiled here with a first-character set."""
    return set(_with_first_set)


def rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from a loaded program when there is one."""
    global _new
    if PROGRAM_TAG is None:
        return re.compile(pattern, flags)
    key = (pattern, int(flags))
    _used.add(key)
    entry = _programs.get(key)
    if entry is not None:
        try:
            code = array("I")
            code.frombytes(entry[1])
            compiled: re.Pattern[str] = _sre.compile(
                pattern, entry[0], code.tolist(), entry[2], entry[3], entry[4]
            )
            return compiled
        except Exception:
            pass
    try:
        parsed: Any = _parser.parse(pattern, flags)
        words, added = _program(parsed, flags)
        program = [int(c) for c in words]
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        new: _Entry = (
            int(flags | parsed.state.flags),
            array("I", program).tobytes(),
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        compiled = _sre.compile(pattern, new[0], program, new[2], new[3], new[4])
    except Exception:
        return re.compile(pattern, flags)
    _programs[key] = new
    _new = True
    if added:
        _with_first_set.add(key)
    return compiled


def load_programs(data: bytes) -> bool:
    """Accept programs exported by :func:`export_programs` (in this or another process).

    Only patterns compiled after this call benefit. Data from another interpreter or
    ``_sre`` version, or that is not an export at all, is ignored: False.
    """
    if PROGRAM_TAG is None:
        return False
    try:
        tag, programs = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return False
    if tag != PROGRAM_TAG or not isinstance(programs, dict):
        return False
    _programs.update(programs)
    return True


def has_new_programs() -> bool:
    """Whether a pattern was compiled afresh since start-up or the last export."""
    return _new


def export_programs() -> bytes:
    """The programs of the patterns compiled in this process, for :func:`load_programs`."""
    global _new
    _new = False
    return marshal.dumps((PROGRAM_TAG, {k: v for k, v in _programs.items() if k in _used}))
