"""``duebot simulate``: the real services end to end on the sandbox channel, reproducibly."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.domain.clock import FixedClock
from bot.settings import Settings
from bot.sim.customers import CAMPAIGN, PERSONAS, Customer, Pay, Say
from bot.sim.simulation import Simulation, SimulationError
from storage.db import make_engine
from storage.models import MessageRow, PaymentRow, PromiseRow

LINE = re.compile(r"^simulate: days=(\d+) cases=(\d+) contacts=(\d+) promises=(\d+) "
                  r"kept=(\d+) cures=(\d+) opt_outs=(\d+)$")


def quiet_settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


async def test_sixty_cases_over_twenty_days_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    result = await Simulation(days=20, cases=60, seed=7, db_path=db,
                              settings=quiet_settings()).run()
    m = LINE.match(result.line())
    assert m and m.group(1, 2) == ("20", "60")
    t = result.total
    assert t.contacts > 60 and t.promises > 0 and t.kept <= t.promises
    assert 0 < t.right_party <= t.contacts and t.cures > 0
    rows = {r.key: r for r in result.report.rows}
    assert sum(r.counts.contacts for r in rows.values()) == t.contacts
    steps = [step for _, step, _ in rows]
    assert {"first_notice", "reminder"} <= set(steps)
    assert {v for _, step, v in rows if step == "reminder"} <= {"A", "B"}
    # steps in campaign order, not alphabetical
    order = ["courtesy", "first_notice", "reminder", "follow_up_high_risk", "follow_up",
             "final_notice", "pre_legal", "promise_due_tomorrow", "promise_broken",
             "no_response", "instalment_due"]
    seen = list(dict.fromkeys(s for s in steps if s in order))
    assert seen == sorted(seen, key=order.index)
    assert result.dispatch.sent >= t.contacts and result.inbound > 0
    # what the report says is what the database holds
    engine = make_engine(f"sqlite:///{db}")
    ms = MessageRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(
            ms.c.direction == "out", ms.c.step_id.is_not(None),
            ms.c.status == "sent")).scalar_one()
        answered = conn.execute(select(func.count()).where(
            ms.c.direction == "in", ms.c.intent.is_not(None))).scalar_one()
        pr = PromiseRow.__table__  # type: ignore[attr-defined]
        promises = conn.execute(select(func.count()).select_from(
            select(pr.c.case_id, pr.c.made_at).distinct().subquery())).scalar_one()
        payments = conn.execute(select(func.count()).select_from(
            PaymentRow.__table__)).scalar_one()  # type: ignore[attr-defined]
    engine.dispose()
    assert sent == t.contacts and answered > 0 and promises == t.promises > 0
    assert payments == result.payments > 0


async def test_the_same_seed_gives_the_same_run() -> None:
    runs = [await Simulation(days=6, cases=25, seed=11, settings=quiet_settings()).run()
            for _ in range(2)]
    assert runs[0].line() == runs[1].line()
    assert runs[0].report.as_dict() == runs[1].report.as_dict()
    other = await Simulation(days=6, cases=25, seed=12, settings=quiet_settings()).run()
    assert other.report.as_dict() != runs[0].report.as_dict()


async def test_an_existing_database_is_never_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "keep.db"
    db.write_text("precious")
    with pytest.raises(SimulationError, match="exists"):
        await Simulation(days=1, cases=1, db_path=db).run()
    assert db.read_text() == "precious"
    with pytest.raises(SimulationError, match="at least 1"):
        Simulation(days=0)


def test_the_command_prints_the_table_and_the_summary_line(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from bot.entrypoints.cli_runtime import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUEBOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["simulate", "--days", "3", "--cases", "12",
                                      "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert LINE.match(lines[-1]) and lines[-1].startswith("simulate: days=3 cases=12 ")
    assert "campaign outcomes: 12 cases over 3 days" in result.output
    assert "right-party" in result.output and "opt-outs" in result.output
    assert (tmp_path / "s.db").exists()
    again = CliRunner().invoke(app, ["simulate", "--days", "1", "--db", str(tmp_path / "s.db")])
    assert again.exit_code == 1 and "exists" in again.output


def test_report_on_the_simulations_database_matches_what_simulate_printed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`duebot report` on the kept database prints simulate's numbers (same code)."""
    import json

    from bot.entrypoints.cli_app import app as duebot

    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("DUEBOT_")]:
        monkeypatch.delenv(name)
    db = tmp_path / "sim.db"
    simulated = CliRunner().invoke(duebot, ["simulate", "--days", "8", "--cases", "30",
                                            "--seed", "3", "--db", str(db), "--json"])
    assert simulated.exit_code == 0, simulated.output
    printed = json.loads(simulated.stdout)["report"]
    assert printed["total"]["contacts"] > 0 and printed["rows"]
    monkeypatch.setenv("DUEBOT_DATABASE_URL", f"sqlite:///{db}")
    for by in ("variant", "step", "day"):
        report = CliRunner().invoke(duebot, ["report", "--format", "json", "--by", by])
        assert report.exit_code == 0, report.output
        if by == "variant":
            assert json.loads(report.stdout) == printed
        else:
            assert json.loads(report.stdout)["total"] == printed["total"]
    csv_out = CliRunner().invoke(duebot, ["report", "--format", "csv", "--by", "step"])
    header, *lines = csv_out.stdout.strip().splitlines()
    assert header.startswith("campaign,step,contacts,cases,right_party")
    assert lines[-1].startswith(f"total,,{printed['total']['contacts']},")


