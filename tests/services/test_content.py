"""Templates and campaigns are checked where they are used (bot/services/content.py).

Before: a ``DUEBOT_TEMPLATE_DIR`` template saying "We will sue you tomorrow" without an
opt-out line was rendered and sent; only ``duebot templates lint`` looked at it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import bootstrap
from bot.conversations.template_check import TemplateCheck, TemplateCheckError
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_spec import parse_template
from bot.domain.messages import ChannelKind
from bot.policy.profiles import get_profile
from bot.services.content import Content
from bot.settings import Settings
from storage.content_files import DiskContent
from storage.pressure_files import shipped_pressure_lexicon
from storage.template_files import SHIPPED_TEMPLATE_DIR, save_template
from tests.world import CAMPAIGNS, ROOT

THREAT = "We will sue you tomorrow, {{ customer_name | first_name('there') }}."


def first_notice(sms_en: str) -> str:
    """The shipped first_notice with another English SMS text."""
    data = yaml.safe_load((SHIPPED_TEMPLATE_DIR / "first_notice.yaml").read_text("utf-8"))
    data["limited"]["sms"]["en"] = sms_en
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def content(templates: Path | None, campaigns: Path | None, profile: str = "US-RegF"
            ) -> Content:
    check = TemplateCheck((get_profile(profile),), shipped_pressure_lexicon())
    return Content(DiskContent(templates, campaigns), check, get_profile)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    templates, campaigns = tmp_path / "templates", tmp_path / "campaigns"
    templates.mkdir()
    shutil.copytree(CAMPAIGNS, campaigns)
    return templates, campaigns


def test_an_override_that_threatens_without_an_opt_out_refuses_the_start(dirs) -> None:
    templates, campaigns = dirs
    (templates / "first_notice.yaml").write_text(first_notice(THREAT), encoding="utf-8")
    with pytest.raises(TemplateCheckError) as info:
        content(templates, campaigns).start()
    text = str(info.value)
    # every finding, with the template, channel and language
    assert "first_notice [limited/sms/en/body]" in text
    assert "forbidden_phrase" in text and "'sue'" in text
    assert "missing_opt_out" in text
    assert "nothing loaded and nothing started" in text


def test_the_application_never_renders_an_unchecked_template(dirs) -> None:
    templates, _ = dirs
    (templates / "first_notice.yaml").write_text(first_notice(THREAT), encoding="utf-8")
    c = bootstrap(Settings(template_dir=templates, database_url="sqlite://"), memory=True)
    # each template is checked when first used (what the renderer asks the store for),
    # all of them when they are listed: the threatening one is refused every time
    for _ in range(2):
        with pytest.raises(TemplateCheckError, match="forbidden_phrase") as info:
            c.renderer.store.get("first_notice")
        assert "first_notice.yaml" in str(info.value)
        with pytest.raises(TemplateCheckError, match="forbidden_phrase"):
            list(c.templates)
    assert c.templates.get("reminder").id == "reminder"  # checked, and clean


def test_a_campaign_naming_a_missing_template_or_channel_refuses_the_start(dirs) -> None:
    templates, campaigns = dirs
    example = (campaigns / "example.yaml").read_text(encoding="utf-8")
    broken = example.replace("template: final_notice", "template: final_notise").replace(
        "id: standard-retail-us", "id: second")
    (campaigns / "second.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(TemplateCheckError) as info:
        content(templates, campaigns).start()
    assert "campaign second: step final_notice: template 'final_notise' does not exist" \
        in str(info.value)


def test_every_template_is_checked_under_each_campaign_profile(tmp_path: Path) -> None:
    """A UK deployment running a US campaign: its templates need the mini-Miranda."""
    templates = tmp_path / "templates"
    templates.mkdir()
    data = yaml.safe_load((SHIPPED_TEMPLATE_DIR / "balance_info.yaml").read_text("utf-8"))
    data["verified"]["telegram"]["en"] = "Balance: {{ balance_minor | money }}.\n\n{{ opt_out }}"
    (templates / "balance_info.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    uk = content(templates, None, "UK-FCA")
    assert "balance_info" in uk.templates  # fine under the UK profile alone
    with pytest.raises(TemplateCheckError, match="missing_mini_miranda"):
        uk.require_profiles(["US-RegF"])
    assert uk.check.profile_names == ("UK-FCA",)  # refused: nothing changed
    with pytest.raises(TemplateCheckError, match="missing_mini_miranda"):
        content(templates, CAMPAIGNS, "UK-FCA").start()  # example.yaml is US-RegF


def test_a_reload_refuses_an_invalid_file_and_keeps_the_last_valid_version(dirs) -> None:
    templates, campaigns = dirs
    good = first_notice("Hi, {{ brand_name }} here: please call {{ support_phone }}. "
                        "{{ opt_out }}")
    (templates / "first_notice.yaml").write_text(good, encoding="utf-8")
    live = content(templates, campaigns)
    started = live.start()
    store = live.templates
    before = store.get("first_notice")

    (templates / "first_notice.yaml").write_text(first_notice(THREAT), encoding="utf-8")
    (campaigns / "example.yaml").write_text("id: [broken\n", encoding="utf-8")
    report = live.reload()
    assert not report.ok
    assert any("first_notice" in r and "forbidden_phrase" in r for r in report.refused)
    assert any("example.yaml" in r for r in report.refused)
    assert store.get("first_notice") is before  # the last valid version stays in use
    assert live.campaigns == started

    fixed = first_notice("Hi, {{ brand_name }} here: call us on {{ support_phone }}. "
                         "{{ opt_out }}")
    (templates / "first_notice.yaml").write_text(fixed, encoding="utf-8")
    (campaigns / "example.yaml").write_text(
        (CAMPAIGNS / "example.yaml").read_text(encoding="utf-8").replace(
            "name: Standard retail (US)", "name: Retail (US), reloaded"), encoding="utf-8")
    report = live.reload()
    assert report.ok, report.summary()
    assert "call us on" in store.get("first_notice").variant(
        next(iter(store.get("first_notice").level.disclosures)), ChannelKind.SMS, "en").body
    assert live.campaigns["standard-retail-us"].name == "Retail (US), reloaded"


def test_an_edit_that_fails_the_check_is_refused_and_not_saved(dirs, tmp_path: Path) -> None:
    templates, campaigns = dirs
    live = content(templates, campaigns)
    store = live.templates
    before = store.get("first_notice")
    with pytest.raises(TemplateError) as info:  # a TemplateError
        save_template(store, templates, first_notice(THREAT))
    assert "forbidden_phrase" in str(info.value) or "missing_opt_out" in str(info.value)
    assert store.get("first_notice") is before
    assert not (templates / "first_notice.yaml").exists()


def test_a_checked_store_refuses_an_unchecked_spec_put_in_directly(dirs) -> None:
    templates, campaigns = dirs
    store = content(templates, campaigns).templates
    spec = parse_template(first_notice(THREAT))
    with pytest.raises(TemplateError):
        store.put(spec)


def test_the_shipped_templates_and_campaigns_pass(dirs) -> None:
    templates, campaigns = dirs
    assert set(content(templates, campaigns).start()) == {"standard-retail-us"}
    assert ROOT.is_dir()


def test_a_process_without_campaign_files_checks_its_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    live = content(templates, tmp_path / "no-campaigns")
    assert live.start(campaigns=False) == {}
    assert live.reload().ok  # and reloads without looking for campaigns
    (templates / "first_notice.yaml").write_text(first_notice(THREAT), encoding="utf-8")
    with pytest.raises(TemplateCheckError, match="forbidden_phrase"):
        content(templates, tmp_path / "no-campaigns").start(campaigns=False)
