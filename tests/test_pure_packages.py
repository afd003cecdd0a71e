"""The pure packages stay pure: no I/O, no clock, no settings, no adapters.

``bot.domain``, ``bot.replies``, ``bot.policy``, ``bot.campaigns`` and
``bot.conversations`` take time, text and configuration as values. Checked two ways:
importing them (and using the parser and templates) in a fresh process writes no file
anywhere it could (the home directory, the working directory, the source tree); and
their source imports nothing that does I/O or belongs to an outer layer, and calls no
clock and no ``open``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ("domain", "replies", "policy", "campaigns", "conversations")
#: each pure package, and the pure packages it may import (the layers below it)
BELOW = {
    "domain": set(),
    "replies": {"domain"},
    "policy": {"replies", "domain"},
    "campaigns": {"policy", "replies", "domain"},
    "conversations": {"policy", "replies", "domain"},
}
FORBIDDEN_MODULES = {
    "sqlalchemy", "sqlmodel", "httpx", "aiohttp", "aiosmtplib", "telegram", "twilio",
    "storage", "channels", "os", "tempfile", "shutil", "socket", "subprocess", "io",
    "logging",
}
FORBIDDEN_BOT = {"bot.settings", "bot.services", "bot.bootstrap", "bot.entrypoints", "bot.sim"}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}
#: the one clock reader: the system clock handed to the application at start-up
#: (bot.bootstrap), never called by pure code itself
ALLOWED = {("bot/domain/clock.py", "now")}


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / "bot" / package).rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("package", PURE)
def test_imports_stay_inside_the_pure_layers(package: str) -> None:
    bad: list[str] = []
    for path in _sources(package):
        for module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            top = module.split(".")[0]
            inner = ".".join(module.split(".")[:2])
            if top in FORBIDDEN_MODULES or inner in FORBIDDEN_BOT or (
                    top == "pathlib" and module != "pathlib"):
                bad.append(f"{path.relative_to(ROOT)}: {module}")
            elif top == "bot" and inner.split(".")[1] not in BELOW[package] | {package}:
                bad.append(f"{path.relative_to(ROOT)}: {module} (a layer above)")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", PURE)
def test_no_clock_no_open_no_environment(package: str) -> None:
    bad: list[str] = []
    for path in _sources(package):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "pathlib":
                names = {a.name for a in node.names}
                if names - {"PurePath", "PurePosixPath", "PureWindowsPath"}:
                    bad.append(f"{rel}:{node.lineno}: pathlib {sorted(names)}")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("open", "input", "print"):
                bad.append(f"{rel}:{node.lineno}: {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS \
                    and (rel, func.attr) not in ALLOWED:
                owner = func.value
                name = owner.attr if isinstance(owner, ast.Attribute) else \
                    owner.id if isinstance(owner, ast.Name) else ""
                if name in ("datetime", "date", "dt", "time"):
                    bad.append(f"{rel}:{node.lineno}: {name}.{func.attr}()")
    assert not bad, "\n".join(bad)


USE_THEM = """
import datetime as dt
import bot.domain.case, bot.policy.engine, bot.campaigns.planner, bot.conversations.dialog
import bot.conversations.template_lint
from bot.campaigns import parse_campaign
from bot.conversations.template_lint import lint_template, sample_contexts
from bot.conversations.template_spec import parse_template
from bot.policy.pressure import PressureLexicon, parse_language_rules
from bot.policy.profiles import PROFILES
from bot.replies.parser import parse_reply

now = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
assert parse_reply("can do 50 fri", now).promises
assert parse_reply("下周五还两千", now).promises
spec = parse_template("id: t\\nlevel: limited\\nlimited:\\n  telegram:\\n    en: Hi\\n")
rules = parse_language_rules("language: en\\nrules:\\n- {id: t, what: t, source: t, "
                             "patterns: [sue]}\\n")
assert lint_template(spec, PROFILES["US-RegF"], pressure=PressureLexicon([rules]),
                     samples=sample_contexts()) is not None
print("ok")
"""


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root``, with its size and modification time."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def test_importing_and_using_them_writes_no_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    before = _tree(ROOT / "bot")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DUEBOT_", "XDG_")) and k != "HOME"}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", USE_THEM], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
    assert _tree(home) == {}
    assert _tree(work) == {}
    assert _tree(ROOT / "bot") == before
