"""The command line as a team uses it: the first-run walkthrough (import → validate →
plan → approve → run a tick → report), holds and notes, config errors as one line,
unknown variables warned about, ``--version`` and ``-h``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.entrypoints.cli_app import app
from tests.entrypoints.test_cli import GOOD, workdir  # noqa: F401 (fixture)
from tests.world import CAMPAIGNS

runner = CliRunner()


def duebot(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(app, list(args), input=input, env=env)
    assert "Traceback" not in result.output + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def ready(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    monkeypatch.setenv("DUEBOT_CAMPAIGN_DIR", str(CAMPAIGNS))
    assert duebot("db", "upgrade").exit_code == 0
    (workdir / "book.csv").write_text(GOOD, encoding="utf-8")
    assert duebot("import", "cases", "book.csv", "--json").exit_code == 0
    return workdir


def test_version_and_short_help() -> None:
    assert duebot("--version").output.startswith("duebot ")
    assert "campaigns" in duebot("-h").output and "--account" in duebot(
        "cases", "show", "-h").output


def test_first_run_from_import_to_report(ready: Path) -> None:
    assert duebot("campaigns", "validate").exit_code == 0
    imported = json.loads(duebot("campaigns", "import", "--json").output)
    assert [(i["campaign_id"], i["version"], i["status"]) for i in imported] == [
        ("standard-retail-us", 1, "draft")]
    listed = json.loads(duebot("campaigns", "list", "--json").output)
    assert listed[0]["status"] == "not active"
    approved = duebot("campaigns", "approve", "standard-retail-us", "--activate")
    assert approved.exit_code == 0 and "v1: active" in approved.output
    shown = json.loads(duebot("campaigns", "show", "standard-retail-us", "--json").output)
    assert shown["versions"][0]["approved_by"].startswith("cli:")
    exported = duebot("campaigns", "export", "standard-retail-us")
    assert exported.output == (CAMPAIGNS / "example.yaml").read_text(encoding="utf-8")
    assert "paused: standard-retail-us" in duebot("pause").output
    assert json.loads(duebot("campaigns", "list", "--json").output)[0]["status"] == "paused"
    assert "resumed: standard-retail-us" in duebot("resume").output
    case = json.loads(duebot("cases", "show", "--account", "ACC-100001", "--json").output)
    assert case["campaign"]["id"] == "standard-retail-us"
    report = duebot("report", "--format", "json")
    assert report.exit_code == 0 and json.loads(report.output)["total"]["contacts"] == 0
    assert "campaign outcomes by variant" in duebot("report").output


def test_validate_lists_every_problem_and_exits_1(ready: Path) -> None:
    bad = ready / "bad.yaml"
    bad.write_text((CAMPAIGNS / "example.yaml").read_text(encoding="utf-8")
                   .replace("template: reminder", "template: remindr")
                   .replace("[telegram, email, sms]", "[telegram, emial, sms]"),
                   encoding="utf-8")
    result = duebot("campaigns", "validate", str(bad))
    assert result.exit_code == 1
    assert "did you mean 'reminder'?" in result.stderr and "did you mean 'email'?" in \
        result.stderr
    refused = duebot("campaigns", "import", str(bad))
    assert refused.exit_code == 1 and "nothing loaded" in refused.stderr
    assert duebot("campaigns", "list", "--json").output.strip() == "[]"


def test_holds_notes_and_supervision_from_the_command_line(ready: Path) -> None:
    a = ("--account", "ACC-100001")
    assert duebot("users", "add", "ann", "--role", "collector", "--no-password").exit_code == 0
    assert duebot("holds", "set", *a, "--hold", "deceased", "--reason", "certificate",
                  "--as", "ann").exit_code == 0
    bad = duebot("holds", "set", *a, "--hold", "human", "--reason", "x")
    assert bad.exit_code == 1 and "not a hold a person sets" in bad.stderr
    assert duebot("cases", "note", *a, "--text", "spoke to the executor").exit_code == 0
    view = json.loads(duebot("cases", "show", *a, "--json").output)
    assert view["holds"] == {"deceased": "certificate"}
    events = [(e["type"], e["actor"]) for e in view["events"]]
    assert ("HoldPlaced", "collector:ann via cli:" + events[-1][1].split("cli:")[1]) in events
    assert events[-1][0] == "NoteAdded" and events[-1][1].startswith("cli:")
    assert duebot("holds", "clear", *a, "--hold", "deceased", "--reason", "wrong case"
                  ).exit_code == 0
    assert duebot("cases", "write-off", *a, "--reason", "estate closed").exit_code == 0
    assert json.loads(duebot("cases", "show", *a, "--json").output)["status"] == \
        "closed_written_off"
    revealed = json.loads(duebot("cases", "reveal", *a, "--reason", "audit", "--json").output)
    assert {"channel": "sms", "address": "+14155550123"} in revealed
    assert json.loads(duebot("audit", "--action", "case.reveal", "--json").output)[0][
        "target"] == "ACC-100001"


def test_configuration_errors_are_one_line_naming_the_variable(ready: Path) -> None:
    result = duebot("cases", "list", env={"DUEBOT_JURISDICTION": "DE"})
    assert result.exit_code == 2
    [line] = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("configuration error: DUEBOT_JURISDICTION:") and "US-RegF" in line
    port = duebot("cases", "list", env={"DUEBOT_PORT": "eighty"})
    assert port.exit_code == 2 and "DUEBOT_PORT" in port.stderr


def test_an_unknown_duebot_variable_is_warned_about(ready: Path) -> None:
    result = duebot("cases", "list", env={"DUEBOT_DATABSE_URL": "sqlite:///other.db"})
    assert result.exit_code == 0
    assert "DUEBOT_DATABSE_URL is not a duebot setting" in result.stderr
    assert "did you mean DUEBOT_DATABASE_URL?" in result.stderr
