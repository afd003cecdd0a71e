"""Parsing campaign YAML: precise errors (file, line, path, reason) and all-or-nothing.

Reading the files: tests/storage/test_campaign_files.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.campaigns import (
    CampaignError,
    CampaignText,
    EventKind,
    Problem,
    parse_campaign,
    parse_campaigns,
)
from bot.campaigns.parsing import format_loc
from bot.domain.messages import ChannelKind
from bot.policy import Action

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "campaigns" / "example.yaml"

GOOD = """\
id: small
name: Small
profile: UK-FCA
steps:
  - id: first
    trigger: {dpd: 1}
    channels: [sms, email]
    template: first_notice
  - id: second
    trigger: {dpd: 5}
    channels: [email]
    template: reminder
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CampaignError) as info:
        parse_campaign(textwrap.dedent(text), "c.yaml")
    return [str(p) for p in info.value.problems]


def test_example_campaign_loads_with_the_agreed_template_ids() -> None:
    c = parse_campaign(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert c.profile == "US-RegF"
    dpd = {s.trigger.dpd: s for s in c.dpd_steps}
    assert sorted(dpd) == [-3, 1, 5, 15, 30, 45, 60]
    assert {s.template for s in c.steps if s.template} == {
        "courtesy_reminder", "first_notice", "reminder", "follow_up", "final_notice",
        "pre_legal", "promise_due_tomorrow", "promise_broken", "no_response", "instalment_due",
        "validation_notice"}
    assert dpd[60].action is Action.LEGAL_REVIEW
    assert dpd[60].conditions.balance_min_minor == 100_00
    assert {k for k in EventKind} == {s.trigger.event for s in c.steps if s.trigger.event}
    assert [v.id for v in c.step("reminder").variants] == ["A", "B"]
    assert c.step("reminder").channels_for(c.step("reminder").variants[1]) == [
        ChannelKind.EMAIL, ChannelKind.SMS]


def test_yaml_syntax_error_has_the_line() -> None:
    [msg] = problems_of("id: x\nname: X\nsteps:\n  - id: a\n    trigger: {dpd: 1\n")
    assert msg.startswith("c.yaml:")
    assert "YAML syntax error" in msg
    line = int(msg.split(":")[1])
    assert line in (5, 6)


def test_unknown_trigger_event() -> None:
    [msg] = problems_of(GOOD.replace("trigger: {dpd: 5}", "trigger: {event: payday}"))
    assert ":10: steps[1].trigger.event: unknown value 'payday' (one of: promise_due_tomorrow"\
        in msg


def test_unknown_trigger_key() -> None:
    msgs = problems_of(GOOD.replace("trigger: {dpd: 5}", "trigger: {days: 5}"))
    assert any("steps[1].trigger.days: unknown field 'days'" in m for m in msgs)
    msgs = problems_of(GOOD.replace("trigger: {dpd: 5}", "trigger: {}"))
    assert any(":10: steps[1].trigger: a trigger needs exactly one of 'dpd' or "
               "'event'" in m for m in msgs), msgs


def test_negative_weight() -> None:
    text = GOOD.replace("    template: reminder\n", """\
    template: reminder
    variants:
      - {id: A, weight: 110}
      - {id: B, weight: -10}
""")
    msgs = problems_of(text)
    assert any(":15: steps[1].variants[1].weight: Input should be greater than or equal to 0"
               in m for m in msgs), msgs
    assert any("steps[1].variants[0].weight: Input should be less than or equal to 100" in m
               for m in msgs)


def test_weights_must_add_up_to_100() -> None:
    text = GOOD.replace("    template: reminder\n", """\
    template: reminder
    variants:
      - {id: A, weight: 50}
      - {id: A, weight: 40}
""")
    msgs = problems_of(text)
    assert any("steps[1].variants: variant weights must add up to 100 (got 90)" in m
               for m in msgs), msgs
    assert any("steps[1].variants[1].id: variant id 'A' is used twice" in m for m in msgs)


def test_unknown_channel() -> None:
    [msg] = problems_of(GOOD.replace("[sms, email]", "[sms, fax]"))
    assert msg.endswith(":7: steps[0].channels[1]: unknown channel 'fax' (one of: sms, "
                        "email, telegram)")


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("profile: UK-FCA", "profile: EU").replace(
        "template: first_notice", "template: first_notice\n    colour: red").replace(
        "channels: [email]", "channels: []")
    msgs = problems_of(text)
    assert any(":3: profile: " in m and "unknown jurisdiction profile 'EU'" in m
               and "US-RegF" in m for m in msgs)
    assert any("steps[0].colour: unknown field 'colour'" in m for m in msgs)
    assert any("steps[1].channels: a send step needs at least one channel" in m for m in msgs)


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ("{dpd: 1, after_days: 2}",
         "steps[0].trigger.after_days: 'after_days' only goes with an event trigger"),
        ("{event: no_response}", "steps[0].trigger.after_days: no_response needs"),
        ("{event: promise_due_tomorrow, after_days: 2}",
         "steps[0].trigger.after_days: promise_due_tomorrow always fires the day before"),
        ("{dpd: true}", "steps[0].trigger.dpd: Input should be a valid integer"),
    ],
)
def test_trigger_rules(trigger: str, expected: str) -> None:
    msgs = problems_of(GOOD.replace("trigger: {dpd: 1}", f"trigger: {trigger}"))
    assert any(expected in m for m in msgs), msgs


