"""The regex program cache of the ``duebot`` entry point: where it lives, and that any
failure only costs time (the answers are the same, nothing breaks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.entrypoints import regex_cache
from bot.replies import regex_programs

pytestmark = pytest.mark.skipif(regex_programs.PROGRAM_TAG is None,
                                reason="this interpreter cannot reuse regex programs")

LINE = json.dumps({"text": "can do 50 fri", "now": "2026-11-25T14:05:00-05:00"}) + "\n"
ANSWER = {"intent": "promise_to_pay", "opt_out": False, "opt_out_scope": [], "deceased": False,
          "promises": [{"amount": "50.00", "date": "2026-11-27"}], "recurrence": None,
          "needs_human": False, "lang": "en"}


def test_the_cache_directory_follows_the_environment(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    assert regex_cache.cache_dir({"HOME": home}) == os.path.join(home, ".cache", "duebot")
    assert regex_cache.cache_dir({"HOME": home, "XDG_CACHE_HOME": "/var/cache/me"}) \
        == "/var/cache/me/duebot"
    # a relative XDG_CACHE_HOME is invalid (XDG base directory spec): ignored
    assert regex_cache.cache_dir({"HOME": home, "XDG_CACHE_HOME": "rel/cache"}) \
        == os.path.join(home, ".cache", "duebot")
    assert regex_cache.cache_dir({"HOME": home, "XDG_CACHE_HOME": "/x",
                                  "DUEBOT_CACHE_DIR": "/srv/duebot-cache"}) \
        == "/srv/duebot-cache"
    assert regex_cache.cache_dir({}) is None  # no home: no cache, just compile


def _parse(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("DUEBOT_CACHE_DIR", "XDG_CACHE_HOME", "HOME")}
    return subprocess.run(
        [sys.executable, "-c", "from bot.entrypoints.cli import main; main(['parse'])"],
        input=LINE.encode(), capture_output=True, check=False, timeout=60, cwd=cwd,
        env={**base, **env})


def _answered(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert proc.returncode == 0, proc.stderr.decode()
    answer = json.loads(proc.stdout)
    assert 0.5 <= answer.pop("confidence") <= 1.0  # the rules' and the model's
    assert answer == ANSWER
    assert proc.stderr == b""


def test_parse_writes_the_cache_once_then_reads_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _answered(_parse({"DUEBOT_CACHE_DIR": str(cache)}, tmp_path))
    (path,) = cache.iterdir()
    assert path.name == f"regex-{regex_programs.PROGRAM_TAG}.marshal"
    assert regex_programs.load_programs(path.read_bytes())
    os.utime(path, (1_000_000_000, 1_000_000_000))

    _answered(_parse({"DUEBOT_CACHE_DIR": str(cache)}, tmp_path))
    # every program came from the file: nothing compiled afresh, nothing rewritten
    assert path.stat().st_mtime == 1_000_000_000
    assert [p.name for p in cache.iterdir()] == [path.name]


def test_the_default_directory_is_under_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _answered(_parse({"HOME": str(home)}, tmp_path))
    assert [p.name for p in (home / ".cache" / "duebot").iterdir()] == \
        [f"regex-{regex_programs.PROGRAM_TAG}.marshal"]
    xdg = tmp_path / "xdg"
    _answered(_parse({"HOME": str(home), "XDG_CACHE_HOME": str(xdg)}, tmp_path))
    assert (xdg / "duebot" / f"regex-{regex_programs.PROGRAM_TAG}.marshal").is_file()


def test_an_unwritable_cache_directory_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    # a directory cannot be made under a file, whoever runs the test (root included)
    _answered(_parse({"DUEBOT_CACHE_DIR": str(blocker / "cache")}, tmp_path))
    assert blocker.read_text(encoding="utf-8") == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_corrupt_cache_file_is_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / f"regex-{regex_programs.PROGRAM_TAG}.marshal"
    path.write_bytes(b"\x00garbage")
    _answered(_parse({"DUEBOT_CACHE_DIR": str(cache)}, tmp_path))
    assert regex_programs.load_programs(path.read_bytes())
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left


def test_load_and_save_report_what_they_did(tmp_path: Path) -> None:
    assert regex_cache.load(None) is False
    assert regex_cache.save(None) is False
    assert regex_cache.load(str(tmp_path / "missing")) is False
    regex_programs.rx(f"fresh-{tmp_path.name}")  # something new to save
    assert regex_cache.save(str(tmp_path / "new"))
    assert regex_cache.save(str(tmp_path / "new")) is False  # nothing new since
    assert regex_cache.load(str(tmp_path / "new"))
