"""Email in: MIME → domain events, an SMTP listener for a self-hosted MX, and an IMAP poller.

:func:`parse_email` is the one translation from a raw RFC 5322 message to domain events:

* a delivery-status report (bounce) → a :class:`ContactSignal` ``INVALID`` per recipient
  whose mailbox does not exist, and a :class:`DeliveryReceipt` for the bounced message;
* a message to the ``unsubscribe@`` mailbox (the ``mailto:`` of ``List-Unsubscribe``) →
  a :class:`ContactSignal` ``OPT_OUT``;
* automatic replies (RFC 3834 ``Auto-Submitted``, vacation notices, mailer-daemons) → no
  event, so two robots never talk to each other;
* anything else → an :class:`InboundMessage` with the quoted history stripped.

:class:`SmtpInboundListener` serves SMTP on the application's own event loop and hands
every event to an :class:`~bot.services.ports.InboundSink`; the sending server gets ``451``
(try again) if the sink fails, so nothing is lost. :class:`ImapPoller` does the same for
a mailbox, marking a message ``\\Seen`` only after the sink took it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import ssl
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import aioimaplib
import html2text
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from bot.domain.clock import Clock, SystemClock
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    FailureReason,
    InboundEvent,
    InboundMessage,
    ReceiptStatus,
    SignalKind,
)
from bot.services.ports import ChannelConfigError, InboundSink
from channels.email_dsn import PermanentKind, bare_message_id, is_dsn, parse_dsn
from channels.email_smtp import mask_email, read_unsubscribe_token

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_UNSUB_TOKEN_RE = re.compile(r"unsubscribe[\s:]+([A-Za-z0-9_-]{20,600})", re.IGNORECASE)
_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster"})
_FUTURE_SKEW = timedelta(minutes=5)


class EmailParseError(ValueError):
    """The message cannot be attributed to anyone (no usable ``From``)."""


# ------------------------------------------------------------------------ privacy


class _MaskingFilter(logging.Filter):
    """Keeps third-party protocol logs free of addresses, bodies and credentials.

    aiosmtpd logs every command line (``RCPT TO:<…>``) at INFO and aioimaplib logs whole
    fetched messages at DEBUG. DEBUG records are dropped; addresses in the rest are masked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return False
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return False
        record.msg = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), message)
        record.args = ()
        return True


_MASKING_FILTER = _MaskingFilter()


def install_log_masking() -> None:
    """Attach the masking filter to aiosmtpd's and aioimaplib's loggers (idempotent)."""
    for name in ("mail.log", "aioimaplib.aioimaplib", "aioimaplib"):
        logger = logging.getLogger(name)
        if _MASKING_FILTER not in logger.filters:
            logger.addFilter(_MASKING_FILTER)


# ------------------------------------------------------------------------ parsing


def parse_email(
    raw: bytes,
    *,
    envelope_recipients: Sequence[str] = (),
    reply_domain: str | None = None,
    unsubscribe_secret: str | SecretStr | None = None,
    clock: Clock | None = None,
) -> list[InboundEvent]:
    """Translate one raw email into domain events (see the module docstring).

    ``envelope_recipients`` are the ``RCPT TO`` addresses when known (SMTP listener);
    they are searched first for the ``reply+TOKEN@`` address. ``reply_domain`` restricts
    which domain's ``reply+``/``unsubscribe@`` addresses count. ``unsubscribe_secret``
    reads the token of a ``mailto:`` unsubscribe. Raises :class:`EmailParseError` for a
    message without a usable sender.
    """
    now = (clock or SystemClock()).now()
    message = BytesParser(policy=default_policy).parsebytes(raw)
    provider_id = bare_message_id(message.get("Message-ID")) or _synthetic_id(raw)

    if is_dsn(message):
        return _dsn_events(message, provider_id, now)

    sender = _sender(message)
    if sender is None:
        if _is_bounce_envelope(message):
            log.info("email: ignoring a non-standard bounce %s", provider_id)
            return []
        raise EmailParseError("email has no usable From address")
    if _is_automatic(message, sender):
        log.info("email: ignoring an automatic reply from %s", mask_email(sender))
        return []

    recipients = _recipients(message, envelope_recipients)
    domain = reply_domain.lower() if reply_domain else None
    subject = _header_text(message, "Subject")

    if any(_is_unsubscribe_mailbox(addr, domain) for addr in recipients):
        return [_mailto_unsubscribe(sender, subject, provider_id, unsubscribe_secret, now)]

    text = _body_text(message)
    return [
        InboundMessage(
            channel=ChannelKind.EMAIL,
            sender=sender,
            text=text,
            provider_id=provider_id,
            received_at=_received_at(message, now),
            thread_ref=_thread_ref(message),
            reply_token=_reply_token(recipients, domain),
            subject=subject or None,
        )
    ]


