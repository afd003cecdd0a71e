"""``scripts/proof_bad_input.py`` at a small size (every other input), on SQLite and on
PostgreSQL: no 5xx, every malformed or forged request refused, nothing half-stored, the
connection kept alive throughout, every hostile CSV clean."""

from __future__ import annotations

import proof_bad_input
import pytest

from tests.conftest import PG_URL


@pytest.mark.parametrize("db", [None, pytest.param(PG_URL, marks=pytest.mark.postgres)],
                         ids=["sqlite", "postgresql"])
def test_bad_input_proof_small(db: str | None, capsys: pytest.CaptureFixture[str],
                               request: pytest.FixtureRequest) -> None:
    if db is not None:
        request.getfixturevalue("pg_database")  # skips (or fails) without a server
    result = proof_bad_input.main(["--sample", "2", "--quiet", *(["--db", db] if db else [])])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("proof_bad_input: provider_posts=")
    assert result["provider_5xx"] == 0 and result["provider_wrong"] == 0
    assert result["api_5xx"] == 0 and result["api_rejected"] == result["api_requests"] > 15
    assert result["api_rows_changed"] == 0
    assert result["forged_rejected"] == result["forged"] == 16
    assert result["forged_rows_changed"] == 0
    assert result["dropped_connections"] == 0
    assert result["csv_clean"] == result["csv_files"] == 27
    # each accepted provider post (sent twice) recorded once
    assert result["inbound_events"] == sum(
        1 for p in result["details"]["http"]["provider_probes"] if "2xx" in p.want)
