"""Console and API users (``app_user``), their console sessions (``user_session``) and
failed logins (``login_attempt``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.services.ports import SessionRecord, UserRecord
from storage.tables.users import LoginAttemptRow, UserRow, UserSessionRow

U = UserRow.__table__  # type: ignore[attr-defined]
S = UserSessionRow.__table__  # type: ignore[attr-defined]
L = LoginAttemptRow.__table__  # type: ignore[attr-defined]
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

    def get_by_id(self, user_id: int) -> UserRecord | None:
        return _user(self.session.execute(select(*_COLUMNS).where(U.c.id == user_id)).first())

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        return _user(self.session.execute(select(*_COLUMNS).where(U.c.token_hash == token_hash))
                     .first())

    def add(self, username: str, role: str, password_hash: str, token_hash: str,
            now: datetime) -> int:
        result = self.session.execute(insert(U).values(
            username=username, role=role, password_hash=password_hash, token_hash=token_hash,
            active=True, created_at=now).returning(U.c.id))
        return int(result.scalar_one())

    def all(self) -> list[UserRecord]:
        rows = self.session.execute(select(*_COLUMNS).order_by(U.c.username))
        return [u for u in map(_user, rows) if u is not None]

    def _set(self, username: str, **values: Any) -> None:
        self.session.execute(update(U).where(U.c.username == username).values(**values))

    def set_role(self, username: str, role: str) -> None:
        self._set(username, role=role)

    def set_active(self, username: str, active: bool) -> None:
        self._set(username, active=active)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self._set(username, password_hash=password_hash)

    def set_token_hash(self, username: str, token_hash: str | None) -> None:
        self._set(username, token_hash=token_hash)


def _session(row: Any) -> SessionRecord | None:
    if row is None:
        return None
    i, user_id, token, created, expires, revoked = row
    return SessionRecord(i, user_id, token, ensure_utc(created), ensure_utc(expires),
                         None if revoked is None else ensure_utc(revoked))


class SqlSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user_id: int, token_hash: str, created_at: datetime,
            expires_at: datetime) -> int:
        result = self.session.execute(insert(S).values(
            user_id=user_id, token_hash=token_hash, created_at=created_at,
            expires_at=expires_at, revoked_at=None).returning(S.c.id))
        return int(result.scalar_one())

    def get(self, token_hash: str) -> SessionRecord | None:
        return _session(self.session.execute(
            select(S.c.id, S.c.user_id, S.c.token_hash, S.c.created_at, S.c.expires_at,
                   S.c.revoked_at).where(S.c.token_hash == token_hash)).first())

    def revoke(self, token_hash: str, at: datetime) -> bool:
        result = self.session.execute(update(S).where(
            S.c.token_hash == token_hash, S.c.revoked_at.is_(None)).values(revoked_at=at))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def revoke_user(self, user_id: int, at: datetime) -> int:
        result = self.session.execute(update(S).where(
            S.c.user_id == user_id, S.c.revoked_at.is_(None)).values(revoked_at=at))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlLoginAttempts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_failure(self, key: str, at: datetime) -> None:
        self.session.execute(insert(L).values(key=key[:160], at=at))

    def failures_since(self, key: str, since: datetime) -> int:
        return int(self.session.execute(select(func.count()).select_from(L).where(
            L.c.key == key[:160], L.c.at >= since)).scalar_one())

    def clear(self, key: str) -> None:
        self.session.execute(delete(L).where(L.c.key == key[:160]))
