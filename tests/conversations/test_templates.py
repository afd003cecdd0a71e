"""Template store, sandboxed renderer, disclosure levels and Babel filters (files:
tests/storage/test_template_files.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import yaml

from bot.conversations.disclosure import Disclosure
from bot.conversations.render_context import PlanOption, RenderContext
from bot.conversations.template_compiler import compile_problems
from bot.conversations.template_errors import (
    DisclosureError,
    MissingVariantError,
    TemplateError,
    TemplateFormatError,
    TemplateRenderError,
    TemplateSyntaxError,
    UndefinedVariableError,
    UnknownTemplateError,
    UnsafeTemplateError,
)
from bot.conversations.template_filters import first_name, locale_for, mask
from bot.conversations.template_lint import DictProfile, sample_contexts
from bot.conversations.template_renderer import TemplateRenderer
from bot.conversations.template_spec import parse_template
from bot.conversations.template_store import TemplateStore
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.domain.messages import ChannelKind
from bot.policy.profiles import PROFILES
from storage.template_files import load_templates

PROFILE = DictProfile(
    "Test",
    opt_out={"en": {"sms": "Reply STOP to opt out.", "email": "Unsubscribe below.",
                    "telegram": "Send /stop."},
             "zh": {"sms": "回复TD退订", "email": "如需退订请点击下方链接。",
                    "telegram": "发送 /stop 退订"}},
    requires_mini_miranda=True,
    mini_miranda={"en": "This is a communication from a debt collector.",
                  "zh": "这是债务催收方的通知。"},
)


def ctx(disclosure: Disclosure = Disclosure.LIMITED, **changes: object) -> RenderContext:
    base = sample_contexts()["en"][0]
    return replace(base, disclosure=disclosure, **changes)  # type: ignore[arg-type]


def spec_text(**sections: object) -> str:
    data: dict[str, object] = {"id": "t", "level": "limited"}
    data.update(sections)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def one(body: str, *, level: str = "limited", channel: str = "telegram",
        subject: str | None = None) -> TemplateStore:
    value: object = {"subject": subject or "Hello", "body": body} if channel == "email" else body
    spec = parse_template(spec_text(level=level, **{level: {channel: {"en": value}}}))
    return TemplateStore([spec])


def render(store: TemplateStore, channel: str = "telegram",
           context: RenderContext | None = None, **kw: object):
    return TemplateRenderer(store, PROFILE).render("t", "en", channel, context or ctx(), **kw)


# ---------------------------------------------------------------------------- filters
@pytest.mark.parametrize(("locale", "currency", "minor", "expected"), [
    ("en_US", "USD", 124000, "$1,240.00"),
    ("en_GB", "GBP", 9640, "£96.40"),
    ("zh_CN", "CNY", 240000, "¥2,400.00"),
    ("en_US", "CNY", 240000, "CN¥2,400.00"),
    ("zh_CN", "USD", 124000, "US$1,240.00"),
    ("en_GB", "USD", 5, "US$0.05"),
    ("en_US", "JPY", 1240, "¥1,240"),  # no minor unit
])
def test_money_is_formatted_by_babel_for_locale_and_currency(locale, currency, minor, expected):
    store = one("{{ balance_minor | money }}", level="verified")
    out = render(store, context=ctx(Disclosure.VERIFIED, locale=locale, currency=currency,
                                    balance_minor=minor))
    assert out.body == expected


def test_money_takes_an_explicit_currency():
    store = one("{{ balance_minor | money('GBP') }}", level="verified")
    assert render(store, context=ctx(Disclosure.VERIFIED, locale="en_GB")).body == "£1,240.00"


@pytest.mark.parametrize(("locale", "fmt", "expected"), [
    ("en_US", "medium", "Mar 14, 2025"),
    ("en_GB", "medium", "14 Mar 2025"),
    ("zh_CN", "medium", "2025年3月14日"),
    ("en_US", "long", "March 14, 2025"),
    ("en_GB", "long", "14 March 2025"),
])
def test_date_is_formatted_by_babel(locale, fmt, expected):
    store = one(f"{{{{ due_date | date('{fmt}') }}}}", level="verified")
    assert render(store, context=ctx(Disclosure.VERIFIED, locale=locale)).body == expected


def test_date_accepts_a_datetime_and_refuses_an_unknown_width():
    store = one("{{ due_date | date }}", level="verified")
    at = datetime(2025, 3, 14, 23, 0, tzinfo=UTC)
    assert render(store, context=ctx(Disclosure.VERIFIED, due_date=at)).body == "Mar 14, 2025"
    bad = one("{{ due_date | date('tiny') }}", level="verified")
    with pytest.raises(TemplateRenderError, match="format must be one of"):
        render(bad, context=ctx(Disclosure.VERIFIED))


def test_money_refuses_a_non_amount_names_the_template_and_hides_the_value():
    store = one("{{ account_id | money }}", level="verified")
    with pytest.raises(TemplateRenderError) as info:
        render(store, context=ctx(Disclosure.VERIFIED))
    assert str(info.value) == ("template t [verified/telegram/en/body] line 1: money: expected "
                               "an amount in minor units (int), got a str")


@pytest.mark.parametrize(("value", "expected"), [
    ("ACC-00004821", "****4821"),
    ("4821", "****"),
    ("+14155550123", "+141****0123"),
    ("jordan@example.com", "j***@e***.com"),
])
def test_mask(value, expected):
    assert mask(value) == expected


def test_mask_filter_in_a_template():
    store = one("{{ account_id | mask }}", level="verified")
    assert render(store, context=ctx(Disclosure.VERIFIED)).body == "****4821"


@pytest.mark.parametrize(("name", "expected"), [
    ("Jordan Avery Smith", "Jordan"),
    ("  jordan   smith ", "jordan"),
    ("Smith, Jordan", "Jordan"),
    ("王小明", "王小明"),  # used as written: no separator, family name first
    ("欧阳 娜娜", "欧阳 娜娜"),
    ("", "there"),
    (None, "there"),
])
def test_first_name(name, expected):
    assert first_name(name, "there") == expected


@pytest.mark.parametrize(("language", "country", "expected"), [
    ("en", "US", "en_US"), ("en", "GB", "en_GB"), ("en", None, "en_US"),
    ("zh", "CN", "zh_CN"), ("zh", "US", "zh_CN"), ("zh", None, "zh_CN"), ("EN", "gb", "en_GB"),
])
def test_locale_for(language, country, expected):
    assert locale_for(language, country) == expected


# ---------------------------------------------------------------------------- disclosure
def test_verified_template_is_refused_on_a_limited_context():
    renderer = TemplateRenderer(load_templates(), PROFILE)
    with pytest.raises(DisclosureError, match="only verified text"):
        renderer.render("balance_info", "en", "telegram", ctx(Disclosure.LIMITED))
    with pytest.raises(DisclosureError, match="context is limited"):
        renderer.render("first_notice", "en", "telegram", ctx(Disclosure.LIMITED),
                        level="verified")


def test_renderer_picks_the_level_the_context_allows():
    renderer = TemplateRenderer(load_templates(), PROFILE)
    limited = renderer.render("first_notice", "en", "telegram", ctx(Disclosure.LIMITED))
    verified = renderer.render("first_notice", "en", "telegram", ctx(Disclosure.VERIFIED))
    assert limited.level is Disclosure.LIMITED and "$1,240.00" not in limited.body
    assert verified.level is Disclosure.VERIFIED and "$1,240.00" in verified.body
    assert "This is a communication from a debt collector." in verified.body
    # SMS is never verified: a verified context still gets the limited text
    sms = renderer.render("first_notice", "en", ChannelKind.SMS, ctx(Disclosure.VERIFIED))
    assert sms.level is Disclosure.LIMITED and sms.sms is not None and sms.segments == 2


def test_limited_text_cannot_read_verified_variables():
    store = one("Your balance is {{ balance_minor | money }}")
    with pytest.raises(DisclosureError, match="'balance_minor' is verified-only"):
        render(store, context=ctx(Disclosure.VERIFIED), level="limited")


def test_email_subject_is_always_limited_even_in_verified_content():
    store = one("{{ balance_minor | money }}", level="verified", channel="email",
                subject="You owe {{ balance_minor | money }}")
    with pytest.raises(DisclosureError, match=r"\[verified/email/en/subject\].*email subject"):
        render(store, channel="email", context=ctx(Disclosure.VERIFIED))


def test_mini_miranda_only_where_the_profile_requires_it():
    store = one("Hi.\n\n{{ mini_miranda }}\n\nBye.", level="verified")
    us = TemplateRenderer(store, PROFILES["US-RegF"]).render("t", "en", "telegram",
                                                              ctx(Disclosure.VERIFIED))
    uk = TemplateRenderer(store, PROFILES["UK-FCA"]).render("t", "en", "telegram",
                                                             ctx(Disclosure.VERIFIED))
    assert "debt collector" in us.body
    assert uk.body == "Hi.\n\nBye."  # the empty disclosure leaves no blank run


def test_opt_out_comes_from_the_profile_per_language_and_channel():
    spec = parse_template(spec_text(limited={"sms": {"en": "Hi. {{ opt_out }}",
                                                     "zh": "您好。{{ opt_out }}"}}))
    renderer = TemplateRenderer(TemplateStore([spec]), PROFILES["CN"])
    assert renderer.render("t", "zh", "sms", ctx()).body == "您好。回复TD退订"
    assert renderer.render("t", "en", "sms", ctx()).body == "Hi. Reply STOP to opt out."


# ---------------------------------------------------------------------------- sandbox
@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ brand_name['__class__'] }}",
    "{{ brand_name | attr('__class__') }}",
    "{% include 'other' %}",
])
def test_sandbox_escapes_are_rejected_before_running(source):
    spec = parse_template(spec_text(limited={"telegram": {"en": source}}))
    problems = compile_problems(spec)
    assert [type(p) for p in problems] == [UnsafeTemplateError]
    assert "unsafe template" in str(problems[0])
    with pytest.raises(UnsafeTemplateError):
        TemplateStore().put(spec)
    with pytest.raises(UnsafeTemplateError, match="unsafe template"):
        render(TemplateStore([spec]))


def test_sandbox_escape_hidden_in_a_format_string_is_stopped_at_run_time():
    store = one("{{ '{0.__class__.__mro__}'.format(brand_name) }}")
    assert compile_problems(store.get("t")) == []  # nothing visible to a static check
    with pytest.raises(UnsafeTemplateError, match=r"unsafe template: .*__class__"):
        render(store)


def test_globals_other_than_range_are_gone():
    store = one("{{ lipsum() }}")
    with pytest.raises(UndefinedVariableError, match="'lipsum'"):
        render(store)
    assert render(one("{% for i in range(3) %}{{ i }}{% endfor %}")).body == "012"


# ---------------------------------------------------------------------------- undefined
def test_strict_undefined_names_the_variable_the_template_and_the_line():
    store = one("Hello {{ customer_name }},\nyour code is {{ secret_code }}.")
    with pytest.raises(UndefinedVariableError) as info:
        render(store)
    err = info.value
    assert err.variable == "secret_code"
    assert err.template_id == "t" and err.line == 2
    assert str(err) == ("template t [limited/telegram/en/body] line 2: undefined variable "
                        "'secret_code' (not a template variable)")


def test_an_unset_optional_value_is_undefined_not_printed_as_none():
    store = load_templates()
    renderer = TemplateRenderer(store, PROFILE)
    with pytest.raises(UndefinedVariableError, match="'deep_link' \\(not set for this case\\)"):
        renderer.render("telegram_invite", "en", "sms", ctx(deep_link=None))


def test_undefined_attribute_is_an_undefined_error():
    store = one("{% for p in plan_options %}{{ p.months }}{% endfor %}", level="verified")
    with pytest.raises(UndefinedVariableError, match="has no attribute 'months'"):
        render(store, context=ctx(Disclosure.VERIFIED))


# ---------------------------------------------------------------------------- file format
@pytest.mark.parametrize(("text", "message"), [
    ("id: t\nlevel: limited\nlimited: {telegram: {en: hi}}\ncolour: red\n", "unknown keys"),
    ("id: T-1\nlevel: limited\n", "lower_snake_case"),
    ("id: t\nlevel: secret\n", "level must be limited, verified or both"),
    ("id: t\nlevel: limited\n", "needs a limited section"),
    ("id: t\nlevel: limited\nlimited: {telegram: {en: hi}}\nverified: {telegram: {en: hi}}\n",
     "level is limited but the file has a verified section"),
    ("id: t\nlevel: verified\nverified: {sms: {en: hi}}\n", "SMS content is always limited"),
    ("id: t\nlevel: limited\nlimited: {fax: {en: hi}}\n", "unknown channel 'fax'"),
    ("id: t\nlevel: limited\nlimited: {telegram: {english: hi}}\n", "two-letter code"),
    ("id: t\nlevel: limited\nlimited: {email: {en: hi}}\n", "exactly 'subject' and 'body'"),
    ("id: t\nlevel: limited\nlimited: {email: {en: {subject: \"a\\nb\", body: x}}}\n",
     "subject must be one line"),
    ("id: t\nlevel: limited\nlimited: {telegram: {en: ''}}\n", "non-empty text"),
    ("id: t\nlevel: [limited\n", "not valid YAML"),
    ("- just a list\n", "must be a mapping"),
    ("id: t\nlevel: limited\nopt_out_exempt: ''\nlimited: {telegram: {en: hi}}\n",
     "non-empty reason"),
])
def test_format_errors_are_precise(text, message):
    with pytest.raises(TemplateFormatError, match=message) as info:
        parse_template(text, source="x.yaml")
    assert "x.yaml" in str(info.value)


def test_id_must_match_the_file_name():
    with pytest.raises(TemplateFormatError, match="does not match the file name 'other'"):
        parse_template(spec_text(limited={"telegram": {"en": "hi"}}), expected_id="other")


def test_jinja_syntax_error_has_the_line():
    spec = parse_template(spec_text(limited={"telegram": {"en": "ok\n{{ brand_name "}}))
    (problem,) = compile_problems(spec)
    assert isinstance(problem, TemplateSyntaxError) and problem.line == 2


# ---------------------------------------------------------------------------- store
def test_shipped_store_has_every_template_of_the_issue():
    store = load_templates()
    campaign = ["courtesy_reminder", "first_notice", "reminder", "follow_up", "final_notice",
                "pre_legal", "promise_due_tomorrow", "promise_broken", "no_response",
                "instalment_due"]
    replies = ["promise_confirmed", "promise_out_of_policy", "plan_options", "dispute_ack",
               "paid_ack", "opt_out_confirmed", "wrong_party_reply",
               "unknown_sender", "legal_ack", "callback_ack", "handoff_ack", "how_to_pay",
               "balance_info", "verify_prompt", "verify_failed", "verify_locked",
               "verified_ok", "help", "telegram_invite"]
    assert set(campaign + replies) <= set(store.ids())  # others may add more
    everywhere = {ChannelKind.SMS, ChannelKind.EMAIL, ChannelKind.TELEGRAM}
    for tid in campaign:
        spec = store.get(tid)
        assert spec.channels(Disclosure.LIMITED) == everywhere, tid
        assert spec.channels(Disclosure.VERIFIED) == {ChannelKind.EMAIL, ChannelKind.TELEGRAM}
    assert store.get("balance_info").channels(Disclosure.LIMITED) == set()
    assert store.get("telegram_invite").channels(Disclosure.LIMITED) == {
        ChannelKind.SMS, ChannelKind.EMAIL}
    for spec in store:
        assert spec.languages() == {"en", "zh"}, spec.id


@pytest.mark.parametrize("tid", ["wrong_party_reply", "unknown_sender"])
def test_replies_to_strangers_disclose_nothing(tid):
    renderer = TemplateRenderer(load_templates(), PROFILES["US-RegF"])
    for lang, samples in sample_contexts().items():
        for sample in samples:
            for channel in ChannelKind:
                out = renderer.render(tid, lang, channel, sample)
                text = f"{out.subject or ''} {out.body}"
                assert out.level is Disclosure.LIMITED
                for secret in ("Jordan", "Avery", "王小明", "4821", "1,240", "2,400"):
                    assert secret not in text, (tid, lang, channel, secret)


def test_a_store_takes_texts_and_refuses_bad_ones_whole():
    store = TemplateStore()
    help_text = spec_text(id="help", limited={"telegram": {"en": "Help.", "zh": "帮助。"}})
    assert store.add_text(help_text, source="help.yaml", template_id="help") is not None
    assert render_id(store, "help") == "Help."

    override = spec_text(id="help", limited={"telegram": {"en": "Custom help."}})
    store.add_text(override, source="override/help.yaml", template_id="help")
    assert render_id(store, "help") == "Custom help." and len(store) == 1

    with pytest.raises(TemplateFormatError, match=r"^bad\.yaml: not valid YAML"):
        store.add_text("id: help\nlevel: [\n", source="bad.yaml", template_id="help")
    assert render_id(store, "help") == "Custom help."  # strict: raised, nothing changed

    unsafe = spec_text(id="help", limited={"telegram": {"en": "{{ ''.__class__ }}"}})
    assert store.add_text(unsafe, source="x/help.yaml", template_id="help",
                          strict=False) is None
    assert [(p.path, p.error.code) for p in store.problems] == [("x/help.yaml", "unsafe")]
    with pytest.raises(UnknownTemplateError, match="no template 'help'"):
        render_id(store, "help")  # a broken override never falls back to the earlier text


def test_a_text_must_carry_the_id_of_its_file():
    with pytest.raises(TemplateFormatError, match="does not match the file name 'help'"):
        TemplateStore().add_text(spec_text(id="other", limited={"telegram": {"en": "x"}}),
                                 source="help.yaml", template_id="help")


def render_id(store: TemplateStore, tid: str) -> str:
    return TemplateRenderer(store, PROFILE).render(tid, "en", "telegram", ctx()).body


def test_unknown_template_channel_and_language():
    renderer = TemplateRenderer(load_templates(), PROFILE)
    with pytest.raises(UnknownTemplateError, match="no template 'nope'"):
        renderer.render("nope", "en", "sms", ctx())
    with pytest.raises(MissingVariantError, match="unknown channel 'fax'"):
        renderer.render("help", "en", "fax", ctx())
    with pytest.raises(MissingVariantError, match=r"\[telegram/fr\]: no text"):
        renderer.render("help", "fr", "telegram", ctx())


# ---------------------------------------------------------------------------- from_case
def test_context_from_a_case():
    case = Case(account_id="ACC-77881234", currency="GBP", balance_minor=9640,
                due_date=date(2025, 3, 14), customer_name="Amelia Jones", language="en",
                country="GB", minimum_payment_minor=2500)
    at = datetime(2025, 3, 20, 12, tzinfo=UTC)
    case.make_promise([(4820, date(2025, 3, 28)), (4820, date(2025, 4, 28))], at, "bot")
    brand = Brand(brand_name="Acme Bank", support_phone="+1 800 555 0100",
                  support_email="help@example.com", pay_url="https://pay.acme.test",
                  verify_method="id_last4")
    context = RenderContext.from_case(case, brand, disclosure=Disclosure.VERIFIED,
                                      plan_options=[PlanOption(3, 3214)])
    assert context.locale == "en_GB" and context.brand_name == "Acme Bank"
    assert context.promise_amount_minor == 4820 and context.promise_date == date(2025, 3, 28)
    assert context.verify_method == "id_last4"
    renderer = TemplateRenderer(load_templates(), PROFILES["UK-FCA"])
    out = renderer.render("balance_info", "en", "telegram", context)
    assert "****1234" in out.body and "£96.40" in out.body and "£48.20 on 28 Mar 2025" in out.body
    assert "debt collector" not in out.body  # UK: no mini-Miranda


def test_a_store_checked_on_use_checks_each_template_when_first_used_and_all_when_listed():
    """A one-shot command sends one template: only that one is compiled and checked, and
    none is ever handed out unchecked; a failing one is refused each time it is asked
    for, and listing the templates refuses as a whole store would."""
    from bot.conversations.template_check import TemplateCheckError

    checked: list[str] = []

    def gate(spec):  # a check that refuses the template "bad"
        checked.append(spec.id)
        return [TemplateError("says something it must not", template_id=spec.id)] \
            if spec.id == "bad" else []

    store = TemplateStore(check=gate, checked_on_use=True)
    for tid, body in (("good", "Hello {{ customer_name }}"), ("other", "Hi"),
                      ("bad", "Pay now"), ("broken", "{% if %}")):
        text = spec_text(id=tid, limited={"telegram": {"en": body}})
        store.add_text(text, source=f"{tid}.yaml", template_id=tid)
    assert checked == [] and len(store) == 4 and "bad" in store
    assert store.get("good").id == "good" and checked == ["good"]
    assert store.get("good").id == "good" and checked == ["good"]  # once
    for _ in range(2):
        with pytest.raises(TemplateCheckError, match=r"bad\.yaml: .*must not"):
            store.get("bad")
    with pytest.raises(TemplateCheckError) as listed:
        store.ids()
    assert [f.split(":")[0] for f in listed.value.findings] == ["bad.yaml", "broken.yaml"]
    assert sorted(checked) == ["bad", "good", "other"]  # "broken" failed to compile
    assert store.get("other").id == "other"
    with pytest.raises(UnknownTemplateError):
        store.get("nothing")
    fixed = parse_template(spec_text(id="bad", limited={"telegram": {"en": "Hello"}}))
    with pytest.raises(TemplateError, match="must not"):
        store.put(fixed)  # the gate refuses any "bad"
    store.reject("broken.yaml", "broken", [TemplateError("gone")], strict=False)
    store.reject("bad.yaml", "bad", [TemplateError("gone")], strict=False)
    assert store.ids() == ["good", "other"]
