"""Telegram in through the webhook route (secret-token header), out through the fake Bot API.

A chat linked through the deep-link onboarding is verified: detail may be shown there.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from channels.telegram.webhook import WEBHOOK_PATH
from tests.services.end_to_end.world import assert_discloses_nothing, world

CHAT = 424242101


async def test_a_verified_chat_gets_the_balance(sqlite_engine: Engine, clock: FixedClock
                                               ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        await w.chat(CHAT, "how much do I owe?")
        await w.dispatch()
        [text] = w.chat_to(CHAT)
        assert "$1,000.00" in text and "****1001" in text


async def test_an_unverified_chat_must_verify_first(sqlite_engine: Engine, clock: FixedClock
                                                   ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT, chat_verified=False)
        await w.chat(CHAT, "how much do I owe?")
        await w.dispatch()
        [prompt] = w.chat_to(CHAT)
        assert_discloses_nothing(prompt, "ACC-1001", "1001", "1,000")
        assert "date of birth" in prompt
        await w.chat(CHAT, "May 17, 1980")
        await w.dispatch()
        assert "$1,000.00" in w.chat_to(CHAT)[1]
        cp = w.case().contact(ChannelKind.TELEGRAM, str(CHAT))
        assert cp is not None and cp.verified


async def test_hardship_in_chinese_picks_a_plan_with_a_short_answer(sqlite_engine: Engine,
                                                                    clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT, language="zh", currency="CNY", timezone="Asia/Shanghai")
        await w.chat(CHAT, "我失业了还不起")
        await w.dispatch()
        [plans] = w.chat_to(CHAT)
        assert "分 3 期，每月 ¥333.34" in plans and "分 6 期" in plans
        await w.chat(CHAT, "6期")
        await w.dispatch()
        promises = w.case().pending_promises()
        assert len(promises) == 6
        assert [p.due for p in promises][:2] == [date(2026, 12, 8), date(2027, 1, 8)]
        confirmed = w.chat_to(CHAT)[1]
        assert "谢谢" in confirmed and "¥166.67" in confirmed
        assert w.event_types().count("PromiseMade") == 6


async def test_a_counter_offer_shows_terms_and_yes_confirms(sqlite_engine: Engine,
                                                            clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        await w.chat(CHAT, "I will pay 2000 on friday")
        await w.dispatch()
        [offer] = w.chat_to(CHAT)
        assert "$1,000.00" in offer and "Dec 4, 2026" in offer and "YES" in offer
        await w.chat(CHAT, "yes")
        await w.dispatch()
        [promise] = w.case().pending_promises()
        assert (promise.amount_minor, promise.due) == (100_000, date(2026, 12, 4))


async def test_stop_command_confirms_once_in_band(sqlite_engine: Engine, clock: FixedClock
                                                 ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        await w.chat(CHAT, "/stop", message_id=77)
        await w.chat(CHAT, "/stop", message_id=77)  # Telegram redelivers
        await w.chat(CHAT, "/stop", message_id=78)
        await w.dispatch()
        [text] = w.chat_to(CHAT)
        assert "no more messages in this chat" in text
        assert w.event_types().count("OptedOut") == 1


async def test_an_unknown_chat_gets_a_neutral_answer(sqlite_engine: Engine, clock: FixedClock
                                                    ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        await w.chat(999001, "hi, what is this about? do I owe you money?")
        await w.dispatch()
        [text] = w.chat_to(999001)
        assert_discloses_nothing(text, "ACC-1001", "1,000", "Jordan")
        assert w.kinds(None) == ["unknown_sender"]


async def test_a_forged_telegram_update_is_refused(sqlite_engine: Engine, clock: FixedClock
                                                  ) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        before = w.counts()
        response = await w.http.post(WEBHOOK_PATH, json={"update_id": 1},
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert response.status_code == 403
        assert w.counts() == before


async def test_the_same_update_twice_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    async with world(engine, clock) as w:
        w.seed(phone=None, chat=CHAT)
        await w.chat(CHAT, "this is not my debt", message_id=501)
        await w.dispatch()
        once, events = w.counts(), w.events()
        await w.chat(CHAT, "this is not my debt", message_id=501)
        await w.dispatch()
        assert w.counts() == once and w.events() == events
        assert len(w.chat_to(CHAT)) == 1
        assert w.kinds() == ["dispute"]
