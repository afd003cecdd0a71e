"""CSV cells that a spreadsheet would run as formulas (CSV injection), and back.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets (``=HYPERLINK("http://evil.test","x")`` in a
rejects file opened by a collector). Every CSV duebot writes passes its cells through
:func:`neutralise`, which puts a ``'`` in front of such a cell unless it is a plain number
or an E.164 phone number (those stay as they are, so amounts and phones still read as
such). :func:`restore` undoes it, and the importer applies it to every cell it reads, so a
file written by duebot (a fixed rejects file) imports the original values.

Quotes already in front of a formula character are part of the value: ``'=x`` is written
``''=x`` and read back as ``'=x``, so the round trip is exact for every value.
"""

from __future__ import annotations

import re

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_E164 = re.compile(r"\+[1-9]\d{1,14}")


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet would evaluate ``cell`` (or it carries quotes in front of
    such a cell, which must be escaped too)."""
    return bool(_FORMULA.match(cell)) and not (_PLAIN_NUMBER.fullmatch(cell)
                                               or _E164.fullmatch(cell))


def neutralise(cell: str) -> str:
    """``cell`` as it may be written to a CSV file: ``'`` in front of a formula."""
    return "'" + cell if is_formula(cell) else cell


def restore(cell: str) -> str:
    """The value a cell written by :func:`neutralise` stands for."""
    if cell.startswith("'") and _FORMULA.match(cell[1:]) and not (
            _PLAIN_NUMBER.fullmatch(cell[1:]) or _E164.fullmatch(cell[1:])):
        return cell[1:]
    return cell
