"""Campaign files on disk: a directory read all or nothing, unreadable inputs reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.campaigns import Campaign, CampaignError
from storage.campaign_files import load_campaign, load_campaigns

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
id: small
name: Small
profile: UK-FCA
steps:
  - id: first
    trigger: {dpd: 1}
    channels: [sms, email]
    template: first_notice
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_campaigns_load() -> None:
    example = load_campaign(ROOT / "campaigns" / "example.yaml")
    assert example.profile == "US-RegF"
    assert load_campaigns(ROOT / "campaigns") == {example.id: example}


def test_load_directory(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yml", GOOD.replace("id: small", "id: other"))
    write(tmp_path, "notes.txt", "not a campaign")
    (tmp_path / "c.yaml").mkdir()  # not a file: ignored
    loaded = load_campaigns(tmp_path)
    assert sorted(loaded) == ["other", "small"]
    assert all(isinstance(c, Campaign) for c in loaded.values())


def test_one_bad_file_loads_nothing_and_all_problems_are_listed(tmp_path: Path) -> None:
    write(tmp_path, "a_good.yaml", GOOD)
    write(tmp_path, "b_bad.yaml", GOOD.replace("id: small", "id: bad").replace("sms,", "fax,"))
    write(tmp_path, "c_bad.yaml", "id: [unclosed\n")
    write(tmp_path, "d_dup.yaml", GOOD)
    (tmp_path / "e_binary.yaml").write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(CampaignError) as info:
        load_campaigns(tmp_path)
    text = str(info.value)
    assert text.startswith("4 problems in campaign definitions; nothing loaded")
    assert f"{tmp_path / 'b_bad.yaml'}:7: steps[0].channels[0]" in text
    assert "c_bad.yaml:" in text and "YAML syntax error" in text
    assert (f"{tmp_path / 'd_dup.yaml'}:1: id: campaign id 'small' is already defined in "
            f"{tmp_path / 'a_good.yaml'}") in text
    assert f"{tmp_path / 'e_binary.yaml'}: cannot read:" in text
    files = [p.file for p in info.value.problems]
    assert files == sorted(files)  # in file order, an unreadable one in its place


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(CampaignError, match="cannot read"):
        load_campaign(tmp_path / "missing.yaml")
    with pytest.raises(CampaignError, match="not a directory"):
        load_campaigns(tmp_path / "nope")
    with pytest.raises(CampaignError, match=r"c\.yaml:2: steps: "):
        load_campaign(write(tmp_path, "c.yaml", "id: c\nsteps: 5\nname: C\n"))
