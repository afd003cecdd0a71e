"""Email in: an SMTP listener for a self-hosted MX, and an IMAP poller.

Both translate with :func:`channels.email.parsing.parse_email` and hand every event to an
:class:`~bot.services.ports.InboundSink`. :class:`SmtpInboundListener` serves SMTP on the
application's own event loop; the sending server gets ``451`` (try again) if the sink
fails, so nothing is lost. :class:`ImapPoller` does the same for a mailbox, marking a
message ``\\Seen`` only after the sink took it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Collection, Sequence
from typing import Any

import aioimaplib
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from bot.domain.clock import Clock, SystemClock
from bot.domain.contacts import mask_email
from bot.services.ports import ChannelConfigError, InboundSink
from channels.email.config import ImapConfig, ListenerConfig
from channels.email.parsing import EmailParseError, parse_email

log = logging.getLogger(__name__)

_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


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
    def from_config(
        cls, config: ListenerConfig, sink: InboundSink, *, clock: Clock | None = None
    ) -> SmtpInboundListener:
        domain = config.reply_domain
        return cls(
            sink,
            host=config.host,
            port=config.port,
            accept_domains=[domain] if domain else None,
            reply_domain=domain,
            unsubscribe_secret=config.unsubscribe_secret,
            clock=clock,
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
    def from_config(
        cls, config: ImapConfig, sink: InboundSink, *, clock: Clock | None = None
    ) -> ImapPoller:
        return cls(
            sink,
            host=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            poll_seconds=config.poll_seconds,
            reply_domain=config.reply_domain,
            unsubscribe_secret=config.unsubscribe_secret,
            clock=clock,
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


# ---------------------------------------------------------------------- as receivers


async def run_listener(
    config: ListenerConfig, sink: InboundSink, stop: asyncio.Event, *, clock: Clock | None = None
) -> None:
    """Serve SMTP until ``stop`` is set (or the task is cancelled), then close."""
    listener = SmtpInboundListener.from_config(config, sink, clock=clock)
    await listener.start()
    try:
        await stop.wait()
    finally:
        await listener.aclose()


async def run_poller(
    config: ImapConfig, sink: InboundSink, stop: asyncio.Event, *, clock: Clock | None = None
) -> None:
    """Poll the mailbox until ``stop`` is set (or the task is cancelled)."""
    await ImapPoller.from_config(config, sink, clock=clock).run(stop)
