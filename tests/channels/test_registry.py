"""The channel registry: discovery, what gets built, and what building costs in imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.services.ports import ChannelConfigError
from bot.settings import Settings
from channels.plugin import ChannelContext
from channels.registry import ChannelRegistry
from channels.sandbox import SandboxChannel
from storage.memory.sandbox import MemorySandboxStore
from tests.channels.conftest import RecordingSink
from tests.channels.fake_channels.pigeon.plugin import PigeonChannel, PigeonPlugin

ROOT = Path(__file__).resolve().parents[2]
CLOCK = FixedClock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))
SDKS = ("aioimaplib", "aiosmtpd", "aiosmtplib", "telegram", "twilio")

#: settings that configure one built-in channel each
CONFIGURED: dict[str, dict[str, Any]] = {
    "twilio": {"twilio_account_sid": "AC" + "0a" * 16, "twilio_auth_token": "5ec7e7" + "ab" * 13,
               "twilio_from_number": "+15005550006"},
    "email-smtp": {"smtp_host": "smtp.example.net"},
    "telegram": {"telegram_bot_token": "123456:" + "A" * 35},
}


def values(**kw: Any) -> dict[str, Any]:
    return Settings(_env_file=None, **kw).model_dump()  # type: ignore[call-arg]


def build(registry: ChannelRegistry, settings_values: dict[str, Any],
          store: MemorySandboxStore | None = None) -> dict[ChannelKind, Any]:
    return registry.build(settings_values, clock=CLOCK,
                          sandbox_store=store or MemorySandboxStore())


class TwinPlugin(PigeonPlugin):
    """Another pigeon plugin under another name: its webhook takes the pigeons' route."""

    name = "twin"


def test_every_built_in_channel_is_found() -> None:
    plugins = ChannelRegistry.discover().plugins
    assert sorted((p.kind.value, p.name) for p in plugins) == [
        ("email", "email-smtp"), ("sms", "twilio"), ("telegram", "telegram")]


def test_nothing_configured_gives_the_sandbox_for_every_kind() -> None:
    store = MemorySandboxStore()
    channels = build(ChannelRegistry.discover(), values(), store)

    assert list(channels) == list(ChannelKind)
    for kind, channel in channels.items():
        assert isinstance(channel, SandboxChannel) and channel.kind is kind
        assert channel.store is store


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_a_channel_is_built_only_when_configured(name: str) -> None:
    registry = ChannelRegistry.discover()
    [plugin] = [p for p in registry.plugins if p.name == name]

    channels = build(registry, values(**CONFIGURED[name]))

    built = channels[plugin.kind]
    assert plugin.serves(built) and (built.kind, built.name) == (plugin.kind, plugin.name)
    assert registry.plugin_for(built) is plugin
    others = [c for kind, c in channels.items() if kind is not plugin.kind]
    assert all(isinstance(c, SandboxChannel) for c in others)


def test_a_configured_channel_with_wrong_settings_says_which() -> None:
    wrong = {**CONFIGURED["twilio"], "twilio_from_number": "not a number"}
    with pytest.raises(ChannelConfigError, match="DUEBOT_TWILIO_FROM_NUMBER"):
        build(ChannelRegistry.discover(), values(**wrong))


def test_a_channel_package_elsewhere_is_found_and_built_when_configured() -> None:
    registry = ChannelRegistry.discover("channels", "tests.channels.fake_channels")
    assert [p.name for p in registry.plugins][-1] == "pigeon"

    channels = build(registry, {**values(), "pigeon_loft": "roof"})

    assert isinstance(channels[ChannelKind.SMS], PigeonChannel)
    assert channels[ChannelKind.SMS].loft == "roof"
    assert isinstance(build(registry, values())[ChannelKind.SMS], SandboxChannel)


def test_two_channels_configured_for_one_kind_is_an_error() -> None:
    registry = ChannelRegistry.discover("channels", "tests.channels.fake_channels")
    with pytest.raises(ChannelConfigError, match="both twilio and pigeon"):
        build(registry, {**values(**CONFIGURED["twilio"]), "pigeon_loft": "roof"})


def test_two_plugins_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="'pigeon'"):
        ChannelRegistry([PigeonPlugin(), PigeonPlugin()])


def test_two_webhooks_on_one_route_are_refused() -> None:
    registry = ChannelRegistry([PigeonPlugin(), TwinPlugin()])
    pigeon = PigeonChannel("roof", CLOCK)
    assert len(PigeonPlugin().webhooks(ChannelContext(values(), pigeon, CLOCK))) == 1
    with pytest.raises(ValueError, match="POST /webhooks/pigeon/"):
        registry.webhooks({ChannelKind.SMS: pigeon}, values(), CLOCK)


async def test_a_channel_without_a_plugin_is_started_plainly() -> None:
    registry = ChannelRegistry.discover()
    pigeon = PigeonChannel("roof", CLOCK)
    assert registry.plugin_for(pigeon) is None
    assert registry.plugin_for(SandboxChannel(ChannelKind.SMS, MemorySandboxStore())) is None

    await registry.start(pigeon, RecordingSink())

    assert pigeon.starts == 1


# ---------------------------------------------------------------------------- imports
_PROBE = """
import json, sys
from bot.bootstrap import bootstrap
from bot.entrypoints.web.app import create_app
from bot.settings import Settings

container = bootstrap(Settings(_env_file=None, database_url="sqlite://", **json.loads(sys.argv[1])))
kinds = {kind.value: channel.name for kind, channel in container.channels.items()}
create_app(container)
print(json.dumps([kinds, sorted(m for m in sys.argv[2].split(",") if m in sys.modules)]))
"""


def _probe(tmp_path: Path, settings: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(settings), ",".join(SDKS)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    kinds, imported = json.loads(done.stdout.splitlines()[-1])
    return kinds, imported


def test_the_sandbox_alone_imports_no_provider_sdk(tmp_path: Path) -> None:
    kinds, imported = _probe(tmp_path, {})
    assert kinds == {"sms": "sandbox", "email": "sandbox", "telegram": "sandbox"}
    assert imported == []


@pytest.mark.parametrize(("name", "sdk"), [("twilio", "twilio"), ("email-smtp", "aiosmtplib"),
                                           ("telegram", "telegram")])
def test_a_configured_channel_imports_its_own_sdk_only(tmp_path: Path, name: str,
                                                       sdk: str) -> None:
    kinds, imported = _probe(tmp_path, CONFIGURED[name])
    assert name in kinds.values()
    assert imported == [sdk]
