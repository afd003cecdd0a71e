"""``parse_reply``: intent, opt-out and promised instalments of one reply.

The reply is folded (NFKC, lower case), its dates and amounts are found, and
it is cut into clauses at punctuation and conjunctions. Intents are found from
cue lexicons (:mod:`bot.replies.intent_cues`); a promise is decided clause by
clause (:mod:`bot.replies.promise_clauses`: a future "pay" verb not negated, an
offer question with a stated amount or time, or an amount with a date and nothing
else), and its instalments are the amount and date items of the promising clauses
(:mod:`bot.replies.instalments`). The first intent in LABELING.md's priority
order wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from operator import attrgetter

from bot.replies.amounts import find_amounts
from bot.replies.analysis import Analysis
from bot.replies.chinese_variants import simplify
from bot.replies.confidence import confidence
from bot.replies.cue_lexicons import LEXICONS
from bot.replies.dates import context, find_dates
from bot.replies.email_cleanup import mask_quoted, mask_signature, may_have_quotes
from bot.replies.instalments import instalments, promise_doubts, recurrence
from bot.replies.intent_cues import find_other_cues, find_top_cues, says_deceased
from bot.replies.intent_model import IntentModel, ModelOpinion, ReviewHead
from bot.replies.language_scanners import scan_anchored, scan_gated
from bot.replies.model import PRIORITY, Intent, PromiseTerm, Reply, new_reply
from bot.replies.normalize import Folded, detect_lang, fold
from bot.replies.optout import detect_opt_out, opt_out_scope
from bot.replies.pinyin import from_pinyin, looks_pinyin
from bot.replies.promise_clauses import may_promise, promise_clauses
from bot.replies.regex_programs import rx
from bot.replies.review_head import (
    NAMES,
    PROMISE_CONFLICT,
    conflict,
    estimate,
    review_features,
    settle,
)
from bot.replies.second_opinion import OPT_OUT_UNSURE, combine

#: The model's opt-out probability at or above which a reply opts out even without a
#: rule's cue (between :data:`~bot.replies.second_opinion.OPT_OUT_DOUBT` and this, a
#: person reads it). Chosen on out-of-fold opinions of the ten training writers: at 0.7
#: the model adds 2 of the 6,000 replies' opt-outs to those at 0.9 for 2 false ones (an
#: opt-out missed is the costlier mistake).
OPT_OUT_SURE = 0.7
_DAY_FIRST = frozenset({"GBP", "EUR"})
_PRIORITY = tuple(i.value for i in PRIORITY)
_TOP = ("legal", "wrong_party", "dispute")
_RAW_OTHERS = ("promise", "paid", "hardship", "refuse", "callback", "question")
_INTENT = {i.value: i for i in Intent}
#: each intent's value (``Intent.X.value`` is a slow property)
_VALUE = {i: i.value for i in Intent}
# module constants: ``Intent.X`` is a slow class attribute
_STOP, _OTHER, _PROMISE = Intent.STOP, Intent.OTHER, Intent.PROMISE_TO_PAY
_WRONG_PARTY = Intent.WRONG_PARTY
_SPAN_ORDER = attrgetter("start", "end")
_ACK_WORDS = (
    r"ok(?:ay|ie|ey)?|k|kk|thanks?|thank\s+(?:you|u)|thx|ty|tq|cheers|noted|received|got\s+it|gotcha|cool|"
    r"yes|yeah|yep|yup|ya|no|nope|nah|hi|hello|hey|fine|great|perfect|alright|sure|understood|lol|haha+|"
    r"good\s+(?:morning|afternoon|evening|night)|you\s+too|same\s+to\s+you|bye|"
    r"好的?|好吧|好滴|收到|谢谢|多谢|感谢|嗯+|恩+|你好|您好|是的?|对|行|明白|了解|知道了?|哦+|噢+|喔+|哈+|呵+|"
    r"在吗|在不在|在么|dd"
)
# A reply made only of acknowledgements, greetings and emoji.
# Atomic groups keep this linear ("嗯嗯嗯…" cannot be split in many ways).
_ACK_ONLY = rx(r"[\W_]*+(?>(?:" + _ACK_WORDS + r")(?![a-z0-9])[\W_]*+)++")
_CONTENT = rx(r"[a-z0-9\u3400-\u9fff]")


def parse_reply(
    text: str,
    now: dt.datetime | dt.date,
    balance: Decimal | None = None,
    currency: str | None = None,
    lang: str | None = None,
    model: IntentModel | None = None,
) -> Reply:
    """Read one customer reply.

    ``now`` is the customer's local time (tz-aware); dates are relative to its
    calendar day (a :class:`~datetime.date` is taken as that day). The parser reads no
    clock: anything else raises :class:`TypeError`. ``balance`` resolves "in
    full"/"half"; ``currency`` GBP or EUR reads numeric dates day/month. ``lang``
    ("en"/"zh") skips language detection. ``model`` is the learned second opinion
    (:mod:`bot.replies.second_opinion`); without it the rules decide alone and
    :attr:`~bot.replies.model.Reply.needs_human` follows their confidence. Never raises
    on any ``str`` text; time is linear in its length.
    """
    reply, seen = _parse(text, now, balance, currency, lang, model)
    if seen is not None:
        head = model.review if model is not None else None
        if head is not None and (head is _FITTING_HEAD[0] or _fits(head)):
            reply = settle(head, reply, estimate(head, *seen, reply))
    return reply


#: the last review head found to read :data:`~bot.replies.review_head.NAMES` (comparing
#: the names on every reply costs more than the estimate's arithmetic)
_FITTING_HEAD: list[ReviewHead | None] = [None]


def _fits(head: ReviewHead) -> bool:
    """Whether ``head`` was trained on the features :func:`estimate` computes."""
    if head.names != NAMES:
        return False
    _FITTING_HEAD[0] = head
    return True


def read_reply(
    text: str,
    now: dt.datetime | dt.date,
    balance: Decimal | None = None,
    currency: str | None = None,
    lang: str | None = None,
    model: IntentModel | None = None,
) -> tuple[Reply, list[float] | None]:
    """:func:`parse_reply` before the review head: the reading, and the head's features
    (:func:`~bot.replies.review_head.review_features`; None for a reply the rules settle
    alone, or without a model). The training script reads replies this way."""
    reply, seen = _parse(text, now, balance, currency, lang, model)
    if seen is None:
        return reply, None
    return reply, review_features(*seen, reply)


def _parse(
    text: str,
    now: dt.datetime | dt.date,
    balance: Decimal | None,
    currency: str | None,
    lang: str | None,
    model: IntentModel | None,
) -> tuple[Reply, tuple[Analysis, Reply, ModelOpinion] | None]:
    """The reading before the review head, and what the head reads it from (the
    analysis, the rules' reading, the model's opinion; None when the model did not see
    the reply)."""
    today = now.date() if isinstance(now, dt.datetime) else now
    if not isinstance(today, dt.date):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    folded, t, lg = prepare(text, lang)
    ctx = context(today, (currency or "").upper() in _DAY_FIRST)
    an = Analysis(folded, t, lg, LEXICONS[lg], ctx, balance)
    reply = rules = _read(an)
    opinion = None
    if model is not None and not an.settled:
        opinion = model.opinion(t, lg)
        combined = combine(reply, opinion)
        if combined.intent is not reply.intent:
            promises: tuple[PromiseTerm, ...] = ()
            if combined.intent is _PROMISE:
                if not an.dates and not an.amounts and an.clauses:
                    # the rules saw no offer, so read no dates: "Fine. Tomorrow."
                    _find_items(an)
                promises = instalments(an, an.chosen or list(range(len(an.clauses))))
            combined = replace(combined, promises=promises)
        reply = combined
        if not reply.opt_out and opinion.opt_out >= OPT_OUT_SURE:
            # the model is sure the reply asks to stop contact: an opt-out binds
            reply = replace(
                reply,
                opt_out=True,
                opt_out_scope=opt_out_scope(an.t, an.lg, an.hits),
                review=tuple(r for r in reply.review if r != OPT_OUT_UNSURE),
            )
    if reply.intent is _PROMISE:
        doubts = promise_doubts(an, reply.promises)
        rec = recurrence(an, reply.promises)
        review = reply.review
        if rec is not None or doubts:
            review += doubts
        else:
            rec = reply.recurrence
        if conflict(an, reply, opinion):
            review = (*review, PROMISE_CONFLICT)
        if review is not reply.review or rec is not reply.recurrence:
            # not dataclasses.replace: promises are common
            reply = new_reply(
                reply.intent,
                reply.opt_out,
                reply.promises,
                reply.lang,
                reply.confidence,
                reply.spans,
                reply.text,
                reply.opt_out_scope,
                reply.deceased,
                rec,
                review,
            )
    if reply.intent is _WRONG_PARTY and says_deceased(t):
        # "he passed away last month": held for a person, not treated as a wrong number
        reply = replace(reply, deceased=True)
    if opinion is None:
        return reply, None
    return reply, (an, rules, opinion)


def prepare(text: str, lang: str | None = None) -> tuple[Folded, str, str]:
    """The text the parser reads: ``text`` folded, the folded text with quoted history and
    signatures masked (Chinese: traditional and dialect forms read as Simplified
    Mandarin, :mod:`~bot.replies.chinese_variants`; pinyin in characters,
    :mod:`~bot.replies.pinyin`), and its language (``lang`` when it is "en" or "zh").
    The returned folded text is the characters' when the reply was pinyin."""
    folded = fold(text)
    t = folded.text
    if may_have_quotes(t):
        t = mask_quoted(t)
    if "\n" in t:
        t = mask_signature(t)
    lg = lang if lang in LEXICONS else detect_lang(t)
    if (lg != "en" or lang is None) and t.isascii() and looks_pinyin(t):
        # "wo mingtian huan 500": Chinese in pinyin, read in characters
        t, index, ends = from_pinyin(t)
        folded = Folded(t, folded.original, index, ends)
        lg = "zh"
    if lg == "zh":
        t = simplify(t)
    elif "die" in t or "dead" in t:
        t = _THINGS_THAT_DIE.sub(_blank, t)
    return folded, t, lg


