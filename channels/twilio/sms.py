"""SMS through Twilio's Programmable Messaging API (the official ``twilio`` SDK, async).

Sending
    ``TwilioSmsChannel.send`` calls ``client.messages.create_async`` on a ``twilio.rest.Client``
    whose HTTP client is the SDK's aiohttp-based ``AsyncTwilioHttpClient``. Messages go out
    from a number (``From``) or a Messaging Service (``MessagingServiceSid``; with both set,
    Twilio sends from that number using the service's features), with a ``StatusCallback``
    URL so Twilio reports delivery to ``POST /webhooks/twilio/status``.

API base URL
    The SDK addresses the Messages API through its ``api`` domain object, whose
    ``base_url`` is ``https://api.twilio.com``. When ``api_base`` is configured (tests, a
    Twilio-compatible gateway) we replace that domain's ``base_url`` and clear the
    edge/region routing (which would otherwise rewrite the host into
    ``api.<edge>.<region>.twilio.com``). Everything else - request signing with basic auth,
    form encoding, error parsing - stays the SDK's own.

Error mapping (``map_twilio_error``)
    21610 (the recipient replied STOP): PERMANENT / OPTED_OUT with ``code="21610"``; the
    caller must opt the number out, and must not retry nor fall back to another sender.
    Invalid-number codes: PERMANENT / INVALID_ADDRESS (the contact point is invalid).
    HTTP 429, code 20429, 21611 (sender queue full), HTTP 5xx and network errors:
    TRANSIENT. Account and sender configuration errors (bad credentials, a From number
    not on the account, region not enabled): TRANSIENT / CONFIGURATION - nothing is wrong
    with the message or the address, and it succeeds once an operator fixes the account
    (the dispatcher's attempt limit bounds the retries). Anything else:
    PERMANENT / REJECTED.

Inbound (``parse_inbound``)
    Webhook forms are turned into domain events; the web route has already checked the
    ``X-Twilio-Signature``. A form with ``MessageStatus`` is a status callback and gives a
    ``DeliveryReceipt`` (plus a ``ContactSignal`` when the error code says the number
    opted out or does not exist). Any other form is an inbound message and gives an
    ``InboundMessage``; when its body is a carrier keyword (see
    :mod:`bot.domain.sms_segments`) a ``ContactSignal`` comes first: the carrier has already
    acted on STOP/START, so our records must mirror it, and it is emitted before the
    message so a reply policy sees the opt-out. The message itself is still emitted so
    the conversation record is complete. Twilio's ``OptOutType`` field (Advanced Opt-Out)
    is authoritative when present; Twilio then also sends the configured keyword reply
    itself, which the signal's ``detail`` says (:data:`~bot.domain.messages.ANSWERED_BY_PROVIDER`).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr
from twilio.base import values
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from bot.domain.clock import Clock, SystemClock
from bot.domain.contacts import mask_address
from bot.domain.messages import (
    ANSWERED_BY_PROVIDER,
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    DeliveryResult,
    FailureReason,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    ReceiptStatus,
    SignalKind,
)
from bot.domain.sms_segments import CarrierKeyword, carrier_keyword, count_segments, keyword_signal
from bot.services.ports import Channel, ChannelConfigError
from channels.twilio.config import TwilioConfig

logger = logging.getLogger(__name__)

#: Paths of the webhook routes (relative to the ``public_url`` setting).
INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"

TWILIO_API_BASE = "https://api.twilio.com"
#: Twilio refuses bodies over 1600 characters (error 21617).
MAX_BODY_LEN = 1600
#: ``ContactSignal.detail`` when Twilio's Advanced Opt-Out handled the keyword (and replied).

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

# --- Twilio error codes (https://www.twilio.com/docs/api/errors)
OPTED_OUT_CODES = frozenset({21610})
INVALID_ADDRESS_CODES = frozenset(
    {
        21211,  # invalid 'To' phone number
        21217,  # phone number does not appear to be valid
        21407,  # this phone number type does not support SMS
        21614,  # 'To' number is not a valid mobile number (landline)
        30005,  # unknown destination handset (number not in service)
        30006,  # landline or unreachable carrier
    }
)
RATE_LIMIT_CODES = frozenset({20429, 21611, 30022})
CONFIGURATION_CODES = frozenset(
    {
        20003,  # authentication failed
        20404,  # account not found (wrong account SID)
        21212,  # invalid 'From' number
        21408,  # sending to this region is not enabled on the account
        21606,  # 'From' is not a message-capable number of this account
        21659,  # 'From' is not a Twilio number
        21660,  # 'From' does not belong to the account
        21703,  # Messaging Service has no phone numbers
        21704,  # Messaging Service has no senders
        30032,  # toll-free number not verified
        30034,  # US A2P 10DLC number not registered
    }
)
BLOCKED_CODES = frozenset(
    {
        30004,  # message blocked (the recipient or carrier blocks us)
        30007,  # message filtered by the carrier
    }
)
UNAVAILABLE_CODES = frozenset(
    {
        30001,  # queue overflow
        30003,  # unreachable handset: phone off or out of coverage, may recover
        30008,  # unknown carrier error
        30009,  # missing segment
    }
)

_CODE_DETAIL = {
    21610: "recipient replied STOP",
    21211: "invalid phone number",
    21217: "invalid phone number",
    21407: "number cannot receive SMS",
    21614: "not a mobile number",
    30005: "number not in service",
    30006: "landline or unreachable carrier",
    20003: "authentication failed",
    20404: "account not found",
    20429: "rate limited",
    21611: "sender queue full",
    21408: "region not enabled",
    21606: "From number not usable",
    21612: "To/From combination not reachable",
    21617: "body too long",
}

_RECEIPT_STATUS = {
    "accepted": ReceiptStatus.QUEUED,
    "scheduled": ReceiptStatus.QUEUED,
    "queued": ReceiptStatus.QUEUED,
    "sending": ReceiptStatus.QUEUED,
    "sent": ReceiptStatus.SENT,
    "delivered": ReceiptStatus.DELIVERED,
    "undelivered": ReceiptStatus.UNDELIVERED,
    "failed": ReceiptStatus.FAILED,
    "canceled": ReceiptStatus.FAILED,
    "read": ReceiptStatus.READ,
}

_OPT_OUT_TYPE = {
    "STOP": CarrierKeyword.OPT_OUT,
    "START": CarrierKeyword.OPT_IN,
    "HELP": CarrierKeyword.HELP,
}


class TwilioPayloadError(ValueError):
    """A webhook form that is not a Twilio inbound message or status callback."""


def map_twilio_error(status: int, code: int | None) -> DeliveryResult:
    """Map a Twilio REST error (HTTP status and Twilio code) to a DeliveryResult."""
    code_text = str(code) if code is not None else str(status)
    detail = _CODE_DETAIL.get(code or 0, f"twilio error {code_text} (HTTP {status})")
    if code in OPTED_OUT_CODES:
        return DeliveryResult.permanent(FailureReason.OPTED_OUT, code=code_text, detail=detail)
    if code in INVALID_ADDRESS_CODES:
        return DeliveryResult.permanent(
            FailureReason.INVALID_ADDRESS, code=code_text, detail=detail
        )
    if status == 429 or code in RATE_LIMIT_CODES:
        return DeliveryResult.transient(FailureReason.RATE_LIMITED, code=code_text, detail=detail)
    if status == 401 or code in CONFIGURATION_CODES:
        return DeliveryResult.transient(FailureReason.CONFIGURATION, code=code_text, detail=detail)
    if status >= 500:
        return DeliveryResult.transient(FailureReason.UNAVAILABLE, code=code_text, detail=detail)
    return DeliveryResult.permanent(FailureReason.REJECTED, code=code_text, detail=detail)


def receipt_reason(code: int | None) -> FailureReason | None:
    """The failure reason a status callback's ``ErrorCode`` stands for (None if no code)."""
    if code is None:
        return None
    if code in OPTED_OUT_CODES:
        return FailureReason.OPTED_OUT
    if code in INVALID_ADDRESS_CODES:
        return FailureReason.INVALID_ADDRESS
    if code in BLOCKED_CODES:
        return FailureReason.BLOCKED
    if code in UNAVAILABLE_CODES:
        return FailureReason.UNAVAILABLE
    if code in CONFIGURATION_CODES:
        return FailureReason.CONFIGURATION
    if code in RATE_LIMIT_CODES:
        return FailureReason.RATE_LIMITED
    return FailureReason.REJECTED


