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


def test_each_channels_rate_comes_from_its_setting() -> None:
    from bot.bootstrap import bootstrap
    from bot.domain.clock import SystemClock
    from bot.domain.messages import ChannelKind
    from channels.email.smtp import SmtpEmailChannel
    from channels.telegram.chat import TelegramChatChannel
    from channels.twilio.sms import TwilioSmsChannel

    real = dict(smtp_host="127.0.0.1", smtp_tls="none", twilio_account_sid="AC" + "0" * 32,
                twilio_auth_token="t" * 32, twilio_from_number="+14155550100",
                telegram_bot_token="123456:" + "A" * 35)
    defaults = Settings(_env_file=None, **real)  # type: ignore[call-arg]
    tuned = Settings(_env_file=None, smtp_rate=250, twilio_rate=0.5,  # type: ignore[call-arg]
                     telegram_rate=12, **real)
    built = bootstrap(defaults, memory=True, clock=SystemClock()).channels
    assert [built[k].rate_per_sec for k in ChannelKind] == [
        TwilioSmsChannel.rate_per_sec, SmtpEmailChannel.rate_per_sec,
        TelegramChatChannel.rate_per_sec]
    c = bootstrap(tuned, memory=True, clock=SystemClock())
    assert {k.value: ch.rate_per_sec for k, ch in c.channels.items()} == {
        "sms": 0.5, "email": 250.0, "telegram": 12.0}
    # the dispatcher's token buckets follow
    assert {k.value: b.rate for k, b in c.dispatcher.limiters.items()} == {
        "sms": 0.5, "email": 250.0, "telegram": 12.0}
    assert SmtpEmailChannel.rate_per_sec == 5.0  # the class default is left alone


def test_a_rate_must_be_a_positive_number() -> None:
    import pytest
    from pydantic import ValidationError

    from bot.services.ports import ChannelConfigError
    from channels.setting_values import rate_setting

    for bad in (0, -1, "fast", float("nan"), float("inf")):
        with pytest.raises(ChannelConfigError, match="DUEBOT_SMTP_RATE"):
            rate_setting({"smtp_rate": bad}, "smtp_rate")
    assert rate_setting({"smtp_rate": "2.5"}, "smtp_rate") == 2.5
    assert rate_setting({}, "smtp_rate") is None
    with pytest.raises(ValidationError, match="smtp_rate"):
        Settings(_env_file=None, smtp_rate=0)  # type: ignore[call-arg]
