"""Inviting a customer to Telegram, on the in-memory backend."""

from __future__ import annotations

import pytest

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.services.chat_invites import InviteError, invite_to_chat
from tests.services.app import memory_app
from tests.world import local_today, make_case

EMAIL = "jordan@example.com"


async def test_an_invitation_carries_a_one_time_link_and_goes_once_a_day(
        clock: FixedClock) -> None:
    app = memory_app(clock, telegram_bot_username="AcmeBankBot")
    app.add(make_case("ACC-1", 10, local_today(clock), email=EMAIL))
    c = app.c
    with c.uow() as uow:
        mid = invite_to_chat(uow, c.onboarding, c.reply_texts, "ACC-1", "collector:ann",
                             c.settings.telegram_bot_username)
    assert mid is not None
    with c.uow() as uow:
        again = invite_to_chat(uow, c.onboarding, c.reply_texts, "ACC-1", "collector:ann",
                               c.settings.telegram_bot_username)
    assert again is None
    [sent] = await app.delivered()
    assert sent.channel is ChannelKind.EMAIL and sent.address == EMAIL
    link = next(w for w in sent.body.split() if w.startswith("https://t.me/AcmeBankBot?start="))
    token = link.rsplit("=", 1)[1]
    prompt = c.onboarding.on_link_request("777000", token, clock.now())
    assert "date of birth" in prompt.text  # the link works, and asks who is there first


def test_an_invitation_needs_a_bot_and_an_address(clock: FixedClock) -> None:
    app = memory_app(clock)
    app.add(make_case("ACC-1", 10, local_today(clock), phone=None))
    c = app.c
    with c.uow() as uow, pytest.raises(InviteError, match="DUEBOT_TELEGRAM_BOT_USERNAME"):
        invite_to_chat(uow, c.onboarding, c.reply_texts, "ACC-1", "ann", None)
    with c.uow() as uow, pytest.raises(InviteError, match="no usable"):
        invite_to_chat(uow, c.onboarding, c.reply_texts, "ACC-1", "ann", "AcmeBankBot")
