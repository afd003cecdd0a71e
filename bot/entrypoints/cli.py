"""The ``duebot`` command line.

``main()`` is the console-script entry point. ``duebot parse`` is a hot path (it is
benchmarked including process start), so it is dispatched before Typer and the
rest of the application are imported.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["parse"] and not ({"-h", "--help"} & set(args[1:])):
        from bot.replies.jsonl import run

        raise SystemExit(run(sys.stdin, sys.stdout))
    from bot.entrypoints.cli_app import app

    app(args=args, prog_name="duebot")


if __name__ == "__main__":  # pragma: no cover
    main()
