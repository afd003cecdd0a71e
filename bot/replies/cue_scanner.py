"""A fast multi-category cue scanner built on ``re``.

A lexicon of hundreds of phrases is slow as one plain alternation (``re`` tries every
branch at every position). The :class:`Scanner` here keeps it fast: alternatives are
grouped by their first literal characters (:mod:`bot.replies.alternations`), a leading
``\\b`` is replaced by one ``(?<!\\w)`` test, and either the whole set sits in a
lookahead gate that only reports where some cue starts, each category then being matched
on its own at those few positions (English: cues start at word starts), or the text is
read character by character and one program per first character finds every category's
cue starting there (Chinese: cues may start at any character).
"""

from __future__ import annotations

import re
from itertools import compress

from bot.replies.alternations import (
    DIGIT,
    expand_alternative,
    first_chars,
    leading_literal,
    split_top,
    trie_alternation,
)
from bot.replies.regex_programs import rx

#: The regex sources of one cue category (each may hold top-level alternatives).
Parts = tuple[str, ...]


def _first_char(alt: str) -> str | None:
    """The character every match of ``alt`` starts with, if it is a plain literal."""
    if leading_literal(alt) is not None and alt[:1] != "\\":
        return alt[0]
    if (
        alt[:1] == "\\"
        and alt[1:2]
        and not alt[1].isalnum()
        and alt[2:3] not in ("?", "*", "+", "{")
    ):
        return alt[1]  # an escaped punctuation literal such as "\\?"
    return None


def _first_two(alt: str) -> str | None:
    """The two characters every match of ``alt`` starts with (" " for any space), if known."""
    c = _first_char(alt)
    if c is None or alt[:1] == "\\":
        return None
    nxt = leading_literal(alt[1:])
    if nxt is None:
        return None
    return c + (" " if nxt == "\\s+" or nxt == " " else nxt)


_Entry = tuple[str, "re.Pattern[str] | None", "re.Pattern[str] | None"]
# A first-character program: the regex, and per category (in order) its name, whether it
# only records positions, and its bounded and free groups' indexes in ``groups()`` (-1: none);
# then, for reading only the groups that matched: each group's category, the
# positions-only categories (recorded when any group matches), and whether those come
# after every other category (else the hits are read category by category, in order).
# What one first character's program holds: (category index, bounded, part index, part)
# items, and the positions-only categories it records; per character, and for any digit.
_Plan = tuple[list[tuple[int, bool, int, str]], set[int]]
_Plans = tuple[dict[str, _Plan], _Plan | None]
_Program = tuple[
    "re.Pattern[str]",
    tuple[tuple[str, bool, int, int], ...],
    tuple[str, ...],
    tuple[str, ...],
    bool,
]


