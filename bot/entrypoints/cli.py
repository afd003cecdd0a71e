"""The ``duebot`` command line.

``main()`` is the console-script entry point. ``duebot parse`` is a hot path (it is
benchmarked including process start), so it is dispatched before Typer and the rest of
the application are imported. Every command starts with the regex programs cached by
earlier runs (:mod:`bot.entrypoints.regex_cache`) and stores them when some were
compiled afresh.
"""

from __future__ import annotations

import sys

from bot.entrypoints import regex_cache


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    cache = regex_cache.cache_dir()
    regex_cache.load(cache)
    if args[:1] == ["parse"] and not ({"-h", "--help"} & set(args[1:])):
        from bot.entrypoints.parse_jsonl import run

        regex_cache.save(cache)
        raise SystemExit(run(sys.stdin, sys.stdout))
    try:
        from bot.entrypoints.cli_app import app

        app(args=args, prog_name="duebot")
    finally:
        regex_cache.save(cache)


if __name__ == "__main__":  # pragma: no cover
    main()
