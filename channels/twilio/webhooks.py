"""Twilio webhooks: inbound SMS and message status callbacks.

Both are thin: check Twilio's signature, hand the form to
``TwilioSmsChannel.parse_inbound`` and each resulting event to the ``InboundSink``, answer
TwiML.

Signature
    Twilio signs every webhook with the account Auth Token over the URL it called (the
    one configured in the console or passed as ``StatusCallback``) and the POST
    parameters; it is checked as the SDK's ``RequestValidator.validate`` checks it (the
    URL with or without its port), with the SDK's signature. The URL is rebuilt as the
    ``public_url`` setting + the route path (+ the query string): behind a proxy the
    request's own Host and scheme are not what Twilio called, so ``public_url`` must be the
    externally visible base under which these routes live. A missing or wrong signature
    gets 403 and nothing reaches the sink.

Form
    Twilio posts ``application/x-www-form-urlencoded`` forms; a body of any other type is
    read as an empty form (and so fails the signature check of any real webhook).

Odd fields
    A signed form is Twilio's word, so it is answered 200 even when a field is odd, with
    the odd part cleaned (Twilio would otherwise retry it for ever, and the customer's
    message would be lost): a NUL or another control character is removed, an id longer
    than storage keeps or holding such characters is replaced by a digest of all of it
    (never cut short: two ids would become one), an address too long to be one becomes
    a digest (it then matches no case), a count or code that is not a number is dropped.
    Each is logged with the field's name and the reason, never the content. A form that
    is neither an inbound message nor a status callback still gets 400.

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

import functools
import logging
from urllib.parse import parse_qsl, urlparse, urlsplit

from twilio.request_validator import RequestValidator, add_port, compare, remove_port
from twilio.twiml.messaging_response import MessagingResponse

from bot.domain.text_hygiene import clean_text, fit_identifier
from bot.services.ports import InboundSink
from channels.plugin import Webhook, WebRequest, WebResponse
from channels.twilio.sms import (
    INBOUND_PATH,
    STATUS_PATH,
    TwilioPayloadError,
    TwilioSmsChannel,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
TWIML_CONTENT_TYPE = "text/xml"
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class _Form(dict[str, str]):
    """Form fields with the last value of a repeated name (what ``parse_inbound`` reads);
    ``getlist`` gives every value, which is what the signature covers."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._repeated = len(self) != len(pairs)
        self._pairs = pairs

    def getlist(self, name: str) -> list[str]:
        if not self._repeated:
            return [self[name]] if name in self else []
        return [value for key, value in self._pairs if key == name]


#: the answer with nothing to say (what ``str(MessagingResponse())`` gives)
EMPTY_TWIML = str(MessagingResponse())


@functools.lru_cache(maxsize=64)
def _signed_urls(url: str) -> tuple[str, str]:
    """The two forms of ``url`` a signature may cover (Twilio signs with or without the
    port, see ``RequestValidator.validate``), the form as given first."""
    parsed = urlparse(url)
    with_port, without_port = add_port(parsed), remove_port(parsed)
    return (with_port, without_port) if parsed.port else (without_port, with_port)


def signature_valid(validator: RequestValidator, url: str, fields: _Form,
                    signature: str) -> bool:
    """What ``validator.validate(url, fields, signature)`` answers for a form: the
    signature of ``url`` with or without its port. The URL's form as given is checked
    first and the other only when that fails, so a good signature costs one HMAC, not
    two."""
    return any(compare(validator.compute_signature(candidate, fields), signature)
               for candidate in _signed_urls(url))


#: ids Twilio sends and their room in storage; addresses; fields that must be numbers
_ID_FIELDS = {"MessageSid": 255, "SmsSid": 255, "SmsMessageSid": 255, "AccountSid": 255,
              "MessagingServiceSid": 255, "From": 320, "To": 320}
_NUMBER_FIELDS = ("NumMedia", "NumSegments", "ErrorCode")
_MAX_NUMBER_DIGITS = 9


def clean_form(fields: _Form, path: str) -> dict[str, str]:
    """The form with its odd parts cleaned (see "Odd fields" above); each change is
    logged by field name and reason."""
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        why: str | None
        if name in _ID_FIELDS:
            value, why = fit_identifier(value, _ID_FIELDS[name])
        elif name in _NUMBER_FIELDS:
            stripped = value.strip()
            why = None
            if stripped and not (stripped.isascii() and stripped.isdigit()
                                 and len(stripped) <= _MAX_NUMBER_DIGITS):
                logger.warning("twilio webhook %s: field %s is not a number: dropped",
                               path, name)
                continue
        else:
            value, why = clean_text(value)
        if why is not None:
            logger.warning("twilio webhook %s: field %s %s", path, name,
                           why if why.startswith(("contains", "longer")) else f"cleaned ({why})")
        cleaned[name] = value
    return cleaned


async def _form(request: WebRequest) -> _Form:
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != _FORM_CONTENT_TYPE:
        return _Form([])
    body = (await request.body()).decode("latin-1")
    return _Form(parse_qsl(body, keep_blank_values=True))


def twilio_webhooks(channel: TwilioSmsChannel, *, public_url: str) -> list[Webhook]:
    """The webhooks of one channel (its auth token checks the signatures). What the
    application answers in-band (HELP, a confirmation) goes back as TwiML."""
    validator = RequestValidator(channel.auth_token.get_secret_value())
    base_url = public_url.rstrip("/")

    def route(path: str) -> Webhook:
        async def handle(request: WebRequest, sink: InboundSink) -> WebResponse:
            fields = await _form(request)
            url = base_url + path
            query = urlsplit(request.url).query
            if query:
                url += "?" + query
            signature = request.header(SIGNATURE_HEADER) or ""
            if not signature or not signature_valid(validator, url, fields, signature):
                logger.warning("twilio webhook %s refused: bad or missing signature", path)
                return WebResponse.text(403, "invalid signature", "text/plain")
            try:
                events = channel.parse_inbound(clean_form(fields, path))
            except TwilioPayloadError as exc:
                return WebResponse.text(400, str(exc), "text/plain")

            replies: list[str] = []
            for event in events:
                replies.extend((await sink.accept(event)).replies)
            if not replies:
                return WebResponse.text(200, EMPTY_TWIML, TWIML_CONTENT_TYPE)
            answer = MessagingResponse()
            for text in replies:
                answer.message(text)
            return WebResponse.text(200, str(answer), TWIML_CONTENT_TYPE)

        return Webhook("POST", path, handle)

    # A customer texted us (Twilio's "A message comes in" webhook), and Twilio's word on a
    # message we sent (``StatusCallback``).
    return [route(INBOUND_PATH), route(STATUS_PATH)]
