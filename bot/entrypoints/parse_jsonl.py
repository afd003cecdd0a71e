"""The ``duebot parse`` protocol: JSON Lines in, JSON Lines out.

Each input line is an object with ``text``, ``now`` (ISO-8601 with offset: the
customer's local time, against which "friday" or "tomorrow" are read) and optionally
``balance``, ``currency`` and ``lang``. ``now`` is required: a line without it is
malformed, like any other (the parser reads no clock, and the time of this run is not
the time a stored reply was written). Each output line, in the same order, has
``intent``, ``opt_out``, ``opt_out_scope`` (a list: this, all, sms, email, chat, calls),
``deceased``, ``promises`` (``amount`` "D.DD" or null, ``date`` YYYY-MM-DD or null),
``recurrence`` (null, or ``amount``, ``period`` and ``first`` of a recurring offer),
``needs_human`` (true when the reading alone is not safe to act on), ``lang`` and
``confidence`` (plus ``id`` when the input had one). A malformed
line yields ``{"error": ..., "line": n}`` and the exit status is 1 at the end; the
other lines are still answered. Blank lines are skipped. Output is buffered and
written in chunks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from bot.replies.intent_model import IntentModel
from bot.replies.model import Reply
from bot.replies.parser import parse_reply
from bot.replies.regex_programs import rx

_CHUNK = 2000
# Bytes that were not UTF-8, as decoded with "surrogateescape".
_SURROGATE = rx("[\udc80-\udcff]")


class _BadLine(ValueError):
    pass


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _BadLine("balance must be a number or a decimal string")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _BadLine("balance is not a number") from exc
    if not d.is_finite():
        raise _BadLine("balance is not finite")
    return d


def _now(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise _BadLine("now must be an ISO-8601 string")
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise _BadLine("now is not ISO-8601") from exc


def _reply_of(record: Any, model: IntentModel | None = None) -> Reply:
    """Parse one decoded input record (raises ``ValueError`` if malformed)."""
    if not isinstance(record, dict):
        raise _BadLine("line is not a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise _BadLine("text must be a string")
    now = _now(record.get("now"))
    balance = _decimal(record.get("balance"))
    currency = record.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise _BadLine("currency must be a string")
    lang = record.get("lang")
    if lang is not None and lang not in ("en", "zh"):
        raise _BadLine("lang must be en or zh")
    return parse_reply(text, now, balance, currency, lang, model)


def answer(record: Any, model: IntentModel | None = None) -> dict[str, Any]:
    """The output object for one decoded input record (raises ``ValueError`` if malformed)."""
    reply = _reply_of(record, model)
    out: dict[str, Any] = {}
    if "id" in record:
        out["id"] = record["id"]
    out["intent"] = reply.intent.value
    out["opt_out"] = reply.opt_out
    out["opt_out_scope"] = list(reply.opt_out_scope)
    out["deceased"] = reply.deceased
    out["promises"] = [
        {
            "amount": None if p.amount is None else f"{p.amount:.2f}",
            "date": None if p.date is None else p.date.isoformat(),
        }
        for p in reply.promises
    ]
    rec = reply.recurrence
    out["recurrence"] = (
        None
        if rec is None
        else {
            "amount": None if rec.amount is None else f"{rec.amount:.2f}",
            "period": rec.period,
            "first": None if rec.first is None else rec.first.isoformat(),
        }
    )
    out["needs_human"] = reply.needs_human
    out["lang"] = reply.lang
    out["confidence"] = reply.confidence
    return out


def _render(reply: Reply, id_json: str | None) -> str:
    """The output line for a reply, as ``json.dumps(answer(...))`` would write it (faster)."""
    terms = ", ".join(
        '{"amount": '
        + ("null" if p.amount is None else f'"{p.amount:.2f}"')
        + ', "date": '
        + ("null" if p.date is None else f'"{p.date.isoformat()}"')
        + "}"
        for p in reply.promises
    )
    head = "" if id_json is None else f'"id": {id_json}, '
    opt_out = "true" if reply.opt_out else "false"
    scope = ", ".join(f'"{s}"' for s in reply.opt_out_scope)
    rec = reply.recurrence
    recurrence = (
        "null"
        if rec is None
        else '{"amount": '
        + ("null" if rec.amount is None else f'"{rec.amount:.2f}"')
        + f', "period": "{rec.period}", "first": '
        + ("null" if rec.first is None else f'"{rec.first.isoformat()}"')
        + "}"
    )
    return (
        f'{{{head}"intent": "{reply.intent.value}", "opt_out": {opt_out}, '
        f'"opt_out_scope": [{scope}], "deceased": {"true" if reply.deceased else "false"}, '
        f'"promises": [{terms}], "recurrence": {recurrence}, '
        f'"needs_human": {"true" if reply.needs_human else "false"}, '
        f'"lang": "{reply.lang}", "confidence": {reply.confidence!r}}}'
    )


def _lines(stdin: TextIO) -> Iterator[str]:
    """Lines of ``stdin`` decoded as UTF-8; undecodable bytes become surrogates, not a crash."""
    binary = getattr(stdin, "buffer", None)
    if binary is None:
        yield from stdin
        return
    for raw in binary:
        yield raw.decode("utf-8", "surrogateescape")


def run(stdin: TextIO, stdout: TextIO, model: IntentModel | None = None) -> int:
    """Answer every line of ``stdin`` on ``stdout``; 0 if all lines were well formed, else 1.

    ``model`` is the parser's learned second opinion (``duebot parse`` passes the shipped
    one); without it the rules decide alone."""
    loads = json.loads
    # One encoder for all lines: json.dumps with options builds a new encoder per call.
    dumps = json.JSONEncoder(ensure_ascii=True, default=str).encode
    buf: list[str] = []
    failed = 0
    n = 0
    for raw in _lines(stdin):
        n += 1
        if not raw.strip():
            continue
        try:
            if _SURROGATE.search(raw) is not None:
                raise _BadLine("line is not valid UTF-8")
            record = loads(raw)
            reply = _reply_of(record, model)
            buf.append(_render(reply, dumps(record["id"]) if "id" in record else None))
            if len(buf) >= _CHUNK:
                stdout.write("\n".join(buf) + "\n")
                buf.clear()
            continue
        except (ValueError, TypeError, RecursionError) as exc:
            failed += 1
            reason = str(exc) if isinstance(exc, _BadLine) else type(exc).__name__
            out = {"error": reason, "line": n}
        except Exception as exc:  # a parser bug must not lose the other lines
            failed += 1
            out = {"error": f"internal error: {type(exc).__name__}", "line": n}
        buf.append(dumps(out))
        if len(buf) >= _CHUNK:
            stdout.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        stdout.write("\n".join(buf) + "\n")
    stdout.flush()
    return 1 if failed else 0
