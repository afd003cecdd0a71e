"""The cues that place a reply's intent, checked in their context.

A lexicon hit is not yet an intent: "police" next to a fraud report is a dispute, "my
company went bankrupt" is hardship, "I'm his wife" is a wrong party unless the debt is
her own hardship, "paid" after "not" or "when I get" is no payment, "don't call me" is no
callback request. :func:`find_top_cues` finds the intents that outrank a promise (legal,
wrong party, dispute); :func:`find_other_cues` the rest (paid, hardship, refuse,
callback, question). Both record ``(start, end)`` cues in :attr:`Analysis.cues`.
"""

from __future__ import annotations

from bot.replies.analysis import Analysis
from bot.replies.dates import DATE, EVENT, PAST, VAGUE
from bot.replies.markers import (
    WORD,
    ZH_DESIRE,
    ZH_FUTURE_BEFORE,
    ZH_PAST_STRONG,
    ZH_PAST_WORD,
    zh_done,
)
from bot.replies.regex_programs import rx

# Words that follow "I'm not" / "no ... here" and are not names.
_NOT_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "it",
        "he",
        "she",
        "they",
        "you",
        "your",
        "my",
        "his",
        "her",
        "our",
        "their",
        "me",
        "him",
        "us",
        "them",
        "one",
        "body",
        "money",
        "problem",
        "way",
        "need",
        "here",
        "there",
        "home",
        "sure",
        "able",
        "going",
        "gonna",
        "paying",
        "working",
        "employed",
        "in",
        "at",
        "on",
        "of",
        "for",
        "to",
        "from",
        "with",
        "by",
        "and",
        "or",
        "but",
        "so",
        "because",
        "if",
        "when",
        "interested",
        "responsible",
        "aware",
        "happy",
        "trying",
        "ok",
        "okay",
        "well",
        "available",
        "ready",
        "rich",
        "made",
        "liable",
        "obligated",
        "obliged",
        "stupid",
        "dumb",
        "scared",
        "afraid",
        "worried",
        "dead",
        "paid",
        "done",
        "finished",
        "even",
        "really",
        "just",
        "only",
        "currently",
        "yet",
        "allowed",
        "certain",
        "capable",
        "getting",
        "taking",
        "letting",
        "accepting",
        "agreeing",
        "asking",
        "saying",
        "kidding",
        "joking",
        "lying",
        "leaving",
        "hiding",
        "running",
        "answering",
        "giving",
        "sending",
        "doing",
        "having",
        "playing",
        "talking",
        "speaking",
        "calling",
        "texting",
        "replying",
        "coming",
        "buying",
        "dealing",
        "refusing",
        "disputing",
        "avoiding",
        "ignoring",
        "earning",
        "receiving",
        "planning",
        "wanting",
        "falling",
        "all",
        "any",
        "some",
        "no",
        "never",
        "ever",
        "always",
        "too",
        "very",
        "much",
        "more",
        "less",
        "quite",
        "exactly",
        "fully",
        "totally",
        "completely",
        "entirely",
        "necessarily",
        "sorry",
        "mad",
        "angry",
        "upset",
        "good",
        "bad",
        "fine",
        "alive",
        "around",
        "here",
        "gone",
        "anyone",
        "anybody",
        "someone",
        "somebody",
        "everyone",
        "everybody",
        "nobody",
        "person",
        "guy",
        "man",
        "woman",
        "lady",
        "girl",
        "boy",
        "human",
        "customer",
        "debtor",
        "owner",
        "account",
        "holder",
        "longer",
        "single",
        "married",
        "sick",
        "ill",
        "well",
        "bothered",
        "fussed",
        "surprised",
    ]
)
_EN_NAME_CUES = rx(
    r"(?<![a-z0-9_])(?:(?:i'?m|im|i\s+am)\s+not\s+(?P<a>[a-z][a-z'-]*)\b"
    r"|(?:there'?s\s+|there\s+is\s+)?no\s+(?P<b>[a-z]+)\s+(?:here|at\s+this\s+(?:number|address)|"
    r"lives\s+here|living\s+here)\b"
    r"|(?:don'?t|do\s+not|dont)\s+know\s+(?:(?:any|a|an|anyone\s+named|anybody\s+named)\s+)?"
    r"(?P<c>[a-z]+)\b"
    r"|who\s+(?:is|'s|the\s+hell\s+is)\s+(?P<d>[a-z]+)\s*\?"
    r"|(?P<e>[a-z]+)\s+(?:doesn'?t|does\s+not|no\s+longer)\s+(?:live|work|stay)"
    r"|^\W*not\s+(?P<f>[a-z][a-z'-]*)\s*(?:[.!,;]|$))"
)
_EN_CALL_NEG = rx(
    r"(?:\bdon'?t|\bdo\s+not|\bdont|\bstop|\bquit|\bnever|\bno\s+need\s+to|\bnot|\bno|\bwithout|"
    r"\brather\s+not|\bnot\s+to)\s+(?:\w+\s+)?$"
)
_ZH_CALL_NEG = rx(r"(?:不要|别|不用|甭|勿|停止|少|不需要|不必|无需)再?(?:给我|跟我)?$")
_CONDITION_BEFORE = rx(r"\b(?:until|till|til|once|when|after|before|unless|if)\b[^.,;!?]{0,20}$")
_ZH_MODAL_END = rx(r"(?:会|要|一定|肯定|能|可以)$")
_EN_NOT_PAID_BEFORE = rx(r"(?:n't|not|never|haven'?t|hasn'?t)\s+(?:been\s+|yet\s+)?$")
_ZH_HOURS = rx(r"[^，,。]{0,4}?(?:几点|什么时候|上班|下班|营业|工作时间|休息)")
_DEATH = rx(
    r"passed\s+away|\bdied\b|deceased|\bdead\b|funeral|passed\s+on|去世|过世|离世|已故|身故|病逝"
)
# The customer's death, told by someone else (LABELING.md "deceased").
_DECEASED = rx(
    r"passed\s+away|\bdied\b|\bdeceased\b|\b(?:is|was)\s+dead\b|passed\s+on\b|"
    r"\bpassed\s+(?:last|this|in|on|recently|earlier|a\s+(?:few|couple))\b|no\s+longer\s+with\s+us|"
    r"\bdeath\b|\bfuneral\b|\bestate\s+of\b|\b(?:my|our)\s+late\s+\w+|"
    r"去世|过世|离世|已故|身故|病逝|身亡|死了|不在人世|(?:他|她|人)(?:已经)?不在了|过\S?身|"
    r"(?:他|她|我(?:的)?(?:爸|妈|哥|姐|弟|妹|老公|老婆|丈夫|妻子|父亲|母亲|奶奶|爷爷|外婆|外公|儿子|女儿))"
    r"\S{0,8}?走(?:了|的)|遗产|后事|丧事|\bpass\s+away"
)


