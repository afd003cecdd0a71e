"""A real SMTP server on loopback (aiosmtpd) for tests, benchmarks and the demo.

It runs on the caller's event loop, records every message it accepts, and can be made
strict: STARTTLS required, implicit TLS, AUTH with a user table, recipients refused with
550 (or any reply you choose). The TLS certificate is a throw-away self-signed one for
``localhost``/``127.0.0.1``, written to a temporary directory; :attr:`SmtpPeer.ca_file`
points clients at it so they can verify it properly.

Run it by hand (the demo does)::

    python -m tests.peers.smtp_server --port 2526 --refuse gone@example.com

"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import functools
import ipaddress
import shutil
import ssl
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

PeerTls = Literal["none", "starttls", "implicit"]


# ------------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class SelfSignedCert:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this certificate (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.cert_file))


@functools.cache
def self_signed_cert() -> SelfSignedCert:
    """A self-signed EC certificate for localhost/127.0.0.1, made once per process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = Path(tempfile.mkdtemp(prefix="duebot-peer-tls-"))
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    import atexit

    atexit.register(shutil.rmtree, directory, True)
    return SelfSignedCert(cert_file, key_file)


# ------------------------------------------------------------------------------ peer


@dataclass(frozen=True)
class ReceivedMail:
    """One message the peer accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    connection: int  # which connection (1-based) carried it
    tls: bool
    user: str | None  # authenticated user, if any

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        """The text/plain body, with line ends as ``\n``."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content()).replace("\r\n", "\n")


@dataclass
class _Handler:
    peer: SmtpPeer
    connection: int
    tls: bool

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.peer.refuse.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        peer = self.peer
        peer.in_data += 1
        peer.most_in_data = max(peer.most_in_data, peer.in_data)
        try:
            if peer.data_delay:
                await asyncio.sleep(peer.data_delay)
        finally:
            peer.in_data -= 1
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode()
        user = None
        if isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode()
        tls = self.tls or server._tls_protocol is not None
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(data),
            connection=self.connection,
            tls=tls,
            user=user,
        )
        self.peer.messages.append(mail)
        self.peer._arrived.set()
        return f"250 OK queued as {len(self.peer.messages)}"


@dataclass
class SmtpPeer:
    """An aiosmtpd server on loopback. Use ``async with SmtpPeer(...) as peer:``.

    ``refuse`` maps lower-cased recipients to the reply their ``RCPT TO`` gets (the
    default reply for an iterable of addresses is ``550 5.1.1 … User unknown``).
    ``users`` turns on AUTH (PLAIN/LOGIN) and requires it for ``MAIL``.
    """

    tls: PeerTls = "none"
    users: Mapping[str, str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    hostname: str = "peer.localhost"
    #: seconds each DATA takes before it is answered (a slow server)
    data_delay: float = 0.0

    messages: list[ReceivedMail] = field(default_factory=list, init=False)
    connections: int = field(default=0, init=False)
    auth_failures: int = field(default=0, init=False)
    #: messages being received right now, and the most ever at once (concurrent sessions)
    in_data: int = field(default=0, init=False)
    most_in_data: int = field(default=0, init=False)
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _protocols: list[SMTP] = field(default_factory=list, init=False, repr=False)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    @classmethod
    def refusing(cls, addresses: Iterable[str], **kwargs: Any) -> SmtpPeer:
        """A peer that answers ``RCPT TO`` for ``addresses`` with 550 5.1.1."""
        refuse = {
            a.lower(): f"550 5.1.1 <{a}>: Recipient address rejected: User unknown"
            for a in addresses
        }
        return cls(refuse=refuse, **kwargs)

    @property
    def cert(self) -> SelfSignedCert:
        return self_signed_cert()

    @property
    def ca_file(self) -> str:
        """PEM file clients can trust to verify this peer's certificate."""
        return str(self.cert.cert_file)

    def _authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.users is not None
        if isinstance(auth_data, LoginPassword):
            expected = self.users.get(auth_data.login.decode())
            if expected is not None and expected == auth_data.password.decode():
                return AuthResult(success=True, auth_data=auth_data)
        self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    def _factory(self) -> SMTP:
        self.connections += 1
        tls_ctx = self.cert.server_context() if self.tls == "starttls" else None
        auth_kwargs: dict[str, Any] = {}
        if self.users is not None:
            auth_kwargs = {
                "authenticator": self._authenticator,
                "auth_required": True,
                # implicit TLS is encrypted from the first byte; aiosmtpd only knows STARTTLS
                "auth_require_tls": self.tls == "starttls",
            }
        with warnings.catch_warnings():
            # "AUTH without requiring TLS": under implicit TLS the whole session is TLS.
            warnings.simplefilter("ignore", UserWarning)
            protocol = SMTP(
                _Handler(self, self.connections, tls=self.tls == "implicit"),
                hostname=self.hostname,
                tls_context=tls_ctx,
                require_starttls=self.tls == "starttls",
                loop=asyncio.get_running_loop(),
                **auth_kwargs,
            )
        self._protocols.append(protocol)
        return protocol

    async def start(self) -> SmtpPeer:
        loop = asyncio.get_running_loop()
        ssl_ctx = self.cert.server_context() if self.tls == "implicit" else None
        self._server = await loop.create_server(self._factory, self.host, self.port, ssl=ssl_ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self.drop_connections()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> SmtpPeer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def drop_connections(self) -> None:
        """Close every open client connection, as a server's idle timeout would."""
        for protocol in self._protocols:
            if protocol.transport is not None:
                protocol.transport.close()
        self._protocols.clear()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages arrived; returns them all."""

        async def _wait() -> None:
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(_wait(), timeout)
        return list(self.messages)


async def _serve(args: argparse.Namespace) -> None:
    users = {args.user: args.password} if args.user else None
    peer = SmtpPeer.refusing(args.refuse, tls=args.tls, users=users, host=args.host, port=args.port)
    async with peer:
        print(f"SMTP peer on {peer.host}:{peer.port} tls={peer.tls} (ca file {peer.ca_file})")
        seen = 0
        while True:
            await peer.wait_for(seen + 1, timeout=3600)
            for mail in peer.messages[seen:]:
                msg = mail.message
                print(f"--- #{seen + 1} to {', '.join(mail.rcpt_tos)}: {msg['Subject']}")
                print(mail.text())
                seen += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="loopback SMTP peer that prints what it gets")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--refuse", action="append", default=[], help="answer 550 for this rcpt")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
