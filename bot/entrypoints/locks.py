"""One process per role and database (``worker`` on SQLite, the scheduler's and the
receivers' leadership): :class:`SingletonLock`. Apart from :mod:`bot.entrypoints.runners`
(which re-exports it) so a one-shot command that sends (``duebot sandbox reply
--send-now``) takes the worker's lock without importing the scheduler and the web
server."""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


class RunnerError(RuntimeError):
    """A runner cannot start (another scheduler holds the lock, no campaigns...)."""


class SingletonLock:
    """"Only one of these per database": a lock file beside a SQLite database, a session
    advisory lock on PostgreSQL (on a connection of its own). Released on
    :meth:`release` or when the process (or its database session) ends."""

    def __init__(self, engine: Engine, role: str) -> None:
        self.engine = engine
        self.role = role
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "sqlite":
            db = self.engine.url.database
            if not db or db == ":memory:":
                return True
            path = Path(f"{db}.{self.role}.lock")
            f = path.open("a+")
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                return False
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
            self._file = f
            return True
        conn = self.engine.connect()
        try:
            # the server notices a leader whose host vanished (no FIN) within ~30 s and
            # frees the lock; a process that dies is noticed at once (its socket closes)
            conn.execute(text("SET tcp_keepalives_idle = 10"))
            conn.execute(text("SET tcp_keepalives_interval = 5"))
            conn.execute(text("SET tcp_keepalives_count = 3"))
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": self._key}).scalar())
            conn.commit()
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        """Whether the lock is still ours: on PostgreSQL, whether its session still
        answers and holds it (False when the session was closed or killed)."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            count = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid = 0 AND objid = CAST(:k AS oid) "
                "AND objsubid = 1"), {"k": self._key}).scalar()
            self._conn.commit()
        except Exception:
            return False
        return bool(count)

    @property
    def _key(self) -> int:
        return zlib.crc32(f"duebot:{self.role}".encode())

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        conn, self._conn = self._conn, None
        if conn is not None:
            # the pool keeps the session open: unlock explicitly (a crash ends the session)
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                conn.commit()
            except Exception:  # the session is gone, and the lock with it
                conn.invalidate()
            conn.close()


@contextlib.contextmanager
def singleton(engine: Engine, role: str, what: str) -> Iterator[None]:
    lock = SingletonLock(engine, role)
    if not lock.acquire():
        raise RunnerError(f"another {what} is already running on this database")
    try:
        yield
    finally:
        lock.release()
