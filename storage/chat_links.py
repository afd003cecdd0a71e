"""SQL implementation of :class:`bot.services.chat_linking.ChatLinkStore`.

Security-relevant steps are single conditional UPDATEs, so two concurrent answers can
never both pass a check (see the protocol's docstring). Tokens are kept as SHA-256
hashes: a database reader cannot replay a link.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain.clock import ensure_utc
from bot.domain.verification import LinkToken, VerificationMethod
from storage.tables.chat import ChatLinkRow, ChatLinkTokenRow, ChatLockRow

T = ChatLinkTokenRow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(row: ChatLinkTokenRow, token: str) -> LinkToken:
    return LinkToken(token=token, case_ref=row.case_ref, method=VerificationMethod(row.method),
                     created_at=row.created_at, expires_at=row.expires_at, chat_id=row.chat_id,
                     claimed_at=row.claimed_at, failures=row.failures, used_at=row.used_at,
                     locked_at=row.locked_at)


class SqlChatLinkStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tokens: dict[str, str] = {}  # hash -> token, for tokens seen by this process

    def add_token(self, record: LinkToken) -> None:
        with Session(self.engine) as s:
            s.add(T(token_hash=_hash(record.token), case_ref=record.case_ref,
                    method=record.method.value, created_at=ensure_utc(record.created_at),
                    expires_at=ensure_utc(record.expires_at)))
            try:
                s.commit()
            except IntegrityError:
                raise ValueError("link token already exists") from None
        self._tokens[_hash(record.token)] = record.token

    def get_token(self, token: str) -> LinkToken | None:
        with Session(self.engine) as s:
            row = s.exec(select(T).where(T.token_hash == _hash(token))).first()
        if row is None:
            return None
        self._tokens[row.token_hash] = token
        return _record(row, token)

    def claim_token(self, token: str, chat_id: str, now: datetime) -> bool:
        with Session(self.engine) as s:
            result = s.execute(update(T).where(
                col(T.token_hash) == _hash(token),
                or_(col(T.chat_id).is_(None), col(T.chat_id) == chat_id),
            ).values(chat_id=chat_id, claimed_at=ensure_utc(now)))
            s.commit()
        self._tokens[_hash(token)] = token
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def pending_token(self, chat_id: str) -> LinkToken | None:
        with Session(self.engine) as s:
            row = s.exec(select(T).where(
                T.chat_id == chat_id, col(T.used_at).is_(None), col(T.locked_at).is_(None),
                col(T.claimed_at).is_not(None)).order_by(col(T.claimed_at).desc())).first()
        if row is None:
            return None
        # the protocol hands back the token itself; only chats that claimed it get here
        return _record(row, self._tokens.get(row.token_hash, row.token_hash))

    def _where(self, token: str) -> ColumnElement[bool]:
        # the caller may pass back a hash from pending_token when this process never saw
        # the clear token (another worker claimed it)
        return or_(col(T.token_hash) == _hash(token), col(T.token_hash) == token)

    def record_failure(self, token: str, now: datetime) -> int:
        with Session(self.engine) as s:
            s.execute(update(T).where(self._where(token)).values(failures=T.failures + 1))
            s.commit()
            row = s.exec(select(T).where(self._where(token))).one()
            return row.failures

    def lock(self, token: str, chat_id: str, now: datetime) -> None:
        with Session(self.engine) as s:
            s.execute(update(T).where(self._where(token)).values(locked_at=ensure_utc(now)))
            if s.get(ChatLockRow, chat_id) is None:
                s.add(ChatLockRow(chat_id=chat_id, locked_at=ensure_utc(now)))
            s.commit()

    def chat_locked(self, chat_id: str) -> bool:
        with Session(self.engine) as s:
            return s.get(ChatLockRow, chat_id) is not None

    def complete_link(self, token: str, chat_id: str, now: datetime) -> bool:
        with Session(self.engine) as s:
            result = s.execute(update(T).where(and_(
                self._where(token), col(T.chat_id) == chat_id, col(T.used_at).is_(None),
                col(T.locked_at).is_(None))).values(used_at=ensure_utc(now)))
            if not result.rowcount:  # type: ignore[attr-defined]
                s.rollback()
                return False
            row = s.exec(select(T).where(self._where(token))).one()
            exists = s.exec(select(ChatLinkRow).where(
                ChatLinkRow.chat_id == chat_id, ChatLinkRow.case_ref == row.case_ref)).first()
            if exists is None:
                s.add(ChatLinkRow(chat_id=chat_id, case_ref=row.case_ref,
                                  linked_at=ensure_utc(now)))
            s.commit()
            return True

    def linked_cases(self, chat_id: str) -> tuple[str, ...]:
        with Session(self.engine) as s:
            rows = s.exec(select(ChatLinkRow.case_ref).where(ChatLinkRow.chat_id == chat_id)
                          .order_by(col(ChatLinkRow.linked_at), col(ChatLinkRow.id))).all()
        return tuple(rows)
