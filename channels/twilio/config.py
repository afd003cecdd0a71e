"""How Twilio SMS is configured (``DUEBOT_TWILIO_*``): plain setting values in, a frozen
config out. Configured when the account SID and the auth token are both set."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.services.ports import ChannelConfigError
from channels.setting_values import SettingValues, rate_setting, secret_setting


@dataclass(frozen=True)
class TwilioConfig:
    """The account, the sender and where Twilio calls back (``public_url``)."""

    account_sid: str
    auth_token: SecretStr
    from_number: str | None
    messaging_service_sid: str | None
    public_url: str
    api_base: str | None
    #: messages per second per process (``DUEBOT_TWILIO_RATE``); None: the channel's default
    rate: float | None = None

    @staticmethod
    def configured(values: SettingValues) -> bool:
        return bool(values.get("twilio_account_sid") and values.get("twilio_auth_token"))

    @classmethod
    def from_values(cls, values: SettingValues) -> TwilioConfig:
        token = secret_setting(values, "twilio_auth_token")
        if not values.get("twilio_account_sid") or token is None:
            raise ChannelConfigError(
                "Twilio is not configured: set twilio_account_sid (DUEBOT_TWILIO_ACCOUNT_SID) "
                "and twilio_auth_token (DUEBOT_TWILIO_AUTH_TOKEN)"
            )
        return cls(
            account_sid=values["twilio_account_sid"],
            auth_token=token,
            from_number=values["twilio_from_number"],
            messaging_service_sid=values["twilio_messaging_service_sid"],
            public_url=values["public_url"],
            api_base=values["twilio_api_base"],
            rate=rate_setting(values, "twilio_rate"),
        )
