"""``scripts/plan_digest.py``: one tick's plan digested on SQLite and on PostgreSQL (the
tick writes differently on each: COPY and a staging table there, an executemany here)
comes out the same, so the digest compares plans across backends and commits."""

from __future__ import annotations

import plan_digest
import pytest

from tests.scripts.proofs import last_line


@pytest.mark.postgres
def test_a_tick_plans_alike_on_sqlite_and_postgresql(
        pg_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    plan_digest.main(["--cases", "400"])
    on_sqlite = last_line(capsys.readouterr().out, "plan_digest")
    plan_digest.main(["--cases", "400", "--db", pg_database])
    on_pg = last_line(capsys.readouterr().out, "plan_digest")
    assert on_sqlite.pop("backend") == "sqlite" and on_pg.pop("backend") == "postgresql"
    assert int(on_sqlite["outbox"]) > 100 and int(on_sqlite["decisions"]) > 50
    assert on_sqlite == on_pg
