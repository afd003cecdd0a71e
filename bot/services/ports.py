"""The ports: every interface the use cases need from the world outside ``bot/``.

Services (``bot/services``) depend on these and on the pure packages only. Adapters
implement them: ``channels/`` the channel and its inbound sink side, ``storage/`` the
unit of work, its repositories and the fast paths of the tick and the dispatcher, and
the in-memory versions the service tests run on. ``bot/bootstrap.py`` wires one to the
other. Each port has one contract test suite run against every implementation.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Protocol,
    Self,
    TypedDict,
    runtime_checkable,
)

from bot.domain import events as ev
from bot.domain.case import Case
from bot.domain.clock import Clock
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    InboundEvent,
    OutboundMessage,
    SinkResult,
)
from bot.domain.outbox import NewOutboxMessage
from bot.domain.verification import LinkToken
from bot.domain.work_items import NewWorkItem, QueueItem
from bot.policy.history import SentRecord

if TYPE_CHECKING:
    from bot.conversations.dialog import Conversation


# ---------------------------------------------------------------------------- channels
class ChannelConfigError(ValueError):
    """A channel was configured wrongly; the message names the setting, never a secret."""


class Channel(ABC):
    """A way to reach customers.

    ``send`` never raises for provider or network trouble: it returns a
    :class:`DeliveryResult` saying whether to retry. ``parse_inbound`` turns one raw
    provider payload (already authenticated by the entry point) into domain events.
    """

    kind: ClassVar[ChannelKind]
    name: ClassVar[str]
    max_body_len: ClassVar[int]
    supports_subject: ClassVar[bool] = False
    supports_quick_replies: ClassVar[bool] = False
    rate_per_sec: ClassVar[float] = 1.0

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections (called once by the runner before the first send)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        """Deliver one message; map every provider outcome to a DeliveryResult."""

    @abstractmethod
    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """Translate one provider payload into domain events (possibly none)."""


class InboundSink(Protocol):
    """Where adapters and webhook routes hand inbound events to the application.

    ``accept`` must be idempotent on the event's provider id: the second delivery of the
    same provider message returns ``SinkResult(duplicate=True)`` and changes nothing.
    """

    async def accept(self, event: InboundEvent) -> SinkResult: ...


# ---------------------------------------------------------------------------- sandbox
class Direction(StrEnum):
    OUT = "out"  # the bot wrote to the customer
    IN = "in"  # the (pretend) customer wrote to the bot


@dataclass(frozen=True, slots=True)
class SandboxEntry:
    """One message in the sandbox, either way.

    ``address`` is always the customer's side: the recipient of an outbound message, the
    sender of an inbound one. ``provider_id`` is unique across the store.
    """

    provider_id: str
    channel: ChannelKind
    direction: Direction
    address: str
    body: str
    at: datetime
    subject: str | None = None


class SandboxStore(Protocol):
    """Where the sandbox keeps its messages (in memory here; a database table in the app).

    Implementations must be safe to call from the event loop and from CLI threads, and
    must return entries oldest first.
    """

    def append(self, entry: SandboxEntry) -> None:
        """Keep one entry; a second entry with the same ``provider_id`` is an error."""
        ...

    def list(
        self, address: str | None = None, since: datetime | None = None
    ) -> builtins.list[SandboxEntry]:
        """Entries for ``address`` (all addresses if None) at or after ``since``, oldest first."""
        ...


@runtime_checkable
class SandboxPhone(Protocol):
    """The customer's side of a sandbox channel (the CLI, the console and the simulation
    play the customer with it)."""

    async def receive(self, sender: str, text: str, sink: InboundSink, *,
                      subject: str | None = None) -> SinkResult:
        """Record the customer's message, hand it to ``sink``, deliver in-band answers."""
        ...


