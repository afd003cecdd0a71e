"""``scripts/proof_webhook_load.py`` at a small size against ``duebot serve`` (a process of
its own) on PostgreSQL: every signed webhook stored once, retries included, no 5xx."""

from __future__ import annotations

import proof_webhook_load
import pytest

from tests.conftest import PG_URL


@pytest.mark.postgres
def test_webhook_load_proof_small(request: pytest.FixtureRequest,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    request.getfixturevalue("pg_database")  # skips (or fails) without a server
    result = proof_webhook_load.main(["--db", PG_URL, "--webhooks", "200", "--retry", "0.1",
                                      "--clients", "8", "--cases", "40"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(
        "proof_webhook_load: webhooks=200 retries=20 answers_5xx=0 stored=200 missing=0 "
        "duplicates_stored=0 event_keys=200 ")
    assert sum(result["statuses"].values()) == 220
    assert "Traceback" not in result["server_log"]
