"""All configuration, read from the environment (prefix ``DUEBOT_``) and an optional ``.env``.

Nothing configured means the embedded default: a SQLite file, the sandbox channel for
every kind, no accounts. Every field is documented in README.md (Configuration); the
fields and their checks are :class:`bot.settings_values.SettingsValues`.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.settings_values import SettingsValues


class Settings(SettingsValues, BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DUEBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )
