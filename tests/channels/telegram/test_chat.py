"""The Telegram adapter against the fake Bot API: sending, error mapping, translation,
configuration and secret hygiene. Real PTB client, real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryStatus,
    FailureReason,
    InboundMessage,
    OutboundMessage,
    QuickReply,
    SignalKind,
)
from bot.services.ports import ChannelConfigError
from bot.settings import Settings
from channels.telegram.chat import TelegramChatChannel, TelegramUpdateError
from channels.telegram.config import TelegramConfig
from tests.channels.harness_telegram import (
    BLOCKED_CHAT,
    CUSTOMER_CHAT,
    GOOD_CHAT,
    RecordingSink,
    TelegramHarness,
    telegram_harness,
)
from tests.peers.telegram_api import (
    DEFAULT_TOKEN,
    ChatBehaviour,
    FakeTelegramBotAPI,
    callback_update,
    member_update,
    sticker_update,
    text_update,
)

# PTB itself reads RetryAfter.retry_after while building the exception and warns about the
# int -> timedelta migration; nothing in duebot can act on it.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
BUTTONS = (
    QuickReply("Pay now", "pay"),
    QuickReply("Promise to pay", "promise"),
    QuickReply("Talk to a person", "human"),
)


@pytest.fixture
async def tg() -> AsyncIterator[TelegramHarness]:
    async with telegram_harness(clock=FixedClock(AT)) as h:
        yield h


def out(to: object, body: str = "Hello from Duebot Bank", **kw: Any) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k-1", channel=ChannelKind.TELEGRAM, to=str(to), body=body, **kw
    )


# --------------------------------------------------------------------------- send


async def test_send_with_quick_replies(tg: TelegramHarness) -> None:
    result = await tg.channel.send(out(GOOD_CHAT, quick_replies=BUTTONS))
    assert result.status is DeliveryStatus.ACCEPTED
    [sent] = tg.peer.sent
    assert result.provider_id == f"{GOOD_CHAT}:{sent.message_id}"
    assert sent.chat_id == GOOD_CHAT and sent.text == "Hello from Duebot Bank"
    assert sent.button_payloads == ["pay", "promise", "human"]
    labels = [row[0]["text"] for row in (sent.reply_markup or {})["inline_keyboard"]]
    assert labels == ["Pay now", "Promise to pay", "Talk to a person"]


async def test_send_without_buttons_has_no_markup(tg: TelegramHarness) -> None:
    assert (await tg.channel.send(out(GOOD_CHAT))).ok
    assert tg.peer.sent[0].reply_markup is None


async def test_blocked_is_permanent(tg: TelegramHarness) -> None:
    result = await tg.channel.send(out(BLOCKED_CHAT))
    assert (result.status, result.reason, result.code) == (
        DeliveryStatus.PERMANENT,
        FailureReason.BLOCKED,
        "403",
    )
    assert str(BLOCKED_CHAT) not in result.detail
    assert tg.peer.sent == []


async def test_chat_not_found_is_invalid_address(tg: TelegramHarness) -> None:
    tg.peer.set_behaviour(777, ChatBehaviour.NOT_FOUND)
    result = await tg.channel.send(out(777))
    assert (result.status, result.reason) == (
        DeliveryStatus.PERMANENT,
        FailureReason.INVALID_ADDRESS,
    )


async def test_deactivated_user_is_invalid_address(tg: TelegramHarness) -> None:
    tg.peer.set_behaviour(778, ChatBehaviour.DEACTIVATED)
    result = await tg.channel.send(out(778))
    assert (result.status, result.reason) == (
        DeliveryStatus.PERMANENT,
        FailureReason.INVALID_ADDRESS,
    )


async def test_flood_control_is_transient(tg: TelegramHarness) -> None:
    tg.peer.set_behaviour(779, ChatBehaviour.FLOOD, retry_after=7)
    result = await tg.channel.send(out(779))
    assert (result.status, result.reason, result.code) == (
        DeliveryStatus.TRANSIENT,
        FailureReason.RATE_LIMITED,
        "429",
    )
    assert "7s" in result.detail
    # the limiter did not retry behind our back (max_retries=0): one call only
    assert tg.peer.calls.count("sendMessage") == 1


async def test_unreachable_api_is_transient(tg: TelegramHarness) -> None:
    await tg.peer.stop()
    result = await tg.channel.send(out(GOOD_CHAT))
    assert (result.status, result.reason) == (DeliveryStatus.TRANSIENT, FailureReason.UNAVAILABLE)


async def test_revoked_token_is_configuration(tg: TelegramHarness) -> None:
    tg.peer.token = "7000000001:AAsomeOtherTokenAfterRevocation_xyz12"
    result = await tg.channel.send(out(GOOD_CHAT))
    assert (result.status, result.reason) == (
        DeliveryStatus.PERMANENT,
        FailureReason.CONFIGURATION,
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (out("@someone"), FailureReason.INVALID_ADDRESS),
        (out("-100123456"), FailureReason.INVALID_ADDRESS),  # a group: never
        (out(GOOD_CHAT, body="   "), FailureReason.REJECTED),
        (out(GOOD_CHAT, body="x" * 4097), FailureReason.REJECTED),
        (out(GOOD_CHAT, quick_replies=(QuickReply("Pay", "p" * 65),)), FailureReason.REJECTED),
        (out(GOOD_CHAT, quick_replies=(QuickReply("", "pay"),)), FailureReason.REJECTED),
    ],
)
async def test_refused_before_calling_telegram(
    tg: TelegramHarness, message: OutboundMessage, reason: FailureReason
) -> None:
    result = await tg.channel.send(message)
    assert (result.status, result.reason) == (DeliveryStatus.PERMANENT, reason)
    assert "sendMessage" not in tg.peer.calls


async def test_longest_body_is_sent(tg: TelegramHarness) -> None:
    assert (await tg.channel.send(out(GOOD_CHAT, body="é" * 4096))).ok


async def test_wrong_channel_kind_is_a_programming_error(tg: TelegramHarness) -> None:
    message = OutboundMessage("k", ChannelKind.SMS, str(GOOD_CHAT), "hi")
    with pytest.raises(ValueError, match="cannot send a sms message"):
        await tg.channel.send(message)


async def test_send_before_start_is_a_programming_error() -> None:
    channel = TelegramChatChannel(DEFAULT_TOKEN, api_base="http://127.0.0.1:9/bot")
    with pytest.raises(RuntimeError, match="not started"):
        await channel.send(out(GOOD_CHAT))


# --------------------------------------------------------------------------- inbound


def parse(tg: TelegramHarness, update: dict[str, object]) -> list[object]:
    return list(tg.channel.parse_inbound(update))


async def test_private_text_becomes_an_inbound_message(tg: TelegramHarness) -> None:
    update = text_update(CUSTOMER_CHAT, "I can pay on Friday", update_id=10, message_id=55)
    [event] = parse(tg, update)
    assert event == InboundMessage(
        channel=ChannelKind.TELEGRAM,
        sender=str(CUSTOMER_CHAT),
        text="I can pay on Friday",
        provider_id=f"{CUSTOMER_CHAT}:55",
        received_at=AT,
    )


async def test_reply_to_our_message_carries_its_provider_id(tg: TelegramHarness) -> None:
    update = text_update(CUSTOMER_CHAT, "ok", update_id=11, message_id=56, reply_to_message_id=40)
    [event] = parse(tg, update)
    assert isinstance(event, InboundMessage)
    assert event.thread_ref == f"{CUSTOMER_CHAT}:40"


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
async def test_non_private_chats_are_ignored(tg: TelegramHarness, chat_type: str) -> None:
    for text in ("I will pay", "/stop", "/start sometoken123456"):
        update = text_update(-100200300, text, update_id=12, message_id=57, chat_type=chat_type)
        assert parse(tg, update) == []
    press = callback_update(
        -100200300, "pay", update_id=13, callback_id="q1", message_id=3, chat_type="group"
    )
    assert parse(tg, press) == []


@pytest.mark.parametrize("text", ["/stop", "/STOP", "/stop@duebot_test_bot", "/stop now"])
async def test_stop_is_an_opt_out(tg: TelegramHarness, text: str) -> None:
    [signal] = parse(tg, text_update(CUSTOMER_CHAT, text, update_id=14, message_id=58))
    assert signal == ContactSignal(
        channel=ChannelKind.TELEGRAM,
        address=str(CUSTOMER_CHAT),
        kind=SignalKind.OPT_OUT,
        received_at=AT,
        source="telegram-stop",
        provider_id=f"{CUSTOMER_CHAT}:58",
    )


async def test_start_with_token_is_a_link_request(tg: TelegramHarness) -> None:
    token = "Xy7_-abcDEF0123456789ghijklmnopq"
    [signal] = parse(tg, text_update(CUSTOMER_CHAT, f"/start {token}", update_id=15, message_id=1))
    assert isinstance(signal, ContactSignal)
    assert (signal.kind, signal.detail, signal.address) == (
        SignalKind.LINK_REQUEST,
        token,
        str(CUSTOMER_CHAT),
    )


@pytest.mark.parametrize("text", ["/start", "/help", "/start not a token!", "/start " + "a" * 65])
async def test_bare_start_and_help_are_help(tg: TelegramHarness, text: str) -> None:
    [signal] = parse(tg, text_update(CUSTOMER_CHAT, text, update_id=16, message_id=2))
    assert isinstance(signal, ContactSignal)
    assert signal.kind is SignalKind.HELP and signal.detail == ""


async def test_other_commands_are_text(tg: TelegramHarness) -> None:
    [event] = parse(tg, text_update(CUSTOMER_CHAT, "/pay", update_id=17, message_id=3))
    assert isinstance(event, InboundMessage) and event.text == "/pay"


async def test_button_press_becomes_the_payload(tg: TelegramHarness) -> None:
    update = callback_update(
        CUSTOMER_CHAT, "promise", update_id=18, callback_id="cbq-9", message_id=41
    )
    [event] = parse(tg, update)
    assert event == InboundMessage(
        channel=ChannelKind.TELEGRAM,
        sender=str(CUSTOMER_CHAT),
        text="promise",
        provider_id="cb:cbq-9",
        received_at=AT,
        thread_ref=f"{CUSTOMER_CHAT}:41",
    )


async def test_blocking_the_bot_is_an_opt_out(tg: TelegramHarness) -> None:
    [signal] = parse(tg, member_update(CUSTOMER_CHAT, "kicked", update_id=19))
    assert isinstance(signal, ContactSignal)
    assert (signal.kind, signal.source) == (SignalKind.OPT_OUT, "telegram-blocked")
    # unblocking is not consent to be contacted again
    assert parse(tg, member_update(CUSTOMER_CHAT, "member", update_id=20)) == []


async def test_edits_and_textless_messages_are_ignored(tg: TelegramHarness) -> None:
    edited = text_update(CUSTOMER_CHAT, "changed", update_id=21, message_id=5, edited=True)
    assert parse(tg, edited) == []
    assert parse(tg, sticker_update(CUSTOMER_CHAT, update_id=22, message_id=6)) == []
    assert parse(tg, {"update_id": 23}) == []


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"update_id": "1"},
        {"update_id": 1, "message": {"message_id": 1}},
        {"update_id": 1, "message": "hello"},
    ],
)
async def test_malformed_updates_are_refused(tg: TelegramHarness, raw: dict[str, object]) -> None:
    with pytest.raises(TelegramUpdateError):
        tg.channel.parse_inbound(raw)


async def test_parse_works_without_a_started_app() -> None:
    channel = TelegramChatChannel(DEFAULT_TOKEN, clock=FixedClock(AT))
    update = text_update(CUSTOMER_CHAT, "hi", update_id=1, message_id=2)
    [event] = channel.parse_inbound(update)
    assert isinstance(event, InboundMessage) and event.text == "hi"


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"token": ""}, "is empty"),
        ({"token": "not-a-token"}, "not a bot token"),
        ({"token": DEFAULT_TOKEN, "api_base": "ftp://example.com/bot"}, "API_BASE"),
        ({"token": DEFAULT_TOKEN, "poll_timeout": -1}, "poll_timeout"),
    ],
)
def test_bad_configuration_is_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ChannelConfigError, match=message) as info:
        TelegramChatChannel(**kwargs)  # type: ignore[arg-type]
    assert DEFAULT_TOKEN not in str(info.value)


def test_capabilities() -> None:
    assert TelegramChatChannel.kind is ChannelKind.TELEGRAM
    assert TelegramChatChannel.supports_quick_replies
    assert not TelegramChatChannel.supports_subject
    assert TelegramChatChannel.max_body_len == 4096
    assert 20 <= TelegramChatChannel.rate_per_sec <= 30


def test_config_chooses_the_mode() -> None:
    base = {"telegram_bot_token": SecretStr(DEFAULT_TOKEN)}
    local = Settings(**base, public_url="http://127.0.0.1:8000")  # type: ignore[arg-type]
    assert TelegramChatChannel.from_config(TelegramConfig.from_values(local.model_dump())).polling
    public = Settings(
        **base,  # type: ignore[arg-type]
        public_url="https://duebot.example.com",
        telegram_webhook_secret=SecretStr("s3cret_value"),
    )
    assert not TelegramChatChannel.from_config(
        TelegramConfig.from_values(public.model_dump())).polling
    with pytest.raises(ChannelConfigError, match="DUEBOT_TELEGRAM_BOT_TOKEN is not set"):
        TelegramConfig.from_values(Settings(telegram_bot_token=None).model_dump())


async def test_rejected_token_at_start_is_a_config_error() -> None:
    async with FakeTelegramBotAPI() as peer:
        wrong = "7000000001:AAanotherTokenTheServerDoesNotKnow_12"
        channel = TelegramChatChannel(wrong, api_base=peer.api_base)
        with pytest.raises(ChannelConfigError, match="rejected the bot token") as info:
            await channel.start()
        assert wrong not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__
        assert peer.calls == ["getMe"]


async def test_unreachable_api_at_start_is_a_config_error() -> None:
    peer = await FakeTelegramBotAPI().start()
    base = peer.api_base
    await peer.stop()
    channel = TelegramChatChannel(DEFAULT_TOKEN, api_base=base)
    with pytest.raises(ChannelConfigError, match=r"cannot reach the Bot API at 127\.0\.0\.1"):
        await channel.start()


async def test_a_polling_channel_without_a_sink_only_sends_until_given_one() -> None:
    """Workers and web servers start the channel to send; only the process running the
    receivers polls (Telegram answers 409 to a second poller)."""
    sink = RecordingSink()
    async with telegram_harness(polling=True) as h:
        assert (await h.channel.send(out(GOOD_CHAT))).ok
        await asyncio.sleep(0.3)
        assert "getUpdates" not in h.peer.calls
        await h.channel.start(sink=sink)
        await h.peer.push_update(text_update(CUSTOMER_CHAT, "hello", update_id=5,
                                             message_id=5))
        [event] = await sink.wait_for(1)
        assert event.provider_id is not None and "getUpdates" in h.peer.calls
        assert h.peer.calls.count("getMe") == 1


async def test_verify_asks_who_we_are_and_starts_nothing() -> None:
    async with FakeTelegramBotAPI() as peer:
        good = TelegramChatChannel(peer.token, api_base=peer.api_base)
        await good.verify()
        assert peer.calls == ["getMe"] and not good.running
        wrong = TelegramChatChannel("7000000001:AAanotherTokenTheServerDoesNotKnow_12",
                                    api_base=peer.api_base)
        with pytest.raises(ChannelConfigError, match="rejected the bot token"):
            await wrong.verify()
        base = peer.api_base
    with pytest.raises(ChannelConfigError, match="cannot reach the Bot API"):
        await TelegramChatChannel(DEFAULT_TOKEN, api_base=base).verify()


async def test_start_reports_the_bot_and_is_idempotent(tg: TelegramHarness) -> None:
    assert tg.channel.bot_username == "duebot_test_bot"
    assert tg.channel.running
    await tg.channel.start()
    assert tg.peer.calls.count("getMe") == 1


async def test_aclose_twice_is_harmless() -> None:
    async with telegram_harness() as h:
        await h.channel.aclose()
        assert not h.channel.running


# --------------------------------------------------------------------------- secrets


def test_repr_hides_the_token() -> None:
    channel = TelegramChatChannel(SecretStr(DEFAULT_TOKEN), api_base="http://127.0.0.1:1/bot")
    text = repr(channel) + str(channel)
    assert DEFAULT_TOKEN not in text
    assert DEFAULT_TOKEN.split(":")[1] not in text
    assert "127.0.0.1" in text


async def test_logs_never_show_token_body_or_chat_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = "Your balance of 1234.56 is overdue"
    async with telegram_harness() as h:
        await h.channel.send(out(GOOD_CHAT, body=body, quick_replies=BUTTONS))
        await h.channel.send(out(BLOCKED_CHAT, body=body))
        h.peer.set_behaviour(779, ChatBehaviour.FLOOD)
        await h.channel.send(out(779, body=body))
        wrong = TelegramChatChannel(
            "7000000001:AAanotherTokenTheServerDoesNotKnow_12", api_base=h.peer.api_base
        )
        with pytest.raises(ChannelConfigError):
            await wrong.start()
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert any(r.name == "httpx" for r in caplog.records)  # the URL logger was active
    assert "sendMessage" in text
    assert DEFAULT_TOKEN.split(":")[1] not in text
    assert "AAanotherTokenTheServerDoesNotKnow" not in text
    assert body not in text and "1234.56" not in text
    assert str(GOOD_CHAT) not in text and str(BLOCKED_CHAT) not in text
    # a handled 429 is not an ERROR with a traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
