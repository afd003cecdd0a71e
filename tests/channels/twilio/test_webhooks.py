"""Twilio webhook routes: signatures, idempotency, keywords, status callbacks, TwiML."""

from __future__ import annotations

import asyncio
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlparse

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from pydantic import SecretStr

from bot.domain.clock import SystemClock
from bot.domain.messages import (
    ANSWERED_BY_PROVIDER,
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    FailureReason,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    ReceiptStatus,
    SignalKind,
)
from bot.entrypoints.web.webhooks import webhook_router
from bot.services.ports import InboundSink
from bot.settings import Settings
from channels.plugin import ChannelContext
from channels.twilio.config import TwilioConfig
from channels.twilio.plugin import PLUGIN
from channels.twilio.sms import INBOUND_PATH, STATUS_PATH, TwilioSmsChannel
from tests.channels.conftest import RecordingSink
from tests.peers.twilio_api import (
    TwilioApiPeer,
    inbound_message_form,
    new_sid,
    status_callback_form,
)
from tests.peers.twilio_signing import sign, signed_headers

PUBLIC_URL = "https://duebot.example.com"
ACCOUNT_SID = new_sid("AC")
TOKEN = "5ec7e7" + "ab" * 13
OUR_NUMBER = "+15005550006"
CUSTOMER = "+14155550199"


def make_settings(public_url: str = PUBLIC_URL) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        public_url=public_url,
        brand_name="Acme Credit",
        support_phone="+1 800 555 0199",
        support_email="care@acme.example",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from_number=OUR_NUMBER,
    )


def twilio_router(channel: TwilioSmsChannel, sink: InboundSink, settings: Settings) -> APIRouter:
    """The Twilio webhooks as the web app mounts them."""
    context = ChannelContext(settings.model_dump(), channel, SystemClock())
    return webhook_router(PLUGIN.webhooks(context), sink)


def make_app(sink: RecordingSink, settings: Settings | None = None) -> FastAPI:
    settings = settings or make_settings()
    channel = TwilioSmsChannel.from_config(TwilioConfig.from_values(settings.model_dump()))
    app = FastAPI()
    app.include_router(twilio_router(channel, sink, settings))
    return app


@pytest.fixture
async def client(sink: RecordingSink) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(sink))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


