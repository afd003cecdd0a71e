"""Telegram messages carry pay / promise / talk-to-a-person buttons; presses parse right."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from bot.bootstrap import bootstrap
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    InboundEvent,
    OutboundMessage,
)
from bot.domain.outbox import outbox_message
from bot.replies.model import Intent
from bot.replies.parser import parse_reply
from bot.services.dispatch import CONFIRMATION
from bot.services.outbound import quick_replies_for
from bot.services.ports import Channel
from storage.message_log import enqueue
from tests.world import settings_for


class RecordingChat(Channel):
    kind = ChannelKind.TELEGRAM
    name = "recording-chat"
    max_body_len = 4096
    rate_per_sec = 1000.0

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        self.sent.append(outbound)
        return DeliveryResult.accepted(f"tg-{len(self.sent)}")

    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        return []


async def test_chat_messages_get_buttons_but_confirmations_do_not(sqlite_engine, clock):
    chat = RecordingChat()
    container = bootstrap(settings_for(sqlite_engine), engine=sqlite_engine, clock=clock,
                          channels={ChannelKind.TELEGRAM: chat})
    now = clock.now()
    with sqlite_engine.begin() as conn:
        enqueue(conn, [
            outbox_message(case_id=None, contact_point_id=None, channel="telegram",
                       address="123456", body="hello", subject=None, idempotency_key=key,
                       now=now, purpose=purpose, lang=lang)
            for key, purpose, lang in (("a", CONFIRMATION, "en"), ("b", "reply", "zh"))])
    await container.dispatcher.drain()
    by_body = {m.idempotency_key: m for m in chat.sent}
    assert by_body["a"].quick_replies == ()
    assert [q.label for q in by_body["b"].quick_replies] == ["如何还款", "约定还款日期", "转人工"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_button_payloads_read_as_question_promise_and_callback(lang):
    now = datetime.fromisoformat("2026-11-25T14:05:00+08:00")
    intents = [parse_reply(q.payload, now, lang=lang).intent for q in quick_replies_for(lang)]
    assert intents == [Intent.QUESTION, Intent.PROMISE_TO_PAY, Intent.CALLBACK]
