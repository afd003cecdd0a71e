"""What every ``duebot`` command needs before it works: the settings checked (one line
per problem naming the ``DUEBOT_`` variable, unknown ``DUEBOT_*`` variables warned
about), the application, the database schema, and who is acting.

The command line is an operator's tool with full rights: it acts as an admin recorded as
``cli:<operating-system user>``, or, with ``--as USER``, for that person (recorded as
``collector:USER via cli:<os user>``).
"""

from __future__ import annotations

import difflib
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.entrypoints.cli_errors import ConfigError, UserMistake, err

if TYPE_CHECKING:
    from bot.bootstrap import Container
    from bot.services.roles import Actor
    from bot.settings import Settings
    from bot.settings_values import SettingsValues

#: ``DUEBOT_`` variables that are not settings but are read from the environment
EXTRA_VARIABLES = frozenset({
    "DUEBOT_CACHE_DIR",  # the reply parser's compiled patterns (README)
    "DUEBOT_USER",  # the person CLI commands act for (--as)
    "DUEBOT_TEST_PG_URL", "DUEBOT_REQUIRE_POSTGRES",  # the test suite's
})


def warn_unknown_variables() -> None:
    """Warn about ``DUEBOT_*`` variables (environment and ``.env``) that are no setting."""
    for line in unknown_variables(list(os.environ) + _dotenv_names()):
        err.print(f"[yellow]{line}[/yellow]", highlight=False, soft_wrap=True)


def known_variables() -> set[str]:
    from bot.settings_values import SettingsValues

    return {f"DUEBOT_{name.upper()}" for name in SettingsValues.model_fields} | EXTRA_VARIABLES


def unknown_variables(names: list[str]) -> list[str]:
    """One warning per ``DUEBOT_*`` name that is no setting, with the closest one."""
    known = known_variables()
    out = []
    for name in sorted(set(names)):
        if not name.upper().startswith("DUEBOT_") or name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.75)
        out.append(f"warning: {name} is not a duebot setting (ignored)"
                   + (f"; did you mean {close[0]}?" if close else ""))
    return out


def _dotenv_names(path: Path = Path(".env")) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    names = []
    for line in lines:
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#") and "=" in line:
            names.append(line.split("=", 1)[0].strip())
    return names


def settings() -> Settings:
    """The settings, checked: a bad value is a :class:`ConfigError` naming its variable."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(config_problems(exc)) from None


def reading_settings() -> SettingsValues:
    """:func:`settings` for a command that only reads: the same values and errors, read
    without pydantic-settings (:func:`bot.settings_values.read_settings`), whose import
    took a fifth of such a command's start."""
    from pydantic import ValidationError

    from bot.settings_values import read_settings

    try:
        return read_settings()
    except ValidationError as exc:
        raise ConfigError(config_problems(exc)) from None


def config_problems(exc: Any) -> list[str]:
    """One line per settings error: ``DUEBOT_NAME: reason``."""
    lines = []
    for e in exc.errors(include_url=False):
        name = "DUEBOT_" + "_".join(str(p) for p in e["loc"]).upper()
        reason = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {reason} (got {e.get('input')!r})")
    return lines


def container(*, schema: bool = True, read_only: bool = False) -> Container:
    """The application over the checked settings; ``schema``: the database must be at
    the latest revision (else: run ``duebot db upgrade``); ``read_only``: a command that
    only reads (the database's stores without SQLAlchemy, no schema check)."""
    from bot.bootstrap import bootstrap

    s = reading_settings() if read_only else settings()
    try:
        c = bootstrap(s, read_only=read_only)
    except ModuleNotFoundError as exc:
        if exc.name in ("psycopg", "psycopg2", "psycopg_binary"):
            raise ConfigError([
                "DUEBOT_DATABASE_URL names PostgreSQL, but its driver is not installed: "
                "pip install 'duebot[postgres]'"]) from None
        raise
    if schema and not read_only:
        require_schema(c)
    return c


def require_schema(c: Container) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        current = c.schema_current()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ConfigError([f"DUEBOT_DATABASE_URL: cannot open the database ({reason})"]
                          ) from None
    if not current:
        raise UserMistake("the database schema is missing or old: run `duebot db upgrade`")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def acting(c: Container, as_user: str | None) -> Actor:
    """Who a command acts as: the operator, or (``--as``) an active user it acts for."""
    from bot.services.roles import Actor, Role, operator

    me = os_user()
    if not as_user:
        return operator(me)
    from bot.services.users import active_user

    with c.uow() as uow:
        user = active_user(uow, as_user)
    if user is None:
        raise UserMistake(f"no active user {as_user!r} (see `duebot users list`)")
    return Actor(user.username, Role.ADMIN, via=f"cli:{me}")