def says_deceased(t: str) -> bool:
    """Whether folded text ``t`` tells of a death (the customer's, when the reply is a
    wrong party's)."""
    return _DECEASED.search(t) is not None
_MY_RELATIVE = rx(
    r"\bmy\s+(?:wife|husband|partner|mum|mom|mother|dad|father|son|daughter|child|kid|baby|brother|"
    r"sister)\b|我(?:的)?(?:老婆|老公|妈|爸|孩子|儿子|女儿)"
)
_THEIR_DEBT = rx(
    r"\b(?:his|hers|her|their|he|she|they)\b[^.?!]{0,40}\b(?:account|card|debt|loan|bill|name|estate)|"
    r"\b(?:account|card|debt|loan|bill)\b[^.?!]{0,30}\b(?:his|hers|her|theirs)\b|\bestate\b|"
    r"他的|她的|他借|她借|他欠|她欠|卡|账户|贷款|欠款"
)
_POLICE = rx(r"police|cops|报警|警察|公安|110")
# a victim's report of identity theft to the FTC is no complaint about the collector
_VICTIM_REPORT = rx(r"\b(?:identity\s+theft|fraud)\s+(?:report|affidavit|complaint)\b")


def find_top_cues(an: Analysis) -> None:
    """Cues of the intents that outrank a promise: legal, wrong party, dispute."""
    t, lex, cues = an.t, an.lex, an.cues
    fraud: bool | None = None  # searched only when a legal cue names the police
    not_legal = an.hits_in("legal_not")
    for h in an.hits_in("legal"):
        if any(s <= h[0] < e for s, e in not_legal):
            continue
        if _POLICE.search(t, h[0], h[1]) or (t[h[0] : h[1]] == "ftc" and _VICTIM_REPORT.search(t)):
            if fraud is None:
                fraud = lex.fraud.search(t) is not None
            if fraud:
                continue
        cues["legal"] = h
        break
    if not_legal:
        cues.setdefault("hardship", not_legal[0])
    first = an.first_hit("wrong_party")
    if first is None and an.lg == "en":
        first = _name_cue(an)
    if (
        first is not None
        and _MY_RELATIVE.search(t, 0, first[1])
        and "hardship" in an.hits
        and not _THEIR_DEBT.search(t)
    ):
        # "my mum just died and I can't deal with this", "my wife is sick and I'm her
        # carer, money is tight": the customer's own hardship, not someone else answering.
        cues.setdefault("hardship", first)
        first = None
    if first is not None:
        cues["wrong_party"] = first
    first = an.first_hit("dispute")
    if first is not None:
        cues["dispute"] = first


def find_other_cues(an: Analysis) -> None:
    """Cues of the other intents (paid, hardship, refuse, callback, question)."""
    t, lex, cues = an.t, an.lex, an.cues
    _paid_cue(an)
    first = an.first_hit("hardship")
    if first is not None:
        cues.setdefault("hardship", first)
    first = an.first_hit("refuse")
    if first is not None:
        cues["refuse"] = first
    neg = _ZH_CALL_NEG if an.lg == "zh" else _EN_CALL_NEG
    for h in an.hits_in("callback"):
        if an.lg == "zh" and _ZH_HOURS.match(t, h[1]):
            continue  # "你们客服几点下班": asks the hours
        cs = an.clause_of(h[0])[0]
        if neg.search(t[max(cs, h[0] - 16) : h[0]]):
            continue
        cues["callback"] = h
        break
    first = an.first_hit("question")
    if first is not None:
        q = t[first[0] : first[1]]
        bare = (
            q == "?"
            and not lex.wh.search(t)
            and (
                (an.lg == "en" and len(WORD.findall(t)) < 2)
                or (len(WORD.findall(t)) <= 2 and "ack" in an.hits)
            )
        )
        if not bare:  # a lone "?" after "ok" or one word is not a question
            cues["question"] = first


def _name_cue(an: Analysis) -> tuple[int, int] | None:
    """An English reply naming someone else: "I'm not Carlos", "no Dana here"."""
    t = an.t
    if not ("not " in t or "no " in t or "know" in t or "who" in t or "live" in t):
        return None
    orig = an.folded.original
    mixed_case = orig != orig.lower() and orig != orig.upper()
    for m in _EN_NAME_CUES.finditer(an.t):
        name = m.lastgroup or ""
        word = m.group(name)
        if word in _NOT_NAMES or word.endswith(("ing", "ed", "ly", "'s")) or len(word) < 3:
            continue
        if mixed_case or name == "f":  # "Not Carlos." needs a capital; "not payin" is no name
            o = an.folded.span(m.start(name), m.start(name) + 1)[0]
            if o >= len(orig) or not orig[o].isupper():
                continue
        return m.span()
    return None


def _paid_cue(an: Analysis) -> None:
    """The first "paid" hit that tells of a payment made (not negated, not conditional,
    not a Chinese future "会还的")."""
    t, lex = an.t, an.lex
    for ms, me in an.hits_in("paid"):
        cs, ce = an.clause_of(ms)
        before = t[max(cs, ms - 16) : ms]
        if lex.negated_before.search(before):
            continue
        if an.lg == "en" and _CONDITION_BEFORE.search(t[cs:ms]):
            continue
        if an.lg == "zh":
            g = t[ms:me]
            if not ZH_PAST_STRONG.match(g) and not (
                (
                    g.endswith("的")
                    and not ZH_FUTURE_BEFORE.search(t[cs:ms])
                    and not ZH_DESIRE.search(t, cs, ms)
                )
                or ZH_PAST_WORD.search(t, cs, ms)
            ):
                clause_dates = an.clause_items(cs, ce)[0]
                if (
                    any(d.kind in (DATE, VAGUE, EVENT) for d in clause_dates)
                    and not any(d.kind == PAST for d in clause_dates)
                    and not zh_done(t[cs:ce])
                ):
                    continue
                if g.endswith("的") and _ZH_MODAL_END.search(t[max(cs, ms - 3) : ms]):
                    continue
                if ZH_FUTURE_BEFORE.search(t[cs:ms]) and any(
                    d.kind != PAST for d in clause_dates
                ):
                    continue
        else:
            if _EN_NOT_PAID_BEFORE.search(before):
                continue
        an.cues["paid"] = (ms, me)
        return
