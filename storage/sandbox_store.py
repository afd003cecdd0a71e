"""The sandbox channel's messages in the application database (``sandbox_message``)."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain.clock import Clock, ensure_utc
from bot.domain.messages import ChannelKind
from bot.services.ports import Direction, SandboxEntry
from storage.tables.chat import SandboxMessageRow


class SqlSandboxStore:
    """A :class:`channels.sandbox.SandboxStore` that outlives the process.

    The demo, ``duebot sandbox`` commands and the console share it, so a developer can
    read what the bot sent and answer as the customer from another terminal.
    """

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock

    def append(self, entry: SandboxEntry) -> None:
        with Session(self.engine) as s:
            s.add(SandboxMessageRow(
                channel=entry.channel.value, direction=entry.direction.value,
                address=entry.address, subject=entry.subject, body=entry.body,
                provider_id=entry.provider_id, at=ensure_utc(entry.at)))
            s.commit()

    def list(self, address: str | None = None,
             since: datetime | None = None) -> builtins.list[SandboxEntry]:
        q = select(SandboxMessageRow).order_by(col(SandboxMessageRow.at),
                                                col(SandboxMessageRow.id))
        if address is not None:
            q = q.where(SandboxMessageRow.address == address)
        if since is not None:
            q = q.where(col(SandboxMessageRow.at) >= ensure_utc(since))
        with Session(self.engine) as s:
            rows = s.exec(q).all()
        return [SandboxEntry(provider_id=r.provider_id, channel=ChannelKind(r.channel),
                             direction=Direction(r.direction), address=r.address, body=r.body,
                             at=r.at, subject=r.subject) for r in rows]
