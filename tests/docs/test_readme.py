"""The README stays true to the code: every setting documented, quick start as CI runs it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [f"DUEBOT_{name.upper()}" for name in Settings.model_fields
               if f"DUEBOT_{name.upper()}" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_the_urls_an_operator_pastes_are_the_ones_the_app_serves():
    from channels.telegram.webhook import WEBHOOK_PATH
    from channels.twilio.sms import INBOUND_PATH, STATUS_PATH

    section = README.split("### Provider webhooks", 1)[1].split("\n## ", 1)[0]
    for path in (INBOUND_PATH, STATUS_PATH, WEBHOOK_PATH, "/unsubscribe/{token}",
                 "/api/docs"):
        assert path in section, path
    assert "/api/docs" in (ROOT / "bot" / "entrypoints" / "web" / "app.py").read_text("utf-8")


def test_every_command_is_documented():
    from typer.main import get_command

    from bot.entrypoints.cli_app import app

    group = get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    missing = [name for name in names if f"duebot {name}" not in README]
    assert not missing, f"commands missing from README: {missing}"
    assert {"check", "receive", "scheduler", "worker", "serve"} <= set(names)
    flat = " ".join(README.split())
    for name in ("holds", "retention"):
        command = group.commands[name]  # type: ignore[attr-defined]
        for sub in command.commands:  # type: ignore[attr-defined]
            assert f"duebot {name} {sub}" in flat, (name, sub)


def test_the_sample_deployment_runs_the_documented_commands():
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["duebot-receive.service", "duebot-scheduler.service",
                                       "duebot-serve@.service", "duebot-worker@.service"]
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        command = re.search(r"^ExecStart=\S+/duebot (\w+)", text, re.M)
        assert command is not None and f"duebot {command.group(1)}" in README
        assert "EnvironmentFile=/etc/duebot/duebot.env" in text and "Restart=always" in text
    example = (ROOT / "deploy" / "duebot.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^(DUEBOT_\w+)=", example, re.M))
    unknown = [n for n in names if n.removeprefix("DUEBOT_").lower() not in Settings.model_fields]
    assert not unknown, f"the example sets unknown settings: {unknown}"
