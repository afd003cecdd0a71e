"""``Channel.verify``: each real channel checks its settings with its provider (the
loopback peers) without sending anything; what the provider refuses, or an unreachable
provider, is a ``ChannelConfigError`` naming the setting."""

from __future__ import annotations

import socket

import pytest

from bot.services.ports import ChannelConfigError
from channels.email.smtp import SmtpEmailChannel
from channels.sandbox import SandboxChannel
from channels.telegram.chat import TelegramChatChannel
from channels.twilio.sms import TwilioSmsChannel
from storage.memory.sandbox import MemorySandboxStore
from tests.channels.harness_email import FROM_ADDRESS, SMTP_PASSWORD, SMTP_USER
from tests.peers.smtp_server import SmtpPeer
from tests.peers.telegram_api import FakeTelegramBotAPI
from tests.peers.twilio_api import TwilioApiPeer


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtp(peer: SmtpPeer | None, password: str = SMTP_PASSWORD, **kw: object) -> SmtpEmailChannel:
    return SmtpEmailChannel(host="127.0.0.1", port=peer.port if peer else closed_port(),
                            tls="starttls", username=SMTP_USER, password=password,
                            ca_file=peer.ca_file if peer else None, from_address=FROM_ADDRESS,
                            timeout=5, **kw)  # type: ignore[arg-type]


async def test_smtp_logs_in_and_sends_nothing() -> None:
    async with SmtpPeer(tls="starttls", users={SMTP_USER: SMTP_PASSWORD}) as peer:
        await smtp(peer).verify()
        with pytest.raises(ChannelConfigError, match=r"refused our login.*DUEBOT_SMTP_PASSWORD"):
            await smtp(peer, password="wrong-password").verify()
        assert peer.messages == [] and peer.connections == 2 and peer.auth_failures >= 1
    async with SmtpPeer(tls="none") as plain:  # we ask for STARTTLS, it has none
        with pytest.raises(ChannelConfigError, match="DUEBOT_SMTP_TLS"):
            await SmtpEmailChannel(host="127.0.0.1", port=plain.port, tls="starttls",
                                   from_address=FROM_ADDRESS, timeout=5).verify()
    with pytest.raises(ChannelConfigError, match=r"cannot connect.*DUEBOT_SMTP_HOST"):
        await smtp(None).verify()


async def test_twilio_fetches_its_account_and_sends_nothing() -> None:
    async with TwilioApiPeer() as peer:
        def channel(token: str = peer.auth_token, sid: str = peer.account_sid
                    ) -> TwilioSmsChannel:
            return TwilioSmsChannel(account_sid=sid, auth_token=token,
                                    from_number="+14155550100", api_base=peer.base_url)
        await channel().verify()
        with pytest.raises(ChannelConfigError, match=r"refused.*DUEBOT_TWILIO_AUTH_TOKEN"):
            await channel(token="0" * 32).verify()
        assert peer.messages == []
        assert [(r.method, r.answered) for r in peer.requests] == [("GET", 200), ("GET", 401)]
        base = peer.base_url
    with pytest.raises(ChannelConfigError, match=r"cannot reach Twilio at 127\.0\.0\.1"):
        await TwilioSmsChannel(account_sid="AC" + "1" * 32, auth_token="t" * 32,
                               from_number="+14155550100", api_base=base).verify()


async def test_telegram_asks_who_it_is() -> None:
    async with FakeTelegramBotAPI() as peer:
        await TelegramChatChannel(peer.token, api_base=peer.api_base).verify()
        assert peer.calls == ["getMe"] and peer.sent == []


async def test_the_sandbox_has_nothing_to_check() -> None:
    from bot.domain.messages import ChannelKind

    await SandboxChannel(ChannelKind.SMS, MemorySandboxStore()).verify()
