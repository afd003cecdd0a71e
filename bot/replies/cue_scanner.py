"""A fast multi-category cue scanner built on ``re``.

A lexicon of hundreds of phrases is slow as one plain alternation (``re`` tries every
branch at every position). The :class:`Scanner` here keeps it fast: alternatives are
grouped by their first literal characters (:mod:`bot.replies.alternations`), a leading
``\\b`` is replaced by one ``(?<!\\w)`` test, and the whole set sits in a lookahead
gate that only reports where some cue starts; each category is then matched on its own
at those few positions.
"""

from __future__ import annotations

import re

from bot.replies.alternations import (
    expand_alternative,
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


class Scanner:
    """Finds the cues of several categories in one pass over a text.

    A gate regex holds every alternative of every category, grouped by first
    literal characters (the engine skips a branch cheaply when its first character
    does not match, so grouping keeps a long alternation fast); it sits in a
    lookahead, so it reports every position where some cue starts, overlapping
    or not. A leading ``\\b`` is removed from alternatives (it would defeat the
    first-character skipping); ``(?<!\\w)`` on the gate checks it instead. At each
    reported position, only the categories that can start with the two characters
    found there are matched, each with its own regex, so every category's hit is
    found even when several start at the same place.

    Alternatives starting with "^" are anchored: at the start of the reply, or
    at each clause start for ``clause_categories``. For ``positions_only``
    categories the scanner records where a match may start, ``(start, start)``,
    and leaves the matching to the caller.
    """

    __slots__ = (
        "_anchored_clause",
        "_anchored_text",
        "_any",
        "_by_one",
        "_by_two",
        "_cache",
        "_entries",
        "_gates",
        "_meta",
    )

    def __init__(
        self,
        categories: list[tuple[str, Parts]],
        clause_categories: frozenset[str] = frozenset(),
        positions_only: frozenset[str] = frozenset(),
    ) -> None:
        all_bounded: list[str] = []
        all_free: list[str] = []
        at_text: list[str] = []
        at_clause: list[str] = []
        self._meta: dict[str, str] = {}
        self._by_one: dict[str, list[int]] = {}
        self._by_two: dict[str, list[int]] = {}
        self._any: list[int] = []
        self._cache: dict[str, list[_Entry]] = {}
        entries: list[_Entry] = []
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
            if not bounded and not free:
                continue
            k = len(entries)
            only = cat in positions_only
            entries.append(
                (
                    cat,
                    rx(trie_alternation(bounded)) if bounded and not only else None,
                    rx(trie_alternation(free)) if free and not only else None,
                )
            )
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
            all_bounded += bounded
            all_free += free
        self._entries = entries
        self._anchored_text = rx("|".join(at_text)) if at_text else None
        self._anchored_clause = rx("|".join(at_clause)) if at_clause else None
        gates: list[tuple[re.Pattern[str], str]] = []
        if all_bounded:
            firsts_b = {_first_char(a) for a in all_bounded}
            pre_b = ""
            if None not in firsts_b:
                # A one-character class first: most positions fail it before the lookbehind.
                pre_b = "[" + "".join(re.escape(c) for c in sorted(c for c in firsts_b if c)) + "]"
                pre_b = "(?=" + pre_b + ")"
            gates.append(
                (
                    rx(pre_b + r"(?<!\w)(?=" + trie_alternation(all_bounded, ordered=False) + ")"),
                    "",
                )
            )
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
            gates.append((rx(pre + "(?=" + trie_alternation(all_free, ordered=False) + ")"), need))
        self._gates = tuple(gates)

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
        rx = self._anchored_text
        if rx is not None:
            m = rx.match(text)
            if m is not None and m.lastgroup is not None:
                into.setdefault(self._meta[m.lastgroup], []).append((0, m.start(m.lastgroup)))
        positions: list[int] = []
        for gate, need in self._gates:
            if need and not any(c in text for c in need):
                continue
            if positions:
                positions = sorted({*positions, *(m.start() for m in gate.finditer(text))})
            else:
                positions = [m.start() for m in gate.finditer(text)]
        cache = self._cache
        for p in positions:
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

    def scan(
        self,
        text: str,
        into: dict[str, list[tuple[int, int]]],
        clause_starts: list[int] | None = None,
    ) -> None:
        """Both passes: unanchored hits, then anchored ones (lists are not re-sorted)."""
        self.scan_gated(text, into)
        self.scan_anchored(text, into, clause_starts)
