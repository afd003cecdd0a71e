"""Chat onboarding: linking a chat (Telegram) to a case only after identity verification.

Flow:

1. :meth:`ChatOnboarding.issue_link` mints a random one-time token for a case and returns
   the deep link ``https://t.me/<bot>?start=<token>``, sent to the customer by SMS or email.
   The token is opaque: it carries nothing about the case or the debt.
2. The customer opens it; Telegram sends ``/start <token>``, which the channel turns into a
   ``LINK_REQUEST`` signal. :meth:`ChatOnboarding.on_link_request` binds the token to that
   chat and asks the configured verification question (date of birth, or the last four
   digits of an ID number). Nothing about the debt is revealed before verification.
3. The customer's next message goes to :meth:`ChatOnboarding.on_answer` (ask
   :meth:`ChatOnboarding.awaiting_answer` first). A right answer links chat and case and
   uses the token up; after ``max_attempts`` wrong answers the token and the chat are
   locked and the outcome asks for a person to take over.

Pure logic: no I/O besides the :class:`ChatLinkStore` and :class:`IdentitySource` ports,
and the time is always passed in (``now``, timezone-aware).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.clock import ensure_utc
from bot.domain.verification import LinkToken, VerificationMethod
from bot.services.ports import ChatLinkStore

_BOT_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


class IdentitySource(Protocol):
    """Where the expected verification answer comes from (the case's customer record)."""

    def expected_answer(self, case_ref: str, method: VerificationMethod) -> str | None:
        """For ``DOB`` an ISO date ``YYYY-MM-DD``; for ``ID_LAST4`` the ID number (only its
        last four digits are used). ``None`` when the case has no such data on file."""
        ...


class PromptKind(StrEnum):
    ASK = "ask"  # the verification question
    REFUSED = "refused"  # unknown, expired, used, locked or someone else's token
    LOCKED = "locked"  # this chat is locked; a person must take over


@dataclass(frozen=True, slots=True)
class Prompt:
    """The answer to a link request. ``text`` is for the customer and never names the case."""

    kind: PromptKind
    text: str
    needs_human: bool = False


class OutcomeKind(StrEnum):
    LINKED = "linked"  # verified: the chat now belongs to ``case_ref``
    RETRY = "retry"  # wrong answer, attempts left
    INVALID_FORMAT = "invalid_format"  # could not read the answer; not counted as an attempt
    LOCKED = "locked"  # too many wrong answers: token and chat locked
    EXPIRED = "expired"  # the token ran out while waiting for the answer
    UNVERIFIABLE = "unverifiable"  # nothing on file to check against
    NOT_PENDING = "not_pending"  # this chat has no verification in progress


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of an answer. ``case_ref`` is for the application (to link, or to queue
    a person on the right case when ``needs_human``); it is never shown to the customer."""

    kind: OutcomeKind
    text: str
    case_ref: str | None = None
    attempts_left: int | None = None
    needs_human: bool = False


@dataclass(frozen=True)
class OnboardingTexts:
    """Customer-facing wording; override for brand and language."""

    ask_dob: str = (
        "Hello. To protect your privacy we need to confirm who you are before we continue. "
        "Please reply with your date of birth ({example})."
    )
    ask_id_last4: str = (
        "Hello. To protect your privacy we need to confirm who you are before we continue. "
        "Please reply with the last four digits of your ID number."
    )
    refused: str = "Sorry, this link is no longer valid. Please contact us to receive a new one."
    locked: str = (
        "For your security this chat has been locked. A member of our team will contact you."
    )
    retry: str = "That does not match our records. Please try again ({left} attempts left)."
    invalid_dob: str = "Sorry, I could not read that date. Please write it as {example}."
    invalid_id_last4: str = "Please reply with exactly four digits."
    linked: str = "Thank you, you are verified. We will continue the conversation here."
    expired: str = "Sorry, this link has expired. Please contact us to receive a new one."
    unverifiable: str = (
        "We cannot confirm your identity here. A member of our team will contact you."
    )
    not_pending: str = "Please open the link we sent you to start."


class ChatOnboarding:
    """The deep-link onboarding use case (see the module docstring).

    ``day_first`` decides how ``05/06/1990`` is read (True: 5 June); ISO dates are always
    accepted. ``link_ttl`` is how long an issued link stays usable.
    """

    def __init__(
        self,
        store: ChatLinkStore,
        identities: IdentitySource,
        *,
        method: VerificationMethod | str = VerificationMethod.DOB,
        max_attempts: int = 3,
        link_ttl: timedelta = timedelta(days=7),
        day_first: bool = True,
        texts: OnboardingTexts | None = None,
    ) -> None:
        try:
            self.method = VerificationMethod(method)
        except ValueError:
            choices = ", ".join(m.value for m in VerificationMethod)
            raise ValueError(
                f"unknown verification method {method!r} (DUEBOT_TELEGRAM_VERIFICATION: "
                f"one of {choices})"
            ) from None
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if link_ttl <= timedelta(0):
            raise ValueError("link_ttl must be positive")
        self._store = store
        self._identities = identities
        self.max_attempts = max_attempts
        self.link_ttl = link_ttl
        self.day_first = day_first
        self.texts = texts or OnboardingTexts()

    # ------------------------------------------------------------------ issuing
    def issue_link(self, case_ref: str, bot_username: str, now: datetime) -> str:
        """A new single-use deep link for ``case_ref``: ``https://t.me/<bot>?start=<token>``.

        The token is 32 random URL-safe characters (Telegram allows ``A-Za-z0-9_-``, at most
        64); it expires ``link_ttl`` after ``now``.
        """
        if not case_ref:
            raise ValueError("case_ref is empty")
        username = bot_username.removeprefix("@")
        if not _BOT_USERNAME_RE.match(username) or not username.lower().endswith("bot"):
            raise ValueError(
                "bot_username must be a Telegram bot username (5-32 letters, digits or _, "
                "ending in 'bot'; DUEBOT_TELEGRAM_BOT_USERNAME)"
            )
        now = _aware(now)
        token = secrets.token_urlsafe(24)
        self._store.add_token(
            LinkToken(
                token=token,
                case_ref=case_ref,
                method=self.method,
                created_at=now,
                expires_at=now + self.link_ttl,
            )
        )
        return f"https://t.me/{username}?start={token}"

    # ------------------------------------------------------------------ link request
    def on_link_request(self, chat_id: str, token: str, now: datetime) -> Prompt:
        """The chat opened a deep link: ask the verification question, or refuse.

        Every refusal reads the same, whether the token is unknown, expired, used, locked or
        held by another chat, so the answer tells a guesser nothing.
        """
        now = _aware(now)
        if self._store.chat_locked(chat_id):
            return Prompt(PromptKind.LOCKED, self.texts.locked, needs_human=True)
        record = self._store.get_token(token) if _TOKEN_RE.match(token) else None
        if record is None or not record.open or record.expired(now):
            return Prompt(PromptKind.REFUSED, self.texts.refused)
        if not self._store.claim_token(token, chat_id, now):
            return Prompt(PromptKind.REFUSED, self.texts.refused)
        return Prompt(PromptKind.ASK, self._question(record.method))

    def _question(self, method: VerificationMethod) -> str:
        if method is VerificationMethod.DOB:
            return self.texts.ask_dob.format(example=self._date_example())
        return self.texts.ask_id_last4

    def _date_example(self) -> str:
        return (
            "DD/MM/YYYY, for example 17/05/1990"
            if self.day_first
            else ("MM/DD/YYYY, for example 05/17/1990")
        )

    # ------------------------------------------------------------------ answer
    def awaiting_answer(self, chat_id: str, now: datetime) -> bool:
        """Whether the chat's next message should go to :meth:`on_answer`."""
        record = self._store.pending_token(chat_id)
        return record is not None and not record.expired(_aware(now))

    def on_answer(self, chat_id: str, text: str, now: datetime) -> Outcome:
        """Check the chat's answer to the verification question."""
        now = _aware(now)
        if self._store.chat_locked(chat_id):
            return Outcome(OutcomeKind.LOCKED, self.texts.locked, needs_human=True)
        record = self._store.pending_token(chat_id)
        if record is None:
            return Outcome(OutcomeKind.NOT_PENDING, self.texts.not_pending)
        if record.expired(now):
            return Outcome(OutcomeKind.EXPIRED, self.texts.expired)
        given = self._normalise(record.method, text)
        if given is None:
            return Outcome(OutcomeKind.INVALID_FORMAT, self._format_hint(record.method))
        expected_raw = self._identities.expected_answer(record.case_ref, record.method)
        expected = (
            self._normalise_expected(record.method, expected_raw)
            if expected_raw is not None
            else None
        )
        if expected is None:
            return Outcome(
                OutcomeKind.UNVERIFIABLE,
                self.texts.unverifiable,
                case_ref=record.case_ref,
                needs_human=True,
            )
        if hmac.compare_digest(given.encode(), expected.encode()):
            if self._store.complete_link(record.token, chat_id, now):
                return Outcome(OutcomeKind.LINKED, self.texts.linked, case_ref=record.case_ref)
            # lost a race with a lock or a parallel success: look again
            return self._after_race(chat_id, record)
        failures = self._store.record_failure(record.token, now)
        if failures >= self.max_attempts:
            self._store.lock(record.token, chat_id, now)
            return Outcome(
                OutcomeKind.LOCKED,
                self.texts.locked,
                case_ref=record.case_ref,
                attempts_left=0,
                needs_human=True,
            )
        left = self.max_attempts - failures
        return Outcome(
            OutcomeKind.RETRY,
            self.texts.retry.format(left=left),
            attempts_left=left,
        )

    def _after_race(self, chat_id: str, record: LinkToken) -> Outcome:
        current = self._store.get_token(record.token)
        if current is not None and current.used_at is not None and current.chat_id == chat_id:
            return Outcome(OutcomeKind.LINKED, self.texts.linked, case_ref=record.case_ref)
        return Outcome(
            OutcomeKind.LOCKED, self.texts.locked, case_ref=record.case_ref, needs_human=True
        )

    def _format_hint(self, method: VerificationMethod) -> str:
        if method is VerificationMethod.DOB:
            return self.texts.invalid_dob.format(example=self._date_example())
        return self.texts.invalid_id_last4

    def _normalise(self, method: VerificationMethod, text: str) -> str | None:
        if method is VerificationMethod.DOB:
            parsed = parse_date_answer(text, day_first=self.day_first)
            return parsed.isoformat() if parsed else None
        digits = re.sub(r"[\s-]", "", text)
        return digits if re.fullmatch(r"\d{4}", digits) else None

    def _normalise_expected(self, method: VerificationMethod, value: str) -> str | None:
        if method is VerificationMethod.DOB:
            parsed = parse_date_answer(value, day_first=self.day_first)
            return parsed.isoformat() if parsed else None
        digits = re.sub(r"\D", "", value)
        return digits[-4:] if len(digits) >= 4 else None


def parse_date_answer(text: str, *, day_first: bool = True) -> date | None:
    """Read a date of birth as people type it.

    ``1990-05-17`` (ISO, also with ``/`` or ``.``) always; ``17/05/1990``, ``17.05.1990``
    and ``17-05-1990`` with ``day_first`` (else ``05/17/1990``). Spaces around separators
    are ignored. ``None`` for anything else, including impossible dates.
    """
    compact = re.sub(r"\s*([-/.])\s*", r"\1", text.strip())
    if match := _ISO_DATE_RE.match(compact):
        year, month, day = (int(g) for g in match.groups())
    elif match := _NUMERIC_DATE_RE.match(compact):
        first, second, year = (int(g) for g in match.groups())
        day, month = (first, second) if day_first else (second, first)
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return ensure_utc(now)


__all__ = [
    "ChatLinkStore",
    "ChatOnboarding",
    "IdentitySource",
    "LinkToken",
    "OnboardingTexts",
    "Outcome",
    "OutcomeKind",
    "Prompt",
    "PromptKind",
    "VerificationMethod",
    "parse_date_answer",
]
