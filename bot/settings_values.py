"""Every setting: its type, default and checks, and reading them from the environment
(prefix ``DUEBOT_``) and an optional ``.env`` without pydantic-settings.

:class:`bot.settings.Settings` is these values read by pydantic-settings; a command that
only reads (``duebot cases list``...) reads them with :func:`read_settings` instead, whose
import costs a tenth of pydantic-settings' (a command line's start). Both give the same
values and the same errors (``tests/test_settings.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.domain.brand import Brand
from bot.domain.secret_keys import DEV_SECRET_KEY

PREFIX = "DUEBOT_"
ENV_FILE = Path(".env")


class SettingsValues(BaseModel):
    """Every setting, its type, default and checks (:class:`bot.settings.Settings` reads
    them from the environment and ``.env``; :func:`read_settings` does the same without
    pydantic-settings)."""

    model_config = ConfigDict(extra="ignore")

    # --- storage
    database_url: str = Field(
        default="sqlite:///duebot.db",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://user@host/db",
    )

    # --- organisation / compliance
    brand_name: str = "Duebot Bank"
    support_phone: str = "+1 800 555 0100"
    support_email: str = "help@example.com"
    pay_url: str = "https://pay.example.com"
    jurisdiction: str = Field(default="US-RegF", description="US-RegF, UK-FCA or CN")
    default_region: str = Field(default="US", description="phone region when no country column")
    default_timezone: str = "America/New_York"
    default_language: str = "en"
    retention_years: int | None = Field(
        default=None, ge=1, le=100,
        description="the bank's own retention limit: `duebot retention purge` anonymises a "
                    "closed case this many years after its last collection activity (never "
                    "before its profile's legal minimum); unset: nothing is purged")

    # --- web
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="URL providers call back on (signatures)"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    previous_secret_keys: SecretStr | None = Field(
        default=None,
        description="comma-separated secret keys used before secret_key (key rotation): "
                    "unsubscribe links minted with them keep working")

    # --- sms: Twilio (configured when account sid + auth token are set)
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str | None = Field(
        default=None, description="override https://api.twilio.com (tests, compatible gateways)"
    )

    # --- email: SMTP out, SMTP listener / IMAP in
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: str = Field(default="starttls", description="starttls, implicit or none")
    smtp_validate_certs: bool = True
    email_from: str = "collections@example.com"
    email_reply_domain: str | None = Field(
        default=None, description="replies go to reply+TOKEN@this domain"
    )
    inbound_smtp_host: str | None = None
    inbound_smtp_port: int = 2525
    imap_host: str | None = None
    imap_port: int = 993
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_poll_seconds: int = 60

    # --- chat: Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str | None = None
    telegram_api_base: str | None = Field(
        default=None, description="override https://api.telegram.org/bot (tests, local Bot API)"
    )
    telegram_webhook_secret: SecretStr | None = None
    telegram_verification: str = Field(
        default="dob", description="dob (date of birth) or id_last4"
    )

    # --- logs
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: str = Field(default="text", description="text, or json: one object a line")

    # --- campaigns / runners
    campaign_dir: Path = Field(default=Path("campaigns"), description="YAML campaign files")
    template_dir: Path | None = Field(default=None, description="override shipped templates")
    tick_minutes: int = 5
    worker_batch: int = Field(default=100, ge=1)
    worker_concurrency: int = Field(default=8, ge=1)
    worker_lease_seconds: int = Field(
        default=60, ge=3,
        description="how long a worker's claim on a message lasts; renewed every third "
                    "of it while the worker lives")
    smtp_rate: float | None = Field(
        default=None, gt=0, description="emails per second per worker process (default 5)")
    smtp_connections: int = Field(
        default=4, ge=1, le=100,
        description="SMTP connections a worker process sends over concurrently")
    twilio_rate: float | None = Field(
        default=None, gt=0,
        description="SMS per second per sender (number or messaging service), shared by "
                    "every worker process (default 10)")
    telegram_rate: float | None = Field(
        default=None, gt=0,
        description="Telegram messages per second per worker process (default 25)")
    leader_poll_seconds: float = Field(
        default=2.0, gt=0,
        description="how often a standby scheduler or receiver tries to take over, and "
                    "how often the leader checks that it still holds its lock")
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="where `worker`, `scheduler` and `receive` serve /metrics (unset: "
                    "not served; `serve` and `run` serve it on the web port)")
    campaign_two_person_approval: bool = Field(
        default=False, description="a campaign version must be approved by another person "
                                   "than the one who imported it")

    # --- accounts
    session_hours: int = Field(default=12, ge=1, le=24 * 30,
                               description="how long a console login lasts")
    login_max_failures: int = Field(default=5, ge=1, le=1000,
                                    description="failed logins allowed per user name and "
                                                "per client address in the window")
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    trusted_proxy: bool = Field(
        default=False,
        description="the web server is behind a proxy that sets X-Forwarded-Proto: the "
                    "console's session cookie is Secure when that header says https")
    console_poll_seconds: int = Field(
        default=3, ge=2, le=5,
        description="how often an open console inbox asks the server for changes")
    plan_workers: int = Field(
        default=0, ge=0,
        description="processes planning each tick; 0: one per CPU core once the open "
                    "cases span 20,000 ids or more, else 1")

    @field_validator("jurisdiction")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        from bot.policy.profiles import PROFILES

        if value not in PROFILES:
            raise ValueError(f"unknown compliance profile; use one of {', '.join(PROFILES)}")
        return value

    @field_validator("telegram_verification")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in ("dob", "id_last4"):
            raise ValueError("use dob or id_last4")
        return value

    @field_validator("smtp_tls")
    @classmethod
    def _known_tls(cls, value: str) -> str:
        if value not in ("starttls", "implicit", "none"):
            raise ValueError("use starttls, implicit or none")
        return value

    def secret_keys(self) -> list[str]:
        """The current secret key first, then the previous ones (key rotation)."""
        previous = self.previous_secret_keys.get_secret_value() if self.previous_secret_keys \
            else ""
        return [self.secret_key.get_secret_value(),
                *(k.strip() for k in previous.split(",") if k.strip())]

    @property
    def brand(self) -> Brand:
        """The values templates print about the organisation (a plain value object)."""
        return Brand(brand_name=self.brand_name, support_phone=self.support_phone,
                     support_email=self.support_email, pay_url=self.pay_url,
                     verify_method=self.telegram_verification)


def read_settings(environ: Mapping[str, str] | None = None,
                  env_file: Path | None = ENV_FILE) -> SettingsValues:
    """The settings as :class:`bot.settings.Settings` reads them: each from its
    ``DUEBOT_`` variable (any case) in ``environ`` (default: the process's), else from
    ``env_file`` (parsed by python-dotenv, as pydantic-settings does), else its default;
    a bad value raises pydantic's ``ValidationError``."""
    found: dict[str, Any] = {}
    sources: list[dict[str, str | None]] = [
        {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}]
    if env_file is not None:
        path = env_file.expanduser()
        if path.is_file() or path.is_fifo():
            from dotenv import dotenv_values

            sources.append({k.lower(): v for k, v in
                            dotenv_values(path, encoding="utf-8").items()})
    prefix = PREFIX.lower()
    for name in SettingsValues.model_fields:
        for source in sources:
            value = source.get(prefix + name)
            if value is not None:
                found[name] = value
                break
    return SettingsValues(**found)
