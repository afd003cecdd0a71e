"""The review head: how likely the parser's reading of a reply is right.

After the rules and the learned model have read a reply (:mod:`bot.replies.parser`,
:mod:`bot.replies.second_opinion`), a small logistic regression estimates the probability
that the reading (intent, opt-out and promise terms together) is correct, from what the
reading itself shows: whether the rules and the model agree, the model's probability and
margin, the kinds of cue found, negation, questions and conditions in the reply, how
complete the promise's terms are, and the doubts the rules raised about them.

It is trained by ``scripts/train_intent_model.py`` on out-of-fold readings (each writer's
batch read by a model trained without it), and its threshold is chosen on those readings
so that replies acted on without a person are wrong at most
:data:`TARGET_WRONG_AUTO` of the time. Both are stored in the model artifact. A reading
below the threshold goes to a person; some reasons always do, whatever the estimate
(:func:`hard`: the model reads an opt-out the rules do not; a promise beside a refusal,
hardship or dispute; a legal reading the model disagrees with).
"""

from __future__ import annotations

import math

from bot.replies.analysis import Analysis
from bot.replies.dates import DATE
from bot.replies.instalments import AMOUNT_UNCLEAR, DATE_UNCLEAR, TERMS_UNCLEAR
from bot.replies.intent_model import ModelOpinion, ReviewHead
from bot.replies.model import LOW_CONFIDENCE, PRIORITY, Intent, Reply, new_reply
from bot.replies.regex_programs import rx
from bot.replies.second_opinion import DISAGREE, OPT_OUT_UNSURE, UNSURE

#: Wrong automatic readings the threshold allows, on the out-of-fold readings.
TARGET_WRONG_AUTO = 0.01
#: A promise read beside a refusal, hardship or dispute cue, or one the model reads as
#: one of those: a person decides (the issue's safety asymmetry).
PROMISE_CONFLICT = "promise beside a refusal, hardship or dispute"
#: The head's estimate is below its threshold.
DOUBTFUL = "reading likely wrong (review head)"
#: Reasons that send a reply to a person whatever the head says.
HARD_REASONS = frozenset({OPT_OUT_UNSURE, PROMISE_CONFLICT})


def hard(reply: Reply) -> tuple[str, ...]:
    """The reasons of ``reply`` that send it to a person whatever the head says: the
    :data:`HARD_REASONS`, and a legal reading the model disagrees with (the dialog holds a
    case on a legal reading: a person decides)."""
    legal = reply.intent is _LEGAL
    return tuple(r for r in reply.review if r in HARD_REASONS or (legal and r == DISAGREE))
#: The model's probability of refuse, hardship and dispute together above which a
#: promise is in conflict.
CONFLICT_P = 0.25

_NEG_EN = rx(
    r"\b(?:not|no|never|nothing|none|nobody|can'?t|cannot|won'?t|wont|don'?t|dont|didn'?t|didnt|"
    r"isn'?t|ain'?t|aint|nah|nope|unable|refuse\w*)\b"
)
_NEG_ZH = rx(r"不|没|别|无|未|甭")
_COND_EN = rx(
    r"\b(?:if|unless|when|once|whenever|provided|assuming|depends|depending|as\s+long\s+as|"
    r"as\s+soon\s+as|only\s+if|maybe|might|hopefully|try|trying)\b"
)
_COND_ZH = rx(r"如果|要是|假如|只要|除非|等|看情况|的话|可能|也许|尽量|争取|试试")

_INTENTS = tuple(i.value for i in PRIORITY)
#: each intent's value (``Intent.X.value`` is a slow property), and module constants
#: (``Intent.X`` is a slow class attribute)
_VALUE = {i: i.value for i in Intent}
_PROMISE, _LEGAL = Intent.PROMISE_TO_PAY, Intent.LEGAL
_ONE_HOT = {c: [i == c for i in _INTENTS] for c in _INTENTS}
_CUE_KINDS = ("refuse", "hardship", "dispute", "question", "paid", "callback", "legal")

