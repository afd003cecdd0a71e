"""Issue #12 against real peers and databases: the Twilio-like REST peer answering 21610,
the signed webhook, the SMTP peer; SQLite and PostgreSQL (the tick's related reads)."""

from __future__ import annotations

import textwrap
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.bootstrap import Container
from bot.campaigns.parsing import CampaignText
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from storage.uow import SqlUnitOfWork
from tests.services.app import OPERATOR
from tests.services.end_to_end.world import world
from tests.world import container_for, local_today, make_case, outbox, planning_for

PHONE, EMAIL = "+14155550101", "jordan@example.com"
SMS_THEN_EMAIL = textwrap.dedent("""
    id: sms-first
    name: SMS first
    profile: US-RegF
    steps:
      - {id: notice, trigger: {dpd: 30}, channels: [sms, email], template: first_notice}
""")


def activate(container: Container, text: str) -> None:
    """Store a campaign and make it active, as an operator would."""
    admin = container.campaign_admin
    for imported in admin.import_documents(OPERATOR, [CampaignText("c.yaml", text)]):
        admin.approve(OPERATOR, imported.campaign_id, imported.version, activate=True)


async def test_21610_from_twilio_is_not_followed_by_the_step_on_email(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    """The worker: no retry, no fallback; the next tick: no re-plan on email under a new
    key (``no_fallback``). Before: the email went on the next tick."""
    async with world(sqlite_engine, clock) as w:
        w.seed(email=EMAIL)  # due 1 November: 30 days past due on the clock's day
        activate(w.container, SMS_THEN_EMAIL)
        planning = w.container.planning()
        w.twilio.fail(PHONE, code=21610)
        assert planning.tick().enqueued == 1
        stats = await w.dispatch()
        assert (stats.sent, stats.failed, stats.retried, stats.fallbacks) == (0, 1, 0, 0)
        sms = w.case().contact(ChannelKind.SMS, PHONE)
        assert sms is not None and sms.opted_out_at is not None
        w.later(timedelta(minutes=5))
        assert planning.tick().enqueued == 0
        await w.dispatch()
        assert w.mail_to(EMAIL) == [] and w.sms_to(PHONE) == []
        [plan] = list(planning.plans())
        assert [r.code.value for r in plan.decisions[0].reasons] == ["no_fallback"]


async def test_one_person_two_accounts_one_phone_one_sms(engine: Engine,
                                                         clock: FixedClock) -> None:
    """Read through the SQL stream (SQLite and PostgreSQL): the person's second account
    waits for tomorrow, and plan --explain names the account it counted. Before: both
    accounts' SMS went out in the same minute."""
    today = local_today(clock)
    with SqlUnitOfWork(engine, clock) as uow:
        for account in ("MINE-1", "MINE-2"):
            uow.cases.add(make_case(account, 1, today), customer_ref="PERSON")
        uow.commit()
    c = container_for(engine, clock)
    planning = planning_for(c)
    assert planning.tick().enqueued == 1
    [row] = outbox(engine)
    plans = {p.case.account_id: p for p in planning.plans()}
    sent = "MINE-1" if row["case_id"] == plans["MINE-1"].case.id else "MINE-2"
    other = "MINE-2" if sent == "MINE-1" else "MINE-1"
    [denied] = plans[other].decisions
    assert not denied.allowed and f"(counted: {sent})" in denied.explain()
    assert (await c.dispatcher.drain()).sent == 1
    clock.advance(timedelta(days=1))
    assert planning.tick().enqueued == 1
