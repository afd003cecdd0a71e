"""Wire the application from one Settings object.

``bootstrap()`` with nothing configured gives the embedded default: a SQLite file, the
sandbox channel standing in for SMS, email and Telegram, the system clock. Tests pass
fakes (a FixedClock, an engine of their own, channels pointed at loopback peers, a
channel registry of their own). Everything is built on first use, so a CLI command that
only imports a CSV never constructs a channel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.domain.clock import Clock, SystemClock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel
from bot.settings import Settings
from storage.db import make_engine
from storage.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from bot.conversations.templates import TemplateRenderer, TemplateStore
    from bot.policy.profiles import JurisdictionProfile
    from bot.services.chat_linking import ChatOnboarding
    from bot.services.dispatch import Dispatcher
    from bot.services.inbound import InboundService
    from bot.services.ports import SandboxStore
    from channels.registry import ChannelRegistry

log = logging.getLogger("duebot")


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: Engine
    _channels: dict[ChannelKind, Channel] | None = field(default=None, repr=False)
    _registry: ChannelRegistry | None = field(default=None, repr=False)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock)

    @property
    def channels(self) -> dict[ChannelKind, Channel]:
        """Channel adapters, built on first use (the CLI's import commands need none)."""
        if self._channels is None:
            self._channels = build_channels(self.settings, self.engine, self.clock,
                                            self.sandbox_store, self.registry)
        return self._channels

    @property
    def registry(self) -> ChannelRegistry:
        """The channel plugins (found on first use): what to build, mount and run."""
        if self._registry is None:
            from channels.registry import ChannelRegistry

            self._registry = ChannelRegistry.discover()
        return self._registry

    @cached_property
    def sandbox_store(self) -> SandboxStore:
        from storage.sandbox_store import SqlSandboxStore

        return SqlSandboxStore(self.engine, self.clock)

    @cached_property
    def profile(self) -> JurisdictionProfile:
        from bot.policy.profiles import get_profile

        return get_profile(self.settings.jurisdiction)

    @cached_property
    def templates(self) -> TemplateStore:
        from bot.conversations.templates import TemplateStore

        return TemplateStore.load(self.settings.template_dir)

    @cached_property
    def renderer(self) -> TemplateRenderer:
        from bot.conversations.templates import TemplateRenderer

        return TemplateRenderer(self.templates, self.profile)

    @cached_property
    def onboarding(self) -> ChatOnboarding:
        from bot.services.chat_linking import ChatOnboarding
        from bot.services.inbound import CustomerIdentities
        from storage.chat_links import SqlChatLinkStore

        return ChatOnboarding(SqlChatLinkStore(self.engine), CustomerIdentities(self.uow),
                              method=self.settings.telegram_verification,
                              day_first=self.settings.default_region not in ("US",))

    @cached_property
    def inbound(self) -> InboundService:
        from bot.services.inbound import InboundService

        return InboundService(self.uow, self.settings, self.profile, self.renderer,
                              self.onboarding)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from bot.domain.unsubscribe import make_unsubscribe_token
        from bot.services.dispatch import Dispatcher
        from bot.services.messages import rerender_for_channel

        secret = self.settings.secret_key.get_secret_value()
        return Dispatcher(
            self.uow, self.channels, self.profile,
            rerender=lambda uow, case, row, kind: rerender_for_channel(
                self.renderer, self.settings, case, row, kind),
            concurrency=self.settings.worker_concurrency,
            unsubscribe_token=lambda address: make_unsubscribe_token(secret, address))


def build_channels(settings: Settings, engine: Engine, clock: Clock,
                   store: SandboxStore | None = None,
                   registry: ChannelRegistry | None = None) -> dict[ChannelKind, Channel]:
    """Real adapters where configured, the sandbox for every other kind."""
    if store is None:
        from storage.sandbox_store import SqlSandboxStore

        store = SqlSandboxStore(engine, clock)
    if registry is None:
        from channels.registry import ChannelRegistry

        registry = ChannelRegistry.discover()
    return registry.build(settings.model_dump(), clock=clock, sandbox_store=store)


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    channels: Mapping[ChannelKind, Channel] | None = None,
    registry: ChannelRegistry | None = None,
) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    return Container(settings=settings, clock=clock, engine=engine,
                     _channels=dict(channels) if channels is not None else None,
                     _registry=registry)
