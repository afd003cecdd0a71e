"""An in-memory database for the in-memory adapters: tables as dicts, one lock.

Every table is a dict. Writes go through :meth:`MemoryDatabase.put` and
:meth:`MemoryDatabase.delete`, which remember what they replaced while a transaction is
open, so a unit of work that does not commit leaves no trace. Transactions are
serialised by one re-entrant lock (like SQLite's single writer): a unit of work holds it
from ``__enter__`` to ``__exit__``, and the set-based stores take it per call.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_MISSING = object()

#: the tables and what they are keyed by
TABLES = (
    "customers",  # id -> Customer
    "customer_refs",  # external ref -> customer id
    "contacts",  # customer id -> tuple[ContactPoint, ...]
    "cases",  # id -> (Case without contacts and events, version)
    "accounts",  # account id -> case id
    "messages",  # id -> StoredMessage
    "message_keys",  # idempotency key -> message id
    "provider_ids",  # (channel, provider id) -> message id
    "work_items",  # id -> WorkItem
    "conversations",  # case id -> (Conversation, locked_at)
    "decisions",  # id -> DecisionRecord
    "decision_keys",  # key -> decision id
    "events",  # id -> (case id, EventRecord)
    "inbound_keys",  # key -> first seen at
    "users",  # username -> UserRecord
    "sessions",  # token hash -> SessionRecord
    "login_failures",  # id -> (key, at)
    "audit",  # id -> AuditRecord
    "campaign_versions",  # id -> CampaignVersion
    "sandbox",  # provider id -> SandboxEntry
    "link_tokens",  # token -> LinkToken
    "chat_locks",  # chat id -> True
    "chat_links",  # chat id -> tuple of case refs
    "anonymised",  # case id -> when the retention purge anonymised it
    "job_runs",  # job -> (started at, finished at)
)


class MemoryDatabase:
    """The state every in-memory adapter of one application shares."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in TABLES}
        self._ids: dict[str, Iterator[int]] = {}
        # one undo log per open transaction (innermost last): units of work may open
        # inside one another (each its own transaction), as sessions do
        self._stack: list[list[tuple[str, Any, Any]]] = []

    @property
    def _undo(self) -> list[tuple[str, Any, Any]] | None:
        return self._stack[-1] if self._stack else None

    def next_id(self, sequence: str) -> int:
        """The next id of a sequence (never reused, even after a rollback)."""
        with self.lock:
            return next(self._ids.setdefault(sequence, itertools.count(1)))

    def __getitem__(self, table: str) -> dict[Any, Any]:
        return self.tables[table]

    def put(self, table: str, key: Any, value: Any) -> None:
        rows = self.tables[table]
        if self._undo is not None:
            self._undo.append((table, key, rows.get(key, _MISSING)))
        rows[key] = value

    def delete(self, table: str, key: Any) -> None:
        rows = self.tables[table]
        if key in rows:
            if self._undo is not None:
                self._undo.append((table, key, rows[key]))
            del rows[key]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing writes in a transaction of their own; holds the lock."""
        self.begin()
        try:
            yield
            self.commit()
        finally:
            self.end()

    def begin(self) -> None:
        """Open a transaction held until :meth:`end` (units of work)."""
        self.lock.acquire()
        self._stack.append([])

    def commit(self) -> None:
        """Keep what was written so far; the transaction goes on (as a session's does)."""
        self._stack[-1] = []

    def end(self) -> None:
        """Roll back what was not committed and release the lock."""
        try:
            self.rollback_to(0)
            self._stack.pop()
        finally:
            self.lock.release()

    def savepoint(self) -> int:
        assert self._undo is not None
        return len(self._undo)

    def rollback_to(self, savepoint: int) -> None:
        undo = self._undo
        assert undo is not None
        while len(undo) > savepoint:
            table, key, old = undo.pop()
            if old is _MISSING:
                self.tables[table].pop(key, None)
            else:
                self.tables[table][key] = old
