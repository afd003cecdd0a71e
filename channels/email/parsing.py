"""Email → domain events: the one translation from a raw RFC 5322 message.

:func:`parse_email` turns

* a delivery-status report (bounce) into a :class:`ContactSignal` ``INVALID`` per recipient
  whose mailbox does not exist, and a :class:`DeliveryReceipt` for the bounced message;
* a message to the ``unsubscribe@`` mailbox (the ``mailto:`` of ``List-Unsubscribe``) into
  a :class:`ContactSignal` ``OPT_OUT``;
* automatic replies (RFC 3834 ``Auto-Submitted``, vacation notices, mailer-daemons) into no
  event, so two robots never talk to each other;
* anything else into an :class:`InboundMessage` with the quoted history stripped.

The SMTP channel (``parse_inbound``), the SMTP listener and the IMAP poller all use it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import html2text
from pydantic import SecretStr

from bot.domain.clock import Clock, SystemClock
from bot.domain.contacts import mask_email
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
from channels.email.dsn import PermanentKind, bare_message_id, is_dsn, parse_dsn
from channels.email.unsubscribe_tokens import read_unsubscribe_token

log = logging.getLogger(__name__)

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_UNSUB_TOKEN_RE = re.compile(r"unsubscribe[\s:]+([A-Za-z0-9_-]{20,600})", re.IGNORECASE)
_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster"})
_FUTURE_SKEW = timedelta(minutes=5)


class EmailParseError(ValueError):
    """The message cannot be attributed to anyone (no usable ``From``)."""


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
    address = read_unsubscribe_token(secret, match.group(1), now) if (secret and match) else None
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
