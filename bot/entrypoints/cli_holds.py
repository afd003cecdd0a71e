"""``duebot holds set|clear``: holds that protect the customer, with who and why.

Any collector may set one; clearing one is a supervisor's decision. Until roles arrive
(issue #14) both record the user (``--as``, an active user) and the reason in the case's
events, and the role check goes in front of :func:`bot.services.case_work.set_hold` and
:func:`~bot.services.case_work.clear_hold`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.entrypoints.cli_errors import UserMistake, out, user_errors

app = typer.Typer(help="Holds that protect the customer (deceased, vulnerable, complaint, "
                       "breathing space, cease, attorney, bankruptcy).", no_args_is_help=True)

HoldOpt = Annotated[str, typer.Option("--hold", help="deceased, vulnerable, complaint, "
                                      "breathing_space, cease, attorney or bankruptcy")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (recorded with the change)")]
AsUser = Annotated[str, typer.Option("--as", help="the user doing it (recorded)",
                                     envvar="DUEBOT_USER")]


def _actor(c: object, username: str) -> str:
    from bot.services.users import active_user

    with c.uow() as uow:  # type: ignore[attr-defined]
        user = active_user(uow, username)
    if user is None:
        raise UserMistake(f"no active user {username!r} (add one with `duebot users add`)")
    return f"user:{user.username}"


def _change(action: str, account_id: str, hold: str, reason: str, who: str,
            until: date | None = None) -> None:
    from bot.bootstrap import bootstrap
    from bot.services import case_work
    from storage.migrate import current_revision, head_revision

    with user_errors():
        c = bootstrap()
        if current_revision(c.engine) != head_revision():
            raise UserMistake("the database schema is missing or old: run `duebot db upgrade`")
        actor = _actor(c, who)
        try:
            with c.uow() as uow:
                if action == "set":
                    case_work.set_hold(uow, account_id, hold, actor, reason, until)
                else:
                    case_work.clear_hold(uow, account_id, hold, actor, reason)
        except case_work.CaseWorkError as exc:
            raise UserMistake(str(exc)) from None
        done = "placed" if action == "set" else "cleared"
        tail = f" until {until.isoformat()}" if until else ""
        out.print(f"{account_id}: {hold} hold {done}{tail} by {actor}")


@app.command("set")
def holds_set(
    account_id: str, hold: HoldOpt, reason: ReasonOpt, who: AsUser,
    until: Annotated[str | None, typer.Option(
        "--until", help="YYYY-MM-DD: a breathing space's last day")] = None,
) -> None:
    """Place a hold: nothing automated goes out, a person answers the customer."""
    day = None
    if until is not None:
        try:
            day = date.fromisoformat(until)
        except ValueError:
            with user_errors():
                raise UserMistake(f"--until must be YYYY-MM-DD, got {until!r}") from None
    _change("set", account_id, hold, reason, who, day)


@app.command("clear")
def holds_clear(account_id: str, hold: HoldOpt, reason: ReasonOpt, who: AsUser) -> None:
    """Lift a hold (a supervisor's decision; recorded with who and why)."""
    _change("clear", account_id, hold, reason, who)
