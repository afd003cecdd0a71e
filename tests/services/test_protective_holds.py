"""Holds that protect the customer (deceased, vulnerable, complaint, breathing space):
a bereavement reply, the CSV column, and the set/clear use cases, on the in-memory backend.

Before: "My husband passed away" was treated as a wrong party and email dunning went
on; ``hold_vulnerable`` existed but nothing could set it; there were no complaint or
breathing-space holds.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bot.domain.case import Hold
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.work_items import WorkItemKind
from bot.services import case_work
from bot.services.csv_rows import ImportRejected
from bot.services.importing import ImportDefaults, import_cases
from bot.services.planning import PlanningService
from tests.services.app import CAMPAIGNS, App, memory_app
from tests.world import local_today, make_case

PHONE, EMAIL = "+14155550123", "jordan@example.com"


@pytest.fixture
def app(clock: FixedClock) -> App:
    application = memory_app(clock)
    application.add(make_case("ACC-1", 10, local_today(clock), email=EMAIL))
    return application


def planning(app: App) -> PlanningService:
    return app.c.planning(app.c.load_campaigns(CAMPAIGNS))


def queue(app: App) -> list[WorkItemKind]:
    with app.c.uow() as uow:
        return [i.kind for i in uow.work_items.open_items()]


def events(app: App, account: str = "ACC-1") -> list[tuple[str, str, dict]]:
    case = app.case(account)
    with app.c.uow() as uow:
        return [(e.type, e.actor, e.payload) for e in uow.events.for_case(case.id or 0)]


def reasons(app: App) -> set[str]:
    """Every reason code the planner gives today for ACC-1."""
    [plan] = [p for p in planning(app).plans() if p.case.account_id == "ACC-1"]
    return {r.code.value for d in plan.decisions for r in d.reasons}


@pytest.mark.parametrize("text", ["My husband passed away", "她已经去世了",
                                  "This is his wife. He passed away last month, stop texting"])
async def test_a_bereavement_reply_holds_the_case_for_a_specialist(app: App, text: str) -> None:
    assert "hold_deceased" not in reasons(app)
    await app.say("ACC-1", text)
    case = app.case("ACC-1")
    sms = case.contact(ChannelKind.SMS, PHONE)
    assert Hold.DECEASED in case.holds
    assert sms is not None and sms.wrong_party_at is None  # not a wrong number
    assert Hold.WRONG_PARTY not in case.holds
    assert queue(app) == [WorkItemKind.BEREAVEMENT]
    [ack] = await app.delivered()  # one acknowledgement, with condolences
    assert ack.address == PHONE
    assert "sorry for your loss" in ack.body or "深表哀悼" in ack.body
    assert "Jordan" not in ack.body and "$" not in ack.body
    # automated contact stops on every channel: email dunning does not go on
    assert planning(app).tick().enqueued == 0
    assert "hold_deceased" in reasons(app)
    # what anyone writes next goes to the specialist, the bot stays silent
    await app.say("ACC-1", "who do I talk to about his accounts?")
    assert queue(app) == [WorkItemKind.BEREAVEMENT, WorkItemKind.BEREAVEMENT]
    assert await app.delivered() == []


async def test_a_bereaved_customer_is_not_marked_deceased(app: App) -> None:
    await app.say("ACC-1", "My mother passed away so I cannot pay this month")
    assert Hold.DECEASED not in app.case("ACC-1").holds
    await app.say("ACC-1", "my phone died, sorry I missed your text")
    assert Hold.DECEASED not in app.case("ACC-1").holds


def test_a_collector_sets_a_hold_with_who_and_why_and_it_stops_automation(app: App) -> None:
    assert "hold_vulnerable" not in reasons(app)
    with app.c.uow() as uow:
        case_work.set_hold(uow, "ACC-1", "vulnerable", "user:ann",
                           "told us about a serious illness")
    assert Hold.VULNERABLE in app.case("ACC-1").holds
    assert events(app)[-1] == ("HoldPlaced", "user:ann",
                               {"hold": "vulnerable", "reason": "told us about a serious illness"})
    assert "hold_vulnerable" in reasons(app)
    with app.c.uow() as uow:
        case_work.clear_hold(uow, "ACC-1", Hold.VULNERABLE, "user:sue", "reviewed: recovered")
    assert Hold.VULNERABLE not in app.case("ACC-1").holds
    assert events(app)[-1] == ("HoldReleased", "user:sue",
                               {"hold": "vulnerable", "reason": "reviewed: recovered"})


@pytest.mark.parametrize(("hold", "kind"), [
    ("complaint", WorkItemKind.COMPLAINT), ("deceased", WorkItemKind.BEREAVEMENT),
    ("vulnerable", WorkItemKind.VULNERABLE)])
async def test_under_a_protective_hold_a_person_answers(app: App, hold: str,
                                                       kind: WorkItemKind) -> None:
    with app.c.uow() as uow:
        case_work.set_hold(uow, "ACC-1", hold, "user:ann", "phone call")
    await app.say("ACC-1", "can I pay 50 on friday?")
    assert app.case("ACC-1").promises == []
    assert queue(app) == [kind]
    assert await app.delivered() == []
    assert f"hold_{hold}" in reasons(app)


async def test_a_breathing_space_lasts_until_its_end_date(app: App) -> None:
    today = local_today(app.clock)
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="end date"):
        case_work.set_hold(uow, "ACC-1", "breathing_space", "user:ann", "notice")
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="already have ended"):
        case_work.set_hold(uow, "ACC-1", "breathing_space", "user:ann", "notice",
                           today - timedelta(days=1))
    with app.c.uow() as uow:
        case_work.set_hold(uow, "ACC-1", "breathing_space", "user:ann",
                           "Insolvency Service notice BS-123", today + timedelta(days=59))
    case = app.case("ACC-1")
    assert case.breathing_space_until == today + timedelta(days=59)
    assert events(app)[-1][2] == {"hold": "breathing_space",
                                  "reason": "Insolvency Service notice BS-123",
                                  "until": (today + timedelta(days=59)).isoformat()}
    assert "hold_breathing_space" in reasons(app)
    await app.say("ACC-1", "I will pay next week")
    assert queue(app) == [WorkItemKind.BREATHING_SPACE]
    # after its last day the moratorium no longer stops collection
    app.clock.advance(timedelta(days=60))
    assert "hold_breathing_space" not in reasons(app)


@pytest.mark.parametrize(("hold", "reason", "message"), [
    ("human", "x", "not a hold a person sets"),
    ("opted_out", "x", "not a hold a person sets"),
    ("sleepy", "x", "not a hold a person sets"),
    ("vulnerable", "   ", "say why"),
])
def test_only_protective_holds_with_a_reason(app: App, hold: str, reason: str,
                                             message: str) -> None:
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match=message):
        case_work.set_hold(uow, "ACC-1", hold, "user:ann", reason)
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="only a breathing"):
        case_work.set_hold(uow, "ACC-1", "complaint", "user:ann", "x",
                           local_today(app.clock))


def test_clearing_a_hold_that_is_not_there_or_on_no_case_is_refused(app: App) -> None:
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="no complaint hold"):
        case_work.clear_hold(uow, "ACC-1", "complaint", "user:sue", "done")
    with app.c.uow() as uow, pytest.raises(case_work.CaseNotFound):
        case_work.set_hold(uow, "NOPE", "complaint", "user:sue", "done")


def test_the_vulnerable_column_places_the_hold_and_a_later_file_never_lifts_it(
        app: App) -> None:
    head = "account_id,name,balance,currency,due_date,phone,vulnerable\n"
    rows = "V-1,Ann Lee,100.00,USD,2026-10-01,+14155550177,yes\n" \
           "V-2,Bo Chan,100.00,USD,2026-10-01,+14155550178,\n"
    defaults = ImportDefaults("US", "America/New_York", "en")
    report = import_cases(io.BytesIO((head + rows).encode()), "p.csv", app.c.uow(), defaults)
    assert report.created == 2
    assert Hold.VULNERABLE in app.case("V-1").holds
    assert Hold.VULNERABLE not in app.case("V-2").holds
    assert events(app, "V-1")[-1][:2] == ("HoldPlaced", "import")
    again = "V-1,Ann Lee,90.00,USD,2026-10-01,+14155550177,no\n"
    import_cases(io.BytesIO((head + again).encode()), "p.csv", app.c.uow(), defaults)
    assert Hold.VULNERABLE in app.case("V-1").holds  # only a supervisor lifts it
    bad = "V-3,Cy Doe,100.00,USD,2026-10-01,+14155550179,maybe\n"
    with pytest.raises(ImportRejected) as info:
        import_cases(io.BytesIO((head + bad).encode()), "p.csv", app.c.uow(), defaults)
    assert "vulnerable: expected true/false, got 'maybe'" in str(info.value.errors[0])
