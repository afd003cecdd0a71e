"""Where the bot's dialogue with each case stands (``conversation``, one row per case)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.conversations.dialog import Conversation, State
from storage.models import ConversationRow


class SqlConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, case_id: int) -> ConversationRow | None:
        return self.session.exec(select(ConversationRow).where(
            ConversationRow.case_id == case_id)).first()

    def get(self, case_id: int) -> Conversation | None:
        row = self._row(case_id)
        if row is None:
            return None
        return Conversation(State(row.state), dict(row.context or {}), row.expires_at,
                            row.verify_failures)

    def save(self, case_id: int, conversation: Conversation, now: datetime) -> None:
        row = self._row(case_id) or ConversationRow(case_id=case_id, updated_at=now)
        row.state = conversation.state.value
        row.context = conversation.context
        row.expires_at = conversation.expires_at
        row.verify_failures = conversation.verify_failures
        if conversation.state is State.LOCKED and row.locked_at is None:
            row.locked_at = now
        row.updated_at = now
        self.session.add(row)

    def reset(self, case_id: int, now: datetime) -> None:
        row = self._row(case_id)
        if row is None:
            return
        row.state, row.context, row.expires_at = State.IDLE.value, {}, None
        row.verify_failures, row.locked_at, row.updated_at = 0, None, now
        self.session.add(row)