class Scanner:
    """Finds the cues of several categories in one pass over a text.

    Alternatives starting with "^" are anchored: at the start of the reply, or
    at each clause start for ``clause_categories``. For ``positions_only``
    categories the scanner records where a match may start, ``(start, start)``,
    and leaves the matching to the caller: at each position where some cue of any
    category starts and that category has an alternative beginning with the character
    found there (or one whose first character is not a plain literal).

    Other hits are ``(start, end)``: at each position, each category's first alternative
    that matches there (a leading ``\\b`` checked as ``(?<!\\w)``), when not empty.
    Two ways to find them, with the same results:

    - a gate (mostly word-bounded alternatives: English). A gate regex holds every
      alternative of every category, grouped by first literal characters (the engine
      skips a branch cheaply when its first character does not match); it sits in a
      lookahead, so it reports every position where some cue starts, overlapping or
      not. Word-bounded alternatives are tested only after a non-word character (a
      class the engine searches for quickly) and at the start. At each reported
      position, only the categories that can start with the two characters found
      there are matched, each with its own regex.
    - per first character (mostly unbounded alternatives: Chinese, where a cue may
      start at any character and a gate has little to skip). For every character some
      alternative can start with (:func:`~bot.replies.alternations.first_chars`), one
      program holds, per category, the alternatives that can start with it, each
      category in an optional lookahead group; one match at a position says which
      categories match there and where each match ends.
    """

    __slots__ = (
        "_anchored_clause",
        "_anchored_text",
        "_any",
        "_at_cats",
        "_at_char",
        "_at_plans",
        "_by_char",
        "_by_digit",
        "_by_one",
        "_by_two",
        "_cache",
        "_entries",
        "_gates",
        "_meta",
        "_start_chars",
        "_start_gate",
        "_start_source",
    )

    def __init__(
        self,
        categories: list[tuple[str, Parts]],
        clause_categories: frozenset[str] = frozenset(),
        positions_only: frozenset[str] = frozenset(),
        by_char: bool | None = None,
    ) -> None:
        """``by_char`` picks the mode (None: per first character when most alternatives
        are not word-bounded); the per-character mode falls back to the gate when some
        alternative's first characters are not known."""
        at_text: list[str] = []
        at_clause: list[str] = []
        self._meta: dict[str, str] = {}
        self._by_one: dict[str, list[int]] = {}
        self._by_two: dict[str, list[int]] = {}
        self._any: list[int] = []
        self._cache: dict[str, list[_Entry]] = {}
        # per category: name, positions only, bounded and free alternatives
        cats: list[tuple[str, bool, list[str], list[str]]] = []
        for cat, parts in categories:
            bounded: list[str] = []
            free: list[str] = []
            for part in parts:
                for alt in split_top(part):
                    if alt.startswith("^"):
                        # "^" means the start of the reply, or of each clause for clause cues.
                        name = f"g{len(self._meta)}"
                        self._meta[name] = cat
                        dest = at_clause if cat in clause_categories else at_text
                        dest.append(f"(?:{alt[1:]})(?P<{name}>)")
                    elif alt.startswith("\\b"):
                        bounded.extend(expand_alternative(alt[2:]))
                    else:
                        free.extend(expand_alternative(alt))
            if bounded or free:
                cats.append((cat, cat in positions_only, bounded, free))
        self._anchored_text = rx("|".join(at_text)) if at_text else None
        self._anchored_clause = rx("|".join(at_clause)) if at_clause else None
        # which categories a position's first one or two characters may start (gate mode),
        # and where positions-only categories are recorded (both modes)
        for k, (_, only, bounded, free) in enumerate(cats):
            for alt in bounded + free:
                if only:
                    # The date gate must not miss a start; key on one character at most.
                    one = _first_char(alt)
                    if one is None:
                        self._any.append(k)
                    else:
                        self._by_one.setdefault(one, []).append(k)
                    continue
                two = _first_two(alt)
                one = _first_char(alt)
                if two is not None:
                    self._by_two.setdefault(two, []).append(k)
                elif one is not None:
                    self._by_one.setdefault(one, []).append(k)
                else:
                    self._any.append(k)
        self._entries: list[_Entry] = []
        self._gates: tuple[tuple[re.Pattern[str], str, bool], ...] = ()
        self._start_gate: re.Pattern[str] | None = None
        self._start_source = ""
        self._start_chars: frozenset[str] = frozenset()
        self._by_char: dict[str, _Program] | None = None
        self._by_digit: _Program | None = None
        self._at_char: dict[str, _Program | None] | None = None
        self._at_plans: _Plans | None = None
        self._at_cats = cats
        if by_char is None:
            by_char = sum(len(f) - len(b) for _, _, b, f in cats) > 0
        plans = self._plans_by_char(cats)
        if by_char and plans is not None:
            programs = _compile_plans(cats, plans)
            if programs is not None:
                self._by_char, self._by_digit = programs
                return
        self._build_gates(cats)
        if plans is not None:
            # At each position the gates report, one program finds every category's cue
            # (compiled when a character first needs it: start-up stays as it was).
            self._at_char = {}
            self._at_plans = plans

    @property
    def by_char(self) -> bool:
        """Whether the scanner reads the text per first character (else through a gate)."""
        return self._by_char is not None

    def _build_gates(self, cats: list[tuple[str, bool, list[str], list[str]]]) -> None:
        """The gate mode's regexes: per category, and the gates."""
        all_bounded: list[str] = []
        all_free: list[str] = []
        for cat, only, bounded, free in cats:
            self._entries.append(
                (
                    cat,
                    rx(trie_alternation(bounded)) if bounded and not only else None,
                    rx(trie_alternation(free)) if free and not only else None,
                )
            )
            all_bounded += bounded
            all_free += free
        gates: list[tuple[re.Pattern[str], str, bool]] = []
        if all_bounded:
            firsts_b = {_first_char(a) for a in all_bounded}
            body = "(?=" + trie_alternation(all_bounded, ordered=False) + ")"
            if None not in firsts_b:
                # A one-character class first: most positions fail it before the rest.
                chars = sorted(c for c in firsts_b if c)
                pre_b = "(?=[" + "".join(re.escape(c) for c in chars) + "])"
                # After a non-word character (a class the engine searches for, so it skips
                # inside words): the match ends where the cue may start.
                gates.append((rx(r"\W" + pre_b + body), "", True))
                self._start_chars = frozenset(chars)
                self._start_source = pre_b + body  # the same at the start of the text
            else:
                gates.append((rx(r"(?<!\w)" + body), "", False))
        if all_free:
            firsts = {_first_char(a) for a in all_free}
            pre = ""
            need = ""
            if None not in firsts:
                # A one-character test first: most positions fail it at once.
                chars = sorted(c for c in firsts if c)
                pre = "(?=[" + "".join(re.escape(c) for c in chars) + "])"
                if len(chars) <= 3:
                    need = "".join(chars)  # skip the gate when none of these is in the text
            body = "(?=" + trie_alternation(all_free, ordered=False) + ")"
            if not pre and all(first_chars(a) is not None for a in all_free):
                # No match is empty: one character wide, the gate gets the set of characters
                # the cues start with (rx), and the engine skips to them instead of trying
                # the whole gate at every position. It reports the same starts.
                gates.append((rx(body + "(?s:.)"), need, False))
            else:
                gates.append((rx(pre + body), need, False))
        self._gates = tuple(gates)

    def _plans_by_char(self, cats: list[tuple[str, bool, list[str], list[str]]]) -> _Plans | None:
        """What the per-first-character programs hold (see :func:`_compile_plans`); None
        when some alternative's first characters are not known."""
        # (category index, bounded, part index, part) by first character
        items: dict[str, list[tuple[int, bool, int, str]]] = {}
        for k, (_, _, bounded, free) in enumerate(cats):
            for is_bounded, alts in ((True, bounded), (False, free)):
                if not alts:
                    continue
                # the parts of the category's regex in gate mode, in order: keeping only
                # those that can start at a position keeps the first match there
                for i, part in enumerate(split_top(trie_alternation(alts))):
                    chars = first_chars(part)
                    if chars is None:
                        return None
                    for c in chars:
                        items.setdefault(c, []).append((k, is_bounded, i, part))
        # where positions-only categories record a position (as the gate mode does)
        recorded_any = {k for k in self._any if cats[k][1]}
        recorded = {c: {k for k in ks if cats[k][1]} for c, ks in self._by_one.items()}
        digit_items = items.pop(DIGIT, [])
        by_char: dict[str, _Plan] = {}
        for c, found in items.items():
            if digit_items and c.isdecimal():
                found = found + [it for it in digit_items if it not in found]
            by_char[c] = (found, recorded_any | recorded.get(c, set()))
        return by_char, (digit_items, recorded_any) if digit_items else None

    def _at_program(self, c: str) -> _Program | None:
        """The program for gate positions starting with ``c`` (compiled on first use); None
        when there is none or it would not be exact (the categories are then matched one
        by one)."""
        assert self._at_char is not None and self._at_plans is not None
        plans, digit_plan = self._at_plans
        plan = plans.get(c)
        if plan is None and c.isdecimal():
            plan = digit_plan
        program = None if plan is None else _program(self._at_cats, plan[0], plan[1])
        if len(self._at_char) < 50_000:
            self._at_char[c] = program
        return program

    def _entries_for(self, key: str) -> list[_Entry]:
        found = self._cache.get(key)
        if found is None:
            idx = (
                set(self._by_one.get(key[:1], ())) | set(self._by_two.get(key, ())) | set(self._any)
            )
            found = [self._entries[i] for i in sorted(idx)]
            if len(self._cache) < 50_000:
                self._cache[key] = found
        return found

    def scan_anchored(
        self,
        text: str,
        into: dict[str, list[tuple[int, int]]],
        clause_starts: list[int] | None = None,
    ) -> None:
        """Append hits of "^"-anchored clause alternatives, matched at each clause start."""
        meta = self._meta
        rx = self._anchored_clause
        if rx is not None:
            for a in clause_starts or (0,):
                m = rx.match(text, a)
                if m is not None and m.lastgroup is not None:
                    into.setdefault(meta[m.lastgroup], []).append((a, m.start(m.lastgroup)))

    def scan_gated(self, text: str, into: dict[str, list[tuple[int, int]]]) -> None:
        """Append every hit except clause-anchored ones to ``into[category]``, by start."""
        anchored = self._anchored_text
        if anchored is not None:
            m = anchored.match(text)
            if m is not None and m.lastgroup is not None:
                into.setdefault(self._meta[m.lastgroup], []).append((0, m.start(m.lastgroup)))
        if self._by_char is not None:
            self._scan_by_char(text, into)
            return
        positions: list[int] = []
        for gate, need, after_non_word in self._gates:
            if need and not any(c in text for c in need):
                continue
            if after_non_word:
                found = [m.end() for m in gate.finditer(text)]
                if text[:1] in self._start_chars:
                    start = self._start_gate
                    if start is None:  # compiled when first needed
                        start = self._start_gate = rx(self._start_source)
                    if start.match(text) is not None:
                        found.insert(0, 0)
            else:
                found = [m.start() for m in gate.finditer(text)]
            positions = sorted({*positions, *found}) if positions else found
        at_char = self._at_char
        cache = self._cache
        for p in positions:
            if at_char is not None:
                c = text[p]
                program = at_char[c] if c in at_char else self._at_program(c)
                if program is not None:
                    m = program[0].match(text, p)
                    if m is not None and m.lastindex is not None:
                        if program[4]:
                            _record(into, p, m, program)
                        else:
                            _record_each(into, p, m, program)
                    continue
            key = text[p : p + 2]
            if key[1:].isspace():
                key = key[0] + " "
            entries = cache.get(key)
            if entries is None:
                entries = self._entries_for(key)
            at_word = p == 0 or not (text[p - 1].isalnum() or text[p - 1] == "_")
            for cat, brx, frx in entries:
                if brx is None and frx is None:  # positions only
                    lst = into.get(cat)
                    if lst is None:
                        into[cat] = [(p, p)]
                    else:
                        lst.append((p, p))
                    continue
                m = brx.match(text, p) if brx is not None and at_word else None
                if m is None and frx is not None:
                    m = frx.match(text, p)
                if m is not None:
                    end = m.end()
                    if end > p:
                        lst = into.get(cat)
                        if lst is None:
                            into[cat] = [(p, end)]
                        else:
                            lst.append((p, end))

    def _scan_by_char(self, text: str, into: dict[str, list[tuple[int, int]]]) -> None:
        """:meth:`scan_gated` with the per-first-character programs."""
        by_char: dict[str, _Program] = self._by_char or {}
        get = by_char.get
        by_digit = self._by_digit
        for p, c in enumerate(text):
            program = get(c)
            if program is None:
                if by_digit is None or not c.isdecimal():
                    continue
                program = by_digit
            m = program[0].match(text, p)  # (always matches: every group is optional)
            if m is None or m.lastindex is None:
                continue  # no cue starts here
            if program[4]:
                _record(into, p, m, program)
                continue
            # _record_each, inlined: a call here costs ~5% of the Chinese parse (measured)
            groups = m.groups()
            for cat, only, b, f in program[1]:
                if only:
                    lst = into.get(cat)
                    if lst is None:
                        into[cat] = [(p, p)]
                    else:
                        lst.append((p, p))
                    continue
                hit = groups[b] if b >= 0 else None
                if hit is None and f >= 0:
                    hit = groups[f]
                if hit:
                    lst = into.get(cat)
                    if lst is None:
                        into[cat] = [(p, p + len(hit))]
                    else:
                        lst.append((p, p + len(hit)))

    def scan(
        self,
        text: str,
        into: dict[str, list[tuple[int, int]]],
        clause_starts: list[int] | None = None,
    ) -> None:
        """Both passes: unanchored hits, then anchored ones (lists are not re-sorted)."""
        self.scan_gated(text, into)
        self.scan_anchored(text, into, clause_starts)


