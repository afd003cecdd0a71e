"""Text from outside (provider posts, API bodies, CSV cells) made safe to keep.

Databases refuse some strings (PostgreSQL cannot store a NUL; neither database can
encode a lone surrogate as UTF-8) and terminals, spreadsheets and log viewers misread
others (control characters). Every edge either refuses such text with a reason
(:func:`text_problem`: the collectors' API, CSV imports) or cleans it (:func:`clean_text`:
provider posts, which must be answered 200 or the provider retries for ever).

Identifiers are never cut short to fit: two long ids that share a prefix would become one
and a retry would be taken for another message. :func:`fit_identifier` replaces an id
that does not fit, or holds characters no provider id has, with a digest of all of it.
"""

from __future__ import annotations

import hashlib
import re

#: C0 controls but tab, line feed and carriage return; DEL; C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DIGEST_LEN = 64  # hex of SHA-256


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be kept as it is (naming the character, never the text), or
    None when it can."""
    if "\x00" in value:
        return "contains a NUL byte"
    if (found := _SURROGATE.search(value)) is not None:
        return f"contains a lone surrogate (U+{ord(found[0]):04X})"
    if (found := _CONTROL.search(value)) is not None:
        return f"contains the control character U+{ord(found[0]):04X}"
    return None


def clean_text(value: str) -> tuple[str, str | None]:
    """``value`` without NUL bytes and control characters (tab and line breaks are kept),
    lone surrogates replaced by U+FFFD; and what was done, or None when nothing was."""
    problem = text_problem(value)
    if problem is None:
        return value, None
    cleaned = _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))
    done = []
    if "\x00" in value:
        done.append("NUL removed")
    if _CONTROL.search(value.replace("\x00", "")):
        done.append("control characters removed")
    if _SURROGATE.search(value):
        done.append("lone surrogates replaced")
    return cleaned, ", ".join(done)


def fit_identifier(value: str, limit: int) -> tuple[str, str | None]:
    """``value`` when it fits in ``limit`` characters and is clean text; otherwise a
    stable digest of all of it (a readable prefix, ``~``, SHA-256 hex), and why.

    The same input always gives the same result, so a provider's retry of an odd id is
    still recognised; two different inputs give different results."""
    problem = text_problem(value)
    if problem is None and len(value) <= limit:
        return value, None
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    if limit <= _DIGEST_LEN:
        raise ValueError(f"an identifier limit of {limit} cannot hold a digest")
    keep = min(32, limit - _DIGEST_LEN - 1)
    prefix = _SURROGATE.sub("", _CONTROL.sub("", value))[:keep]
    why = problem if problem is not None else f"longer than {limit} characters"
    return f"{prefix}~{digest}", f"{why}: replaced by a digest"
