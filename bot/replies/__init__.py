"""Reply understanding: what a customer's SMS, e-mail or chat reply means.

Pure functions, no I/O and no logging of message text. ``parse_reply`` reads
intent, opt-out and promised instalments (LABELING.md); ``clean_email_reply``
strips quoted history and signatures from e-mail bodies first.
"""

from bot.replies.email_cleanup import clean_email_reply
from bot.replies.intents import PRIORITY, Intent
from bot.replies.model import LOW_CONFIDENCE, PromiseTerm, Reply, Span
from bot.replies.parser import parse_reply

from bot.replies import _rx  # isort: skip

_rx.save()  # keep the compiled lexicons for the next process start

__all__ = [
    "LOW_CONFIDENCE",
    "PRIORITY",
    "Intent",
    "PromiseTerm",
    "Reply",
    "Span",
    "clean_email_reply",
    "parse_reply",
]