#: a phone, a battery, a car... that "died" is no one's death (blanked, same length, so the
#: death and wrong-party cues do not read it)
_THINGS_THAT_DIE = rx(
    r"\b(?:phone|cell|mobile|battery|batteries|computer|laptop|pc|car|truck|van|internet|"
    r"wifi|wi-fi|signal|tv|printer|engine|charger|screen|router|modem|app)"
    r"(?:\s+(?:just|had|has|totally|completely|finally|then))*\s+(?:died|is\s+dead|was\s+dead|"
    r"went\s+dead|is\s+dying)\b")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def _read(an: Analysis) -> Reply:
    """The steps of :func:`parse_reply`, in order; each may settle the reply early."""
    t = an.t
    an.hits = hits = scan_gated(t, an.lg)
    opt = detect_opt_out(t, an.lg, hits)
    if opt is not None:
        an.add_span(opt[0], opt[1], "opt_out", None)
        if opt == (0, len(t)):  # the whole reply is an opt-out keyword ("STOP", "退订")
            an.add_span(0, len(t), "intent", "stop")
            an.settled = True
            return _reply(an, _STOP, True, (), 0.95)
    if not _CONTENT.search(t):
        an.settled = True
        return _reply(an, _STOP if opt else _OTHER, opt is not None, (), 0.9)
    if opt is None and _ACK_ONLY.fullmatch(t):  # "ok", "thanks!", "好的，谢谢"
        an.settled = True
        return _reply(an, _OTHER, False, (), 0.9)
    find_top_cues(an)
    cues = an.cues
    top = None
    if cues:
        for v in _TOP:
            if v in cues:
                top = v
                break
    if top is not None and "auto_reply" not in hits:
        # Legal, wrong party and dispute outrank everything a clause analysis could find.
        intent = _INTENT[top]
        present = [intent] + [
            _INTENT["promise_to_pay" if v == "promise" else v]
            for v in _RAW_OTHERS
            if v in hits or v in cues
        ]
        span = cues[top]
        an.add_span(span[0], span[1], "intent", top)
        return _reply(an, intent, opt is not None, (), confidence(an, intent, present))
    if may_promise(an):
        _find_items(an)
    an.clauses = an.split_clauses()
    an.clause_starts = [s for s, _ in an.clauses]
    scan_anchored(t, an.lg, hits, an.clause_starts)
    if "auto_reply" in an.hits:
        an.settled = True
        return _reply(an, _OTHER, opt is not None, (), 0.95)
    find_other_cues(an)
    if opt is not None and "callback" in an.cues:
        s, e = an.cues["callback"]
        if s < opt[1] and opt[0] < e:
            # "别再给我家里人打电话", "stop calling me": the call is what is refused
            del an.cues["callback"]
    an.chosen = chosen = promise_clauses(an)
    promises: tuple[PromiseTerm, ...] = ()
    if chosen:
        an.cues.setdefault("promise_to_pay", an.clauses[chosen[0]])
    cues = an.cues
    present = [_INTENT[v] for v in _PRIORITY if v in cues] if cues else []
    if present:
        intent = present[0]
    elif opt is not None:
        intent = _STOP
    else:
        intent = _OTHER
    if intent is _PROMISE:
        promises = instalments(an, chosen)
    conf = confidence(an, intent, present)
    value = _VALUE[intent]
    cue = an.cues.get(value)
    if cue is not None:
        an.add_span(cue[0], cue[1], "intent", value)
    return _reply(an, intent, opt is not None, promises, conf)


def _find_items(an: Analysis) -> None:
    """The dates and amounts of the reply, into ``an``."""
    hits = an.hits
    an.dates = find_dates(
        an.t,
        an.lg,
        an.ctx,
        [s for s, _ in hits.get("date", ())] if an.lg == "zh" else None,
    )
    an.amounts = find_amounts(an.t, an.lg, an.dates, hits)
    an.date_starts = [d.start for d in an.dates]
    an.amount_starts = [a.start for a in an.amounts]


def _reply(
    an: Analysis, intent: Intent, opt_out: bool, promises: tuple[PromiseTerm, ...], conf: float
) -> Reply:
    found = an.spans
    spans = tuple(sorted(found, key=_SPAN_ORDER) if len(found) > 1 else found)
    scope = opt_out_scope(an.t, an.lg, an.hits) if opt_out else ()
    return new_reply(
        intent, opt_out, promises, an.lg, round(conf, 2), spans, an.folded.original, scope
    )


__all__ = ["parse_reply", "prepare", "read_reply"]