#: up to this many categories in a program, its hits are read category by category
_FEW = 6


def _compile_plans(
    cats: list[tuple[str, bool, list[str], list[str]]], plans: _Plans
) -> tuple[dict[str, _Program], _Program | None] | None:
    """Every program of ``plans``; None when one would not be exact."""
    by_char: dict[str, _Program] = {}
    for c, (found, recorded) in plans[0].items():
        program = _program(cats, found, recorded)
        if program is None:
            return None
        by_char[c] = program
    by_digit = None
    if plans[1] is not None:
        by_digit = _program(cats, *plans[1])
        if by_digit is None:
            return None
    return by_char, by_digit


def _record(
    into: dict[str, list[tuple[int, int]]], p: int, m: re.Match[str], program: _Program
) -> None:
    """Append the hits at ``p`` of a program's match ``m`` (some group matched), reading
    only the groups that matched, in order (no group matches empty: every part's first
    characters are known). A category's bounded group comes before its free one, which is
    not read when the bounded one matched."""
    groups = m.groups()
    last = None
    for hit, cat in compress(zip(groups, program[2], strict=True), groups):
        if cat is last:
            continue
        last = cat
        lst = into.get(cat)
        if lst is None:
            into[cat] = [(p, p + len(hit))]
        else:
            lst.append((p, p + len(hit)))
    for cat in program[3]:
        lst = into.get(cat)
        if lst is None:
            into[cat] = [(p, p)]
        else:
            lst.append((p, p))


