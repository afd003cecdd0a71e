#!/usr/bin/env python
"""Benchmark: how long ``duebot`` commands take from process start to exit.

A fresh SQLite database in a temporary directory gets the schema and one case; then each
command runs ``--runs`` times (default 5) as a new process, as an operator types it, and
the median wall time is printed. Two baselines run the same number of times in the same
run: a bare ``python -c pass`` (the interpreter's start) and a process that only imports
the libraries every database command needs (SQLAlchemy's ORM, SQLModel, Typer, Rich,
pydantic-settings): what no change to duebot's own code can go below. Nothing is
asserted. ``--all`` adds every command's ``--help`` (each command's start).
``--compare DIR`` also runs the same commands, interleaved run by run, with another
checkout of duebot (e.g. the main branch's worktree, on a database of its own): the
before and after of a change in one run, as ``before_*`` keys. Each tree's bytecode is
written once (under the temporary directory) and read by every run, as an installed
duebot's is, even where ``PYTHONDONTWRITEBYTECODE`` is set.

Last line::

    bench_cli: help_s=... cases_list_s=... cases_show_s=... sandbox_reply_s=... ...

Usage: ``python scripts/bench_cli.py [--runs 5] [--all] [--compare /work/main]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "ACC00000001"
CSV = ("account_id,name,balance,currency,due_date,phone,email\n"
       f"{ACCOUNT},Ann Example,120.00,USD,2026-10-01,+14155550100,ann@example.com\n")
LIBRARIES = "import sqlalchemy.orm, sqlmodel, typer, rich.console, rich.table, pydantic_settings"

#: (name in the summary, arguments)
COMMANDS: list[tuple[str, list[str]]] = [
    ("help", ["--help"]),
    ("cases_list", ["cases", "list"]),
    ("cases_show", ["cases", "show", "--account", ACCOUNT]),
    ("queue", ["queue", "list"]),
    ("report", ["report"]),
    ("sandbox_reply", ["sandbox", "reply", "can do 50 on friday", "--account", ACCOUNT,
                       "--send-now"]),
]


def environment(workdir: Path, root: Path = ROOT) -> dict[str, str]:
    """The commands' environment: the settings for ``workdir``'s database, and bytecode
    written and read as an installed duebot's is (under ``workdir``, so no checkout gets
    ``__pycache__`` directories), whatever ``PYTHONDONTWRITEBYTECODE`` says here: else
    every run would compile duebot's modules from source while the libraries' come
    compiled, and the gap to the libraries' baseline would be the compiler's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DUEBOT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
        "PYTHONPATH": str(root),
        "DUEBOT_DATABASE_URL": f"sqlite:///{workdir / 'cli.db'}",
        "DUEBOT_CACHE_DIR": str(workdir / "cache"),
        "DUEBOT_CAMPAIGN_DIR": str(root / "campaigns"),
        "COLUMNS": "200",
    })
    return env


def duebot(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "bot.entrypoints.cli", *args]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[3:])} exited {done.returncode}: "
                           f"{done.stderr[-800:]}")
    return elapsed


def every_command_help() -> list[tuple[str, list[str]]]:
    """``--help`` of every command and group of the ``duebot`` application."""
    import typer.main

    from bot.entrypoints.cli_app import app

    found: list[tuple[str, list[str]]] = []

    def walk(group: object, path: list[str]) -> None:
        for name, command in sorted(getattr(group, "commands", {}).items()):
            here = [*path, name]
            found.append(("help_" + "_".join(here).replace("-", "_"), [*here, "--help"]))
            walk(command, here)

    walk(typer.main.get_command(app), [])
    return found


def prepare(workdir: Path, env: dict[str, str]) -> None:
    (workdir / "book.csv").write_text(CSV, encoding="utf-8")
    root = Path(env["PYTHONPATH"])
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    *(str(root / p) for p in ("bot", "channels", "storage"))],
                   env=env, cwd=workdir, capture_output=True, timeout=300, check=True)
    for args in (["db", "upgrade"], ["import", "cases", "book.csv"]):
        timed(duebot(args), env, workdir)
    # one run of each command (and of the libraries' baseline) first: the bytecode and
    # regex caches are written once
    timed([sys.executable, "-c", LIBRARIES], env, workdir)
    for _, args in COMMANDS:
        timed(duebot(args), env, workdir)


def measure(runs: int, commands: list[tuple[str, list[str]]], workdir: Path,
            env: dict[str, str], before: tuple[Path, dict[str, str]] | None = None
            ) -> dict[str, float]:
    medians: dict[str, float] = {}
    baselines = [("python_s", [sys.executable, "-c", "pass"]),
                 ("libraries_s", [sys.executable, "-c", LIBRARIES])]
    for name, command in baselines:
        medians[name] = statistics.median(timed(command, env, workdir) for _ in range(runs))
    for name, args in commands:
        now: list[float] = []
        then: list[float] = []
        for _ in range(runs):  # interleaved: both see the same machine load
            now.append(timed(duebot(args), env, workdir))
            if before is not None:
                then.append(timed(duebot(args), before[1], before[0]))
        medians[f"{name}_s"] = statistics.median(now)
        if then:
            medians[f"before_{name}_s"] = statistics.median(then)
    return medians


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--all", action="store_true", help="also every command's --help")
    p.add_argument("--compare", type=Path, help="another duebot checkout to time too")
    args = p.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="duebot-cli-"))
    try:
        env = environment(workdir)
        prepare(workdir, env)
        before = None
        if args.compare is not None:
            other = workdir / "before"
            other.mkdir()
            before = (other, environment(other, args.compare.resolve()))
            prepare(other, before[1])
        commands = COMMANDS + (every_command_help() if args.all else [])
        medians = measure(args.runs, commands, workdir, env, before)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    width = max(len(k) for k in medians)
    for name, seconds in medians.items():
        print(f"{name:<{width}}  {seconds:6.2f} s", flush=True)
    load = os.getloadavg()[0]
    print("bench_cli: " + " ".join(f"{k}={v:.2f}" for k, v in medians.items())
          + f" runs={args.runs} load={load:.2f}", flush=True)
    return medians


if __name__ == "__main__":
    main()
