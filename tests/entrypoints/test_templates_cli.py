"""``duebot templates lint`` and ``duebot templates preview`` (Typer app, real database for
``--case``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.conversations.disclosure import Disclosure
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_lint import DictProfile
from bot.domain.case import Case
from bot.domain.messages import ChannelKind
from bot.entrypoints.cli_templates import CaseLookupUnavailable, app, preview_text
from bot.settings import Settings
from storage.template_files import load_templates
from storage.uow import SqlUnitOfWork

PROFILE = DictProfile("Test", {"en": {"sms": "Reply STOP.", "email": "Unsub.",
                                      "telegram": "/stop"}})

ENV_VARS = ("DUEBOT_TEMPLATE_DIR", "DUEBOT_BRAND_NAME", "DUEBOT_JURISDICTION",
            "DUEBOT_DATABASE_URL", "DUEBOT_DEFAULT_LANGUAGE", "DUEBOT_TELEGRAM_VERIFICATION")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no .env, no database file next to the repo
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return CliRunner()


def bad_help_template(directory: Path) -> None:
    directory.mkdir()
    data = {"id": "help", "level": "limited",
            "limited": {"sms": {"en": "You owe us. Call {{ support_phone }}.",
                                "zh": "请致电 {{ support_phone }}。{{ opt_out }}"}}}
    (directory / "help.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                         encoding="utf-8")


# ---------------------------------------------------------------------------- lint
def test_lint_passes_on_the_shipped_templates(cli: CliRunner):
    result = cli.invoke(app, ["lint"])
    assert result.exit_code == 0, result.output
    shipped = len(load_templates())
    assert f"{shipped} templates, 0 issues (US-RegF, UK-FCA, CN)" in result.output


def test_lint_fails_listing_issues(cli: CliRunner, tmp_path: Path):
    bad_help_template(tmp_path / "over")
    result = cli.invoke(app, ["lint", "--dir", str(tmp_path / "over"), "--profile", "US-RegF"])
    assert result.exit_code == 1
    assert "US-RegF help [limited/sms/en/body] missing_opt_out" in result.output
    assert ("US-RegF help [limited/sms/en/body] disclosure: limited content reveals a debt: "
            "debt word 'owe'") in result.output
    assert f"{len(load_templates())} templates, 2 issues (US-RegF)" in result.output


def test_lint_reads_the_override_dir_from_the_environment(cli: CliRunner, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    bad_help_template(tmp_path / "over")
    monkeypatch.setenv("DUEBOT_TEMPLATE_DIR", str(tmp_path / "over"))
    result = cli.invoke(app, ["lint", "-p", "CN"])
    assert result.exit_code == 1 and "CN help [limited/sms/en/body]" in result.output


def test_lint_checks_the_configured_brand(cli: CliRunner, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUEBOT_BRAND_NAME", "Acme Collections")
    result = cli.invoke(app, ["lint", "-p", "UK-FCA"])
    assert result.exit_code == 1
    assert "debt word 'Collections'" in result.output


def test_lint_segment_budget_option(cli: CliRunner):
    result = cli.invoke(app, ["lint", "-p", "US-RegF", "--sms-segments", "1"])
    assert result.exit_code == 1 and "sms_too_long" in result.output and "budget is 1" in \
        result.output


def test_lint_unknown_profile(cli: CliRunner):
    result = cli.invoke(app, ["lint", "--profile", "Mars"])
    assert result.exit_code == 2
    assert "unknown jurisdiction profile 'Mars'" in result.output


# ---------------------------------------------------------------------------- preview
def test_preview_with_sample_data(cli: CliRunner):
    result = cli.invoke(app, ["preview", "first_notice", "--lang", "zh", "--channel", "sms",
                              "--profile", "CN"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "sample data (zh_CN, CNY)"
    assert lines[1].startswith("== first_notice · sms · zh · limited · CN · SMS UCS-2, ")
    assert lines[2].startswith("王小明您好！这里是Duebot Bank。")
    assert lines[2].endswith("回复TD退订")


def test_preview_shows_every_level_unless_one_is_picked(cli: CliRunner):
    both = cli.invoke(app, ["preview", "reminder", "--lang", "en", "--channel", "email"])
    assert both.exit_code == 0, both.output
    assert "· limited · US-RegF" in both.output and "· verified · US-RegF" in both.output
    assert both.output.count("Subject: Duebot Bank: please get in touch") == 2
    one = cli.invoke(app, ["preview", "reminder", "--channel", "email", "--level", "limited"])
    assert "· verified ·" not in one.output and "$1,240.00" not in one.output


def test_preview_errors(cli: CliRunner):
    unknown = cli.invoke(app, ["preview", "nope"])
    assert unknown.exit_code == 1 and "no template 'nope'" in unknown.output
    no_sms = cli.invoke(app, ["preview", "balance_info", "--channel", "sms"])
    assert no_sms.exit_code == 1 and "has no sms text in 'en'" in no_sms.output
    no_lang = cli.invoke(app, ["preview", "help", "--lang", "fr"])
    assert no_lang.exit_code == 1 and "no sample data for language 'fr'" in no_lang.output


def test_preview_lists_lint_issues_of_the_shown_text(cli: CliRunner, tmp_path: Path):
    bad_help_template(tmp_path / "over")
    result = cli.invoke(app, ["preview", "help", "--dir", str(tmp_path / "over")])
    assert result.exit_code == 0, result.output
    assert "You owe us." in result.output
    assert "lint: help [limited/sms/en/body] missing_opt_out" in result.output


def _case() -> Case:
    return Case(account_id="ACC-77881234", currency="GBP", balance_minor=9640,
                due_date=date(2025, 3, 14), customer_name="Amelia Jones", language="en",
                country="GB")


def test_preview_a_real_case_from_the_database(cli: CliRunner, sqlite_engine: Engine, clock,
                                               monkeypatch: pytest.MonkeyPatch):
    with SqlUnitOfWork(sqlite_engine, clock) as uow:
        uow.cases.add(_case())
        uow.commit()
    monkeypatch.setenv("DUEBOT_DATABASE_URL", str(sqlite_engine.url))
    result = cli.invoke(app, ["preview", "first_notice", "--case", "ACC-77881234",
                              "--channel", "telegram", "--level", "verified",
                              "--profile", "UK-FCA"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("case ACC-77881234 (en_GB, GBP)")
    assert "Hi Amelia, we have not yet received the payment on your account ****1234, " \
           "due on 14 Mar 2025. Balance: £96.40." in result.output

    missing = cli.invoke(app, ["preview", "first_notice", "--case", "ACC-NOPE"])
    assert missing.exit_code == 1 and "no case with account id 'ACC-NOPE'" in missing.output


def test_preview_case_without_a_schema_says_so(cli: CliRunner, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = cli.invoke(app, ["preview", "first_notice", "--case", "ACC-1"])
    assert result.exit_code == 1
    assert "case lookup failed" in result.output and "duebot db upgrade" in result.output


def test_preview_falls_back_to_samples_when_cases_cannot_be_looked_up():
    def unavailable(account_id: str) -> Case | None:
        raise CaseLookupUnavailable("case lookup needs the database (bot.bootstrap not "
                                    "available)")

    lines = preview_text("help", "en", ChannelKind.SMS, account_id="ACC-1", level=None,
                         profile=PROFILE, settings=Settings(), store=load_templates(),
                         loader=unavailable)
    assert lines[0] == ("note: case lookup needs the database (bot.bootstrap not available); "
                        "showing sample data")
    assert lines[1] == "sample data (en_US, USD)"


def test_preview_text_uses_the_loader_it_is_given():
    cases = {"ACC-77881234": _case()}
    lines = preview_text("balance_info", None, ChannelKind.TELEGRAM, account_id="ACC-77881234",
                         level=Disclosure.VERIFIED,
                         profile=PROFILE,
                         settings=Settings(), store=load_templates(), loader=cases.get)
    assert "- Balance: £96.40" in "\n".join(lines)
    with pytest.raises(TemplateError, match="no case with account id 'X'"):
        preview_text("help", None, ChannelKind.SMS, account_id="X", level=None,
                     profile=PROFILE, settings=Settings(),
                     store=load_templates(), loader=cases.get)