# ---------------------------------------------------------------------------- chat links
class ChatLinkStore(Protocol):
    """Persistence for tokens, chat locks and chat↔case links.

    The operations that decide security (claim, failure count, completion) must be atomic
    in a shared store: two concurrent answers must never both read ``failures == 0``. An
    SQL store does each in one ``UPDATE ... WHERE ...`` (or a row lock). Chat ids and
    tokens are opaque strings.
    """

    def add_token(self, record: LinkToken) -> None:
        """Store a new token. Raises ``ValueError`` if the token already exists."""
        ...

    def get_token(self, token: str) -> LinkToken | None:
        """The token's record, or ``None`` if it was never issued."""
        ...

    def claim_token(self, token: str, chat_id: str, now: datetime) -> bool:
        """Bind the token to ``chat_id`` if it is unbound or already bound to that chat,
        setting ``claimed_at = now``. False (and no change) if another chat holds it."""
        ...

    def pending_token(self, chat_id: str) -> LinkToken | None:
        """The open (not used, not locked) token most recently claimed by the chat."""
        ...

    def record_failure(self, token: str, now: datetime) -> int:
        """Add one failed answer to the token; return the new failure count."""
        ...

    def lock(self, token: str, chat_id: str, now: datetime) -> None:
        """Lock the token (``locked_at = now``) and the chat (no further link requests)."""
        ...

    def chat_locked(self, chat_id: str) -> bool:
        """Whether the chat was locked after failed verifications."""
        ...

    def complete_link(self, token: str, chat_id: str, now: datetime) -> bool:
        """If the token is open and bound to ``chat_id``: set ``used_at = now`` and link the
        chat to the token's case; return True. Otherwise change nothing and return False."""
        ...

    def linked_cases(self, chat_id: str) -> tuple[str, ...]:
        """Cases linked to the chat, oldest link first."""
        ...


# ---------------------------------------------------------------------------- records
class ConcurrentUpdateError(RuntimeError):
    """The case changed in another transaction since it was loaded; retry the command."""


@dataclass(frozen=True, slots=True)
class RelatedCase:
    """Another case whose messages count against a case's caps: an account of the same
    customer (caps per person), or another customer's that shares ``addresses`` with it
    (caps per address; those addresses are shared)."""

    case_id: int
    account_id: str
    other_customer: bool = False
    addresses: frozenset[str] = frozenset()


@dataclass(slots=True)
class CaseBundle:
    """A case and what the planner needs to decide about it (read in batches).

    ``related`` holds the messages of the ``related_cases`` (``SentRecord.account`` says
    whose): what the customer's other accounts were sent, and what other customers were
    sent at an address this case shares with them."""

    case: Case
    version: int  # the stored case's optimistic-concurrency version when it was read
    history: list[SentRecord] = field(default_factory=list)
    inbound: list[datetime] = field(default_factory=list)  # when the customer wrote to us
    related: list[SentRecord] = field(default_factory=list)
    related_cases: list[RelatedCase] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message in the log, either way (outbound ones are the outbox)."""

    id: int
    case_id: int | None
    contact_point_id: int | None
    direction: str  # in | out
    channel: str
    address: str
    status: str
    body: str
    subject: str | None = None
    template_id: str | None = None
    lang: str | None = None
    step_id: str | None = None
    variant: str | None = None
    campaign_id: str | None = None
    ref: str | None = None
    purpose: str | None = None
    fallback_channels: tuple[str, ...] = ()
    idempotency_key: str | None = None
    reply_token: str | None = None
    thread_ref: str | None = None
    provider_id: str | None = None
    intent: str | None = None
    error_code: str | None = None
    error_reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class NewInboundMessage:
    """A customer's message to record."""

    case_id: int | None
    channel: str
    address: str
    body: str
    subject: str | None
    provider_id: str | None
    thread_ref: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """What one delivery attempt (or the decision not to attempt) changes on a message.

    ``None`` leaves a field as it is; ``release_attempt`` gives back the attempt the
    claim counted (a deferral is not an attempt)."""

    message_id: int
    status: str
    provider_id: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    error_code: str | None = None
    error_reason: str | None = None
    release_attempt: bool = False
    set_next_attempt: bool = False  # True: store ``next_attempt_at`` (None clears it)


