"""The ``duebot parse`` JSON Lines protocol."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from bot.entrypoints.parse_jsonl import run
from storage.intent_model_file import load_intent_model


def _run(lines: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = run(io.StringIO("".join(lines)), out)
    return code, [json.loads(x) for x in out.getvalue().splitlines()]


def test_answers_each_line_in_order():
    lines = [
        json.dumps(
            {
                "text": "ok i can do $200 on friday",
                "now": "2026-11-25T14:05:00-05:00",
                "balance": "1240.00",
                "currency": "USD",
            }
        )
        + "\n",
        json.dumps({"text": "STOP", "now": "2026-11-25T14:05:00-05:00"}) + "\n",
        json.dumps(
            {
                "text": "下周五还两千",
                "now": "2026-12-06T10:00:00+08:00",
                "lang": "zh",
                "id": "zh-1",
            },
            ensure_ascii=False,
        )
        + "\n",
    ]
    code, out = _run(lines)
    assert code == 0
    assert out[0] == {
        "intent": "promise_to_pay",
        "opt_out": False,
        "opt_out_scope": [],
        "deceased": False,
        "promises": [{"amount": "200.00", "date": "2026-11-27"}],
        "recurrence": None,
        "needs_human": False,
        "lang": "en",
        "confidence": out[0]["confidence"],
    }
    assert out[1]["intent"] == "stop" and out[1]["opt_out"] is True and out[1]["promises"] == []
    assert out[1]["opt_out_scope"] == ["this"] and out[1]["needs_human"] is False
    assert out[2]["id"] == "zh-1" and out[2]["promises"] == [
        {"amount": "2000.00", "date": "2026-12-11"}
    ]
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)


def test_malformed_lines_yield_errors_and_nonzero_exit_but_keep_the_rest():
    good = json.dumps({"text": "paid", "now": "2026-11-25T14:05:00-05:00"}) + "\n"
    lines = [
        good,
        "{not json\n",
        json.dumps({"now": "2026-11-25T14:05:00-05:00"}) + "\n",  # no text
        json.dumps({"text": "hi", "now": "yesterday"}) + "\n",  # bad now
        json.dumps({"text": "hi", "now": "2026-11-25T14:05:00Z", "balance": "lots"}) + "\n",
        json.dumps({"text": "hi", "now": "2026-11-25T14:05:00Z", "lang": "fr"}) + "\n",
        json.dumps([1, 2, 3]) + "\n",
        json.dumps({"text": 5, "now": "2026-11-25T14:05:00Z"}) + "\n",
        "\n",  # blank lines are skipped
        good,
    ]
    code, out = _run(lines)
    assert code == 1
    assert len(out) == 9
    assert out[0]["intent"] == "paid" and out[-1]["intent"] == "paid"
    for o, n in zip(out[1:8], range(2, 9), strict=True):
        assert set(o) == {"error", "line"} and o["line"] == n


def test_a_line_without_now_is_malformed_the_parser_reads_no_clock():
    code, out = _run([json.dumps({"text": "I'll pay 50 tomorrow"}) + "\n",
                      json.dumps({"text": "ok", "now": None}) + "\n"])
    assert code == 1
    assert out == [{"error": "now must be an ISO-8601 string", "line": 1},
                   {"error": "now must be an ISO-8601 string", "line": 2}]


def test_balance_as_number_and_null_fields():
    code, out = _run(
        [
            json.dumps(
                {
                    "text": "I'll pay half friday",
                    "now": "2026-12-07T09:00:00+00:00",
                    "balance": 845.35,
                    "currency": None,
                    "lang": None,
                }
            )
            + "\n"
        ]
    )
    assert code == 0 and out[0]["promises"] == [{"amount": "422.68", "date": "2026-12-11"}]


def test_many_lines_are_written_in_chunks():
    line = json.dumps({"text": "ok", "now": "2026-12-07T09:00:00+00:00"}) + "\n"
    code, out = _run([line] * 5000)
    assert code == 0 and len(out) == 5000


def test_cli_entry_point():
    payload = json.dumps({"text": "wrong number", "now": "2026-12-07T09:00:00+00:00"}) + "\n{bad\n"
    proc = subprocess.run(
        [sys.executable, "-c", "from bot.entrypoints.cli import main; main(['parse'])"],
        input=payload.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 1
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert lines[0]["intent"] == "wrong_party" and "error" in lines[1]


def test_invalid_utf8_line_is_an_error_not_a_crash():
    payload = (
        b'{"text":"ok","now":"2026-12-07T10:00:00+00:00"}\n'
        b'{"text":"\xff\xfe bad","now":"2026-12-07T10:00:00+00:00"}\n'
        b'{"text":"paid","now":"2026-12-07T10:00:00+00:00"}\n'
    )
    proc = subprocess.run(
        [sys.executable, "-c", "from bot.entrypoints.cli import main; main(['parse'])"],
        input=payload,
        capture_output=True,
        check=False,
    )
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert proc.returncode == 1
    assert lines[0]["intent"] == "other" and "error" in lines[1] and lines[2]["intent"] == "paid"


def test_fast_rendering_matches_json_dumps():
    from bot.entrypoints.parse_jsonl import _render, _reply_of, answer

    records = [
        {
            "id": "a-1",
            "text": "I'll pay $80 tomorrow and $20 friday",
            "now": "2026-12-07T09:00:00+00:00",
        },
        {"id": 7, "text": "STOP", "now": "2026-12-07T09:00:00+00:00"},
        {"text": "下周五还一半", "now": "2026-12-07T09:00:00+08:00", "balance": "845.35"},
        {"text": "ok", "now": "2026-12-07T09:00:00+00:00", "lang": "en"},
        {"text": "$50 every friday, stop texting me", "now": "2026-12-07T09:00:00+00:00"},
        {"text": "他上个月去世了，别再打电话了", "now": "2026-12-07T09:00:00+08:00"},
        {"text": "the weather was odd and my cousin came by", "now": "2026-12-07T09:00:00Z"},
    ]
    model = load_intent_model()
    for rec in records:
        for m in (None, model):
            want = json.dumps(answer(rec, m))
            got = _render(_reply_of(rec, m), json.dumps(rec["id"]) if "id" in rec else None)
            assert got == want


def test_every_line_says_whether_a_person_must_read_it() -> None:
    code, out = _run(
        [
            json.dumps({"text": t, "now": "2026-12-07T10:00:00+08:00"}, ensure_ascii=False)
            + "\n"
            for t in ("我失业了，现在没钱还，能不能分期", "he passed away last month", "STOP")
        ]
    )
    assert code == 0
    for o in out:
        assert isinstance(o["needs_human"], bool)
        assert isinstance(o["opt_out_scope"], list) and isinstance(o["deceased"], bool)
    assert out[0]["intent"] != "promise_to_pay" or out[0]["needs_human"]
    assert out[1]["intent"] == "wrong_party" and out[1]["deceased"] is True
    assert out[2]["opt_out_scope"] == ["this"]
