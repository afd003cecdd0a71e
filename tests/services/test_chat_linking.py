"""Deep-link onboarding: tokens, verification, locking (in-memory store, injected time)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.verification import LinkToken, VerificationMethod
from bot.services.chat_linking import ChatOnboarding, OutcomeKind, PromptKind, parse_date_answer
from storage.memory.chat_links import MemoryChatLinkStore

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
BOT = "duebot_test_bot"
CASE = "CASE-2026-000123"
CHAT = "5550001"
OTHER_CHAT = "5550002"


class Identities:
    """An in-memory identity source: what the customer record says."""

    def __init__(self, answers: dict[tuple[str, VerificationMethod], str]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, VerificationMethod]] = []

    def expected_answer(self, case_ref: str, method: VerificationMethod) -> str | None:
        self.asked.append((case_ref, method))
        return self.answers.get((case_ref, method))


@pytest.fixture
def store() -> MemoryChatLinkStore:
    return MemoryChatLinkStore()


@pytest.fixture
def identities() -> Identities:
    return Identities(
        {
            (CASE, VerificationMethod.DOB): "1990-05-17",
            (CASE, VerificationMethod.ID_LAST4): "AB 12-34 5678",
        }
    )


@pytest.fixture
def onboarding(store: MemoryChatLinkStore, identities: Identities) -> ChatOnboarding:
    return ChatOnboarding(store, identities)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["start"][0]


def test_issued_link_is_a_telegram_deep_link_with_an_opaque_token(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    url = onboarding.issue_link(CASE, "@" + BOT, NOW)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", f"/{BOT}")
    token = token_of(url)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    assert len(token) >= 32
    assert CASE not in url and "123" not in token
    record = store.get_token(token)
    assert record is not None
    assert record.case_ref == CASE
    assert record.expires_at == NOW + timedelta(days=7)
    assert record.chat_id is None and record.open


def test_tokens_are_unique(onboarding: ChatOnboarding) -> None:
    tokens = {token_of(onboarding.issue_link(CASE, BOT, NOW)) for _ in range(200)}
    assert len(tokens) == 200


@pytest.mark.parametrize("username", ["", "x", "not a bot", "duebot_helper", "a" * 40 + "bot"])
def test_bad_bot_username_is_refused(onboarding: ChatOnboarding, username: str) -> None:
    with pytest.raises(ValueError, match="bot_username"):
        onboarding.issue_link(CASE, username, NOW)


def test_naive_time_is_refused(onboarding: ChatOnboarding) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        onboarding.issue_link(CASE, BOT, datetime(2026, 12, 1, 15, 0))


def test_unknown_method_names_the_setting(store: MemoryChatLinkStore) -> None:
    with pytest.raises(ValueError, match="DUEBOT_TELEGRAM_VERIFICATION"):
        ChatOnboarding(store, Identities({}), method="passport")


def test_link_request_asks_the_question_and_reveals_nothing(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore, identities: Identities
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    prompt = onboarding.on_link_request(CHAT, token, NOW + timedelta(minutes=5))
    assert prompt.kind is PromptKind.ASK
    assert "date of birth" in prompt.text and "17/05/1990" in prompt.text
    assert CASE not in prompt.text and "debt" not in prompt.text.lower()
    assert identities.asked == []  # the expected answer is not even looked up yet
    record = store.get_token(token)
    assert record is not None and record.chat_id == CHAT
    assert store.linked_cases(CHAT) == ()  # not linked before verification
    assert onboarding.awaiting_answer(CHAT, NOW + timedelta(minutes=6))


def test_correct_date_of_birth_links_the_chat(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    outcome = onboarding.on_answer(CHAT, " 17.05.1990 ", NOW + timedelta(minutes=1))
    assert outcome.kind is OutcomeKind.LINKED
    assert outcome.case_ref == CASE
    assert CASE not in outcome.text
    assert store.linked_cases(CHAT) == (CASE,)
    record = store.get_token(token)
    assert record is not None and record.used_at == NOW + timedelta(minutes=1)
    assert not onboarding.awaiting_answer(CHAT, NOW + timedelta(minutes=2))


@pytest.mark.parametrize(
    "answer", ["1990-05-17", "17/05/1990", "17.05.1990", "17-5-1990", "17 / 05 / 1990", "1990/5/17"]
)
def test_date_formats_accepted(
    store: MemoryChatLinkStore, identities: Identities, answer: str
) -> None:
    onboarding = ChatOnboarding(store, identities)
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    assert onboarding.on_answer(CHAT, answer, NOW).kind is OutcomeKind.LINKED


def test_month_first_reading(store: MemoryChatLinkStore, identities: Identities) -> None:
    onboarding = ChatOnboarding(store, identities, day_first=False)
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    assert "05/17/1990" in onboarding.on_link_request(CHAT, token, NOW).text
    # 17 cannot be a month: unreadable, not a wrong (counted) answer
    assert onboarding.on_answer(CHAT, "17/05/1990", NOW).kind is OutcomeKind.INVALID_FORMAT
    assert onboarding.on_answer(CHAT, "05/17/1990", NOW).kind is OutcomeKind.LINKED


def test_parse_date_answer() -> None:
    assert parse_date_answer("05/06/1990") == date(1990, 6, 5)
    assert parse_date_answer("05/06/1990", day_first=False) == date(1990, 5, 6)
    assert parse_date_answer("31/02/1990") is None
    assert parse_date_answer("seventeenth of May") is None
    assert parse_date_answer("17051990") is None
    assert parse_date_answer("") is None


def test_unreadable_answer_does_not_cost_an_attempt(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    for text in ["what is this about?", "31/02/1990", ""]:
        outcome = onboarding.on_answer(CHAT, text, NOW)
        assert outcome.kind is OutcomeKind.INVALID_FORMAT
        assert "DD/MM/YYYY" in outcome.text
    record = store.get_token(token)
    assert record is not None and record.failures == 0


def test_three_wrong_answers_lock_token_and_chat(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    first = onboarding.on_answer(CHAT, "01/01/1980", NOW)
    second = onboarding.on_answer(CHAT, "02/01/1980", NOW)
    assert (first.kind, first.attempts_left) == (OutcomeKind.RETRY, 2)
    assert (second.kind, second.attempts_left) == (OutcomeKind.RETRY, 1)
    assert "1 attempts left" in second.text
    assert first.case_ref is None  # nothing about the case before verification
    third = onboarding.on_answer(CHAT, "03/01/1980", NOW)
    assert third.kind is OutcomeKind.LOCKED
    assert third.needs_human and third.case_ref == CASE  # for the human queue
    assert CASE not in third.text
    # the right answer no longer helps, and the chat cannot start over
    assert onboarding.on_answer(CHAT, "17/05/1990", NOW).kind is OutcomeKind.LOCKED
    assert store.linked_cases(CHAT) == ()
    assert store.chat_locked(CHAT)
    fresh = token_of(onboarding.issue_link(CASE, BOT, NOW))
    prompt = onboarding.on_link_request(CHAT, fresh, NOW)
    assert prompt.kind is PromptKind.LOCKED and prompt.needs_human
    # the locked token is refused to everyone
    assert onboarding.on_link_request(OTHER_CHAT, token, NOW).kind is PromptKind.REFUSED


def test_reopening_the_link_does_not_reset_failures(
    onboarding: ChatOnboarding,
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    onboarding.on_answer(CHAT, "01/01/1980", NOW)
    onboarding.on_answer(CHAT, "02/01/1980", NOW)
    assert onboarding.on_link_request(CHAT, token, NOW).kind is PromptKind.ASK
    assert onboarding.on_answer(CHAT, "03/01/1980", NOW).kind is OutcomeKind.LOCKED


def test_used_token_is_refused(onboarding: ChatOnboarding) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    assert onboarding.on_answer(CHAT, "1990-05-17", NOW).kind is OutcomeKind.LINKED
    refused = onboarding.on_link_request(CHAT, token, NOW)
    assert refused.kind is PromptKind.REFUSED
    assert onboarding.on_link_request(OTHER_CHAT, token, NOW).kind is PromptKind.REFUSED


def test_expired_token_is_refused(onboarding: ChatOnboarding) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    late = NOW + timedelta(days=7)
    assert onboarding.on_link_request(CHAT, token, late).kind is PromptKind.REFUSED
    assert onboarding.on_link_request(CHAT, token, late - timedelta(seconds=1)).kind is (
        PromptKind.ASK
    )


def test_token_expiring_while_waiting_for_the_answer(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW + timedelta(days=6))
    late = NOW + timedelta(days=8)
    assert not onboarding.awaiting_answer(CHAT, late)
    assert onboarding.on_answer(CHAT, "17/05/1990", late).kind is OutcomeKind.EXPIRED
    assert store.linked_cases(CHAT) == ()


def test_unknown_and_malformed_tokens_read_like_any_refusal(onboarding: ChatOnboarding) -> None:
    real = token_of(onboarding.issue_link(CASE, BOT, NOW))
    texts = {
        onboarding.on_link_request(CHAT, candidate, NOW).text
        for candidate in [
            "A" * 32,
            "short",
            "../../etc",
            real[:-1] + ("x" if real[-1] != "x" else "y"),
        ]
    }
    assert texts == {onboarding.texts.refused}


def test_token_opened_by_another_chat_is_refused(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore
) -> None:
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    assert onboarding.on_link_request(CHAT, token, NOW).kind is PromptKind.ASK
    assert onboarding.on_link_request(OTHER_CHAT, token, NOW).kind is PromptKind.REFUSED
    assert onboarding.on_answer(OTHER_CHAT, "17/05/1990", NOW).kind is OutcomeKind.NOT_PENDING
    assert store.linked_cases(OTHER_CHAT) == ()


def test_answer_without_a_link_request(onboarding: ChatOnboarding) -> None:
    outcome = onboarding.on_answer(CHAT, "17/05/1990", NOW)
    assert outcome.kind is OutcomeKind.NOT_PENDING
    assert not onboarding.awaiting_answer(CHAT, NOW)


def test_id_last4(store: MemoryChatLinkStore, identities: Identities) -> None:
    onboarding = ChatOnboarding(store, identities, method="id_last4")
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    prompt = onboarding.on_link_request(CHAT, token, NOW)
    assert "last four digits" in prompt.text
    assert onboarding.on_answer(CHAT, "56789", NOW).kind is OutcomeKind.INVALID_FORMAT
    assert onboarding.on_answer(CHAT, "1234", NOW).kind is OutcomeKind.RETRY
    outcome = onboarding.on_answer(CHAT, "56-78", NOW)
    assert outcome.kind is OutcomeKind.LINKED
    assert identities.asked[-1] == (CASE, VerificationMethod.ID_LAST4)


def test_nothing_on_file_hands_over_to_a_person(store: MemoryChatLinkStore) -> None:
    onboarding = ChatOnboarding(store, Identities({}))
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    outcome = onboarding.on_answer(CHAT, "17/05/1990", NOW)
    assert outcome.kind is OutcomeKind.UNVERIFIABLE
    assert outcome.needs_human and outcome.case_ref == CASE
    record = store.get_token(token)
    assert record is not None and record.failures == 0 and record.open


def test_configurable_attempts(store: MemoryChatLinkStore, identities: Identities) -> None:
    onboarding = ChatOnboarding(store, identities, max_attempts=1)
    token = token_of(onboarding.issue_link(CASE, BOT, NOW))
    onboarding.on_link_request(CHAT, token, NOW)
    assert onboarding.on_answer(CHAT, "01/01/1980", NOW).kind is OutcomeKind.LOCKED
    with pytest.raises(ValueError, match="max_attempts"):
        ChatOnboarding(store, identities, max_attempts=0)


def test_latest_link_request_is_the_pending_one(
    onboarding: ChatOnboarding, store: MemoryChatLinkStore, identities: Identities
) -> None:
    identities.answers[("CASE-2", VerificationMethod.DOB)] = "1990-05-17"
    first = token_of(onboarding.issue_link(CASE, BOT, NOW))
    second = token_of(onboarding.issue_link("CASE-2", BOT, NOW))
    onboarding.on_link_request(CHAT, first, NOW)
    onboarding.on_link_request(CHAT, second, NOW + timedelta(minutes=1))
    outcome = onboarding.on_answer(CHAT, "17/05/1990", NOW + timedelta(minutes=2))
    assert outcome.case_ref == "CASE-2"
    assert store.linked_cases(CHAT) == ("CASE-2",)


def test_memory_store_operations_are_guarded(store: MemoryChatLinkStore) -> None:
    record = LinkToken(
        token="t" * 32,
        case_ref=CASE,
        method=VerificationMethod.DOB,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    store.add_token(record)
    with pytest.raises(ValueError, match="already exists"):
        store.add_token(record)
    assert not store.complete_link(record.token, CHAT, NOW)  # not claimed by this chat
    assert store.claim_token(record.token, CHAT, NOW)
    assert not store.claim_token(record.token, OTHER_CHAT, NOW)
    assert store.record_failure(record.token, NOW) == 1
    assert store.record_failure(record.token, NOW) == 2
    assert store.complete_link(record.token, CHAT, NOW)
    assert not store.complete_link(record.token, CHAT, NOW)  # single use
    assert store.pending_token(CHAT) is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_every_date_reads_back_in_every_written_form(value: date) -> None:
    d, m, y = value.day, value.month, value.year
    for text in (value.isoformat(), f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y}", f"{d}-{m}-{y}"):
        assert parse_date_answer(text) == value
    assert parse_date_answer(f"{m}/{d}/{y}", day_first=False) == value
