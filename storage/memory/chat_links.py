"""Chat-link tokens, chat locks and chat-case links in memory (:class:`ChatLinkStore`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.clock import ensure_utc
from bot.domain.verification import LinkToken


class MemoryChatLinkStore:
    """In-memory :class:`ChatLinkStore` (tests, sandbox, ``duebot simulate``).

    Methods are synchronous and never await, so they are atomic within one event loop.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, LinkToken] = {}
        self._locked_chats: set[str] = set()
        self._links: dict[str, list[str]] = {}

    def add_token(self, record: LinkToken) -> None:
        if record.token in self._tokens:
            raise ValueError("link token already exists")
        self._tokens[record.token] = record

    def get_token(self, token: str) -> LinkToken | None:
        return self._tokens.get(token)

    def claim_token(self, token: str, chat_id: str, now: datetime) -> bool:
        record = self._tokens.get(token)
        if record is None or record.chat_id not in (None, chat_id):
            return False
        self._tokens[token] = replace(record, chat_id=chat_id, claimed_at=now)
        return True

    def pending_token(self, chat_id: str) -> LinkToken | None:
        mine = [
            (ensure_utc(r.claimed_at), r)
            for r in self._tokens.values()
            if r.chat_id == chat_id and r.open and r.claimed_at is not None
        ]
        return max(mine, key=lambda pair: pair[0])[1] if mine else None

    def record_failure(self, token: str, now: datetime) -> int:
        record = self._tokens[token]
        self._tokens[token] = replace(record, failures=record.failures + 1)
        return record.failures + 1

    def lock(self, token: str, chat_id: str, now: datetime) -> None:
        record = self._tokens.get(token)
        if record is not None:
            self._tokens[token] = replace(record, locked_at=now)
        self._locked_chats.add(chat_id)

    def chat_locked(self, chat_id: str) -> bool:
        return chat_id in self._locked_chats

    def complete_link(self, token: str, chat_id: str, now: datetime) -> bool:
        record = self._tokens.get(token)
        if record is None or not record.open or record.chat_id != chat_id:
            return False
        self._tokens[token] = replace(record, used_at=now)
        cases = self._links.setdefault(chat_id, [])
        if record.case_ref not in cases:
            cases.append(record.case_ref)
        return True

    def linked_cases(self, chat_id: str) -> tuple[str, ...]:
        return tuple(self._links.get(chat_id, ()))

    def forget_case(self, case_ref: str) -> None:
        """Drop every token and link of a case (the retention purge anonymised it)."""
        self._tokens = {t: r for t, r in self._tokens.items() if r.case_ref != case_ref}
        for chat_id in list(self._links):
            self._links[chat_id] = [c for c in self._links[chat_id] if c != case_ref]
            if not self._links[chat_id]:
                del self._links[chat_id]
