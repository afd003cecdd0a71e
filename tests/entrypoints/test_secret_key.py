"""With a real channel configured, the runners refuse a secret key anyone could know."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.bootstrap import secret_key_problem
from bot.domain.secret_keys import DEV_SECRET_KEY
from bot.settings import Settings
from tests.entrypoints.test_cli import Invoke, db, duebot, workdir  # noqa: F401

GOOD = "k" * 32
TWILIO = {"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": SecretStr("t" * 32),
          "twilio_from_number": "+15005550006"}


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The runners configure the root logger; later tests must not see it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("values", "problem"), [
    ({}, None),  # sandbox only: the development key is fine
    (TWILIO, "DUEBOT_SECRET_KEY is the development value"),
    ({**TWILIO, "secret_key": SecretStr("x" * 31)},
     "DUEBOT_SECRET_KEY is shorter than 32 bytes"),
    ({**TWILIO, "secret_key": SecretStr("é" * 16)}, None),  # 32 bytes in UTF-8
    ({**TWILIO, "secret_key": SecretStr(GOOD)}, None),
    ({"smtp_host": "mail.example.com"}, "DUEBOT_SECRET_KEY is the development value"),
    ({"telegram_bot_token": SecretStr("123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi")},
     "DUEBOT_SECRET_KEY is the development value"),
    ({**TWILIO, "secret_key": SecretStr(GOOD),
      "previous_secret_keys": SecretStr(f"{'o' * 40},{DEV_SECRET_KEY}")},
     "DUEBOT_PREVIOUS_SECRET_KEYS holds the development secret key"),
])
def test_secret_key_problem(values: dict[str, object], problem: str | None) -> None:
    found = secret_key_problem(settings(**values))
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem) and "\n" not in found


@pytest.mark.parametrize("command", ["run", "serve", "worker", "scheduler"])
def test_runners_refuse_the_development_key_with_a_real_channel(
        db: Path, duebot: Invoke, command: str) -> None:  # noqa: F811
    result = duebot(command, env={"DUEBOT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                                  "DUEBOT_TWILIO_AUTH_TOKEN": "t" * 32,
                                  "DUEBOT_TWILIO_FROM_NUMBER": "+15005550006"})
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "error: DUEBOT_SECRET_KEY is the development value"), result.stderr
    assert "twilio" in lines[0]
