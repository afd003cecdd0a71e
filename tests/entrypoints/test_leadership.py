"""Leader and standby on one lock per role: a standby takes over when the leader stops or
its database session ends; a leader whose session ends stops its term; the scheduler
plans only while it leads, and runs the receivers only while it also holds theirs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.bootstrap import bootstrap
from bot.domain.clock import FixedClock
from bot.entrypoints.runners import Leadership, RunnerError, SingletonLock, scheduler_component
from tests.world import container_for, local_today, make_case, seed, settings_for

POLL = 0.05


class Terms:
    """Records which of several contenders works, and when."""

    def __init__(self) -> None:
        self.working: set[str] = set()
        self.overlaps = 0
        self.started: list[str] = []

    def term(self, name: str) -> Any:
        async def work(ended: asyncio.Event) -> None:
            if self.working:
                self.overlaps += 1
            self.working.add(name)
            self.started.append(name)
            try:
                await ended.wait()
            finally:
                self.working.discard(name)
        return work


async def until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_standby_takes_over_when_the_leader_stops(engine: Engine) -> None:
    terms = Terms()
    a, b = (Leadership(engine, "scheduler", f"scheduler {n}", POLL) for n in "ab")
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    task_a = asyncio.create_task(a.run(stop_a, terms.term("a")))
    await until(lambda: a.leading)
    task_b = asyncio.create_task(b.run(stop_b, terms.term("b")))
    await asyncio.sleep(5 * POLL)
    assert (a.leading, b.leading, terms.started) == (True, False, ["a"])
    stop_a.set()
    await asyncio.wait_for(task_a, 5)
    await until(lambda: b.leading)
    assert terms.started == ["a", "b"] and terms.overlaps == 0
    stop_b.set()
    await asyncio.wait_for(task_b, 5)
    again = SingletonLock(engine, "scheduler")
    assert not b.leading and again.acquire()
    again.release()


@pytest.mark.postgres
async def test_a_leader_whose_session_ends_stops_and_the_standby_takes_over(
        pg_engine: Engine) -> None:
    terms = Terms()
    a = Leadership(pg_engine, "scheduler", "scheduler a", POLL)
    b = Leadership(pg_engine, "scheduler", "scheduler b", POLL)
    stop = asyncio.Event()
    task_a = asyncio.create_task(a.run(stop, terms.term("a")))
    await until(lambda: a.leading)
    task_b = asyncio.create_task(b.run(stop, terms.term("b")))
    await asyncio.sleep(3 * POLL)
    # the database ends the leader's session (a restart, a network cut, an operator)
    with pg_engine.connect() as conn:
        killed = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND objid = CAST(:k AS oid) AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"k": SingletonLock(pg_engine, "scheduler")._key}).scalars().all()
    assert killed == [True]
    # the leader's term ends; a new one begins (the standby's, or the old leader's on a
    # new session), never while the old one still runs
    await until(lambda: len(terms.started) >= 2)
    assert terms.overlaps == 0 and a.terms + b.terms == 2
    assert a.leading != b.leading
    stop.set()
    await asyncio.wait_for(asyncio.gather(task_a, task_b), 5)


def test_the_poll_interval_must_be_positive(sqlite_engine: Engine) -> None:
    with pytest.raises(RunnerError, match="DUEBOT_LEADER_POLL_SECONDS"):
        Leadership(sqlite_engine, "scheduler", "scheduler", 0)


async def test_a_standby_scheduler_plans_nothing_until_it_leads(sqlite_engine: Engine,
                                                               clock: FixedClock) -> None:
    seed(sqlite_engine, clock, make_case("ACC-1", 1, local_today(clock)))
    leader = container_for(sqlite_engine, clock)
    standby_container = container_for(sqlite_engine, clock)
    holder = Leadership(sqlite_engine, "scheduler", "scheduler", POLL)
    standby = Leadership(sqlite_engine, "scheduler", "scheduler", POLL)
    stop_holder, stop = asyncio.Event(), asyncio.Event()
    blocked = asyncio.create_task(holder.run(stop_holder, lambda ended: ended.wait()))
    await until(lambda: holder.leading)
    task = asyncio.create_task(scheduler_component(standby_container, stop, lead=standby,
                                                   receive=False))
    await asyncio.sleep(5 * POLL)
    assert not standby.leading and leader.operations.jobs_finished() == {}
    stop_holder.set()  # the leader goes: the standby takes over and ticks at once
    await blocked
    await until(lambda: "planning-tick" in leader.operations.jobs_finished(), 15)
    with leader.uow() as uow:
        assert uow.cases.get("ACC-1") is not None
    stop.set()
    await asyncio.wait_for(task, 15)
    assert not standby.leading


async def test_receivers_run_in_one_process_only(sqlite_engine: Engine,
                                                 clock: FixedClock) -> None:
    """The SMTP listener of a second process would fail on its port: it stands by."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = settings_for(sqlite_engine, inbound_smtp_host="127.0.0.1",
                            inbound_smtp_port=port, leader_poll_seconds=POLL)
    from bot.entrypoints.runners import receive_component

    first = bootstrap(settings, clock=clock, engine=sqlite_engine)
    second = bootstrap(settings, clock=clock, engine=sqlite_engine)
    lead_1 = Leadership(sqlite_engine, "receivers", "receivers", POLL)
    lead_2 = Leadership(sqlite_engine, "receivers", "receivers", POLL)
    stop_1, stop_2 = asyncio.Event(), asyncio.Event()
    t1 = asyncio.create_task(receive_component(first, stop_1, lead=lead_1))
    await until(lambda: lead_1.leading)
    t2 = asyncio.create_task(receive_component(second, stop_2, lead=lead_2))
    await asyncio.sleep(5 * POLL)
    assert not lead_2.leading and not t2.done()
    stop_1.set()
    await asyncio.wait_for(t1, 5)
    await until(lambda: lead_2.leading)

    async def banner() -> bytes:
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            line = await reader.readline()
            writer.close()
            return line

    assert (await asyncio.wait_for(banner(), 5)).startswith(b"220")  # the second listens
    stop_2.set()
    await asyncio.wait_for(t2, 5)
