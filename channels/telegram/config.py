"""How Telegram is configured (``DUEBOT_TELEGRAM_*``): plain setting values in, a frozen
config out. Configured when the bot token is set."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.services.ports import ChannelConfigError
from channels.setting_values import SettingValues, rate_setting, secret_setting


@dataclass(frozen=True)
class TelegramConfig:
    """The bot, where its Bot API is, and how updates reach us."""

    token: SecretStr
    api_base: str | None
    public_url: str
    webhook_secret: SecretStr | None
    #: messages per second per process (``DUEBOT_TELEGRAM_RATE``); None: the channel's
    #: default
    rate: float | None = None

    @staticmethod
    def configured(values: SettingValues) -> bool:
        return values.get("telegram_bot_token") is not None

    @classmethod
    def from_values(cls, values: SettingValues) -> TelegramConfig:
        token = secret_setting(values, "telegram_bot_token")
        if token is None:
            raise ChannelConfigError("Telegram: DUEBOT_TELEGRAM_BOT_TOKEN is not set")
        return cls(
            token=token,
            api_base=values["telegram_api_base"],
            public_url=values["public_url"],
            webhook_secret=secret_setting(values, "telegram_webhook_secret"),
            rate=rate_setting(values, "telegram_rate"),
        )

    @property
    def polling(self) -> bool:
        """Webhook mode when Telegram can reach us (an ``https`` public URL) and a webhook
        secret is set; otherwise polling."""
        return not (self.public_url.startswith("https://") and self.webhook_secret is not None)
