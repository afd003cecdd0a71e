"""Wire the application from one Settings object.

``bootstrap()`` with nothing configured gives the embedded default: a SQLite file, the
sandbox channel standing in for SMS, email and Telegram, the system clock. Tests pass
fakes (a FixedClock, an engine of their own, channels pointed at loopback peers, a
channel registry of their own). Everything is built on first use, so a CLI command that
only imports a CSV never constructs a channel. Services get ports and plain values; only
this module and the entry points read :class:`~bot.settings.Settings` (or the same values
read without pydantic-settings, :class:`~bot.settings_values.SettingsValues`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from bot.domain.clock import Clock, SystemClock
from bot.domain.messages import ChannelKind
from bot.services.ports import (
    CaseMaintenance,
    Channel,
    ChatLinkStore,
    DeliveryStore,
    OperationsStore,
    OutcomeSource,
    PlanStore,
    RateBuckets,
    RetentionStore,
    SandboxStore,
    UnitOfWork,
)
from bot.settings_values import SettingsValues

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.campaigns.model import Campaign
    from bot.campaigns.parsing import CampaignText, Problem
    from bot.conversations.template_renderer import TemplateRenderer
    from bot.conversations.template_spec import TemplateSpec
    from bot.conversations.template_store import TemplateStore
    from bot.domain.brand import Brand
    from bot.domain.case import Case
    from bot.policy.pressure import PressureLexicon
    from bot.policy.profiles import JurisdictionProfile
    from bot.services.campaign_admin import CampaignAdmin
    from bot.services.chat_linking import ChatOnboarding
    from bot.services.content import Content
    from bot.services.customer_messages import DialogSettings
    from bot.services.desk import CaseDesk
    from bot.services.dispatch import Dispatcher, Limiter
    from bot.services.inbound import InboundService
    from bot.services.live_campaigns import LiveCampaigns
    from bot.services.planning import CampaignBook, PlanningService
    from bot.services.ports import SandboxPhone
    from bot.services.reply_drafts import ReplyDrafts
    from bot.services.reply_texts import ReplyTexts
    from bot.services.sandbox_phones import SandboxPhones
    from bot.services.template_desk import TemplateDesk
    from bot.services.users import LoginPolicy
    from channels.registry import ChannelRegistry

log = logging.getLogger("duebot")


class Backend(Protocol):
    """The storage adapters of one application: SQL (``storage/backend.py``) or in
    memory (``storage/memory/backend.py``)."""

    def uow(self) -> UnitOfWork: ...

    @property
    def plan_store(self) -> PlanStore: ...

    @property
    def delivery_store(self) -> DeliveryStore: ...

    @property
    def maintenance(self) -> CaseMaintenance: ...

    @property
    def outcome_source(self) -> OutcomeSource: ...

    @property
    def chat_links(self) -> ChatLinkStore: ...

    @property
    def retention(self) -> RetentionStore: ...

    @property
    def operations(self) -> OperationsStore: ...

    @property
    def rate_buckets(self) -> RateBuckets: ...

    def migrate(self) -> str | None: ...

    def schema_current(self) -> bool: ...

    def preload(self) -> None: ...


@dataclass
class Container:
    settings: SettingsValues
    clock: Clock
    backend: Backend
    _channels: dict[ChannelKind, Channel] | None = field(default=None, repr=False)
    _sandbox_store: SandboxStore | None = field(default=None, repr=False)
    #: per kind, the addresses the sandbox refuses: ``{"rejects": [...], "opted_out": [...]}``
    sandbox_rules: Mapping[ChannelKind, Mapping[str, Collection[str]]] = field(
        default_factory=dict)
    sandbox_only: bool = False  # the sandbox for every kind, whatever is configured
    _registry: ChannelRegistry | None = field(default=None, repr=False)
    _campaign_book: CampaignBook | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The SQL engine (entry points: migrations, runner locks); SQL backends only."""
        engine: Engine | None = getattr(self.backend, "engine", None)
        if engine is None:
            raise RuntimeError("this application has no SQL database")
        return engine

    def uow(self) -> UnitOfWork:
        return self.backend.uow()

    def close(self) -> None:
        """Release the database connections (and the threads that use them)."""
        threads = self.__dict__.pop("database_threads", None)
        if threads is not None:
            threads.shutdown(wait=True)
        engine = getattr(self.backend, "engine", None)
        if engine is not None:
            engine.dispose()

    @cached_property
    def database_threads(self) -> Executor | None:
        """Threads for database work started from an event loop (webhooks, receivers):
        one fewer than the engine's pool holds connections. A thread's unit of work may
        read something with a connection of its own while it holds one (the campaign
        book when it is stale, a chat customer's identity): with a thread per connection,
        the first burst of webhooks after a start took every connection and each waited
        for the book that needed one more, until the pool's timeout (30 s) failed them.
        None for in-memory stores (they are used from the loop's thread)."""
        engine: Engine | None = getattr(self.backend, "engine", None)
        if engine is None:
            return None
        from concurrent.futures import ThreadPoolExecutor

        return ThreadPoolExecutor(max_workers=max(database_connections(engine) - 1, 1),
                                  thread_name_prefix="duebot-db")

    def migrate(self) -> str | None:
        """Create or upgrade the schema; returns the revision reached."""
        return self.backend.migrate()

    def schema_current(self) -> bool:
        """Whether the database is at the latest schema revision."""
        return self.backend.schema_current()

    def preload(self) -> None:
        """What the stores and the dispatcher import when first used, imported now: for
        long-running processes, whose first message should not wait for it."""
        import channels.email.unsubscribe_tokens  # noqa: F401

        self.backend.preload()

    # ------------------------------------------------------------------ stores
    @property
    def plan_store(self) -> PlanStore:
        return self.backend.plan_store

    @property
    def delivery_store(self) -> DeliveryStore:
        return self.backend.delivery_store

    @property
    def maintenance(self) -> CaseMaintenance:
        return self.backend.maintenance

    @property
    def outcome_source(self) -> OutcomeSource:
        return self.backend.outcome_source

    @property
    def retention(self) -> RetentionStore:
        return self.backend.retention

    @property
    def operations(self) -> OperationsStore:
        """What health checks and metrics read; where scheduled jobs note their runs."""
        return self.backend.operations

    @property
    def sandbox_store(self) -> SandboxStore:
        if self._sandbox_store is None:
            self._sandbox_store = self.database_sandbox_store()
        return self._sandbox_store

    def database_sandbox_store(self) -> SandboxStore:
        """The database's sandbox table (in memory on the memory backend), whatever store
        this container's sandbox channels were given."""
        engine = getattr(self.backend, "engine", None)
        if engine is None:
            return memory_sandbox_store()
        from storage.sandbox_store import SqlSandboxStore

        return SqlSandboxStore(engine, self.clock)

    # ------------------------------------------------------------------ channels
    @property
    def channels(self) -> dict[ChannelKind, Channel]:
        """Channel adapters, built on first use (the CLI's import commands need none)."""
        if self._channels is None:
            self._channels = self.registry.build(
                self.settings.model_dump(), clock=self.clock, sandbox_store=self.sandbox_store,
                rules=self.sandbox_rules, sandbox_only=self.sandbox_only)
        return self._channels

    @property
    def registry(self) -> ChannelRegistry:
        """The channel plugins (found on first use): what to build, mount and run."""
        if self._registry is None:
            from channels.registry import ChannelRegistry

            self._registry = ChannelRegistry.discover()
        return self._registry

    def sandbox_phone(self, kind: ChannelKind) -> SandboxPhone | None:
        """The sandbox standing in for ``kind``, to answer as the customer (None when a
        real provider serves ``kind``)."""
        from bot.services.ports import SandboxPhone

        channel = self.channels.get(kind)
        return channel if isinstance(channel, SandboxPhone) else None

    # ------------------------------------------------------------------ policy and texts
    @cached_property
    def profile(self) -> JurisdictionProfile:
        from bot.policy.profiles import get_profile

        return get_profile(self.settings.jurisdiction)

    @cached_property
    def brand(self) -> Brand:
        """What templates say about the organisation, from the settings."""
        return self.settings.brand

    @cached_property
    def pressure(self) -> PressureLexicon:
        """The threat and pressure patterns every template is linted with."""
        from storage.pressure_files import shipped_pressure_lexicon

        return shipped_pressure_lexicon()

    @cached_property
    def content(self) -> Content:
        """The templates and campaigns in use, checked where they are used (start-up,
        reload, every use): see ``bot/services/content.py``."""
        from bot.conversations.template_check import TemplateCheck
        from bot.policy.profiles import get_profile
        from bot.services.content import Content
        from storage.content_files import DiskContent

        files = DiskContent(self.settings.template_dir, Path(self.settings.campaign_dir))
        return Content(files, TemplateCheck((self.profile,), self.pressure, self.brand),
                       get_profile)

    @cached_property
    def templates(self) -> TemplateStore:
        """The templates in use: each one lints clean under every profile in use
        (``TemplateCheckError`` lists every finding otherwise)."""
        return self.content.templates

    @cached_property
    def renderer(self) -> TemplateRenderer:
        from bot.conversations.template_renderer import TemplateRenderer

        return TemplateRenderer(self.templates, self.profile)

    @cached_property
    def reply_texts(self) -> ReplyTexts:
        from bot.services.reply_texts import ReplyTexts

        return ReplyTexts(self.renderer, self.brand, self.settings.default_language,
                          profile_for=lambda case: self.campaign_book.profile_for(case))

    @cached_property
    def dialog_settings(self) -> DialogSettings:
        from bot.conversations.dialog import Limits
        from bot.domain.verification import VerificationMethod
        from bot.services.customer_messages import DialogSettings
        from storage.intent_model_file import load_intent_model

        p = self.profile
        return DialogSettings(
            Limits(p.max_promise_horizon_days, p.min_instalment_percent, p.max_instalments),
            VerificationMethod(self.settings.telegram_verification),
            day_first=self.settings.default_region not in ("US",),
            intent_model=load_intent_model())

    # ------------------------------------------------------------------ services
    @cached_property
    def onboarding(self) -> ChatOnboarding:
        from bot.services.chat_linking import ChatOnboarding
        from bot.services.customer_messages import CustomerIdentities

        return ChatOnboarding(self.backend.chat_links, CustomerIdentities(self.uow),
                              method=self.settings.telegram_verification,
                              day_first=self.settings.default_region not in ("US",))

    @cached_property
    def inbound(self) -> InboundService:
        from bot.services.inbound import InboundService

        return InboundService(self.uow, self.reply_texts, self.dialog_settings,
                              self.onboarding, executor=self.database_threads)

    @property
    def campaign_book(self) -> CampaignBook:
        """The campaigns that govern messages (whose profile renders and re-checks them at
        send time, and answers replies): those a planning service was built over
        explicitly, else the active versions in the database."""
        if self._campaign_book is not None:
            return self._campaign_book
        return self.live_campaigns.book()

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from datetime import timedelta

        from bot.services.dispatch import Dispatcher
        from bot.services.outbound import fallback_message

        keys = self.settings.secret_keys()
        renderer, brand, clock = self.renderer, self.brand, self.clock

        def unsubscribe_token(address: str) -> str:
            # its cryptography is imported when an email first needs a token (a command
            # that sends an SMS never does; long-running processes preload it)
            from channels.email.unsubscribe_tokens import make_unsubscribe_token

            return make_unsubscribe_token(keys, address, clock.now())

        def profile_for(case: Case, campaign_id: str | None) -> JurisdictionProfile | None:
            return self.campaign_book.profile_for(case, campaign_id)

        return Dispatcher(
            self.uow, self.delivery_store, self.clock, self.channels, self.profile,
            fallback=lambda case, message, kind, remaining: fallback_message(
                renderer, brand, case, message, kind, remaining, clock.now(),
                profile_for(case, message.campaign_id) or self.profile),
            concurrency=self.settings.worker_concurrency,
            lease=timedelta(seconds=self.settings.worker_lease_seconds),
            unsubscribe_token=unsubscribe_token,
            campaign_states=self.campaign_admin.states,
            profile_for=profile_for, limiters=self.shared_limiters())

    def shared_limiters(self) -> dict[ChannelKind, Limiter]:
        """A limiter in the database for each channel whose sender's rate every worker
        shares (Twilio: ``DUEBOT_TWILIO_RATE`` per number or messaging service); the
        other channels keep the dispatcher's bucket per process."""
        from bot.services.dispatch import SharedRateLimiter

        limiters: dict[ChannelKind, Limiter] = {}
        for kind, channel in self.channels.items():
            key = channel.shared_rate_key
            if key is not None:
                limiters[kind] = SharedRateLimiter(self.backend.rate_buckets, key,
                                                   channel.rate_per_sec)
        return limiters

    @cached_property
    def campaign_admin(self) -> CampaignAdmin:
        """Campaign versions in the database (import, approve, activate, pause...)."""
        from bot.services.campaign_admin import CampaignAdmin, template_catalogue

        # the catalogue is made when a campaign is first validated: reading the active
        # campaigns (a case's profile in `duebot cases show`) compiles no template
        return CampaignAdmin(self.uow, templates=_Later(lambda: template_catalogue(
                                 self.templates)),
                             two_person=self.settings.campaign_two_person_approval)

    @cached_property
    def live_campaigns(self) -> LiveCampaigns:
        """The active campaign versions, re-read when they change (send-time profiles)."""
        from bot.services.live_campaigns import LiveCampaigns

        admin = self.campaign_admin
        return LiveCampaigns(admin.live_campaigns, lambda: admin.generation,
                             self.settings.jurisdiction)

    @cached_property
    def desk(self) -> CaseDesk:
        """Queue and case work for people, roles enforced (API, CLI, console)."""
        from bot.services.desk import CaseDesk

        return CaseDesk(self.uow, self.profile, lambda: self.campaign_book)

    @cached_property
    def reply_drafts(self) -> ReplyDrafts:
        """A collector's reply started from a template, rendered for the case."""
        from bot.services.reply_drafts import ReplyDrafts

        return ReplyDrafts(self.uow, self.reply_texts)

    @cached_property
    def template_desk(self) -> TemplateDesk:
        """Templates for admins: preview an edit with the linter's findings, save it to
        ``DUEBOT_TEMPLATE_DIR``."""
        from bot.policy.profiles import get_profile
        from bot.services.template_desk import TemplateDesk
        from storage.content_files import DiskContent

        content = self.content
        files = DiskContent(self.settings.template_dir, Path(self.settings.campaign_dir))
        return TemplateDesk(content, files, self.brand, self.pressure, get_profile,
                            self.settings.jurisdiction, self.uow)

    @cached_property
    def sandbox_phones(self) -> SandboxPhones:
        """Play the customer on the sandbox channel (the console's sandbox phone)."""
        from bot.services.sandbox_phones import SandboxPhones

        return SandboxPhones(self.uow, self.sandbox_store, self.sandbox_phone, self.inbound)

    @cached_property
    def login_policy(self) -> LoginPolicy:
        from bot.services.users import LoginPolicy

        s = self.settings
        return LoginPolicy(session_hours=s.session_hours, max_failures=s.login_max_failures,
                           window_minutes=s.login_window_minutes)

    def campaign_documents(self, paths: list[Path] | None = None
                           ) -> list[CampaignText | Problem]:
        """The campaign files' texts at ``paths`` (default: ``DUEBOT_CAMPAIGN_DIR``), for
        validation or import; an unreadable path is a ``Problem``."""
        from storage.campaign_files import read_documents

        return read_documents(list(paths or [Path(self.settings.campaign_dir)]))

    def load_campaigns(self, directory: Path) -> dict[str, Campaign]:
        """The campaign files in ``directory`` (all or nothing: a bad file raises
        ``CampaignError`` listing its problems)."""
        from storage.campaign_files import load_campaigns

        return load_campaigns(directory)

    def planning(self, campaigns: Mapping[str, Campaign] | None = None, *,
                 batch_size: int | None = None, drafts: bool = False) -> PlanningService:
        """The planning service, able to plan a tick in several processes.

        Without ``campaigns``: the active campaign versions in the database, read afresh
        at every tick (``drafts``: each campaign's latest version instead, for a dry run
        of what approving would do). With ``campaigns``: those (enabled ones plan).
        Before campaigns plan, every template is checked under their profiles
        (``TemplateCheckError`` when one fails: nothing unlinted is rendered)."""
        from bot.services.planning import DEFAULT_BATCH, CampaignBook, PlanningService

        size = batch_size or DEFAULT_BATCH
        source: Callable[[], Mapping[str, Campaign]] | None = None
        if campaigns is None:
            admin = self.campaign_admin
            read = admin.candidate_campaigns if drafts else admin.live_campaigns

            def source() -> Mapping[str, Campaign]:
                found = read()
                self.content.require_profiles(c.profile for c in found.values())
                return found
        else:
            self.content.require_profiles(c.profile for c in campaigns.values())
            # the dispatcher and the replies render and re-check under these campaigns too
            self._campaign_book = CampaignBook(campaigns, self.settings.jurisdiction)
        return PlanningService(
            self.plan_store, self.clock, self.brand, self.renderer,
            CampaignBook(campaigns or {}, self.settings.jurisdiction), batch_size=size,
            worker_factory=functools.partial(
                planning_in_process, self.settings,
                dict(campaigns) if campaigns is not None else None, size, drafts,
                tuple(self.templates)),
            campaign_source=source, worker_modules=PLANNING_MODULES)


