"""Right-party verification for chat onboarding: the question asked and a link token's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.clock import ensure_utc


class VerificationMethod(StrEnum):
    """What the customer is asked (setting ``DUEBOT_TELEGRAM_VERIFICATION``)."""

    DOB = "dob"  # date of birth
    ID_LAST4 = "id_last4"  # last four digits of an ID number


@dataclass(frozen=True, slots=True)
class LinkToken:
    """One deep-link token and where its verification stands."""

    token: str
    case_ref: str
    method: VerificationMethod
    created_at: datetime
    expires_at: datetime
    chat_id: str | None = None  # the chat that opened the link first; no other chat may
    claimed_at: datetime | None = None  # last time that chat opened it
    failures: int = 0
    used_at: datetime | None = None  # set when verification succeeded
    locked_at: datetime | None = None  # set after too many failures

    def expired(self, now: datetime) -> bool:
        return ensure_utc(now) >= ensure_utc(self.expires_at)

    @property
    def open(self) -> bool:
        """Neither used nor locked."""
        return self.used_at is None and self.locked_at is None
