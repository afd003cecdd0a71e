"""Regex alternations reshaped so that ``re`` matches them fast.

Python's regex engine tries every branch of an alternation at every position, but
skips a branch cheaply when its first character does not match. These helpers work on
regex *sources*: split an alternation at its top level, distribute a leading group so
that alternatives start with a literal, and group alternatives by their first literal
characters (:func:`trie_alternation`). Used by :class:`~bot.replies.cue_scanner.Scanner`
and by the date and amount patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:
    import re._constants as _sre_c  # type: ignore[import-not-found,import-untyped,unused-ignore]
    import re._parser as _sre_p  # type: ignore[import-not-found,import-untyped,unused-ignore]
except ImportError:  # another interpreter: no first-character analysis
    _sre_p = None


def _tokens(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Walk a regex source: ``(index, char, depth)`` for each char outside escapes and
    character classes, with the group depth after that char."""
    depth = 0
    i = start
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield i, ch, depth
        i += 1


def split_top(pattern: str) -> list[str]:
    """Split a regex source at its top-level ``|`` (outside groups and classes)."""
    out: list[str] = []
    start = 0
    for i, ch, depth in _tokens(pattern):
        if ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
    out.append(pattern[start:])
    return out


def _close_paren(pattern: str, open_at: int) -> int:
    """Index of the ``)`` closing the group opened at ``open_at`` (-1 if none)."""
    for i, ch, depth in _tokens(pattern, open_at):
        if ch == ")" and depth == 0:
            return i
    return -1