#: what a planning process imports to plan (see PlanningService's ``worker_modules``)
PLANNING_MODULES = ("bot.bootstrap", "bot.services.planning", "bot.campaigns.planner",
                    "bot.conversations.template_renderer", "storage.backend",
                    "storage.plan_store", "storage.case_stream", "storage.campaign_files",
                    "sqlalchemy", "psycopg")


def planning_in_process(settings: SettingsValues, campaigns: dict[str, Campaign] | None,
                        batch_size: int, drafts: bool = False,
                        templates: tuple[TemplateSpec, ...] = ()) -> PlanningService:
    """A planning service built from scratch in a planning process (its own engine;
    campaigns given, or read from the database at every tick; ``templates``: the checked
    templates of the process that started it, so both plan with the same texts);
    picklable through :func:`functools.partial`."""
    from bot.conversations.template_renderer import TemplateRenderer
    from bot.conversations.template_store import TemplateStore

    c = bootstrap(settings)
    service = c.planning(campaigns, batch_size=batch_size, drafts=drafts)
    if templates:
        service.renderer = TemplateRenderer(TemplateStore(templates), c.profile)
    service.worker_factory = None
    return service


def secret_key_problem(settings: SettingsValues, registry: ChannelRegistry | None = None
                       ) -> str | None:
    """One line naming the setting, when a real channel is configured and the secret key
    could let anyone mint unsubscribe links (the development value, shorter than 32
    bytes, or the development value kept among the previous keys); None when it is fit.
    The runners refuse to start on it."""
    from bot.domain.secret_keys import DEV_SECRET_KEY, MIN_SECRET_KEY_BYTES, weak_key_reason

    if registry is None:
        from channels.registry import ChannelRegistry

        registry = ChannelRegistry.discover()
    values = settings.model_dump()
    real = [plugin.name for plugin in registry.plugins if plugin.configured(values)]
    if not real:
        return None
    current, *previous = settings.secret_keys()
    reason = weak_key_reason(current)
    if reason is None and DEV_SECRET_KEY in previous:
        return ("DUEBOT_PREVIOUS_SECRET_KEYS holds the development secret key: remove it "
                "(with a real channel configured, its links could be minted by anyone)")
    if reason is None:
        return None
    return (f"DUEBOT_SECRET_KEY {reason}: with a real channel configured "
            f"({', '.join(real)}) set it to a random value of at least "
            f"{MIN_SECRET_KEY_BYTES} bytes, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")


