"""Case lifecycle use cases on the in-memory backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.case import CaseStatus, PromiseStatus
from bot.domain.clock import FixedClock
from bot.services import case_work
from tests.services.app import App, memory_app
from tests.world import local_today, make_case


@pytest.fixture
def app(clock: FixedClock) -> App:
    application = memory_app(clock)
    case = make_case("ACC-1", 70, local_today(clock), status=CaseStatus.LEGAL_REVIEW)
    application.add(case)
    return application


def types(app: App) -> list[str]:
    case = app.case("ACC-1")
    with app.c.uow() as uow:
        return [e.type for e in uow.events.for_case(case.id or 0)]


def test_return_from_legal_review(app: App) -> None:
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="say why"):
        case_work.return_from_legal_review(uow, "ACC-1", "collector:sue", "  ")
    with app.c.uow() as uow:
        case_work.return_from_legal_review(uow, "ACC-1", "collector:sue", "customer called")
    assert app.case("ACC-1").status is CaseStatus.ACTIVE
    assert types(app)[-1] == "StatusChanged"
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="not in legal review"):
        case_work.return_from_legal_review(uow, "ACC-1", "collector:sue", "again")


def test_write_off_closes_the_case_once(app: App) -> None:
    with app.c.uow() as uow:
        case_work.write_off(uow, "ACC-1", "collector:sue", "deceased, no estate")
    case = app.case("ACC-1")
    assert case.status is CaseStatus.CLOSED_WRITTEN_OFF and case.closed
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError):
        case_work.write_off(uow, "ACC-1", "collector:sue", "twice")
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="no case"):
        case_work.write_off(uow, "NOPE", "collector:sue", "why")


def test_reassign(app: App) -> None:
    with app.c.uow() as uow:
        case_work.reassign(uow, "ACC-1", "collector:sue", "ann")
    assert app.case("ACC-1").assigned_collector == "ann"
    assert types(app)[-1] == "CollectorAssigned"
    with app.c.uow() as uow:
        case_work.reassign(uow, "ACC-1", "collector:sue", None)
    assert app.case("ACC-1").assigned_collector is None


def test_cancel_a_promise(clock: FixedClock) -> None:
    app = memory_app(clock)
    case = make_case("ACC-2", 10, local_today(clock))
    case.make_promise([(5_000, local_today(clock) + timedelta(days=3))], clock.now(), "bot")
    app.add(case)
    with app.c.uow() as uow:
        case_work.cancel_promise(uow, "ACC-2", "collector:ann", "P1", "recorded in error")
    got = app.case("ACC-2")
    assert got.promises[0].status is PromiseStatus.CANCELLED
    assert got.status is CaseStatus.ACTIVE
    with app.c.uow() as uow, pytest.raises(case_work.CaseWorkError, match="not pending"):
        case_work.cancel_promise(uow, "ACC-2", "collector:ann", "P1", "again")