def _dsn_events(message: Message, provider_id: str, now: datetime) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    for index, bounce in enumerate(parse_dsn(message)):
        invalid = bounce.kind is PermanentKind.INVALID_ADDRESS
        log.info(
            "email: bounce for %s (%s, %s)", mask_email(bounce.address), bounce.status, bounce.kind
        )
        if invalid:
            events.append(
                ContactSignal(
                    channel=ChannelKind.EMAIL,
                    address=bounce.address,
                    kind=SignalKind.INVALID,
                    received_at=now,
                    source="dsn",
                    provider_id=f"{provider_id}#{index}",
                    detail=bounce.status,
                )
            )
        if bounce.original_message_id:
            events.append(
                DeliveryReceipt(
                    channel=ChannelKind.EMAIL,
                    provider_id=bounce.original_message_id,
                    status=ReceiptStatus.UNDELIVERED,
                    received_at=now,
                    code=bounce.status,
                    reason=FailureReason.INVALID_ADDRESS if invalid else FailureReason.REJECTED,
                )
            )
    return events


def _mailto_unsubscribe(
    sender: str,
    subject: str,
    provider_id: str,
    secret: str | SecretStr | None,
    now: datetime,
) -> ContactSignal:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    match = _UNSUB_TOKEN_RE.search(subject)
    address = read_unsubscribe_token(secret, match.group(1)) if (secret and match) else None
    if address is not None:
        return ContactSignal(
            channel=ChannelKind.EMAIL,
            address=address,
            kind=SignalKind.OPT_OUT,
            received_at=now,
            source="list-unsubscribe-mailto",
            provider_id=provider_id,
        )
    # No valid token: honour the request for the address that wrote (opting out is
    # always the safe direction to err in).
    return ContactSignal(
        channel=ChannelKind.EMAIL,
        address=sender,
        kind=SignalKind.OPT_OUT,
        received_at=now,
        source="unsubscribe-mailbox",
        provider_id=provider_id,
    )


def _synthetic_id(raw: bytes) -> str:
    # Stable across redeliveries of the same bytes, so the sink still deduplicates.
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@duebot.invalid"


def _addresses(values: Iterable[Any]) -> list[str]:
    """Bare addresses with the domain lower-cased (local parts keep their case: tokens)."""
    out = []
    for _, addr in getaddresses([str(v) for v in values if v is not None]):
        local, at, domain = addr.strip().rpartition("@")
        if at and local and domain and "@" not in local:
            out.append(f"{local}@{domain.lower()}")
    return out


def _sender(message: Message) -> str | None:
    found = _addresses(message.get_all("From") or [])
    return found[0].lower() if found else None


def _recipients(message: Message, envelope: Sequence[str]) -> list[str]:
    headers: list[Any] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        headers.extend(message.get_all(name) or [])
    return _addresses(list(envelope)) + _addresses(headers)


def _is_bounce_envelope(message: Message) -> bool:
    return str(message.get("Return-Path", "")).strip() == "<>"


def _is_automatic(message: Message, sender: str) -> bool:
    if sender.partition("@")[0] in _DAEMON_LOCALPARTS:
        return True
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    precedence = str(message.get("Precedence", "")).strip().lower()
    return precedence in ("auto_reply", "bulk", "junk")


def _is_unsubscribe_mailbox(address: str, domain: str | None) -> bool:
    local, _, addr_domain = address.partition("@")
    return local.lower() == "unsubscribe" and (domain is None or addr_domain == domain)


def _reply_token(recipients: Iterable[str], domain: str | None) -> str | None:
    for address in recipients:
        local, _, addr_domain = address.partition("@")
        if domain is not None and addr_domain != domain:
            continue
        tag, plus, token = local.partition("+")
        if plus and tag.lower() == "reply" and token:
            return token
    return None


def _thread_ref(message: Message) -> str | None:
    ref = bare_message_id(message.get("In-Reply-To"))
    if ref:
        return ref
    references = _MSGID_RE.findall(str(message.get("References", "")))
    return references[-1] if references else None


