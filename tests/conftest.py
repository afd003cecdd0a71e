"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a fixed clock.

Storage tests take the ``engine`` fixture and run once per backend. PostgreSQL tests
skip with a visible reason when no server answers at ``DUEBOT_TEST_PG_URL`` (default
``postgresql+psycopg://root@127.0.0.1:5432/test``) unless ``DUEBOT_REQUIRE_POSTGRES=1``
(set by ``.ci/run``), in which case they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import hypothesis  # noqa: F401  # see below
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bot.domain.clock import FixedClock
from storage.db import make_engine
from storage.migrate import upgrade

# Hypothesis is imported here, at a shallow stack: otherwise its pytest plugin imports it
# in the terminal summary, where CPython 3.11.7's ast.parse (under pytest's assertion
# rewriting) fails with "AST constructor recursion depth mismatch" when a run selected no
# test that uses it.

PG_URL = os.environ.get("DUEBOT_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("DUEBOT_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throw-away database on the PostgreSQL server, migrated once per session."""
    admin_url = make_url(PG_URL)
    try:
        admin = make_engine(admin_url.render_as_string(hide_password=False),
                            isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but not reachable at {admin_url!r}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url!r}: {type(exc).__name__}")
    name = f"duebot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "duebot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(request.getfixturevalue("pg_database"))
        _truncate_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "duebot.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database (skips without a server, as ``engine``)."""
    eng = make_engine(request.getfixturevalue("pg_database"))
    _truncate_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()
