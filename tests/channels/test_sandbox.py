"""The sandbox channel: per-kind stand-ins, sandbox rules, the store, playing the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryStatus,
    FailureReason,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    SignalKind,
)
from bot.services.ports import Direction, SandboxEntry
from channels.sandbox import (
    SandboxChannel,
    SandboxEmailChannel,
    SandboxPayloadError,
    SandboxSmsChannel,
    SandboxTelegramChannel,
)
from storage.memory.sandbox import MemorySandboxStore
from tests.channels.conftest import RecordingSink

T0 = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)


def message(
    kind: ChannelKind, to: str, body: str = "Hi", subject: str | None = None
) -> OutboundMessage:
    return OutboundMessage("key", kind, to, body, subject=subject)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        (ChannelKind.SMS, SandboxSmsChannel),
        (ChannelKind.EMAIL, SandboxEmailChannel),
        ("telegram", SandboxTelegramChannel),
    ],
)
def test_one_class_per_kind(kind: ChannelKind | str, cls: type[SandboxChannel]) -> None:
    channel = SandboxChannel(kind, MemorySandboxStore())
    assert type(channel) is cls
    assert channel.kind is ChannelKind(kind)
    assert SandboxChannel.class_for(kind) is cls
    assert cls.name == "sandbox"


def test_capabilities_match_the_channel_stood_in_for() -> None:
    assert SandboxEmailChannel.supports_subject and not SandboxSmsChannel.supports_subject
    assert SandboxTelegramChannel.supports_quick_replies
    assert SandboxSmsChannel.max_body_len == 1600
    assert SandboxTelegramChannel.max_body_len == 4096


def test_kind_must_match_the_class() -> None:
    with pytest.raises(ValueError, match="email"):
        SandboxSmsChannel(ChannelKind.EMAIL, MemorySandboxStore())
    with pytest.raises(ValueError):
        SandboxChannel("fax", MemorySandboxStore())


async def test_send_stores_the_message() -> None:
    store = MemorySandboxStore()
    channel = SandboxChannel(ChannelKind.EMAIL, store, clock=FixedClock(T0))

    result = await channel.send(
        message(ChannelKind.EMAIL, " Dana@Example.NET ", "Body", subject="Subject")
    )

    assert result.status is DeliveryStatus.ACCEPTED
    assert result.provider_id and result.provider_id.startswith("sbx-")
    assert store.list() == [
        SandboxEntry(
            provider_id=result.provider_id,
            channel=ChannelKind.EMAIL,
            direction=Direction.OUT,
            address="dana@example.net",
            body="Body",
            at=T0,
            subject="Subject",
        )
    ]


async def test_sms_sandbox_keeps_no_subject() -> None:
    channel = SandboxChannel(ChannelKind.SMS, MemorySandboxStore())
    await channel.send(message(ChannelKind.SMS, "+14155550123", subject="ignored"))
    assert channel.store.list()[0].subject is None


@pytest.mark.parametrize(
    ("to", "reason", "code"),
    [
        ("BLOCKED@example.com", FailureReason.INVALID_ADDRESS, "sandbox-reject"),
        ("gone@example.com", FailureReason.OPTED_OUT, "sandbox-opted-out"),
        ("   ", FailureReason.INVALID_ADDRESS, None),
    ],
)
async def test_sandbox_rules_refuse_permanently(
    to: str, reason: FailureReason, code: str | None
) -> None:
    channel = SandboxChannel(
        ChannelKind.EMAIL, MemorySandboxStore(), rejects={"blocked@example.com"},
        opted_out=["Gone@Example.com"]
    )

    result = await channel.send(message(ChannelKind.EMAIL, to))

    assert (result.status, result.reason, result.code) == (DeliveryStatus.PERMANENT, reason, code)
    assert channel.store.list() == []


async def test_body_over_the_kinds_limit_is_rejected() -> None:
    channel = SandboxChannel(ChannelKind.TELEGRAM, MemorySandboxStore())
    ok = await channel.send(message(ChannelKind.TELEGRAM, "4242", "x" * 4096))
    too_long = await channel.send(message(ChannelKind.TELEGRAM, "4242", "x" * 4097))
    assert ok.ok
    assert (too_long.status, too_long.reason) == (DeliveryStatus.PERMANENT, FailureReason.REJECTED)


async def test_sending_another_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="sms"):
        await SandboxChannel(ChannelKind.SMS, MemorySandboxStore()).send(
            message(ChannelKind.EMAIL, "a@b.example"))


def test_inbound_round_trip_keeps_the_subject_for_email() -> None:
    channel = SandboxChannel(ChannelKind.EMAIL, MemorySandboxStore(), clock=FixedClock(T0))
    raw = channel.inbound_raw("Sam@Example.org", "Paid yesterday", subject="Re: your account")

    (event,) = channel.parse_inbound(raw)

    assert event == InboundMessage(
        channel=ChannelKind.EMAIL,
        sender="sam@example.org",
        text="Paid yesterday",
        provider_id=raw["id"],
        received_at=T0,
        subject="Re: your account",
    )


def test_sms_sandbox_mirrors_carrier_keywords() -> None:
    channel = SandboxChannel(ChannelKind.SMS, MemorySandboxStore(), clock=FixedClock(T0))

    signal, msg = channel.parse_inbound(channel.inbound_raw("+14155550199", "Stop"))

    assert isinstance(signal, ContactSignal)
    assert (signal.kind, signal.source, signal.address) == (
        SignalKind.OPT_OUT,
        "carrier-stop",
        "+14155550199",
    )
    assert isinstance(msg, InboundMessage) and msg.text == "Stop"


def test_other_kinds_have_no_carrier_keywords() -> None:
    channel = SandboxChannel(ChannelKind.TELEGRAM, MemorySandboxStore())
    (event,) = channel.parse_inbound(channel.inbound_raw("4242", "STOP"))
    assert isinstance(event, InboundMessage)


def test_received_time_comes_from_the_payload() -> None:
    channel = SandboxChannel(ChannelKind.SMS, MemorySandboxStore(), clock=FixedClock(T0))
    raw = channel.inbound_raw("+14155550199", "hi")
    raw["at"] = "2025-05-01T08:00:00"  # naive: taken as UTC
    (event,) = channel.parse_inbound(raw)
    assert event.received_at == datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sandbox": "email"}, "email"),
        ({"id": ""}, "id"),
        ({"from": "  "}, "sender"),
        ({"text": None}, "text"),
        ({"at": "yesterday"}, "ISO 8601"),
        ({"at": 12}, "ISO 8601"),
    ],
)
def test_malformed_payloads_raise_precise_errors(change: dict[str, object], match: str) -> None:
    channel = SandboxChannel(ChannelKind.SMS, MemorySandboxStore())
    raw = channel.inbound_raw("+14155550199", "hi")
    raw.update(change)
    with pytest.raises(SandboxPayloadError, match=match):
        channel.parse_inbound(raw)


async def test_receive_plays_the_customer_and_delivers_the_sinks_replies() -> None:
    def reply(event: InboundEvent) -> list[str]:
        return ["Thanks, noted."] if isinstance(event, InboundMessage) else []

    sink = RecordingSink(reply=reply)
    store = MemorySandboxStore()
    clock = FixedClock(T0)
    channel = SandboxChannel(ChannelKind.SMS, store, clock=clock)

    result = await channel.receive("+14155550199", "STOP", sink)

    assert result.replies == ["Thanks, noted."]
    assert [type(e) for e in sink.events] == [ContactSignal, InboundMessage]
    entries = store.list(address="+14155550199")
    assert [(e.direction, e.body) for e in entries] == [
        (Direction.IN, "STOP"),
        (Direction.OUT, "Thanks, noted."),
    ]
    assert entries[0].provider_id == sink.events[1].provider_id


def test_memory_store_filters_and_orders() -> None:
    store = MemorySandboxStore()

    def entry(pid: str, address: str, minutes: int) -> SandboxEntry:
        return SandboxEntry(
            pid, ChannelKind.SMS, Direction.OUT, address, "b", T0 + timedelta(minutes=minutes)
        )

    store.append(entry("sbx-3", "+1", 30))
    store.append(entry("sbx-1", "+1", 10))
    store.append(entry("sbx-2", "+2", 20))

    assert [e.provider_id for e in store.list()] == ["sbx-1", "sbx-2", "sbx-3"]
    assert [e.provider_id for e in store.list(address="+1")] == ["sbx-1", "sbx-3"]
    assert [e.provider_id for e in store.list(since=T0 + timedelta(minutes=20))] == [
        "sbx-2",
        "sbx-3",
    ]
    with pytest.raises(ValueError, match="sbx-1"):
        store.append(entry("sbx-1", "+3", 40))


def test_repr_is_short_and_names_the_kind() -> None:
    channel = SandboxChannel(ChannelKind.SMS, MemorySandboxStore(), rejects={"+15005550001"})
    assert repr(channel) == "SandboxSmsChannel(kind=sms, rejects=1, opted_out=0)"
