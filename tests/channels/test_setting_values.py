"""Plain setting values: secrets read from them stay wrapped."""

from __future__ import annotations

from pydantic import SecretStr

from bot.settings import Settings
from channels.setting_values import secret_setting


def test_secrets_come_out_wrapped_from_settings_and_from_plain_mappings() -> None:
    dumped = Settings(_env_file=None, smtp_password="pw-1").model_dump()  # type: ignore[call-arg]
    from_settings = secret_setting(dumped, "smtp_password")
    from_plain = secret_setting({"smtp_password": "pw-1"}, "smtp_password")

    assert isinstance(from_settings, SecretStr) and isinstance(from_plain, SecretStr)
    assert from_settings.get_secret_value() == from_plain.get_secret_value() == "pw-1"
    assert "pw-1" not in repr(from_plain)
    assert secret_setting(dumped, "imap_password") is None
    assert secret_setting({}, "imap_password") is None
