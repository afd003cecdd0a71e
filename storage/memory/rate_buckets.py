"""Shared send rates in memory: the twin of :mod:`storage.rate_buckets` (one process)."""

from __future__ import annotations

import threading


class MemoryRateBuckets:
    def __init__(self) -> None:
        self._next_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, interval: float, burst: int, now: float) -> float:
        if not interval > 0 or burst < 1:
            raise ValueError("a rate bucket needs a positive interval and a burst of 1 or more")
        floor = now - (burst - 1) * interval
        with self._lock:
            slot = max(self._next_at.get(key, floor), floor)
            self._next_at[key] = slot + interval
        return max(0.0, slot - now)

    def peek(self, key: str) -> float | None:
        return self._next_at.get(key)
