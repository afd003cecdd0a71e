"""The cue scanner of each language: every cue the parser reads, in one pass.

One :class:`~bot.replies.cue_scanner.Scanner` per language holds the intent and
clause lexicons (:mod:`bot.replies.cue_lexicons`), the English opt-out requests
(:mod:`bot.replies.optout`), the English amount markers
(:mod:`bot.replies.amounts`) and, as start positions only, the date phrases
(:mod:`bot.replies.dates`), so a reply is scanned once for all of them.
"""

from __future__ import annotations

from bot.replies.amounts import EN_MARKER_PARTS
from bot.replies.cue_lexicons import CATEGORIES, CLAUSE_CATEGORIES, LEXICONS
from bot.replies.cue_scanner import Parts, Scanner
from bot.replies.dates import gate_parts
from bot.replies.optout import REQUEST_EN

Hits = dict[str, list[tuple[int, int]]]


def _build(lang: str) -> Scanner:
    lex = LEXICONS[lang]
    cats: list[tuple[str, Parts]] = [(c, getattr(lex, c)) for c in CATEGORIES]
    if lang == "en":
        cats.append(("optout", REQUEST_EN))
        cats.extend(EN_MARKER_PARTS)
    if lang == "zh":
        # Chinese date phrases start with literal characters: cheap in the gate. English
        # ones are found from trigger words instead (see dates.find_dates).
        cats.append(("date", gate_parts(lang)))
    return Scanner(cats, clause_categories=CLAUSE_CATEGORIES, positions_only=frozenset({"date"}))


SCANNERS: dict[str, Scanner] = {"en": _build("en"), "zh": _build("zh")}


def scan_gated(text: str, lang: str) -> Hits:
    """Unanchored cue hits of folded ``text``: category -> (start, end) list, by start."""
    hits: Hits = {}
    SCANNERS[lang].scan_gated(text, hits)
    return hits


def scan_anchored(text: str, lang: str, hits: Hits, clause_starts: list[int]) -> None:
    """Add the hits anchored at the reply or clause starts, and sort every list."""
    SCANNERS[lang].scan_anchored(text, hits, clause_starts)
    for lst in hits.values():
        if len(lst) > 1:
            lst.sort()
