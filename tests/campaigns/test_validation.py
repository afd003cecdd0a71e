"""``campaigns validate``: every problem at once, with file, line and "did you mean"."""

from __future__ import annotations

from pathlib import Path

from bot.campaigns.parsing import CampaignText
from bot.campaigns.validation import validate_documents

ROOT = Path(__file__).resolve().parents[2]
YAML = (ROOT / "campaigns" / "example.yaml").read_text(encoding="utf-8")
TEMPLATES = {"courtesy_reminder": {"sms", "email"}, "first_notice": {"sms", "email",
                                                                    "telegram"},
             "reminder": {"sms", "email"}, "follow_up": {"sms", "email", "telegram"},
             "final_notice": {"sms", "email", "telegram"}, "pre_legal": {"sms", "email"},
             "promise_due_tomorrow": {"sms", "email", "telegram"},
             "promise_broken": {"sms", "email"}, "no_response": {"sms", "email"},
             "instalment_due": {"sms", "email"},
             "validation_notice": {"sms", "email", "telegram"}}


def check(text: str, templates: dict[str, set[str]] | None = TEMPLATES):  # type: ignore[no-untyped-def]
    return validate_documents([CampaignText("c.yaml", text)], templates)


def test_the_shipped_campaign_is_valid() -> None:
    result = check(YAML)
    assert result.ok and list(result.campaigns) == ["standard-retail-us"]
    assert result.warnings == []


def test_every_problem_is_reported_at_once_with_lines_and_suggestions() -> None:
    text = (YAML.replace("template: reminder\n    channels: [sms, email]",
                         "template: remindr\n    chanels: [sms, email]")
            .replace("{id: A, weight: 50}", "{id: A, weight: 40}")
            .replace("[telegram, email, sms]", "[telegram, emial, sms]")
            .replace("profile: US-RegF", "profile: US-RegG"))
    result = check(text)
    messages = [str(p) for p in result.problems]
    assert not result.ok and not result.campaigns
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if fragment in line)

    expected = [
        (line_of("profile: US-RegG"), "did you mean 'US-RegF'?"),
        (line_of("emial"), "unknown channel 'emial'; did you mean 'email'?"),
        (line_of("chanels"), "unknown field 'chanels'; did you mean 'channels'?"),
        (line_of("template: remindr"), "unknown template 'remindr'; did you mean 'reminder'?"),
        (line_of("{id: A, weight: 40}"), "variant weights must add up to 100 (got 90)"),
    ]
    for line, reason in expected:
        assert any(m.startswith(f"c.yaml:{line}:") and reason in m for m in messages), (
            line, reason, messages)


def test_a_template_without_text_for_a_channel_of_the_step_is_an_error() -> None:
    templates = dict(TEMPLATES, courtesy_reminder={"email"})
    [problem] = check(YAML, templates).problems
    assert "steps[0].template" in str(problem)
    assert "template 'courtesy_reminder' has no sms text (it has: email)" in str(problem)


def test_two_campaigns_taking_the_same_cases_are_warned_about() -> None:
    other = YAML.replace("id: standard-retail-us", "id: another")
    result = validate_documents([CampaignText("a.yaml", YAML), CampaignText("b.yaml", other)],
                                TEMPLATES)
    assert result.ok
    [warning] = result.warnings
    assert "'standard-retail-us' takes the same cases as 'another'" in str(warning)
    ruled = other.replace("event_catch_up_days", "assign: {countries: [CN]}\n"
                                                 "event_catch_up_days")
    assert validate_documents([CampaignText("a.yaml", YAML), CampaignText("b.yaml", ruled)],
                              TEMPLATES).warnings == []


def test_a_campaign_id_defined_twice_is_an_error() -> None:
    result = validate_documents([CampaignText("a.yaml", YAML), CampaignText("b.yaml", YAML)])
    [problem] = result.problems
    assert "already defined in a.yaml" in str(problem)
