"""``scripts/proof_crash.py``, small: real ``duebot worker`` processes killed with SIGKILL
while they send to an SMTP server in another process; nothing is lost and at most the
messages in flight are repeated (full size: README, "Delivery guarantee")."""

from __future__ import annotations

import pytest

from tests.scripts.proofs import last_line, load

proof = load("proof_crash")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, str]:
    code = proof.main(["--lease", "3", "--timeout", "120", *argv])
    got = last_line(capsys.readouterr().out, "proof_crash")
    assert code == 0, got
    return got


def test_sqlite_one_worker_sending_one_at_a_time(capsys: pytest.CaptureFixture[str]) -> None:
    got = run(capsys, "--emails", "300", "--kills", "2", "--concurrency", "1")
    assert (got["backend"], got["lost"], got["ok"]) == ("sqlite", "0", "1")
    assert int(got["duplicates"]) <= 2 and got["kills"] == "2"


@pytest.mark.postgres
def test_postgresql_two_workers_killed_in_turn(capsys: pytest.CaptureFixture[str],
                                              pg_database: str) -> None:
    got = run(capsys, "--emails", "400", "--kills", "2", "--workers", "2", "--db", pg_database)
    assert (got["backend"], got["lost"], got["ok"]) == ("postgresql", "0", "1")
    assert int(got["duplicates"]) <= 2 * 8


@pytest.mark.postgres
def test_postgresql_two_workers_without_kills_send_each_once(
        capsys: pytest.CaptureFixture[str], pg_database: str) -> None:
    got = run(capsys, "--emails", "300", "--kills", "0", "--workers", "2", "--db", pg_database)
    assert (got["lost"], got["duplicates"], got["ok"]) == ("0", "0", "1")