class _Later(Mapping[str, Collection[str]]):
    """A mapping made on first use (by ``make``)."""

    def __init__(self, make: Callable[[], Mapping[str, Collection[str]]]) -> None:
        self._make = make
        self._value: Mapping[str, Collection[str]] | None = None

    def _mapping(self) -> Mapping[str, Collection[str]]:
        if self._value is None:
            self._value = self._make()
        return self._value

    def __getitem__(self, key: str) -> Collection[str]:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())


def database_connections(engine: Engine) -> int:
    """How many connections ``engine``'s pool hands out at most (its size and overflow;
    SQLAlchemy's defaults give 15), at least 1."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    total = (size() if callable(size) else 5) + max(int(overflow), 0)
    return max(total, 1)


def memory_sandbox_store() -> SandboxStore:
    """A sandbox store in memory (the simulation, one-process demos)."""
    from storage.memory.sandbox import MemorySandboxStore

    return MemorySandboxStore()


def bootstrap(
    settings: SettingsValues | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    channels: Mapping[ChannelKind, Channel] | None = None,
    sandbox_store: SandboxStore | None = None,
    sandbox_rules: Mapping[ChannelKind, Mapping[str, Collection[str]]] | None = None,
    sandbox_only: bool = False,
    memory: bool = False,
    registry: ChannelRegistry | None = None,
    read_only: bool = False,
) -> Container:
    """The application over ``settings``; the keyword arguments replace its parts.

    ``memory``: every store in memory instead of the database (service tests, demos).
    ``read_only``: the database's stores for the commands that only read (a unit of
    work's cases, messages, events, work items and campaign versions, and the outcome
    source) on a DB-API connection, without SQLAlchemy (``storage/dbapi_read.py``: a
    command line's start); anything that writes is refused."""
    if settings is None:
        from bot.settings import Settings

        settings = Settings()
    clock = clock or SystemClock()
    backend: Backend
    if memory:
        from storage.memory.backend import MemoryBackend

        backend = MemoryBackend(clock)
    elif read_only and engine is None:
        from storage.dbapi_read import ReadBackend

        backend = cast(Backend, ReadBackend(settings.database_url, clock))
    else:
        from storage.backend import SqlBackend
        from storage.db import make_engine

        backend = SqlBackend(engine or make_engine(settings.database_url), clock)
    return Container(settings=settings, clock=clock, backend=backend,
                     _channels=dict(channels) if channels is not None else None,
                     _sandbox_store=sandbox_store, sandbox_rules=sandbox_rules or {},
                     sandbox_only=sandbox_only, _registry=registry)
