"""Formula cells are neutralised for spreadsheets and read back as they were."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.csv_cells import neutralise, restore

LINK = '=HYPERLINK("http://evil.test","x")'


@pytest.mark.parametrize(("cell", "written"), [
    (LINK, "'" + LINK),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'=1", "''=1"),  # a quote the value already had is kept
    ("-12.50", "-12.50"),  # plain numbers and phones stay readable
    ("+3", "+3"),
    ("1e5", "1e5"),
    ("+14155550101", "+14155550101"),
    ("+1 415 555 0101", "'+1 415 555 0101"),  # not E.164: a formula to a spreadsheet
    ("Sam Lee", "Sam Lee"),
    ("'Connor", "'Connor"),
    ("", ""),
])
def test_neutralise(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell


@given(st.text())
def test_round_trip_and_nothing_live(cell: str) -> None:
    written = neutralise(cell)
    assert restore(written) == cell
    if written[:1] in ("=", "+", "-", "@", "\t", "\r"):  # only numbers and phones
        assert written == cell and re.fullmatch(r"[+-]?[\d.]+(?:[eE][+-]?\d+)?", cell)