class DecisionRecord(TypedDict):
    """A planner (or send-time) decision for a case on its local day."""

    case_id: int
    local_date: date
    campaign_id: str
    step_id: str | None
    variant: str | None
    channel: str | None
    allowed: bool
    reasons: list[str]
    at: datetime
    key: str | None  # planner decisions: a repeat on the same day is recorded once


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    type: str
    actor: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One line of the case list."""

    account_id: str
    status: str
    days_past_due: int
    balance_minor: int
    currency: str
    segment: str | None
    risk_band: str | None
    holds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Identity:
    """What a customer can be asked to prove who they are."""

    date_of_birth: date | None
    id_last4: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A console/API user as stored (hashes, never secrets)."""

    id: int
    username: str
    role: str
    password_hash: str
    token_hash: str | None
    active: bool
    created_at: datetime


# ---------------------------------------------------------------------------- repositories
class CaseRepository(Protocol):
    """Cases with their contact points, promises and payments (the aggregate).

    Loaded cases are tracked by the unit of work: committing writes every changed case
    back with its pending domain events, guarded by its version (a case saved by another
    transaction in between makes the commit raise :class:`ConcurrentUpdateError`)."""

    def get(self, account_id: str) -> Case | None: ...

    def get_by_id(self, case_id: int) -> Case | None: ...

    def find_by_contact(self, channel: ChannelKind, address: str) -> list[Case]:
        """Cases reachable at the address: open ones first, newest first."""
        ...

    def add(self, case: Case, customer_ref: str | None = None) -> Case:
        """Insert a new case (with its customer, found or created by ``customer_ref``,
        default the account id, and its contact points); sets ``id`` and ``customer_id``."""
        ...

    def count(self, statuses: Sequence[str] | None = None) -> int: ...

    def summaries(self, statuses: Sequence[str] | None = None, limit: int = 50,
                  offset: int = 0) -> list[CaseSummary]:
        """Cases most days past due first."""
        ...


class CustomerRepository(Protocol):
    def identity(self, customer_id: int) -> Identity | None: ...


class MessageLog(Protocol):
    """The log of every message in and out, and the lookups that match a reply to a case."""

    def add_inbound(self, message: NewInboundMessage) -> int:
        """Record a customer's message; returns its id."""
        ...

    def get(self, message_id: int) -> StoredMessage | None: ...

    def set_intent(self, message_id: int, intent: str) -> None: ...

    def set_case(self, message_id: int, case_id: int) -> None: ...

    def outbound_by_provider_id(self, channel: ChannelKind, provider_id: str
                                ) -> StoredMessage | None: ...

    def update_delivery(self, update: DeliveryUpdate) -> None:
        """Apply a provider's status (receipt) or a worker's outcome to one message."""
        ...

    def case_for_reply_token(self, token: str) -> int | None:
        """The case of the outbound message carrying this reply token."""
        ...

    def case_for_provider_id(self, provider_id: str) -> int | None:
        """The case of the outbound message the provider knows by this id (a thread)."""
        ...

    def last_case_written_to(self, address: str, case_ids: Sequence[int]) -> int | None:
        """Of ``case_ids``, the one whose latest outbound message went to ``address``."""
        ...

    def last_inbound_channel(self, case_id: int) -> ChannelKind | None: ...

    def for_case(self, case_id: int, limit: int = 20) -> list[StoredMessage]:
        """The case's messages, newest first."""
        ...


class OutboxRepository(Protocol):
    """Enqueueing outbound messages inside a unit of work."""

    def enqueue(self, messages: Sequence[NewOutboxMessage]) -> list[int]:
        """Insert the messages whose idempotency key is new; returns their ids."""
        ...


