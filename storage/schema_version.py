"""Is the database at the latest schema revision? Answered without Alembic (whose import
alone costs a command line start a fifth of a second): the revision the database records
in ``alembic_version``, and the head read from the migration files' ``revision`` and
``down_revision`` lines. :mod:`storage.migrate` does the migrating, with Alembic."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.M)


@functools.cache
def head_revision(versions: Path = VERSIONS) -> str:
    """The one revision no other migration revises (the files form one chain)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down is not None and down.group(1):
            revised.add(down.group(1))
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations in {versions} have {len(heads)} heads, not one")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError) as exc:
            orig = getattr(exc, "orig", None)
            if getattr(orig, "sqlstate", None) == "42P01" or \
                    str(orig or exc).startswith("no such table"):
                return None
            raise


def schema_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
