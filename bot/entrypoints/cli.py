"""The ``duebot`` command line.

``main()`` is the console-script entry point. ``duebot parse`` is a hot path (it is
benchmarked including process start), so it is dispatched before Typer and the rest of
the application are imported; any other command imports and builds only the commands of
its own module (:func:`bot.entrypoints.cli_app.application`). Every command starts with
the regex programs cached by earlier runs (:mod:`bot.entrypoints.regex_cache`) and
stores them when some were compiled afresh. ``duebot parse`` hands the parser the
shipped learned model (:mod:`storage.intent_model_file`).
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
        from storage.intent_model_file import load_intent_model

        regex_cache.save(cache)
        raise SystemExit(run(sys.stdin, sys.stdout, load_intent_model()))
    try:
        from bot.entrypoints.cli_app import application

        application(args)(args=args, prog_name="duebot")
    finally:
        regex_cache.save(cache)


if __name__ == "__main__":  # pragma: no cover
    main()