def _record_each(
    into: dict[str, list[tuple[int, int]]], p: int, m: re.Match[str], program: _Program
) -> None:
    """:func:`_record`, category by category in order (any program)."""
    groups = m.groups()
    for cat, only, b, f in program[1]:
        if only:
            lst = into.get(cat)
            if lst is None:
                into[cat] = [(p, p)]
            else:
                lst.append((p, p))
            continue
        hit = groups[b] if b >= 0 else None
        if hit is None and f >= 0:
            hit = groups[f]
        if hit:
            lst = into.get(cat)
            if lst is None:
                into[cat] = [(p, p + len(hit))]
            else:
                lst.append((p, p + len(hit)))


def _program(
    cats: list[tuple[str, bool, list[str], list[str]]],
    found: list[tuple[int, bool, int, str]],
    recorded: set[int],
) -> _Program | None:
    """The program of one first character: per category (in order), its parts that can
    start with the character, the bounded ones behind ``(?<!\\w)``, each group in an
    optional lookahead; the positions-only categories of ``recorded`` record the position
    when any group matches. None when a part has groups of its own (indexes would shift)."""
    by_cat: dict[tuple[int, bool], list[tuple[int, str]]] = {}
    for k, is_bounded, i, part in found:
        by_cat.setdefault((k, is_bounded), []).append((i, part))
    source: list[str] = []
    spec: list[tuple[str, bool, int, int]] = []
    n = 0
    for k, (cat, only, _, _) in enumerate(cats):
        index = [-1, -1]
        for j, is_bounded in enumerate((True, False)):
            parts = by_cat.get((k, is_bounded))
            if not parts:
                continue
            alternation = "|".join(p for _, p in sorted(parts))
            guard = r"(?<!\w)" if is_bounded else ""
            source.append("(?:" + guard + "(?=(" + alternation + ")))?")
            index[j] = n
            n += 1
        if only:
            if k in recorded:
                spec.append((cat, True, -1, -1))
        elif index != [-1, -1]:
            spec.append((cat, False, index[0], index[1]))
    if not source:
        return None
    compiled = rx("".join(source))
    if compiled.groups != n:
        return None
    slots = [""] * n
    for cat, _, b, f in spec:
        for g in (b, f):
            if g >= 0:
                slots[g] = cat
    onlys = [cat for cat, only, _, _ in spec if only]
    # Reading only the groups that matched pays for its set-up with many categories; it
    # keeps the order of the hits' categories when those recorded by position come last.
    fast = (
        len(spec) > _FEW
        and all(only for _, only, _, _ in spec[len(spec) - len(onlys) :])
        and len({cat for cat, _, _, _ in spec}) == len(spec)
    )
    return compiled, tuple(spec), tuple(slots), tuple(onlys), fast
