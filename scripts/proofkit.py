"""What the proof scripts share: a throw-away database, the web app on a real port, the
summary line.

The proofs run small inside the test suite (``tests/scripts``) and full size from the
command line; each ends with one ``NAME: key=value ...`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://root@127.0.0.1:5432/test"


@contextlib.contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """A new, migrated database: a SQLite file in a temporary directory when ``url`` is
    None or a ``sqlite`` URL, else a database created on the PostgreSQL server that ``url``
    names (its own database is only used to connect) and dropped afterwards."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="duebot-proof-"))
    admin = None
    name = ""
    try:
        if url is None or make_url(url).get_backend_name() == "sqlite":
            db_url = f"sqlite:///{workdir / 'proof.db'}"
        else:
            admin_url = make_url(url)
            admin = make_engine(admin_url.render_as_string(hide_password=False),
                                isolation_level="AUTOCOMMIT")
            name = f"duebot_proof_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            db_url = admin_url.set(database=name).render_as_string(hide_password=False)
        engine = make_engine(db_url)
        upgrade(engine)
        engine.dispose()
        yield db_url
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: Any, port: int) -> AsyncIterator[None]:
    """``app`` under uvicorn on 127.0.0.1:``port`` (HTTP/1.1, keep-alive), on this loop,
    configured as ``duebot serve`` configures it."""
    from bot.entrypoints.runners import uvicorn_server

    server = uvicorn_server(app, "127.0.0.1", port)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def summary(name: str, **values: object) -> str:
    """The machine-readable last line: ``name: key=value ...``."""
    return f"{name}: " + " ".join(f"{k}={v}" for k, v in values.items())
