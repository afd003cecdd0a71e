"""Combining the rules' reading with the learned model's opinion.

The rules (:mod:`bot.replies.parser`) are precise where they have a cue and blind where
a customer words things in a way nobody wrote a rule for; the model
(:mod:`bot.replies.intent_model`) has read how six writers word each intent but knows no
priorities, amounts or dates. :func:`combine` keeps the rules' opt-out, amounts and dates,
and settles the intent:

- both agree (the rules' intent is the model's, or within :data:`TIE` of it): that
  intent; a person reads it when the model is unsure all the same (probability below
  :data:`AGREE_MIN`);
- they disagree: a person reads it (``review`` says so). The intent reported is the
  model's when the rules found no cue or only a weak one and the model is sure
  (:data:`OVERRIDE_MIN`), else the rules' (their cues encode LABELING.md's priorities,
  which the model only approximates; a legal, wrong-party or dispute cue is never
  overridden).

A reply the rules settle on their own (a whole-message keyword, an acknowledgement, an
auto-reply) is not given to the model. The override thresholds were chosen by intent
accuracy under leave-one-writer-out cross-validation of the training batches (each batch
read with a model fitted on the others; 6,000 replies, ten writers) and checked on the
development batches; which readings a person sees is the review head's
(:mod:`bot.replies.review_head`).
"""

from __future__ import annotations

from bot.replies.intent_model import ModelOpinion
from bot.replies.model import Intent, Reply, new_reply

#: Agreeing, the model must give the intent at least this probability to act alone.
AGREE_MIN = 0.3
#: Disagreeing, the model's intent is reported when it is at least this sure and the
#: rules' reading was weak (no cue, competing cues, or a bare "?").
OVERRIDE_MIN = 0.45
#: The rules' confidence at or below which their reading counts as weak.
WEAK_RULES = 0.8
#: Even against a confident rule reading, the model's intent is reported when the model
#: is this sure and gives the rules' intent at most :data:`IMPLAUSIBLE` — except where the
#: rules read a legal, wrong-party or dispute cue, which LABELING.md ranks first.
SURE_MODEL = 0.67
IMPLAUSIBLE = 0.1
_PRIORITY_CUES = frozenset({Intent.LEGAL, Intent.WRONG_PARTY, Intent.DISPUTE})
#: each intent's value (``Intent.X.value`` is a slow property)
_VALUE = {i: i.value for i in Intent}
#: The model's top intent and the rules' intent this close in probability count as agreeing.
TIE = 0.05
#: The model's opt-out probability above which a reply the rules did not read as an
#: opt-out is given to a person.
OPT_OUT_DOUBT = 0.5

DISAGREE = "rules and model disagree"
UNSURE = "model unsure"
OPT_OUT_UNSURE = "model reads an opt-out the rules do not"


def agrees(rules: Intent, opinion: ModelOpinion) -> bool:
    """Whether the model's opinion agrees with the rules' intent: its most likely intent,
    or within :data:`TIE` of it (a near tie is no disagreement)."""
    return (
        opinion.intent == rules.value
        or opinion.probability(rules.value) >= opinion.confidence - TIE
    )


def choose_intent(rules: Intent, rules_confidence: float, opinion: ModelOpinion) -> Intent:
    """The intent to report when the rules read ``rules`` and the model has ``opinion``."""
    model = opinion.intent
    if agrees(rules, opinion):
        return rules
    weak = rules is Intent.OTHER or rules_confidence <= WEAK_RULES
    if weak and opinion.confidence >= OVERRIDE_MIN and rules not in _PRIORITY_CUES:
        return Intent(model)
    if (
        rules not in _PRIORITY_CUES
        and opinion.confidence >= SURE_MODEL
        and opinion.probability(rules.value) <= IMPLAUSIBLE
    ):
        # the model is sure and finds the rules' reading implausible: a cue read out of
        # context ("no way am I paying" is no promise)
        return Intent(model)
    return rules


def review_reasons(reply: Reply, opinion: ModelOpinion) -> tuple[str, ...]:
    """Why ``reply`` (the rules' reading) should go to a person given the model's opinion."""
    reasons: list[str] = []
    if not agrees(reply.intent, opinion):
        reasons.append(DISAGREE)
    elif opinion.probability(reply.intent.value) < AGREE_MIN:
        reasons.append(UNSURE)
    if not reply.opt_out and opinion.opt_out >= OPT_OUT_DOUBT:
        reasons.append(OPT_OUT_UNSURE)
    return tuple(reasons)


def combine(reply: Reply, opinion: ModelOpinion) -> Reply:
    """The rules' ``reply`` with the intent, confidence and review reasons settled
    against the model's ``opinion`` (promises are the caller's: see the parser)."""
    # review_reasons, choose_intent and agrees, inlined (this runs for every reply)
    rules = reply.intent
    p_rules = opinion.probability(_VALUE[rules])
    agree = opinion.intent == _VALUE[rules] or p_rules >= opinion.confidence - TIE
    if agree:
        intent = rules
        reasons: tuple[str, ...] = (UNSURE,) if p_rules < AGREE_MIN else ()
    else:
        intent = choose_intent(rules, reply.confidence, opinion)
        reasons = (DISAGREE,)
    if not reply.opt_out and opinion.opt_out >= OPT_OUT_DOUBT:
        reasons += (OPT_OUT_UNSURE,)
    p = p_rules if intent is rules else opinion.probability(_VALUE[intent])
    # two independent readings that agree: the chance both are wrong is the product
    confidence = 1 - (1 - reply.confidence) * (1 - p) if agree else min(reply.confidence, p)
    # not dataclasses.replace: this runs for every reply
    return new_reply(
        intent,
        reply.opt_out,
        reply.promises,
        reply.lang,
        round(confidence, 2),
        reply.spans,
        reply.text,
        reply.opt_out_scope,
        reply.deceased,
        reply.recurrence,
        reply.review + reasons if reasons else reply.review,
    )
