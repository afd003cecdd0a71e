"""Pressure and threat patterns (bot/policy/pressure.py, the data files in
bot/policy/pressure_patterns): positive and negative sentences in both languages.

The exact phrase list this replaces caught "we will sue", "arrest" and 起诉你, and missed
"We'll sue", "file a lawsuit", "your family will be informed", "tell your boss",
通知你家人, 通知你单位领导 and 上征信 used as a threat.
"""

from __future__ import annotations

import pytest

from bot.policy.pressure import PressureLexicon, PressureRulesError, parse_language_rules
from storage.pressure_files import SHIPPED_PRESSURE_DIR, load_pressure_lexicon

LEXICON = load_pressure_lexicon()

THREATS_EN = [
    # suit, lawsuit, legal action, court: inflections and contractions
    ("We'll sue you.", "litigation"),
    ("We’ll sue you.", "litigation"),
    ("You will be sued.", "litigation"),
    ("We are suing you next week.", "litigation"),
    ("We will file a lawsuit tomorrow.", "litigation"),
    ("We're going to take legal action.", "litigation"),
    ("If you don't pay we will take you to court", "litigation"),
    ("We will not hesitate to start legal proceedings.", "litigation"),
    ("We will file a claim against you.", "litigation"),
    # arrest, jail, police: even denied, they do not belong in a collection message
    ("You could be arrested.", "arrest"),
    ("Non-payment can mean jail.", "arrest"),
    ("We have informed the police.", "arrest"),
    ("You won't go to prison if you pay today.", "arrest"),
    # family, employer, boss, neighbours, colleagues
    ("Your family will be informed.", "third_parties"),
    ("We will tell your boss.", "third_parties"),
    ("We may contact your employer.", "third_parties"),
    ("Your neighbours will know about this.", "third_parties"),
    ("We'll let your colleagues know.", "third_parties"),
    ("Your co-workers are going to hear about it.", "third_parties"),
    ("An agent will visit your home.", "third_parties"),
    # pressure, seizure, insults
    ("Pay now or else.", "pressure"),
    ("This is your last chance.", "pressure"),
    ("Your wages will be garnished.", "enforcement"),
    ("We will seize your car.", "enforcement"),
    ("Stop being a deadbeat.", "insults"),
]

THREATS_ZH = [
    ("不还钱就起诉你", "litigation"),
    ("我们将向法院提起诉讼。", "litigation"),
    ("再不还款就等着坐牢吧。", "arrest"),
    ("我们已经联系了公安。", "arrest"),
    ("我们将通知你家人。", "third_parties"),
    ("通知你家人", "third_parties"),
    ("我们将通知你单位领导。", "third_parties"),
    ("我们会联系您的同事。", "third_parties"),
    ("你的同事都会知道这件事。", "third_parties"),
    ("我们会派人上门。", "doorstep"),
    ("逾期将在网上曝光。", "exposure"),
    ("逾期不还将上征信。", "credit_report"),
    ("逾期将立即上报人民银行征信。", "credit_report"),
    ("否则后果自负。", "pressure"),
    ("你这个老赖。", "insults"),
]

NEUTRAL = [
    # a pre-legal notice may name the next step without threatening anything
    "Your account may be passed to our team for legal review.",
    "Nothing has been decided yet.",
    "We will not sue you for it.",
    "We won't take legal action while we talk.",
    "The law limits how long you can be sued on a debt. Because of the age of your debt, "
    "we will not sue you for it.",
    "We never contact your employer or your family.",
    "You can talk to your family or a free debt adviser.",
    "If someone else, such as your partner, helps you manage your money, they can call us.",
    "This is a courtesy reminder.",
    "Please check the issue with your account.",
    "Criminals may pretend to be us. We will never ask for your PIN.",
    "Reply STOP to opt out.",
    "您的账户将转交工作人员审核。",
    "我们不会联系您的家人、单位或同事。",
    "我们绝不会上门。",
    "您可以通过人民银行征信中心免费查询个人信用报告。",
    "您的债务已超过诉讼时效。",
    "请检查垃圾邮件文件夹。",
    "我们会转告您的意见。",
    "回复TD退订",
]


@pytest.mark.parametrize(("text", "rule"), THREATS_EN + THREATS_ZH)
def test_threats_are_found_by_pattern(text: str, rule: str) -> None:
    assert rule in {f.rule for f in LEXICON.findings(text)}, text


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_wording_is_not_a_threat(text: str) -> None:
    assert LEXICON.findings(text) == [], text


def test_a_finding_names_its_rule_language_and_source() -> None:
    [finding] = LEXICON.findings("We’ll sue.")
    assert (finding.rule, finding.language, finding.text) == ("litigation", "en", "sue")
    assert "1006.18" in finding.source
    [zh] = LEXICON.findings("我们将通知你家人。")
    assert (zh.rule, zh.language, zh.text) == ("third_parties", "zh", "通知你家人")


def test_findings_can_be_limited_to_some_rules() -> None:
    text = "We will sue and tell your boss."
    assert {f.rule for f in LEXICON.findings(text, ["litigation"])} == {"litigation"}
    assert {f.rule for f in LEXICON.findings(text)} == {"litigation", "third_parties"}


def test_every_shipped_language_file_loads() -> None:
    assert set(LEXICON.languages) == {"en", "es", "zh"}
    assert {"litigation", "arrest", "third_parties", "pressure", "insults"} <= \
        LEXICON.rule_ids()


@pytest.mark.parametrize(("text", "message"), [
    ("language: english\nrules: []\n", "two-letter code"),
    ("language: en\nrules: []\n", "non-empty list"),
    ("language: en\nrules:\n- {id: x, what: x, source: x, patterns: ['(']}\n",
     "not a valid pattern"),
    ("language: en\nrules:\n- {id: x, what: x, source: x, patterns: ['{who} sue']}\n",
     "which words does not define"),
    ("language: en\nrules:\n- {id: x, what: x, patterns: [sue]}\n", "source must be"),
    ("language: en\nrules:\n- {id: x, what: x, source: x, patterns: [a]}\n"
     "- {id: x, what: x, source: x, patterns: [b]}\n", "used twice"),
    ("language: en\nrulez: []\n", "unknown keys"),
])
def test_a_bad_pattern_file_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(PressureRulesError, match=message) as info:
        parse_language_rules(text, source="x.yaml")
    assert str(info.value).startswith("x.yaml: ")


def test_a_file_named_after_another_language_is_refused(tmp_path) -> None:
    (tmp_path / "fr.yaml").write_text(
        (SHIPPED_PRESSURE_DIR / "es.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PressureRulesError, match="does not match the file name"):
        load_pressure_lexicon(tmp_path)
    with pytest.raises(PressureRulesError, match="two pattern files"):
        PressureLexicon([LEXICON.languages["en"], LEXICON.languages["en"]])
