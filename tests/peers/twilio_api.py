"""A Twilio-like REST API and webhook caller on loopback, for tests and the demo.

``TwilioApiPeer`` is a real HTTP server (aiohttp) that answers
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` the way api.twilio.com does:
HTTP basic auth with the account SID and auth token (401 / code 20003 otherwise),
Twilio's validation errors for missing fields, and a 201 JSON message resource with an
``SM…`` sid. Per recipient number it can be told to fail like Twilio does (an error code
in a JSON body with an HTTP status, e.g. 21610 unsubscribed recipient, 21211 invalid
number, 429/20429 rate limit, 500). ``GET /2010-04-01/Accounts/{AccountSid}.json``
answers the account itself (what ``duebot check`` fetches to test the credentials). It
records every request.

It can also play Twilio's side of the webhooks: :meth:`TwilioApiPeer.post_status_callback`
and :meth:`TwilioApiPeer.post_inbound` POST signed forms, exactly as Twilio does, to a URL.

Usage::

    async with TwilioApiPeer() as peer:
        channel = TwilioSmsChannel(..., api_base=peer.base_url)
        peer.fail("+15005550001", code=21211)
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from bot.domain.sms_segments import count_segments
from tests.peers.twilio_signing import signed_headers

API_VERSION = "2010-04-01"

# Messages Twilio returns with these codes (wording from Twilio's error dictionary).
ERROR_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21217: "Phone number does not appear to be valid",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone "
    "number for this destination/account",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit",
}

_DEFAULT_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20500}


def new_sid(prefix: str = "SM") -> str:
    """A Twilio-shaped sid: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC))


def inbound_message_form(
    *,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    opt_out_type: str | None = None,
    media_urls: tuple[str, ...] = (),
) -> dict[str, str]:
    """The form Twilio POSTs to a number's "A message comes in" webhook."""
    sid = message_sid or new_sid("MM" if media_urls else "SM")
    form = {
        "ToCountry": "US",
        "ToState": "NY",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media_urls)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": str(count_segments(body).segments),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    for index, url in enumerate(media_urls):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = "image/jpeg"
    if opt_out_type is not None:
        form["OptOutType"] = opt_out_type
    return form


def status_callback_form(
    *,
    account_sid: str,
    message_sid: str,
    status: str,
    from_: str | None,
    to: str,
    error_code: int | None = None,
) -> dict[str, str]:
    """The form Twilio POSTs to a message's ``StatusCallback`` URL."""
    form = {
        "SmsSid": message_sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
    }
    if from_:
        form["From"] = from_
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form


@dataclass(frozen=True)
class PeerFailure:
    """How the peer answers a create request for one recipient."""

    status: int
    code: int
    message: str
    once: bool = False


@dataclass(frozen=True)
class PeerRequest:
    """One request as the peer saw it (accepted or not)."""

    method: str
    path: str
    form: dict[str, str]
    authorized: bool
    answered: int


@dataclass(frozen=True)
class PeerMessage:
    """One message the peer accepted."""

    sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    num_segments: int
    form: dict[str, str] = field(repr=False)
    #: when the peer accepted it (``time.time()``)
    received_at: float = 0.0
    #: the first path segment when the client's API base had one (``http://peer/w1``):
    #: tells apart clients sharing the peer; "" otherwise
    via: str = ""