class _AsyncHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client with a default timeout and header-based basic auth.

    ``AsyncTwilioHttpClient`` keeps the ``timeout`` it is given but only applies a
    per-call one, which the REST layer never passes: without this, a stalled server
    would hold a send forever. It also hands credentials to aiohttp's ``auth=``
    parameter, which aiohttp deprecates; we send the same ``Authorization: Basic``
    header ourselves (the SDK's request logging skips authorization headers).
    """

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if auth is not None:
            credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {credentials}"}
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


def _setting_error(setting: str, problem: str) -> ChannelConfigError:
    return ChannelConfigError(f"{setting} (DUEBOT_{setting.upper()}) {problem}")


def _check_url(setting: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _setting_error(setting, "must be an absolute http(s) URL")
    return url


class TwilioSmsChannel(Channel):
    """SMS via Twilio. ``send`` never raises for provider or network trouble."""

    kind = ChannelKind.SMS
    name = "twilio"
    max_body_len = MAX_BODY_LEN
    supports_subject = False
    supports_quick_replies = False
    # API requests per second; Twilio queues beyond the sender's own throughput.
    rate_per_sec = 10.0

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str | SecretStr,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback_url: str | None = None,
        api_base: str | None = None,
        timeout: float = 15.0,
        clock: Clock | None = None,
        rate_per_sec: float | None = None,
    ) -> None:
        if not account_sid or not _ACCOUNT_SID.match(account_sid):
            raise _setting_error(
                "twilio_account_sid", "must be 'AC' followed by 32 hexadecimal digits"
            )
        token = auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token
        if not token or token != token.strip():
            raise _setting_error("twilio_auth_token", "must be set, without surrounding whitespace")
        if from_number is None and messaging_service_sid is None:
            raise ChannelConfigError(
                "Twilio needs a sender: set twilio_from_number (DUEBOT_TWILIO_FROM_NUMBER) "
                "or twilio_messaging_service_sid (DUEBOT_TWILIO_MESSAGING_SERVICE_SID)"
            )
        if from_number is not None and not (
            E164.match(from_number)
            or _SHORT_CODE.match(from_number)
            or _ALPHANUMERIC_SENDER.match(from_number)
        ):
            raise _setting_error(
                "twilio_from_number",
                "must be an E.164 number (+14155550100), a short code or an alphanumeric "
                "sender id of at most 11 characters",
            )
        if messaging_service_sid is not None and not _SERVICE_SID.match(messaging_service_sid):
            raise _setting_error(
                "twilio_messaging_service_sid", "must be 'MG' followed by 32 hexadecimal digits"
            )
        if status_callback_url is not None:
            _check_url("public_url", status_callback_url)
        if api_base is not None:
            api_base = _check_url("twilio_api_base", api_base).rstrip("/")
        if timeout <= 0:
            raise ChannelConfigError("the Twilio request timeout must be positive")
        if rate_per_sec is not None:
            if not 0 < rate_per_sec < float("inf"):
                raise _setting_error("twilio_rate", "must be a positive number per second")
            self.rate_per_sec = rate_per_sec

        self._account_sid = account_sid
        self._auth_token = SecretStr(token)
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._status_callback_url = status_callback_url
        self._api_base = api_base
        self._timeout = timeout
        self._clock: Clock = clock or SystemClock()
        self._client: Client | None = None

    @property
    def shared_rate_key(self) -> str:
        """The sender whose rate (``DUEBOT_TWILIO_RATE``) every worker shares: the
        messaging service when one is set (Twilio sends from its pool), else the number."""
        return f"twilio:{self._messaging_service_sid or self._from_number}"

    @classmethod
    def from_config(cls, config: TwilioConfig, *, clock: Clock | None = None) -> TwilioSmsChannel:
        """Build from :class:`~channels.twilio.config.TwilioConfig`; callbacks go to its
        ``public_url``."""
        public_url = _check_url("public_url", config.public_url).rstrip("/")
        return cls(
            account_sid=config.account_sid,
            auth_token=config.auth_token,
            from_number=config.from_number,
            messaging_service_sid=config.messaging_service_sid,
            status_callback_url=public_url + STATUS_PATH,
            api_base=config.api_base,
            clock=clock,
            rate_per_sec=config.rate,
        )

    def __repr__(self) -> str:
        sender = (
            f"from={mask_address(self._from_number)}"
            if self._from_number
            else f"service=MG…{(self._messaging_service_sid or '')[-4:]}"
        )
        return (
            f"TwilioSmsChannel(account=AC…{self._account_sid[-4:]}, {sender}, "
            f"api_base={self._api_base or TWILIO_API_BASE})"
        )

    @property
    def auth_token(self) -> SecretStr:
        """The auth token, for the webhook signature check."""
        return self._auth_token

    @property
    def account_sid(self) -> str:
        return self._account_sid

    # ---------------------------------------------------------------- lifecycle
    def _twilio(self) -> Client:
        # Built on first use inside the running loop: the SDK's aiohttp session needs one.
        if self._client is None:
            http_client = _AsyncHttpClient(timeout=self._timeout)
            client = Client(
                self._account_sid,
                self._auth_token.get_secret_value(),
                http_client=http_client,
            )
            if self._api_base is not None:
                client.api.base_url = self._api_base
                client.edge = None
                client.region = None
            self._client = client
        return self._client

    async def start(self) -> None:
        self._twilio()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and isinstance(client.http_client, AsyncTwilioHttpClient):
            await client.http_client.close()

    async def verify(self) -> None:
        """Fetch our own account (``GET /2010-04-01/Accounts/{sid}.json``): the SID and
        token are checked, nothing is sent. Raises ``ChannelConfigError``."""
        had_client = self._client is not None
        host = urlsplit(self._api_base or TWILIO_API_BASE).hostname
        try:
            await self._twilio().api.v2010.accounts(self._account_sid).fetch_async()
        except (TwilioRestException, TwilioServiceException) as exc:
            if exc.status in (401, 403):
                raise ChannelConfigError(
                    "Twilio refused the account SID and auth token (check "
                    "DUEBOT_TWILIO_ACCOUNT_SID and DUEBOT_TWILIO_AUTH_TOKEN)") from None
            if exc.status == 404:
                raise ChannelConfigError(
                    f"Twilio knows no account AC…{self._account_sid[-4:]} "
                    "(DUEBOT_TWILIO_ACCOUNT_SID)") from None
            raise ChannelConfigError(
                f"Twilio answered {exc.status} to the account check") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ChannelConfigError(
                f"cannot reach Twilio at {host} ({type(exc).__name__})") from None
        except json.JSONDecodeError:
            raise ChannelConfigError(
                f"Twilio at {host} gave an unreadable answer to the account check") from None
        finally:
            if not had_client:
                await self.aclose()

    # ---------------------------------------------------------------- sending
    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        if outbound.channel is not ChannelKind.SMS:
            raise ValueError(f"TwilioSmsChannel sends sms messages, not {outbound.channel}")
        to = outbound.to.strip()
        if not E164.match(to):
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, detail="not an E.164 phone number"
            )
        if not outbound.body.strip():
            return DeliveryResult.permanent(FailureReason.REJECTED, detail="empty body")
        if len(outbound.body) > MAX_BODY_LEN:
            return DeliveryResult.permanent(
                FailureReason.REJECTED, detail=f"body exceeds {MAX_BODY_LEN} characters"
            )
        segments = count_segments(outbound.body).segments
        try:
            message = await self._twilio().messages.create_async(
                to=to,
                body=outbound.body,
                from_=self._from_number or values.unset,
                messaging_service_sid=self._messaging_service_sid or values.unset,
                status_callback=self._status_callback_url or values.unset,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            result = map_twilio_error(exc.status, exc.code)
            logger.info(
                "twilio refused sms to %s: %s %s", mask_address(to), result.status, result.code
            )
            return result
        except (aiohttp.ClientError, OSError) as exc:  # OSError covers TimeoutError
            logger.warning("twilio unreachable for sms to %s: %r", mask_address(to), exc)
            return DeliveryResult.transient(
                FailureReason.UNAVAILABLE, detail=f"network error: {type(exc).__name__}"
            )
        except json.JSONDecodeError:
            # A 2xx whose body is not JSON (a misbehaving proxy or gateway): whether the
            # message was queued is unknown, so report it as a transient failure.
            return DeliveryResult.transient(
                FailureReason.UNAVAILABLE, detail="unreadable response from the API"
            )
        logger.debug("twilio accepted sms to %s as %s", mask_address(to), message.sid)
        return DeliveryResult.accepted(message.sid, segments=segments)

    # ---------------------------------------------------------------- inbound
    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """Translate a Twilio webhook form (inbound message or status callback).

        Raises :class:`TwilioPayloadError` for a form that is neither.
        """
        form = {str(key): str(value) for key, value in raw.items()}
        if "MessageStatus" in form:
            return self._parse_status(form)
        return self._parse_message(form)

    def _parse_status(self, form: dict[str, str]) -> list[InboundEvent]:
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid:
            raise TwilioPayloadError("status callback without MessageSid")
        raw_status = form["MessageStatus"].strip().lower()
        status = _RECEIPT_STATUS.get(raw_status)
        if status is None:
            raise TwilioPayloadError(f"unknown MessageStatus {raw_status[:20]!r}")
        code = _parse_code(form.get("ErrorCode"))
        now = self._clock.now()
        reason = receipt_reason(code) if status in _FAILED_STATUSES else None
        if status is ReceiptStatus.FAILED and raw_status == "canceled" and reason is None:
            reason = FailureReason.REJECTED
        events: list[InboundEvent] = [
            DeliveryReceipt(
                channel=ChannelKind.SMS,
                provider_id=sid,
                status=status,
                received_at=now,
                code=str(code) if code is not None else None,
                reason=reason,
            )
        ]
        to = form.get("To", "").strip()
        if to and reason in (FailureReason.OPTED_OUT, FailureReason.INVALID_ADDRESS):
            kind = SignalKind.OPT_OUT if reason is FailureReason.OPTED_OUT else SignalKind.INVALID
            events.append(
                ContactSignal(
                    channel=ChannelKind.SMS,
                    address=to,
                    kind=kind,
                    received_at=now,
                    source=f"twilio-{code}",
                    provider_id=sid,
                    detail=_CODE_DETAIL.get(code or 0, ""),
                )
            )
        return events

    def _parse_message(self, form: dict[str, str]) -> list[InboundEvent]:
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
        if not sid:
            raise TwilioPayloadError("inbound message without MessageSid")
        sender = form.get("From", "").strip()
        if not sender:
            raise TwilioPayloadError("inbound message without From")
        body = form.get("Body", "")
        text = body
        media = _parse_count(form.get("NumMedia"))
        if media:
            # MMS media is not fetched (it may hold personal documents); say it was there.
            marker = f"[{media} attachment{'s' if media > 1 else ''} not retrieved]"
            text = f"{body}\n{marker}" if body else marker
        now = self._clock.now()
        events: list[InboundEvent] = []
        opt_out_type = form.get("OptOutType", "").strip().upper()
        keyword = _OPT_OUT_TYPE.get(opt_out_type) if opt_out_type else carrier_keyword(body)
        if keyword is not None:
            events.append(keyword_signal(keyword, sender, now, sid,
                                         ANSWERED_BY_PROVIDER if opt_out_type else ""))
        events.append(
            InboundMessage(
                channel=ChannelKind.SMS,
                sender=sender,
                text=text,
                provider_id=sid,
                received_at=now,
            )
        )
        return events


_FAILED_STATUSES = frozenset({ReceiptStatus.UNDELIVERED, ReceiptStatus.FAILED})


def _parse_code(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise TwilioPayloadError(f"ErrorCode is not a number: {value[:12]!r}") from None


def _parse_count(value: str | None) -> int:
    if value is None or not value.strip():
        return 0
    try:
        count = int(value.strip())
    except ValueError:
        raise TwilioPayloadError(f"NumMedia is not a number: {value[:12]!r}") from None
    if count < 0:
        raise TwilioPayloadError("NumMedia is negative")
    return count
