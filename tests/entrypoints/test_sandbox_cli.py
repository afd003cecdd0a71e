"""``duebot sandbox reply|inbox``: a developer plays the customer on the sandbox channel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.domain.case import CaseStatus
from bot.domain.clock import FixedClock
from bot.entrypoints.cli_runtime import app
from storage.uow import SqlUnitOfWork
from tests.world import CAMPAIGNS, make_case, seed

runner = CliRunner()


@pytest.fixture
def one_case(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("DUEBOT_CAMPAIGN_DIR", str(CAMPAIGNS))
    seed(sqlite_engine, FixedClock(datetime.now(UTC)),
         make_case("ACC-77", 10, date.today(), email="ann@example.com"))
    return sqlite_engine


def test_reply_as_the_customer_and_read_the_answer(one_case: Engine) -> None:
    result = runner.invoke(app, ["sandbox", "reply", "I already paid this", "--account", "ACC-77",
                                 "--send-now"])
    assert result.exit_code == 0, result.output
    assert "sent 1 queued message" in result.output
    with SqlUnitOfWork(one_case, FixedClock(datetime.now(UTC))) as uow:
        case = uow.cases.get("ACC-77")
        assert case is not None and case.status is CaseStatus.ACTIVE
        assert "payment_claimed" in {h.value for h in case.holds}
    inbox = runner.invoke(app, ["sandbox", "inbox", "--account", "ACC-77"])
    assert inbox.exit_code == 0, inbox.output
    lines = inbox.output.splitlines()
    assert "→ bot +141****0123" in lines[0] and lines[1].strip() == "I already paid this"
    assert "bot → +141****0123" in lines[2]  # the bot's answer, sent by --send-now
    assert "4155550123" not in inbox.output


def test_reply_mistakes_are_clear(one_case: Engine) -> None:
    result = runner.invoke(app, ["sandbox", "reply", "hello", "--account", "NOPE"])
    assert result.exit_code == 1 and "no case with account id 'NOPE'" in result.output
    result = runner.invoke(app, ["sandbox", "reply", "hi", "-a", "ACC-77", "--channel",
                                 "telegram"])
    assert result.exit_code == 1 and "has no telegram contact point" in result.output
    result = runner.invoke(app, ["sandbox", "reply", "hi", "-a", "ACC-77", "--channel", "fax"])
    assert result.exit_code == 2 and "'fax' is not one of" in result.output  # usage
    empty = runner.invoke(app, ["sandbox", "inbox"])
    assert empty.exit_code == 0 and "the sandbox is empty" in empty.output
