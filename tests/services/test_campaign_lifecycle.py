"""Campaign versions: draft → approved → active ↔ paused, on the in-memory backend.

Nothing plans or sends under a campaign that is not active; a pause holds queued campaign
messages within one worker batch while confirmations still go; an activation or a pause
takes effect without rebuilding anything; editing an active campaign makes a new draft."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.campaigns.parsing import CampaignError, CampaignText
from bot.domain.clock import FixedClock
from bot.services.campaign_admin import CampaignAdmin, CampaignAdminError
from bot.services.dispatch import CAMPAIGN_PAUSED, PAUSED_KEEP
from bot.services.roles import Actor, Forbidden, Role, operator
from tests.services.app import CAMPAIGNS, App, memory_app
from tests.world import local_today, make_case

YAML = (CAMPAIGNS / "example.yaml").read_text(encoding="utf-8")
ID = "standard-retail-us"
ADMIN = operator("root")
ANN = Actor("ann", Role.ADMIN)


@pytest.fixture
def app(clock: FixedClock) -> App:
    a = memory_app(clock)
    a.add(make_case("DUE", 3, local_today(clock)))
    return a


def doc(text: str = YAML, source: str = "example.yaml") -> list[CampaignText]:
    return [CampaignText(source, text)]


def admin(app: App) -> CampaignAdmin:
    return app.c.campaign_admin


async def test_an_imported_campaign_sends_nothing_until_approved_and_active(app: App) -> None:
    [imported] = admin(app).import_documents(ADMIN, doc())
    assert (imported.version, imported.status, imported.new) == (1, "draft", True)
    planning = app.c.planning()
    assert planning.tick().enqueued == 0  # a draft plans nothing
    assert next(p.chosen for p in app.c.planning(drafts=True).plans()) is not None
    admin(app).approve(ADMIN, ID)
    assert planning.tick().enqueued == 0  # approved is not active
    admin(app).activate(ADMIN, ID)
    assert planning.tick().enqueued == 1  # the same service: no restart needed
    assert len(await app.delivered()) == 1


async def test_messages_of_a_campaign_no_longer_active_are_never_sent(app: App) -> None:
    admin(app).import_documents(ADMIN, doc())
    admin(app).approve(ADMIN, ID, activate=True)
    app.c.planning().tick()
    # a new version replaces it before the worker runs: v1 is retired, v2 only a draft
    admin(app).import_documents(ADMIN, doc(YAML.replace("Standard retail", "Retail")))
    assert admin(app).live_campaigns()[ID].name == "Standard retail (US)"  # still v1
    admin(app).approve(ADMIN, ID)
    v1_queued = await app.c.dispatcher.drain()
    assert v1_queued.sent == 1  # v1 is still the active version
    versions = admin(app).versions(ADMIN, ID)
    assert [(v.version, v.status) for v in versions] == [(1, "active"), (2, "approved")]
    admin(app).activate(ADMIN, ID, 2)
    assert [v.status for v in admin(app).versions(ADMIN, ID)] == ["retired", "active"]


async def test_pause_holds_campaign_messages_within_a_batch_and_resume_sends_them(
        app: App, clock: FixedClock) -> None:
    admin(app).import_documents(ADMIN, doc())
    admin(app).approve(ADMIN, ID, activate=True)
    app.c.planning().tick()
    assert admin(app).pause(ADMIN) == [ID]
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.deferred) == (0, 1)
    with app.c.uow() as uow:
        case = uow.cases.get("DUE")
        assert case is not None and case.id is not None
        [row] = uow.messages.for_case(case.id)
    assert (row.status, row.error_code) == ("queued", CAMPAIGN_PAUSED)
    assert app.c.planning().tick().enqueued == 0  # nothing new is planned while paused
    # the customer still gets answers: HELP goes out while campaigns are paused
    answers = await app.say("DUE", "HELP")
    assert answers or len(await app.delivered()) == 1
    assert admin(app).resume(ADMIN) == [ID]
    clock.advance(timedelta(minutes=2))
    assert (await app.c.dispatcher.drain()).sent == 1


async def test_a_message_paused_too_long_is_dropped(app: App, clock: FixedClock) -> None:
    admin(app).import_documents(ADMIN, doc())
    admin(app).approve(ADMIN, ID, activate=True)
    app.c.planning().tick()
    admin(app).pause(ADMIN, [ID])
    clock.advance(PAUSED_KEEP + timedelta(minutes=1))
    stats = await app.c.dispatcher.drain()
    assert (stats.sent, stats.suppressed) == (0, 1)


def test_importing_the_same_text_changes_nothing_and_a_bad_file_nothing_at_all(
        app: App) -> None:
    admin(app).import_documents(ADMIN, doc())
    [again] = admin(app).import_documents(ADMIN, doc())
    assert (again.version, again.new) == (1, False)
    bad = YAML.replace("template: reminder", "template: remindr")
    with pytest.raises(CampaignError, match="did you mean 'reminder'"):
        admin(app).import_documents(ADMIN, doc(bad))
    assert len(admin(app).versions(ADMIN, ID)) == 1


def test_approval_is_recorded_and_two_person_rule_holds(clock: FixedClock) -> None:
    app = memory_app(clock, campaign_two_person_approval=True)
    app.c.campaign_admin.import_documents(ANN, doc())
    with pytest.raises(CampaignAdminError, match="another person must approve"):
        app.c.campaign_admin.approve(ANN, ID)
    v = app.c.campaign_admin.approve(Actor("bob", Role.ADMIN), ID, activate=True)
    assert (v.status, v.approved_by, v.created_by) == ("active", "collector:bob",
                                                      "collector:ann")
    assert v.approved_at == clock.now()
    with app.c.uow() as uow:
        actions = [r.action for r in uow.audit.recent()]
    assert actions == ["campaign.activate", "campaign.approve", "campaign.import"]


def test_only_admins_manage_campaigns(app: App) -> None:
    for role in (Role.COLLECTOR, Role.SUPERVISOR):
        with pytest.raises(Forbidden):
            admin(app).import_documents(Actor("x", role), doc())
    admin(app).import_documents(ADMIN, doc())
    with pytest.raises(Forbidden):
        admin(app).pause(Actor("x", Role.SUPERVISOR))
    with pytest.raises(CampaignAdminError, match="no approved version"):
        admin(app).activate(ADMIN, ID)
    with pytest.raises(CampaignAdminError, match="no campaign 'nope'"):
        admin(app).pause(ADMIN, ["nope"])
