"""Portfolio rows, one at a time: normalisation and a precise reason for every bad value."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.portfolio import CaseRecord
from bot.services.portfolio_rows import distinct_zones, parse_case_row

GOOD = {
    "account_id": "ACC-1", "name": "Jordan Example", "balance": "1,240.50", "currency": "usd",
    "due_date": "2026-11-01", "phone": "(415) 555-0123", "email": "Jordan.Ex@Example.COM",
}


def parse(region: str = "US", tz: str = "America/New_York", **changes: str):
    row = {**GOOD, **changes}
    return parse_case_row("book.csv", 7, {k: v for k, v in row.items() if v is not None},
                          region, tz, "en", year=2026)


def ok(**changes: str) -> CaseRecord:
    record, errors = parse(**changes)
    assert errors == [] and record is not None
    return record


def bad(**changes: str) -> list[tuple[str, str]]:
    record, errors = parse(**changes)
    assert record is None and errors
    assert all(e.file == "book.csv" and e.row == 7 for e in errors)
    return [(e.column, e.reason) for e in errors]


def test_a_good_row_is_normalised():
    r = ok(customer_id="CUST-9", minimum_payment="25", product="card", segment="prime",
           risk_band="HIGH", consent_email="no", consent_source="web-form-2024",
           date_of_birth="1980-02-29", id_last4="4821", preferred_hours="09:00-18:30",
           telegram_chat_id="123456789", language="ZH")
    assert (r.account_id, r.customer_ref, r.name) == ("ACC-1", "CUST-9", "Jordan Example")
    assert (r.currency, r.balance_minor, r.minimum_payment_minor) == ("USD", 124050, 2500)
    assert r.due_date == date(2026, 11, 1)
    by_channel = {c.channel: c for c in r.contacts}
    assert by_channel["sms"].address == "+14155550123" and by_channel["sms"].consent
    assert by_channel["email"].address == "jordan.ex@example.com"
    assert not by_channel["email"].consent
    assert by_channel["telegram"].address == "123456789"
    assert by_channel["sms"].preferred_start == time(9) and \
        by_channel["sms"].preferred_end == time(18, 30)
    assert (r.risk_band_override, r.language, r.product, r.segment) == ("high", "zh", "card",
                                                                        "prime")
    assert (r.date_of_birth, r.id_last4, r.consent_source) == (date(1980, 2, 29), "4821",
                                                               "web-form-2024")
    assert r.timezone == "America/Los_Angeles" and r.timezone_candidates == []


def test_time_barred_debts_come_as_a_flag_or_a_limitation_date():
    assert (ok().time_barred, ok().limitation_date) == (False, None)
    assert ok(time_barred="yes").time_barred
    assert ok(limitation_date="2023-03-01").limitation_date == date(2023, 3, 1)


def test_customer_defaults_to_the_account():
    assert ok().customer_ref == "ACC-1"


@pytest.mark.parametrize(("phone", "country", "region", "e164"), [
    ("(415) 555-0123", None, "US", "+14155550123"),
    ("07400 123456", "GB", "US", "+447400123456"),  # the country column wins
    ("07400 123456", None, "GB", "+447400123456"),  # DUEBOT_DEFAULT_REGION
    ("+86 139 1234 5678", "US", "US", "+8613912345678"),  # international form: any region
    ("139-1234-5678", "cn", "US", "+8613912345678"),
])
def test_phone_normalised_to_e164(phone, country, region, e164):
    record, errors = parse(region=region, phone=phone, country=country)
    assert errors == [] and record is not None
    assert record.contacts[0].channel == "sms" and record.contacts[0].address == e164


@pytest.mark.parametrize(("phone", "expected_tz"), [
    ("+14155550123", "America/Los_Angeles"),
    ("+12125550123", "America/New_York"),
    ("+447400123456", "Europe/London"),  # four zone names, one clock
    ("+8613912345678", "Asia/Shanghai"),
])
def test_timezone_inferred_from_the_phone(phone, expected_tz):
    r = ok(phone=phone)
    assert r.timezone == expected_tz and r.timezone_candidates == []


def test_number_spanning_several_zones_is_ambiguous():
    r = ok(phone="+1 800 555 0100")  # toll-free: the whole NANP
    assert len(r.timezone_candidates) > 5
    assert r.timezone == "America/New_York"  # the deployment default, not America/Adak
    assert r.timezone_candidates[0] == r.timezone
    assert "America/Los_Angeles" in r.timezone_candidates
    assert len(set(r.timezone_candidates)) == len(r.timezone_candidates)


def test_timezone_column_disagreeing_with_the_phone_is_ambiguous():
    r = ok(timezone="America/New_York")  # a San Francisco number
    assert r.timezone == "America/New_York"
    assert r.timezone_candidates == ["America/New_York", "America/Los_Angeles"]


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "US/Pacific"])
def test_timezone_column_agreeing_with_the_phone_is_not_ambiguous(tz):
    r = ok(timezone=tz)
    assert r.timezone == tz and r.timezone_candidates == []


def test_without_a_phone_the_column_or_the_default_zone():
    assert ok(phone="").timezone == "America/New_York"
    assert ok(phone="", timezone="Europe/Paris").timezone == "Europe/Paris"
    assert ok(phone="").timezone_candidates == []


def test_distinct_zones_keeps_one_name_per_clock():
    assert distinct_zones(["Europe/Guernsey", "Europe/London", "Europe/Jersey"],
                          ["Europe/London"], year=2026) == ["Europe/London"]
    assert distinct_zones(["America/Denver", "America/Phoenix"], year=2026) == [
        "America/Denver", "America/Phoenix"]


@pytest.mark.parametrize("column", ["account_id", "name", "balance", "currency", "due_date"])
def test_missing_required_value(column):
    assert (column, "required") in bad(**{column: ""})


def test_no_address_at_all():
    assert bad(phone="", email="") == [
        ("phone", "at least one of phone, email, telegram_chat_id is required")]


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"balance": "12abc"}, "balance", "not an amount: '12abc'"),
    ({"balance": "12.345"}, "balance", "12.345 has more decimals than USD allows"),
    ({"balance": "-5"}, "balance", "must not be negative"),
    ({"balance": "12,50"}, "balance", "commas only as thousands separators"),
    ({"balance": "1e30"}, "balance", "implausibly large"),
    ({"balance": "100.5", "currency": "JPY"}, "balance", "more decimals than JPY"),
    ({"balance": "1.2345", "currency": "BHD"}, "balance", "more decimals than BHD"),
    ({"minimum_payment": "x"}, "minimum_payment", "not an amount"),
    ({"minimum_payment": "-1"}, "minimum_payment", "must not be negative"),
    ({"currency": "US"}, "currency", "not an ISO 4217 currency code: 'US'"),
    ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code: 'XYZ'"),
    ({"currency": "$"}, "currency", "not an ISO 4217"),
    ({"due_date": "01/11/2026"}, "due_date", "expected YYYY-MM-DD, got '01/11/2026'"),
    ({"due_date": "2026-02-30"}, "due_date", "expected YYYY-MM-DD, got '2026-02-30'"),
    ({"due_date": "20261101"}, "due_date", "expected YYYY-MM-DD"),
    ({"phone": "555-0123"}, "phone", "invalid phone number"),
    ({"phone": "+1 555 555 0123"}, "phone", "not a valid number for its region"),
    ({"phone": "call me"}, "phone", "invalid phone number"),
    ({"email": "jordan@"}, "email", "invalid email address"),
    ({"email": "jordan.example.com"}, "email", "invalid email address"),
    ({"email": "jo@localhost"}, "email", "invalid email address"),
    ({"telegram_chat_id": "@jordan"}, "telegram_chat_id", "expected a numeric chat id"),
    # issue #12: only a private chat (a positive id); a group or channel is read by others
    ({"telegram_chat_id": "-1001234567890"}, "telegram_chat_id", "not a private chat"),
    ({"telegram_chat_id": "-42"}, "telegram_chat_id", "not a private chat"),
    ({"telegram_chat_id": "0"}, "telegram_chat_id", "not a private chat"),
    ({"time_barred": "perhaps"}, "time_barred", "expected true/false"),
    ({"limitation_date": "2023-13-01"}, "limitation_date", "expected YYYY-MM-DD"),
    ({"timezone": "Mars/Olympus"}, "timezone", "unknown IANA time zone 'Mars/Olympus'"),
    ({"timezone": "localtime"}, "timezone", "unknown IANA time zone"),
    ({"language": "fr"}, "language", "expected one of en, zh, got 'fr'"),
    ({"country": "USA"}, "country", "expected a 2-letter ISO country code, got 'USA'"),
    ({"country": "ZZ", "phone": "+14155550123"}, "country", "got 'ZZ'"),
    ({"consent_sms": "maybe"}, "consent_sms", "expected true/false, got 'maybe'"),
    ({"consent_telegram": "sure"}, "consent_telegram", "expected true/false"),  # no telegram id
    ({"preferred_hours": "9-5"}, "preferred_hours", "expected HH:MM-HH:MM"),
    ({"preferred_hours": "25:00-26:00"}, "preferred_hours", "expected HH:MM-HH:MM"),
    ({"risk_band": "extreme"}, "risk_band", "expected one of low, medium, high"),
    ({"date_of_birth": "29/02/1980"}, "date_of_birth", "expected YYYY-MM-DD"),
    ({"id_last4": "12345"}, "id_last4", "expected 4 letters or digits"),
    ({"account_id": "ACC 1"}, "account_id", "use 1-64 letters"),
    ({"account_id": "A" * 65}, "account_id", "use 1-64 letters"),
    ({"customer_id": "C" * 65}, "customer_id", "longer than 64"),
    ({"name": "N" * 201}, "name", "longer than 200 characters"),
    ({"product": "p" * 65}, "product", "longer than 64"),
])
def test_each_bad_value_has_a_precise_reason(changes, column, reason):
    problems = bad(**changes)
    assert any(c == column and reason in r for c, r in problems), problems


def test_every_problem_of_a_row_is_reported():
    problems = bad(balance="abc", due_date="tomorrow", email="nope", language="de")
    assert [c for c, _ in problems] == ["balance", "due_date", "language", "email"]


def test_too_many_cells():
    record, errors = parse_case_row("book.csv", 3, {**GOOD, "__extra__": "2"}, "US", "UTC", "en",
                                    year=2026)
    assert record is None
    assert [(e.column, e.row) for e in errors] == [("*", 3)]
    assert "2 more cell(s) than header columns" in errors[0].reason
    assert str(errors[0]).startswith("book.csv:3: *: ")


def test_error_reasons_do_not_echo_a_bad_phone_in_full():
    # an invalid number is still personal data: the reason names the problem, not the value
    problems = bad(phone="+1 555 555 0123")
    assert all("555 555 0123" not in r for _, r in problems)


def test_money_keeps_the_currency_exponent():
    assert ok(currency="JPY", balance="15000").balance_minor == 15000
    assert ok(currency="BHD", balance="12.345").balance_minor == 12345
    assert ok(currency="KWD", balance="0.5").balance_minor == 500


def test_email_is_checked_without_the_network():
    # no DNS here: a deliverability check would fail on a domain nobody registered
    r = ok(email="jo@unregistered-domain-4b1c9e.com")
    assert "jo@unregistered-domain-4b1c9e.com" in {c.address for c in r.contacts}