class WorkQueue(Protocol):
    """The collectors' queue."""

    def add(self, item: NewWorkItem) -> int: ...

    def open_items(self, limit: int = 100) -> list[QueueItem]:
        """Open items, most urgent first (priority, then age)."""
        ...

    def close(self, item_id: int, by: str, at: datetime) -> bool | None:
        """Mark an item done; None when there is no such item, False when it was done."""
        ...


class ConversationRepository(Protocol):
    """Where the bot's dialogue with each case stands."""

    def get(self, case_id: int) -> Conversation | None: ...

    def save(self, case_id: int, conversation: Conversation, now: datetime) -> None: ...

    def reset(self, case_id: int, now: datetime) -> None:
        """Start afresh (a person dealt with the case): idle, nothing pending, no
        verification failures, lock lifted. Nothing to do without a conversation."""
        ...


class DecisionLog(Protocol):
    def add(self, decisions: Sequence[DecisionRecord]) -> None: ...


class EventLog(Protocol):
    def for_case(self, case_id: int) -> list[EventRecord]:
        """The case's events in the order they were written."""
        ...


class InboundLog(Protocol):
    """Keys of inbound events already handled: providers retry, we act once."""

    def first_time(self, key: str, at: datetime) -> bool:
        """Record ``key``; False when it was already there (changes nothing then)."""
        ...


class PaymentLedger(Protocol):
    def applied(self, reference: str) -> tuple[str, int] | None:
        """(account id, amount in minor units) of the payment stored under ``reference``."""
        ...


@dataclass(frozen=True, slots=True)
class SharedAddress:
    """An address held by several customers, and every account of theirs."""

    channel: ChannelKind
    address: str
    accounts: tuple[str, ...]
    customers: int


class PortfolioWriter(Protocol):
    """Bulk import of portfolio rows (set-based; an upsert never clears an opt-out)."""

    def upsert(self, records: Sequence[Any], now: datetime, actor: str = "import"
               ) -> tuple[int, int]:
        """Insert or update cases from import records; returns (created, updated)."""
        ...

    def mark_shared(self, addresses: Sequence[tuple[ChannelKind, str]], now: datetime,
                    actor: str = "import") -> list[SharedAddress]:
        """Of these addresses, the ones more than one customer holds: every such contact
        point is marked ``shared`` (a ``ContactPointShared`` event on each case of a
        customer whose contact point was not marked yet), and each is returned with
        the accounts sharing it."""
        ...


