from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.messages import ChannelKind
from bot.services.ports import Direction, SandboxEntry
from storage.sandbox_store import SqlSandboxStore


def _entry(pid: str, address: str, at, direction=Direction.OUT) -> SandboxEntry:
    return SandboxEntry(provider_id=pid, channel=ChannelKind.SMS, direction=direction,
                        address=address, body=f"body {pid}", at=at)


def test_sql_sandbox_store_keeps_order_filters_and_refuses_duplicates(engine, clock):
    store = SqlSandboxStore(engine, clock)
    t0 = clock.now()
    store.append(_entry("sbx-2", "+14155550100", t0 + timedelta(minutes=1)))
    store.append(_entry("sbx-1", "+14155550100", t0, Direction.IN))
    store.append(_entry("sbx-3", "+14155550199", t0 + timedelta(minutes=2)))
    assert [e.provider_id for e in store.list()] == ["sbx-1", "sbx-2", "sbx-3"]
    assert [e.provider_id for e in store.list("+14155550100")] == ["sbx-1", "sbx-2"]
    assert [e.provider_id for e in store.list(since=t0 + timedelta(minutes=1))] == [
        "sbx-2", "sbx-3"]
    got = store.list("+14155550100")[0]
    assert got.direction is Direction.IN and got.at == t0 and got.at.tzinfo is not None
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError on either backend
        store.append(_entry("sbx-1", "+14155550100", t0))
    assert len(store.list()) == 3
