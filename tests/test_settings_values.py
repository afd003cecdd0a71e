"""``read_settings`` (no pydantic-settings: the read-only commands' start) reads what
``Settings`` (pydantic-settings) reads, from the environment and ``.env``, with the same
errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from bot.settings_values import SettingsValues, read_settings

DOTENV = """\
# a comment
export DUEBOT_BRAND_NAME="Quoted Bank"
DUEBOT_PORT=9000
duebot_log_level=DEBUG
DUEBOT_SMTP_RATE = 2.5
DUEBOT_SECRET_KEY='single quoted'
DUEBOT_TRUSTED_PROXY=yes
DUEBOT_NOT_A_SETTING=1
OTHER=2
DUEBOT_EMAIL_FROM=${OTHER}@example.com
DUEBOT_IMAP_HOST
"""


def _both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str],
          dotenv: str | None) -> tuple[object, object]:
    for name in [n for n in __import__("os").environ if n.upper().startswith("DUEBOT_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")

    def outcome(read: object) -> object:
        try:
            values = read()  # type: ignore[operator]
        except ValidationError as exc:
            return [(e["loc"], e["msg"], e.get("input")) for e in exc.errors(include_url=False)]
        return {**values.model_dump(), "secrets": values.secret_keys()}

    return outcome(Settings), outcome(read_settings)


@pytest.mark.parametrize(("env", "dotenv"), [
    ({}, None),
    ({}, DOTENV),
    ({"DUEBOT_PORT": "81", "duebot_brand_name": "env wins", "DUEBOT_PLAN_WORKERS": "3",
      "DUEBOT_PREVIOUS_SECRET_KEYS": "a, b", "DUEBOT_TEMPLATE_DIR": "~/t"}, DOTENV),
    ({"DUEBOT_DATABASE_URL": "postgresql+psycopg://u@h/db", "DUEBOT_RETENTION_YEARS": "7",
      "DUEBOT_METRICS_PORT": "9100", "DUEBOT_CAMPAIGN_TWO_PERSON_APPROVAL": "true"}, ""),
    # errors: the same ones, in the same order, naming the same fields
    ({"DUEBOT_PORT": "x", "DUEBOT_JURISDICTION": "XX", "DUEBOT_RETENTION_YEARS": ""}, None),
    ({"DUEBOT_SMTP_TLS": "ssl", "DUEBOT_WORKER_LEASE_SECONDS": "1"}, "DUEBOT_TICK_MINUTES=x\n"),
])
def test_read_settings_reads_what_settings_reads(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str],
        dotenv: str | None) -> None:
    settings, read = _both(monkeypatch, tmp_path, env, dotenv)
    assert read == settings


def test_the_settings_are_the_values_read_by_pydantic_settings() -> None:
    """One definition of every field: ``Settings`` adds only where values come from."""
    assert {n: repr(f) for n, f in Settings.model_fields.items()} == \
        {n: repr(f) for n, f in SettingsValues.model_fields.items()}
    assert issubclass(Settings, SettingsValues)
