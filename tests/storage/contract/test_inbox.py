"""What the console reads: the inbox over the work queue (filters, order, the case's
latest message and campaign), its facets, case summaries by hold and the parser's
reading kept with a message — the same in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.ports import PREVIEW_CHARS, InboxFilter, NewInboundMessage
from tests.storage.contract.test_unit_of_work import PHONE, add, outbox
from tests.world import local_today, make_case


def _seed(backend: Any, clock: FixedClock) -> dict[str, int]:
    today = local_today(clock)
    a, b, c = add(backend, make_case("ACC-A", 30, today, language="en"),
                  make_case("ACC-B", 40, today, phone="+14155550124", language="zh"),
                  make_case("ACC-C", 50, today, phone="+14155550125"))
    now = clock.now()
    with backend.uow() as uow:
        assert a.id and b.id and c.id
        uow.outbox.enqueue([outbox(a, "a1", clock, campaign_id="early", step_id="s1"),
                            outbox(b, "b1", clock, campaign_id="late", step_id="s1"),
                            # the bot's answer, after the customer's message
                            outbox(a, "a2", clock, now=now + timedelta(minutes=6),
                                   purpose="reply", body="Thanks")])
        uow.messages.add_inbound(NewInboundMessage(
            a.id, "sms", PHONE, "x" * 500, None, "p-a", None, now + timedelta(minutes=5)))
        ids = {
            "dispute_a": uow.work_items.add(work_item(WorkItemKind.DISPUTE, now,
                                                      case_id=a.id, detail="disputed")),
            "legal_b": uow.work_items.add(work_item(WorkItemKind.LEGAL,
                                                    now + timedelta(minutes=1), case_id=b.id)),
            "callback_c": uow.work_items.add(work_item(
                WorkItemKind.CALLBACK, now - timedelta(hours=1), case_id=c.id)),
            "hardship_a_old": uow.work_items.add(work_item(
                WorkItemKind.HARDSHIP, now - timedelta(days=1), case_id=a.id)),
            "stranger": uow.work_items.add(work_item(WorkItemKind.UNKNOWN_SENDER, now)),
        }
        done = uow.work_items.add(work_item(WorkItemKind.QUESTION, now, case_id=a.id))
        uow.work_items.close(done, "ann", now)
        case_b = uow.cases.get("ACC-B")
        assert case_b is not None
        case_b.take_over("ann", now)
        uow.commit()
    return ids


def _ids(entries: list[Any]) -> list[int]:
    return [e.item.id for e in entries]


def test_the_inbox_is_ordered_by_priority_then_waiting_time(backend: Any,
                                                            clock: FixedClock) -> None:
    ids = _seed(backend, clock)
    with backend.uow() as uow:
        entries = uow.work_items.inbox(InboxFilter())
    assert _ids(entries) == [ids["legal_b"], ids["dispute_a"], ids["callback_c"],
                             ids["hardship_a_old"], ids["stranger"]]
    by_id = {e.item.id: e for e in entries}
    a = by_id[ids["dispute_a"]]
    assert (a.item.account_id, a.customer, a.language, a.campaign_id) == (
        "ACC-A", "Jordan Example", "en", "early")
    # the customer's latest message (not the bot's later answer), its start only
    assert (a.last_direction, a.last_channel, a.last_body) == ("in", "sms",
                                                              "x" * PREVIEW_CHARS)
    assert a.last_at == clock.now() + timedelta(minutes=5)
    b = by_id[ids["legal_b"]]
    assert (b.last_direction, b.last_body, b.campaign_id, b.item.held_by) == (
        "out", "Hello", "late", "ann")
    c = by_id[ids["callback_c"]]
    assert (c.last_direction, c.campaign_id) == (None, None)
    stranger = by_id[ids["stranger"]]
    assert (stranger.item.account_id, stranger.customer, stranger.language) == (None, None,
                                                                               None)
    with backend.uow() as uow:
        assert _ids(uow.work_items.inbox(InboxFilter(), limit=2)) == [ids["legal_b"],
                                                                       ids["dispute_a"]]


def test_the_inbox_filters_by_kind_campaign_language_and_holder(backend: Any,
                                                                clock: FixedClock) -> None:
    ids = _seed(backend, clock)
    with backend.uow() as uow:
        q = uow.work_items.inbox
        assert _ids(q(InboxFilter(kinds=("dispute", "hardship")))) == [
            ids["dispute_a"], ids["hardship_a_old"]]
        assert _ids(q(InboxFilter(campaign="late"))) == [ids["legal_b"]]
        assert _ids(q(InboxFilter(language="zh"))) == [ids["legal_b"]]
        assert _ids(q(InboxFilter(holder="ann"))) == [ids["legal_b"]]
        assert _ids(q(InboxFilter(holder=InboxFilter.NOBODY))) == [
            ids["dispute_a"], ids["callback_c"], ids["hardship_a_old"], ids["stranger"]]
        assert q(InboxFilter(holder="bob")) == []
        assert _ids(q(InboxFilter(kinds=("dispute",), language="en", campaign="early",
                                  holder=InboxFilter.NOBODY))) == [ids["dispute_a"]]


def test_inbox_facets_count_open_items_by_kind(backend: Any, clock: FixedClock) -> None:
    _seed(backend, clock)
    with backend.uow() as uow:
        facets = uow.work_items.inbox_facets()
    assert facets.kinds == {"dispute": 1, "legal": 1, "callback": 1, "hardship": 1,
                            "unknown_sender": 1}
    assert facets.campaigns == ("early", "late")
    assert facets.languages == ("en", "zh")
    assert facets.holders == ("ann",)


def test_case_summaries_by_hold(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    add(backend, make_case("ACC-V", 10, today), make_case("ACC-S", 20, today,
                                                          phone="+14155550126"),
        make_case("ACC-N", 30, today, phone="+14155550127"))
    with backend.uow() as uow:
        v, s = uow.cases.get("ACC-V"), uow.cases.get("ACC-S")
        assert v is not None and s is not None
        v.place_hold(Hold.VULNERABLE, clock.now(), "collector:ann", 'said "vulnerable": yes')
        s.place_hold(Hold.BREATHING_SPACE, clock.now(), "collector:ann", "DRS",
                     until=today + timedelta(days=30))
        uow.commit()
    with backend.uow() as uow:
        found = uow.cases.summaries(holds=["vulnerable", "breathing_space"])
        assert [c.account_id for c in found] == ["ACC-S", "ACC-V"]
        assert [c.account_id for c in uow.cases.summaries(holds=["deceased"])] == []
        # a hold's name in another hold's reason is no hold
        n = uow.cases.get("ACC-N")
        assert n is not None
        n.place_hold(Hold.COMPLAINT, clock.now(), "collector:ann", '"vulnerable":')
        uow.commit()
    with backend.uow() as uow:
        assert [c.account_id for c in uow.cases.summaries(holds=["vulnerable"])] == ["ACC-V"]
        assert [c.account_id for c in uow.cases.summaries(
            statuses=["active"], holds=["complaint"])] == ["ACC-N"]


def test_the_parsers_reading_is_kept_with_the_message(backend: Any, clock: FixedClock) -> None:
    [case] = add(backend, make_case("ACC-R", 10, local_today(clock)))
    reading = {"intent": "promise_to_pay", "confidence": 0.9,
               "promises": [{"amount": "50.00", "date": "2026-12-04"}], "review": []}
    with backend.uow() as uow:
        assert case.id is not None
        mid = uow.messages.add_inbound(NewInboundMessage(
            case.id, "sms", PHONE, "50 on friday", None, "p-r", None, clock.now()))
        uow.messages.set_reading(mid, "promise_to_pay", reading)
        uow.commit()
    with backend.uow() as uow:
        got = uow.messages.get(mid)
        assert got is not None
        assert (got.intent, got.reading) == ("promise_to_pay", reading)
        [listed] = uow.messages.for_case(case.id)
        assert listed.reading == reading
