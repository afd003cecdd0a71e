"""The template linter: one deliberately bad template per issue code, shipped set clean.

Each fault test starts from a template that lints clean (checked below) and breaks one
thing; it asserts the exact set of codes, so a missing check fails it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.conversations.template_lint import (
    CODES,
    OPT_OUT_EXEMPT_TEMPLATES,
    DictProfile,
    LintIssue,
    lint_template,
    lint_templates,
)
from bot.conversations.template_spec import parse_template
from bot.policy.profiles import PROFILES
from storage.pressure_files import shipped_pressure_lexicon
from storage.template_files import load_templates

PRESSURE = shipped_pressure_lexicon()

PROFILE = DictProfile(
    "Test",
    opt_out={"en": {"sms": "Reply STOP to opt out.", "email": "Unsubscribe below.",
                    "telegram": "Send /stop."},
             "zh": {"sms": "回复TD退订", "email": "如需退订请点击下方链接。",
                    "telegram": "发送 /stop 退订"}},
    requires_mini_miranda=True,
    mini_miranda={"en": "This is a communication from a debt collector.",
                  "zh": "这是债务催收方的通知。"},
    sms_segment_budget=1,
)

CLEAN: dict[str, Any] = {
    "id": "t",
    "level": "both",
    "limited": {
        "sms": {
            "en": "Hi {{ customer_name | first_name('there') }}, {{ brand_name }} here. "
                  "Please call {{ support_phone }}. {{ opt_out }}",
            "zh": "{{ customer_name | first_name }}您好！这里是{{ brand_name }}，"
                  "请致电 {{ support_phone }}。{{ opt_out }}",
        },
        "email": {
            "en": {"subject": "A message from {{ brand_name }}",
                   "body": "Hello,\n\nplease call {{ support_phone }}.\n\n{{ opt_out }}\n"},
            "zh": {"subject": "来自{{ brand_name }}的消息",
                   "body": "您好：\n\n请致电 {{ support_phone }}。\n\n{{ opt_out }}\n"},
        },
        "telegram": {"en": "Please get in touch: {{ pay_url }}\n\n{{ opt_out }}",
                     "zh": "请与我们联系：{{ pay_url }}\n\n{{ opt_out }}"},
    },
    "verified": {
        "telegram": {
            "en": "Your account {{ account_id | mask }} has a balance of "
                  "{{ balance_minor | money }}, due {{ due_date | date }}.\n\n{{ mini_miranda }}"
                  "\n\n{{ opt_out }}",
            "zh": "您的账户 {{ account_id | mask }} 欠款 {{ balance_minor | money }}，"
                  "{{ due_date | date }} 到期。\n\n{{ mini_miranda }}\n\n{{ opt_out }}",
        },
    },
}


def lint(data: dict[str, Any], profile: Any = PROFILE) -> list[LintIssue]:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return lint_template(parse_template(text), profile, pressure=PRESSURE)


def broken(path: str, value: Any) -> dict[str, Any]:
    """CLEAN with the text at ``path`` (dotted) replaced by ``value``."""
    data = copy.deepcopy(CLEAN)
    *head, last = path.split(".")
    node = data
    for key in head:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def tg(text: str) -> str:
    """A Telegram text with the opt-out instruction every text carries."""
    return f"{text}\n\n{{{{ opt_out }}}}"


def codes(issues: list[LintIssue]) -> set[str]:
    return {i.code for i in issues}


def test_the_base_template_is_clean():
    assert lint(CLEAN) == []


def test_undefined_variable():
    issues = lint(broken("limited.telegram.en", "Hello {{ frist_name }}"))
    assert codes(issues) == {"undefined"}
    (issue,) = issues
    assert (issue.template_id, issue.lang, issue.channel, issue.level) == (
        "t", "en", "telegram", "limited")
    assert "'frist_name'" in issue.message


def test_undefined_variable_in_a_branch_the_samples_never_take():
    issues = lint(broken("limited.telegram.en", "Hi{% if false %} {{ typo }}{% endif %}"))
    assert codes(issues) == {"undefined"}


def test_undefined_attribute_at_render_time():
    text = tg("{% for p in plan_options %}{{ p.months }}{% endfor %}\n\n{{ mini_miranda }}")
    issues = lint(broken("verified.telegram.en", text))
    assert codes(issues) == {"undefined"}
    assert "has no attribute 'months'" in issues[0].message


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_missing_opt_out(channel: str):
    if channel == "sms":
        data = broken("limited.sms.zh", "{{ brand_name }}：请致电 {{ support_phone }}。")
    else:
        data = broken("limited.email.en.body", "Hello, please call {{ support_phone }}.")
    issues = lint(data)
    assert codes(issues) == {"missing_opt_out"}
    assert "Test opt-out instruction" in issues[0].message


def test_telegram_texts_carry_the_opt_out_instruction_too():
    """Reg F 1006.6(e): every electronic medium; Telegram was never checked."""
    issues = lint(broken("limited.telegram.zh", "请与我们联系：{{ pay_url }}"))
    assert codes(issues) == {"missing_opt_out"}
    assert (issues[0].channel, issues[0].lang) == ("telegram", "zh")
    assert "'发送 /stop 退订'" in issues[0].message or "Send /stop." in issues[0].message
    verified = lint(broken("verified.telegram.en", "Balance {{ balance_minor | money }}."
                                                    "\n\n{{ mini_miranda }}"))
    assert codes(verified) == {"missing_opt_out"}


def test_only_the_fixed_system_templates_may_be_opt_out_exempt():
    data = broken("limited.sms.en", "Done. You will get no more texts from {{ brand_name }}.")
    assert codes(lint(data)) == {"missing_opt_out"}
    # any reason on any other template no longer silences the check
    data["opt_out_exempt"] = "marketing said so"
    assert codes(lint(data)) == {"missing_opt_out", "opt_out_exempt"}
    exemption = next(i for i in lint(data) if i.code == "opt_out_exempt")
    assert "opt_out_confirmed" in exemption.message
    # the system template confirming an opt-out may carry none (on any channel)
    data["id"] = "opt_out_confirmed"
    data["limited"]["telegram"]["en"] = "Done. No more messages from {{ brand_name }}."
    assert lint(data) == []
    assert {"opt_out_confirmed", "opt_out_scope_confirmed", "bereavement_ack"} == \
        OPT_OUT_EXEMPT_TEMPLATES


def test_sms_too_long_gsm7():
    long = "Hi, {{ brand_name }} here. " + "Please call us. " * 10 + "{{ opt_out }}"
    issues = lint(broken("limited.sms.en", long))
    assert codes(issues) == {"sms_too_long"}
    assert "needs 2 segments (GSM-7" in issues[0].message and "budget is 1" in issues[0].message


def test_sms_too_long_because_one_character_forces_ucs2():
    # 75 characters: fine as GSM-7, but a curly apostrophe makes it UCS-2 (70 per segment)
    text = "Hi, it’s {{ brand_name }}. Please call {{ support_phone }}. {{ opt_out }}"
    issues = lint(broken("limited.sms.en", text))
    assert codes(issues) == {"sms_too_long"}
    assert "UCS-2 because of '’'" in issues[0].message


def test_sms_too_long_chinese():
    text = "您好！" + "请尽快与我们联系。" * 8 + "{{ opt_out }}"
    assert codes(lint(broken("limited.sms.zh", text))) == {"sms_too_long"}


@pytest.mark.parametrize(("path", "text", "finding"), [
    ("limited.sms.en", "Hi, you owe us. Call {{ support_phone }}. {{ opt_out }}", "'owe'"),
    ("limited.sms.en", "Hi, your account is past due. {{ opt_out }}", "'past due'"),
    ("limited.telegram.en", tg("Please pay $50 today."), "amount '$50'"),
    ("limited.telegram.en", tg("Please pay £1,240.5 today."), "amount '£1,240.5'"),
    ("limited.telegram.en", tg("Please pay 50.00 USD."), "amount '50.00 USD'"),
    ("limited.telegram.en", tg("About account ****4821."), "masked account"),
    ("limited.telegram.en", tg("About account ACC-00004821."), "account number"),
    ("limited.telegram.en", tg("Please pay 1,240.00 soon."), "amount '1,240.00'"),
    ("limited.telegram.zh", tg("您的账户已逾期，请联系我们。"), "'逾期'"),
    ("limited.telegram.zh", tg("请尽快还款：{{ pay_url }}"), "'还款'"),
    ("limited.telegram.zh", tg("请支付 ¥2,400.00。"), "amount"),
    ("limited.email.en.subject", "Your overdue account", "email subject"),
    ("verified.telegram.en", None, ""),  # placeholder replaced below
])
def test_disclosure_in_limited_content(path: str, text: str | None, finding: str):
    if text is None:
        # a verified email's subject is still limited content
        data = copy.deepcopy(CLEAN)
        data["verified"]["email"] = {
            lang: {"subject": "Your debt of {{ brand_name }}" if lang == "en" else "您的债务",
                   "body": CLEAN["verified"]["telegram"][lang] + "\n\n{{ opt_out }}"}
            for lang in ("en", "zh")}
        issues = lint(data)
        assert codes(issues) == {"disclosure"}
        assert {(i.level, i.part) for i in issues} == {("verified", "subject")}
        return
    issues = lint(broken(path, text))
    assert codes(issues) == {"disclosure"}, issues
    assert any(finding in i.message for i in issues), issues


def test_disclosure_of_a_verified_variable_in_limited_content():
    issues = lint(broken("limited.telegram.en", "You have {{ balance_minor | money }} to pay."))
    assert codes(issues) == {"disclosure"}
    assert "'balance_minor' is verified-only" in issues[0].message


def test_pay_links_and_account_word_are_fine_in_limited_content():
    text = ("Hi, please get in touch about your account, or pay securely at {{ pay_url }}. "
            "Payments can be spread over 3, 6 or 12 months.")
    assert lint(broken("limited.telegram.en", tg(text))) == []


def test_forbidden_phrase():
    text = tg("Pay {{ balance_minor | money }} now or else.\n\n{{ mini_miranda }}")
    issues = lint(broken("verified.telegram.en", text))
    assert codes(issues) == {"forbidden_phrase"}
    assert "'or else' is forbidden by Test" in issues[0].message
    assert "rule en/pressure" in issues[0].message and "1006.14" in issues[0].message


def test_forbidden_phrase_matches_inflections_but_not_inside_words():
    assert codes(lint(broken("limited.telegram.en", tg("Don't be liars.")))) == {
        "forbidden_phrase"}
    assert lint(broken("limited.telegram.en", tg("A familiar face at {{ pay_url }}."))) == []


def test_forbidden_phrase_chinese():
    text = tg("请尽快付款，否则后果自负。")
    assert codes(lint(broken("limited.telegram.zh", text))) == {"forbidden_phrase"}


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("text", [
    "We'll sue you unless you pay {{ balance_minor | money }}.",
    "We will file a lawsuit if you do not pay {{ balance_minor | money }}.",
    "Pay {{ balance_minor | money }} or your family will be informed.",
    "Pay {{ balance_minor | money }} or we will tell your boss.",
])
def test_shipped_profiles_forbid_threats_by_pattern(name: str, text: str):
    """The table's misses: contractions, other words for suit, pressure through family
    and employer. Before: an exact list caught only "we will sue"."""
    issues = lint(broken("verified.telegram.en", tg(text + "\n\n{{ mini_miranda }}")),
                  PROFILES[name])
    assert codes(issues) == {"forbidden_phrase"}, issues


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("text", ["不还款将通知你家人。", "我们将通知你单位领导。",
                                  "逾期不还将上征信。"])
def test_shipped_profiles_forbid_chinese_threats_by_pattern(name: str, text: str):
    issues = lint(broken("limited.telegram.zh", tg(text)), PROFILES[name])
    assert "forbidden_phrase" in codes(issues), issues


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_neutral_legal_review_wording_stays_allowed(name: str):
    """A pre-legal notice may say what happens next without threatening anything."""
    text = tg("Your account {{ account_id | mask }} will be passed to our team for legal "
              "review. Nothing has been decided yet, and we will not take legal action while "
              "we talk.\n\n{{ mini_miranda }}")
    zh = tg("您的账户 {{ account_id | mask }} 将转交工作人员审核。我们不会联系您的家人或单位。"
            "\n\n{{ mini_miranda }}")
    data = broken("verified.telegram.en", text)
    data["verified"]["telegram"]["zh"] = zh
    assert lint(data, PROFILES[name]) == []


def test_missing_mini_miranda():
    data = broken("verified.telegram.zh", tg("您的账户 {{ account_id | mask }} 余额为 "
                                            "{{ balance_minor | money }}。"))
    issues = lint(data)
    assert codes(issues) == {"missing_mini_miranda"}
    assert (issues[0].lang, issues[0].level) == ("zh", "verified")
    # a profile that does not require it is satisfied
    not_required = DictProfile("NoMM", PROFILE.opt_out, sms_segment_budget=1)
    assert lint(data, not_required) == []


def test_mini_miranda_in_limited_content_is_a_disclosure():
    data = broken("limited.telegram.en",
                  tg("Hello. This is a communication from a debt collector."))
    assert codes(lint(data)) == {"disclosure"}


def test_syntax_error():
    issues = lint(broken("limited.telegram.en", "Hello {{ brand_name "))
    assert codes(issues) == {"syntax"}
    assert "(line 1)" in issues[0].message


def test_unsafe_template():
    issues = lint(broken("limited.telegram.en", "{{ ''.__class__.__mro__ }}"))
    assert codes(issues) == {"unsafe"}
    assert "unsafe template: access to attribute" in issues[0].message


def test_unsafe_at_run_time():
    issues = lint(broken("limited.telegram.en", "{{ '{0.__class__}'.format(brand_name) }}"))
    assert codes(issues) == {"unsafe"}


def test_render_error():
    text = "{{ brand_name | money }}\n\n{{ mini_miranda }}"
    issues = lint(broken("verified.telegram.en", text))
    assert codes(issues) == {"render"}
    assert "money: expected an amount" in issues[0].message


def test_missing_language():
    issues = lint(broken("limited.telegram.zh", None))
    assert codes(issues) == {"missing_language"}
    assert (issues[0].lang, issues[0].channel) == ("zh", "telegram")


def test_every_code_is_exercised_above():
    tested = {"undefined", "missing_opt_out", "sms_too_long", "disclosure", "forbidden_phrase",
              "missing_mini_miranda", "syntax", "unsafe", "render", "missing_language",
              "opt_out_exempt"}
    assert tested == set(CODES)


def test_files_that_fail_to_load_are_issues(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text("id: broken\nlevel: [\n", encoding="utf-8")
    escape = broken("limited.telegram.en", "{{ cycler.__init__.__globals__ }}")
    escape["limited"]["telegram"]["zh"] = "{{ brand_name.__class__ }}"
    (tmp_path / "escape.yaml").write_text(yaml.safe_dump(escape | {"id": "escape"}),
                                          encoding="utf-8")
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    store = load_templates(tmp_path, shipped_dir=shipped, strict=False)
    issues = lint_templates(store, PROFILE, pressure=PRESSURE)
    assert sorted((i.template_id, i.code, i.lang) for i in issues) == [
        ("broken", "syntax", ""), ("escape", "unsafe", "en"), ("escape", "unsafe", "zh")]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_shipped_templates_lint_clean(name: str):
    issues = lint_templates(load_templates(), PROFILES[name], pressure=PRESSURE)
    assert issues == [], "\n".join(map(str, issues))


def test_shipped_templates_lint_clean_with_a_plain_brand_and_fail_with_a_debt_brand():
    from bot.conversations.template_lint import sample_contexts

    store = load_templates()
    samples = sample_contexts(brand_name="Acme Debt Recovery")
    issues = lint_templates(store, PROFILES["UK-FCA"], pressure=PRESSURE, samples=samples)
    assert codes(issues) == {"disclosure"}
    assert all(i.level == "limited" or i.part == "subject" for i in issues)


def test_literal_text_is_checked_when_a_text_cannot_render():
    text = "Pay $40 now or else, {{ nmae }}."
    issues = lint(broken("limited.telegram.en", text))
    assert codes(issues) == {"undefined", "disclosure", "forbidden_phrase"}
