"""The renderer's caches give exactly what an uncached render gives.

A :class:`TemplateRenderer` keeps the text it chose per template, language, channel and
level, and limited renders by the values of the variables their texts read;
:meth:`TemplateRenderer.render_case` answers from that cache without building a
:class:`RenderContext`. Here one long-lived renderer renders every shipped template in
every language, channel and level for many contexts and cases, twice over, and each
result - text or error - is compared with a fresh renderer's, whose caches are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml

from bot.conversations.disclosure import LIMITED_VARIABLES, Disclosure
from bot.conversations.render_context import LIMITED_FROM_CASE, RenderContext
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_filters import FilterError
from bot.conversations.template_lint import DictProfile, sample_contexts
from bot.conversations.template_renderer import TemplateRenderer
from bot.conversations.template_spec import parse_template
from bot.conversations.template_store import TemplateStore
from bot.domain.brand import Brand
from bot.domain.case import Case
from bot.policy.profiles import PROFILES
from storage.template_files import load_templates

STORE = load_templates()
BRAND = Brand("Duebot Bank", "+1 800 555 0100", "help@example.com", "https://pay.example.com")
LANGS = ("en", "zh")
CHANNELS = ("sms", "email", "telegram")
LEVELS: tuple[Disclosure | str | None, ...] = (None, "limited", Disclosure.VERIFIED)
TEST_PROFILE = DictProfile(
    "Test",
    opt_out={"en": {"sms": "Reply STOP.", "email": "Unsubscribe below.", "telegram": "/stop"},
             "zh": {"sms": "回复TD退订", "email": "如需退订请点击下方链接。", "telegram": "/stop"}},
    requires_mini_miranda=True, mini_miranda={"en": "Debt collector.", "zh": "债务催收。"},
)

Outcome = tuple[Any, ...]


def outcome(render: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """The render's result, or everything its error shows (type, message, location)."""
    try:
        return ("ok", render(*args, **kwargs))
    except (TemplateError, FilterError) as exc:
        return ("error", type(exc), str(exc), getattr(exc, "line", None),
                getattr(exc, "part", None), getattr(exc, "variable", None))


def contexts() -> list[RenderContext]:
    samples = sample_contexts()
    en = samples["en"][0]
    changed = [
        *samples["en"], *samples["zh"],
        replace(en, customer_name="Smith, Jordan"),  # the same first name
        replace(en, customer_name="Jordan"),
        replace(en, customer_name=","),  # no first name, but not empty either
        replace(en, locale="en_GB"),  # what the date filter reads from the context
        replace(en, balance_minor=1, account_id="ACC-00000001", currency="GBP",
                minimum_payment_minor=None, plan_options=()),  # verified-only values
        replace(en, promise_date=None, promise_amount_minor=None),
        replace(en, deep_link=None, verify_attempts_left=0, verify_method="id_last4"),
        replace(en, brand_name="Acme", pay_url="https://acme.test/pay",
                support_phone="+44 20 7946 0000", support_email="help@acme.test"),
    ]
    # a plain-string level too: the renderer tests the level by identity, so "verified"
    # as a string is not verified; it must not share the members' cache entries
    strings: list[Any] = ["limited", "verified"]
    return [replace(c, disclosure=d) for c in changed for d in Disclosure] + \
        [replace(en, disclosure=d) for d in strings]


def test_cached_renders_equal_uncached_for_every_template() -> None:
    profile = PROFILES["US-RegF"]
    ctxs = contexts()
    combos = [(tid, lang, channel, level, i) for tid in STORE.ids() for lang in LANGS
              for channel in CHANNELS for level in LEVELS for i in range(len(ctxs))]
    expected = {combo: outcome(TemplateRenderer(STORE, profile).render, tid, lang, channel,
                               ctxs[i], level=level)
                for combo in combos for tid, lang, channel, level, i in [combo]}
    renderer = TemplateRenderer(STORE, profile)
    for combo in [*combos, *reversed(combos)]:  # the second pass is served from the caches
        tid, lang, channel, level, i = combo
        got = outcome(renderer.render, tid, lang, channel, ctxs[i], level=level)
        assert got == expected[combo], combo
    assert sum(1 for o in expected.values() if o[0] == "ok") > 5000  # the sweep renders...
    assert renderer.cache.rendered  # ... and the cache answered
    assert all(r.level is Disclosure.LIMITED for r in renderer.cache.rendered.values())


