"""TwilioSmsChannel through the real twilio SDK against the Twilio-like peer on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ANSWERED_BY_PROVIDER,
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    DeliveryStatus,
    FailureReason,
    InboundMessage,
    OutboundMessage,
    ReceiptStatus,
    SignalKind,
)
from bot.services.ports import ChannelConfigError
from bot.settings import Settings
from channels.twilio.config import TwilioConfig
from channels.twilio.sms import (
    STATUS_PATH,
    TwilioPayloadError,
    TwilioSmsChannel,
    map_twilio_error,
)
from tests.peers.twilio_api import (
    TwilioApiPeer,
    inbound_message_form,
    new_sid,
    status_callback_form,
)

FROM = "+15005550006"
SERVICE = "MG" + "a1" * 16
TO = "+14155550123"
CALLBACK = "https://duebot.example.com" + STATUS_PATH
NOW = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)


def sms(to: str = TO, body: str = "Your payment of $50 is due Friday.") -> OutboundMessage:
    return OutboundMessage(idempotency_key="k-1", channel=ChannelKind.SMS, to=to, body=body)


@pytest.fixture
async def peer() -> AsyncIterator[TwilioApiPeer]:
    async with TwilioApiPeer() as running:
        yield running


@pytest.fixture
async def channel(peer: TwilioApiPeer) -> AsyncIterator[TwilioSmsChannel]:
    ch = TwilioSmsChannel(
        account_sid=peer.account_sid,
        auth_token=peer.auth_token,
        from_number=FROM,
        status_callback_url=CALLBACK,
        api_base=peer.base_url,
        clock=FixedClock(NOW),
    )
    yield ch
    await ch.aclose()


# ------------------------------------------------------------------------- sending


async def test_send_from_number_with_status_callback(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    result = await channel.send(sms())

    assert result.status is DeliveryStatus.ACCEPTED
    (message,) = peer.messages
    assert result.provider_id == message.sid
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.to == TO
    assert message.body == "Your payment of $50 is due Friday."
    assert message.from_ == FROM
    assert message.messaging_service_sid is None
    assert message.status_callback == CALLBACK
    assert result.segments == 1
    # the SDK authenticated with the account's credentials
    assert peer.requests[-1].authorized


async def test_send_from_messaging_service(peer: TwilioApiPeer) -> None:
    channel = TwilioSmsChannel(
        account_sid=peer.account_sid,
        auth_token=peer.auth_token,
        messaging_service_sid=SERVICE,
        status_callback_url=CALLBACK,
        api_base=peer.base_url,
    )
    try:
        result = await channel.send(sms())
    finally:
        await channel.aclose()

    assert result.ok
    (message,) = peer.messages
    assert message.messaging_service_sid == SERVICE
    assert "From" not in message.form
    assert message.status_callback == CALLBACK


async def test_send_without_callback_url_sends_no_status_callback(peer: TwilioApiPeer) -> None:
    channel = TwilioSmsChannel(
        account_sid=peer.account_sid,
        auth_token=peer.auth_token,
        from_number=FROM,
        api_base=peer.base_url,
    )
    try:
        assert (await channel.send(sms())).ok
    finally:
        await channel.aclose()
    assert "StatusCallback" not in peer.messages[0].form


async def test_segments_are_counted_for_chinese(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    result = await channel.send(sms(body="您好" * 35 + "。"))  # 71 UCS-2 characters

    assert result.ok
    assert result.segments == 2
    assert peer.messages[0].body == "您好" * 35 + "。"


async def test_21610_means_the_recipient_opted_out(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    peer.fail(TO, code=21610)

    result = await channel.send(sms())

    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.OPTED_OUT
    assert result.code == "21610"
    assert TO not in result.detail
    assert peer.messages == []


@pytest.mark.parametrize("code", [21211, 21614, 21217])
async def test_invalid_number_codes_mean_invalid_address(
    channel: TwilioSmsChannel, peer: TwilioApiPeer, code: int
) -> None:
    peer.fail(TO, code=code)

    result = await channel.send(sms())

    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.INVALID_ADDRESS
    assert result.code == str(code)
    assert TO not in result.detail  # Twilio's own message repeats the number


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (429, None, FailureReason.RATE_LIMITED),
        (429, 20429, FailureReason.RATE_LIMITED),
        (500, None, FailureReason.UNAVAILABLE),
        (503, None, FailureReason.UNAVAILABLE),
    ],
)
async def test_rate_limits_and_server_errors_are_transient(
    channel: TwilioSmsChannel,
    peer: TwilioApiPeer,
    status: int,
    code: int | None,
    reason: FailureReason,
) -> None:
    peer.fail(TO, status=status, code=code)

    result = await channel.send(sms())

    assert result.status is DeliveryStatus.TRANSIENT
    assert result.reason is reason


async def test_transient_failure_then_success_on_retry(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    peer.fail(TO, status=500, once=True)

    first = await channel.send(sms())
    second = await channel.send(sms())

    assert first.status is DeliveryStatus.TRANSIENT
    assert second.ok
    assert len(peer.messages) == 1


async def test_other_refusals_are_permanent_rejections(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    peer.fail(TO, code=21612)  # To/From combination not reachable: not the number's fault

    result = await channel.send(sms())

    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.REJECTED
    assert result.code == "21612"


async def test_wrong_credentials_are_a_configuration_problem(peer: TwilioApiPeer) -> None:
    channel = TwilioSmsChannel(
        account_sid=peer.account_sid,
        auth_token="0" * 32,
        from_number=FROM,
        api_base=peer.base_url,
    )
    try:
        result = await channel.send(sms())
    finally:
        await channel.aclose()

    assert result.status is DeliveryStatus.TRANSIENT
    assert result.reason is FailureReason.CONFIGURATION
    assert result.code == "20003"
    assert peer.requests[-1].authorized is False
    assert peer.messages == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_transient() -> None:
    channel = TwilioSmsChannel(
        account_sid=new_sid("AC"),
        auth_token="t" * 32,
        from_number=FROM,
        api_base=f"http://127.0.0.1:{_closed_port()}",
    )
    try:
        result = await channel.send(sms())
    finally:
        await channel.aclose()

    assert result.status is DeliveryStatus.TRANSIENT
    assert result.reason is FailureReason.UNAVAILABLE


async def test_a_stalled_api_times_out_as_transient() -> None:
    release = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await release.wait()
        writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    channel = TwilioSmsChannel(
        account_sid=new_sid("AC"),
        auth_token="t" * 32,
        from_number=FROM,
        api_base=f"http://127.0.0.1:{port}",
        timeout=0.3,
    )
    try:
        result = await asyncio.wait_for(channel.send(sms()), timeout=5)
    finally:
        release.set()
        await channel.aclose()
        server.close()
        await server.wait_closed()

    assert result.status is DeliveryStatus.TRANSIENT
    assert result.reason is FailureReason.UNAVAILABLE


async def test_malformed_numbers_and_long_bodies_are_refused_locally(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    bad_number = await channel.send(sms(to="415-555-0123"))
    too_long = await channel.send(sms(body="x" * 1601))
    empty = await channel.send(sms(body="  "))

    assert (bad_number.status, bad_number.reason) == (
        DeliveryStatus.PERMANENT,
        FailureReason.INVALID_ADDRESS,
    )
    assert (too_long.status, too_long.reason) == (DeliveryStatus.PERMANENT, FailureReason.REJECTED)
    assert (empty.status, empty.reason) == (DeliveryStatus.PERMANENT, FailureReason.REJECTED)
    assert peer.requests == []


async def test_sending_another_kind_is_a_programming_error(channel: TwilioSmsChannel) -> None:
    email = OutboundMessage("k", ChannelKind.EMAIL, "a@example.com", "hi", subject="s")
    with pytest.raises(ValueError, match="sms"):
        await channel.send(email)


async def test_channel_can_be_closed_and_used_again(
    channel: TwilioSmsChannel, peer: TwilioApiPeer
) -> None:
    await channel.start()
    assert (await channel.send(sms())).ok
    await channel.aclose()
    assert (await channel.send(sms())).ok
    assert len(peer.messages) == 2


def test_error_mapping_table() -> None:
    assert map_twilio_error(400, 21610).reason is FailureReason.OPTED_OUT
    assert map_twilio_error(400, 30006).reason is FailureReason.INVALID_ADDRESS
    assert map_twilio_error(400, 21611).status is DeliveryStatus.TRANSIENT
    assert map_twilio_error(502, None).status is DeliveryStatus.TRANSIENT
    assert map_twilio_error(400, 21606).reason is FailureReason.CONFIGURATION
    assert map_twilio_error(400, 99999).reason is FailureReason.REJECTED


# ------------------------------------------------------------------------- configuration

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeed" * 4


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"account_sid": "SK123"}, "twilio_account_sid"),
        ({"auth_token": ""}, "twilio_auth_token"),
        ({"auth_token": TOKEN + " "}, "twilio_auth_token"),
        ({"from_number": None}, "twilio_from_number"),
        ({"from_number": "0044 20 7946 0000"}, "twilio_from_number"),
        ({"messaging_service_sid": "MG12"}, "twilio_messaging_service_sid"),
        ({"status_callback_url": "/webhooks/twilio/status"}, "public_url"),
        ({"api_base": "api.twilio.com"}, "twilio_api_base"),
    ],
)
def test_configuration_errors_name_the_setting_not_the_secret(
    kwargs: dict[str, object], setting: str
) -> None:
    args: dict[str, object] = {"account_sid": SID, "auth_token": TOKEN, "from_number": FROM}
    args.update(kwargs)
    with pytest.raises(ChannelConfigError) as info:
        TwilioSmsChannel(**args)  # type: ignore[arg-type]
    assert setting in str(info.value)
    assert TOKEN not in str(info.value)


def test_senders_accepted_as_configuration() -> None:
    for sender in ("+14155550100", "12345", "DueBot Bank"):
        TwilioSmsChannel(account_sid=SID, auth_token=TOKEN, from_number=sender)
    TwilioSmsChannel(account_sid=SID, auth_token=SecretStr(TOKEN), messaging_service_sid=SERVICE)


def test_from_config_points_callbacks_at_the_public_url() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        twilio_account_sid=SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from_number=FROM,
        twilio_api_base="http://127.0.0.1:9999/",
        public_url="https://bot.example.com/",
    )
    channel = TwilioSmsChannel.from_config(TwilioConfig.from_values(settings.model_dump()))

    assert channel._status_callback_url == "https://bot.example.com/webhooks/twilio/status"
    assert channel._api_base == "http://127.0.0.1:9999"
    assert channel.auth_token.get_secret_value() == TOKEN


def test_config_without_twilio_says_what_to_set() -> None:
    with pytest.raises(ChannelConfigError, match="DUEBOT_TWILIO_AUTH_TOKEN"):
        TwilioConfig.from_values(Settings(_env_file=None).model_dump())  # type: ignore[call-arg]


def test_repr_hides_the_token_and_masks_the_sender() -> None:
    channel = TwilioSmsChannel(account_sid=SID, auth_token=TOKEN, from_number=FROM)
    text = repr(channel)
    assert TOKEN not in text
    assert FROM not in text
    assert "TwilioSmsChannel" in text


# ------------------------------------------------------------------------- inbound


def inbound(body: str, **extra: str) -> dict[str, str]:
    form = inbound_message_form(
        account_sid=SID, from_="+14155550199", to=FROM, body=body, message_sid="SM" + "1" * 32
    )
    form.update(extra)
    return form


@pytest.fixture
def parser() -> TwilioSmsChannel:
    return TwilioSmsChannel(
        account_sid=SID, auth_token=TOKEN, from_number=FROM, clock=FixedClock(NOW)
    )


def test_inbound_message(parser: TwilioSmsChannel) -> None:
    (event,) = parser.parse_inbound(inbound("I can pay on Friday"))

    assert event == InboundMessage(
        channel=ChannelKind.SMS,
        sender="+14155550199",
        text="I can pay on Friday",
        provider_id="SM" + "1" * 32,
        received_at=NOW,
    )


@pytest.mark.parametrize(
    ("body", "kind", "source"),
    [
        ("STOP", SignalKind.OPT_OUT, "carrier-stop"),
        ("unsubscribe", SignalKind.OPT_OUT, "carrier-stop"),
        ("Start", SignalKind.OPT_IN, "carrier-start"),
        ("HELP", SignalKind.HELP, "carrier-help"),
    ],
)
def test_carrier_keywords_signal_first_then_record_the_message(
    parser: TwilioSmsChannel, body: str, kind: SignalKind, source: str
) -> None:
    signal, message = parser.parse_inbound(inbound(body))

    assert signal == ContactSignal(
        channel=ChannelKind.SMS,
        address="+14155550199",
        kind=kind,
        received_at=NOW,
        source=source,
        provider_id="SM" + "1" * 32,
    )
    assert isinstance(message, InboundMessage) and message.text == body


def test_opt_out_type_field_is_authoritative(parser: TwilioSmsChannel) -> None:
    # Advanced Opt-Out with a custom keyword Twilio recognised; it already replied.
    signal, message = parser.parse_inbound(inbound("ARRET", OptOutType="STOP"))
    assert isinstance(signal, ContactSignal)
    assert signal.kind is SignalKind.OPT_OUT
    assert signal.detail == ANSWERED_BY_PROVIDER
    assert isinstance(message, InboundMessage)


def test_media_is_mentioned_not_fetched(parser: TwilioSmsChannel) -> None:
    form = inbound("here is my receipt", NumMedia="2", MediaUrl0="https://api.twilio.com/m/1")
    (event,) = parser.parse_inbound(form)
    assert isinstance(event, InboundMessage)
    assert event.text == "here is my receipt\n[2 attachments not retrieved]"


def status(status: str, code: int | None = None) -> dict[str, str]:
    return status_callback_form(
        account_sid=SID,
        message_sid="SM" + "2" * 32,
        status=status,
        from_=FROM,
        to=TO,
        error_code=code,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", ReceiptStatus.QUEUED),
        ("sent", ReceiptStatus.SENT),
        ("delivered", ReceiptStatus.DELIVERED),
        ("read", ReceiptStatus.READ),
    ],
)
def test_status_callbacks(parser: TwilioSmsChannel, raw: str, expected: ReceiptStatus) -> None:
    (receipt,) = parser.parse_inbound(status(raw))
    assert receipt == DeliveryReceipt(
        channel=ChannelKind.SMS, provider_id="SM" + "2" * 32, status=expected, received_at=NOW
    )


def test_undelivered_to_unknown_number_invalidates_the_contact_point(
    parser: TwilioSmsChannel,
) -> None:
    receipt, signal = parser.parse_inbound(status("undelivered", 30005))

    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.status is ReceiptStatus.UNDELIVERED
    assert receipt.code == "30005"
    assert receipt.reason is FailureReason.INVALID_ADDRESS
    assert isinstance(signal, ContactSignal)
    assert (signal.kind, signal.address, signal.source) == (SignalKind.INVALID, TO, "twilio-30005")


def test_failed_with_21610_opts_the_number_out(parser: TwilioSmsChannel) -> None:
    receipt, signal = parser.parse_inbound(status("failed", 21610))
    assert isinstance(receipt, DeliveryReceipt) and receipt.reason is FailureReason.OPTED_OUT
    assert isinstance(signal, ContactSignal) and signal.kind is SignalKind.OPT_OUT


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (30003, FailureReason.UNAVAILABLE),  # handset off: may recover, not invalid
        (30007, FailureReason.BLOCKED),
        (30034, FailureReason.CONFIGURATION),
    ],
)
def test_other_delivery_errors_update_only_the_message(
    parser: TwilioSmsChannel, code: int, reason: FailureReason
) -> None:
    (receipt,) = parser.parse_inbound(status("undelivered", code))
    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.reason is reason
    assert receipt.code == str(code)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"From": "+14155550199", "Body": "hi"}, "MessageSid"),
        ({"MessageSid": "SM1", "Body": "hi"}, "From"),
        ({"MessageSid": "SM1", "MessageStatus": "exploded"}, "MessageStatus"),
        ({"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "abc"}, "ErrorCode"),
        ({"MessageStatus": "sent"}, "MessageSid"),
        ({"MessageSid": "SM1", "From": "+1415", "NumMedia": "x"}, "NumMedia"),
    ],
)
def test_malformed_forms_raise_precise_errors(
    parser: TwilioSmsChannel, form: dict[str, str], message: str
) -> None:
    with pytest.raises(TwilioPayloadError, match=message):
        parser.parse_inbound(form)
