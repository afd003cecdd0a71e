"""Jurisdiction profiles: documented defaults and the accessors other modules read."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.domain.messages import ChannelKind
from bot.policy import PROFILES, UnknownProfileError, get_profile
from bot.policy.profiles import FrequencyCap, JurisdictionProfile

ROOT = Path(__file__).resolve().parents[2]


def test_three_profiles_with_their_windows() -> None:
    assert set(PROFILES) == {"US-RegF", "UK-FCA", "CN"}
    assert (get_profile("US-RegF").window_start, get_profile("US-RegF").window_end) == (
        time(8), time(21))
    assert get_profile("UK-FCA").window_end == time(21)
    assert get_profile("CN").window_end == time(22)
    assert [get_profile(n).holiday_country for n in ("US-RegF", "UK-FCA", "CN")] == [
        "US", "GB", "CN"]


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(UnknownProfileError, match=r"'us-regf'.*CN, UK-FCA, US-RegF"):
        get_profile("us-regf")


def test_default_caps() -> None:
    us = get_profile("US-RegF")
    assert us.caps_for(ChannelKind.SMS) == (FrequencyCap(1, timedelta(days=1)),
                                            FrequencyCap(3, timedelta(days=7)))
    assert us.total_caps == (FrequencyCap(7, timedelta(days=7)),)
    assert str(us.total_caps[0]) == "7 per 7 days"


def test_compliance_texts_for_the_template_linter() -> None:
    us, cn = get_profile("US-RegF"), get_profile("CN")
    assert us.opt_out_text("en", ChannelKind.SMS) == "Reply STOP to opt out."
    assert cn.opt_out_text("zh-CN", ChannelKind.SMS) == "回复TD退订"
    assert us.opt_out_text("fr", ChannelKind.SMS) == "Reply STOP to opt out."  # fallback
    assert us.requires_mini_miranda and "debt collector" in (us.mini_miranda_text("en") or "")
    assert get_profile("UK-FCA").mini_miranda_text("en") is None
    assert (us.max_promise_horizon_days, cn.max_promise_horizon_days) == (60, 30)


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="start before"):
        JurisdictionProfile("X", "", time(21), time(8), "US", {}, (), 1, 1, 1, False)
    with pytest.raises(ValueError):
        FrequencyCap(1, timedelta(0))


def test_every_default_is_documented_in_the_readme() -> None:
    readme = (ROOT / "campaigns" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Compliance defaults"):]
    for profile in PROFILES.values():
        assert profile.name in section
        assert f"{profile.window_start:%H:%M}–{profile.window_end:%H:%M}" in section
        assert f"{profile.max_promise_horizon_days} days" in section
        for channel in ChannelKind:
            caps = ", ".join(str(c) for c in profile.caps_for(channel))
            assert caps in section, (profile.name, channel, caps)
        total = ", ".join(str(c) for c in profile.total_caps)
        assert total in section, (profile.name, total)
