"""The channel registry: every channel plugin, found without naming any of them.

:meth:`ChannelRegistry.discover` imports the ``plugin`` module of each sub-package of
``channels`` (or of the packages it is given) and collects its ``PLUGIN``; adding a
channel is adding a package. What the application then asks of the channels goes through
here: :meth:`~ChannelRegistry.build` the configured ones (the sandbox stands in for every
other kind), the :meth:`~ChannelRegistry.webhooks` the web app mounts, the
:meth:`~ChannelRegistry.receivers` the inbound runner runs, and how to
:meth:`~ChannelRegistry.start` a channel.

Discovery imports plugin modules only, which import no provider SDK (see
:mod:`channels.plugin`): a CLI command that only needs the sandbox pays for none.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Collection, Iterable, Mapping

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import Channel, ChannelConfigError, InboundSink, SandboxStore
from channels.plugin import ChannelContext, ChannelPlugin, Receiver, Webhook
from channels.sandbox import SandboxChannel
from channels.setting_values import SettingValues

#: where the built-in channels live
BUILT_IN_PACKAGE = "channels"
#: the module of a channel package that declares ``PLUGIN``
PLUGIN_MODULE = "plugin"


class ChannelRegistry:
    """The channel plugins the application knows, in discovery order."""

    def __init__(self, plugins: Iterable[ChannelPlugin]) -> None:
        self.plugins: tuple[ChannelPlugin, ...] = tuple(plugins)
        seen: dict[tuple[ChannelKind, str], ChannelPlugin] = {}
        for plugin in self.plugins:
            key = (plugin.kind, plugin.name)
            if key in seen:
                raise ValueError(f"two channel plugins are named {plugin.name!r} for "
                                 f"{plugin.kind}: {type(seen[key]).__name__} and "
                                 f"{type(plugin).__name__}")
            seen[key] = plugin

    @classmethod
    def discover(cls, *packages: str) -> ChannelRegistry:
        """The plugins of every sub-package of ``packages`` (default: ``channels``) that has
        a ``plugin`` module; packages are searched in the order given, sub-packages by name.
        """
        plugins: list[ChannelPlugin] = []
        for package_name in packages or (BUILT_IN_PACKAGE,):
            package = importlib.import_module(package_name)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
                module_name = f"{package_name}.{info.name}.{PLUGIN_MODULE}"
                if not info.ispkg or importlib.util.find_spec(module_name) is None:
                    continue
                plugin = getattr(importlib.import_module(module_name), "PLUGIN", None)
                if not isinstance(plugin, ChannelPlugin):
                    raise TypeError(f"{module_name}.PLUGIN must be a ChannelPlugin, "
                                    f"not {type(plugin).__name__}")
                plugins.append(plugin)
        return cls(plugins)

    # ------------------------------------------------------------------------ building
    def build(self, values: SettingValues, *, clock: Clock, sandbox_store: SandboxStore,
              rules: Mapping[ChannelKind, Mapping[str, Collection[str]]] | None = None,
              sandbox_only: bool = False) -> dict[ChannelKind, Channel]:
        """One channel per kind: the configured plugin's, else the sandbox's (with the
        sandbox ``rules`` of its kind: addresses it ``rejects`` as invalid or reports
        ``opted_out``). ``sandbox_only``: the sandbox for every kind, whatever is
        configured (the simulation).

        Raises ``ChannelConfigError`` when two plugins are configured for one kind, or
        when a configured channel's settings are wrong.
        """
        chosen: dict[ChannelKind, ChannelPlugin] = {}
        for plugin in self.plugins:
            if sandbox_only or not plugin.configured(values):
                continue
            other = chosen.setdefault(plugin.kind, plugin)
            if other is not plugin:
                raise ChannelConfigError(
                    f"both {other.name} and {plugin.name} are configured for {plugin.kind} "
                    "messages: configure one")
        channels: dict[ChannelKind, Channel] = {}
        for kind in ChannelKind:
            configured = chosen.get(kind)
            channels[kind] = (configured.build(values, clock) if configured is not None
                              else SandboxChannel(kind, sandbox_store, clock=clock,
                                                  **(rules or {}).get(kind, {})))
        return channels

    def plugin_for(self, channel: Channel) -> ChannelPlugin | None:
        """The plugin that builds channels like ``channel`` (None for the sandbox)."""
        return next((p for p in self.plugins if p.serves(channel)), None)

    # ------------------------------------------------------------------------ running
    async def start(self, channel: Channel, sink: InboundSink | None) -> None:
        """Start ``channel`` the way its plugin says (``sink``: for channels that receive
        while they run; None to only send)."""
        plugin = self.plugin_for(channel)
        if plugin is None:
            await channel.start()
        else:
            await plugin.start(channel, sink)

    def webhooks(self, channels: Mapping[ChannelKind, Channel], values: SettingValues,
                 clock: Clock) -> list[Webhook]:
        """Every plugin's webhooks for these channels; raises ``ValueError`` when two
        claim the same method and path."""
        webhooks: list[Webhook] = []
        routes: set[tuple[str, str]] = set()
        for plugin in self.plugins:
            for webhook in plugin.webhooks(self._context(plugin, channels, values, clock)):
                route = (webhook.method.upper(), webhook.path)
                if route in routes:
                    raise ValueError(f"two webhooks for {route[0]} {route[1]}")
                routes.add(route)
                webhooks.append(webhook)
        return webhooks

    def receivers(self, channels: Mapping[ChannelKind, Channel], values: SettingValues,
                  clock: Clock) -> list[Receiver]:
        """Every plugin's background receivers for these channels."""
        return [receiver for plugin in self.plugins
                for receiver in plugin.receivers(self._context(plugin, channels, values, clock))]

    @staticmethod
    def _context(plugin: ChannelPlugin, channels: Mapping[ChannelKind, Channel],
                 values: SettingValues, clock: Clock) -> ChannelContext:
        return ChannelContext(values=values, channel=channels.get(plugin.kind), clock=clock)
