"""Send rates shared by every worker process, in one small table
(:class:`bot.services.ports.RateBuckets`).

Each bucket is one row: ``next_at``, when its next send may go (seconds since the epoch).
Taking a slot is one ``UPDATE ... RETURNING`` (a row lock on PostgreSQL, the write lock
on SQLite, so two workers never get the same slot)::

    next_at = max(next_at, now - (burst - 1) * interval) + interval

and the caller waits ``next_at - interval - now`` seconds (0 when that is past). A bucket
is created full on its first take (``INSERT ... ON CONFLICT DO NOTHING``; the loser of
that race takes with the update). Each take commits at once, on its own connection: no
other transaction holds the row while a worker waits for its slot.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select, update
from sqlalchemy.engine import Connection, Engine

from storage.db import upsert
from storage.tables.operations import RateBucketRow

B = RateBucketRow.__table__  # type: ignore[attr-defined]


class SqlRateBuckets:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(self, key: str, interval: float, burst: int, now: float) -> float:
        if not interval > 0 or burst < 1:
            raise ValueError("a rate bucket needs a positive interval and a burst of 1 or more")
        floor = now - (burst - 1) * interval
        with self.engine.begin() as conn:
            for _ in range(3):
                slot = self._take(conn, key, interval, floor)
                if slot is None:
                    slot = self._create(conn, key, interval, floor)
                if slot is not None:
                    return max(0.0, slot - now)
        raise RuntimeError(f"rate bucket {key!r} could be neither created nor updated")

    @staticmethod
    def _take(conn: Connection, key: str, interval: float, floor: float) -> float | None:
        greatest = func.greatest if conn.dialect.name == "postgresql" else func.max
        next_at = conn.execute(
            update(B).where(B.c.key == key)
            .values(next_at=greatest(B.c.next_at, literal(floor)) + interval)
            .returning(B.c.next_at)).scalar_one_or_none()
        return None if next_at is None else float(next_at) - interval

    @staticmethod
    def _create(conn: Connection, key: str, interval: float, floor: float) -> float | None:
        created = conn.execute(
            upsert(conn, B).values(key=key, next_at=floor + interval)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(B.c.next_at)).scalar_one_or_none()
        return None if created is None else float(created) - interval

    def peek(self, key: str) -> float | None:
        """When the next send through ``key`` may go (tests, diagnostics)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(B.c.next_at).where(B.c.key == key)).scalar_one_or_none()
        return None if value is None else float(value)
