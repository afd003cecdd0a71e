"""Regex compilation with an on-disk cache of compiled programs, for start-up time.

``duebot parse`` is measured including process start, and parsing and compiling
the lexicons' large alternations with ``re`` (pure Python) takes most of it. The
compiled program of a pattern depends only on the pattern, its flags and the
interpreter's ``_sre`` version, so :func:`rx` keeps the programs in a ``marshal``
file under ``__pycache__`` (keyed by interpreter and ``_sre.MAGIC``) and hands them
straight to ``_sre.compile`` next time; ``_sre`` validates every program it is
given. A missing, stale, unreadable or unwritable cache only costs time: any
failure falls back to :func:`re.compile`.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sys
from array import array
from typing import Any

try:
    import _sre
    import re._compiler as _compiler  # type: ignore[import-not-found,import-untyped,unused-ignore]
    import re._parser as _parser  # type: ignore[import-not-found,import-untyped,unused-ignore]

    if array("I").itemsize != _sre.CODESIZE:
        raise ImportError("unexpected _sre code size")
    _PATH: str | None = os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "__pycache__",
        f"regex.{sys.implementation.cache_tag}-{_sre.MAGIC}.marshal",
    )
except (ImportError, AttributeError):  # another interpreter: plain re.compile
    _PATH = None

# flags, program (native-endian 32-bit words: marshal loads bytes far faster than
# a list of ints), group count - 1, group index, index group.
_Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
_cache: dict[tuple[str, int], _Entry] = {}
_used: set[tuple[str, int]] = set()  # saved: patterns of removed lexicon entries drop out
_dirty = False


def _load() -> None:
    global _cache
    if _PATH is None:
        return
    try:
        with open(_PATH, "rb") as f:
            data = marshal.load(f)
    except (OSError, ValueError, EOFError, TypeError):
        return
    if isinstance(data, dict):
        _cache = data


def rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the program cache when it holds the pattern."""
    global _dirty
    if _PATH is None:
        return re.compile(pattern, flags)
    key = (pattern, int(flags))
    _used.add(key)
    entry = _cache.get(key)
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
    _cache[key] = new
    _dirty = True
    return compiled


def save() -> None:
    """Write the cache if patterns were compiled afresh (atomic; errors are ignored)."""
    global _dirty
    if not _dirty or _PATH is None:
        return
    _dirty = False
    tmp = f"{_PATH}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(_PATH), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump({k: v for k, v in _cache.items() if k in _used}, f)
        os.replace(tmp, _PATH)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


_load()
