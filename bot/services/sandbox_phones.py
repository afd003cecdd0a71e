"""The sandbox phone: play a customer on the sandbox channel (a demo, a rehearsal).

Pick a case, read what the customer received on each channel the sandbox stands in
for, and answer as the customer: the answer goes through the sandbox channel's inbound
path into the application, exactly as a real customer's message would
(``duebot sandbox inbox|reply`` does the same from the command line). Writing as a
customer is an admin's tool (``manage settings``); answers are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.contacts import mask_address
from bot.domain.messages import ChannelKind, SinkResult
from bot.domain.text_hygiene import text_problem
from bot.services.handoff import HandoffError, NotFound
from bot.services.ports import (
    InboundSink,
    SandboxEntry,
    SandboxPhone,
    SandboxStore,
    UnitOfWorkFactory,
)
from bot.services.roles import Actor, Permission, authorize
from bot.services.users import audit

MAX_TEXT = 1600


@dataclass(frozen=True, slots=True)
class PhoneThread:
    """What one of the case's addresses received and sent on the sandbox, oldest first."""

    channel: ChannelKind
    masked: str
    entries: list[SandboxEntry]


@dataclass(frozen=True, slots=True)
class RecentCase:
    account_id: str
    customer: str
    channel: ChannelKind
    last: SandboxEntry


class SandboxPhones:
    def __init__(self, uow_factory: UnitOfWorkFactory, store: SandboxStore,
                 phone: Callable[[ChannelKind], SandboxPhone | None],
                 sink: InboundSink) -> None:
        """``phone(kind)``: the sandbox standing in for ``kind`` (None: a real provider
        serves it)."""
        self.uow_factory = uow_factory
        self.store = store
        self.phone = phone
        self.sink = sink

    def kinds(self) -> list[ChannelKind]:
        """The kinds the sandbox stands in for here."""
        return [k for k in ChannelKind if self.phone(k) is not None]

    def recent(self, actor: Actor, limit: int = 20) -> list[RecentCase]:
        """The cases whose customers the sandbox reached or heard from last."""
        authorize(actor, Permission.MANAGE_SETTINGS)
        seen: dict[tuple[ChannelKind, str], SandboxEntry] = {}
        for entry in reversed(self.store.list()):
            key = (entry.channel, entry.address)
            if key not in seen:
                seen[key] = entry
            if len(seen) >= limit * 3:
                break
        out: list[RecentCase] = []
        accounts: set[str] = set()
        with self.uow_factory() as uow:
            for (kind, address), entry in seen.items():
                cases = uow.cases.find_by_contact(kind, address)
                if not cases or cases[0].account_id in accounts:
                    continue
                accounts.add(cases[0].account_id)
                out.append(RecentCase(cases[0].account_id, cases[0].customer_name, kind,
                                      entry))
                if len(out) >= limit:
                    break
        return out

    def threads(self, actor: Actor, account_id: str) -> list[PhoneThread]:
        """Per contact point of the case on a sandboxed channel, what went either way."""
        authorize(actor, Permission.MANAGE_SETTINGS)
        out = []
        for kind, address in self._addresses(account_id):
            out.append(PhoneThread(kind, mask_address(address), self.store.list(address)))
        return out

    def _addresses(self, account_id: str) -> list[tuple[ChannelKind, str]]:
        with self.uow_factory() as uow:
            case = uow.cases.get(account_id)
            if case is None:
                raise NotFound(f"no case with account id {account_id!r}")
            return [(c.channel, c.address) for c in case.contacts
                    if self.phone(c.channel) is not None]

    async def reply(self, actor: Actor, account_id: str, channel: ChannelKind, text: str
                    ) -> SinkResult:
        """The customer of ``account_id`` writes ``text`` on ``channel``."""
        authorize(actor, Permission.MANAGE_SETTINGS)
        text = text.strip()
        if not text:
            raise HandoffError("write something")
        if len(text) > MAX_TEXT:
            raise HandoffError(f"at most {MAX_TEXT} characters")
        problem = text_problem(text)
        if problem is not None:
            raise HandoffError(f"the text {problem}")
        phone = self.phone(channel)
        address = next((a for k, a in self._addresses(account_id) if k is channel), None)
        if phone is None or address is None:
            raise HandoffError(f"case {account_id} has no {channel.value} contact point on "
                               "the sandbox")
        with self.uow_factory() as uow:
            audit(uow, actor, "sandbox.reply", account_id, channel=channel.value)
            uow.commit()
        return await phone.receive(address, text, self.sink,
                                   subject="Re: your account"
                                   if channel is ChannelKind.EMAIL else None)
