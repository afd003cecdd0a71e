"""Email out over SMTP (aiosmtplib), with threading, reply addresses and one-click unsubscribe.

One :class:`SmtpEmailChannel` per worker keeps a pool of up to ``connections`` SMTP
connections (``DUEBOT_SMTP_CONNECTIONS``, default 4) and sends over them concurrently, one
message at a time on each: a send takes a free connection (the most recently used first,
so a light load keeps one connection warm), opening one only when all that are open are
busy and the pool is not full. A refused recipient does not spoil a connection:
aiosmtplib sends ``RSET`` after a refusal and the next message reuses it. A dropped
connection is reopened on its next send.

A message goes out as the bytes :meth:`SmtpEmailChannel.wire_message` writes: those
aiosmtplib's ``send_message`` would write for :meth:`SmtpEmailChannel.build_message`'s
MIME message, without building it (:mod:`channels.email.wire`, a tenth of the CPU). The
first message of a session (which greets the server), a message with an HTML part and one
that needs SMTPUTF8 go through ``send_message`` itself.

Headers written on every message:

* ``Message-ID`` derived from the message's idempotency key, so a retried message keeps
  its id and the id doubles as the provider id (``hex@from-domain``; message ids travel
  without angle brackets in the domain, see :func:`channels.email.dsn.bare_message_id`);
* ``In-Reply-To``/``References`` when the message answers a customer's email;
* ``Reply-To: reply+TOKEN@reply-domain`` so a reply finds its case even when the
  customer writes from another address;
* ``List-Unsubscribe`` (HTTPS, plus ``mailto:`` when a reply domain is set) and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), both raw ASCII on
  the wire: never RFC 2047-encoded, a long list folded between its elements.

The unsubscribe token in those links comes with the message
(``OutboundMessage.unsubscribe_token``, see :mod:`channels.email.unsubscribe_tokens`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import re
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from typing import Any, ClassVar, Literal

import aiosmtplib
from pydantic import SecretStr

from bot.domain.clock import Clock, SystemClock
from bot.domain.contacts import mask_email
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    FailureReason,
    InboundEvent,
    OutboundMessage,
)
from bot.services.ports import Channel, ChannelConfigError
from channels.email.config import SmtpConfig
from channels.email.dsn import PermanentKind, bare_message_id, classify_permanent
from channels.email.parsing import parse_email
from channels.email.wire import (
    CRLF,
    PLAIN_ADDRESS,
    PLAIN_MESSAGE_ID,
    HeaderLines,
    WireMessage,
    text_body,
)

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "implicit", "none"]
_TLS_MODES: tuple[str, ...] = ("starttls", "implicit", "none")
_DEFAULT_PORTS = {"starttls": 587, "implicit": 465, "none": 25}
_ADDRESS_RE = re.compile(r"[^\s<>@]+@[^\s<>@]+")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9._=-]{1,48}$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
#: an idle pooled connection is checked with NOOP before use (servers drop idle clients)
IDLE_CHECK_SECONDS = 30.0
#: SMTP connections a channel keeps open at most (``DUEBOT_SMTP_CONNECTIONS``)
DEFAULT_CONNECTIONS = 4
#: the most a deployment may ask for (providers limit concurrent sessions far below it)
MAX_CONNECTIONS = 100


class _Slot:
    """One place in the pool: a connection (None until first needed, or after a drop)
    and when it last carried a message."""

    __slots__ = ("last_used", "smtp")

    def __init__(self) -> None:
        self.smtp: aiosmtplib.SMTP | None = None
        self.last_used = 0.0




#: headers whose values repeat from message to message (parsed once per distinct value)
_REPEATED_HEADERS = frozenset({
    "subject", "date", "auto-submitted", "list-unsubscribe-post", "content-type",
    "content-transfer-encoding", "mime-version",
})
_HEADER_CACHE_SIZE = 1024


class _ListHeader(UnstructuredHeader):
    """``List-Unsubscribe``: a list of ``<URI>`` elements written as they are (RFC 2369,
    RFC 8058). The stdlib folds a long unstructured value with RFC 2047 encoded words
    (``=?utf-8?q?=3Chttps...``), which no mail provider reads as a link; here the value
    stays raw ASCII and a long one is folded between its elements only."""

    def fold(self, *, policy: Any) -> str:
        return _fold_list(getattr(self, "name", "List-Unsubscribe"), str(self), policy.linesep)


def _fold_list(name: str, value: str, linesep: str) -> str:
    """``List-Unsubscribe``'s line: its elements as they are, folded between them."""
    if not value.isascii() or "\r" in value or "\n" in value:
        raise ValueError(f"{name} must be one line of ASCII")
    elements = [e.strip() for e in value.split(",")]
    return f"{name}: " + f",{linesep} ".join(elements) + linesep


