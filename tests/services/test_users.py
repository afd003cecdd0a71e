"""Console/API users: validation, hashed passwords and tokens."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.services.users import (
    UserError,
    add_user,
    check_password,
    hash_password,
    token_hash,
    user_for_token,
)
from storage.models import UserRow
from storage.uow import SqlUnitOfWork

PW = "correct horse battery"


def test_add_user_stores_hashes_only(engine, clock):
    token = add_user(SqlUnitOfWork(engine, clock), "  Ann.Lee ", "collector", PW)
    assert len(token) >= 40
    with Session(engine) as s:
        (row,) = s.exec(select(UserRow)).all()
    assert (row.username, row.role, row.active) == ("ann.lee", "collector", True)
    assert PW not in row.password_hash and token not in (row.token_hash or "")
    assert row.token_hash == token_hash(token)
    assert check_password(PW, row.password_hash)
    assert not check_password(PW + "!", row.password_hash)
    assert row.created_at == clock.now()
    with SqlUnitOfWork(engine, clock) as uow:
        found = user_for_token(uow, token)
        assert found is not None and found.username == "ann.lee"
        assert user_for_token(uow, token + "x") is None


def test_every_user_gets_a_different_token_and_salt(engine, clock):
    t1 = add_user(SqlUnitOfWork(engine, clock), "ann", "admin", PW)
    t2 = add_user(SqlUnitOfWork(engine, clock), "bob", "admin", PW)
    assert t1 != t2
    with Session(engine) as s:
        hashes = s.exec(select(UserRow.password_hash)).all()
    assert len(set(hashes)) == 2


def test_inactive_user_token_is_refused(engine, clock):
    token = add_user(SqlUnitOfWork(engine, clock), "ann", "admin", PW)
    with Session(engine) as s:
        row = s.exec(select(UserRow)).one()
        row.active = False
        s.add(row)
        s.commit()
    with SqlUnitOfWork(engine, clock) as uow:
        assert user_for_token(uow, token) is None


@pytest.mark.parametrize(("username", "role", "password", "match"), [
    ("ann", "boss", PW, "role must be one of admin, collector"),
    ("a", "admin", PW, "username"),
    ("ann lee", "admin", PW, "username"),
    ("1ann", "admin", PW, "username"),
    ("a" * 65, "admin", PW, "username"),
    ("ann", "admin", "short", "at least 10 characters"),
])
def test_bad_user_input(engine, clock, username, role, password, match):
    with pytest.raises(UserError, match=match):
        add_user(SqlUnitOfWork(engine, clock), username, role, password)
    with Session(engine) as s:
        assert s.exec(select(UserRow)).all() == []


def test_duplicate_user(engine, clock):
    add_user(SqlUnitOfWork(engine, clock), "ann", "admin", PW)
    with pytest.raises(UserError, match="user 'ann' already exists"):
        add_user(SqlUnitOfWork(engine, clock), "ANN", "collector", PW)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$zz$00", "scrypt$00$zz", "a$b$c$d"])
def test_malformed_stored_hash_never_matches(stored):
    assert check_password(PW, stored) is False


def test_hash_format():
    stored = hash_password(PW, b"\x00" * 16)
    scheme, salt, digest = stored.split("$")
    assert scheme == "scrypt" and salt == "00" * 16 and len(digest) == 128
    assert check_password(PW, stored)
