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
    from bot.campaigns.parsing import CampaignText, Problem
    from bot.conversations.dialog import Conversation
    from bot.conversations.template_store import TemplateGate, TemplateStore


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
    #: messages per second one process sends through this channel at most (the
    #: dispatcher's token bucket): the class's default, which an instance built from
    #: settings may replace (``DUEBOT_SMTP_RATE``, ``DUEBOT_TWILIO_RATE``, ...)
    rate_per_sec: float = 1.0

    @property
    def shared_rate_key(self) -> str | None:
        """The sender whose rate every process of the deployment shares (a phone number,
        a messaging service): the dispatcher then paces sends at ``rate_per_sec`` with a
        bucket in the database (:class:`RateBuckets`) instead of one per process. None
        (the default): each process paces itself."""
        return None

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections (called once by the runner before the first send)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def verify(self) -> None:  # noqa: B027 - optional hook
        """Check the settings with the provider without sending anything (log in, ask
        who we are) and release what that opened; raises :class:`ChannelConfigError`
        naming the setting when the provider refuses them or cannot be reached. Nothing
        to check by default (the sandbox)."""

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


# ---------------------------------------------------------------------------- content
class ContentFiles(Protocol):
    """Where the templates and campaigns in use come from (files on disk in the app)."""

    def load_templates(self, check: TemplateGate, *, checked_on_use: bool = False
                       ) -> TemplateStore:
        """Every template (shipped, then overrides), each passed through ``check``; a file
        that fails is left out and its problems kept in the store's ``problems``.
        ``checked_on_use``: each file is parsed now, compiled and checked when first used
        (see :class:`~bot.conversations.template_store.TemplateStore`)."""
        ...

    def campaign_documents(self) -> builtins.list[CampaignText | Problem]:
        """Each campaign file's text (or why it could not be read), in file order."""
        ...

    def template_text(self, template_id: str) -> str | None:
        """The text of the template file in use for ``template_id`` (the override
        directory's, else the shipped one); None when there is none."""
        ...

    def save_template_text(self, template_id: str, text: str) -> str:
        """Write ``text`` as ``template_id``'s file in the override directory (atomically)
        and return where; :class:`ContentNotWritable` when there is no such directory."""
        ...


