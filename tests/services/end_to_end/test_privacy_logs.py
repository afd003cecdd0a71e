"""No full phone number, email address, account number or message body in the logs,
whatever a conversation goes through (SMS, email, Telegram; DEBUG level, every logger)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from tests.services.end_to_end.world import world

PHONE = "+14155550101"
EMAIL = "jordan@example.org"
CHAT = 987654321
BODIES = ("I lost my job, can I get a payment plan", "please stop texting me",
          "how much do I owe", "I will pay 200 on December 10", "17/05/1980")


async def test_conversations_leave_no_personal_data_in_logs(
        sqlite_engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with world(sqlite_engine, clock) as w:
        w.seed("ACC-1001", phone=PHONE, email=EMAIL, chat=CHAT, chat_verified=False)
        await w.sms(PHONE, BODIES[3])
        await w.email(EMAIL, BODIES[0])
        await w.chat(CHAT, BODIES[2])
        await w.chat(CHAT, BODIES[4])
        await w.sms(PHONE, BODIES[1])
        await w.dispatch()
        await w.sms("+14155550199", "who is this?")  # unknown sender
        await w.dispatch()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the flow logs something (otherwise this test proves nothing)"
    for secret in (PHONE, "4155550101", EMAIL, str(CHAT), "ACC-1001", "+14155550199",
                   *BODIES):
        assert secret not in text, f"{secret!r} leaked into the logs"
