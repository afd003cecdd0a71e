"""Deep-link onboarding across the real pieces: the onboarding service behind a small
application sink, the Telegram channel, and the fake Bot API the customer "talks" through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ContactSignal,
    InboundEvent,
    InboundMessage,
    SignalKind,
    SinkResult,
)
from bot.domain.verification import VerificationMethod
from bot.services.chat_linking import ChatOnboarding, Outcome
from storage.memory.chat_links import MemoryChatLinkStore
from tests.channels.harness_telegram import TelegramHarness, telegram_harness
from tests.peers.telegram_api import text_update

CASE = "CASE-2026-004711"
CUSTOMER = 61000001
STRANGER = 61000002


class Identities:
    def expected_answer(self, case_ref: str, method: VerificationMethod) -> str | None:
        return "1985-11-30" if case_ref == CASE and method is VerificationMethod.DOB else None


class OnboardingApp:
    """The slice of the application that routes Telegram events to the onboarding service."""

    def __init__(self, onboarding: ChatOnboarding, clock: FixedClock) -> None:
        self.onboarding = onboarding
        self.clock = clock
        self.outcomes: list[Outcome] = []
        self.human_queue: list[str] = []
        self.conversation: list[InboundMessage] = []

    async def accept(self, event: InboundEvent) -> SinkResult:
        now = self.clock.now()
        if isinstance(event, ContactSignal) and event.kind is SignalKind.LINK_REQUEST:
            prompt = self.onboarding.on_link_request(event.address, event.detail, now)
            return SinkResult(replies=[prompt.text])
        if isinstance(event, InboundMessage):
            if self.onboarding.awaiting_answer(event.sender, now):
                outcome = self.onboarding.on_answer(event.sender, event.text, now)
                self.outcomes.append(outcome)
                if outcome.needs_human and outcome.case_ref:
                    self.human_queue.append(outcome.case_ref)
                return SinkResult(replies=[outcome.text])
            self.conversation.append(event)
        return SinkResult()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def store() -> MemoryChatLinkStore:
    return MemoryChatLinkStore()


@pytest.fixture
def app(store: MemoryChatLinkStore, clock: FixedClock) -> OnboardingApp:
    return OnboardingApp(ChatOnboarding(store, Identities()), clock)


@pytest.fixture
async def tg(clock: FixedClock) -> AsyncIterator[TelegramHarness]:
    async with telegram_harness(clock=clock) as h:
        yield h


class Customer:
    """Types into a private chat with the bot; each message is a fresh update."""

    def __init__(self, tg: TelegramHarness, app: OnboardingApp, chat_id: int) -> None:
        self.tg, self.app, self.chat_id = tg, app, chat_id

    async def says(self, text: str) -> list[str]:
        before = len(self.tg.peer.sent)
        update = text_update(
            self.chat_id,
            text,
            update_id=self.tg.peer.next_update_id(),
            message_id=self.tg.peer.next_message_id(),
        )
        await self.tg.channel.handle_update(update, self.app)
        new = self.tg.peer.sent[before:]
        assert all(m.chat_id == self.chat_id for m in new)
        return [m.text for m in new]


def start_param(url: str) -> str:
    return parse_qs(urlsplit(url).query)["start"][0]


async def test_deep_link_verification_links_the_chat(
    tg: TelegramHarness, app: OnboardingApp, store: MemoryChatLinkStore, clock: FixedClock
) -> None:
    assert tg.channel.bot_username is not None
    url = app.onboarding.issue_link(CASE, tg.channel.bot_username, clock.now())
    assert url.startswith("https://t.me/duebot_test_bot?start=")
    customer = Customer(tg, app, CUSTOMER)

    [question] = await customer.says(f"/start {start_param(url)}")
    assert "date of birth" in question
    assert CASE not in question and "4711" not in question
    assert store.linked_cases(str(CUSTOMER)) == ()

    clock.advance(timedelta(minutes=2))
    [retry] = await customer.says("30/12/1985")
    assert "2 attempts left" in retry
    [linked] = await customer.says("30.11.1985")
    assert "verified" in linked
    assert store.linked_cases(str(CUSTOMER)) == (CASE,)

    # after the link, messages are ordinary conversation
    assert await customer.says("How much do I owe?") == []
    assert [m.text for m in app.conversation] == ["How much do I owe?"]
    # and the link cannot be used again, by anyone
    [refused] = await Customer(tg, app, STRANGER).says(f"/start {start_param(url)}")
    assert "no longer valid" in refused


async def test_three_failures_lock_and_queue_a_person(
    tg: TelegramHarness, app: OnboardingApp, store: MemoryChatLinkStore, clock: FixedClock
) -> None:
    url = app.onboarding.issue_link(CASE, "duebot_test_bot", clock.now())
    stranger = Customer(tg, app, STRANGER)
    await stranger.says(f"/start {start_param(url)}")
    await stranger.says("01/01/1970")
    await stranger.says("02/01/1970")
    [locked] = await stranger.says("03/01/1970")
    assert "locked" in locked
    assert app.human_queue == [CASE]
    assert store.chat_locked(str(STRANGER))
    # even the right answer now changes nothing
    await stranger.says("30/11/1985")
    assert store.linked_cases(str(STRANGER)) == ()
    # and the real customer needs a fresh link: this one is dead
    [refused] = await Customer(tg, app, CUSTOMER).says(f"/start {start_param(url)}")
    assert "no longer valid" in refused


async def test_expired_link_is_refused(
    tg: TelegramHarness, app: OnboardingApp, clock: FixedClock
) -> None:
    url = app.onboarding.issue_link(CASE, "duebot_test_bot", clock.now())
    clock.advance(timedelta(days=8))
    [refused] = await Customer(tg, app, CUSTOMER).says(f"/start {start_param(url)}")
    assert "no longer valid" in refused
