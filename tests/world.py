"""Shared test helpers: seeded cases on a database, a container over sandbox channels, the
planning service, the outbox and decision rows (no fixtures here: see conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap
from bot.domain.case import Case
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.services.planning import PlanningService
from bot.settings import Settings
from channels.sandbox import SandboxChannel
from storage.memory.sandbox import MemorySandboxStore
from storage.models import ContactDecisionRow, MessageRow
from storage.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGNS = ROOT / "campaigns"
NY = "America/New_York"


def settings_for(engine: Engine, **kw: Any) -> Settings:
    return Settings(_env_file=None,  # type: ignore[call-arg]
                    database_url=engine.url.render_as_string(hide_password=False),
                    campaign_dir=CAMPAIGNS, brand_name="Acme Bank", **kw)


def make_case(account: str, dpd: int, today: date, *, timezone: str = NY,
              phone: str | None = "+14155550123", email: str | None = None,
              balance_minor: int = 120_000, **kw: Any) -> Case:
    """An active USD case ``dpd`` days past due on ``today`` (local)."""
    contacts = []
    if phone:
        contacts.append(ContactPoint(ChannelKind.SMS, phone))
    if email:
        contacts.append(ContactPoint(ChannelKind.EMAIL, email))
    values: dict[str, Any] = {
        "account_id": account, "currency": "USD", "balance_minor": balance_minor,
        "due_date": today - timedelta(days=dpd), "customer_name": "Jordan Example",
        "minimum_payment_minor": 5_000, "timezone": timezone, "country": "US",
        "contacts": contacts, "days_past_due": dpd,
    }
    values.update(kw)
    return Case(**values)


def seed(engine: Engine, clock: FixedClock, *cases: Case) -> list[Case]:
    with SqlUnitOfWork(engine, clock) as uow:
        for case in cases:
            uow.cases.add(case)
        uow.commit()
    return list(cases)


def local_today(clock: FixedClock, zone: str = NY) -> date:
    return clock.now().astimezone(ZoneInfo(zone)).date()


def count(engine: Engine, model: Any, *where: Any) -> int:
    table = model.__table__
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where))
                   .scalar_one())


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(MessageRow.__table__).order_by(  # type: ignore[attr-defined]
            MessageRow.__table__.c.id)).mappings())  # type: ignore[attr-defined]


def decisions(engine: Engine) -> list[Any]:
    table = ContactDecisionRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)).mappings())


def sandbox_channels(clock: FixedClock, store: MemorySandboxStore | None = None,
                     **rules: Any) -> dict[ChannelKind, SandboxChannel]:
    store = store or MemorySandboxStore()
    return {k: SandboxChannel(k, store, clock=clock, **rules.get(k.value, {}))
            for k in ChannelKind}


def container_for(engine: Engine, clock: FixedClock, **rules: Any) -> Container:
    """The application over sandbox channels, the shipped campaigns active."""
    from tests.services.app import activate_campaigns

    c = bootstrap(settings_for(engine), clock=clock, engine=engine,
                  channels=sandbox_channels(clock, **rules))
    activate_campaigns(c, CAMPAIGNS)
    return c


def planning_for(container: Container, **kw: Any) -> PlanningService:
    """Planning over the shipped campaigns, imported and active in the database."""
    from tests.services.app import activate_campaigns

    activate_campaigns(container, CAMPAIGNS)
    service = container.planning(batch_size=kw.pop("batch_size", None))
    service.refresh_campaigns()
    for name, value in kw.items():
        setattr(service, name, value)
    return service


def claim_due(engine: Engine, now: Any, limit: int) -> list[int]:
    """Claim like a dispatch worker (the default lease)."""
    from bot.services.dispatch import LEASE
    from storage.delivery_store import SqlDeliveryStore

    return SqlDeliveryStore(engine).claim(now, limit, now + LEASE)
