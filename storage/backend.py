"""Every SQL store of one application, on one engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.engine import Engine

from bot.domain.clock import Clock
from storage.case_maintenance import SqlCaseMaintenance
from storage.chat_links import SqlChatLinkStore
from storage.delivery_store import SqlDeliveryStore
from storage.operations import SqlOperationsStore
from storage.plan_store import SqlPlanStore
from storage.rate_buckets import SqlRateBuckets
from storage.report_facts import SqlOutcomeSource
from storage.retention import SqlRetentionStore
from storage.uow import SqlUnitOfWork


class SqlBackend:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock)

    @cached_property
    def plan_store(self) -> SqlPlanStore:
        return SqlPlanStore(self.engine)

    @cached_property
    def delivery_store(self) -> SqlDeliveryStore:
        return SqlDeliveryStore(self.engine)

    @cached_property
    def maintenance(self) -> SqlCaseMaintenance:
        return SqlCaseMaintenance(self.engine)

    @cached_property
    def outcome_source(self) -> SqlOutcomeSource:
        return SqlOutcomeSource(self.engine)

    @cached_property
    def operations(self) -> SqlOperationsStore:
        return SqlOperationsStore(self.engine)

    @cached_property
    def chat_links(self) -> SqlChatLinkStore:
        return SqlChatLinkStore(self.engine)

    @cached_property
    def retention(self) -> SqlRetentionStore:
        return SqlRetentionStore(self.engine)

    @cached_property
    def rate_buckets(self) -> SqlRateBuckets:
        return SqlRateBuckets(self.engine)

    def migrate(self) -> str | None:
        """Create or upgrade the schema; returns the revision reached."""
        from storage.migrate import current_revision, upgrade

        upgrade(self.engine)
        return current_revision(self.engine)

    def schema_current(self) -> bool:
        from storage.migrate import current_revision, head_revision

        return current_revision(self.engine) == head_revision()