def expand_alternative(alt: str, budget: int = 64) -> list[str]:
    """Make alternatives start with a literal by distributing a leading group.

    ``(?:can|could|will)\\s+pay`` becomes ``c(?:an|ould)\\s+pay`` and ``will\\s+pay``:
    parts are grouped by first character so the rest is copied once per character,
    not once per part. A leading optional group ``(?:the\\s+)?end`` becomes
    ``the\\s+end`` and ``end``. Groups holding named groups are left alone.
    """
    if not alt.startswith("(?:") or budget <= 0:
        return [alt]
    close = _close_paren(alt, 0)
    if close < 0 or "(?P<" in alt[:close]:
        return [alt]
    rest = alt[close + 1 :]
    optional = False
    if rest[:1] == "?" and rest[1:2] not in ("?", "+"):
        optional = True
        rest = rest[1:]
    elif rest[:1] in ("?", "*", "+", "{"):
        return [alt]
    parts: list[str] = []
    for part in split_top(alt[3:close]):
        parts.extend(expand_alternative(part, budget // 2))
    by_char: dict[str, list[str]] = {}
    out: list[str] = []
    for part in parts:
        c = leading_literal(part)
        if c is None or len(c) != 1:
            out.append(part + rest)  # no top-level "|" in a part: concatenation is safe
        else:
            by_char.setdefault(c, []).append(part[1:])
    for c, tails in by_char.items():
        if len(tails) == 1:
            out.append(c + tails[0] + rest)
        else:
            out.append(c + "(?:" + "|".join(tails) + ")" + rest)
    if optional:
        out.extend(expand_alternative(rest, budget // 2))
    if len(out) > budget:
        return [alt]
    return out


def leading_literal(a: str) -> str | None:
    """The first character of ``a`` if it is a plain, unquantified literal."""
    c = a[:1]
    if c and (c.isalnum() or c == "'" or c == " ") and a[1:2] not in ("?", "*", "+", "{"):
        return c
    if c == "\\" and a[1:2] == "s" and a[2:3] == "+" and a[3:4] not in ("?", "+"):
        return "\\s+"  # "\s+" is a common second element; grouping on it is safe
    return None


def trie_alternation(alts: list[str], depth: int = 3, ordered: bool = True) -> str:
    """Join alternatives grouped by their first literal characters, recursively.

    The regex engine tries every branch of an alternation at every position,
    but skips a branch cheaply when its first character does not match; grouping
    by first character (and again inside each group) turns hundreds of branch
    checks per position into a few dozen. An alternative that does not start with
    a literal is a barrier: groups are not moved across it, so alternatives that
    may match at one position keep their relative order. With ``ordered=False``
    (when only "does some alternative match here" matters) there are no
    barriers: such alternatives go last.
    """
    parts: list[str] = []
    groups: dict[str, list[str]] = {}
    tail: list[str] = []

    def flush() -> None:
        if not ordered and len(groups) > 40 and all(len(c) == 1 for c in groups):
            # Many first characters (Chinese): test a character class per bucket first,
            # then dispatch inside the bucket on the character just read.
            chars = sorted(groups)
            size = max(8, int(len(chars) ** 0.5))
            for k in range(0, len(chars), size):
                bucket = chars[k : k + size]
                inner = []
                for c in bucket:
                    rests = groups[c]
                    body = (
                        rests[0]
                        if len(rests) == 1
                        else trie_alternation(rests, depth - 1, ordered)
                        if depth > 1
                        else "|".join(rests)
                    )
                    inner.append("(?<=" + re.escape(c) + ")(?:" + body + ")")
                cls = "".join(re.escape(c) for c in bucket)
                parts.append("[" + cls + "](?:" + "|".join(inner) + ")")
            groups.clear()
            return
        for c, rests in groups.items():
            if len(rests) == 1:
                parts.append(c + rests[0])
            elif depth > 1:
                parts.append(c + "(?:" + trie_alternation(rests, depth - 1, ordered) + ")")
            else:
                parts.append(c + "(?:" + "|".join(rests) + ")")
        groups.clear()

    for a in alts:
        c = leading_literal(a)
        if c is not None:
            groups.setdefault(c, []).append(a[len(c) :])
        elif ordered:
            flush()
            parts.append(f"(?:{a})" if a else "")
        else:
            tail.append(f"(?:{a})" if a else "")
    flush()
    return "|".join(parts + tail)



#: In :func:`first_chars`, stands for any decimal digit (what ``\\d`` matches in ``str``
#: patterns: ``str.isdecimal``).
DIGIT = "\\d"
#: In :func:`first_chars_of`, stands for any whitespace (``\\s``: ``str.isspace``).
SPACE = "\\s"
# character ranges up to this size are listed one by one
_MAX_RANGE = 512


def first_chars(alt: str) -> frozenset[str] | None:
    """The characters every match of regex source ``alt`` can start with (:data:`DIGIT`
    for any decimal digit), or None when that is not known: a class such as ``\\w`` or
    ``[^x]``, ``.``, case-insensitive matching, or a match that may be empty.

    Lookarounds and anchors are skipped (they match no character), so the set may hold
    characters no match starts with, never miss one.
    """
    alts = split_top(alt)
    if len(alts) > 1:
        found: set[str] = set()
        for a in alts:
            f = first_chars(a)
            if f is None:
                return None
            found |= f
        return frozenset(found)
    c = leading_literal(alt)
    if c is not None and len(c) == 1:
        return frozenset(c)  # the common case, without parsing
    if _sre_p is None:
        return None
    try:
        parsed = _sre_p.parse(alt)
    except (re.error, RecursionError):
        return None
    first = first_chars_of(parsed)
    return None if first is None or SPACE in first else first


def first_chars_of(parsed: Any) -> frozenset[str] | None:
    """:func:`first_chars` of a pattern parsed by ``re._parser``, where :data:`SPACE` may
    stand for any whitespace."""
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        return None
    first, empty = _first_of(parsed.data)
    if first is None or empty:
        return None
    return frozenset(first)


def _first_of(items: Any) -> tuple[set[str] | None, bool]:
    """The first characters of a parsed sequence, and whether it may match empty."""
    acc: set[str] = set()
    for op, av in items:
        found, empty = _first_of_item(op, av)
        if found is None:
            return None, False
        acc |= found
        if not empty:
            return acc, False
    return acc, True


def _first_of_item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    c = _sre_c
    if op is c.LITERAL:
        return {chr(av)}, False
    if op is c.IN:
        out: set[str] = set()
        for o, a in av:
            if o is c.LITERAL:
                out.add(chr(a))
            elif o is c.RANGE and a[1] - a[0] < _MAX_RANGE:
                out.update(map(chr, range(a[0], a[1] + 1)))
            elif o is c.CATEGORY and a in (c.CATEGORY_DIGIT, c.CATEGORY_UNI_DIGIT):
                out.add(DIGIT)
            elif o is c.CATEGORY and a in (c.CATEGORY_SPACE, c.CATEGORY_UNI_SPACE):
                out.add(SPACE)
            else:  # NEGATE, other categories, large ranges
                return None, False
        return out, False
    if op is c.BRANCH:
        acc: set[str] = set()
        any_empty = False
        for branch in av[1]:
            found, empty = _first_of(branch.data)
            if found is None:
                return None, False
            acc |= found
            any_empty = any_empty or empty
        return acc, any_empty
    if op is c.SUBPATTERN:
        if av[1] & (re.IGNORECASE | re.LOCALE):
            return None, False
        return _first_of(av[3].data)
    if op is c.ATOMIC_GROUP:
        return _first_of(av.data)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, high, sub = av
        if high == 0:
            return set(), True
        found, empty = _first_of(sub.data)
        return found, low == 0 or empty
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return set(), True  # zero-width: the next item says where the match starts
    return None, False  # ".", a back reference, a conditional group


class FirstCharAlternation:
    """An alternation of patterns, matched at a position with only the patterns that can
    start with the character found there (:func:`first_chars`): the same first match as
    the whole alternation, whose engine would try every pattern in turn.

    ``sources`` are the alternatives in order (named groups in them stay usable, e.g. an
    empty named group at the end of each for ``lastgroup``); ``compile`` compiles one
    joined subset (``bot.replies.regex_programs.rx``, say), when first needed.
    """

    __slots__ = ("_by_char", "_compile", "_digit", "_other", "_programs", "_ready", "_sources")

    def __init__(self, sources: list[str], compile: Any) -> None:
        firsts = [first_chars(s) for s in sources]
        self._sources = sources
        self._compile = compile
        # each character's subset, by the tuple of its patterns' indexes (compiled once)
        self._programs: dict[tuple[int, ...], Any] = {}
        chars = {c for f in firsts if f is not None for c in f if c != DIGIT}
        self._by_char: dict[str, tuple[int, ...]] = {
            c: tuple(
                i
                for i, f in enumerate(firsts)
                if f is None or c in f or (DIGIT in f and c.isdecimal())
            )
            for c in sorted(chars)
        }
        # a character no pattern names: digits, then anything
        self._digit = tuple(i for i, f in enumerate(firsts) if f is None or DIGIT in f)
        self._other = tuple(i for i, f in enumerate(firsts) if f is None)
        #: each character's program once looked up (None: no pattern starts with it)
        self._ready: dict[str, Any] = {}

    def match(self, text: str, pos: int = 0) -> Any:
        """``re.match`` of the whole alternation at ``pos`` (None at the end of the text)."""
        c = text[pos : pos + 1]
        prog = self._ready.get(c, self)
        if prog is self:
            prog = self._program(c)
        return None if prog is None else prog.match(text, pos)

    def _program(self, c: str) -> Any:
        """The program of the patterns that can start with ``c`` (compiled once)."""
        key = self._by_char.get(c)
        if key is None:
            key = self._digit if c.isdecimal() else self._other
        prog = self._programs.get(key) if key else None
        if prog is None and key:
            prog = self._programs[key] = self._compile(
                "|".join(f"(?:{self._sources[i]})" for i in key)
            )
        if len(self._ready) < 4096:  # (a bound: any character may come)
            self._ready[c] = prog
        return prog