class _HeaderCache(HeaderRegistry):
    """The stdlib registry with two caches; the header objects, hence the bytes, are the
    same as the stdlib's.

    * It builds a new header class (``type(...)``) for every header set; here each
      class is built once.
    * Parsing a header value costs tens of microseconds; values of
      :data:`_REPEATED_HEADERS` are parsed once and the (immutable) header object is
      shared by the messages that carry it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("list-unsubscribe", _ListHeader)  # type: ignore[arg-type]
        self._classes: dict[str, type[BaseHeader]] = {}
        self._values: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if type(value) is not str or name.lower() not in _REPEATED_HEADERS:
            return self[name](name, value)  # type: ignore[no-any-return]
        key = (name, value)
        header = self._values.get(key)
        if header is None:
            if len(self._values) >= _HEADER_CACHE_SIZE:
                self._values.clear()
            header = self._values[key] = self[name](name, value)
        return header


#: ``email.policy.default`` with the caching header registry
_MESSAGE_POLICY = default_policy.clone(header_factory=_HeaderCache())
#: headers whose usual values :meth:`SmtpEmailChannel.wire_message` writes as they are
#: (when they match); the others are the same from message to message (folded once)
_PLAIN_VALUES = {
    "To": PLAIN_ADDRESS, "Reply-To": PLAIN_ADDRESS, "Message-ID": PLAIN_MESSAGE_ID,
    "In-Reply-To": PLAIN_MESSAGE_ID, "References": PLAIN_MESSAGE_ID,
    "List-Unsubscribe": re.compile(r"[!-~]+(?: [!-~]+)*\Z"),
}


# ----------------------------------------------------------------------------- helpers


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The stable id (``hex@domain``, no brackets) of the message with this idempotency key.

    It is the provider id of the sent message; the header carries it as ``<hex@domain>``.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"{digest}@{domain}"


def _bare_address(value: str) -> str | None:
    """The addr-spec of ``value`` if it is one plain address, else None."""
    value = value.strip()
    if not value or any(ch in value for ch in '\r\n<>,;"() \t') or value.count("@") != 1:
        return None
    local, _, domain = value.partition("@")
    if not local or not domain or len(value) > 254:
        return None
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _secret(value: str | SecretStr | None) -> str | None:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


# ----------------------------------------------------------------------------- channel


class BadRecipientError(ValueError):
    """The recipient is not one plain email address (nothing was sent)."""


class SmtpEmailChannel(Channel):
    """Email through an SMTP submission server (587 STARTTLS, 465 implicit TLS, or plain).

    ``send`` maps every SMTP outcome to a :class:`DeliveryResult`: accepted → the
    Message-ID; recipient refused with 550/551/553 (or 5.1.x) → permanent invalid
    address; other 5xx → permanent rejection; 4xx, disconnects, timeouts and refused
    connections → transient; authentication failure → permanent configuration error.
    """

    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL
    name: ClassVar[str] = "email-smtp"
    max_body_len: ClassVar[int] = 100_000
    supports_subject: ClassVar[bool] = True
    rate_per_sec: float = 5.0

    def __init__(
        self,
        *,
        host: str,
        from_address: str,
        port: int | None = None,
        username: str | None = None,
        password: str | SecretStr | None = None,
        tls: str = "starttls",
        validate_certs: bool = True,
        ca_file: str | None = None,
        reply_domain: str | None = None,
        unsubscribe_base_url: str | None = None,
        unsubscribe_secret: str | SecretStr | None = None,
        from_name: str | None = None,
        local_hostname: str | None = None,
        timeout: float = 30.0,
        idle_check_seconds: float = IDLE_CHECK_SECONDS,
        clock: Clock | None = None,
        rate_per_sec: float | None = None,
        connections: int | None = None,
    ) -> None:
        if not host or not host.strip():
            raise ChannelConfigError("SMTP host is empty (DUEBOT_SMTP_HOST)")
        if tls not in _TLS_MODES:
            raise ChannelConfigError(
                f"SMTP tls mode must be one of {', '.join(_TLS_MODES)} (DUEBOT_SMTP_TLS), "
                f"got {tls!r}"
            )
        port = _DEFAULT_PORTS[tls] if port is None else port
        if not 0 < port < 65536:
            raise ChannelConfigError(f"SMTP port must be 1-65535 (DUEBOT_SMTP_PORT), got {port}")
        password_value = _secret(password)
        if bool(username) != bool(password_value):
            raise ChannelConfigError(
                "SMTP username and password must be set together "
                "(DUEBOT_SMTP_USERNAME, DUEBOT_SMTP_PASSWORD)"
            )
        if password_value and tls == "none" and not _is_loopback(host):
            raise ChannelConfigError(
                "refusing to send the SMTP password in clear text: set DUEBOT_SMTP_TLS to "
                "starttls or implicit"
            )
        bare_from = _bare_address(from_address)
        if bare_from is None:
            raise ChannelConfigError(
                f"sender address is not a plain email address (DUEBOT_EMAIL_FROM): "
                f"{mask_email(from_address)}"
            )
        if reply_domain is not None and not _DOMAIN_RE.match(reply_domain):
            raise ChannelConfigError(
                f"reply domain must be a bare domain name (DUEBOT_EMAIL_REPLY_DOMAIN), "
                f"got {reply_domain!r}"
            )
        if unsubscribe_base_url is not None:
            parsed = urllib.parse.urlsplit(unsubscribe_base_url)
            secure = parsed.scheme == "https"
            local_http = parsed.scheme == "http" and _is_loopback(parsed.hostname or "")
            if not parsed.hostname or not (secure or local_http) \
                    or not unsubscribe_base_url.isascii() \
                    or any(ch in unsubscribe_base_url for ch in " ,<>\r\n\t"):
                raise ChannelConfigError(
                    "unsubscribe URL must be an ASCII https:// URL without spaces, commas "
                    "or angle brackets (RFC 2369, RFC 8058; http only on loopback), "
                    f"got {unsubscribe_base_url!r} (DUEBOT_PUBLIC_URL)"
                )
        if timeout <= 0:
            raise ChannelConfigError(f"SMTP timeout must be positive, got {timeout}")
        if rate_per_sec is not None:
            if not 0 < rate_per_sec < float("inf"):
                raise ChannelConfigError(f"the SMTP rate must be a positive number of "
                                         f"messages per second (DUEBOT_SMTP_RATE), got "
                                         f"{rate_per_sec}")
            self.rate_per_sec = rate_per_sec
        connections = DEFAULT_CONNECTIONS if connections is None else connections
        if not 1 <= connections <= MAX_CONNECTIONS:
            raise ChannelConfigError(f"the number of SMTP connections must be 1-"
                                     f"{MAX_CONNECTIONS} (DUEBOT_SMTP_CONNECTIONS), got "
                                     f"{connections}")

        self.host = host.strip()
        self.port = port
        self.username = username
        self._password = password_value
        self.tls: TlsMode = tls  # type: ignore[assignment]  # checked above
        self.validate_certs = validate_certs
        self.ca_file = ca_file
        self.from_address = bare_from
        self.from_name = from_name
        self.from_domain = bare_from.rpartition("@")[2].lower()
        self.reply_domain = reply_domain.lower() if reply_domain else None
        self.unsubscribe_base_url = (
            unsubscribe_base_url.rstrip("/") if unsubscribe_base_url else None
        )
        self._unsubscribe_secret = _secret(unsubscribe_secret)
        self.local_hostname = local_hostname or self.from_domain
        self.timeout = timeout
        self.idle_check_seconds = idle_check_seconds
        self.clock: Clock = clock or SystemClock()
        # parsed once: every message carries the same From header object (immutable)
        try:
            self._from_header = _MESSAGE_POLICY.header_factory(
                "From",
                Address(display_name=from_name, addr_spec=bare_from) if from_name else bare_from,
            )
        except ValueError as exc:
            raise ChannelConfigError(
                f"sender display name is not usable in a From header (DUEBOT_BRAND_NAME): {exc}"
            ) from exc

        # wire_message's header lines; the ones every message carries, folded once
        self._lines = HeaderLines(_MESSAGE_POLICY)
        self._ascii_sender = bare_from.isascii()
        self._from_line = self._lines.folded("From", self._from_header)
        self._content_type_line = self._lines.folded("Content-Type",
                                                     'text/plain; charset="utf-8"')
        self._mime_version_line = self._lines.folded("MIME-Version", "1.0")

        self.connections = connections
        self._slots = [_Slot() for _ in range(connections)]
        # free slots, last in first out: the warmest connection goes first
        self._free: asyncio.LifoQueue[_Slot] = asyncio.LifoQueue()
        for slot in reversed(self._slots):
            self._free.put_nowait(slot)
        #: how many SMTP connections this instance has opened (for tests and metrics)
        self.connections_opened = 0

    @classmethod
    def from_config(cls, config: SmtpConfig, *, clock: Clock | None = None) -> SmtpEmailChannel:
        """Build from :class:`~channels.email.config.SmtpConfig`."""
        return cls(
            host=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            tls=config.tls,
            validate_certs=config.validate_certs,
            from_address=config.from_address,
            from_name=config.from_name,
            reply_domain=config.reply_domain,
            unsubscribe_base_url=config.unsubscribe_base_url,
            unsubscribe_secret=config.unsubscribe_secret,
            clock=clock,
            rate_per_sec=config.rate,
            connections=config.connections,
        )

    def __repr__(self) -> str:
        user = "set" if self.username else "none"
        return (
            f"SmtpEmailChannel(host={self.host!r}, port={self.port}, tls={self.tls!r}, "
            f"username={user}, password={'***' if self._password else 'none'}, "
            f"from_domain={self.from_domain!r})"
        )

    # ------------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        """Whether a pooled connection is open (as far as the client knows)."""
        return self.open_connections > 0

    @property
    def open_connections(self) -> int:
        """How many pooled connections are open (as far as the client knows)."""
        return sum(1 for slot in self._slots if slot.smtp is not None and slot.smtp.is_connected)

    @contextlib.asynccontextmanager
    async def _slot(self) -> Any:
        slot = await self._free.get()
        try:
            yield slot
        finally:
            self._free.put_nowait(slot)

    def _new_client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            use_tls=self.tls == "implicit",
            start_tls=self.tls == "starttls",
            validate_certs=self.validate_certs,
            cert_bundle=self.ca_file,
            local_hostname=self.local_hostname,
            timeout=self.timeout,
        )

    async def start(self) -> None:
        """Open one pooled connection now (otherwise the first send opens it; the others
        open as concurrent sends need them).

        Raises ``aiosmtplib.SMTPException`` (or ``OSError``) if the server cannot be
        reached or refuses our credentials, so a misconfigured worker fails at start.
        """
        async with self._slot() as slot:
            await self._connection(slot)

    async def verify(self) -> None:
        """Connect, EHLO, STARTTLS or TLS as configured, log in when a username is set,
        QUIT: nothing is sent. Raises ``ChannelConfigError`` naming what to fix."""
        where = f"{self.host}:{self.port}"
        smtp = self._new_client()
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise ChannelConfigError(
                f"the SMTP server {where} refused our login ({exc.code}): check "
                "DUEBOT_SMTP_USERNAME and DUEBOT_SMTP_PASSWORD") from None
        except aiosmtplib.SMTPNotSupported as exc:
            raise ChannelConfigError(
                f"the SMTP server {where} does not support {exc} (DUEBOT_SMTP_TLS, "
                "DUEBOT_SMTP_USERNAME)") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise ChannelConfigError(
                f"the SMTP server {where} refused the connection ({exc.code})") from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            problem = _tls_problem(exc) or (
                str(exc)[:120] if type(exc) is aiosmtplib.SMTPException
                else f"cannot connect: {type(exc).__name__}")
            raise ChannelConfigError(
                f"SMTP {where}: {problem} (DUEBOT_SMTP_HOST, DUEBOT_SMTP_PORT, "
                "DUEBOT_SMTP_TLS)") from None
        with contextlib.suppress(TimeoutError, aiosmtplib.SMTPException, OSError):
            await smtp.quit()
        smtp.close()

    async def aclose(self) -> None:
        """QUIT and close every pooled connection (waiting for sends in flight)."""
        taken = [await self._free.get() for _ in self._slots]
        try:
            await asyncio.gather(*(self._drop(slot, polite=True) for slot in taken))
        finally:
            for slot in reversed(taken):
                self._free.put_nowait(slot)

    async def _drop(self, slot: _Slot, *, polite: bool = False) -> None:
        smtp, slot.smtp = slot.smtp, None
        if smtp is None:
            return
        if polite and smtp.is_connected:
            try:
                await smtp.quit()
                return
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                pass
        smtp.close()

    async def _connection(self, slot: _Slot) -> aiosmtplib.SMTP:
        smtp = slot.smtp
        if smtp is not None and smtp.is_connected:
            if time.monotonic() - slot.last_used < self.idle_check_seconds:
                return smtp
            try:
                await smtp.noop()
                return smtp
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                log.info("smtp: pooled connection went stale, reconnecting")
        await self._drop(slot)
        smtp = self._new_client()
        await smtp.connect()
        slot.smtp = smtp
        slot.last_used = time.monotonic()
        self.connections_opened += 1
        log.debug("smtp: connected to %s:%s (%s)", self.host, self.port, self.tls)
        return smtp

    # ------------------------------------------------------------------ messages

    def _headers(self, outbound: OutboundMessage) -> tuple[list[tuple[str, Any]], str]:
        """The headers (in order) and the text body of ``outbound``'s message, checked.

        Raises :class:`BadRecipientError` for an unusable ``to`` and ``ValueError`` for
        a bad reply token or thread reference."""
        to = _bare_address(outbound.to)
        if to is None:
            raise BadRecipientError("recipient is not a plain email address")
        headers: list[tuple[str, Any]] = [
            ("From", self._from_header), ("To", to), ("Subject", outbound.subject or ""),
            ("Date", format_datetime(self.clock.now())),
            ("Message-ID", f"<{message_id_for(outbound.idempotency_key, self.from_domain)}>"),
        ]
        if outbound.thread_ref:
            ref = bare_message_id(outbound.thread_ref)
            if ref is None:
                raise ValueError("thread reference is not a message id")
            headers += [("In-Reply-To", f"<{ref}>"), ("References", f"<{ref}>")]
        if outbound.reply_token and self.reply_domain:
            if not _TOKEN_RE.match(outbound.reply_token):
                raise ValueError("reply token has characters not allowed in an address")
            headers.append(("Reply-To", f"reply+{outbound.reply_token}@{self.reply_domain}"))
        body = outbound.body
        if outbound.unsubscribe_token and self.unsubscribe_base_url:
            token = urllib.parse.quote(outbound.unsubscribe_token, safe="")
            # the templates' opt-out line points at "the link below": make it visible too
            body = f"{body.rstrip()}\n\n{self.unsubscribe_base_url}/{token}\n"
            targets = [f"<{self.unsubscribe_base_url}/{token}>"]
            if self.reply_domain:
                subject = urllib.parse.quote(f"unsubscribe {outbound.unsubscribe_token}")
                targets.append(f"<mailto:unsubscribe@{self.reply_domain}?subject={subject}>")
            headers += [("List-Unsubscribe", ", ".join(targets)),
                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        headers.append(("Auto-Submitted", "auto-generated"))
        return headers, body

    def build_message(self, outbound: OutboundMessage) -> EmailMessage:
        """The MIME message ``send`` would submit.

        Raises :class:`BadRecipientError` for an unusable ``to`` and ``ValueError`` for
        other unusable input (a header with a line break, a bad reply token).
        """
        headers, body = self._headers(outbound)
        msg = EmailMessage(policy=_MESSAGE_POLICY)
        for name, value in headers:
            msg[name] = value
        msg.set_content(body)
        if outbound.html_body:
            msg.add_alternative(outbound.html_body, subtype="html")
        return msg

    def wire_message(self, outbound: OutboundMessage) -> WireMessage | None:
        """The bytes aiosmtplib's ``send_message`` would submit for
        :meth:`build_message`'s message (``email.policy.SMTP``, no SMTPUTF8), written
        without building it (:mod:`channels.email.wire`); None when the message needs
        the stdlib's way: an HTML part, or an address that is not ASCII (SMTPUTF8).

        Raises what :meth:`build_message` raises."""
        if outbound.html_body or not self._ascii_sender:
            return None
        headers, body = self._headers(outbound)
        if not headers[1][1].isascii():
            return None
        lines = self._lines
        out = [self._from_line]
        for name, value in headers[1:]:
            pattern = _PLAIN_VALUES.get(name)
            if pattern is None:  # the same for many messages
                out.append(lines.repeated(name, value))
            elif name != "List-Unsubscribe":
                out.append(lines.plain(name, value, pattern))
            elif pattern.match(value) and "=?" not in value:
                out.append(_fold_list(name, value, "\r\n").encode("ascii"))
            else:
                out.append(lines.folded(name, value))
        cte, data = text_body(body, _MESSAGE_POLICY)
        out += [self._content_type_line, lines.repeated("Content-Transfer-Encoding", cte),
                self._mime_version_line, CRLF, data]
        return WireMessage(b"".join(out), eight_bit=cte == "8bit")

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        """Submit one message over a pooled connection; never raises for SMTP trouble."""
        if outbound.channel is not ChannelKind.EMAIL:
            return DeliveryResult.permanent(
                FailureReason.REJECTED, detail=f"not an email message ({outbound.channel})"
            )
        if len(outbound.body) > self.max_body_len:
            return DeliveryResult.permanent(
                FailureReason.REJECTED, detail=f"body longer than {self.max_body_len} characters"
            )
        try:
            wire = self.wire_message(outbound)
            msg = self.build_message(outbound) if wire is None else None
        except BadRecipientError as exc:
            return DeliveryResult.permanent(FailureReason.INVALID_ADDRESS, detail=str(exc))
        except ValueError as exc:  # header injection, unusable token or thread reference
            return DeliveryResult.permanent(FailureReason.REJECTED, detail=str(exc)[:120])
        message_id = message_id_for(outbound.idempotency_key, self.from_domain)
        masked = mask_email(outbound.to)
        async with self._slot() as slot:
            try:
                smtp = await self._connection(slot)
            except aiosmtplib.SMTPAuthenticationError as exc:
                log.error("smtp: authentication refused (%s)", exc.code)
                return DeliveryResult.permanent(
                    FailureReason.CONFIGURATION, code=str(exc.code), detail="authentication failed"
                )
            except aiosmtplib.SMTPNotSupported as exc:
                log.error("smtp: server lacks a required extension: %s", exc)
                return DeliveryResult.permanent(
                    FailureReason.CONFIGURATION, detail=f"server does not support: {exc}"[:120]
                )
            except aiosmtplib.SMTPResponseException as exc:
                log.warning("smtp: connect refused with %s", exc.code)
                return self._response_failure(exc.code, exc.message, sender_side=True)
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                tls_problem = _tls_problem(exc)
                if tls_problem is not None:
                    log.error("smtp: TLS with %s failed: %s", self.host, tls_problem)
                    return DeliveryResult.permanent(FailureReason.CONFIGURATION, detail=tls_problem)
                if type(exc) is aiosmtplib.SMTPException:
                    # aiosmtplib's plain SMTPException at connect means a protocol
                    # mismatch, e.g. "STARTTLS extension not supported by server".
                    log.error(
                        "smtp: %s:%s does not fit our settings: %s", self.host, self.port, exc
                    )
                    return DeliveryResult.permanent(
                        FailureReason.CONFIGURATION, detail=str(exc)[:120]
                    )
                log.warning(
                    "smtp: cannot reach %s:%s: %s", self.host, self.port, type(exc).__name__
                )
                return DeliveryResult.transient(
                    FailureReason.UNAVAILABLE, detail=f"cannot connect: {type(exc).__name__}"
                )
            try:
                errors = await self._submit(smtp, outbound, wire, msg)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0] if exc.recipients else None
                code = refused.code if refused else 550
                text = refused.message if refused else ""
                log.info("smtp: recipient %s refused with %s", masked, code)
                return self._response_failure(code, text)
            except aiosmtplib.SMTPSenderRefused as exc:
                log.error("smtp: sender refused with %s", exc.code)
                return self._response_failure(exc.code, exc.message, sender_side=True)
            except aiosmtplib.SMTPNotSupported as exc:
                return DeliveryResult.permanent(
                    FailureReason.REJECTED, detail=f"server does not support: {exc}"[:120]
                )
            except aiosmtplib.SMTPResponseException as exc:
                log.warning("smtp: message to %s refused with %s", masked, exc.code)
                return self._response_failure(exc.code, exc.message)
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                # Disconnected or timed out mid-transaction: the message was not
                # acknowledged, so the caller may retry; the next send reconnects.
                await self._drop(slot)
                log.warning("smtp: connection lost sending to %s: %s", masked, type(exc).__name__)
                return DeliveryResult.transient(
                    FailureReason.UNAVAILABLE, detail=f"connection lost: {type(exc).__name__}"
                )
            finally:
                slot.last_used = time.monotonic()
        if errors:  # only possible with several recipients; we send one
            log.info("smtp: partial refusal for %s", masked)
        log.info("smtp: accepted message to %s", masked)
        return DeliveryResult.accepted(message_id)

    async def _submit(self, smtp: aiosmtplib.SMTP, outbound: OutboundMessage,
                      wire: WireMessage | None, msg: EmailMessage | None) -> dict[str, Any]:
        """Submit the message over ``smtp``: its prebuilt bytes with the options
        ``send_message`` would give (``BODY=8BITMIME`` when offered) once the session has
        greeted the server; otherwise (the session's first message, an 8bit body without
        8BITMIME, an HTML part, SMTPUTF8) the MIME message through ``send_message``."""
        to = outbound.to.strip()
        if wire is not None and not smtp.is_ehlo_or_helo_needed:
            eight_bit_mime = smtp.supports_extension("8bitmime")
            if eight_bit_mime or not wire.eight_bit:
                errors, _ = await smtp.sendmail(
                    self.from_address, [to], wire.data,
                    mail_options=["BODY=8BITMIME"] if eight_bit_mime else None)
                return errors
        if msg is None:
            msg = self.build_message(outbound)
        errors, _ = await smtp.send_message(msg, sender=self.from_address, recipients=[to])
        return errors

    @staticmethod
    def _response_failure(code: int, text: str, *, sender_side: bool = False) -> DeliveryResult:
        # The server's text often quotes the address; a result's detail must not.
        detail = _ADDRESS_RE.sub(lambda m: mask_email(m.group(0)), " ".join(str(text).split()))
        detail = detail[:120]
        # RFC 5321 4.5.3.1.10: a 552 at RCPT should be treated as temporary.
        if 400 <= code < 500 or (code == 552 and not sender_side):
            throttled = code in (421, 450, 451) and any(
                word in detail.lower() for word in ("rate", "too many", "throttl")
            )
            reason = FailureReason.RATE_LIMITED if throttled else FailureReason.UNAVAILABLE
            return DeliveryResult.transient(reason, code=str(code), detail=detail)
        if sender_side:
            # 530 auth required, 550 sender not allowed: our account or From is wrong.
            return DeliveryResult.permanent(
                FailureReason.CONFIGURATION, code=str(code), detail=detail
            )
        if classify_permanent(code, detail) is PermanentKind.INVALID_ADDRESS:
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, code=str(code), detail=detail
            )
        return DeliveryResult.permanent(FailureReason.REJECTED, code=str(code), detail=detail)

    # ------------------------------------------------------------------ inbound

    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """``{"raw": bytes, "envelope_recipients": [..] (optional)}`` → domain events."""
        data = raw.get("raw")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray):
            raise ValueError("email payload needs 'raw' with the message bytes")
        recipients = raw.get("envelope_recipients") or ()
        return parse_email(
            bytes(data),
            envelope_recipients=tuple(str(r) for r in recipients),
            reply_domain=self.reply_domain,
            unsubscribe_secret=self._unsubscribe_secret,
            clock=self.clock,
        )


def _tls_problem(exc: BaseException) -> str | None:
    """A short description if ``exc`` (or its cause) is a TLS failure, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError) or (
            "CERTIFICATE_VERIFY_FAILED" in str(current)
        ):
            return "server TLS certificate not trusted"
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed ({current.reason or type(current).__name__})"
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
