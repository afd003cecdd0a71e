"""The SQL unit of work: one session (one transaction) and the repositories that share it.

Each repository is made when a block first uses it, and its module imported then: a
command that lists cases does not import the conversations' repository (and the dialog
behind it) or the portfolio import's (and PostgreSQL's dialect)."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from bot.domain import events as ev
from bot.domain.clock import Clock
from bot.services.ports import ConcurrentUpdateError

if TYPE_CHECKING:
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


class _Repository:
    """A repository of the unit of work: made over the block's session (the cases' with
    the time the block began) when the block first uses it, then an attribute of the
    unit of work until the block ends."""

    def __init__(self, module: str, name: str, *, dated: bool = False) -> None:
        self.module, self.name, self.dated = module, name, dated

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> Any:
        if uow is None:
            return self
        if "session" not in uow.__dict__:
            raise AttributeError(f"{self.attribute}: use the unit of work in a with block")
        cls = getattr(import_module(self.module), self.name)
        repository = cls(uow.session, uow.began) if self.dated else cls(uow.session)
        uow.__dict__[self.attribute] = repository
        return repository


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls back."""

    if TYPE_CHECKING:
        cases: SqlCaseRepository
        customers: SqlCustomerRepository
        messages: SqlMessageLog
        outbox: SqlOutboxRepository
        work_items: SqlWorkQueue
        conversations: SqlConversationRepository
        decisions: SqlDecisionLog
        events: SqlEventLog
        inbound_events: SqlInboundLog
        payments: SqlPaymentLedger
        portfolio: SqlPortfolioWriter
        users: SqlUserRepository
        sessions: SqlSessionRepository
        login_attempts: SqlLoginAttempts
        audit: SqlAuditLog
        campaigns: SqlCampaignVersions
    else:
        cases = _Repository("storage.case_repository", "SqlCaseRepository", dated=True)
        customers = _Repository("storage.case_repository", "SqlCustomerRepository")
        messages = _Repository("storage.message_log", "SqlMessageLog")
        outbox = _Repository("storage.message_log", "SqlOutboxRepository")
        work_items = _Repository("storage.work_queue", "SqlWorkQueue")
        conversations = _Repository("storage.conversations", "SqlConversationRepository")
        decisions = _Repository("storage.logs", "SqlDecisionLog")
        events = _Repository("storage.logs", "SqlEventLog")
        inbound_events = _Repository("storage.logs", "SqlInboundLog")
        payments = _Repository("storage.payments", "SqlPaymentLedger")
        portfolio = _Repository("storage.case_import", "SqlPortfolioWriter")
        users = _Repository("storage.users", "SqlUserRepository")
        sessions = _Repository("storage.users", "SqlSessionRepository")
        login_attempts = _Repository("storage.users", "SqlLoginAttempts")
        audit = _Repository("storage.audit", "SqlAuditLog")
        campaigns = _Repository("storage.campaign_versions", "SqlCampaignVersions")

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.published: list[ev.Event] = []

    @classmethod
    def load_repositories(cls) -> None:
        """Import every repository's module now (see ``SqlBackend.preload``)."""
        for repository in _REPOSITORIES.values():
            getattr(import_module(repository.module), repository.name)

    def __enter__(self) -> Self:
        # the previous block's repositories (and their session) go
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)
        self.session = Session(self.engine, expire_on_commit=False)
        self.began: datetime = self.clock.now()
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
        cases = self.__dict__.get("cases")  # made: the block used cases
        if cases is None:
            return
        try:
            self.published.extend(cases.flush())
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


#: the unit of work's repositories, by attribute: each block (of a subclass too) starts without
_REPOSITORIES = {name: value for name, value in vars(SqlUnitOfWork).items()
                 if isinstance(value, _Repository)}
