"""The contract every channel adapter passes, through its loopback harness only.

Each test runs once per channel (see ``conftest.harness``): the real adapter talks to a
real protocol peer, and the harness tells us what the peer received.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.domain.messages import (
    ChannelKind,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
)
from tests.channels.harness import ChannelHarness, PeerDelivery

BODY = "Hello Sam, a payment of 50 € is due on Friday. Reply PAY to settle — 谢谢"
SUBJECT = "Your account ending 4821"
INBOUND_TEXT = "I can pay 50 € on Friday — 谢谢"


def outbound(h: ChannelHarness, to: str, key: str, body: str = BODY) -> OutboundMessage:
    channel = h.channel
    return OutboundMessage(
        idempotency_key=key,
        channel=channel.kind,
        to=to,
        body=body,
        subject=SUBJECT if channel.supports_subject else None,
    )


async def test_send_to_good_address_is_accepted_and_delivered_verbatim(
    harness: ChannelHarness,
) -> None:
    result = await harness.channel.send(outbound(harness, harness.good_address, "contract-1"))

    assert result.status is DeliveryStatus.ACCEPTED, result
    assert result.ok
    assert result.provider_id
    expected_subject = SUBJECT if harness.channel.supports_subject else None
    assert await harness.delivered() == [
        PeerDelivery(to=harness.good_address, body=BODY, subject=expected_subject)
    ]


async def test_each_accepted_message_gets_its_own_provider_id(harness: ChannelHarness) -> None:
    first = await harness.channel.send(outbound(harness, harness.good_address, "contract-a"))
    second = await harness.channel.send(
        outbound(harness, harness.good_address, "contract-b", body="Second message")
    )

    assert first.ok and second.ok
    assert first.provider_id != second.provider_id
    assert [d.body for d in await harness.delivered()] == [BODY, "Second message"]


async def test_send_to_bad_address_is_permanent_with_a_reason(harness: ChannelHarness) -> None:
    result = await harness.channel.send(outbound(harness, harness.bad_address, "contract-2"))

    assert result.status is DeliveryStatus.PERMANENT, result
    assert result.reason is not None
    assert not result.ok
    assert await harness.delivered() == []


async def test_inbound_payload_becomes_one_inbound_message(harness: ChannelHarness) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    events = harness.channel.parse_inbound(harness.inbound_raw(INBOUND_TEXT, "7301"))

    assert len(events) == 1, events
    (event,) = events
    assert isinstance(event, InboundMessage)
    assert event.text == INBOUND_TEXT
    assert event.sender == harness.customer_address
    assert event.channel == harness.channel.kind
    assert event.provider_id
    assert event.received_at.tzinfo is not None
    assert event.received_at.utcoffset() is not None
    assert event.received_at >= before


async def test_inbound_provider_id_identifies_the_provider_message(
    harness: ChannelHarness,
) -> None:
    channel = harness.channel
    first = channel.parse_inbound(harness.inbound_raw("first", "7401"))
    again = channel.parse_inbound(harness.inbound_raw("first", "7401"))
    other = channel.parse_inbound(harness.inbound_raw("second", "7402"))

    assert first[0].provider_id == again[0].provider_id
    assert first[0].provider_id != other[0].provider_id


def test_capabilities_are_sane_class_attributes(harness: ChannelHarness) -> None:
    channel = harness.channel
    cls = type(channel)

    assert isinstance(cls.kind, ChannelKind)
    assert channel.kind is cls.kind
    assert isinstance(cls.name, str) and cls.name
    assert isinstance(cls.max_body_len, int) and cls.max_body_len > 0
    assert isinstance(cls.rate_per_sec, int | float) and cls.rate_per_sec > 0
    assert isinstance(cls.supports_subject, bool)
    assert isinstance(cls.supports_quick_replies, bool)


def _secrets(obj: Any, depth: int = 0) -> Iterator[str]:
    """Secret values held by ``obj``: SecretStr fields and str fields named like secrets."""
    if depth > 2 or not hasattr(obj, "__dict__"):
        return
    for name, value in vars(obj).items():
        if isinstance(value, SecretStr):
            yield value.get_secret_value()
        elif isinstance(value, str) and any(
            word in name.lower() for word in ("token", "password", "secret")
        ):
            yield value
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            yield from _secrets(value, depth + 1)


def test_repr_reveals_no_secret(harness: ChannelHarness) -> None:
    channel = harness.channel
    text = repr(channel) + str(channel)
    for secret in _secrets(channel):
        if len(secret) >= 4:
            assert secret not in text
