"""The schema check without Alembic (``storage/schema_version.py``) agrees with Alembic on
both backends: the head of the migration files, an empty database, a current one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from storage import migrate, schema_version
from storage.db import make_engine


def test_the_head_is_alembics() -> None:
    assert schema_version.head_revision() == migrate.head_revision()


def test_a_migrated_database_is_current(engine: Engine) -> None:
    assert schema_version.current_revision(engine) == migrate.current_revision(engine)
    assert schema_version.schema_current(engine)


def test_an_empty_database_is_not_current(tmp_path: Path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert schema_version.current_revision(empty) is None
    assert not schema_version.schema_current(empty)
    empty.dispose()


def test_migration_files_that_fork_are_refused(tmp_path: Path) -> None:
    for name, revision, down in (("a", "0001", None), ("b", "0002", "0001"),
                                 ("c", "0003", "0001")):
        (tmp_path / f"{name}.py").write_text(
            f"revision = '{revision}'\ndown_revision = {down and repr(down)}\n")
    with pytest.raises(RuntimeError, match="2 heads"):
        schema_version.head_revision(tmp_path)
