"""Result types of reply parsing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import cast


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


#: Media an opt-out can name (LABELING.md, "opt_out_scope"): ``this`` is the address the
#: reply came from, ``all`` any contact at all.
OPT_OUT_SCOPES: tuple[str, ...] = ("this", "all", "sms", "email", "chat", "calls")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A recurring offer ("300 a month from next Friday", "每周五还200").

    ``amount`` per instalment (None when not said), ``period`` one of ``week``,
    ``fortnight``, ``month`` (or ``day``), ``first`` the first instalment's date (None
    when no start is said). The promise itself lists the first instalment only
    (LABELING.md); this says the rest repeats, so the dialog can propose a plan.
    """

    amount: Decimal | None
    period: str
    first: dt.date | None


@dataclass(frozen=True, slots=True)
class Reply:
    """What a customer's reply says.

    ``opt_out_scope`` lists the media an opt-out asks to stop (:data:`OPT_OUT_SCOPES`;
    empty without an opt-out); ``deceased`` says the customer has died (the intent is
    then ``wrong_party``); ``recurrence`` is set for a recurring offer; ``review`` gives
    the reasons the reading alone is not safe to act on (see :attr:`needs_human`).
    """

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
    recurrence: Recurrence | None = None
    review: tuple[str, ...] = ()

    @property
    def needs_human(self) -> bool:
        """True when the reading alone is not safe to act on: a person should read it.

        That is when there is a :attr:`review` reason (the rules and the learned model
        disagree, or are both unsure, or the promise's terms are unclear; see
        :mod:`bot.replies.second_opinion`) or confidence is below
        :data:`LOW_CONFIDENCE`. The rules' confidence is 0.9 for a reply placed by a
        clear cue (0.95 for keywords and auto-replies) and 0.3 for an ``other`` reply of
        more than a few words that is not a greeting, thanks or acknowledgement: content
        the parser could not place. Competing intents (0.1 or 0.2 off), a very long
        message (0.1 off), a promise read only from an amount and a date (0.75) and a
        question known only by its "?" (0.7) lower it; short unplaced replies get 0.6.
        With the model, confidence is the lower of the rules' and the model's
        probability of the chosen intent.
        """
        return bool(self.review) or self.confidence < LOW_CONFIDENCE


# Building the results fast. A frozen dataclass's ``__init__`` sets each field through
# ``object.__setattr__`` (the class's own ``__setattr__`` refuses), several times slower
# than a plain attribute store; the parser builds a few of these per reply. The functions
# below store the fields on a mutable twin class with the same slots, then make the object
# the frozen class (``__class__`` may change between classes of the same layout): the same
# object as the constructor's, frozen from then on.


class _SpanDraft:
    __slots__ = Span.__slots__


class _TermDraft:
    __slots__ = PromiseTerm.__slots__


class _ReplyDraft:
    __slots__ = Reply.__slots__


def _check_drafts() -> None:
    """The twins must list the fields in order (a new field needs a line below)."""
    for cls, draft in ((Span, _SpanDraft), (PromiseTerm, _TermDraft), (Reply, _ReplyDraft)):
        if tuple(f.name for f in fields(cls)) != draft.__slots__:
            raise TypeError(f"{draft.__name__} does not match {cls.__name__}")


_check_drafts()


def new_span(start: int, end: int, kind: str, value: str | None) -> Span:
    """``Span(start, end, kind, value)``, built faster (see above)."""
    o = _SpanDraft()
    o.start = start  # type: ignore[attr-defined]
    o.end = end  # type: ignore[attr-defined]
    o.kind = kind  # type: ignore[attr-defined]
    o.value = value  # type: ignore[attr-defined]
    o.__class__ = Span  # type: ignore[assignment]
    return cast(Span, o)


def new_term(amount: Decimal | None, date: dt.date | None) -> PromiseTerm:
    """``PromiseTerm(amount, date)``, built faster (see above)."""
    o = _TermDraft()
    o.amount = amount  # type: ignore[attr-defined]
    o.date = date  # type: ignore[attr-defined]
    o.__class__ = PromiseTerm  # type: ignore[assignment]
    return cast(PromiseTerm, o)


def new_reply(
    intent: Intent,
    opt_out: bool,
    promises: tuple[PromiseTerm, ...],
    lang: str,
    confidence: float,
    spans: tuple[Span, ...],
    text: str,
    opt_out_scope: tuple[str, ...] = (),
    deceased: bool = False,
    recurrence: Recurrence | None = None,
    review: tuple[str, ...] = (),
) -> Reply:
    """``Reply(...)`` with the same arguments, built faster (see above)."""
    o = _ReplyDraft()
    o.intent = intent  # type: ignore[attr-defined]
    o.opt_out = opt_out  # type: ignore[attr-defined]
    o.promises = promises  # type: ignore[attr-defined]
    o.lang = lang  # type: ignore[attr-defined]
    o.confidence = confidence  # type: ignore[attr-defined]
    o.spans = spans  # type: ignore[attr-defined]
    o.text = text  # type: ignore[attr-defined]
    o.opt_out_scope = opt_out_scope  # type: ignore[attr-defined]
    o.deceased = deceased  # type: ignore[attr-defined]
    o.recurrence = recurrence  # type: ignore[attr-defined]
    o.review = review  # type: ignore[attr-defined]
    o.__class__ = Reply  # type: ignore[assignment]
    return cast(Reply, o)
