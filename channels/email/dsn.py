"""Delivery Status Notifications (RFC 3464): which recipients bounced, and why.

A DSN is a ``multipart/report; report-type=delivery-status`` message: a human-readable
part, a ``message/delivery-status`` part (one per-message block, then one block per
recipient) and optionally the original message or its headers. Only recipients whose
``Action`` is ``failed`` with a permanent (5.x.x) status count as bounces; ``delayed``
(4.x.x) notices are informational and ignored.

The same status classification decides what a 5xx reply to ``RCPT TO`` means when we
send (see :func:`classify_permanent`), so a bounce and a synchronous refusal are
treated alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from enum import StrEnum

_ENHANCED_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC_RE = re.compile(r"\b([245]\d\d)\b")
_MSGID_RE = re.compile(r"<([^<>\s]+)>")


class PermanentKind(StrEnum):
    """What a permanent SMTP failure says about the recipient."""

    INVALID_ADDRESS = "invalid_address"  # mailbox or domain does not exist / disabled
    REJECTED = "rejected"  # policy, content, quota: the address itself may be fine


def bare_message_id(value: object) -> str | None:
    """``"<abc@host>"`` (a Message-ID / In-Reply-To value) → ``"abc@host"``.

    Message ids travel without their angle brackets in the domain (provider ids, thread
    references); the first bracketed id wins, and a lone bare token is taken as is.
    """
    if value is None:
        return None
    text = str(value).strip()
    match = _MSGID_RE.search(text)
    if match:
        return match.group(1)
    if text and not any(ch.isspace() or ch in "<>" for ch in text):
        return text
    return None


def enhanced_status(text: str) -> str | None:
    """The first RFC 3463 enhanced status code (``5.1.1``) found in ``text``, if any."""
    match = _ENHANCED_RE.search(text)
    return match.group(0) if match else None


def classify_permanent(code: int | None, text: str) -> PermanentKind:
    """Classify a permanent (5xx / 5.x.x) failure for one recipient.

    Enhanced codes decide when present: ``5.1.x`` (bad mailbox, bad domain, no MX) and
    ``5.2.1`` (mailbox disabled) mean the address is invalid; everything else (``5.7.x``
    policy/spam blocks, ``5.2.2`` mailbox full, ``5.3.4`` too big, …) is a rejection that
    says nothing about the address, so a spam block never invalidates a customer's
    mailbox. Without an enhanced code, 550/551/553 mean an invalid address.
    """
    status = enhanced_status(text)
    if status is not None:
        _, subject, detail = status.split(".")
        if subject == "1" or (subject == "2" and detail == "1"):
            return PermanentKind.INVALID_ADDRESS
        return PermanentKind.REJECTED
    if code in (550, 551, 553):
        return PermanentKind.INVALID_ADDRESS
    return PermanentKind.REJECTED


@dataclass(frozen=True, slots=True)
class Bounce:
    """One recipient a DSN reports as permanently failed."""

    address: str  # lower-cased bare address we sent to
    status: str  # enhanced status, e.g. "5.1.1"
    kind: PermanentKind
    diagnostic: str = ""  # e.g. "smtp; 550 5.1.1 User unknown" (from the remote MTA)
    original_message_id: str | None = None  # Message-ID (no brackets) that bounced


def is_dsn(message: Message) -> bool:
    """True for a ``multipart/report; report-type=delivery-status`` message."""
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "", header="content-type")).lower()
        == "delivery-status"
    )


def parse_dsn(message: Message) -> list[Bounce]:
    """The permanently failed recipients of a DSN (empty if it reports none).

    Raises ``ValueError`` if ``message`` is not a delivery-status report.
    """
    if not is_dsn(message):
        raise ValueError("not a delivery-status report (multipart/report)")
    original_id = _original_message_id(message)
    bounces: list[Bounce] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        # blocks[0] is the per-message block; the rest describe one recipient each.
        for block in blocks[1:]:
            if not isinstance(block, Message):
                continue
            bounce = _bounce_from_block(block, original_id)
            if bounce is not None:
                bounces.append(bounce)
    return bounces


def _bounce_from_block(block: Message, original_id: str | None) -> Bounce | None:
    action = str(block.get("Action", "")).strip().lower()
    if action != "failed":
        return None
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    status = enhanced_status(str(block.get("Status", ""))) or enhanced_status(diagnostic)
    basic = _BASIC_RE.search(diagnostic)
    code = int(basic.group(1)) if basic else None
    if status is None:
        # No enhanced code anywhere: the basic reply code decides (550 → invalid).
        if code is None or code < 500:
            return None
        kind = classify_permanent(code, diagnostic)
        status = "5.0.0"
    elif status.startswith("5."):
        kind = classify_permanent(code, status)
    else:
        return None  # a "failed" action with a transient status: not a hard bounce
    address = _recipient(block)
    if address is None:
        return None
    return Bounce(
        address=address,
        status=status,
        kind=kind,
        diagnostic=diagnostic[:200],
        original_message_id=original_id,
    )


def _recipient(block: Message) -> str | None:
    # Original-Recipient is the address we put in RCPT TO; Final-Recipient may be an
    # alias the remote side expanded it to.
    for field in ("Original-Recipient", "Final-Recipient"):
        value = block.get(field)
        if not value:
            continue
        _, _, address = str(value).partition(";")
        address = address.strip().strip("<>").strip().lower()
        if "@" in address:
            return address
    return None


def _original_message_id(message: Message) -> str | None:
    for part in message.walk():
        ctype = part.get_content_type()
        headers: Message | None = None
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                headers = inner[0]
        elif ctype == "text/rfc822-headers":
            content = part.get_payload(decode=True)
            if not isinstance(content, bytes):
                continue
            headers = BytesHeaderParser(policy=default_policy).parsebytes(content)
        if headers is None:
            continue
        found = bare_message_id(headers.get("Message-ID"))
        if found:
            return found
    return None


__all__ = [
    "Bounce",
    "PermanentKind",
    "bare_message_id",
    "classify_permanent",
    "enhanced_status",
    "is_dsn",
    "parse_dsn",
]
