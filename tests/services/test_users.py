"""Accounts: argon2id passwords checked at login, API tokens and sessions stored as hashes
and revocable, reserved names, rate-limited logins, the audit trail, admin only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.domain.clock import FixedClock
from bot.services.roles import Actor, Forbidden, Role, operator
from bot.services.users import (
    LoginPolicy,
    LoginRefused,
    LoginThrottled,
    UserError,
    add_user,
    check_password,
    hash_password,
    list_users,
    login,
    logout,
    revoke_token,
    rotate_token,
    session_user,
    set_active,
    set_password,
    set_role,
    token_hash,
    user_for_token,
)
from storage.models import UserRow
from storage.uow import SqlUnitOfWork
from tests.services.app import App, memory_app

PW = "correct horse battery"
ROOT = operator("root")


@pytest.fixture
def app(clock: FixedClock) -> App:
    return memory_app(clock)


def test_add_user_stores_argon2id_and_token_hashes_only(engine, clock):
    token = add_user(SqlUnitOfWork(engine, clock), "  Ann.Lee ", "collector", PW, actor=ROOT)
    assert len(token) >= 40
    with Session(engine) as s:
        (row,) = s.exec(select(UserRow)).all()
    assert (row.username, row.role, row.active) == ("ann.lee", "collector", True)
    assert row.password_hash.startswith("$argon2id$")
    assert PW not in row.password_hash and token not in (row.token_hash or "")
    assert row.token_hash == token_hash(token)
    assert check_password(PW, row.password_hash)
    assert not check_password(PW + "!", row.password_hash)
    with SqlUnitOfWork(engine, clock) as uow:
        found = user_for_token(uow, token)
        assert found is not None and found.username == "ann.lee"
        assert user_for_token(uow, token + "x") is None
        [entry] = uow.audit.recent()
    assert (entry.actor, entry.action, entry.target) == ("cli:root", "user.add", "ann.lee")


@pytest.mark.parametrize(("username", "role", "password", "match"), [
    ("ann", "boss", PW, "role must be one of collector, supervisor, admin"),
    ("a", "admin", PW, "username"),
    ("ann lee", "admin", PW, "username"),
    ("1ann", "admin", PW, "username"),
    ("a" * 65, "admin", PW, "username"),
    ("ann", "admin", "short", "at least 10 characters"),
    ("legal-review", "collector", PW, "reserved"),
    ("System", "collector", PW, "reserved"),
])
def test_bad_user_input(app: App, username, role, password, match):
    with pytest.raises(UserError, match=match):
        add_user(app.c.uow(), username, role, password, actor=ROOT)
    assert list_users(app.c.uow(), actor=ROOT) == []


def test_duplicate_user(app: App):
    add_user(app.c.uow(), "ann", "admin", PW, actor=ROOT)
    with pytest.raises(UserError, match="user 'ann' already exists"):
        add_user(app.c.uow(), "ANN", "collector", PW, actor=ROOT)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$00$00", "$argon2id$v=19$bad"])
def test_malformed_stored_hash_never_matches(stored):
    assert check_password(PW, stored) is False


def test_every_user_gets_a_different_hash():
    assert hash_password(PW) != hash_password(PW)


def test_only_admins_manage_users(app: App):
    for role in (Role.COLLECTOR, Role.SUPERVISOR):
        with pytest.raises(Forbidden):
            add_user(app.c.uow(), "bob", "collector", PW, actor=Actor("x", role))
        with pytest.raises(Forbidden):
            list_users(app.c.uow(), actor=Actor("x", role))


def test_login_opens_a_session_that_logout_disabling_and_a_new_password_end(app: App):
    add_user(app.c.uow(), "ann", "collector", PW, actor=ROOT)
    done = login(app.c.uow(), "Ann", PW, "10.0.0.1")
    with app.c.uow() as uow:
        assert session_user(uow, done.token) is not None
        assert session_user(uow, done.token + "x") is None
    assert logout(app.c.uow(), done.token) and not logout(app.c.uow(), done.token)
    with app.c.uow() as uow:
        assert session_user(uow, done.token) is None
    second = login(app.c.uow(), "ann", PW, "10.0.0.1")
    set_password(app.c.uow(), "ann", "another long one", actor=ROOT)
    with app.c.uow() as uow:
        assert session_user(uow, second.token) is None
    with pytest.raises(LoginRefused):
        login(app.c.uow(), "ann", PW, "10.0.0.1")
    third = login(app.c.uow(), "ann", "another long one", "10.0.0.1")
    set_active(app.c.uow(), "ann", False, actor=ROOT)
    with app.c.uow() as uow:
        assert session_user(uow, third.token) is None
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        login(app.c.uow(), "ann", "another long one", "10.0.0.1")


def test_sessions_expire(app: App, clock: FixedClock):
    add_user(app.c.uow(), "ann", "collector", PW, actor=ROOT)
    done = login(app.c.uow(), "ann", PW, "c", LoginPolicy(session_hours=2))
    clock.advance(timedelta(hours=2))
    with app.c.uow() as uow:
        assert session_user(uow, done.token) is None


def test_failed_logins_are_rate_limited_per_user_and_per_client(app: App, clock: FixedClock):
    add_user(app.c.uow(), "ann", "collector", PW, actor=ROOT)
    policy = LoginPolicy(max_failures=3, window_minutes=10)
    for _ in range(3):
        with pytest.raises(LoginRefused):
            login(app.c.uow(), "ann", "wrong password", "10.0.0.9", policy)
    with pytest.raises(LoginThrottled):  # even the right password, without checking it
        login(app.c.uow(), "ann", PW, "10.0.0.1", policy)
    with pytest.raises(LoginThrottled):  # and from that client, for any name
        login(app.c.uow(), "bob", "whatever pw", "10.0.0.9", policy)
    clock.advance(timedelta(minutes=11))
    assert login(app.c.uow(), "ann", PW, "10.0.0.1", policy).user.username == "ann"
    with app.c.uow() as uow:
        actions = [r.action for r in uow.audit.recent(action=None)]
    assert actions.count("login.failed") == 3 and actions.count("login.throttled") == 2
    assert actions[0] == "login"


def test_unknown_users_are_refused_like_wrong_passwords(app: App):
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        login(app.c.uow(), "nobody-here", PW, "c")


def test_api_tokens_rotate_and_revoke(app: App):
    old = add_user(app.c.uow(), "ann", "collector", None, actor=ROOT)
    new = rotate_token(app.c.uow(), "ann", actor=ROOT)
    with app.c.uow() as uow:
        assert user_for_token(uow, old) is None and user_for_token(uow, new) is not None
    revoke_token(app.c.uow(), "ann", actor=ROOT)
    with app.c.uow() as uow:
        assert user_for_token(uow, new) is None
    with pytest.raises(LoginRefused):  # no password: no console login
        login(app.c.uow(), "ann", "", "c")


def test_roles_change_and_admins_keep_their_own(app: App):
    add_user(app.c.uow(), "ann", "admin", PW, actor=ROOT)
    set_role(app.c.uow(), "ann", "supervisor", actor=ROOT)
    [ann] = list_users(app.c.uow(), actor=ROOT)
    assert ann.role == "supervisor"
    me = Actor("bob", Role.ADMIN)
    add_user(app.c.uow(), "bob", "admin", PW, actor=ROOT)
    with pytest.raises(UserError, match="cannot take the admin role from yourself"):
        set_role(app.c.uow(), "bob", "collector", actor=me)
    with pytest.raises(UserError, match="cannot disable yourself"):
        set_active(app.c.uow(), "bob", False, actor=me)
    with pytest.raises(UserError, match="no user 'carl'"):
        set_role(app.c.uow(), "carl", "admin", actor=ROOT)
