"""How email is configured: SMTP out, the SMTP listener and the IMAP poller in.

Each config is read from plain setting values (:data:`channels.setting_values.SettingValues`) and
is configured on its own: outbound SMTP when ``smtp_host`` is set, the listener when
``inbound_smtp_host`` is, the poller when ``imap_host`` is. Secrets stay ``SecretStr``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.services.ports import ChannelConfigError
from channels.setting_values import SettingValues, rate_setting, secret_setting


def unsubscribe_secret(values: SettingValues) -> SecretStr:
    """The application secret keys, which seal the address in unsubscribe tokens: the
    current one, then the previous ones, comma-separated (see
    :mod:`channels.email.unsubscribe_tokens`)."""
    keys = [secret_setting(values, "secret_key"), secret_setting(values, "previous_secret_keys")]
    return SecretStr(",".join(k.get_secret_value() for k in keys if k is not None))


@dataclass(frozen=True)
class SmtpConfig:
    """Outbound email through an SMTP submission server (``DUEBOT_SMTP_*``,
    ``DUEBOT_EMAIL_*``); unsubscribe links point at ``public_url``."""

    host: str
    port: int
    username: str | None
    password: SecretStr | None
    tls: str
    validate_certs: bool
    from_address: str
    from_name: str
    reply_domain: str | None
    unsubscribe_base_url: str
    unsubscribe_secret: SecretStr
    #: messages per second per process (``DUEBOT_SMTP_RATE``); None: the channel's default
    rate: float | None = None
    #: SMTP connections used concurrently (``DUEBOT_SMTP_CONNECTIONS``); None: the
    #: channel's default
    connections: int | None = None

    @staticmethod
    def configured(values: SettingValues) -> bool:
        return bool(values.get("smtp_host"))

    @classmethod
    def from_values(cls, values: SettingValues) -> SmtpConfig:
        if not cls.configured(values):
            raise ChannelConfigError("email over SMTP needs DUEBOT_SMTP_HOST")
        return cls(
            host=values["smtp_host"],
            port=values["smtp_port"],
            username=values["smtp_username"],
            password=secret_setting(values, "smtp_password"),
            tls=values["smtp_tls"],
            validate_certs=values["smtp_validate_certs"],
            from_address=values["email_from"],
            from_name=values["brand_name"],
            reply_domain=values["email_reply_domain"],
            unsubscribe_base_url=f"{values['public_url'].rstrip('/')}/unsubscribe",
            unsubscribe_secret=unsubscribe_secret(values),
            rate=rate_setting(values, "smtp_rate"),
            connections=values.get("smtp_connections"),
        )


@dataclass(frozen=True)
class ListenerConfig:
    """The SMTP listener for a self-hosted MX (``DUEBOT_INBOUND_SMTP_*``); it accepts mail
    for the reply domain only, when one is set."""

    host: str
    port: int
    reply_domain: str | None
    unsubscribe_secret: SecretStr

    @staticmethod
    def configured(values: SettingValues) -> bool:
        return bool(values.get("inbound_smtp_host"))

    @classmethod
    def from_values(cls, values: SettingValues) -> ListenerConfig:
        if not cls.configured(values):
            raise ChannelConfigError("the SMTP listener needs DUEBOT_INBOUND_SMTP_HOST")
        return cls(
            host=values["inbound_smtp_host"],
            port=values["inbound_smtp_port"],
            reply_domain=values["email_reply_domain"],
            unsubscribe_secret=unsubscribe_secret(values),
        )


@dataclass(frozen=True)
class ImapConfig:
    """A mailbox polled for replies and bounces (``DUEBOT_IMAP_*``)."""

    host: str
    port: int
    username: str
    password: SecretStr
    poll_seconds: int
    reply_domain: str | None
    unsubscribe_secret: SecretStr

    @staticmethod
    def configured(values: SettingValues) -> bool:
        return bool(values.get("imap_host"))

    @classmethod
    def from_values(cls, values: SettingValues) -> ImapConfig:
        if not cls.configured(values):
            raise ChannelConfigError("IMAP polling needs DUEBOT_IMAP_HOST")
        return cls(
            host=values["imap_host"],
            port=values["imap_port"],
            username=values["imap_username"] or "",
            password=secret_setting(values, "imap_password") or SecretStr(""),
            poll_seconds=values["imap_poll_seconds"],
            reply_domain=values["email_reply_domain"],
            unsubscribe_secret=unsubscribe_secret(values),
        )