class TwilioApiPeer:
    """A loopback server speaking the subset of Twilio's REST API that sending SMS uses."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._failures: dict[str, PeerFailure] = {}
        self.requests: list[PeerRequest] = []
        self.messages: list[PeerMessage] = []

    # ---------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: what the SDK's ``https://api.twilio.com`` becomes."""
        if self._runner is None:
            raise RuntimeError("TwilioApiPeer is not started")
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(
            "/2010-04-01/Accounts/{account_sid}/Messages.json", self._create_message
        )
        app.router.add_post(
            "/{via}/2010-04-01/Accounts/{account_sid}/Messages.json", self._create_message
        )
        app.router.add_get("/2010-04-01/Accounts/{account_sid}.json", self._fetch_account)
        app.router.add_get("/{via}/2010-04-01/Accounts/{account_sid}.json", self._fetch_account)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TwilioApiPeer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- behaviour
    def fail(
        self,
        to: str,
        *,
        status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        once: bool = False,
    ) -> None:
        """Answer create requests for ``to`` with a Twilio error.

        ``fail(n, code=21610)`` answers 400 with code 21610; ``fail(n, status=429)``
        answers 429 with code 20429; ``once=True`` fails only the next request.
        """
        if status is None and code is None:
            raise ValueError("give a status, a code or both")
        if status is None:
            status = 429 if code == 20429 else 500 if code == 20500 else 400
        if code is None:
            code = _DEFAULT_CODE_FOR_STATUS.get(status, 20500 if status >= 500 else 21000)
        text = message if message is not None else ERROR_MESSAGES.get(code, "Error")
        self._failures[to] = PeerFailure(status=status, code=code, message=text, once=once)

    def clear_failures(self) -> None:
        self._failures.clear()

    # ---------------------------------------------------------------- REST handler
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = aiohttp.BasicAuth.decode(header)
        except ValueError:
            return False
        return secrets.compare_digest(auth.login, self.account_sid) and secrets.compare_digest(
            auth.password, self.auth_token
        )

    def _error(
        self,
        request: web.Request,
        form: dict[str, str],
        status: int,
        code: int,
        message: str | None = None,
        *,
        authorized: bool = True,
    ) -> web.Response:
        self.requests.append(PeerRequest(request.method, request.path, form, authorized, status))
        body = {
            "code": code,
            "message": message if message is not None else ERROR_MESSAGES.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return web.json_response(body, status=status)

    async def _fetch_account(self, request: web.Request) -> web.Response:
        """``GET /2010-04-01/Accounts/{sid}.json``: the account, as a credential check."""
        if not self._authorized(request):
            return self._error(request, {}, 401, 20003, authorized=False)
        if request.match_info["account_sid"] != self.account_sid:
            return self._error(request, {}, 404, 20404)
        self.requests.append(PeerRequest(request.method, request.path, {}, True, 200))
        return web.json_response({
            "sid": self.account_sid, "friendly_name": "duebot test account",
            "status": "active", "type": "Full", "owner_account_sid": self.account_sid,
            "auth_token": self.auth_token, "date_created": _rfc2822_now(),
            "date_updated": _rfc2822_now(), "uri": f"/2010-04-01/Accounts/{self.account_sid}.json",
        })

    async def _create_message(self, request: web.Request) -> web.Response:
        posted = await request.post()
        form = {key: str(value) for key, value in posted.items()}
        if not self._authorized(request):
            return self._error(request, form, 401, 20003, authorized=False)
        if request.match_info["account_sid"] != self.account_sid:
            return self._error(request, form, 404, 20404)
        to = form.get("To", "")
        if not to:
            return self._error(request, form, 400, 21604)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._error(request, form, 400, 21603)
        body = form.get("Body", "")
        if not body and not form.get("MediaUrl"):
            return self._error(request, form, 400, 21602)
        if len(body) > 1600:
            return self._error(request, form, 400, 21617)
        failure = self._failures.get(to)
        if failure is not None:
            if failure.once:
                del self._failures[to]
            return self._error(request, form, failure.status, failure.code, failure.message)

        sid = new_sid("SM")
        segments = count_segments(body).segments
        message = PeerMessage(
            sid=sid,
            to=to,
            body=body,
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            status_callback=form.get("StatusCallback"),
            num_segments=segments,
            form=form,
            received_at=time.time(),
            via=request.match_info.get("via", ""),
        )
        self.messages.append(message)
        self.requests.append(PeerRequest(request.method, request.path, form, True, 201))
        now = _rfc2822_now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio answers "accepted" when a Messaging Service picks the sender later.
            "status": "queued" if message.from_ else "accepted",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        return web.json_response(resource, status=201)

    # ---------------------------------------------------------------- webhooks
    def message(self, sid: str) -> PeerMessage:
        for message in self.messages:
            if message.sid == sid:
                return message
        raise KeyError(f"no message {sid} on this peer")

    async def post_status_callback(
        self, sid: str, status: str, *, error_code: int | None = None
    ) -> tuple[int, str]:
        """POST a signed status callback for an accepted message to its StatusCallback URL.

        Returns the webhook's HTTP status and body.
        """
        message = self.message(sid)
        if not message.status_callback:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        form = status_callback_form(
            account_sid=self.account_sid,
            message_sid=sid,
            status=status,
            from_=message.from_,
            to=message.to,
            error_code=error_code,
        )
        return await self.post_webhook(message.status_callback, form)

    async def post_inbound(
        self, url: str, *, from_: str, to: str, body: str, message_sid: str | None = None
    ) -> tuple[int, str]:
        """POST a signed inbound-message webhook, as Twilio does when a customer texts us."""
        form = inbound_message_form(
            account_sid=self.account_sid, from_=from_, to=to, body=body, message_sid=message_sid
        )
        return await self.post_webhook(url, form)

    async def post_webhook(self, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        """POST ``form`` to ``url`` signed with this account's auth token."""
        headers = signed_headers(self.auth_token, url, form)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=dict(form), headers=headers) as response,
        ):
            return response.status, await response.text()
