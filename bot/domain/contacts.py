"""Contact points: the addresses a customer can be reached on, with consent and suppression."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from bot.domain.messages import ChannelKind


def mask_address(address: str) -> str:
    """Mask an address for logs and screens: ``+141****0123``, ``j***@e***.com``, ``****4821``."""
    if not address:
        return ""
    if "@" in address:
        local, _, domain = address.partition("@")
        head, dot, tld = domain.rpartition(".")
        masked_domain = (head[:1] + "***" + dot + tld) if dot else domain[:1] + "***"
        return f"{local[:1]}***@{masked_domain}"
    if len(address) <= 4:
        return "*" * len(address)
    keep_head = 4 if address.startswith("+") and len(address) > 10 else 0
    return address[:keep_head] + "****" + address[-4:]


def mask_email(address: str) -> str:
    """Mask an email address for logs and public pages: ``john.doe@example.com`` →
    ``***oe@***.com``.

    Not :func:`mask_address`: that one keeps the first letters, which an operator uses to
    recognise a customer on screen; this one keeps only the last two of the local part and
    the top-level domain: enough to correlate log lines, not to identify anyone.
    """
    local, at, domain = address.rpartition("@")
    if not at:
        return "***" + address[-2:]
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"***{local[-2:]}@***{'.' + tld if tld else ''}"


@dataclass
class ContactPoint:
    """One address of a customer on one channel."""

    channel: ChannelKind
    address: str
    consent: bool = True
    consent_source: str = "import"
    opted_out_at: datetime | None = None
    opt_out_source: str | None = None
    invalid_at: datetime | None = None
    invalid_reason: str | None = None
    wrong_party_at: datetime | None = None
    preferred_start: time | None = None  # customer-stated window, local time
    preferred_end: time | None = None
    forbidden_start: time | None = None  # customer-stated "never between" window, local time
    forbidden_end: time | None = None
    verified: bool = False  # right party confirmed on this contact point (chat/email)
    role: str = "customer"  # customer | third_party | emergency: only "customer" is messaged
    id: int | None = None
    #: others read this address too (it is another customer's as well, or a relative
    #: answered here): limited content only, never a verified disclosure
    shared: bool = False

    @property
    def masked(self) -> str:
        return mask_address(self.address)

    @property
    def usable(self) -> bool:
        """May we send on this contact point at all (ignoring time of day and frequency)?"""
        return (
            self.role == "customer"
            and self.consent
            and self.opted_out_at is None
            and self.invalid_at is None
            and self.wrong_party_at is None
        )

    def why_unusable(self) -> str | None:
        if self.opted_out_at is not None:
            return "opted_out"
        if self.wrong_party_at is not None:
            return "wrong_party"
        if self.invalid_at is not None:
            return "invalid"
        if not self.consent:
            return "no_consent"
        return None