class UserRepository(Protocol):
    def get(self, username: str) -> UserRecord | None: ...

    def by_token_hash(self, token_hash: str) -> UserRecord | None: ...

    def add(self, username: str, role: str, password_hash: str, token_hash: str,
            now: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that share it.

    ``with uow: ...; uow.commit()``: leaving the block without committing rolls back.
    Values read inside the block stay readable after it."""

    @property
    def clock(self) -> Clock: ...

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def messages(self) -> MessageLog: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def work_items(self) -> WorkQueue: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def decisions(self) -> DecisionLog: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def inbound_events(self) -> InboundLog: ...

    @property
    def payments(self) -> PaymentLedger: ...

    @property
    def portfolio(self) -> PortfolioWriter: ...

    @property
    def users(self) -> UserRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def flush(self) -> None:
        """Write tracked changes without committing (ids become known)."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# ---------------------------------------------------------------------------- fast paths
@dataclass(frozen=True, slots=True)
class RelatedSend:
    """A message of a related case, for the send-time caps: ``in_flight`` when another
    worker has claimed it and not yet sent it (it counts only against messages with a
    higher id, so two workers never hold each other back)."""

    message_id: int
    record: SentRecord
    in_flight: bool = False


@dataclass(slots=True)
class Escalation:
    """A case the tick moves to legal review: saved only if its version is unchanged."""

    case_id: int
    version: int
    status: str
    events: list[ev.Event]
    work_item: NewWorkItem
    decision: DecisionRecord


@dataclass(slots=True)
class TickBatch:
    """What one batch of the planning tick writes, in one transaction."""

    outbox: list[NewOutboxMessage] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TickBatchResult:
    enqueued: int  # new outbox messages (keys already there are skipped)
    recorded: int  # new decision records
    escalated: frozenset[int]  # ids of the cases really moved to legal review


class PlanStore(Protocol):
    """The planning tick's reads and writes, set-based for a whole portfolio."""

    def open_case_span(self) -> tuple[int, int] | None:
        """Lowest and highest id of the open cases (None: no open case)."""
        ...

    def stream_open_cases(self, *, batch_size: int, after_id: int = 0,
                          until_id: int | None = None, limit: int | None = None
                          ) -> Iterator[list[CaseBundle]]:
        """Open cases with ``after_id < id <= until_id`` in id order, a batch at a time."""
        ...

    def write(self, batch: TickBatch, before_commit: Callable[[], None] | None = None
              ) -> TickBatchResult:
        """Write a batch in one transaction: new outbox messages, escalations guarded by
        version (with their events, work items and decisions), new decisions.
        ``before_commit`` runs inside the transaction after the writes (tests)."""
        ...


class DeliveryStore(Protocol):
    """The dispatch workers' side of the outbox."""

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[int]:
        """Take up to ``limit`` due messages for this worker (now ``sending`` until
        ``lease_until``); several workers never take the same message."""
        ...

    def claimed(self, ids: Sequence[int]) -> dict[int, StoredMessage]: ...

    def cases(self, case_ids: Sequence[int]) -> dict[int, Case]:
        """The cases (open or closed) with contacts, promises and payments."""
        ...

    def histories(self, case_ids: Sequence[int], since: datetime
                  ) -> dict[int, list[tuple[int, SentRecord]]]:
        """Campaign messages sent since ``since`` per case, with their message ids."""
        ...

    def related_histories(self, targets: Sequence[tuple[int, str]], since: datetime
                          ) -> dict[tuple[int, str], list[RelatedSend]]:
        """For each (case id, address) about to be written to: the campaign messages
        sent since ``since``, or being sent (claimed), to the customer's other accounts
        (any address) and to other customers at that address, each a ``SentRecord``
        with ``account``/``other_customer`` set."""
        ...

    def record(self, updates: Sequence[DeliveryUpdate],
               decisions: Sequence[DecisionRecord] = ()) -> None:
        """Record outcomes (and send-time denials) in one short transaction."""
        ...


class CaseMaintenance(Protocol):
    """The daily jobs' set-based work."""

    def update_days_past_due(self, now: datetime) -> int:
        """Recompute days past due of open cases on each one's local date; returns how
        many changed."""
        ...

    def overdue_promise_cases(self, now: datetime) -> list[int]:
        """Open cases with a pending promise whose due date has ended in their zone."""
        ...


@dataclass(frozen=True, slots=True)
class OutcomeFacts:
    """What campaign outcomes are computed from (see ``bot/services/reports.py``)."""

    #: campaign messages sent: (case id, sent at, step, variant), per case in time order
    sent: list[tuple[int, datetime, str, str | None]]
    #: customers' messages: (case id, received at, intent)
    inbound: list[tuple[int, datetime, str | None]]
    #: promises: (case id, made at, due, status), per case by due date
    promises: list[tuple[int, datetime | None, date | None, str]]
    #: opt-outs: (case id, at)
    opt_outs: list[tuple[int, datetime]]
    #: cases: id -> (status, due date, balance, minimum payment)
    cases: dict[int, tuple[str, date, int, int | None]]
    #: payments per case, oldest first: (paid at, amount)
    payments: dict[int, list[tuple[datetime, int]]]


class OutcomeSource(Protocol):
    def outcome_facts(self) -> OutcomeFacts: ...