@pytest.mark.parametrize(("tid", "lang", "channel", "level", "disclosure"), [
    ("first_notice", "es", "sms", None, Disclosure.LIMITED),  # no such language
    ("first_notice", "en", "fax", None, Disclosure.LIMITED),  # no such channel
    ("no_such_template", "en", "sms", None, Disclosure.LIMITED),
    ("balance_info", "en", "telegram", "verified", Disclosure.LIMITED),  # refused
    ("balance_info", "en", "sms", None, Disclosure.VERIFIED),  # verified-only, SMS
    ("first_notice", "en", "sms", "verified", Disclosure.VERIFIED),  # no verified SMS
])
def test_errors_are_raised_afresh_with_the_same_message(tid: str, lang: str, channel: str,
                                                        level: str | None,
                                                        disclosure: Disclosure) -> None:
    ctx = replace(sample_contexts()["en"][0], disclosure=disclosure)
    expected = outcome(TemplateRenderer(STORE, TEST_PROFILE).render, tid, lang, channel, ctx,
                       level=level)
    assert expected[0] == "error"
    renderer = TemplateRenderer(STORE, TEST_PROFILE)
    for _ in range(2):
        assert outcome(renderer.render, tid, lang, channel, ctx, level=level) == expected
    case = Case(account_id="ACC-1", currency="USD", balance_minor=1, due_date=date(2025, 1, 1))
    if level is None:
        from_case = RenderContext.from_case(case, BRAND, disclosure=disclosure)
        expected = outcome(TemplateRenderer(STORE, TEST_PROFILE).render, tid, lang, channel,
                           from_case)
        for _ in range(2):
            assert outcome(renderer.render_case, tid, lang, channel, case, BRAND,
                           disclosure=disclosure) == expected


def cases() -> list[Case]:
    at = datetime(2025, 3, 20, 12, tzinfo=UTC)
    gb = Case(account_id="ACC-77881234", currency="GBP", balance_minor=9640,
              due_date=date(2025, 3, 14), customer_name="Amelia Jones", language="en",
              country="GB", minimum_payment_minor=2500, days_past_due=6)
    gb.make_promise([(4820, date(2025, 3, 28)), (4820, date(2025, 4, 28))], at, "bot")
    # the same case without the promise: a key that missed a variable would mix them up
    gb_no_promise = replace(gb, promises=[], events=[])
    us = Case(account_id="ACC-00001111", currency="USD", balance_minor=124000,
              due_date=date(2025, 3, 1), customer_name="", language="en", country="US")
    cn = Case(account_id="ACC-22223333", currency="CNY", balance_minor=240000,
              due_date=date(2025, 2, 1), customer_name="王小明", language="zh", country="CN",
              days_past_due=47)
    cn.make_promise([(80000, date(2025, 4, 2))], at, "bot")
    amelia = Case(account_id="ACC-88889999", currency="GBP", balance_minor=100,
                  due_date=date(2025, 3, 14), customer_name="Amelia Brown", language="en",
                  country="GB")
    zh_us = Case(account_id="ACC-44445555", currency="USD", balance_minor=5000,
                 due_date=date(2025, 3, 10), customer_name="Li Wei", language="zh",
                 country="US")
    no_country = Case(account_id="ACC-66667777", currency="EUR", balance_minor=777,
                      due_date=date(2025, 3, 10), customer_name="Smith, Jordan")
    return [gb, gb_no_promise, amelia, us, cn, zh_us, no_country]


BRANDS = [BRAND,
          Brand(brand_name="Acme Bank", pay_url="https://pay.acme.test",
                support_phone="+44 20 7946 0000", support_email="help@example.com",
                verify_method="id_last4")]


def test_render_case_equals_render_of_the_context_from_the_case() -> None:
    profile = TEST_PROFILE
    all_cases = cases()
    combos = [(tid, lang, channel, disclosure, c, s) for tid in STORE.ids()
              for lang in ("en", "zh") for channel in CHANNELS for disclosure in Disclosure
              for c in range(len(all_cases)) for s in range(len(BRANDS))]

    def uncached(tid: str, lang: str, channel: str, disclosure: Disclosure, c: int,
                 s: int) -> Outcome:
        ctx = RenderContext.from_case(all_cases[c], BRANDS[s], disclosure=disclosure)
        return outcome(TemplateRenderer(STORE, profile).render, tid, lang, channel, ctx)

    expected = {combo: uncached(*combo) for combo in combos}
    renderer = TemplateRenderer(STORE, profile)
    for combo in [*combos, *reversed(combos)]:
        tid, lang, channel, disclosure, c, s = combo
        got = outcome(renderer.render_case, tid, lang, channel, all_cases[c], BRANDS[s],
                      disclosure=disclosure)
        assert got == expected[combo], combo
    assert sum(1 for o in expected.values() if o[0] == "ok") > 1000


