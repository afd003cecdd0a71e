"""Fixtures for the channel tests.

``harness`` runs the contract suite once per channel: for each name it imports
``tests.channels.harness_<name>`` and enters that module's ``harness()`` async context
manager. A channel whose harness module is not written yet is skipped (only a missing
module is skipped: an import error inside an existing module fails loudly).

``RecordingSink`` is an in-memory :class:`~bot.services.ports.InboundSink` for adapter and
webhook tests.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from types import ModuleType

import pytest

from bot.domain.messages import (
    ContactSignal,
    DeliveryReceipt,
    InboundEvent,
    InboundMessage,
    SinkResult,
)
from tests.channels.harness import ChannelHarness

CHANNEL_NAMES = ["sandbox", "twilio", "email", "telegram"]


def _harness_module(name: str) -> ModuleType:
    module_name = f"tests.channels.harness_{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            pytest.skip(f"harness_{name} not written yet")
        raise


@pytest.fixture(params=CHANNEL_NAMES)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[ChannelHarness]:
    module = _harness_module(request.param)
    async with module.harness() as channel_harness:
        yield channel_harness


def event_key(event: InboundEvent) -> tuple[str, ...]:
    """What makes an event a repeat: the same provider message seen again.

    A message and the opt-out signal it carries share a MessageSid but are different
    events; status callbacks repeat the MessageSid with a new status each time.
    """
    if isinstance(event, InboundMessage):
        return ("message", event.provider_id)
    if isinstance(event, DeliveryReceipt):
        return ("receipt", event.provider_id, event.status.value)
    assert isinstance(event, ContactSignal)
    return ("signal", event.provider_id or "", event.kind.value, event.address)


class RecordingSink:
    """An InboundSink that keeps what it accepted, idempotent on :func:`event_key`.

    ``reply`` may return texts to answer in-band for an accepted event.
    """

    def __init__(self, reply: Callable[[InboundEvent], list[str]] | None = None) -> None:
        self.events: list[InboundEvent] = []
        self.duplicates: list[InboundEvent] = []
        self._seen: set[tuple[str, ...]] = set()
        self._reply = reply

    async def accept(self, event: InboundEvent) -> SinkResult:
        key = event_key(event)
        if key in self._seen:
            self.duplicates.append(event)
            return SinkResult(duplicate=True)
        self._seen.add(key)
        self.events.append(event)
        return SinkResult(replies=self._reply(event) if self._reply else [])


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
