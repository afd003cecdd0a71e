"""Console and API users (``app_user``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.services.ports import UserRecord
from storage.models import UserRow

U = UserRow.__table__  # type: ignore[attr-defined]
_COLUMNS = (U.c.id, U.c.username, U.c.role, U.c.password_hash, U.c.token_hash, U.c.active,
            U.c.created_at)


def _user(row: Any) -> UserRecord | None:
    if row is None:
        return None
    i, name, role, pw, token, active, created = row
    return UserRecord(i, name, role, pw, token, bool(active), ensure_utc(created))


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, username: str) -> UserRecord | None:
        return _user(self.session.execute(select(*_COLUMNS).where(U.c.username == username))
                     .first())

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        return _user(self.session.execute(select(*_COLUMNS).where(U.c.token_hash == token_hash))
                     .first())

    def add(self, username: str, role: str, password_hash: str, token_hash: str,
            now: datetime) -> int:
        result = self.session.execute(insert(U).values(
            username=username, role=role, password_hash=password_hash, token_hash=token_hash,
            active=True, created_at=now).returning(U.c.id))
        return int(result.scalar_one())
