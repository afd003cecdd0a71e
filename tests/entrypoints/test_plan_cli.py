"""``duebot plan``: who would be contacted and who not, with reasons; nothing sent or written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.domain.case import CaseStatus, Hold
from bot.domain.clock import FixedClock
from bot.entrypoints.cli_runtime import app
from storage.models import CaseEventRow, ContactDecisionRow, MessageRow
from storage.uow import SqlUnitOfWork
from tests.services.app import activate_campaigns
from tests.world import CAMPAIGNS, container_for, count, make_case, seed

DAY = date(2026, 12, 2)  # a Wednesday, no holiday
runner = CliRunner()


@pytest.fixture
def portfolio(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("DUEBOT_CAMPAIGN_DIR", str(CAMPAIGNS))
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    activate_campaigns(container_for(sqlite_engine, clock))
    held = make_case("ACC-HELD", 5, DAY, phone="+14155550102")
    held.place_hold(Hold.CEASE, clock.now(), "customer", "asked to stop")
    seed(sqlite_engine, clock,
         make_case("ACC-SEND", 1, DAY, email="send@example.com"),
         held,
         make_case("ACC-QUIET", -10, DAY, phone="+14155550103"),
         make_case("ACC-LEGAL", 60, DAY, phone="+14155550104"),
         make_case("ACC-SH", 1, DAY, phone="+8613900000001", timezone="Asia/Shanghai",
                   country="CN", language="zh", currency="CNY"))
    return sqlite_engine


def nothing_written(engine: Engine) -> None:
    assert count(engine, MessageRow) == 0
    assert count(engine, ContactDecisionRow) == 0
    assert count(engine, CaseEventRow, CaseEventRow.__table__.c.type == "EscalatedToLegal") == 0
    with SqlUnitOfWork(engine, FixedClock(datetime(2026, 12, 2, tzinfo=UTC))) as uow:
        case = uow.cases.get("ACC-LEGAL")
        assert case is not None and case.status is CaseStatus.ACTIVE


def test_explain_shows_every_decision_with_its_reasons(portfolio: Engine) -> None:
    result = runner.invoke(app, ["plan", "--explain", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    out = result.output
    blocks = {b.split()[0]: b for b in out.split("\nACC-") if b.strip()}
    send = next(b for k, b in blocks.items() if "SEND" in k)
    assert "SEND step first_notice template first_notice via email to s***@e***.com" in send
    assert "risk medium (score 35" in send and "campaign standard-retail-us" in send
    held = next(b for k, b in blocks.items() if k.endswith("HELD"))
    assert "DENY step reminder" in held
    assert "hold_cease: the customer asked us to stop contacting them" in held
    assert "nothing due" in next(b for k, b in blocks.items() if k.endswith("QUIET"))
    assert "LEGAL REVIEW step legal_review" in next(b for k, b in blocks.items()
                                                    if k.endswith("LEGAL"))
    assert "via sms to +861****0001" in next(b for k, b in blocks.items() if k.endswith("SH"))
    assert "5 open cases: 2 would get a message, 1 would go to legal review, 1 denied, " \
           "1 with nothing due" in out
    assert "denied because: hold_cease 1" in out
    assert "dry run: nothing was sent or recorded" in out
    assert "4155550102" not in out and "send@example.com" not in out  # addresses masked
    nothing_written(portfolio)


def test_the_table_lists_who_is_contacted_and_who_not(portfolio: Engine) -> None:
    result = runner.invoke(app, ["plan", "--date", DAY.isoformat(), "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()
             if line.startswith("ACC-")}
    assert set(lines) == {"ACC-SEND", "ACC-HELD", "ACC-QUIET"}
    assert lines["ACC-SEND"].split()[1:4] == ["SEND", "first_notice", "email"]
    assert lines["ACC-SEND"].endswith("first_notice")
    assert lines["ACC-HELD"].split()[1] == "DENY" and "hold_cease" in lines["ACC-HELD"]
    assert "nothing due" in lines["ACC-QUIET"]
    assert "3 open cases" in result.output
    nothing_written(portfolio)


def test_json_gives_one_object_per_case(portfolio: Engine) -> None:
    result = runner.invoke(app, ["plan", "--json", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    plans = {p["account_id"]: p for p in map(json.loads, result.output.splitlines())}
    assert len(plans) == 5
    [send] = plans["ACC-SEND"]["decisions"]
    assert (send["allowed"], send["step_id"], send["channel"], send["contact"]) == (
        True, "first_notice", "email", "s***@e***.com")
    [held] = plans["ACC-HELD"]["decisions"]
    assert not held["allowed"] and held["reasons"][0]["code"] == "hold_cease"
    assert plans["ACC-QUIET"]["decisions"] == []
    assert plans["ACC-SH"]["local_date"] == "2026-12-02"
    assert plans["ACC-SH"]["at"] == "2026-12-02T04:00:00+00:00"  # noon in Shanghai
    nothing_written(portfolio)


def test_mistakes_are_reported_without_a_traceback(portfolio: Engine, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["plan", "--date", "02/12/2026"])
    assert result.exit_code == 1 and "--date must be YYYY-MM-DD" in result.output
    unknown = runner.invoke(app, ["plan", "--account", "NOPE"])
    assert unknown.exit_code == 1 and "no case with account id 'NOPE'" in unknown.output


def test_plan_drafts_shows_what_approving_would_do(sqlite_engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", str(sqlite_engine.url))
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    seed(sqlite_engine, clock, make_case("ACC-SEND", 1, DAY, email="send@example.com"))
    from bot.bootstrap import bootstrap
    from storage.campaign_files import read_documents
    from tests.services.app import OPERATOR
    from tests.world import settings_for

    c = bootstrap(settings_for(sqlite_engine), clock=clock, engine=sqlite_engine)
    c.campaign_admin.import_documents(OPERATOR, read_documents([CAMPAIGNS]))
    active = runner.invoke(app, ["plan", "--date", DAY.isoformat()])
    assert active.exit_code == 0 and "0 would get a message" in active.output
    assert "no active campaign" in active.output
    drafts = runner.invoke(app, ["plan", "--date", DAY.isoformat(), "--drafts"])
    assert drafts.exit_code == 0 and "1 would get a message" in drafts.output
    explained = runner.invoke(app, ["plan", "--date", DAY.isoformat(), "--drafts",
                                    "--explain", "--account", "ACC-SEND"])
    assert "campaign standard-retail-us (any case (priority 100)): takes it" in \
        explained.output.replace("\n", " ")


def test_explain_names_the_profile_and_the_other_accounts_counted(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue #12: caps per person, shown with the accounts they counted."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", str(sqlite_engine.url))
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    with SqlUnitOfWork(sqlite_engine, clock) as uow:
        for account in ("ACC-P1", "ACC-P2"):
            uow.cases.add(make_case(account, 1, DAY, phone="+14155550177"),
                          customer_ref="PERSON")
        uow.commit()
    from bot.bootstrap import bootstrap
    from tests.services.app import activate_campaigns
    from tests.world import settings_for

    activate_campaigns(bootstrap(settings_for(sqlite_engine), clock=clock,
                                 engine=sqlite_engine), CAMPAIGNS)
    result = runner.invoke(app, ["plan", "--explain", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("profile US-RegF") == 2
    assert "SEND step first_notice" in out
    assert "frequency_channel [sms]: 1 sent on sms in the last 1 day (with 1 other account)" \
        in out and "(counted: ACC-P1)" in out
    assert "frequency_contact_point [sms +141****0177]: 1 sent on this address" in out
    as_json = runner.invoke(app, ["plan", "--json", "--date", DAY.isoformat()])
    assert {json.loads(line)["profile"] for line in as_json.output.splitlines()} == {"US-RegF"}
