"""The whole application in memory (no database, sandbox channels): for use-case tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bootstrap import Container, bootstrap
from bot.domain.case import Case
from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.services.ports import Direction, SandboxEntry
from bot.services.roles import operator
from bot.settings import Settings

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"


@dataclass
class App:
    c: Container
    clock: FixedClock

    def add(self, *cases: Case, customer: str | None = None) -> list[Case]:
        with self.c.uow() as uow:
            for case in cases:
                uow.cases.add(case, customer_ref=customer)
            uow.commit()
        return list(cases)

    def case(self, account: str) -> Case:
        with self.c.uow() as uow:
            case = uow.cases.get(account)
        assert case is not None
        return case

    async def say(self, account: str, text: str, channel: ChannelKind = ChannelKind.SMS,
                  **kw: Any) -> list[str]:
        """The customer of ``account`` writes on ``channel``; returns in-band answers."""
        address = next(cp.address for cp in self.case(account).contacts if cp.channel is channel)
        phone = self.c.sandbox_phone(channel)
        assert phone is not None
        return (await phone.receive(address, text, self.c.inbound, **kw)).replies

    async def delivered(self) -> list[SandboxEntry]:
        """Send what is due; returns what reached customers since the last call."""
        await self.c.dispatcher.drain()
        entries = [e for e in self.c.sandbox_store.list() if e.direction is Direction.OUT]
        new, self._seen = entries[getattr(self, "_seen", 0):], len(entries)
        return new


def memory_app(clock: FixedClock, *, sandbox_rules: Any = None, **settings: Any) -> App:
    values: dict[str, Any] = {"brand_name": "Acme Bank", "campaign_dir": CAMPAIGNS,
                              "support_phone": "+1 800 555 0199",
                              "support_email": "care@acme.example"}
    values.update(settings)
    container = bootstrap(Settings(_env_file=None, **values),  # type: ignore[call-arg]
                          clock=clock, memory=True, sandbox_rules=sandbox_rules)
    return App(container, clock)


OPERATOR = operator("test")


def activate_campaigns(container: Container, directory: Path = CAMPAIGNS) -> None:
    """Import the campaign files and make them active (as an operator would)."""
    from storage.campaign_files import read_documents

    admin = container.campaign_admin
    for imported in admin.import_documents(OPERATOR, read_documents([directory])):
        if imported.status == "draft":
            admin.approve(OPERATOR, imported.campaign_id, imported.version, activate=True)
