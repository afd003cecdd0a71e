"""``scripts/proof_log_privacy.py`` at a small size: conversations and a forced database
error on every web route that touches the database, logged at DEBUG (text on SQLite,
JSON on PostgreSQL); no phone, email, name, account number or body in the log."""

from __future__ import annotations

import json

import proof_log_privacy
import pytest

from tests.conftest import PG_URL


@pytest.mark.parametrize(("db", "fmt"), [
    (None, "text"), pytest.param(PG_URL, "json", marks=pytest.mark.postgres)],
    ids=["sqlite-text", "postgresql-json"])
def test_log_privacy_proof_small(db: str | None, fmt: str, request: pytest.FixtureRequest,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    if db is not None:
        request.getfixturevalue("pg_database")  # skips (or fails) without a server
    result = proof_log_privacy.main(["--conversations", "2", "--format", fmt,
                                     *(["--db", db] if db else [])])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(
        "proof_log_privacy: conversations=2 ")
    details = result["details"]
    assert result["routes"] == 15 and result["routes_failed"] == 15, details["not_failed"]
    assert result["pii_found"] == 0, details["found"]
    # the conversations went through (the proof is not vacuous)
    assert all(s < 500 for statuses in details["normal"].values() for s in statuses)
    assert result["log_lines"] > 200
    log = details["log"]
    assert "message withheld" in log and "duebot.access" in log
    if fmt == "json":
        entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert entries and {"time", "level", "logger", "message"} <= set(entries[0])