def customer(language: str = "en", segment: str = "prime") -> Customer:
    from bot.domain.messages import ChannelKind

    return Customer.create(5, account_id="ACC-1", case_id=1, language=language,
                           currency="USD" if language == "en" else "CNY",
                           balance_minor=81_240, minimum_minor=4_000, segment=segment,
                           date_of_birth=None, addresses={ChannelKind.SMS: "+14155550123"})


def test_customers_write_what_the_parser_reads() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from bot.domain.messages import ChannelKind
    from bot.replies.model import Intent
    from bot.replies.parser import parse_reply

    now = FixedClock(datetime(2026, 12, 1, 15, tzinfo=UTC)).now()
    for language, zone in (("en", "America/New_York"), ("zh", "Asia/Shanghai")):
        c = customer(language)
        local = now.astimezone(ZoneInfo(zone))
        for _ in range(40):
            text = c._promise_text(local.date())
            reply = parse_reply(text, local, Decimal("812.40"), c.currency, language)
            assert reply.intent is Intent.PROMISE_TO_PAY, text
            [term] = reply.promises
            assert term.amount is not None and term.date is not None, text
            assert Decimal("40.00") <= term.amount <= Decimal("812.40"), text
            assert 1 <= (term.date - local.date()).days <= 10, text
    actions = []
    for seed in range(300):  # many customers, one campaign message each
        c = Customer.create(seed, account_id="ACC-1", case_id=1, language="en",
                            currency="USD", balance_minor=81_240, minimum_minor=4_000,
                            segment="prime", date_of_birth=None,
                            addresses={ChannelKind.SMS: "+14155550123"})
        actions += c.read(CAMPAIGN, ChannelKind.SMS, now)
    said = [a.text for a in actions if isinstance(a, Say)]
    paid = [a for a in actions if isinstance(a, Pay)]
    answer_rate = PERSONAS["prime"].answer
    assert 0.5 * answer_rate * 300 < len(said) < 1.5 * answer_rate * 300
    assert paid and all(p.at > now for p in paid)
    intents = {parse_reply(t, now.astimezone(ZoneInfo("America/New_York")), Decimal("812.40"),
                           "USD", "en").intent for t in said}
    assert {Intent.PROMISE_TO_PAY, Intent.PAID, Intent.HARDSHIP} <= intents
