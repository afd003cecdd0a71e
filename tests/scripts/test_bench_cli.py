"""Every ``duebot`` command's start, timed and reported (not asserted: the machine is
shared): ``scripts/bench_cli.py`` once over the database commands and every command's
``--help``. What is checked: each of them starts and exits 0, and the summary line."""

from __future__ import annotations

import bench_cli
import pytest

from tests.scripts.proofs import last_line


@pytest.mark.slow
def test_every_command_starts_and_its_time_is_reported(
        capsys: pytest.CaptureFixture[str]) -> None:
    medians = bench_cli.main(["--runs", "1", "--all"])
    output = capsys.readouterr().out
    summary = last_line(output, "bench_cli")
    names = {f"{name}_s" for name, _ in bench_cli.COMMANDS}
    assert names <= set(medians) and names <= set(summary)
    helps = [k for k in medians if k.startswith("help_")]
    assert len(helps) > 40  # every command and group of the application
    with capsys.disabled():  # the report
        print("\nduebot command start, seconds (one run each; machine load "
              f"{summary['load']}):")
        for name, seconds in sorted(medians.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<40} {seconds:5.2f}")
