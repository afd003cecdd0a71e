"""Email's loopback set-up for the channel contract suite.

The real :class:`~channels.email.smtp.SmtpEmailChannel` sends to a real aiosmtpd server
on loopback (STARTTLS with a throw-away certificate the client verifies, and AUTH) that
refuses :attr:`EmailHarness.bad_address` with ``550 5.1.1``. Inbound payloads are raw
RFC 5322 messages, as the SMTP listener and the IMAP poller hand them to the channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from bot.domain.clock import SystemClock
from bot.domain.messages import InboundEvent, SinkResult
from channels.email.smtp import SmtpEmailChannel
from tests.channels.harness import PeerDelivery
from tests.peers.smtp_server import SmtpPeer

FROM_ADDRESS = "collections@bank.example"
REPLY_DOMAIN = "reply.bank.example"
SMTP_USER = "duebot"
SMTP_PASSWORD = "smtp-test-password"
UNSUBSCRIBE_SECRET = "test-unsubscribe-secret"


@dataclass
class EmailHarness:
    channel: SmtpEmailChannel
    peer: SmtpPeer
    good_address: str = "ana.lima@example.org"
    bad_address: str = "no-such-user@example.org"
    customer_address: str = "jane.doe@example.org"
    reply_token: str = "case42"

    async def delivered(self) -> list[PeerDelivery]:
        out = []
        for mail in self.peer.messages:
            msg = mail.message
            subject = msg["Subject"]
            out.append(
                PeerDelivery(
                    to=mail.rcpt_tos[0],
                    body=_sent_body(mail.text()),
                    subject=str(subject) if subject else None,
                )
            )
        return out

    def inbound_raw(self, text: str, provider_id: str) -> Mapping[str, Any]:
        msg = EmailMessage()
        msg["From"] = f"Jane Doe <{self.customer_address}>"
        msg["To"] = f"reply+{self.reply_token}@{REPLY_DOMAIN}"
        msg["Subject"] = "Re: your account"
        msg["Date"] = format_datetime(SystemClock().now())
        msg["Message-ID"] = f"<{provider_id.strip('<>')}>"
        msg.set_content(text)
        return {"raw": msg.as_bytes()}


def _sent_body(text: str) -> str:
    # set_content() ends a body with a newline; the contract compares what was sent.
    return text[:-1] if text.endswith("\n") else text


@asynccontextmanager
async def harness() -> AsyncIterator[EmailHarness]:
    """A STARTTLS + AUTH SMTP peer and a channel pointed at it."""
    peer = SmtpPeer.refusing(
        [EmailHarness.bad_address], tls="starttls", users={SMTP_USER: SMTP_PASSWORD}
    )
    async with peer:
        channel = SmtpEmailChannel(
            host="127.0.0.1",
            port=peer.port,
            tls="starttls",
            username=SMTP_USER,
            password=SMTP_PASSWORD,
            ca_file=peer.ca_file,
            from_address=FROM_ADDRESS,
            reply_domain=REPLY_DOMAIN,
            unsubscribe_base_url="https://bank.example/unsubscribe",
            unsubscribe_secret=UNSUBSCRIBE_SECRET,
            timeout=5.0,
        )
        try:
            yield EmailHarness(channel=channel, peer=peer)
        finally:
            await channel.aclose()


class RecordingSink:
    """An InboundSink that keeps what it is given (deduplicating on provider id)."""

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.fail_next = 0  # raise on the next N calls, as a broken database would

    async def accept(self, event: InboundEvent) -> SinkResult:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("sink unavailable")
        key = (type(event).__name__, event.provider_id)
        if event.provider_id is not None and any(
            (type(e).__name__, e.provider_id) == key for e in self.events
        ):
            return SinkResult(duplicate=True)
        self.events.append(event)
        return SinkResult()
