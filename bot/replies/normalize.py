"""Text folding and language detection.

The parser reads replies after NFKC folding (full-width letters, digits and
punctuation become ASCII), lower-casing and folding of typographic quotes. The
folded text keeps a map back to the original so that spans can be reported as
offsets into the text the caller passed in.
"""

from __future__ import annotations

import unicodedata

from bot.replies.regex_programs import rx

# Same-length folds applied after NFKC: typographic quotes and dashes.
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u301c": "~",
        "\uff5e": "~",
        "\u00a0": " ",
    }
)

_HAN = rx(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = rx(r"[a-z]{2,}")


class Folded:
    """A reply folded for matching, with a map back to the original text.

    ``index[i]`` is the offset in ``original`` of folded character ``i``; ``None``
    means the two have the same offsets. ``ends[i]``, when given, is where the original
    text that folded character ``i`` was read from ends (a character read from a word,
    as pinyin is: :mod:`bot.replies.pinyin`); by default ``index[i] + 1``.
    """

    __slots__ = ("ends", "index", "original", "text")

    def __init__(
        self,
        text: str,
        original: str,
        index: tuple[int, ...] | None = None,
        ends: tuple[int, ...] | None = None,
    ) -> None:
        self.text = text
        self.original = original
        self.index = index
        self.ends = ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` range of the folded text to the original text."""
        if self.index is None:
            return start, end
        n = len(self.index)
        if n == 0:
            return 0, 0
        s = self.index[min(start, n - 1)] if start < n else len(self.original)
        if 0 < end <= n:
            e = self.ends[end - 1] if self.ends is not None else self.index[end - 1] + 1
        else:
            e = len(self.original) if end > n else s
        return s, max(s, e)


def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower().translate(_QUOTES)


def fold(text: str) -> Folded:
    """NFKC-fold, lower-case and quote-fold ``text``, keeping an offset map."""
    if text.isascii():
        low = text.lower()
        return Folded(low.translate(_QUOTES) if "`" in low else low, text)
    # Full-width forms fold one character to one: when the lengths agree, offsets are kept
    # (a length-changing fold elsewhere in the same text is rare enough to accept). (An
    # NFKC-normalized text comes back as it is: normalize() checks that first.)
    nfkc = unicodedata.normalize("NFKC", text)
    if len(nfkc) == len(text):
        low = nfkc.lower()
        if len(low) == len(text):
            return Folded(low.translate(_QUOTES), text)
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch) if not ch.isascii() else ch.lower()
        parts.append(f)
        index.extend([i] * len(f))
    out = "".join(parts).translate(_QUOTES)
    return Folded(out, text, tuple(index))


def detect_lang(folded: str) -> str:
    """Return ``"zh"`` when the text is mainly Chinese, else ``"en"``."""
    if folded.isascii() or _HAN.search(folded) is None:
        return "en"
    if _LATIN_WORD.search(folded) is None:
        return "zh"  # Chinese characters and no Latin word
    han = len(_HAN.findall(folded))
    latin = len(_LATIN_WORD.findall(folded))
    return "zh" if han * 2 >= latin else "en"
