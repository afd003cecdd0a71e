"""The state of one parse: the reply, its cue hits, dates, amounts and clauses.

:class:`Analysis` holds what :func:`~bot.replies.parser.parse_reply` has found so far
and answers the range questions its steps ask: the hits of a cue category within a
clause, the clause around a position, the dates and amounts of a clause. Its lists are
sorted by start, so lookups bisect and long replies stay linear.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import Decimal

from bot.replies.amounts import AmountHit
from bot.replies.cue_lexicons import Lexicon
from bot.replies.dates import DATE, DateContext, DateHit
from bot.replies.markers import SENTENCE_BREAK
from bot.replies.model import Span, new_span
from bot.replies.normalize import Folded

# Cues that stop "an amount and a date" from being read as an offer in their clause.
_BLOCKING = ("block", "paid", "callback", "refuse", "dispute", "legal", "wrong_party")


class Analysis:
    """One reply being parsed, and what the parsing steps found in it so far.

    ``t`` is the folded text with quoted history and signatures masked, ``lg`` its
    language and ``lex`` that language's lexicon. The steps fill ``hits`` (cue category
    -> (start, end) list, by start), ``dates``, ``amounts`` and ``clauses``; they record
    ``cues`` (intent value -> the span that placed it), ``spans`` (offsets into the
    original text) and ``implicit_only`` (the promise was read only from an amount
    and a date).
    """

    __slots__ = (
        "amount_starts",
        "amounts",
        "balance",
        "chosen",
        "clause_starts",
        "clauses",
        "ctx",
        "cues",
        "date_starts",
        "dates",
        "folded",
        "hit_starts",
        "hits",
        "implicit_only",
        "lex",
        "lg",
        "settled",
        "spans",
        "t",
    )

    def __init__(
        self,
        folded: Folded,
        t: str,
        lg: str,
        lex: Lexicon,
        ctx: DateContext,
        balance: Decimal | None,
    ) -> None:
        self.folded = folded
        self.t = t
        self.lg = lg
        self.lex = lex
        self.ctx = ctx
        self.balance = balance
        # Keyed by intent value: hashing a plain str is much cheaper than an Enum member.
        self.cues: dict[str, tuple[int, int]] = {}
        self.spans: list[Span] = []
        self.implicit_only = False
        #: the reply was settled without clause analysis (a keyword, an acknowledgement)
        self.settled = False
        #: the indexes of the clauses that promise
        self.chosen: list[int] = []
        self.dates: list[DateHit] = []
        self.amounts: list[AmountHit] = []
        self.clauses: list[tuple[int, int]] = []
        # Sorted start offsets, for bisect lookups that keep long replies linear.
        self.date_starts: list[int] = []
        self.amount_starts: list[int] = []
        self.clause_starts: list[int] = []
        #: the start offsets of each category's hits, by :meth:`starts` (once sorted)
        self.hit_starts: dict[str, list[int]] = {}
        self.hits: dict[str, list[tuple[int, int]]] = {}

    def split_clauses(self) -> list[tuple[int, int]]:
        """The clauses of the text: cut at punctuation and conjunctions, never inside a
        date or an amount; blank pieces dropped."""
        t = self.t
        items = sorted(
            [(d.start, d.end) for d in self.dates] + [(a.start, a.end) for a in self.amounts]
        )
        starts = [s for s, _ in items]
        out: list[tuple[int, int]] = []
        pos = 0
        for m in self.lex.clause_split.finditer(t):
            ms, me = m.span()
            k = bisect_right(starts, ms) - 1
            if k >= 0 and items[k][0] < me and ms < items[k][1]:
                continue  # a separator inside "1,240", "two hundred and fifty", "1.5万"
            word = m.group()[:1].isalpha() or "\u4e00" <= m.group()[:1] <= "\u9fff"
            if ms > pos:
                out.append((pos, ms))
            pos = ms if word else me
        if pos < len(t):
            out.append((pos, len(t)))
        return [c for c in out if t[c[0] : c[1]].strip()] or [(0, len(t))]

    def clause_of(self, pos: int) -> tuple[int, int]:
        """The clause holding ``pos`` (a one-character span when no clause does)."""
        k = bisect_right(self.clause_starts, pos) - 1
        if k >= 0 and pos < self.clauses[k][1]:
            return self.clauses[k]
        return (pos, pos + 1)

    def starts(self, cat: str) -> list[int]:
        """The start offsets of a category's hits (read once the hits are sorted)."""
        found = self.hit_starts.get(cat)
        if found is None:
            found = self.hit_starts[cat] = [h[0] for h in self.hits.get(cat, ())]
        return found

    def hits_in(self, cat: str, s: int = 0, e: int | None = None) -> list[tuple[int, int]]:
        """Hits of a category lying within ``[s, e)``."""
        found = self.hits.get(cat)
        if not found:
            return []
        n = len(self.t)
        end = n if e is None else e
        if s == 0 and end >= n:
            return found
        starts = self.hit_starts.get(cat)
        if starts is None:
            starts = self.starts(cat)
        lo = bisect_left(starts, s)
        hi = bisect_left(starts, end, lo)
        return [h for h in found[lo:hi] if h[1] <= end]

    def blocked(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` has a cue that stops an amount and a date being an offer."""
        hits = self.hits
        return any(self.hits_in(cat, s, e) for cat in _BLOCKING if cat in hits)

    def first_hit(self, cat: str, s: int = 0, e: int | None = None) -> tuple[int, int] | None:
        """The first hit of a category within ``[s, e)``."""
        found = self.hits_in(cat, s, e)
        return found[0] if found else None

    def clause_items(self, s: int, e: int) -> tuple[list[DateHit], list[AmountHit]]:
        """The dates and amounts starting within ``[s, e)``."""
        ds, as_ = self.date_starts, self.amount_starts
        return (
            self.dates[bisect_left(ds, s) : bisect_left(ds, e)],
            self.amounts[bisect_left(as_, s) : bisect_left(as_, e)],
        )

    def earlier_date(self, pos: int) -> DateHit | None:
        """The last concrete date before ``pos`` in the same sentence."""
        k = bisect_left(self.date_starts, pos)
        for d in reversed(self.dates[:k]):
            if d.kind == DATE and not SENTENCE_BREAK.search(self.t, d.end, pos):
                return d
        return None

    def add_span(self, start: int, end: int, kind: str, value: str | None) -> None:
        """Record a span read, given in folded offsets, in offsets of the original text."""
        s, e = self.folded.span(start, end)
        self.spans.append(new_span(s, e, kind, value))
