"""Every in-memory store of one application, on one database."""

from __future__ import annotations

from functools import cached_property

from bot.domain.clock import Clock
from storage.memory.chat_links import MemoryChatLinkStore
from storage.memory.database import MemoryDatabase
from storage.memory.rate_buckets import MemoryRateBuckets
from storage.memory.retention import MemoryRetentionStore
from storage.memory.stores import (
    MemoryCaseMaintenance,
    MemoryDeliveryStore,
    MemoryOperationsStore,
    MemoryOutcomeSource,
    MemoryPlanStore,
)
from storage.memory.uow import MemoryUnitOfWork


class MemoryBackend:
    """The in-memory twin of :class:`storage.backend.SqlBackend`."""

    def __init__(self, clock: Clock, db: MemoryDatabase | None = None) -> None:
        self.clock = clock
        self.db = db or MemoryDatabase()

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.db, self.clock)

    @cached_property
    def plan_store(self) -> MemoryPlanStore:
        return MemoryPlanStore(self.db)

    @cached_property
    def delivery_store(self) -> MemoryDeliveryStore:
        return MemoryDeliveryStore(self.db)

    @cached_property
    def maintenance(self) -> MemoryCaseMaintenance:
        return MemoryCaseMaintenance(self.db)

    @cached_property
    def outcome_source(self) -> MemoryOutcomeSource:
        return MemoryOutcomeSource(self.db)

    @cached_property
    def operations(self) -> MemoryOperationsStore:
        return MemoryOperationsStore(self.db)

    @cached_property
    def chat_links(self) -> MemoryChatLinkStore:
        return MemoryChatLinkStore()

    @cached_property
    def retention(self) -> MemoryRetentionStore:
        return MemoryRetentionStore(self.db, self.chat_links)

    @cached_property
    def rate_buckets(self) -> MemoryRateBuckets:
        return MemoryRateBuckets()

    def migrate(self) -> str | None:
        return None

    def schema_current(self) -> bool:
        return True

    def preload(self) -> None:
        """Nothing to import ahead (see ``SqlBackend.preload``)."""