class ContentNotWritable(RuntimeError):
    """Edited content has nowhere to be kept (no override directory is configured)."""


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
    #: a customer's message: the reply parser's reading (intent, confidence, amounts,
    #: dates, opt-out, why a person should read it), as :mod:`bot.services.readings`
    #: records it; None for outbound messages and messages read before it was kept
    reading: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewInboundMessage:
    """A customer's message to record; ``intent`` and ``reading``: the parser's reading
    of it when it was read before it was recorded (as :meth:`MessageLog.set_reading`
    keeps it)."""

    case_id: int | None
    channel: str
    address: str
    body: str
    subject: str | None
    provider_id: str | None
    thread_ref: str | None
    created_at: datetime
    intent: str | None = None
    reading: Mapping[str, Any] | None = None


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


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A console login (the cookie's token is kept as a hash only)."""

    id: int
    user_id: int
    token_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry of the audit trail: who did what to which target, and when."""

    at: datetime
    actor: str
    action: str
    target: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CampaignVersion:
    """One stored version of a campaign: the YAML text and its lifecycle."""

    id: int
    campaign_id: str
    version: int
    status: str  # draft | approved | active | paused | retired
    source: str  # the file it was imported from, or "console"
    body: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None = None
    approved_by: str | None = None
    activated_at: datetime | None = None
    activated_by: str | None = None
    paused_at: datetime | None = None
    paused_by: str | None = None


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
                  offset: int = 0, holds: Sequence[str] | None = None) -> list[CaseSummary]:
        """Cases most days past due first; ``statuses``: only these; ``holds``: only
        cases with at least one of these holds."""
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

    def set_reading(self, message_id: int, intent: str, reading: Mapping[str, Any]) -> None:
        """Keep the parser's reading of a customer's message (and its intent)."""
        ...

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


#: how much of a message the inbox shows
PREVIEW_CHARS = 160


class OutboxRepository(Protocol):
    """Enqueueing outbound messages inside a unit of work."""

    def enqueue(self, messages: Sequence[NewOutboxMessage]) -> list[int]:
        """Insert the messages whose idempotency key is new; returns their ids."""
        ...


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which open work items the inbox shows (every field: None or empty = any).

    ``holder``: a user name, or :data:`NOBODY` for items whose case no one holds."""

    kinds: tuple[str, ...] = ()
    campaign: str | None = None
    language: str | None = None
    holder: str | None = None

    NOBODY: ClassVar[str] = "-"


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One open work item as the collectors' inbox shows it: the item, its case, the
    campaign the case was last written to under, and the case's latest message from the
    customer (else the latest to them)."""

    item: QueueItem
    customer: str | None
    language: str | None
    campaign_id: str | None
    last_direction: str | None = None  # in | out
    last_channel: str | None = None
    last_at: datetime | None = None
    last_body: str | None = None  # the start of it (see ``WorkQueue.inbox``)
    last_intent: str | None = None


@dataclass(frozen=True, slots=True)
class InboxFacets:
    """What the inbox can be filtered by: among the open items, how many of each kind,
    and the campaigns, languages and holders that occur."""

    kinds: dict[str, int]
    campaigns: tuple[str, ...]
    languages: tuple[str, ...]
    holders: tuple[str, ...]


class WorkQueue(Protocol):
    """The collectors' queue."""

    def add(self, item: NewWorkItem) -> int: ...

    def open_items(self, limit: int = 100) -> list[QueueItem]:
        """Open items, most urgent first (priority, then age)."""
        ...

    def close(self, item_id: int, by: str, at: datetime) -> bool | None:
        """Mark an item done; None when there is no such item, False when it was done."""
        ...

    def open_for_case(self, case_id: int) -> list[QueueItem]:
        """The case's open items, most urgent first."""
        ...

    def inbox(self, wanted: InboxFilter, limit: int = 200) -> list[InboxEntry]:
        """Open items matching ``wanted``, most urgent first, then longest waiting, each
        with its case's latest message from the customer, else the latest to them (its
        body cut to :data:`PREVIEW_CHARS`)."""
        ...

    def inbox_facets(self) -> InboxFacets: ...


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

    def get_by_id(self, user_id: int) -> UserRecord | None: ...

    def by_token_hash(self, token_hash: str) -> UserRecord | None: ...

    def add(self, username: str, role: str, password_hash: str, token_hash: str,
            now: datetime) -> int: ...

    def all(self) -> list[UserRecord]:
        """Every user, by name."""
        ...

    def set_role(self, username: str, role: str) -> None: ...

    def set_active(self, username: str, active: bool) -> None: ...

    def set_password_hash(self, username: str, password_hash: str) -> None: ...

    def set_token_hash(self, username: str, token_hash: str | None) -> None:
        """Replace the API token's hash (None: the user has no API token)."""
        ...


class SessionRepository(Protocol):
    """Console logins."""

    def add(self, user_id: int, token_hash: str, created_at: datetime,
            expires_at: datetime) -> int: ...

    def get(self, token_hash: str) -> SessionRecord | None: ...

    def revoke(self, token_hash: str, at: datetime) -> bool:
        """End one session; False when there was no open session with that token."""
        ...

    def revoke_user(self, user_id: int, at: datetime) -> int:
        """End every open session of a user; returns how many."""
        ...


class LoginAttempts(Protocol):
    """Failed logins by key (a user name, a client address): the login rate limit."""

    def add_failure(self, key: str, at: datetime) -> None: ...

    def failures_since(self, key: str, since: datetime) -> int: ...

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        ...


class AuditLog(Protocol):
    """The audit trail of what people did outside a case's own events."""

    def add(self, record: AuditRecord) -> None: ...

    def recent(self, limit: int = 100, *, action: str | None = None,
               actor: str | None = None) -> list[AuditRecord]:
        """Newest first; ``actor`` matches the start of the actor label."""
        ...


class CampaignVersions(Protocol):
    """Campaigns as stored versions (see ``bot/services/campaign_admin.py``)."""

    def add(self, campaign_id: str, source: str, body: str, created_by: str,
            at: datetime) -> CampaignVersion:
        """A new draft, numbered one after the campaign's latest version."""
        ...

    def get(self, campaign_id: str, version: int) -> CampaignVersion | None: ...

    def versions(self, campaign_id: str | None = None) -> list[CampaignVersion]:
        """Versions by campaign id, then version number."""
        ...

    def set_status(self, version_id: int, status: str, by: str, at: datetime) -> None:
        """Move a version to ``status``, recording who and when (approved, activated,
        paused: their own columns; retired and draft: the status only)."""
        ...


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

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def login_attempts(self) -> LoginAttempts: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def campaigns(self) -> CampaignVersions: ...

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

    def prepare(self) -> None:
        """Get ready for a tick over the whole portfolio (a SQL store refreshes the query
        planner's statistics when they are stale); called once per tick, before it reads."""
        ...

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

    def finish(self) -> None:
        """End a tick after its last batch was written (a SQL store on SQLite copies the
        write-ahead log the tick grew into the database file); called once per tick."""
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

    @property
    def record_writers(self) -> int:
        """How many :meth:`record` transactions may usefully run at once (the
        dispatcher writes outcomes in at most that many at a time)."""
        ...

    def hold_connections(self) -> None:
        """Outcomes follow (a batch is being sent): keep what :meth:`record` needs open
        until :meth:`release_connections` (calls nest)."""
        ...

    def release_connections(self) -> None:
        """The end of a :meth:`hold_connections`."""
        ...

    def renew(self, claims: Mapping[int, int], lease_until: datetime) -> list[int]:
        """Extend to ``lease_until`` the lease of the messages this worker still holds.

        ``claims`` maps a message id to its ``attempts`` as the claim left it (the
        claim's fencing token): a message claimed again by another worker since, or no
        longer ``sending``, is left alone. Returns the ids renewed."""
        ...

    def release(self, claims: Mapping[int, int], now: datetime) -> list[int]:
        """Give back claimed messages that were not sent (a worker stopping): queued
        again, due at ``now``, the claim's attempt returned. Fenced like :meth:`renew`;
        returns the ids released."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    """How the outbox stands (metrics: a stuck outbox)."""

    #: messages waiting or being sent: (status, channel) -> how many
    depth: dict[tuple[str, str], int]
    #: since when the oldest due message has been due (queued, or claimed by a worker
    #: whose lease has run out); None when no message is due
    oldest_due: datetime | None


class RateBuckets(Protocol):
    """Token buckets shared by every process of a deployment (a provider's rate per
    sender, whatever the number of workers), paced as a generic cell rate: each take
    moves the bucket's next free slot on by ``interval`` seconds, atomically."""

    def take(self, key: str, interval: float, burst: int, now: float) -> float:
        """Take the next send slot of bucket ``key`` (created on first use, full):
        returns how many seconds after ``now`` (wall-clock seconds since the epoch) the
        send may go, 0 for at once. ``interval``: seconds between sends (1 / rate);
        ``burst``: how many may go at once after a pause. A slot taken is never given
        back: a caller that waits and then does not send leaves a gap."""
        ...


class OperationsStore(Protocol):
    """What the health checks and metrics read, and where scheduled jobs note their
    runs (whichever scheduler ran them)."""

    def outbox_health(self, now: datetime) -> OutboxHealth: ...

    def job_finished(self, job: str, started_at: datetime, finished_at: datetime) -> None:
        """Note that ``job`` ran to its end (the latest run replaces the one before)."""
        ...

    def jobs_finished(self) -> dict[str, datetime]:
        """When each job last ran to its end."""
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
class ClosedCase:
    """A closed case the retention purge may consider."""

    case_id: int
    account_id: str
    country: str | None
    holds: tuple[str, ...]
    #: the latest of its events, messages (in and out) and payments
    last_activity: datetime


class RetentionStore(Protocol):
    """Finding closed cases past their keep period and anonymising them (``duebot
    retention purge``; never run by itself)."""

    def closed_cases(self, inactive_since: datetime) -> builtins.list[ClosedCase]:
        """Closed cases not yet anonymised whose last collection activity is before
        ``inactive_since``, oldest activity first."""
        ...

    def anonymise(self, case_ids: Sequence[int], now: datetime, actor: str,
                  reason: str) -> int:
        """In one transaction, replace the personal data of these cases (and of their
        customers once none of the customer's cases is left un-anonymised): names,
        identity answers, addresses, message texts, free-text reasons and details,
        chat links, payment references; keep amounts, dates, statuses and reason codes
        for reports. Records a ``CaseAnonymised`` event; returns how many were done
        (a case already anonymised is skipped)."""
        ...


@dataclass(frozen=True, slots=True)
class OutcomeFacts:
    """What campaign outcomes are computed from (see ``bot/services/reports.py``)."""

    #: campaign messages sent: (case id, sent at, step, variant, campaign), per case in
    #: time order
    sent: list[tuple[int, datetime, str, str | None, str | None]]
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
    #: disputes opened: (case id, at)
    disputes: list[tuple[int, datetime]] = field(default_factory=list)
    #: complaints: (case id, at) — the legal-review queue took the conversation after the
    #: customer's message, or a person placed a complaint hold
    complaints: list[tuple[int, datetime]] = field(default_factory=list)


class OutcomeSource(Protocol):
    def outcome_facts(self) -> OutcomeFacts: ...
