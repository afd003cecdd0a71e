"""Hostile HTTP requests against the web app, as an attacker or a broken provider sends them.

Three sets, each a list of :class:`Probe` built for one :class:`Target` (the running app's
secrets and a known case):

* :func:`provider_malformed` — posts that pass authentication (a correct Twilio
  signature, the Telegram secret token) but carry odd fields: NUL bytes, over-long ids and
  addresses, lone surrogates, absurd numbers. The app must answer 200 (the odd part
  cleaned) or 400 (nothing usable), never 5xx: a provider retries a 5xx for ever.
* :func:`api_malformed` — the collectors' JSON API with malformed bodies, paths and query
  strings: must answer 4xx and store nothing.
* :func:`forged` — Twilio posts with a wrong or missing signature, Telegram updates
  without the secret, unsubscribe links that were not minted by the app: all refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from tests.peers.telegram_api import text_update
from tests.peers.twilio_api import inbound_message_form, status_callback_form
from tests.peers.twilio_signing import sign, signed_headers

INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
TELEGRAM_PATH = "/webhooks/telegram"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Target:
    """What an attacker would need to know (or guess) about the app under test."""

    public_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_number: str
    customer_phone: str  # the phone of a known case
    customer_email: str  # the email of the same case
    telegram_secret: str
    api_token: str  # a collector's bearer token
    account_id: str  # the known case
    #: ``mint(secret, address)``: an unsubscribe token as the app mints them
    mint_unsubscribe: Callable[[str, str], str]
    secret_key: str


@dataclass(frozen=True)
class Probe:
    group: str
    name: str
    method: str
    path: str  # percent-encoded, with the query string
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    #: the answers that are right: ``"2xx"`` (accepted, cleaned), ``"4xx"`` (refused)
    want: tuple[str, ...] = ("4xx",)

    def ok(self, status: int) -> bool:
        return f"{status // 100}xx" in self.want


def _twilio(t: Target, name: str, path: str, form: dict[str, str],
            want: tuple[str, ...] = ("2xx",), group: str = "twilio") -> Probe:
    headers = signed_headers(t.twilio_auth_token, t.public_url.rstrip("/") + path, form)
    return Probe(group, name, "POST", path, urlencode(form).encode(), headers, want)


def _telegram(t: Target, name: str, body: bytes, want: tuple[str, ...] = ("2xx",)) -> Probe:
    return Probe("telegram", name, "POST", TELEGRAM_PATH, body,
                 {"Content-Type": "application/json", TELEGRAM_SECRET_HEADER: t.telegram_secret},
                 want)


def twilio_malformed(t: Target, *, sid: Callable[[str], str]) -> list[Probe]:
    """Eight signed Twilio posts with odd fields (``sid(name)`` gives a fresh MessageSid)."""

    def inbound(name: str, body: str = "can pay 50 on friday", **changes: str) -> Probe:
        form = inbound_message_form(account_sid=t.twilio_account_sid, from_=t.customer_phone,
                                    to=t.twilio_number, body=body, message_sid=sid(name))
        form.update(changes)
        return _twilio(t, name, INBOUND_PATH, form)

    def status(name: str, message_sid: str, **changes: str) -> Probe:
        form = status_callback_form(account_sid=t.twilio_account_sid, message_sid=message_sid,
                                    status="delivered", from_=t.twilio_number,
                                    to=t.customer_phone)
        form.update(changes)
        return _twilio(t, name, STATUS_PATH, form)

    long_sid = "SM" + "f" * 298
    return [
        inbound("inbound Body with a NUL", "I will pay\x00 50 on friday"),
        status("status MessageSid with a NUL", sid("status-nul")[:20] + "\x00" + "ab" * 7),
        inbound("inbound MessageSid of 300 characters", MessageSid=long_sid,
                SmsSid=long_sid, SmsMessageSid=long_sid),
        status("status MessageSid of 300 characters", "SM" + "e" * 298),
        inbound("inbound From of 400 digits", From="+1" + "5" * 398),
        inbound("inbound Body with control characters", "pay\x1b[31m 50\x07 friday\x7f"),
        inbound("inbound NumMedia not a number", NumMedia="lots"),
        status("status ErrorCode not a number", sid("status-code"), MessageStatus="failed",
               ErrorCode="9" * 40),
    ]


def telegram_malformed(t: Target, chat_id: int) -> list[Probe]:
    """Updates with the right secret token but odd content."""

    def update(text: str, **changes: object) -> bytes:
        upd = text_update(chat_id, text, update_id=abs(hash(text)) % 10**9,
                          message_id=abs(hash(text)) % 10**6)
        upd["message"].update(changes)
        return json.dumps(upd).encode()

    huge_chat = text_update(10**30, "hello", update_id=77, message_id=77)
    return [
        _telegram(t, "text with a NUL", update("pay\x00 50 friday")),
        _telegram(t, "text with a lone surrogate", update("pay 50 \ud800 friday")),
        _telegram(t, "chat id of 31 digits", json.dumps(huge_chat).encode()),
        _telegram(t, "update_id NaN", b'{"update_id": NaN}', want=("4xx",)),
        _telegram(t, "nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, want=("4xx",)),
        _telegram(t, "not UTF-8", b'{"update_id": 1, "x": "\xff\xfe"}', want=("4xx",)),
    ]


def provider_malformed(t: Target, *, sid: Callable[[str], str], chat_id: int) -> list[Probe]:
    """Authenticated provider posts with odd fields: Twilio, then Telegram."""
    return twilio_malformed(t, sid=sid) + telegram_malformed(t, chat_id)


def _api(t: Target, name: str, method: str, path: str, body: object = None, *,
         raw: bytes | None = None) -> Probe:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    headers = {"Authorization": f"Bearer {t.api_token}"}
    if data:
        headers["Content-Type"] = "application/json"
    return Probe("api", name, method, "/api" + path, data, headers)


def api_malformed(t: Target) -> list[Probe]:
    """Malformed JSON API requests: every one must be refused with a 4xx."""
    case = f"/cases/{quote(t.account_id, safe='')}"
    day = "2026-12-20"

    def promise(amount: object, date: object = day) -> bytes:
        return json.dumps({"instalments": [{"amount": amount, "date": date}]}).encode()

    return [
        # reply
        _api(t, "reply text with a NUL", "POST", case + "/reply", {"text": "hello\x00there"}),
        _api(t, "reply text with a lone surrogate", "POST", case + "/reply",
             raw=b'{"text": "hello \\ud800 there"}'),
        _api(t, "reply text empty", "POST", case + "/reply", {"text": ""}),
        _api(t, "reply text of 5,000 characters", "POST", case + "/reply", {"text": "x" * 5000}),
        _api(t, "reply text a number", "POST", case + "/reply", {"text": 123}),
        _api(t, "reply on an unknown channel", "POST", case + "/reply",
             {"text": "hi", "channel": "pigeon"}),
        _api(t, "reply body not JSON", "POST", case + "/reply", raw=b"text=hi"),
        _api(t, "reply body a JSON array", "POST", case + "/reply", []),
        _api(t, "reply body null", "POST", case + "/reply", raw=b"null"),
        _api(t, "reply body nested 100,000 deep", "POST", case + "/reply",
             raw=b"[" * 100_000 + b"]" * 100_000),
        _api(t, "reply body not UTF-8", "POST", case + "/reply", raw=b'{"text": "\xff\xfe"}'),
        # promise
        _api(t, "promise amount NaN", "POST", case + "/promises", raw=promise(0).replace(
            b"0", b"NaN", 1)),
        _api(t, "promise amount Infinity", "POST", case + "/promises",
             raw=b'{"instalments": [{"amount": Infinity, "date": "%s"}]}' % day.encode()),
        _api(t, "promise amount 1e400", "POST", case + "/promises",
             raw=b'{"instalments": [{"amount": 1e400, "date": "%s"}]}' % day.encode()),
        _api(t, "promise amount '-Infinity'", "POST", case + "/promises",
             raw=promise("-Infinity")),
        _api(t, "promise amount 'NaN'", "POST", case + "/promises", raw=promise("NaN")),
        _api(t, "promise amount negative", "POST", case + "/promises", raw=promise(-5)),
        _api(t, "promise amount 1e30", "POST", case + "/promises", raw=promise(1e30)),
        _api(t, "promise amount with 3 decimals", "POST", case + "/promises",
             raw=promise("12.345")),
        _api(t, "promise date 2026-02-30", "POST", case + "/promises",
             raw=promise(10, "2026-02-30")),
        _api(t, "promise date 9999-12-31", "POST", case + "/promises",
             raw=promise(10, "9999-12-31")),
        _api(t, "promise without instalments", "POST", case + "/promises", {"instalments": []}),
        _api(t, "promise of 37 instalments", "POST", case + "/promises",
             {"instalments": [{"amount": 1, "date": day}] * 37}),
        # plan
        _api(t, "plan count 2**70", "POST", case + "/plan",
             {"count": 2**70, "first_due": day}),
        _api(t, "plan count a word", "POST", case + "/plan", {"count": "two", "first_due": day}),
        _api(t, "plan first_due 0001-01-01", "POST", case + "/plan",
             {"count": 3, "first_due": "0001-01-01"}),
        _api(t, "plan first_due 9999-12-31", "POST", case + "/plan",
             {"count": 3, "first_due": "9999-12-31"}),
        # dispute
        _api(t, "dispute reason with a NUL", "POST", case + "/dispute",
             {"reason": "not mine\x00"}),
        _api(t, "dispute reason with a lone surrogate", "POST", case + "/dispute",
             raw=b'{"reason": "not \\udfff mine"}'),
        _api(t, "dispute reason of 600 characters", "POST", case + "/dispute",
             {"reason": "x" * 600}),
        _api(t, "dispute resolve outcome unknown", "POST", case + "/dispute/resolve",
             {"outcome": "maybe"}),
        # query strings and paths
        _api(t, "queue limit -1", "GET", "/queue?limit=-1"),
        _api(t, "queue limit beyond 64-bit", "GET", "/queue?limit=99999999999999999999999"),
        _api(t, "queue limit NUL", "GET", "/queue?limit=%00"),
        _api(t, "done id beyond 64-bit", "POST", "/queue/99999999999999999999999/done"),
        _api(t, "done id negative", "POST", "/queue/-1/done"),
        _api(t, "case id with a NUL", "GET", "/cases/A%00B"),
        _api(t, "take a case id with a NUL", "POST", "/cases/A%00B/take"),
        _api(t, "case id not UTF-8", "GET", "/cases/A%FFB"),
        _api(t, "case id of 5,000 characters", "GET", "/cases/" + "A" * 5000),
    ]


def forged(t: Target) -> list[Probe]:
    """Requests that claim to be a provider or an unsubscribe link, and are not."""
    base = t.public_url.rstrip("/")
    form = inbound_message_form(account_sid=t.twilio_account_sid, from_=t.customer_phone,
                                to=t.twilio_number, body="STOP", message_sid="SM" + "0" * 32)
    status = status_callback_form(account_sid=t.twilio_account_sid, message_sid="SM" + "1" * 32,
                                  status="undelivered", from_=t.twilio_number,
                                  to=t.customer_phone, error_code=21610)
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    probes: list[Probe] = []
    for path, fields in ((INBOUND_PATH, form), (STATUS_PATH, status)):
        body = urlencode(fields).encode()
        good = sign(t.twilio_auth_token, base + path, fields)
        tampered = dict(fields, To=t.twilio_number + "9")
        wrongs = {
            "no signature": {},
            "empty signature": {"X-Twilio-Signature": ""},
            "signed with another token": {
                "X-Twilio-Signature": sign("f" * 32, base + path, fields)},
            "signed for another URL": {
                "X-Twilio-Signature": sign(t.twilio_auth_token, "https://evil.test" + path,
                                           fields)},
            "signature of other fields": {
                "X-Twilio-Signature": sign(t.twilio_auth_token, base + path, tampered)},
            "signature garbage": {"X-Twilio-Signature": "not base64 at all!!"},
            "signature truncated": {"X-Twilio-Signature": good[:-4]},
            "signature of the empty form": {
                "X-Twilio-Signature": sign(t.twilio_auth_token, base + path, {})},
        }
        for name, headers in wrongs.items():
            probes.append(Probe("forged", f"twilio {path.rsplit('/', 1)[1]}: {name}", "POST",
                                path, body, {**ctype, **headers}))
    update = json.dumps(text_update(555_000_111, "/stop", update_id=9, message_id=9)).encode()
    for name, secret in (("no secret", None), ("empty secret", ""), ("wrong secret", "x" * 32),
                         ("secret with a suffix", t.telegram_secret + "x"),
                         ("secret prefix", t.telegram_secret[:-1]),
                         ("secret in another case", t.telegram_secret.swapcase()),
                         ("secret of latin-1 bytes", "\u00e9" * 8),
                         ("secret in the query string", None)):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[TELEGRAM_SECRET_HEADER] = secret
        path = TELEGRAM_PATH + ("?secret_token=" + t.telegram_secret if "query" in name else "")
        probes.append(Probe("forged", f"telegram: {name}", "POST", path, update, headers))
    good_token = t.mint_unsubscribe(t.secret_key, t.customer_email)
    tokens = {
        "minted with the dev key": t.mint_unsubscribe("dev-insecure-change-me",
                                                      t.customer_email),
        "minted with another key": t.mint_unsubscribe("k" * 40, t.customer_email),
        "truncated": good_token[:-3],
        "one character changed": good_token[:-1] + ("A" if good_token[-1] != "A" else "B"),
        "random": "dGhpcyBpcyBub3QgYSB0b2tlbg",
        "of 5,000 characters": "A" * 5000,
        "with a NUL": quote(good_token[:5] + "\x00" + good_token[5:], safe=""),
        "a path traversal": "..%2F..%2Fapi%2Fme",
    }
    one_click = b"List-Unsubscribe=One-Click"
    for name, token in tokens.items():
        probes.append(Probe("forged", f"unsubscribe POST: token {name}", "POST",
                            f"/unsubscribe/{token}", one_click, ctype))
    return probes
