"""``scripts/proof_failover.py``, small: two real ``duebot scheduler`` processes on
PostgreSQL, the leader killed with SIGKILL mid-tick; the standby takes over within
seconds, finishes the tick, and no outbox message is queued twice."""

from __future__ import annotations

import pytest

from tests.scripts.proofs import last_line, load

proof = load("proof_failover")


@pytest.mark.postgres
def test_the_standby_finishes_the_tick_of_a_killed_leader(
        capsys: pytest.CaptureFixture[str], pg_database: str) -> None:
    code = proof.main(["--db", pg_database, "--cases", "1500", "--batch", "100",
                       "--poll", "0.5"])
    got = last_line(capsys.readouterr().out, "proof_failover")
    assert code == 0, got
    assert (got["duplicates"], got["left"], got["ok"]) == ("0", "0", "1")
    assert 0 < int(got["killed_at_rows"]) < int(got["rows"])
    assert float(got["takeover_s"]) < 5
