"""Property: no route answers 5xx, whatever a client sends.

Hypothesis drives every route of the web app — the collectors' JSON API, the Twilio
webhooks (correctly signed forms with hostile fields), the Telegram webhook (the right
secret, hostile updates), the unsubscribe page — with hostile values: NUL bytes, control
characters, lone surrogates, invalid UTF-8 in paths, integers far beyond 64 bits, NaN and
infinities, deep and odd JSON. The app is the full one (``tests/services/end_to_end``:
real channel adapters against loopback peers, a real database on each backend).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.services.roles import operator
from bot.services.users import add_user
from tests.peers.telegram_api import text_update
from tests.peers.twilio_api import inbound_message_form, status_callback_form
from tests.peers.twilio_signing import signed_headers
from tests.services.end_to_end.world import FROM_NUMBER, PUBLIC_URL, TG_SECRET, World, world

ACCOUNT = "ACC-1001"
PHONE = "+14155550101"
SPECIAL_TEXT = ["", "\x00", "a\x00b", "\ud800", "x\udfffy", "\x1b[31m", "\x7f", "\x85",
                "NaN", "Infinity", "-Infinity", "1e400", "-1", "0", "9" * 40, "A" * 5000,
                "../../etc/passwd", "%00", "'; DROP TABLE message; --", "=HYPERLINK(\"x\")",
                "\u202e", "中文", "\ufeff"]
SPECIAL_NUMBERS = [0, -1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30, float("nan"),
                   float("inf"), -float("inf"), 1e400, 1e-400]

any_text = st.one_of(st.sampled_from(SPECIAL_TEXT),
                     st.text(st.characters(codec=None, categories=None), max_size=40))
#: what a form can carry (a signed form is UTF-8: no lone surrogates)
form_text = st.one_of(st.sampled_from([t for t in SPECIAL_TEXT if "\ud800" not in t
                                       and "\udfff" not in t]),
                      st.text(st.characters(codec="utf-8"), max_size=40))
numbers = st.one_of(st.sampled_from(SPECIAL_NUMBERS), st.sampled_from(SPECIAL_NUMBERS),
                    st.integers(-(2**80), 2**80), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)), max_leaves=12)
segments = st.one_of(any_text.map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe="")),
                     st.binary(max_size=20).map(lambda b: quote(b, safe="")),
                     st.sampled_from(["%00", "%FF", "A%00B", "..", "%2e%2e", "A" * 300]))


@dataclass
class Req:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # short, for Hypothesis' report
        return f"{self.method} {self.path[:120]!r} {self.body[:200]!r}"


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


@st.composite
def api_requests(draw: st.DrawFn) -> Req:
    case = f"/api/cases/{draw(st.one_of(st.just(ACCOUNT), segments))}"
    kind = draw(st.sampled_from(["queue", "done", "get", "take", "release", "reply",
                                 "promises", "plan", "dispute", "resolve"]))
    if kind == "queue":
        limit = draw(st.one_of(numbers.map(str), segments))
        return Req("GET", f"/api/queue?limit={limit}")
    if kind == "done":
        return Req("POST", f"/api/queue/{draw(st.one_of(numbers.map(str), segments))}/done")
    if kind in ("get", "take", "release"):
        return Req("GET" if kind == "get" else "POST", case + ("" if kind == "get" else
                                                              f"/{kind}"))
    shaped = {
        "reply": st.fixed_dictionaries({"text": scalars},
                                       optional={"channel": scalars}),
        "promises": st.fixed_dictionaries({"instalments": st.lists(st.fixed_dictionaries(
            {"amount": scalars, "date": st.one_of(any_text, st.dates().map(str))}),
            max_size=3)}),
        "plan": st.fixed_dictionaries({"count": scalars,
                                       "first_due": st.one_of(any_text, st.dates().map(str))}),
        "dispute": st.fixed_dictionaries({"reason": scalars}),
        "resolve": st.fixed_dictionaries({"outcome": scalars}),
    }[kind]
    body = draw(st.one_of(shaped, json_values).map(_json))
    path = case + ("/dispute/resolve" if kind == "resolve" else f"/{kind}")
    return Req("POST", path, body, {"Content-Type": "application/json"})


@st.composite
def twilio_requests(draw: st.DrawFn, account_sid: str, token: str) -> Req:
    status = draw(st.booleans())
    sid = "SM" + draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    if status:
        path = "/webhooks/twilio/status"
        form = status_callback_form(account_sid=account_sid, message_sid=sid,
                                    status=draw(st.sampled_from(["delivered", "failed",
                                                                 "undelivered", "weird"])),
                                    from_=FROM_NUMBER, to=PHONE, error_code=30006)
    else:
        path = "/webhooks/twilio/sms"
        form = inbound_message_form(account_sid=account_sid, from_=PHONE, to=FROM_NUMBER,
                                    body="I can pay 50 on friday", message_sid=sid)
    for name in draw(st.lists(st.sampled_from([*sorted(form), "OptOutType", "NumMedia"]),
                              max_size=4, unique=True)):
        form[name] = draw(form_text)
    body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items())
    headers = signed_headers(token, PUBLIC_URL + path, form)
    return Req("POST", path, body.encode(), headers)


@st.composite
def telegram_requests(draw: st.DrawFn) -> Req:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    if draw(st.booleans()):
        return Req("POST", "/webhooks/telegram", draw(json_values.map(_json)), headers)
    update = text_update(draw(st.one_of(st.just(987654321), st.integers(-(2**70), 2**70))),
                         draw(any_text) or "hi", update_id=draw(st.integers(0, 2**70)),
                         message_id=draw(st.integers(-(2**70), 2**70)))
    return Req("POST", "/webhooks/telegram", _json(update), headers)


@st.composite
def unsubscribe_requests(draw: st.DrawFn) -> Req:
    token = draw(segments)
    if draw(st.booleans()):
        return Req("GET", f"/unsubscribe/{token}")
    return Req("POST", f"/unsubscribe/{token}", b"List-Unsubscribe=One-Click",
               {"Content-Type": "application/x-www-form-urlencoded"})


def hostile_requests(w: World, family: str) -> st.SearchStrategy[Req]:
    return {"api": api_requests(),
            "twilio": twilio_requests(w.twilio.account_sid, w.twilio.auth_token),
            "telegram": telegram_requests(), "unsubscribe": unsubscribe_requests()}[family]


@pytest.fixture
def served(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    """The full app over ``engine`` on a loop of its own (Hypothesis calls synchronously)."""
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    w = loop.run_until_complete(stack.enter_async_context(world(engine, clock)))
    w.seed(ACCOUNT, phone=PHONE, email="jordan@example.org", chat=987654321)
    token = add_user(w.container.uow(), "ann", "collector", "correct-horse-battery",
                     actor=operator("test"))
    try:
        yield loop, w, token
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


@pytest.mark.parametrize(("family", "examples"), [
    ("api", 150), ("twilio", 60), ("telegram", 60), ("unsubscribe", 30)])
def test_no_route_answers_5xx(served, family: str, examples: int  # type: ignore[no-untyped-def]
                              ) -> None:
    loop, w, token = served

    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=hostile_requests(w, family))
    def check(request: Req) -> None:
        headers = {"Authorization": f"Bearer {token}", **request.headers}
        response = loop.run_until_complete(w.http.request(
            request.method, request.path, content=request.body, headers=headers))
        assert response.status_code < 500, (response.status_code, response.text[:200])

    check()
