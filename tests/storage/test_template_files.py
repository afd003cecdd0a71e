"""Template files on disk: the shipped directory, an override directory, saving an edit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.conversations.disclosure import Disclosure
from bot.conversations.template_errors import (
    TemplateFormatError,
    UnknownTemplateError,
    UnsafeTemplateError,
)
from bot.conversations.template_lint import DictProfile, sample_contexts
from bot.conversations.template_renderer import TemplateRenderer
from bot.conversations.template_store import TemplateStore
from storage.template_files import SHIPPED_TEMPLATE_DIR, load_templates, save_template

PROFILE = DictProfile("Test", opt_out={"en": {"sms": "Reply STOP.", "email": "Unsubscribe.",
                                              "telegram": "Send /stop."}})


def spec_text(**sections: object) -> str:
    data: dict[str, object] = {"id": "t", "level": "limited"}
    data.update(sections)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def render_id(store: TemplateStore, tid: str) -> str:
    ctx = replace(sample_contexts()["en"][0], disclosure=Disclosure.LIMITED)
    return TemplateRenderer(store, PROFILE).render(tid, "en", "telegram", ctx).body


def test_the_shipped_directory_holds_only_templates_and_the_readme():
    assert {p.suffix for p in SHIPPED_TEMPLATE_DIR.iterdir()} == {".yaml", ".md"}
    store = load_templates()
    assert store.ids() == sorted(p.stem for p in SHIPPED_TEMPLATE_DIR.glob("*.yaml"))
    assert not store.problems


def test_override_dir_replaces_a_shipped_template(tmp_path: Path):
    (tmp_path / "help.yaml").write_text(
        spec_text(id="help", limited={"telegram": {"en": "Custom help.", "zh": "自定义。"}}),
        encoding="utf-8")
    store = load_templates(tmp_path)
    assert render_id(store, "help") == "Custom help."
    assert len(store) == len(load_templates())
    assert store.get("help").source == str(tmp_path / "help.yaml")


def test_a_broken_override_is_reported_and_never_falls_back(tmp_path: Path):
    (tmp_path / "help.yaml").write_text("id: help\nlevel: [\n", encoding="utf-8")
    with pytest.raises(TemplateFormatError, match=r"help\.yaml: not valid YAML"):
        load_templates(tmp_path)
    store = load_templates(tmp_path, strict=False)
    assert [Path(p.path).name for p in store.problems] == ["help.yaml"]
    with pytest.raises(UnknownTemplateError, match="no template 'help'"):
        render_id(store, "help")


def test_an_unreadable_file_is_a_problem_too(tmp_path: Path):
    (tmp_path / "help.yaml").write_bytes(b"id: help\n\xff\xfe not utf-8\n")
    with pytest.raises(TemplateFormatError, match=r"help\.yaml: cannot read"):
        load_templates(tmp_path)
    store = load_templates(tmp_path, strict=False)
    assert [(Path(p.path).name, p.error.code) for p in store.problems] == [("help.yaml",
                                                                           "syntax")]
    assert "help" not in store


def test_missing_directories_are_errors(tmp_path: Path):
    with pytest.raises(TemplateFormatError, match="does not exist"):
        load_templates(tmp_path / "nope")
    store = load_templates(tmp_path / "nope", strict=False)
    assert [p.path for p in store.problems] == [str(tmp_path / "nope")]
    assert len(store) == len(load_templates())  # the shipped ones are still there
    empty = load_templates(shipped_dir=tmp_path / "none", strict=False)
    assert len(empty) == 0 and len(empty.problems) == 1


def test_save_validates_then_writes_atomically(tmp_path: Path):
    store = load_templates(tmp_path)
    good = spec_text(id="help", limited={"telegram": {"en": "Saved.", "zh": "已保存。"}})
    save_template(store, tmp_path, good, expected_id="help")
    assert (tmp_path / "help.yaml").read_text(encoding="utf-8") == good
    assert render_id(store, "help") == "Saved."
    assert render_id(load_templates(tmp_path), "help") == "Saved."

    bad = spec_text(id="help", limited={"telegram": {"en": "{{ ''.__class__ }}"}})
    with pytest.raises(UnsafeTemplateError):
        save_template(store, tmp_path, bad, expected_id="help")
    assert (tmp_path / "help.yaml").read_text(encoding="utf-8") == good
    assert render_id(store, "help") == "Saved."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["help.yaml"]  # no temp file left


def test_save_needs_an_override_dir():
    with pytest.raises(TemplateFormatError, match="no override directory"):
        save_template(load_templates(), None, spec_text(limited={"telegram": {"en": "x"}}))
