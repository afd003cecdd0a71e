"""Regex compilation that is faster to search with, and can reuse compiled programs from an
earlier process.

A pattern that begins with a lookbehind or ``\\b`` (``"(?<![\\w.])\\d+"``, ``"\\bnot\\b"``) has
no first character for the regex engine to scan for, so ``search`` and ``finditer`` run
its zero-width tests at every position of the text. :func:`rx` compiles such a pattern
behind a lookahead for the characters its matches can start with
(:func:`~bot.replies.alternations.first_char_guard`): the same matches, and most
positions fail at once. The compiled pattern's ``pattern`` is still the source as written.

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

from bot.replies.alternations import first_char_guard

try:
    import _sre
    import re._compiler as _compiler  # type: ignore[import-not-found,import-untyped,unused-ignore]
    import re._parser as _parser  # type: ignore[import-not-found,import-untyped,unused-ignore]

    if array("I").itemsize != _sre.CODESIZE:
        raise ImportError("unexpected _sre code size")
    #: What exported programs are valid for (interpreter and ``_sre`` version); None when
    #: programs cannot be reused here and :func:`rx` is plain :func:`re.compile`.
    # (the "g1": programs of guarded patterns, see the module docstring)
    PROGRAM_TAG: str | None = f"{sys.implementation.cache_tag}-{_sre.MAGIC}-g1"
except (ImportError, AttributeError):  # another interpreter
    PROGRAM_TAG = None

# flags, program (native-endian 32-bit words: marshal loads bytes far faster than
# a list of ints), group count - 1, group index, index group.
_Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
_programs: dict[tuple[str, int], _Entry] = {}
_used: set[tuple[str, int]] = set()  # exported: patterns no longer compiled drop out
_new = False
#: the source compiled for a pattern that got a guard (compiled in this process)
_guarded: dict[str, str] = {}
# a pattern that begins (inside any "(?:") with \b or a lookbehind: worth a guard
_GUARD_WORTHY = re.compile(r"(?:\(\?:)*(?:\\b|\(\?<[=!])")


def _source(pattern: str, flags: int) -> str:
    """What :func:`rx` compiles for ``pattern``: the same matches, maybe found faster."""
    if flags or _GUARD_WORTHY.match(pattern) is None:
        return pattern
    source = first_char_guard(pattern)
    if source != pattern:
        _guarded[pattern] = source
    return source


def guarded_sources() -> dict[str, str]:
    """The patterns :func:`rx` compiled here behind a guard, and what it compiled."""
    return dict(_guarded)


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
        parsed: Any = _parser.parse(_source(pattern, int(flags)), flags)
        program = [int(c) for c in _compiler._code(parsed, flags)]
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
