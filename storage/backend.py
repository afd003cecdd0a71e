"""Every SQL store of one application, on one engine (SQLite or PostgreSQL).

Each store's module is imported when the store is first asked for: a command line that
reads a case through the unit of work does not import the planning tick's or the
workers' stores."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.domain.clock import Clock

if TYPE_CHECKING:
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
        from storage.uow import SqlUnitOfWork

        return SqlUnitOfWork(self.engine, self.clock)

    @cached_property
    def plan_store(self) -> SqlPlanStore:
        from storage.plan_store import SqlPlanStore

        return SqlPlanStore(self.engine)

    @cached_property
    def delivery_store(self) -> SqlDeliveryStore:
        from storage.delivery_store import SqlDeliveryStore

        return SqlDeliveryStore(self.engine)

    @cached_property
    def maintenance(self) -> SqlCaseMaintenance:
        from storage.case_maintenance import SqlCaseMaintenance

        return SqlCaseMaintenance(self.engine)

    @cached_property
    def outcome_source(self) -> SqlOutcomeSource:
        from storage.report_facts import SqlOutcomeSource

        return SqlOutcomeSource(self.engine)

    @cached_property
    def operations(self) -> SqlOperationsStore:
        from storage.operations import SqlOperationsStore

        return SqlOperationsStore(self.engine)

    @cached_property
    def chat_links(self) -> SqlChatLinkStore:
        from storage.chat_links import SqlChatLinkStore

        return SqlChatLinkStore(self.engine)

    @cached_property
    def retention(self) -> SqlRetentionStore:
        from storage.retention import SqlRetentionStore

        return SqlRetentionStore(self.engine)

    @cached_property
    def rate_buckets(self) -> SqlRateBuckets:
        from storage.rate_buckets import SqlRateBuckets

        return SqlRateBuckets(self.engine)

    def migrate(self) -> str | None:
        """Create or upgrade the schema; returns the revision reached."""
        from storage.migrate import current_revision, upgrade

        upgrade(self.engine)
        return current_revision(self.engine)

    def schema_current(self) -> bool:
        from storage.schema_version import schema_current

        return schema_current(self.engine)

    def preload(self) -> None:
        """Import now what a unit of work imports when first used (its repositories): a
        long-running process pays for it at its start, not in its first message's time
        (a command line, which uses two or three, imports those only)."""
        from storage.uow import SqlUnitOfWork

        SqlUnitOfWork.load_repositories()
