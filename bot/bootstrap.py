"""Wire the application from one Settings object.

``bootstrap()`` with nothing configured gives the embedded default: a SQLite file, the
sandbox channel standing in for SMS, email and Telegram, the system clock. Tests pass
fakes (a FixedClock, an in-memory engine, channels pointed at loopback peers).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.domain.clock import Clock, SystemClock
from bot.domain.messages import ChannelKind
from bot.settings import Settings
from channels.base import Channel
from storage.db import make_engine
from storage.uow import SqlUnitOfWork

log = logging.getLogger("duebot")


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: Engine
    _channels: dict[ChannelKind, Channel] | None = field(default=None, repr=False)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock)

    @property
    def channels(self) -> dict[ChannelKind, Channel]:
        """Channel adapters, built on first use (the CLI's import commands need none)."""
        if self._channels is None:
            self._channels = build_channels(self.settings, self.engine, self.clock)
        return self._channels


def build_channels(settings: Settings, engine: Engine, clock: Clock) -> dict[ChannelKind, Channel]:
    """Real adapters where configured, the sandbox for every other kind."""
    from channels.sandbox import SandboxChannel
    from storage.sandbox_store import SqlSandboxStore

    store = SqlSandboxStore(engine, clock)
    out: dict[ChannelKind, Channel] = {}
    if settings.has_twilio():
        from channels.sms_twilio import TwilioSmsChannel

        out[ChannelKind.SMS] = TwilioSmsChannel.from_settings(settings)
    if settings.has_smtp():
        from channels.email_smtp import SmtpEmailChannel

        out[ChannelKind.EMAIL] = SmtpEmailChannel.from_settings(settings)
    if settings.has_telegram():
        from channels.telegram_chat import TelegramChatChannel

        out[ChannelKind.TELEGRAM] = TelegramChatChannel.from_settings(settings)
    for kind in ChannelKind:
        out.setdefault(kind, SandboxChannel(kind, store, clock=clock))
    return out


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    channels: Mapping[ChannelKind, Channel] | None = None,
) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    return Container(settings=settings, clock=clock, engine=engine,
                     _channels=dict(channels) if channels is not None else None)
