"""Text from outside: what cannot be kept, how it is cleaned, ids that do not fit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.text_hygiene import clean_text, fit_identifier, text_problem

ANY_TEXT = st.text(st.characters(codec=None, categories=None))


@pytest.mark.parametrize(("value", "problem"), [
    ("fine\ttext\r\nhere", None),
    ("中文 and émigré", None),
    ("a\x00b", "contains a NUL byte"),
    ("a\ud800b", "contains a lone surrogate (U+D800)"),
    ("\x1b[31m", "contains the control character U+001B"),
    ("a\x7f", "contains the control character U+007F"),
    ("a\x85", "contains the control character U+0085"),
])
def test_text_problem_names_the_character_not_the_text(value: str, problem: str | None
                                                       ) -> None:
    assert text_problem(value) == problem


def test_clean_text_says_what_it_did() -> None:
    assert clean_text("pay\x00 50\x1b friday \udfff") == (
        "pay 50 friday \ufffd", "NUL removed, control characters removed, "
                                "lone surrogates replaced")
    assert clean_text("plain") == ("plain", None)


@given(ANY_TEXT)
def test_clean_text_gives_text_that_can_be_kept(value: str) -> None:
    cleaned, done = clean_text(value)
    assert text_problem(cleaned) is None
    cleaned.encode("utf-8")  # no lone surrogate left
    assert (done is None) == (cleaned == value)


def test_a_long_id_is_digested_not_truncated() -> None:
    first, why = fit_identifier("SM" + "f" * 298, 255)
    second, _ = fit_identifier("SM" + "f" * 297 + "e", 255)
    assert first != second and len(first) <= 255
    assert why == "longer than 255 characters: replaced by a digest"
    assert fit_identifier("SM" + "f" * 298, 255)[0] == first  # a retry is recognised
    assert fit_identifier("SM123", 255) == ("SM123", None)
    nul, why = fit_identifier("SM1\x002", 255)
    assert "\x00" not in nul and nul != fit_identifier("SM12", 255)[0]
    assert why == "contains a NUL byte: replaced by a digest"


@given(ANY_TEXT, ANY_TEXT, st.integers(min_value=65, max_value=400))
def test_fit_identifier_fits_and_never_merges_two_ids(a: str, b: str, limit: int) -> None:
    fa, fb = fit_identifier(a, limit)[0], fit_identifier(b, limit)[0]
    assert len(fa) <= limit and text_problem(fa) is None
    assert (fa == fb) == (a == b)