#: The feature names, in the order :func:`review_features` returns them.
NAMES: tuple[str, ...] = (
    "agree",
    "overridden",
    "p_chosen",
    "margin",
    "model_top",
    "rules_conf",
    "rules_weak",
    "known",
    "n_cues",
    *(f"cue_{k}" for k in _CUE_KINDS),
    "negation",
    "question",
    "condition",
    "promise_negation",
    "promise_condition",
    "promise_question",
    "terms",
    "no_date",
    "no_date_day_stated",
    "no_amount",
    "date_unclear",
    "amount_unclear",
    "terms_unclear",
    "implicit",
    "recurring",
    "opt_out",
    "model_opt_out",
    "length",
    "zh",
    "disagree",
    "unsure",
    *(f"intent_{i}" for i in _INTENTS),
    # interactions a linear head cannot form itself (held-out writers: automation +0.011
    # at the same wrong share): rules and model apart on the opt-out, the model's
    # probability when the two agree, squared, and per intent, and per promise term
    "opt_out_gap",
    "opt_out_both",
    "p_agree",
    "p_squared",
    "margin_agree",
    *(f"p_intent_{i}" for i in _INTENTS),
    "p_terms",
)


def review_features(
    an: Analysis, rules: Reply, opinion: ModelOpinion, reply: Reply
) -> list[float]:
    """The head's features (:data:`NAMES`) of ``reply``, read from ``an`` by the rules
    (``rules``: their reading alone) and the model (``opinion``)."""
    t = an.t
    zh = an.lg == "zh"
    probs = opinion.probabilities
    top = opinion.confidence
    second = max((p for p in probs if p != top), default=0.0)
    promise = reply.intent is _PROMISE
    neg = (_NEG_ZH if zh else _NEG_EN).search(t) is not None
    # a condition matters for a promise only ("if I get paid I'll send half")
    cond = promise and (_COND_ZH if zh else _COND_EN).search(t) is not None
    cues = an.cues
    q = "?" in t or "question" in cues or (zh and ("吗" in t or "么" in t))
    review = reply.review
    terms = reply.promises
    chosen = _VALUE[reply.intent]
    rules_conf = rules.confidence
    disagree = DISAGREE in review
    agree = rules.intent is reply.intent and not disagree
    p = opinion.probability(chosen)
    p_agree = p if agree else 0.0
    # booleans count as 0 and 1 (no float() calls: this runs for every reply)
    return [
        agree,
        rules.intent is not reply.intent,
        opinion.probability(chosen),
        top - second,
        top,
        rules_conf,
        rules_conf < 0.5,
        min(opinion.known, 40) / 40,
        min(len(cues), 4) / 4,
        "refuse" in cues,
        "hardship" in cues,
        "dispute" in cues,
        "question" in cues,
        "paid" in cues,
        "callback" in cues,
        "legal" in cues,
        neg,
        q,
        cond,
        promise and neg,
        promise and cond,
        promise and q,
        min(len(terms), 3) / 3,
        any(p.date is None for p in terms),
        any(p.date is None for p in terms) and any(d.kind == DATE for d in an.dates),
        any(p.amount is None for p in terms),
        DATE_UNCLEAR in review,
        AMOUNT_UNCLEAR in review,
        TERMS_UNCLEAR in review,
        promise and an.implicit_only,
        reply.recurrence is not None,
        reply.opt_out,
        opinion.opt_out,
        min(len(t), 400) / 400,
        zh,
        disagree,
        UNSURE in review,
        *_ONE_HOT[chosen],
        abs(reply.opt_out - opinion.opt_out),
        reply.opt_out * opinion.opt_out,
        p_agree,
        p * p,
        (top - second) if agree else 0.0,
        *(p * v for v in _ONE_HOT[chosen]),
        p * (min(len(terms), 3) / 3) if promise else 0.0,
    ]


_CUE_NAME = {k: f"cue_{k}" for k in _CUE_KINDS}
_INTENT_NAME = {i: f"intent_{i}" for i in _INTENTS}
_P_INTENT_NAME = {i: f"p_intent_{i}" for i in _INTENTS}


def _second(probs: tuple[float, ...], top: float) -> float:
    """The largest of ``probs`` other than ``top`` (their largest), 0 when there is none."""
    ranked = sorted(probs)
    if len(ranked) > 1 and ranked[-1] == top and ranked[-2] != top:
        return ranked[-2]
    return max((p for p in probs if p != top), default=0.0)


