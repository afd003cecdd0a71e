"""One contract suite for every storage backend: in memory, SQLite and PostgreSQL.

The ``backend`` fixture gives a fresh, empty store of each kind; the tests use only the
ports (``bot/services/ports.py``), so each holds for every implementation, as
APScheduler's tests parametrise its data stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.clock import FixedClock
from storage.backend import SqlBackend
from storage.memory.backend import MemoryBackend


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryBackend(clock)
        return
    if request.param == "sqlite":
        engine = request.getfixturevalue("sqlite_engine")
    else:
        from storage.db import make_engine
        from tests.conftest import _truncate_all

        engine = make_engine(request.getfixturevalue("pg_database"))
        _truncate_all(engine)
    try:
        yield SqlBackend(engine, clock)
    finally:
        engine.dispose()
