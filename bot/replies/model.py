"""Result types of reply parsing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Intent(StrEnum):
    """What a reply means (LABELING.md, "Intents")."""

    PROMISE_TO_PAY = "promise_to_pay"
    PAID = "paid"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    REFUSE = "refuse"
    WRONG_PARTY = "wrong_party"
    LEGAL = "legal"
    CALLBACK = "callback"
    QUESTION = "question"
    STOP = "stop"
    OTHER = "other"


#: When several intents apply, the first in this order wins.
PRIORITY: tuple[Intent, ...] = (
    Intent.LEGAL,
    Intent.WRONG_PARTY,
    Intent.DISPUTE,
    Intent.PROMISE_TO_PAY,
    Intent.PAID,
    Intent.HARDSHIP,
    Intent.REFUSE,
    Intent.CALLBACK,
    Intent.QUESTION,
    Intent.STOP,
    Intent.OTHER,
)

#: Below this confidence a reply goes to a human instead of being acted on.
LOW_CONFIDENCE: float = 0.5


@dataclass(frozen=True, slots=True)
class PromiseTerm:
    """One instalment of a promise: amount and date, each possibly unknown."""

    amount: Decimal | None
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the reply the parser read, as offsets into ``Reply.text``.

    ``kind`` is ``intent``, ``opt_out``, ``amount`` or ``date``; ``value`` is the
    intent name, the amount as "D.DD", the ISO date, or ``None`` when the phrase
    has no value (an amount marker without balance, "soon").
    """

    start: int
    end: int
    kind: str
    value: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    """What a customer's reply says."""

    intent: Intent
    opt_out: bool
    promises: tuple[PromiseTerm, ...]
    lang: str
    confidence: float
    spans: tuple[Span, ...]
    text: str
    #: which media an opt-out stops (LABELING.md, "opt_out_scope"): ``this`` (the
    #: address it came from), named media (``sms``, ``email``, ``chat``, ``calls``) or
    #: ``all``; empty when ``opt_out`` is false
    opt_out_scope: tuple[str, ...] = ()
    #: the reply says the customer has died (LABELING.md, "deceased")
    deceased: bool = False

    @property
    def needs_human(self) -> bool:
        """True when the reply should be routed to a person instead of automated.

        That is when confidence is below :data:`LOW_CONFIDENCE`. Confidence is 0.9
        for a reply placed by a clear cue (0.95 for keywords and auto-replies) and
        0.3 for an ``other`` reply of more than a few words that is not a greeting,
        thanks or acknowledgement: content the parser could not place. Competing
        intents (0.1 or 0.2 off), a very long message (0.1 off), a promise read
        only from an amount and a date (0.75) and a question known only by its
        "?" (0.7) lower it; short unplaced replies get 0.6.
        """
        return self.confidence < LOW_CONFIDENCE
