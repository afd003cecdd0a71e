"""Polling mode: PTB's updater long-polls the fake Bot API's getUpdates and every update
goes through the same translation into the sink."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.domain.messages import ContactSignal, InboundMessage, SignalKind
from tests.channels.harness_telegram import CUSTOMER_CHAT, RecordingSink, telegram_harness
from tests.peers.telegram_api import callback_update, member_update, text_update


async def test_polling_delivers_updates_to_the_sink(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sink = RecordingSink(reply=lambda e: ["Thanks."] if isinstance(e, InboundMessage) else [])
    async with telegram_harness(polling=True, sink=sink, poll_timeout=5) as h:
        assert "deleteWebhook" in h.peer.calls  # PTB's bootstrap clears any webhook
        # pushed while the updater is blocked in a long poll: must arrive without waiting
        # for the poll timeout
        started = asyncio.get_running_loop().time()
        await h.peer.push_update(
            text_update(CUSTOMER_CHAT, "Can I pay next week?", update_id=101, message_id=7)
        )
        [event] = await sink.wait_for(1)
        assert asyncio.get_running_loop().time() - started < 2
        assert isinstance(event, InboundMessage)
        assert (event.sender, event.text, event.provider_id) == (
            str(CUSTOMER_CHAT),
            "Can I pay next week?",
            f"{CUSTOMER_CHAT}:7",
        )

        await h.peer.push_update(
            text_update(-100999, "group chatter", update_id=102, message_id=8, chat_type="group")
        )
        await h.peer.push_update(
            callback_update(CUSTOMER_CHAT, "pay", update_id=103, callback_id="cq-1", message_id=1)
        )
        await h.peer.push_update(text_update(CUSTOMER_CHAT, "/stop", update_id=104, message_id=9))
        await h.peer.push_update(member_update(CUSTOMER_CHAT, "kicked", update_id=105))
        events = await sink.wait_for(4)
        assert [type(e).__name__ for e in events] == [
            "InboundMessage",
            "InboundMessage",
            "ContactSignal",
            "ContactSignal",
        ]
        assert isinstance(events[1], InboundMessage) and events[1].text == "pay"
        assert [e.kind for e in events[2:] if isinstance(e, ContactSignal)] == [
            SignalKind.OPT_OUT,
            SignalKind.OPT_OUT,
        ]
        # in-band replies went out for the two messages, the button press was answered
        async with asyncio.timeout(2):
            while len(h.peer.sent) < 2 or not h.peer.answered_callbacks:
                await asyncio.sleep(0.01)
        assert [m.text for m in h.peer.sent] == ["Thanks.", "Thanks."]
        assert h.peer.answered_callbacks == ["cq-1"]

    # stopping confirmed every fetched update: a restart would not see them again
    assert h.peer.pending_updates == []
    # PTB logs whole updates and results at DEBUG: none of it may reach the log
    assert "Processing update" in caplog.text
    assert "Can I pay next week?" not in caplog.text and "Thanks." not in caplog.text
    assert h.peer.token.split(":")[1] not in caplog.text


async def test_polling_stops_quickly_while_a_long_poll_is_open() -> None:
    sink = RecordingSink()
    loop = asyncio.get_running_loop()
    async with telegram_harness(polling=True, sink=sink, poll_timeout=30) as h:
        async with asyncio.timeout(2):
            while h.peer.calls.count("getUpdates") < 1:
                await asyncio.sleep(0.01)
        started = loop.time()
        await h.channel.aclose()
        assert loop.time() - started < 2
        assert not h.channel.running
