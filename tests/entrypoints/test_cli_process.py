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


def test_each_command_is_mounted_from_the_module_that_adds_it() -> None:
    """``application(args)`` mounts only the module of the command named first
    (``cli_app.MODULES``): what each module's ``register`` adds is what the table says,
    and the full application has exactly those commands besides its own."""
    import importlib

    import typer.main

    from bot.entrypoints.cli_app import MODULES, _typer, app

    for module, names in MODULES.items():
        bare = _typer("only this module")
        importlib.import_module(module).register(bare)
        added = [c.name or "" for c in bare.registered_commands] + \
            [g.name or "" for g in bare.registered_groups]
        assert sorted(added) == sorted(names), module
    everything = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    listed = {n for names in MODULES.values() for n in names}
    assert listed <= everything and everything - listed == {"db", "import", "parse"}


def test_a_command_imports_what_it_needs_only(tmp_path: Path) -> None:
    """``duebot cases list`` and ``queue list`` import neither the other commands'
    modules nor what they do not use (the reason its start is measured: scripts/bench_cli.py);
    they read through the DB-API (storage/dbapi_read.py): no SQLAlchemy, no SQLModel."""
    code = ("import sys\nfrom bot.entrypoints.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update(DUEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}", COLUMNS="200",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))  # this checkout's code
    subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", "db", "upgrade"],
                   cwd=tmp_path, env=env, timeout=60, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", code, "cases", "list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    modules = set(done.stdout.split())
    assert "bot.entrypoints.cli_cases" in modules and "0 cases" in done.stdout, done.stderr
    unused = {"bot.entrypoints.cli_runtime", "bot.entrypoints.cli_users",
              "bot.entrypoints.cli_templates", "bot.entrypoints.runners",
              "storage.conversations", "storage.case_import", "alembic",
              "sqlalchemy", "sqlmodel", "jinja2", "holidays"}
    assert not unused & modules
    # the queue goes through the desk: still no planner, templates, dialog or calendars
    done = subprocess.run([sys.executable, "-c", code, "queue", "list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    modules = set(done.stdout.split())
    assert "bot.services.desk" in modules and "0 open item(s)" in done.stdout, done.stderr
    assert not {"bot.services.planning", "bot.conversations.template_store",
                "bot.conversations.dialog", *unused} & modules
