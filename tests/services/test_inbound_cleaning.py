"""Inbound events are made keepable before they are stored: whatever a channel hands over,
the database never sees a NUL, a lone surrogate or an identifier too long for it, and a
retry of an odd event is still recognised."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.bootstrap import bootstrap
from bot.domain.case import Case
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    InboundMessage,
    ReceiptStatus,
    SignalKind,
)
from bot.services.inbound import MAX_EVENT_KEY, clean_event, event_key
from bot.settings import Settings

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PHONE = "+14155550101"
LONG_SID = "SM" + "f" * 298


def message(**kw: object) -> InboundMessage:
    values: dict[str, object] = {"channel": ChannelKind.SMS, "sender": PHONE,
                                 "text": "I can pay 50 on friday", "provider_id": "SM1",
                                 "received_at": NOW}
    values.update(kw)
    return InboundMessage(**values)  # type: ignore[arg-type]


def test_a_clean_event_is_left_alone() -> None:
    event = message()
    assert clean_event(event) == (event, [])


def test_text_is_cleaned_and_long_ids_are_digested() -> None:
    event, done = clean_event(message(text="pay\x00 50 \ud800", provider_id=LONG_SID,
                                      sender="+1" + "5" * 400, reply_token="x" * 90,
                                      subject="s" * 400))
    assert isinstance(event, InboundMessage)
    assert event.text == "pay 50 \ufffd"
    assert len(event.provider_id) <= 255 and event.provider_id.endswith(
        clean_event(message(provider_id=LONG_SID))[0].provider_id[-64:])
    assert len(event.sender) <= 320 and event.reply_token is None
    assert event.subject == "s" * 300
    assert [name for name, _ in done] == ["sender", "text", "provider_id", "reply_token",
                                          "subject"]
    assert all(PHONE not in why and "pay" not in why for _, why in done)


def test_receipts_and_signals_too() -> None:
    receipt, done = clean_event(DeliveryReceipt(ChannelKind.SMS, "SM1\x00", ReceiptStatus.FAILED,
                                                NOW, code="9" * 40))
    assert isinstance(receipt, DeliveryReceipt)
    assert "\x00" not in receipt.provider_id and receipt.code is None
    assert {n for n, _ in done} == {"provider_id", "code"}
    signal, _ = clean_event(ContactSignal(ChannelKind.EMAIL, "a@b.org", SignalKind.OPT_OUT,
                                          NOW, source="x\x00" * 40, detail="d\x00"))
    assert isinstance(signal, ContactSignal)
    assert signal.source == "" and signal.detail == "d"


def test_an_event_key_too_long_to_keep_is_a_digest_not_a_prefix() -> None:
    a = ContactSignal(ChannelKind.EMAIL, "a" * 300 + "@x.org", SignalKind.OPT_OUT, NOW,
                      source="s", provider_id="p" * 255)
    b = ContactSignal(ChannelKind.EMAIL, "a" * 300 + "@x.org", SignalKind.OPT_OUT, NOW,
                      source="s", provider_id="p" * 254 + "q")
    assert len(event_key(a)) <= MAX_EVENT_KEY and event_key(a) != event_key(b)
    assert event_key(message()) == "msg:sms:SM1"


async def test_an_odd_message_is_stored_once_without_its_odd_parts(
        engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = bootstrap(Settings(_env_file=None), clock=clock, engine=engine)  # type: ignore[call-arg]
    with c.uow() as uow:
        uow.cases.add(Case(account_id="ACC-1", currency="USD", balance_minor=10_000,
                           due_date=date(2026, 11, 1), customer_name="Sam Lee",
                           timezone="America/New_York",
                           contacts=[ContactPoint(ChannelKind.SMS, PHONE)]))
        uow.commit()
    odd = message(text="I can pay\x00 50 on friday", provider_id=LONG_SID)
    first = await c.inbound.accept(odd)
    again = await c.inbound.accept(odd)  # the provider's retry
    assert not first.duplicate and again.duplicate
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body, provider_id FROM message "
                                 "WHERE direction = 'in'")).all()
    assert [(body, len(pid) <= 255) for body, pid in rows] == [("I can pay 50 on friday", True)]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "text NUL removed" in logged and "provider_id longer than 255" in logged
    assert "pay" not in logged and PHONE not in logged
