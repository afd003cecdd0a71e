"""The sandbox channel's messages in memory (:class:`bot.services.ports.SandboxStore`)."""

from __future__ import annotations

import builtins
import threading
from datetime import datetime

from bot.domain.clock import ensure_utc
from bot.services.ports import SandboxEntry


class MemorySandboxStore:
    """A :class:`SandboxStore` in a list (tests, ``duebot simulate``, a one-process demo)."""

    def __init__(self) -> None:
        self._entries: builtins.list[SandboxEntry] = []
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def append(self, entry: SandboxEntry) -> None:
        with self._lock:
            if entry.provider_id in self._ids:
                raise ValueError(f"sandbox entry {entry.provider_id} is already stored")
            self._ids.add(entry.provider_id)
            self._entries.append(entry)

    def list(
        self, address: str | None = None, since: datetime | None = None
    ) -> builtins.list[SandboxEntry]:
        with self._lock:
            entries = builtins.list(self._entries)
        if address is not None:
            entries = [e for e in entries if e.address == address]
        if since is not None:
            cutoff = ensure_utc(since)
            entries = [e for e in entries if e.at >= cutoff]
        return sorted(entries, key=lambda e: e.at)
