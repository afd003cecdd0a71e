"""``duebot`` as a real process: the console script, exit codes, stdout/stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest


def _command() -> list[str]:
    """The console script of this interpreter's environment (not whichever is on PATH)."""
    script = Path(sys.executable).parent / "duebot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from bot.entrypoints.cli import main; main()"]


@pytest.fixture
def duebot(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update(DUEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.db'}", DUEBOT_DEFAULT_REGION="GB",
               COLUMNS="200")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_command(), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60, check=False)

    return run


def test_end_to_end(duebot, tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    due = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
    book.write_text("account_id,name,balance,currency,due_date,phone\n"
                    f"ACC-9,Sam Sample,12.5,GBP,{due},07400 123456\n", encoding="utf-8")

    early = duebot("import", "cases", str(book))
    assert early.returncode == 1 and "duebot db upgrade" in early.stderr
    assert "Traceback" not in early.stderr

    assert duebot("db", "upgrade").returncode == 0
    imported = duebot("import", "cases", str(book))
    assert imported.returncode == 0, imported.stderr
    assert "1 cases created" in imported.stdout

    shown = duebot("cases", "show", "--account", "ACC-9", "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["balance"] == "12.50" and view["timezone"] == "Europe/London"
    assert view["contact_points"][0]["address"] == "+447****3456"
    assert "7400123456" not in shown.stdout

    missing = duebot("import", "payments", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
