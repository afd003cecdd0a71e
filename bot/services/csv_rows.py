"""Reading imported CSV rows and writing rejected ones: every problem is reported with
file, line and column. The entry point opens the files; this reads the bytes it is given
(UTF-8, with or without a byte-order mark) and names the first line that is not UTF-8.

A cell holding a NUL byte or another control character is a problem of its row
(:func:`control_errors`). Cells written by duebot have formulas neutralised
(:mod:`bot.domain.csv_cells`); the reader restores them, so a fixed rejects file imports
the original values.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from bot.domain import csv_cells
from bot.domain.text_hygiene import text_problem


@dataclass(frozen=True)
class RowError:
    file: str
    row: int  # line number in the file (the header is line 1)
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.column}: {self.reason}"


class ImportRejected(Exception):
    """The file had bad rows and nothing was imported (atomic mode)."""

    def __init__(self, errors: list[RowError], checked: int) -> None:
        self.errors = errors
        self.checked = checked
        super().__init__(f"{len(errors)} problem(s) in {checked} row(s); nothing imported")


class CsvFormatError(ValueError):
    """The file itself cannot be read as the expected CSV (header, encoding)."""


class CountingLines:
    """Decode a byte stream's lines as UTF-8, counting bytes read (for a progress bar).

    A line that is not UTF-8 raises :class:`CsvFormatError` naming it."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.read = 0

    def __iter__(self) -> Iterator[str]:
        number = 0
        for chunk in self.stream:
            self.read += len(chunk)
            # a lone CR ends a line too (as in text mode with newline="")
            for raw in chunk.splitlines(keepends=True):
                number += 1
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise CsvFormatError(
                        f"{self.name}:{number}: the file is not UTF-8 text ({exc.reason}); "
                        "save it as UTF-8 (\"CSV UTF-8\") and import again") from None


def read_rows(
    path: str, stream: CountingLines, required: tuple[str, ...], known: frozenset[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` with stripped values; checks the header first.

    A row with more cells than the header has its known values plus ``"__extra__"``
    (the number of surplus cells; see :func:`too_many_cells`). A file that is not UTF-8
    text or not CSV at all raises :class:`CsvFormatError` naming the line.
    """
    reader = csv.DictReader(iter(stream))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if not header:
            raise CsvFormatError(f"{path}: empty file or no header row")
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvFormatError(f"{path}:1: missing required column(s): {', '.join(missing)}")
        unknown = [h for h in header if h not in known]
        if unknown:
            raise CsvFormatError(
                f"{path}:1: unknown column(s): {', '.join(repr(h) for h in unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise CsvFormatError(f"{path}:1: column(s) given twice: {', '.join(repeated)}")
        reader.fieldnames = header
        for raw in reader:
            line = reader.line_num
            extra = raw.pop(None, None)  # type: ignore[call-overload]
            row = {k: csv_cells.restore((v or "").strip()) for k, v in raw.items()}
            if extra is not None:  # more cells than header columns: how many
                row["__extra__"] = str(len(extra))
            yield line, row
    except csv.Error as exc:
        line = reader.reader.line_num  # the DictReader's own count stops at the last good row
        raise CsvFormatError(f"{path}:{line}: not readable as CSV: {exc}") from None


def too_many_cells(file: str, line: int, row: dict[str, str]) -> RowError:
    return RowError(file, line, "*", f"{row['__extra__']} more cell(s) than header columns "
                    "(a stray comma? quote values that contain commas)")


def control_errors(file: str, line: int, row: dict[str, str]) -> list[RowError]:
    """A problem for every cell of ``row`` that holds a NUL byte or a control character
    (tab and line breaks inside a quoted cell are fine)."""
    return [RowError(file, line, column, problem) for column, value in row.items()
            if column != "__extra__" and (problem := text_problem(value)) is not None]


Rejects = list[tuple[dict[str, str], list[RowError]]]


class SafeCsvWriter:
    """``csv.writer`` for files people open in a spreadsheet: every cell has formulas
    neutralised and control characters shown as U+FFFD (a NUL would end the line in
    some programs)."""

    def __init__(self, f: TextIO) -> None:
        self._writer = csv.writer(f)

    def writerow(self, cells: list[Any]) -> None:
        self._writer.writerow([csv_cells.neutralise(_visible(str(c))) for c in cells])


def _visible(cell: str) -> str:
    if text_problem(cell) is None:
        return cell
    return "".join("\ufffd" if text_problem(ch) else ch for ch in cell)


def write_rejects(open_file: Callable[[], TextIO], header: list[str], rejects: Rejects) -> None:
    """Write rejected rows with their reasons, so they can be fixed and re-imported."""
    with open_file() as f:
        writer = SafeCsvWriter(f)
        writer.writerow(["line", *header, "errors"])
        for row, errors in rejects:
            writer.writerow([errors[0].row, *(row.get(h, "") for h in header),
                             "; ".join(f"{e.column}: {e.reason}" for e in errors)])
