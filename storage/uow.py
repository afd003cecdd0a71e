"""The SQL unit of work: one session (one transaction) and the repositories that share it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from bot.domain import events as ev
from bot.domain.clock import Clock
from bot.services.ports import ConcurrentUpdateError
from storage.audit import SqlAuditLog
from storage.campaign_versions import SqlCampaignVersions
from storage.case_import import SqlPortfolioWriter
from storage.case_repository import SqlCaseRepository, SqlCustomerRepository
from storage.conversations import SqlConversationRepository
from storage.logs import SqlDecisionLog, SqlEventLog, SqlInboundLog
from storage.message_log import SqlMessageLog, SqlOutboxRepository
from storage.payments import SqlPaymentLedger
from storage.users import SqlLoginAttempts, SqlSessionRepository, SqlUserRepository
from storage.work_queue import SqlWorkQueue

#: PostgreSQL's unique violation, serialization failure and deadlock
_CONFLICT_SQLSTATES = {"23505", "40001", "40P01"}


def _concurrent_write(exc: DBAPIError) -> bool:
    """Whether ``exc`` is what two transactions writing the same rows at once give: a
    unique key both inserted (a case's first conversation row), a serialization failure
    or a deadlock on PostgreSQL; a unique key or a busy snapshot on SQLite. Retrying the
    whole unit of work is then the answer."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _CONFLICT_SQLSTATES
    message = str(orig)
    if isinstance(exc, IntegrityError):
        return message.startswith("UNIQUE constraint failed")
    return isinstance(exc, OperationalError) and "locked" in message


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls back."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.published: list[ev.Event] = []

    def __enter__(self) -> Self:
        self.session = s = Session(self.engine, expire_on_commit=False)
        self.cases = SqlCaseRepository(s, self.clock.now())
        self.customers = SqlCustomerRepository(s)
        self.messages = SqlMessageLog(s)
        self.outbox = SqlOutboxRepository(s)
        self.work_items = SqlWorkQueue(s)
        self.conversations = SqlConversationRepository(s)
        self.decisions = SqlDecisionLog(s)
        self.events = SqlEventLog(s)
        self.inbound_events = SqlInboundLog(s)
        self.payments = SqlPaymentLedger(s)
        self.portfolio = SqlPortfolioWriter(s)
        self.users = SqlUserRepository(s)
        self.sessions = SqlSessionRepository(s)
        self.login_attempts = SqlLoginAttempts(s)
        self.audit = SqlAuditLog(s)
        self.campaigns = SqlCampaignVersions(s)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back an open transaction without expiring loaded objects, so
        # values read inside the block stay readable after it
        self.session.close()
        if isinstance(exc, DBAPIError) and _concurrent_write(exc):
            raise ConcurrentUpdateError("another transaction wrote the same rows "
                                        "concurrently; retry") from exc

    def flush(self) -> None:
        try:
            self.published.extend(self.cases.flush())
        except OperationalError as exc:
            # SQLite refuses a write from a transaction whose snapshot is stale
            # (SQLITE_BUSY_SNAPSHOT): the same conflict PostgreSQL shows as a version miss.
            if "locked" in str(exc.orig):
                raise ConcurrentUpdateError("the case changed concurrently; retry") from exc
            raise

    def commit(self) -> None:
        self.flush()
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
