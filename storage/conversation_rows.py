"""The conversation rows read along with their cases (storage/case_stream.py), kept for
the conversation repository of the same transaction (storage/conversations.py), which
then does not read them again. Apart from that repository: it brings the dialog, which a
command that only looks at cases never needs (its start: scripts/bench_cli.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

#: where a session keeps the conversation rows read along with their cases
_READ_KEY = "duebot.conversation_rows"
_Row = tuple[str, Any, datetime | None, int]


def remember_conversations(session: Session, rows: Mapping[int, _Row | None]) -> None:
    """Conversation rows (``(state, context, expires_at, verify_failures)``, or None for
    none) read along with their cases in the session's current transaction: the next
    :meth:`SqlConversationRepository.get` of each answers from them, not the database."""
    transaction = session.get_transaction()
    known = session.info.get(_READ_KEY)
    if known is None or known[0] is not transaction:
        fresh: dict[int, _Row | None] = {}
        known = session.info[_READ_KEY] = (transaction, fresh)
    known[1].update(rows)


def recalled(session: Session, case_id: int) -> tuple[bool, _Row | None]:
    """(whether it was remembered in this transaction, the row); forgotten once recalled."""
    known = session.info.get(_READ_KEY)
    if known is None or known[0] is not session.get_transaction() or case_id not in known[1]:
        return False, None
    return True, known[1].pop(case_id)
