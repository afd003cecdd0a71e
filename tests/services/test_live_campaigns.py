"""The campaigns that govern a message at send time: the active versions in the
database, seen at once when this process changes them and within ``recheck_seconds``
when another process does."""

from __future__ import annotations

import textwrap

from bot.campaigns.parsing import CampaignText
from bot.domain.clock import FixedClock
from bot.services.live_campaigns import LiveCampaigns
from tests.services.app import OPERATOR, memory_app
from tests.world import local_today, make_case


def campaign(profile: str) -> CampaignText:
    return CampaignText("c.yaml", textwrap.dedent(f"""
        id: cards
        name: Cards
        profile: {profile}
        steps:
          - {{id: notice, trigger: {{dpd: 3}}, channels: [sms], template: first_notice}}
    """))


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_change_here_is_seen_at_once_and_one_elsewhere_after_the_recheck(
        clock: FixedClock) -> None:
    app = memory_app(clock)
    [case] = app.add(make_case("ACC-1", 3, local_today(clock)))
    admin = app.c.campaign_admin
    ticker = Ticker()
    live = LiveCampaigns(admin.live_campaigns, lambda: admin.generation, "US-RegF",
                         recheck_seconds=5.0, monotonic=ticker)
    assert len(live.book()) == 0 and live.book().profile_for(case) is None

    [v1] = admin.import_documents(OPERATOR, [campaign("US-RegF")])
    admin.approve(OPERATOR, v1.campaign_id, v1.version, activate=True)
    profile = live.book().profile_for(case, "cards")  # this process: seen at once
    assert profile is not None and profile.name == "US-RegF"

    # another process (another admin over the same store) activates a new version
    other = memory_app(clock).c.campaign_admin
    other.uow_factory = admin.uow_factory
    [v2] = other.import_documents(OPERATOR, [campaign("UK-FCA")])
    other.approve(OPERATOR, v2.campaign_id, v2.version, activate=True)
    ticker.now = 4.9
    assert live.book().profile_for(case, "cards").name == "US-RegF"  # type: ignore[union-attr]
    ticker.now = 5.0
    assert live.book().profile_for(case, "cards").name == "UK-FCA"  # type: ignore[union-attr]

    other.pause(OPERATOR, ["cards"])
    ticker.now = 10.0
    assert len(live.book()) == 0  # a paused campaign governs nothing new


def test_the_container_book_follows_the_database(clock: FixedClock) -> None:
    app = memory_app(clock)
    [case] = app.add(make_case("ACC-1", 3, local_today(clock)))
    assert app.c.campaign_book.for_case(case) is None
    admin = app.c.campaign_admin
    [v1] = admin.import_documents(OPERATOR, [campaign("CN")])
    admin.approve(OPERATOR, v1.campaign_id, v1.version, activate=True)
    chosen = app.c.campaign_book.for_case(case)
    assert chosen is not None and chosen.id == "cards"
    assert app.c.campaign_book.profile_for(case).name == "CN"  # type: ignore[union-attr]
