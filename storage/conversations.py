"""Where the bot's dialogue with each case stands (``conversation``, one row per case).

Read and written with statements built once, on the DB-API cursor (a customer's message
reads and saves its case's row, and that path is CPU-bound); a row read along with its
case (storage/case_stream.py) is not read again in the same transaction. Whether the row
exists is remembered from :meth:`get` within the unit of work, so a save after a read is
one UPDATE or one INSERT; two transactions that both insert a case's first row collide on
the unique ``case_id`` (the unit of work reports a concurrent update: handled again).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from bot.conversations.dialog import Conversation, State
from storage.conversation_rows import recalled
from storage.raw_sql import RawStatement
from storage.tables.messages import ConversationRow

C = ConversationRow.__table__  # type: ignore[attr-defined]

_GET = RawStatement(select(
    C.c.state, C.c.context, C.c.expires_at, C.c.verify_failures).where(
    C.c.case_id == bindparam("b_case_id")))
_EXISTS = RawStatement(select(C.c.id).where(C.c.case_id == bindparam("b_case_id")))
_INSERT = RawStatement(insert(C).values(
    case_id=bindparam("b_case_id"), state=bindparam("b_state"), context=bindparam("b_context"),
    expires_at=bindparam("b_expires_at"), verify_failures=bindparam("b_verify_failures"),
    locked_at=bindparam("b_locked_at"), updated_at=bindparam("b_now")))
#: ``locked_at`` is set when the conversation locks and kept from then on (reset clears it)
_UPDATE = RawStatement(update(C).where(C.c.case_id == bindparam("b_case_id")).values(
    state=bindparam("b_state"), context=bindparam("b_context"),
    expires_at=bindparam("b_expires_at"), verify_failures=bindparam("b_verify_failures"),
    locked_at=func.coalesce(C.c.locked_at, bindparam("b_locks", type_=C.c.locked_at.type)),
    updated_at=bindparam("b_now")))
_RESET = RawStatement(update(C).where(C.c.case_id == bindparam("b_case_id")).values(
    state=State.IDLE.value, context={}, expires_at=None, verify_failures=0, locked_at=None,
    updated_at=bindparam("b_now")))


class SqlConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: case id -> whether its row exists (as read or written in this unit of work)
        self._exists: dict[int, bool] = {}

    def get(self, case_id: int) -> Conversation | None:
        found, row = recalled(self.session, case_id)
        if not found:
            read = _GET.first(self.session.connection(), {"b_case_id": case_id})
            row = None if read is None else (read[0], read[1], read[2], read[3])
        self._exists[case_id] = row is not None
        if row is None:
            return None
        state, context, expires_at, verify_failures = row
        return Conversation(State(state), dict(context or {}), expires_at, verify_failures)

    def save(self, case_id: int, conversation: Conversation, now: datetime) -> None:
        recalled(self.session, case_id)  # what was read with the case is stale now
        conn = self.session.connection()
        exists = self._exists.get(case_id)
        if exists is None:
            exists = _EXISTS.first(conn, {"b_case_id": case_id}) is not None
        locks = now if conversation.state is State.LOCKED else None
        values = {"b_case_id": case_id, "b_state": conversation.state.value,
                  "b_context": conversation.context, "b_expires_at": conversation.expires_at,
                  "b_verify_failures": conversation.verify_failures, "b_now": now}
        if exists:
            _UPDATE.run(conn, {**values, "b_locks": locks})
        else:
            _INSERT.run(conn, {**values, "b_locked_at": locks})
            self._exists[case_id] = True

    def reset(self, case_id: int, now: datetime) -> None:
        recalled(self.session, case_id)
        _RESET.run(self.session.connection(), {"b_case_id": case_id, "b_now": now})
