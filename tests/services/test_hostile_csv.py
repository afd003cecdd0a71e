"""The 54 hostile CSV files of ``tests/hostile/csv_files.py``, imported on every backend:
each is clean (see :func:`tests.hostile.csv_files.judge`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.bootstrap import bootstrap
from bot.services.csv_rows import ImportRejected
from bot.settings import Settings
from tests.hostile.csv_files import corpus, judge, live_formulas
from tests.services.test_import_cases import _import
from tests.services.test_import_helpers import HEADER, case_row, write_csv

FILES = corpus()


def test_the_corpus_holds_54_files() -> None:
    assert len(FILES) == 54 and len({f.name for f in FILES}) == 54


def test_every_hostile_file_is_clean(engine: Engine, clock, tmp_path: Path) -> None:
    """All 54 into one database (their account ids differ), as the proof script does."""
    container = bootstrap(Settings(_env_file=None), clock=clock,  # type: ignore[call-arg]
                          engine=engine)
    problems = [f"{hostile.name}: {problem}" for hostile in FILES
                for problem in judge(container, hostile, tmp_path).problems]
    assert problems == []


def test_a_nul_names_file_line_and_column_and_nothing_is_stored(engine, clock, tmp_path):
    path = write_csv(tmp_path / "book.csv", HEADER,
                     [case_row(1), case_row(2, name="Sam\x00Lee"), case_row(3)])
    with pytest.raises(ImportRejected) as info:
        _import(engine, clock, path)
    assert [str(e) for e in info.value.errors] == [f"{path}:3: name: contains a NUL byte"]


def test_rejects_are_written_without_live_formulas_and_read_back(engine, clock, tmp_path):
    link = '=HYPERLINK("http://evil.test","x")'
    path = write_csv(tmp_path / "book.csv", HEADER,
                     [case_row(1), case_row(2, name=link, balance="ten"),
                      case_row(3, name="Ann\x1bLee")])
    rejects = tmp_path / "book.rejects.csv"
    report = _import(engine, clock, path, skip_invalid=True, rejects_path=rejects)
    assert report.created == 1 and report.rejected == 2
    assert live_formulas(rejects) == []
    with rejects.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["name"] == "'" + link
    assert rows[1]["name"] == "Ann\ufffdLee"  # where the control character was
    assert rows[1]["errors"] == "name: contains the control character U+001B"
    # fixed and imported again: the formula cell reads back as the original value
    fixed = tmp_path / "fixed.csv"
    with rejects.open(encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    header = table[0][1:-1]
    body = [r[1:-1] for r in table[1:2]]
    body[0][header.index("balance")] = "10"
    write_csv(fixed, header, body)
    assert _import(engine, clock, fixed).created == 1
    with engine.connect() as conn:
        from sqlalchemy import text

        names = {n for (n,) in conn.execute(text("SELECT name FROM customer"))}
    assert link in names