def test_legal_review_step_sends_nothing() -> None:
    text = GOOD.replace("    channels: [email]\n    template: reminder\n",
                        "    action: legal_review\n    template: reminder\n")
    [msg] = problems_of(text)
    assert "steps[1].template: a legal_review step sends nothing; remove 'template'" in msg


def test_balance_conditions() -> None:
    base = GOOD.replace("    template: reminder\n", "    template: reminder\n    conditions:\n")
    msgs = problems_of(base + "      balance_min: 10.5\n")
    assert any("steps[1].conditions.balance_min: write amounts as strings" in m
               for m in msgs), msgs
    msgs = problems_of(base + "      balance_min: '10.00'\n")
    assert any("steps[1].conditions.currency: balance bounds need a 'currency'" in m
               for m in msgs), msgs
    msgs = problems_of(base + "      balance_min: '10.005'\n      currency: USD\n")
    assert any("steps[1].conditions.balance_min: 10.005 has more decimals than USD" in m
               for m in msgs), msgs
    msgs = problems_of(base + "      balance_min: '20'\n      balance_max: '10'\n"
                              "      currency: USD\n")
    assert any("balance_max is below balance_min" in m for m in msgs), msgs
    c = parse_campaign(base + "      balance_min: '1000'\n      currency: JPY\n", "t")
    assert c.steps[1].conditions.balance_min_minor == 1000


def test_duplicate_step_ids_and_shadowed_steps() -> None:
    msgs = problems_of(GOOD.replace("id: second", "id: first").replace("{dpd: 5}", "{dpd: 1}"))
    assert any(":9: steps[1].id: step id 'first' is already used by steps[0]" in m
               for m in msgs), msgs
    assert any("steps[1].trigger: never runs: steps[0] (first) has the same trigger" in m
               for m in msgs), msgs


def test_duplicate_yaml_keys_are_refused() -> None:
    [msg] = problems_of(GOOD.replace("name: Small\n", "name: Small\nname: Big\n"))
    assert msg.endswith(":3: name: duplicate key 'name'")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_not_a_mapping(text: str) -> None:
    [msg] = problems_of(text)
    assert "a campaign file holds a mapping" in msg


def test_a_set_of_documents_is_all_or_nothing() -> None:
    good = CampaignText("a.yaml", GOOD)
    other = CampaignText("b.yaml", GOOD.replace("id: small", "id: other"))
    assert sorted(parse_campaigns([good, other])) == ["other", "small"]
    assert parse_campaigns([]) == {}
    unreadable = Problem("c.yaml", None, "", "cannot read: permission denied")
    twice = CampaignText("d.yaml", "# the same id again\n" + GOOD)
    with pytest.raises(CampaignError) as info:
        parse_campaigns([good, unreadable, CampaignText("e.yaml", "id: [\n"), twice])
    assert str(info.value.problems[0]) == \
        "c.yaml: cannot read: permission denied"  # in its place, first
    assert "e.yaml:" in str(info.value.problems[1])
    assert str(info.value.problems[2]) == \
        "d.yaml:2: id: campaign id 'small' is already defined in a.yaml"
    assert str(info.value).startswith("3 problems in campaign definitions; nothing loaded")


def test_format_loc() -> None:
    assert format_loc(("steps", 2, "channels", 0)) == "steps[2].channels[0]"
    assert format_loc(()) == ""
