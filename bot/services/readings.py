"""The reply parser's reading of a customer's message, as it is kept with the message
(``StoredMessage.reading``) and shown on the case's timeline: intent, confidence,
language, the promised amounts and dates, a recurring offer, an opt-out and its scope,
and why a person should read it. JSON-ready; amounts as decimal strings, dates ISO."""

from __future__ import annotations

from typing import Any

from bot.replies.model import Reply


def reading_record(reply: Reply) -> dict[str, Any]:
    """What :func:`bot.replies.parser.parse_reply` read, to keep with the message."""
    recurrence = reply.recurrence
    return {
        "intent": reply.intent.value,
        "confidence": round(float(reply.confidence), 2),
        "lang": reply.lang,
        "promises": [{"amount": None if p.amount is None else str(p.amount),
                      "date": None if p.date is None else p.date.isoformat()}
                     for p in reply.promises],
        "recurrence": None if recurrence is None else {
            "amount": None if recurrence.amount is None else str(recurrence.amount),
            "period": recurrence.period,
            "first": None if recurrence.first is None else recurrence.first.isoformat()},
        "opt_out": reply.opt_out,
        "opt_out_scope": list(reply.opt_out_scope),
        "deceased": reply.deceased,
        "needs_human": reply.needs_human,
        "review": list(reply.review),
    }