def test_the_case_table_agrees_with_from_case() -> None:
    assert set(LIMITED_FROM_CASE) == LIMITED_VARIABLES - {"language", "opt_out"}
    for case in cases():
        for brand in BRANDS:
            ctx = RenderContext.from_case(case, brand)
            for name, value in LIMITED_FROM_CASE.items():
                assert value(case, brand) == getattr(ctx, name), name


def store_of(limited: dict[str, Any]) -> TemplateStore:
    text = yaml.safe_dump({"id": "t", "level": "limited", "limited": limited},
                          allow_unicode=True)
    return TemplateStore([parse_template(text)])


def test_a_filter_reading_the_context_keys_the_cache_by_every_variable() -> None:
    store = store_of({"telegram": {"en": "Due {{ promise_date | date }}."}})
    renderer = TemplateRenderer(store, TEST_PROFILE)
    base = sample_contexts()["en"][0]
    us = renderer.render("t", "en", "telegram", replace(base, locale="en_US"))
    gb = renderer.render("t", "en", "telegram", replace(base, locale="en_GB"))
    assert (us.body, gb.body) == ("Due Mar 28, 2025.", "Due 28 Mar 2025.")


def test_a_name_read_only_through_first_name_is_cached_by_the_first_name() -> None:
    greeting = store_of({"telegram": {"en": "Hi {{ customer_name | first_name('there') }}."}})
    renderer = TemplateRenderer(greeting, TEST_PROFILE)
    base = sample_contexts()["en"][0]
    names = ["Jordan Smith", "Jordan Lee", "Smith, Jordan", "", ","]
    bodies = [renderer.render("t", "en", "telegram", replace(base, customer_name=n)).body
              for n in names]
    assert bodies == ["Hi Jordan.", "Hi Jordan.", "Hi Jordan.", "Hi there.", "Hi ."]
    assert len(renderer.cache.rendered) == 3  # Jordan, the fallback, and no name at all
    # printed as written too: every full name is its own entry
    text = "Hi {{ customer_name | first_name }} ({{ customer_name }})"
    both = store_of({"telegram": {"en": text}})
    renderer = TemplateRenderer(both, TEST_PROFILE)
    bodies = [renderer.render("t", "en", "telegram", replace(base, customer_name=n)).body
              for n in names[:2]]
    assert bodies == ["Hi Jordan (Jordan Smith)", "Hi Jordan (Jordan Lee)"]


def test_a_replaced_template_or_profile_takes_effect() -> None:
    store = store_of({"sms": {"en": "Hi {{ customer_name }}. {{ opt_out }}"}})
    renderer = TemplateRenderer(store, TEST_PROFILE)
    ctx = sample_contexts()["en"][0]
    assert renderer.render("t", "en", "sms", ctx).body == "Hi Jordan Avery Smith. Reply STOP."
    store.put(parse_template(yaml.safe_dump(
        {"id": "t", "level": "limited", "limited": {"sms": {"en": "Hello. {{ opt_out }}"}}})))
    assert renderer.render("t", "en", "sms", ctx).body == "Hello. Reply STOP."
    renderer.profile = PROFILES["US-RegF"]
    assert renderer.render("t", "en", "sms", ctx).body == \
        "Hello. " + PROFILES["US-RegF"].opt_out_text("en", "sms")  # type: ignore[arg-type]


def test_an_unhashable_value_is_rendered_without_the_cache() -> None:
    store = store_of({"telegram": {"en": "Open {{ deep_link }}"}})
    renderer = TemplateRenderer(store, TEST_PROFILE)
    ctx = replace(sample_contexts()["en"][0], deep_link=["https://t.me/x"])  # type: ignore[arg-type]
    for _ in range(2):
        assert renderer.render("t", "en", "telegram", ctx).body == "Open ['https://t.me/x']"
    assert not renderer.cache.rendered


def test_render_case_fails_like_from_case_on_a_language_without_locale_data() -> None:
    store = store_of({"sms": {"xx": "Hi from {{ brand_name }}"}})
    renderer = TemplateRenderer(store, TEST_PROFILE)
    ctx = replace(sample_contexts()["en"][0], disclosure=Disclosure.LIMITED, language="xx")
    assert renderer.render("t", "xx", "sms", ctx).body == "Hi from Duebot Bank"  # cached
    case = Case(account_id="ACC-1", currency="USD", balance_minor=1,
                due_date=date(2025, 1, 1), language="xx")
    with pytest.raises(FilterError) as from_case:
        RenderContext.from_case(case, BRAND)
    with pytest.raises(FilterError) as render_case:
        renderer.render_case("t", "xx", "sms", case, BRAND)
    assert str(render_case.value) == str(from_case.value)