def _received_at(message: Message, now: datetime) -> datetime:
    value = message.get("Date")
    if not value:
        return now
    try:
        sent = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return now
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    sent = sent.astimezone(UTC)
    # The Date header is the sender's claim; one from the future (a wrong clock or a
    # forgery) is replaced by our own time of receipt.
    return now if sent > now + _FUTURE_SKEW else sent


def _header_text(message: Message, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _part_text(part: Message) -> str:
    return _decoded_text(part).replace("\r\n", "\n").replace("\r", "\n")


def _decoded_text(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):
            content = None
        if isinstance(content, str):
            return content
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    return ""


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML email body."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    return str(converter.handle(html)).strip()


def _body_text(message: Message) -> str:
    plain: str | None = None
    html: str | None = None
    if isinstance(message, EmailMessage):
        plain_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        plain = _part_text(plain_part) if plain_part is not None else None
        html = _part_text(html_part) if html_part is not None else None
    elif not message.is_multipart():
        plain = _part_text(message)
    return clean_reply(plain, html)


def clean_reply(plain: str | None, html: str | None) -> str:
    """The customer's new words, without quoted history or signature.

    Delegates to ``bot.replies.clean_email_reply`` (the reply-understanding module);
    while that module is absent, falls back to the whole text. If the cleaner fails on
    an odd message, the whole text is kept rather than losing the message.
    """
    fallback = plain if plain and plain.strip() else (html_to_text(html) if html else "")
    cleaner = _reply_cleaner()
    if cleaner is None:
        return fallback.strip()
    try:
        cleaned = cleaner(text=plain, html=html)
    except Exception:  # the cleaner is heuristic; never lose the message over it
        log.exception("email: reply cleaner failed; keeping the whole text")
        return fallback.strip()
    if not isinstance(cleaned, str) or not cleaned.strip():
        return fallback.strip()
    return cleaned.strip()


def _reply_cleaner() -> Callable[..., Any] | None:
    # Imported lazily: the reply-understanding module is optional for this adapter.
    try:
        from bot.replies import clean_email_reply  # type: ignore[attr-defined]
    except ImportError:
        try:
            from bot.replies.email_cleanup import clean_email_reply
        except ImportError:
            return None
    return clean_email_reply  # type: ignore[no-any-return]


# ------------------------------------------------------------------- SMTP listener


class _ListenerHandler:
    def __init__(self, listener: SmtpInboundListener) -> None:
        self.listener = listener

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domains = self.listener.accept_domains
        domain = address.rpartition("@")[2].lower()
        if domains is not None and domain not in domains:
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        return await self.listener.deliver(bytes(data), tuple(envelope.rcpt_tos))


class SmtpInboundListener:
    """An SMTP server (aiosmtpd) on the application's event loop, feeding an InboundSink.

    Point the MX (or a forwarding rule) of the reply domain at it. Recipients outside
    ``accept_domains`` are refused (it never relays). The reply to ``DATA`` is ``250``
    only once the sink has accepted every event of the message; a sink error answers
    ``451`` so the sending server retries later.
    """

    def __init__(
        self,
        sink: InboundSink,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        hostname: str | None = None,
        accept_domains: Collection[str] | None = None,
        reply_domain: str | None = None,
        unsubscribe_secret: str | SecretStr | None = None,
        tls_context: ssl.SSLContext | None = None,
        data_size_limit: int = 10 * 1024 * 1024,
        clock: Clock | None = None,
    ) -> None:
        if not 0 <= port < 65536:
            raise ChannelConfigError(
                f"inbound SMTP port must be 0-65535 (DUEBOT_INBOUND_SMTP_PORT), got {port}"
            )
        self.sink = sink
        self.host = host
        self.port = port
        self.hostname = hostname or reply_domain or "localhost"
        self.accept_domains = (
            frozenset(d.lower() for d in accept_domains) if accept_domains is not None else None
        )
        self.reply_domain = reply_domain
        self._secret = unsubscribe_secret
        self.tls_context = tls_context
        self.data_size_limit = data_size_limit
        self.clock: Clock = clock or SystemClock()
        self._server: asyncio.Server | None = None
        #: messages taken / refused / deferred, for tests and metrics
        self.accepted = 0
        self.rejected = 0
        self.deferred = 0

    @classmethod
    def from_settings(cls, settings: Settings, sink: InboundSink) -> SmtpInboundListener:
        if not settings.inbound_smtp_host:
            raise ChannelConfigError("the SMTP listener needs DUEBOT_INBOUND_SMTP_HOST")
        domain = settings.email_reply_domain
        return cls(
            sink,
            host=settings.inbound_smtp_host,
            port=settings.inbound_smtp_port,
            accept_domains=[domain] if domain else None,
            reply_domain=domain,
            unsubscribe_secret=settings.secret_key,
        )

    def __repr__(self) -> str:
        return f"SmtpInboundListener(host={self.host!r}, port={self.port})"

    async def deliver(self, raw: bytes, recipients: Sequence[str] = ()) -> str:
        """Parse one message and hand its events to the sink; returns the SMTP reply."""
        try:
            events = parse_email(
                raw,
                envelope_recipients=recipients,
                reply_domain=self.reply_domain,
                unsubscribe_secret=self._secret,
                clock=self.clock,
            )
        except EmailParseError as exc:
            self.rejected += 1
            log.warning("email listener: refused a message: %s", exc)
            return "550 5.6.0 Message has no usable From address"
        for event in events:
            try:
                await self.sink.accept(event)
            except Exception:
                self.deferred += 1
                log.exception("email listener: sink failed; asking the sender to retry")
                return "451 4.3.0 Temporarily unable to process the message, try again later"
        self.accepted += 1
        return "250 2.0.0 OK"

    def _factory(self) -> SMTP:
        return SMTP(
            _ListenerHandler(self),
            hostname=self.hostname,
            tls_context=self.tls_context,
            data_size_limit=self.data_size_limit,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        """Start listening on the running event loop (``port=0`` picks a free port)."""
        if self._server is not None:
            return
        install_log_masking()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("email listener: SMTP on %s:%s", self.host, self.port)

    async def aclose(self) -> None:
        """Stop accepting connections and wait for the server to close."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def __aenter__(self) -> SmtpInboundListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# ---------------------------------------------------------------------- IMAP poller


class ImapError(RuntimeError):
    """The IMAP server answered a command with NO/BAD (the text never holds secrets)."""


class ImapPoller:
    """Polls a mailbox over IMAP (aioimaplib) and feeds new messages to an InboundSink.

    Each poll: LOGIN, SELECT, ``UID SEARCH UNSEEN``, then per message ``UID FETCH
    BODY.PEEK[]`` (peek: the server must not mark it read yet), parse, ``sink.accept``,
    and only then ``UID STORE +FLAGS (\\Seen)``. If the sink fails the message stays
    unseen and is fetched again next poll. A message that cannot be parsed is marked
    ``\\Seen \\Flagged`` for a human and never deleted.
    """

    def __init__(
        self,
        sink: InboundSink,
        *,
        host: str,
        username: str,
        password: str | SecretStr,
        port: int | None = None,
        tls: str = "implicit",
        ssl_context: ssl.SSLContext | None = None,
        mailbox: str = "INBOX",
        poll_seconds: float = 60.0,
        batch: int = 50,
        timeout: float = 30.0,
        reply_domain: str | None = None,
        unsubscribe_secret: str | SecretStr | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not host:
            raise ChannelConfigError("IMAP host is empty (DUEBOT_IMAP_HOST)")
        if tls not in ("implicit", "none"):
            raise ChannelConfigError(f"IMAP tls mode must be implicit or none, got {tls!r}")
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        if not username or not secret:
            raise ChannelConfigError(
                "IMAP polling needs DUEBOT_IMAP_USERNAME and DUEBOT_IMAP_PASSWORD"
            )
        port = (993 if tls == "implicit" else 143) if port is None else port
        if not 0 < port < 65536:
            raise ChannelConfigError(f"IMAP port must be 1-65535 (DUEBOT_IMAP_PORT), got {port}")
        if poll_seconds <= 0:
            raise ChannelConfigError(
                "IMAP poll interval must be positive (DUEBOT_IMAP_POLL_SECONDS), "
                f"got {poll_seconds}"
            )
        if batch < 1:
            raise ChannelConfigError(f"IMAP batch must be at least 1, got {batch}")
        self.sink = sink
        self.host = host
        self.port = port
        self.username = username
        self._password = secret
        self.tls = tls
        self.ssl_context = ssl_context
        self.mailbox = mailbox
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.timeout = timeout
        self.reply_domain = reply_domain
        self._secret = unsubscribe_secret
        self.clock: Clock = clock or SystemClock()
        self.failures = 0  # consecutive failed polls

    @classmethod
    def from_settings(cls, settings: Settings, sink: InboundSink) -> ImapPoller:
        if not settings.imap_host:
            raise ChannelConfigError("IMAP polling needs DUEBOT_IMAP_HOST")
        return cls(
            sink,
            host=settings.imap_host,
            port=settings.imap_port,
            username=settings.imap_username or "",
            password=settings.imap_password or "",
            poll_seconds=settings.imap_poll_seconds,
            reply_domain=settings.email_reply_domain,
            unsubscribe_secret=settings.secret_key,
        )

    def __repr__(self) -> str:
        return (
            f"ImapPoller(host={self.host!r}, port={self.port}, tls={self.tls!r}, "
            f"mailbox={self.mailbox!r}, password=***)"
        )

    async def _connect(self) -> aioimaplib.IMAP4:
        client: aioimaplib.IMAP4
        if self.tls == "implicit":
            client = aioimaplib.IMAP4_SSL(
                host=self.host, port=self.port, timeout=self.timeout, ssl_context=self.ssl_context
            )
        else:
            client = aioimaplib.IMAP4(host=self.host, port=self.port, timeout=self.timeout)
        await client.wait_hello_from_server()
        return client

    @staticmethod
    def _check(response: Any, what: str) -> Any:
        if response.result != "OK":
            raise ImapError(f"IMAP {what} answered {response.result}")
        return response

    async def poll_once(self) -> int:
        """One poll; returns how many messages the sink accepted.

        Raises on connection, login or protocol trouble (``run`` logs and retries).
        """
        install_log_masking()
        client = await self._connect()
        taken = 0
        try:
            self._check(await client.login(self.username, self._password), "LOGIN")
            self._check(await client.select(self.mailbox), "SELECT")
            search = self._check(await client.uid_search("UNSEEN", charset=None), "SEARCH")
            uids = _search_uids(search.lines)[: self.batch]
            for uid in uids:
                fetched = self._check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
                raw = _fetched_body(fetched.lines)
                if raw is None:
                    log.warning("imap: message uid %s vanished before fetch", uid)
                    continue
                try:
                    events = parse_email(
                        raw,
                        reply_domain=self.reply_domain,
                        unsubscribe_secret=self._secret,
                        clock=self.clock,
                    )
                except EmailParseError as exc:
                    log.warning("imap: uid %s not understood (%s); flagged for a human", uid, exc)
                    self._check(
                        await client.uid("store", uid, "+FLAGS.SILENT", "(\\Seen \\Flagged)"),
                        "STORE",
                    )
                    continue
                for event in events:
                    await self.sink.accept(event)
                self._check(await client.uid("store", uid, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
                taken += 1
        finally:
            with contextlib.suppress(TimeoutError, aioimaplib.AioImapException, OSError):
                await client.logout()
        if taken:
            log.info("imap: took %d message(s)", taken)
        return taken

    def _scrub(self, text: str) -> str:
        """An error text fit for the log: no password, no username, no address."""
        text = text.replace(self._password, "***").replace(self.username, "<user>")
        return _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)[:200]

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll until ``stop`` is set; errors are logged (no secrets) and retried.

        After a failure the next attempt waits longer (doubling, capped at 10 polls).
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.poll_once()
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                log.warning(
                    "imap: poll of %s:%s failed (%s: %s), attempt %d",
                    self.host,
                    self.port,
                    type(exc).__name__,
                    self._scrub(str(exc)),
                    self.failures,
                )
            delay = self.poll_seconds * min(2 ** max(self.failures - 1, 0), 10)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)


def _search_uids(lines: Sequence[Any]) -> list[str]:
    uids: list[str] = []
    for line in lines:
        if not isinstance(line, bytes | bytearray):
            continue
        words = bytes(line).decode("ascii", errors="replace").split()
        if words and words[0].upper() == "SEARCH":
            words = words[1:]
        if words and all(w.isdigit() for w in words):
            uids.extend(words)
    return uids


def _fetched_body(lines: Sequence[Any]) -> bytes | None:
    # aioimaplib returns the literal of "* n FETCH (... BODY[] {size}" as a bytearray.
    for line in lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None