def estimate(
    head: ReviewHead, an: Analysis, rules: Reply, opinion: ModelOpinion, reply: Reply
) -> float:
    """``head.probability(review_features(an, rules, opinion, reply))``, summed from the
    weights of the features that are present (this runs for every reply)."""
    w = head.by_name
    t = an.t
    zh = an.lg == "zh"
    top = opinion.confidence
    second = _second(opinion.probabilities, top)
    promise = reply.intent is _PROMISE
    cues = an.cues
    review = reply.review
    terms = reply.promises
    chosen = _VALUE[reply.intent]
    rules_conf = rules.confidence
    disagree = DISAGREE in review
    p = opinion.probability(chosen)
    margin = top - second
    z = (
        head.bias
        + w["p_chosen"] * p
        + w["margin"] * margin
        + w["p_squared"] * p * p
        + w[_P_INTENT_NAME[chosen]] * p
        + w["opt_out_gap"] * abs(reply.opt_out - opinion.opt_out)
        + w["opt_out_both"] * reply.opt_out * opinion.opt_out
        + w["model_top"] * top
        + w["rules_conf"] * rules_conf
        + w["known"] * (min(opinion.known, 40) / 40)
        + w["n_cues"] * (min(len(cues), 4) / 4)
        + w["terms"] * (min(len(terms), 3) / 3)
        + w["model_opt_out"] * opinion.opt_out
        + w["length"] * (min(len(t), 400) / 400)
        + w[_INTENT_NAME[chosen]]
    )
    if rules.intent is reply.intent:
        if not disagree:
            z += w["agree"] + w["p_agree"] * p + w["margin_agree"] * margin
    else:
        z += w["overridden"]
    if rules_conf < 0.5:
        z += w["rules_weak"]
    for k in cues:
        if k in _CUE_NAME:
            z += w[_CUE_NAME[k]]
    if (_NEG_ZH if zh else _NEG_EN).search(t) is not None:
        z += w["negation"]
        if promise:
            z += w["promise_negation"]
    if "?" in t or "question" in cues or (zh and ("吗" in t or "么" in t)):
        z += w["question"]
        if promise:
            z += w["promise_question"]
    if promise:
        if (_COND_ZH if zh else _COND_EN).search(t) is not None:
            z += w["condition"] + w["promise_condition"]
        if an.implicit_only:
            z += w["implicit"]
    if terms:
        if promise:
            z += w["p_terms"] * p * (min(len(terms), 3) / 3)
        for t_ in terms:
            if t_.date is None:
                z += w["no_date"]
                for d in an.dates:
                    if d.kind == DATE:
                        z += w["no_date_day_stated"]
                        break
                break
        for t_ in terms:
            if t_.amount is None:
                z += w["no_amount"]
                break
    if review:
        if DATE_UNCLEAR in review:
            z += w["date_unclear"]
        if AMOUNT_UNCLEAR in review:
            z += w["amount_unclear"]
        if TERMS_UNCLEAR in review:
            z += w["terms_unclear"]
        if disagree:
            z += w["disagree"]
        if UNSURE in review:
            z += w["unsure"]
    if reply.recurrence is not None:
        z += w["recurring"]
    if reply.opt_out:
        z += w["opt_out"]
    if zh:
        z += w["zh"]
    if z < -50:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def conflict(an: Analysis, reply: Reply, opinion: ModelOpinion | None) -> bool:
    """Whether a promise stands beside a refusal, hardship or dispute (cue or model)."""
    if reply.intent is not _PROMISE:
        return False
    cues = an.cues
    if "refuse" in cues or "hardship" in cues or "dispute" in cues:
        return True
    if opinion is None:
        return False
    p = opinion.probability
    other = p("refuse") + p("hardship") + p("dispute")
    return other >= CONFLICT_P


def settle(head: ReviewHead, reply: Reply, p: float) -> Reply:
    """``reply`` with its review reasons kept only when a person should read it: the hard
    reasons always; the others (and :data:`DOUBTFUL` when there are none) when ``head``'s
    estimate ``p`` is below its threshold. Its confidence is raised to the estimate when the
    head accepts the reading, lowered to it when the head does not."""
    review = reply.review
    if p >= head.threshold:
        if reply.confidence >= LOW_CONFIDENCE and not review:
            return reply  # acted on alone, nothing to change
        review = hard(reply)
        confidence = max(reply.confidence, round(p, 2))
    else:
        kept = hard(reply)
        soft = tuple(r for r in review if r not in kept)
        review = kept + (soft or (DOUBTFUL,))
        confidence = min(reply.confidence, round(p, 2))
    # not dataclasses.replace: this runs for every reply
    return new_reply(
        reply.intent,
        reply.opt_out,
        reply.promises,
        reply.lang,
        confidence,
        reply.spans,
        reply.text,
        reply.opt_out_scope,
        reply.deceased,
        reply.recurrence,
        review,
    )
