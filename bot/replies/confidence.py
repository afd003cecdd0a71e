"""How sure the parser is of the intent it chose (see :attr:`Reply.needs_human`)."""

from __future__ import annotations

from bot.replies.analysis import Analysis
from bot.replies.markers import WORD
from bot.replies.model import Intent

# module constants: ``Intent.X`` is a slow class attribute
_OTHER, _STOP, _PROMISE, _QUESTION = (
    Intent.OTHER,
    Intent.STOP,
    Intent.PROMISE_TO_PAY,
    Intent.QUESTION,
)


def confidence(an: Analysis, intent: Intent, present: list[Intent]) -> float:
    """The confidence of ``intent`` given the other intents ``present`` (see
    :attr:`~bot.replies.model.Reply.needs_human` for the scale)."""
    t = an.t
    if intent is _OTHER:
        words = len(WORD.findall(t))
        if "ack" in an.hits and words <= 8:
            return 0.9
        if words <= 3:
            return 0.6
        return 0.3
    if intent is _STOP:
        return 0.95
    conf = 0.9
    if intent is _PROMISE and an.implicit_only:
        conf = 0.75
    q = an.cues.get("question")
    if intent is _QUESTION and q is not None and an.t[q[0] : q[1]] == "?":
        conf = 0.7
    others = [i for i in present if i is not intent]
    if len(others) >= 2:
        conf -= 0.2
    elif others:
        conf -= 0.1
    if len(t) > 600:
        conf -= 0.1
    return max(0.3, conf)
