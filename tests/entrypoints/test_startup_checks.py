"""Start-up validation before anything is queued: ``duebot check`` reports every finding
(settings, database, campaigns, templates, channel credentials checked with the loopback
providers), and ``run``/``scheduler``/``worker`` refuse to start on any problem with one
line, having queued and sent nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.bootstrap import bootstrap
from bot.domain.clock import FixedClock
from bot.entrypoints.startup_checks import PLANNING, SENDING, check, problems
from storage.db import make_engine
from storage.models import MessageRow
from tests.channels.harness_email import FROM_ADDRESS, SMTP_PASSWORD, SMTP_USER
from tests.peers.smtp_server import SmtpPeer
from tests.peers.telegram_api import FakeTelegramBotAPI
from tests.peers.twilio_api import TwilioApiPeer
from tests.world import CAMPAIGNS, ROOT, local_today, make_case, seed, settings_for


def areas(findings: list[Any]) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = {}
    for f in findings:
        out.setdefault(f.area, []).append(f.ok)
    return out


async def test_the_embedded_default_is_ready(sqlite_engine: Engine, clock: FixedClock) -> None:
    findings = await check(bootstrap(settings_for(sqlite_engine), clock=clock,
                                     engine=sqlite_engine))
    assert problems(findings) == []
    assert list(areas(findings)) == ["settings", "database", "campaigns", "templates",
                                     "channel sms", "channel email", "channel telegram"]
    assert "sandbox" in findings[-1].message


async def test_settings_campaigns_and_the_database_are_checked(
        sqlite_engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    text = (CAMPAIGNS / "example.yaml").read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.strip().startswith("template:"))
    (campaigns / "example.yaml").write_text(
        text.replace(first, first.split(":")[0] + ": no_such_template", 1), encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown compliance profile"):
        settings_for(sqlite_engine, jurisdiction="XX-Nowhere")  # refused when read
    settings = settings_for(sqlite_engine, default_timezone="Mars/Olympus").model_copy(
        update={"campaign_dir": campaigns})
    found = await check(bootstrap(settings, clock=clock, engine=sqlite_engine))
    bad = [str(f) for f in problems(found)]
    assert any("DUEBOT_DEFAULT_TIMEZONE" in b for b in bad)
    assert any("no_such_template" in b and b.startswith("campaigns:") for b in bad)
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    old = await check(bootstrap(settings_for(empty), clock=clock, engine=empty), ["database"])
    assert [str(f) for f in old] == [
        "database: the schema is missing or old: run `duebot db upgrade`"]


async def test_each_configured_channel_is_verified_with_its_provider(
        sqlite_engine: Engine, clock: FixedClock) -> None:
    async with (SmtpPeer(tls="none", users={SMTP_USER: SMTP_PASSWORD}) as smtp,
                TwilioApiPeer() as twilio, FakeTelegramBotAPI() as telegram):
        real: dict[str, Any] = dict(
            smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none",
            smtp_username=SMTP_USER, smtp_password=SecretStr(SMTP_PASSWORD),
            email_from=FROM_ADDRESS, twilio_account_sid=twilio.account_sid,
            twilio_auth_token=SecretStr(twilio.auth_token), twilio_from_number="+14155550100",
            twilio_api_base=twilio.base_url, telegram_bot_token=SecretStr(telegram.token),
            telegram_api_base=telegram.api_base)
        good = await check(bootstrap(settings_for(sqlite_engine, **real), clock=clock,
                                     engine=sqlite_engine), ["channels"])
        assert [(f.area, f.ok) for f in good] == [
            ("channel sms", True), ("channel email", True), ("channel telegram", True)]
        assert all("credentials accepted" in f.message for f in good)
        wrong = {**real, "smtp_password": SecretStr("not-it"),
                 "twilio_auth_token": SecretStr("f" * 32)}
        bad = await check(bootstrap(settings_for(sqlite_engine, **wrong), clock=clock,
                                    engine=sqlite_engine), SENDING)
        assert [(f.area, f.ok) for f in problems(bad)] == [("channel sms", False),
                                                           ("channel email", False)]
        text = " ".join(str(f) for f in bad)
        assert "not-it" not in text and "f" * 32 not in text
        # nothing was sent by any check
        assert smtp.messages == [] and twilio.messages == [] and telegram.sent == []
    assert PLANNING[:1] == SENDING[:1] == ("settings",)


def _duebot(tmp_path: Path, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    base.update(DUEBOT_DATABASE_URL=f"sqlite:///{db}", DUEBOT_CAMPAIGN_DIR=str(CAMPAIGNS),
                PYTHONPATH=str(ROOT), COLUMNS="300", **env)
    return subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", *args], cwd=tmp_path,
                          env=base, capture_output=True, text=True, timeout=120, check=False)


def test_run_refuses_a_bad_telegram_token_with_one_line_and_queues_nothing(
        tmp_path: Path, sqlite_template: Path, clock: FixedClock) -> None:
    db = tmp_path / "run.db"
    shutil.copy(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    seed(engine, clock, make_case("ACC-1", 5, local_today(clock)))  # something is due
    real = {"DUEBOT_TELEGRAM_BOT_TOKEN": "123456:TEST",
            "DUEBOT_SECRET_KEY": "k" * 48}  # a real channel needs a real key (checked first)
    run = _duebot(tmp_path, db, "run", **real)
    assert run.returncode == 1
    assert run.stdout == "" and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("error: cannot start, nothing was queued or sent: channel "
                                 "telegram: Telegram: DUEBOT_TELEGRAM_BOT_TOKEN is not a bot "
                                 "token")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MessageRow)).scalar_one() == 0
    checked = _duebot(tmp_path, db, "check", **real)
    assert checked.returncode == 1
    assert "FAIL channel telegram: Telegram: DUEBOT_TELEGRAM_BOT_TOKEN" in checked.stdout
    assert "ok   channel sms: sandbox" in checked.stdout and "123456:TEST" not in checked.stdout
    engine.dispose()
