"""The retention store (``duebot retention purge``): the same on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.verification import LinkToken, VerificationMethod
from bot.services.ports import DeliveryUpdate, NewInboundMessage
from tests.storage.contract.test_unit_of_work import PHONE, add, outbox
from tests.world import local_today, make_case

YEARS = timedelta(days=365 * 4)


def test_closed_cases_past_a_date_are_found_oldest_first(backend: Any,
                                                         clock: FixedClock) -> None:
    today = local_today(clock)
    old, open_case, recent = add(
        backend, make_case("OLD", 40, today), make_case("OPEN", 40, today, phone="+14155550111"),
        make_case("RECENT", 40, today, phone="+14155550122"))
    with backend.uow() as uow:
        for account in ("OLD", "RECENT"):
            case = uow.cases.get(account)
            case.write_off(clock.now(), "collector:ann", "uncollectable")
        uow.commit()
    clock.advance(YEARS)
    with backend.uow() as uow:  # activity on RECENT years later (a message in)
        uow.messages.add_inbound(NewInboundMessage(recent.id, "sms", "+14155550122", "hi",
                                                   None, "SM9", None, clock.now()))
        uow.commit()
    found = backend.retention.closed_cases(clock.now() - timedelta(days=365))
    assert [(c.account_id, c.case_id) for c in found] == [("OLD", old.id)]
    assert found[0].last_activity == clock.now() - YEARS
    assert found[0].holds == ()
    assert open_case.id not in [c.case_id for c in found]


def test_anonymising_replaces_personal_data_and_keeps_the_numbers(backend: Any,
                                                                  clock: FixedClock) -> None:
    today = local_today(clock)
    [case, sibling] = add(backend, make_case("ACC-9", 40, today, email="jo@example.com"),
                          make_case("ACC-10", 40, today), customer="cust-1")
    with backend.uow() as uow:
        c = uow.cases.get("ACC-9")
        c.record_payment("BANK-REF-77", 20_000, clock.now(), "import")
        c.place_hold(Hold.VULNERABLE, clock.now(), "user:ann", "told us about an illness")
        c.write_off(clock.now(), "collector:ann", "Jo moved abroad, no contact")
        [mid] = uow.outbox.enqueue([outbox(c, "k-1", clock, body="Hi Jo, call us")])
        uow.messages.update_delivery(DeliveryUpdate(mid, "sent", sent_at=clock.now()))
        uow.messages.add_inbound(NewInboundMessage(c.id, "sms", PHONE, "I moved to Spain",
                                                   None, "SM1", None, clock.now()))
        uow.commit()
    backend.chat_links.add_token(LinkToken("tok-1", "ACC-9", VerificationMethod.DOB, clock.now(),
                                           clock.now() + timedelta(days=1)))
    clock.advance(YEARS)
    assert backend.retention.anonymise([case.id], clock.now(), "retention-purge",
                                       "retention: 3y") == 1
    assert backend.retention.anonymise([case.id], clock.now(), "retention-purge", "x") == 0
    with backend.uow() as uow:
        assert uow.cases.get("ACC-9") is None
        gone = uow.cases.get_by_id(case.id)
        assert gone is not None and gone.account_id == f"ANON-{case.id}"
        assert gone.holds == {Hold.VULNERABLE: ""} and gone.closed
        assert gone.balance_minor == 100_000 and [p.amount_minor for p in gone.payments] == [
            20_000]
        assert gone.payments[0].reference != "BANK-REF-77"
        # the customer keeps a live case: their name and addresses stay for it
        assert uow.cases.get("ACC-10") is not None
        assert gone.customer_name == "Jordan Example"
        assert PHONE in [cp.address for cp in gone.contacts]
        messages = uow.messages.for_case(case.id)
        assert messages and all(m.body == "" and m.address == "" for m in messages)
        events = uow.events.for_case(case.id)
        assert events[-1].type == "CaseAnonymised" and events[-1].actor == "retention-purge"
        text = repr([e.payload for e in events])
        for secret in ("Jo moved abroad", "illness", "BANK-REF-77", "****"):
            assert secret not in text, secret
        assert uow.payments.applied("BANK-REF-77") is None
    assert backend.chat_links.get_token("tok-1") is None
    assert backend.retention.closed_cases(clock.now()) == []

    with backend.uow() as uow:
        uow.cases.get("ACC-10").write_off(clock.now(), "collector:ann", "also gone")
        uow.commit()
    assert backend.retention.anonymise([sibling.id], clock.now(), "retention-purge", "x") == 1
    with backend.uow() as uow:
        last = uow.cases.get_by_id(case.id)
        assert last is not None and last.customer_name == ""
        assert all(cp.address.startswith("anon-") for cp in last.contacts)
        identity = uow.customers.identity(last.customer_id or 0)
        assert identity is None or (identity.date_of_birth, identity.id_last4) == (None, None)
        assert uow.cases.find_by_contact(ChannelKind.SMS, PHONE) == []