def inbound(body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    form = inbound_message_form(
        account_sid=ACCOUNT_SID, from_=CUSTOMER, to=OUR_NUMBER, body=body, message_sid=sid
    )
    form.update(extra)
    return form


async def post_signed(
    http: httpx.AsyncClient, path: str, form: Mapping[str, str], *, token: str = TOKEN
) -> httpx.Response:
    headers = signed_headers(token, PUBLIC_URL + path, form)
    return await http.post(path, data=dict(form), headers=headers)


def twiml_messages(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


# ------------------------------------------------------------------------- signatures


async def test_signed_inbound_message_is_stored_and_answered_with_empty_twiml(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await post_signed(client, INBOUND_PATH, inbound("I lost my job, can we talk?"))

    assert response.status_code == 200
    assert twiml_messages(response) == []
    (event,) = sink.events
    assert isinstance(event, InboundMessage)
    assert (event.sender, event.text) == (CUSTOMER, "I lost my job, can we talk?")


async def test_missing_signature_is_forbidden(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await client.post(INBOUND_PATH, data=inbound("hello"))

    assert response.status_code == 403
    assert sink.events == []


async def test_signature_with_the_wrong_token_is_forbidden(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await post_signed(client, INBOUND_PATH, inbound("hello"), token="0" * 32)

    assert response.status_code == 403
    assert sink.events == []


async def test_tampered_form_is_forbidden(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    form = inbound("I will pay $50")
    headers = signed_headers(TOKEN, PUBLIC_URL + INBOUND_PATH, form)
    form["Body"] = "I will pay $5000"

    response = await client.post(INBOUND_PATH, data=form, headers=headers)

    assert response.status_code == 403
    assert sink.events == []


async def test_signature_for_another_url_is_forbidden(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    form = inbound("hello")
    headers = signed_headers(TOKEN, PUBLIC_URL + STATUS_PATH, form)  # signed for the other route

    response = await client.post(INBOUND_PATH, data=form, headers=headers)

    assert response.status_code == 403
    assert sink.events == []


async def test_query_string_is_part_of_the_signed_url(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    form = status_callback_form(
        account_sid=ACCOUNT_SID, message_sid=new_sid(), status="sent", from_=OUR_NUMBER, to=CUSTOMER
    )
    path = STATUS_PATH + "?case=c-17"
    good = await client.post(
        path, data=form, headers=signed_headers(TOKEN, PUBLIC_URL + path, form)
    )
    bad = await client.post(
        path, data=form, headers=signed_headers(TOKEN, PUBLIC_URL + STATUS_PATH, form)
    )

    assert good.status_code == 200
    assert bad.status_code == 403
    assert len(sink.events) == 1


# ------------------------------------------------------------------------- idempotency


async def test_the_same_message_sid_twice_is_processed_once(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    form = inbound("Can I pay half now?", sid=new_sid())

    first = await post_signed(client, INBOUND_PATH, form)
    again = await post_signed(client, INBOUND_PATH, form)

    assert first.status_code == again.status_code == 200
    assert len(sink.events) == 1
    assert len(sink.duplicates) == 1
    assert twiml_messages(again) == []


# ------------------------------------------------------------------------- keywords


async def test_stop_opts_the_number_out(client: httpx.AsyncClient, sink: RecordingSink) -> None:
    response = await post_signed(client, INBOUND_PATH, inbound("STOP"))

    assert response.status_code == 200
    assert twiml_messages(response) == []  # the carrier confirms opt-outs itself
    signal, message = sink.events
    assert isinstance(signal, ContactSignal)
    assert (signal.kind, signal.address, signal.source) == (
        SignalKind.OPT_OUT,
        CUSTOMER,
        "carrier-stop",
    )
    assert isinstance(message, InboundMessage) and message.text == "STOP"


async def test_start_opts_the_number_back_in(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    await post_signed(client, INBOUND_PATH, inbound("STOP"))
    await post_signed(client, INBOUND_PATH, inbound("start"))

    kinds = [e.kind for e in sink.events if isinstance(e, ContactSignal)]
    assert kinds == [SignalKind.OPT_OUT, SignalKind.OPT_IN]


async def test_help_goes_to_the_application_which_answers_it_in_band(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    # the answer's text is the application's (tests/services/test_signals.py)
    response = await post_signed(client, INBOUND_PATH, inbound("HELP"))

    assert twiml_messages(response) == []  # this sink answers nothing
    assert isinstance(sink.events[0], ContactSignal)
    assert sink.events[0].kind is SignalKind.HELP
    assert sink.events[0].detail == ""


async def test_help_already_answered_by_twilio_advanced_opt_out_says_so(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    response = await post_signed(client, INBOUND_PATH, inbound("INFO", OptOutType="HELP"))

    assert response.status_code == 200
    assert twiml_messages(response) == []
    assert isinstance(sink.events[0], ContactSignal)
    assert sink.events[0].detail == ANSWERED_BY_PROVIDER


async def test_sink_replies_are_sent_as_twiml() -> None:
    def reply(event: InboundEvent) -> list[str]:
        return ["Thanks, we got your message."] if isinstance(event, InboundMessage) else []

    sink = RecordingSink(reply=reply)
    transport = httpx.ASGITransport(app=make_app(sink))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        response = await post_signed(http, INBOUND_PATH, inbound("Paid <today> & done"))

    assert twiml_messages(response) == ["Thanks, we got your message."]


# ------------------------------------------------------------------------- status callbacks


async def test_status_callback_updates_the_message_with_the_error_code(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    sid = new_sid()
    form = status_callback_form(
        account_sid=ACCOUNT_SID,
        message_sid=sid,
        status="undelivered",
        from_=OUR_NUMBER,
        to=CUSTOMER,
        error_code=30003,
    )

    response = await post_signed(client, STATUS_PATH, form)

    assert response.status_code == 200
    assert twiml_messages(response) == []
    (receipt,) = sink.events
    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.provider_id, receipt.status, receipt.code, receipt.reason) == (
        sid,
        ReceiptStatus.UNDELIVERED,
        "30003",
        FailureReason.UNAVAILABLE,
    )


async def test_each_status_of_a_message_is_recorded_once(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    sid = new_sid()
    for status in ("sent", "delivered", "delivered"):
        form = status_callback_form(
            account_sid=ACCOUNT_SID, message_sid=sid, status=status, from_=OUR_NUMBER, to=CUSTOMER
        )
        assert (await post_signed(client, STATUS_PATH, form)).status_code == 200

    assert [e.status for e in sink.events if isinstance(e, DeliveryReceipt)] == [
        ReceiptStatus.SENT,
        ReceiptStatus.DELIVERED,
    ]
    assert len(sink.duplicates) == 1


async def test_signed_but_malformed_form_is_a_400_and_stores_nothing(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    form = {"MessageSid": new_sid(), "MessageStatus": "teleported", "AccountSid": ACCOUNT_SID}

    response = await post_signed(client, STATUS_PATH, form)

    assert response.status_code == 400
    assert "MessageStatus" in response.text
    assert sink.events == []


async def test_signed_posts_with_odd_fields_are_answered_200_cleaned(
    client: httpx.AsyncClient, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio would retry anything but a 2xx for ever: the odd part is cleaned instead,
    and the log names the field and the reason, never the content."""
    long_sid = "SM" + "f" * 298
    form = inbound_message_form(account_sid=ACCOUNT_SID, from_=CUSTOMER, to=OUR_NUMBER,
                                body="I will pay\x00 50 friday", message_sid=new_sid())
    form.update(MessageSid=long_sid, SmsSid=long_sid, SmsMessageSid=long_sid, NumMedia="lots")
    for _ in range(2):  # and Twilio's retry is recognised
        assert (await post_signed(client, INBOUND_PATH, form)).status_code == 200
    status = status_callback_form(account_sid=ACCOUNT_SID, message_sid="SM12\x0034",
                                  status="failed", from_=OUR_NUMBER, to=CUSTOMER)
    status["ErrorCode"] = "9" * 40
    assert (await post_signed(client, STATUS_PATH, status)).status_code == 200

    messages = [e for e in sink.events if isinstance(e, InboundMessage)]
    assert [m.text for m in messages] == ["I will pay 50 friday"]
    assert len(messages[0].provider_id) <= 255 and messages[0].provider_id.startswith("SM")
    assert len(sink.duplicates) == 1
    (receipt,) = [e for e in sink.events if isinstance(e, DeliveryReceipt)]
    assert "\x00" not in receipt.provider_id and receipt.code is None
    logged = [r.getMessage() for r in caplog.records if r.name == "channels.twilio.webhooks"]
    assert any("field Body cleaned (NUL removed)" in line for line in logged)
    assert any("field MessageSid longer than 255 characters: replaced by a digest" in line
               for line in logged)
    assert any("field NumMedia is not a number: dropped" in line for line in logged)
    assert any("field ErrorCode is not a number: dropped" in line for line in logged)
    assert not any("pay" in line or CUSTOMER in line for line in logged)


# ------------------------------------------------------------------------- over real HTTP


async def test_end_to_end_over_http_with_the_peer_as_twilio() -> None:
    """The peer sends, then calls back signed; uvicorn serves the routes on loopback."""
    sink = RecordingSink(reply=lambda e: ["Acme: call us."] if isinstance(e, ContactSignal)
                         and e.kind is SignalKind.HELP else [])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with TwilioApiPeer() as peer:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            public_url=public_url,
            twilio_account_sid=peer.account_sid,
            twilio_auth_token=SecretStr(peer.auth_token),
            twilio_from_number=OUR_NUMBER,
            twilio_api_base=peer.base_url,
        )
        channel = TwilioSmsChannel.from_config(TwilioConfig.from_values(settings.model_dump()))
        app = FastAPI()
        app.include_router(twilio_router(channel, sink, settings))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            result = await channel.send(
                OutboundMessage("k-9", ChannelKind.SMS, CUSTOMER, "Your plan is confirmed.")
            )
            assert result.ok and result.provider_id
            callback_status, _ = await peer.post_status_callback(result.provider_id, "delivered")
            inbound_status, answer = await peer.post_inbound(
                public_url + INBOUND_PATH, from_=CUSTOMER, to=OUR_NUMBER, body="HELP"
            )
        finally:
            server.should_exit = True
            await serving
            await channel.aclose()
            sock.close()

    assert callback_status == 200
    assert inbound_status == 200
    assert "<Message>" in answer
    receipt = sink.events[0]
    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.provider_id, receipt.status) == (result.provider_id, ReceiptStatus.DELIVERED)
    assert any(isinstance(e, ContactSignal) and e.kind is SignalKind.HELP for e in sink.events)


def test_signing_helper_matches_the_sdk_validator() -> None:
    from twilio.request_validator import RequestValidator

    form = {"Body": "hi", "From": CUSTOMER, "MessageSid": "SM1"}
    url = PUBLIC_URL + INBOUND_PATH
    assert RequestValidator(TOKEN).validate(url, form, sign(TOKEN, url, form))
    assert not RequestValidator(TOKEN).validate(url, form, sign("x" * 32, url, form))


@pytest.mark.parametrize("configured", [
    "https://bank.example/webhooks/twilio/sms", "https://bank.example:443/webhooks/twilio/sms",
    "http://127.0.0.1:8000/webhooks/twilio/sms?x=1&y=2", "http://bank.example/hook"])
def test_the_signature_check_answers_as_the_sdk_validator(configured: str) -> None:
    """The webhook's check (one HMAC for a good signature) accepts and refuses exactly
    what ``RequestValidator.validate`` does: the URL signed with or without its port,
    repeated fields, a wrong token, another URL."""
    from twilio.request_validator import RequestValidator, add_port, remove_port

    from channels.twilio.webhooks import _Form, signature_valid

    validator = RequestValidator(TOKEN)
    pairs = [("Body", "a"), ("From", CUSTOMER), ("MessageSid", "SM1"), ("Body", "b")]
    parsed = urlparse(configured)
    for form in (_Form(pairs), _Form(pairs[:3]), _Form([])):
        for signed_url in {configured, add_port(parsed), remove_port(parsed),
                           configured.replace("/webhooks", "/other")}:
            for token in (TOKEN, "x" * 32):
                signature = RequestValidator(token).compute_signature(signed_url, form)
                assert signature_valid(validator, configured, form, signature) == \
                    validator.validate(configured, form, signature), (signed_url, token)
        assert not signature_valid(validator, configured, form, "")
