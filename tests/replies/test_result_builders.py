"""The fast builders of the parser's results make the same frozen objects as the
constructors."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle
from decimal import Decimal

import pytest

from bot.replies.model import (
    Intent,
    PromiseTerm,
    Recurrence,
    Reply,
    Span,
    new_reply,
    new_span,
    new_term,
)


def test_builders_make_what_the_constructors_make() -> None:
    term, span = new_term(Decimal("50.00"), dt.date(2027, 1, 5)), new_span(3, 9, "intent", "paid")
    assert term == PromiseTerm(Decimal("50.00"), dt.date(2027, 1, 5))
    assert span == Span(3, 9, "intent", "paid")
    assert type(term) is PromiseTerm and type(span) is Span
    args = (Intent.PROMISE_TO_PAY, False, (term,), "en", 0.9, (span,), "pay 50 tmrw")
    rec = Recurrence(Decimal("50.00"), "week", dt.date(2027, 1, 5))
    for extra in ((), (("this",), True, rec, ("model unsure",))):
        built, made = new_reply(*args, *extra), Reply(*args, *extra)
        assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
        assert type(built) is Reply and built.needs_human == made.needs_human
        assert dataclasses.asdict(built) == dataclasses.asdict(made)
        assert pickle.loads(pickle.dumps(built)) == made == copy.deepcopy(built)
        assert dataclasses.replace(built, lang="zh") == dataclasses.replace(made, lang="zh")


def test_built_results_stay_frozen() -> None:
    reply = new_reply(Intent.OTHER, False, (), "en", 0.3, (new_span(0, 1, "opt_out", None),), "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.intent = Intent.STOP  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.spans[0].start = 2  # type: ignore[misc]
