"""``duebot users``: people who use the console and the API, their roles, passwords and
API tokens; ``duebot audit``: the audit trail."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.entrypoints.cli_app import Json, _typer, container, print_json, run
from bot.entrypoints.cli_errors import UserMistake, err, out
from bot.services.roles import Role

users_app = _typer("People who use the console and the API: roles, passwords, tokens.")

Username = Annotated[str, typer.Argument(help="the user name")]
RoleOpt = Annotated[Role, typer.Option(help="collector, supervisor or admin")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="read the password from the first line of standard input")]


def _operator(c: Any) -> Any:
    from bot.entrypoints.cli_context import os_user
    from bot.services.roles import operator

    return operator(os_user())


def _password(from_stdin: bool, *, optional: bool) -> str | None:
    """From stdin (``--password-stdin``), else asked for on a terminal; without either,
    None when the password is optional, else a usage error."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UserMistake("--password-stdin: standard input has no password line")
        return line
    if sys.stdin.isatty():
        return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))
    if optional:
        return None
    raise typer.BadParameter("no terminal to ask for it: pass --password-stdin",
                             param_hint="password")


@users_app.command("add")
def users_add(
    username: Username, role: RoleOpt, password_stdin: PasswordStdin = False,
    no_password: Annotated[bool, typer.Option(
        "--no-password", help="API token only (no console login until set-password)")]
    = False,
    as_json: Json = False,
) -> None:
    """Add a user; prints its API token once. The password (console login) comes from
    --password-stdin or a prompt; --no-password makes an API-only user."""
    from bot.services.users import add_user, normalise_name

    def go() -> None:
        pw = None if no_password else _password(password_stdin, optional=False)
        c = container()
        token = add_user(c.uow(), username, role.value, pw, actor=_operator(c))
        name = normalise_name(username)
        if as_json:
            print_json({"username": name, "role": role.value, "token": token})
            return
        out.print(f"user {escape(name)} ({role.value}) added; API token (shown once): {token}",
                  highlight=False, soft_wrap=True)

    run(go)


@users_app.command("list")
def users_list(as_json: Json = False) -> None:
    """Every user with role, state and whether they have a password and an API token."""
    from bot.services.users import list_users

    def go() -> None:
        c = container(schema=False)  # read only
        users = list_users(c.uow(), actor=_operator(c))
        rows = [{"username": u.username, "role": u.role, "active": u.active,
                 "password": bool(u.password_hash), "api_token": bool(u.token_hash),
                 "created_at": u.created_at.isoformat()} for u in users]
        if as_json:
            print_json(rows)
            return
        table = Table(title=f"{len(rows)} user(s)")
        for col in ("username", "role", "active", "password", "api_token", "created_at"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(escape(str(r[k])) for k in r))
        out.print(table)

    run(go)


def _simple(fn_name: str, username: str, done: str, **kw: Any) -> None:
    from bot.services import users

    def go() -> None:
        c = container()
        getattr(users, fn_name)(c.uow(), username, actor=_operator(c), **kw)
        out.print(escape(done), highlight=False)

    run(go)


@users_app.command("disable")
def users_disable(username: Username) -> None:
    """Disable a user: their sessions end and their API token stops working."""
    _simple("set_active", username, f"{username} disabled", active=False)


@users_app.command("enable")
def users_enable(username: Username) -> None:
    """Enable a disabled user."""
    _simple("set_active", username, f"{username} enabled", active=True)


@users_app.command("set-role")
def users_set_role(username: Username, role: RoleOpt) -> None:
    """Give a user another role."""
    _simple("set_role", username, f"{username} is now a {role.value}", role=role.value)


@users_app.command("rotate-token")
def users_rotate_token(username: Username, as_json: Json = False) -> None:
    """A new API token (printed once); the old one stops working."""
    from bot.services.users import rotate_token

    def go() -> None:
        c = container()
        token = rotate_token(c.uow(), username, actor=_operator(c))
        if as_json:
            print_json({"username": username, "token": token})
        else:
            out.print(f"new API token for {escape(username)} (shown once): {token}",
                      highlight=False, soft_wrap=True)

    run(go)


@users_app.command("revoke-token")
def users_revoke_token(username: Username) -> None:
    """Revoke the user's API token (rotate-token issues a new one)."""
    _simple("revoke_token", username, f"{username}: API token revoked")


@users_app.command("set-password")
def users_set_password(username: Username, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (their console sessions end)."""
    from bot.services.users import set_password

    def go() -> None:
        pw = _password(password_stdin, optional=False)
        assert pw is not None
        c = container()
        set_password(c.uow(), username, pw, actor=_operator(c))
        out.print(f"{escape(username)}: password set; their sessions ended", highlight=False)

    run(go)


def audit_cmd(
    limit: Annotated[int, typer.Option(min=1, help="the last N entries")] = 50,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. user.add")]
    = None,
    actor: Annotated[str | None, typer.Option(help="only actors starting with this")] = None,
    as_json: Json = False,
) -> None:
    """The audit trail: users, logins, campaigns, reveals (newest first). Changes to a
    case are in its own events (``cases show``)."""
    def go() -> None:
        from bot.services.roles import Permission, authorize

        c = container()
        authorize(_operator(c), Permission.MANAGE_USERS)
        with c.uow() as uow:
            records = uow.audit.recent(limit, action=action, actor=actor)
        rows = [{"at": r.at.isoformat(), "actor": r.actor, "action": r.action,
                 "target": r.target, "detail": r.detail} for r in records]
        if as_json:
            print_json(rows)
            return
        if not rows:
            err.print("the audit trail is empty")
        for r in rows:
            out.print(escape(f"{r['at']}  {r['actor']:<28} {r['action']:<20} "
                             f"{r['target'] or ''} {r['detail'] or ''}"), highlight=False)

    run(go)


def register(main: typer.Typer) -> None:
    main.add_typer(users_app, name="users")
    main.command("audit")(audit_cmd)
