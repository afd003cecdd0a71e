"""How a channel package declares itself to the registry, in framework-neutral terms.

Every package under ``channels/`` with a ``plugin`` module is a channel: the module's
``PLUGIN`` (a :class:`ChannelPlugin`) says when the channel is configured, how to build
it, and what it receives outside of ``send``: webhooks the web app mounts and receivers
the runners run. :mod:`channels.registry` finds them; nothing else names a channel.

The plugin module must stay cheap to import: the CLI discovers every plugin to build the
sandbox, so a provider SDK (twilio, telegram, aiosmtplib, ...) may only be imported inside
``build``, ``webhooks``, ``receivers`` and ``start``, that is when the channel is
configured or actually used.

Plugins get plain setting values (:data:`channels.setting_values.SettingValues`), never
the ``Settings`` object.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel, InboundSink
from channels.setting_values import SettingValues


# ---------------------------------------------------------------------------- webhooks
@dataclass(frozen=True)
class WebRequest:
    """One HTTP request to a webhook, as the web framework received it.

    ``headers`` has lower-case names and the first value of a repeated header, decoded as
    latin-1 (the bytes on the wire, one character per byte). ``path_params`` holds the
    ``{name}`` segments of the webhook's path, percent-decoded. The body is read only when
    asked for (:meth:`body`), so a request can be refused on its headers alone.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    read_body: Callable[[], Awaitable[bytes]] = field(repr=False)
    path_params: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    async def body(self) -> bytes:
        return await self.read_body()


@dataclass(frozen=True)
class WebResponse:
    """The answer to a webhook request; ``headers`` carries the content type, if any."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, status: int, text: str, content_type: str,
             headers: Mapping[str, str] | None = None) -> WebResponse:
        """A UTF-8 text answer (``content_type`` without its charset: it is added)."""
        return cls(status, text.encode("utf-8"),
                   {"content-type": f"{content_type}; charset=utf-8", **(headers or {})})


@dataclass(frozen=True)
class Webhook:
    """A route a provider (or a customer's browser) calls.

    ``path`` may hold ``{name}`` segments (``/unsubscribe/{token}``). ``handle`` gets the
    request and the inbound sink; an exception it raises becomes a 500 answer, which
    providers take as "deliver again".
    """

    method: str
    path: str
    handle: Callable[[WebRequest, InboundSink], Awaitable[WebResponse]]
    #: listed in the web app's API description (OpenAPI)
    documented: bool = True
    #: the channel the handler sends through (in-band answers), if any: the web server
    #: starts it, to send only, before it serves
    channel: Channel | None = None


# ---------------------------------------------------------------------------- receivers
@dataclass(frozen=True)
class Receiver:
    """Something that receives in the background: an SMTP listener, a mailbox poller.

    ``run(sink, stop)`` hands what it receives to ``sink`` until ``stop`` is set; the
    runner cancels it if it is still running then, so cancellation must leave nothing open.
    When the receiver works through a channel (``channel``), the runner starts that
    channel first (once per process, see :meth:`ChannelPlugin.start`) and closes it after.
    """

    name: str
    run: Callable[[InboundSink, asyncio.Event], Coroutine[Any, Any, None]]
    channel: Channel | None = None


# ---------------------------------------------------------------------------- plugins
@dataclass(frozen=True)
class ChannelContext:
    """What a plugin sees of the running application when it declares its inbound side.

    ``channel`` is the application's channel for the plugin's kind: the plugin's own when
    it is configured (or a test passed one in), otherwise another plugin's or the sandbox;
    None if the application has none of that kind.
    """

    values: SettingValues
    channel: Channel | None
    clock: Clock


class ChannelPlugin(ABC):
    """One channel, as the registry knows it: ``kind`` and ``name`` are those of the
    :class:`~bot.services.ports.Channel` that :meth:`build` returns."""

    kind: ClassVar[ChannelKind]
    name: ClassVar[str]

    @abstractmethod
    def configured(self, values: SettingValues) -> bool:
        """Whether the settings ask for this channel (it is then built instead of the
        sandbox)."""

    @abstractmethod
    def build(self, values: SettingValues, clock: Clock) -> Channel:
        """The channel; raises ``ChannelConfigError`` naming the setting that is wrong."""

    def serves(self, channel: Channel | None) -> bool:
        """Whether ``channel`` is one this plugin builds."""
        return channel is not None and channel.kind is self.kind and channel.name == self.name

    def webhooks(self, context: ChannelContext) -> Sequence[Webhook]:
        """Routes the web app mounts (none by default)."""
        return ()

    def receivers(self, context: ChannelContext) -> Sequence[Receiver]:
        """Background receivers the inbound runner runs (none by default)."""
        return ()

    async def start(self, channel: Channel, sink: InboundSink | None) -> None:
        """Start one of this plugin's channels; ``sink`` is for channels that receive
        while they run (Telegram polling): None to only send with it (a worker, a web
        server), since one process per deployment receives."""
        await channel.start()
