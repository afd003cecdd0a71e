"""Twilio webhooks: inbound SMS and message status callbacks (FastAPI routes).

Both routes are thin: check Twilio's signature, hand the form to
``TwilioSmsChannel.parse_inbound`` and each resulting event to the ``InboundSink``, answer
TwiML.

Signature
    Twilio signs every webhook with the account Auth Token over the URL it called (the
    one configured in the console or passed as ``StatusCallback``) and the POST
    parameters; the SDK's ``RequestValidator`` checks it. The URL is rebuilt as
    ``Settings.public_url`` + the route path (+ the query string): behind a proxy the
    request's own Host and scheme are not what Twilio called, so ``public_url`` must be the
    externally visible base under which these routes live. A missing or wrong signature
    gets 403 and nothing reaches the sink.

Idempotency
    Twilio retries a webhook when it gets no timely answer; the sink is idempotent on the
    MessageSid, and a duplicate is still answered 200 so Twilio stops retrying.

Replies
    HELP is answered in-band with the organisation's contact details, unless Twilio's
    Advanced Opt-Out already answered it. It is answered on a duplicate delivery too:
    Twilio retries only when our first answer never reached it, so the first reply was not
    sent. Texts the sink asks for (``SinkResult.replies``) are appended.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.domain.messages import ContactSignal, SignalKind
from bot.services.ports import InboundSink
from bot.settings import Settings
from channels.twilio.sms import (
    ANSWERED_BY_TWILIO,
    INBOUND_PATH,
    STATUS_PATH,
    TwilioPayloadError,
    TwilioSmsChannel,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
TWIML_MEDIA_TYPE = "text/xml"


def help_text(settings: Settings) -> str:
    """The answer to a HELP keyword: who we are and how to reach a person."""
    return (
        f"{settings.brand_name}: for help call {settings.support_phone} or email "
        f"{settings.support_email}. Reply STOP to opt out."
    )


def build_router(channel: TwilioSmsChannel, sink: InboundSink, settings: Settings) -> APIRouter:
    """The Twilio webhook routes, bound to one channel (its auth token) and one sink."""
    router = APIRouter(tags=["twilio"])
    validator = RequestValidator(channel.auth_token.get_secret_value())
    public_url = settings.public_url.rstrip("/")

    async def handle(request: Request, path: str) -> Response:
        form = await request.form()
        # Only text fields: Twilio posts urlencoded forms; a file part cannot be signed.
        fields = ImmutableMultiDict(
            [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        )
        url = public_url + path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature or not validator.validate(url, fields, signature):
            logger.warning("twilio webhook %s refused: bad or missing signature", path)
            return Response("invalid signature", status_code=403, media_type="text/plain")
        try:
            events = channel.parse_inbound(dict(fields))
        except TwilioPayloadError as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")

        answer = MessagingResponse()
        replies: list[str] = []
        for event in events:
            result = await sink.accept(event)
            if (
                isinstance(event, ContactSignal)
                and event.kind is SignalKind.HELP
                and event.detail != ANSWERED_BY_TWILIO
            ):
                replies.append(help_text(settings))
            replies.extend(result.replies)
        for text in replies:
            answer.message(text)
        return Response(str(answer), media_type=TWIML_MEDIA_TYPE)

    @router.post(INBOUND_PATH)
    async def twilio_inbound(request: Request) -> Response:
        """A customer texted us (Twilio's "A message comes in" webhook)."""
        return await handle(request, INBOUND_PATH)

    @router.post(STATUS_PATH)
    async def twilio_status(request: Request) -> Response:
        """Twilio's word on a message we sent (``StatusCallback``)."""
        return await handle(request, STATUS_PATH)

    return router
