"""The read-only path (storage/dbapi_read.py: DB-API, no SQLAlchemy) reads what the SQL
backend reads, on SQLite and PostgreSQL: the same reads through both, results compared."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.domain.work_items import NewWorkItem, WorkItemKind
from storage.backend import SqlBackend
from storage.dbapi_read import ReadBackend, ReadOnlyError
from storage.models import CaseEventRow
from storage.read_statements import read_sql_module
from tests.storage.test_case_stream import seed_portfolio

EV = CaseEventRow.__table__  # type: ignore[attr-defined]
READ_SQL = Path(__file__).resolve().parents[2] / "storage" / "read_sql.py"


def test_the_compiled_reads_are_those_of_the_statements() -> None:
    """storage/read_sql.py is what scripts/compile_read_sql.py makes of
    storage/read_statements.py now (else: run that script)."""
    assert READ_SQL.read_text(encoding="utf-8") == read_sql_module()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _seed(engine: Engine, clock: FixedClock) -> dict[str, int]:
    ids = seed_portfolio(engine, clock).ids
    now = clock.now()
    backend = SqlBackend(engine, clock)
    with backend.uow() as uow:
        for n, (kind, case) in enumerate([(WorkItemKind.CALLBACK, "ACC-FULL"),
                                          (WorkItemKind.LEGAL, "ACC-REVIEW"),
                                          (WorkItemKind.QUESTION, "ACC-FULL"),
                                          (WorkItemKind.QUESTION, None)]):
            uow.work_items.add(NewWorkItem(
                kind, kind.priority, ids[case] if case else None, None, f"item {n} ünï",
                None if n % 2 else now + timedelta(days=1), now - timedelta(minutes=n)))
        done = uow.work_items.add(NewWorkItem(WorkItemKind.CALLBACK,
                                              WorkItemKind.CALLBACK.priority, ids["ACC-FULL"],
                                              None, "done", None, now))
        uow.work_items.close(done, "ann", now)
        v1 = uow.campaigns.add("retail", "a.yaml", "id: retail\n", "cli:root", now)
        uow.campaigns.add("retail", "a.yaml", "id: retail # 2\n", "cli:root", now)
        uow.campaigns.add("cn", "b.yaml", "id: cn\n", "collector:ann", now)
        uow.campaigns.set_status(v1.id, "active", "cli:root", now)
        uow.commit()
    with engine.begin() as conn:
        conn.execute(insert(EV), [
            {"case_id": ids["ACC-FULL"], "type": t, "payload": p, "actor": "customer",
             "at": now - timedelta(hours=h)}
            for t, p, h in [("OptedOut", {"channel": "sms"}, 3),
                            ("DisputeOpened", {"reason": "not mine"}, 2),
                            ("HoldPlaced", {"hold": "complaint", "reason": "rude"}, 1),
                            ("ConversationTaken", {"collector": "legal-review"}, 0),
                            ("HoldPlaced", {"hold": "vulnerable"}, 0)]])
    return ids


def _reads(backend: Any, ids: dict[str, int]) -> dict[str, Any]:
    """Everything the read-only commands read, through ``backend``'s ports."""
    out: dict[str, Any] = {}
    with backend.uow() as uow:
        for account in (*ids, "NO-SUCH"):
            out[f"case {account}"] = uow.cases.get(account)
        for statuses in (None, [], ["active"], ["active", "disputed", "closed_paid"]):
            out[f"count {statuses}"] = uow.cases.count(statuses)
            for limit, offset in ((50, 0), (2, 1), (1, 100)):
                out[f"summaries {statuses} {limit} {offset}"] = uow.cases.summaries(
                    statuses, limit=limit, offset=offset)
        for account, case_id in ids.items():
            for limit in (1, 10, 10_000):
                out[f"messages {account} {limit}"] = uow.messages.for_case(case_id, limit)
            out[f"events {account}"] = uow.events.for_case(case_id)
            out[f"items {account}"] = uow.work_items.open_for_case(case_id)
        for limit in (1, 100):
            out[f"items {limit}"] = uow.work_items.open_items(limit)
        out["versions"] = uow.campaigns.versions()
        out["versions retail"] = uow.campaigns.versions("retail")
        out["versions none"] = uow.campaigns.versions("none")
    out["facts"] = backend.outcome_source.outcome_facts()
    return out


def test_the_read_only_path_reads_what_the_sql_backend_reads(engine: Engine,
                                                             clock: FixedClock) -> None:
    ids = _seed(engine, clock)
    expected = _reads(SqlBackend(engine, clock), ids)
    read = ReadBackend(_url(engine), clock)
    try:
        got = _reads(read, ids)
    finally:
        read.close()
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == value, key
    # what the seed holds is read, not only nothing on both sides
    assert expected["case ACC-FULL"].promises and expected["facts"].opt_outs
    assert expected["items 100"] and expected["versions"] and expected["messages ACC-FULL 10"]


def test_the_read_only_path_refuses_to_write(tmp_path: Path, clock: FixedClock) -> None:
    backend = ReadBackend(f"sqlite:///{tmp_path / 'none.db'}", clock)
    with backend.uow() as uow:
        with pytest.raises(ReadOnlyError):
            uow.commit()
        with pytest.raises(ReadOnlyError):
            uow.outbox  # noqa: B018
        with pytest.raises(ReadOnlyError):
            uow.cases.add  # noqa: B018
    assert getattr(backend, "engine", None) is None
    backend.close()


def test_a_missing_schema_is_the_error_sqlalchemy_gives(tmp_path: Path,
                                                        clock: FixedClock) -> None:
    """The command line explains it the same way on both paths (cli_errors)."""
    from sqlalchemy.exc import OperationalError

    backend = ReadBackend(f"sqlite:///{tmp_path / 'empty.db'}", clock)
    with backend.uow() as uow, pytest.raises(OperationalError) as raised:
        uow.cases.count()
    assert str(raised.value.orig).startswith("no such table")
    backend.close()
