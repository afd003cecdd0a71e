"""Which clauses of a reply promise or offer a payment.

A clause promises when it has a future "pay" cue that is not negated, asked about or
about someone else (``cue``); when it asks to pay a stated amount or at a stated time
(``offer``); or when it only states an amount with a date (``implicit``). A clause that
merely completes a promising neighbour ("$75 today, $75 next week") is taken too; a
wish without means ("I want to pay but can't") or a request for relief is hardship.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from bot.replies.amounts import FULL, HALF, NUM, AmountHit
from bot.replies.analysis import Analysis
from bot.replies.dates import DATE, EVENT, PAST, VAGUE, DateHit
from bot.replies.markers import (
    EN_UNSURE,
    SENTENCE_BREAK,
    ZH_ASK_LOWER,
    ZH_DESIRE,
    ZH_FUTURE_BEFORE,
    ZH_PAST_STRONG,
    ZH_PAST_WORD,
    ZH_THEN,
    zh_done,
)
from bot.replies.regex_programs import rx

_OFFER_CUES = (
    "promise",
    "offer_question",
    "time_request",
    "cant_until",
    "amount_half",
    "amount_full",
    "amount_rest",
)
# Words that start a clause-anchored promise cue ("paying now", "on it", "will do").
_CLAUSE_PROMISE = rx(r"\b(?:paying|sending|transferring|wiring|will|can|could|on\s+it)\b")
_ANY_NUMBER = rx(r"[0-9零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]")
_ZH_PAY_CHAR = rx(r"还|转|付|交|缴|结清|到账|打|汇|存|银行|扣")
_EN_NUMBER_WORD = rx(
    r"\b(?:a\s+grand|grand|hundred|thousand|tenner|fiver|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|ten|eleven|twelve|fifteen)\b"
)
_EN_RECEIPT = rx(
    r"\W*(?:\w+\s+){0,3}?(?:receipt|proof|screenshot|screen\s+shot|confirmation|statement|copy|email|"
    r"letter|details|photo|picture|pic|docs|documents|info|information|number)\b"
)
_EN_THIRD = rx(r"\b(?:you|u|they|ya|y'all)\s+$")
_ZH_PAY_AFTER_DATE = rx(
    r"给(?=你|您|$|[，,。!！吧])|还(?![有是在没要得欠显发打能可会不差剩想用说算行挺好])|转|付|交|缴|打款|打钱|汇款|结清|还款|"
    r"打过去|打给(?!我)|打到|到账|扣(?!了|过)|存进去|存钱|去银行"
)
_ZH_SHORT_FILL = rx(
    r"(?:[\s，,。.！!~]|吧|呢|啊|哈|最晚|最迟|之前|以前|前|以内|内|左右|来块|块钱|块|元|的|大概|差不多|先|"
    r"行|可以|好|ok|那就|就)*"
)
_ZH_STILL = rx(r"还(?:有|是|在|没|要|得|欠|显示|发|打|能|可以|会|不|差|剩|想)")
_OFFER_WORDS_EN = rx(
    r"^\W*(?:ok(?:ay)?|sure|yes|yeah|yep|fine|alright|deal|how\s+about|what\s+about|maybe|i\s+can)\b(?!')"
    r"|\b(?:ok|okay|work|good|fine|alright|deal)\s*\??\s*$"
)
_BARE_AMOUNT_FILL = rx(
    r"(?>(?:ok(?:ay)?|sure|yes|yeah|yep|fine|alright|deal|how\s+about|what\s+about|maybe|i\s+can|"
    r"can\s+do|that|is|would|will|work|works|do|be|it|about|around|roughly|approx|approximately|"
    r"好的?|可以|行|吧|先|呢|吗|那|就|大概|左右|how|about|then|for\s+now|now|this|time|\W))*+"
)
_EN_NEGATION = rx(r"\b(?:not|never|n't)\b")
_EN_LESS = rx(r"\b(?:less|lower|smaller|reduce\w*)\b")
_EN_FUTURE = rx(r"\b(?:will|'ll|ll|gonna|going\s+to|can|could|should|would)\b")
_ZH_ALREADY_PAID = rx(
    r"(?:已经?|(?<!一)早就|刚刚?|之前就)(?!说|讲|告诉|答应|保证|承诺)[^，,。]{0,16}?"
    r"(?:还(?![有是在没要得欠显发打能可会不差剩想用说算行挺好催])|转|付|交|缴|结清|打款|打到|打过去|汇)"
)
_ZH_PAID_PARTICLE = rx(
    r"(?:还|转|付|交|缴|结)(?:款|钱|账|清|完|上|过去|过)?(?:了|的)|到账(?:了|的)|(?:打|存|汇)(?:给你们|过去|进去|到账)(?:了|的)"
)
_CANT_NOW_ZH = rx(r"没钱|没有钱|还不起|还不上|还不了|没有?能力|拿不出|困难|没办法")
_DESIRE = rx(
    r"\b(?:want|wanna|would\s+(?:like|love)|'d\s+(?:like|love)|love\s+to|wish|hope|hoping|trying|try)\b"
)
_CANT_NOW = rx(
    r"\b(?:can'?t|cannot|cant|unable|not\s+able|no\s+money|nothing\s+(?:in|left)|broke|"
    r"(?:don'?t|do\s+not|dont)\s+have\s+(?:the\s+|any\s+)?(?:money|funds|cash|it))\b"
)
# A request for relief: with nothing stated it is hardship, whatever "can I"/"能不能" cue it has.
_RELIEF_EN = rx(
    r"\b(?:more|extra|some)\s+time\b|\bextension\b|\blower\b|\breduc\w*|\bfreez\w*|\bpause\b|\bwaive|"
    r"\bsmaller\s+payments?|\bpay\s+less\b|\bpayment\s+plan|\binstal+ments?\b"
)
_RELIEF_ZH = rx(
    r"降低|减少|减免|少还|分期|延期|展期|停息|挂账|宽限|免息|调低|冻结|暂停|协商|方案|商量|"
    + ZH_ASK_LOWER
)
_ZH_INFO_Q = rx(r"有(?!钱)[^，,。？?]{0,6}?(?:吗|么)|有没有")
_ZH_DE_PAST = rx(
    r"(?<![会要能再就肯定])(?:还|转|付|交|缴|汇|打)(?:款|钱|过去|清|完|上)?的(?![话时])"
)
_SPAN = rx(
    r"\b(?:a|an|one|two|three|four|six|\d+|another|a\s+couple\s+of|couple\s+of|few)\s+(?:more\s+)?"
    r"(?:days?|weeks?|months?)\b"
)
_DEFER = rx(r"\b(?:defer|postpone|push|delay|move)\b")
_SHORT_FILL = rx(
    r"\W*(?:say|maybe|or|like|probably|prob|ideally|hopefully|by|on|(?:first\s+(?:one|payment)\s+)?"
    r"(?:starting|start|beginning|commencing)(?:\s+(?:from|on|with))?|from|先?从|自|由)?\W*$"
)
# "from next Friday": what may follow the date of a clause that only says when a
# promise starts.
_START_TAIL = rx(
    r"[\s.!,。！，]*(?:开始|起|算起|onwards?|on|morning|afternoon|evening|night|after\s+lunch|latest|"
    r"at\s+the\s+latest|上午|下午|晚上|早上|之前|前|以前)?[\s.!,。！，吧]*$"
)
#: Refusals in the words of a promise (sarcasm, impossible conditions).
_SARCASM_EN = rx(
    r"\bwhen\s+pigs\s+(?:fly|can\s+fly)|\bhell\s+freezes\s+over|\bday\s+after\s+never\b|"
    r"\bover\s+my\s+dead\s+body|\bwhen\s+i'?m\s+(?:dead|in\s+my\s+grave)|\bwhen\s+i\s+die\b|"
    r"^\W*yeah\s+right\b|\blike\s+i'?m\s+(?:gonna|going\s+to|ever\s+gonna)\s+pay|"
    r"\b(?:rather|sooner)\s+(?:go\s+to\s+jail|die|rot|starve)\b|\.\.\.\s*not\b|\bin\s+your\s+dreams\b|"
    r"\bdream\s+on\b|\bnot\s+in\s+a\s+million\s+years"
)
# Words every English one has (a cheap test before the pattern).
_SARCASM_WORDS = (
    "pigs", "freezes", "never", "dead", "die", "grave", "right", "gonna", "going to", "rather",
    "sooner", "...", "dream", "million",
)
# one search for any of them
_SARCASM_WORD = rx("|".join(re.escape(w) for w in _SARCASM_WORDS))
_SARCASM_ZH = rx(r"下辈子|做梦|太阳从西边出来|等我死了|除非我死|想得美|门都没有")
_METHOD_EN = rx(
    r"\b(?:via|thru|through|using|app|online|website|portal|paypal|venmo|zelle|grabpay|paylah|paynow|"
    r"apple\s+pay|google\s+pay|cash\s*app|by\s+(?:card|cheque|check|bank\s+transfer|phone)|"
    r"(?:credit|debit)\s+card|instal+ments?|what\s+(?:way|method)|which\s+(?:way|method|account)|"
    r"late\s+fee|credit\s+score|minimum)\b"
)
_METHOD_ZH = rx(
    r"支付宝|微信|银行卡|信用卡|app|网银|用什么|哪个账户|哪里|怎么|什么方式|最低|手续费|滞纳金|征信"
)
_ASKS = rx(r"[?？]|^\W*(?:do|does|can|could|is|are|will|would)\b|吗|么|能不能|可不可以|可以不")
_SAME = rx(r"\b(?:same|again)\b|同样|一样")
_UNTIL_TAIL = rx(r"\b(?:until|till|til)\b[^.,;!?]*|直到.*")


# "no idea when I'll be able to pay": not knowing when is no offer
_EN_UNSURE_WHEN = rx(
    EN_UNSURE + r"(?:when|if|whether)\s+(?:[\w']+\s+){0,5}$"
)


def may_promise(an: Analysis) -> bool:
    """Whether the reply could hold an offer at all (else dates and amounts are skipped)."""
    hits, t = an.hits, an.t
    if (
        not hits.keys().isdisjoint(_OFFER_CUES)
        or _ANY_NUMBER.search(t)
        or _CLAUSE_PROMISE.search(t)
    ):
        return True
    if an.lg == "zh":
        return "date" in hits and _ZH_PAY_CHAR.search(t) is not None
    return _EN_NUMBER_WORD.search(t) is not None


def promise_clauses(an: Analysis) -> list[int]:
    """The indexes of the promising clauses, in order (empty: no promise).

    Sets :attr:`Analysis.implicit_only`, and records a hardship cue for a clause that
    only wishes or asks for relief.
    """
    t = an.t
    m = (
        _SARCASM_ZH.search(t)
        if an.lg == "zh"
        else _SARCASM_EN.search(t) if _SARCASM_WORD.search(t) is not None else None
    )
    if m is not None:
        # "I'll pay when pigs fly", "like I'm gonna pay": a refusal worded as a promise
        an.cues.setdefault("refuse", m.span())
        return []
    chosen: list[int] = []
    kinds: dict[int, str] = {}
    # Only clauses with an amount, a date or a promise-like cue can promise.
    starts = [a.start for a in an.amounts] + [d.start for d in an.dates]
    for cat in ("promise", "offer_question", "time_request", "cant_until"):
        starts += an.starts(cat)
    if an.lg == "zh" and an.dates:
        starts += [m.start() for m in ZH_THEN.finditer(t)]
    cs = an.clause_starts
    candidates = sorted({bisect_right(cs, p) - 1 for p in starts} - {-1}) if starts else []
    relief_rx = _RELIEF_ZH if an.lg == "zh" else _RELIEF_EN
    for i in candidates:
        s, e = an.clauses[i]
        c = t[s:e]
        dates, amts = an.clause_items(s, e)
        stated = concrete = past = False
        for d in dates:
            k = d.kind
            if k == DATE:
                stated = concrete = True
            elif k in (VAGUE, EVENT):
                stated = True
            elif k == PAST:
                past = True
        kind = _clause_promise(an, c, s, dates, amts, stated, past)
        if kind is None:
            continue
        if (
            not amts
            and not stated
            and (_METHOD_ZH if an.lg == "zh" else _METHOD_EN).search(c)
            and _ASKS.search(t, s, min(len(t), e + 2))
        ):
            # "do you have an app I can pay thru?", "can pay via GrabPay?": how, not when
            an.cues.setdefault("question", (s, e))
            continue
        if not concrete and (
            an.hits_in("uncertain", s, e) or (not amts and "uncertain" in an.hits)
        ):
            an.cues.setdefault("hardship", (s, e))
            continue
        if not amts and not concrete and kind != "offer" and relief_rx.search(t, s, e):
            # "can I get a little more time?", "能不能降低每月还款额": relief, nothing offered.
            an.cues.setdefault("hardship", (s, e))
            continue
        desire, cant = (ZH_DESIRE, _CANT_NOW_ZH) if an.lg == "zh" else (_DESIRE, _CANT_NOW)
        if not amts and not concrete and desire.search(c) and cant.search(t, s):
            # "I want to pay but I can't right now": a wish, not an offer.
            an.cues.setdefault("hardship", (s, e))
            continue
        chosen.append(i)
        kinds[i] = kind
    if chosen:
        # Continuation clauses: "$75 today, $75 next week" after a promising clause.
        extra: set[int] = set()
        for i, (s, e) in enumerate(an.clauses):
            if i in kinds or (i - 1 not in kinds and i - 1 not in extra):
                continue
            dates, amts = an.clause_items(s, e)
            if not amts and not (
                any(d.kind == DATE for d in dates) and _SAME.search(t, s, e)
            ):
                continue  # (unless "... and the same again on the 5th")
            if SENTENCE_BREAK.search(t, an.clauses[i - 1][1], s):
                continue  # a new sentence or line is not a continuation
            if any(d.kind == PAST for d in dates) or an.blocked(s, e):
                continue
            if an.hits_in("uncertain", s, e):
                continue
            extra.add(i)
        _neighbour_clauses(an, chosen, extra)
        chosen = sorted(set(chosen) | extra)
        an.implicit_only = all(kinds.get(i) == "implicit" for i in chosen)
    elif _short_offer(an):
        chosen = list(range(len(an.clauses)))
        an.implicit_only = True
    elif _bare_amount(an):
        chosen = [0] if len(an.clauses) == 1 else list(range(len(an.clauses)))
        an.implicit_only = True
    return chosen


def _neighbour_clauses(an: Analysis, chosen: list[int], extra: set[int]) -> None:
    """Clauses that only complete a promising neighbour in the same sentence.

    "八百多，明天还" (an amount alone before a dated promise) and "500ish after xmas,
    say the 28th" (a day alone after a promise with no day).
    """
    t = an.t
    picked = set(chosen)  # membership per clause: a list made this quadratic
    for i in chosen:
        s, e = an.clauses[i]
        dates, amts = an.clause_items(s, e)
        if not amts and i > 0 and i - 1 not in picked:
            ps, pe = an.clauses[i - 1]
            pd, pa = an.clause_items(ps, pe)
            if (
                len(pa) == 1
                and pa[0].kind in (NUM, FULL, HALF)
                and not pd
                and not SENTENCE_BREAK.search(t, pe, s)
                and not an.blocked(ps, pe)
                and not any(an.hits_in(c, ps, pe) for c in ("hardship", "question"))
                and len(t[ps:pe].strip()) <= 12
            ):
                extra.add(i - 1)
        if not amts and i + 1 < len(an.clauses) and i + 1 not in picked:
            ns, ne = an.clauses[i + 1]
            nd, na = an.clause_items(ns, ne)
            if (
                len(na) == 1
                and na[0].kind in (NUM, FULL, HALF)
                and not nd
                and not SENTENCE_BREAK.search(t, e, ns)
                and not an.blocked(ns, ne)
                and not any(an.hits_in(c, ns, ne) for c in ("hardship", "question"))
                and len(t[ns:ne].strip()) <= 12
            ):
                extra.add(i + 1)  # "今晚转你，500多": the amount follows the promise
        if (
            amts
            and not any(d.kind == DATE for d in dates)
            and i + 1 < len(an.clauses)
            and i + 1 not in picked
        ):
            ns, ne = an.clauses[i + 1]
            nd, na = an.clause_items(ns, ne)
            if (
                not na
                and len(nd) == 1
                and nd[0].kind == DATE
                and not SENTENCE_BREAK.search(t, e, ns)
                and _SHORT_FILL.fullmatch(t[ns : nd[0].start]) is not None
                and _START_TAIL.fullmatch(t[nd[0].end : ne]) is not None
            ):
                extra.add(i + 1)


def _short_offer(an: Analysis) -> bool:
    """A short Chinese reply of an amount and a day with a pay verb: "全额还款，下个月1号"."""
    if an.lg != "zh" or len(an.t) > 24 or len(an.clauses) > 3:
        return False
    if not an.amounts or not any(d.kind == DATE for d in an.dates):
        return False
    if any(d.kind == PAST for d in an.dates) or an.blocked(0, len(an.t)):
        return False
    if any(c in an.hits for c in ("hardship", "question", "uncertain", "cant_until")):
        return False
    if _ZH_PAY_CHAR.search(an.t) is not None:
        return True
    # "大后天吧，两千五", "最晚下周五，八百来块": an amount and a day and nothing else
    spans = sorted([(d.start, d.end) for d in an.dates] + [(a.start, a.end) for a in an.amounts])
    rest, pos = [], 0
    for s, e in spans:
        rest.append(an.t[pos:s])
        pos = max(pos, e)
    rest.append(an.t[pos:])
    return _ZH_SHORT_FILL.fullmatch("".join(rest)) is not None


def _bare_amount(an: Analysis) -> bool:
    """A reply of one amount and filler words only ("ok 50?", "可以先还500吗")."""
    nums = [a for a in an.amounts if a.kind == NUM]
    if len(nums) != 1 or (an.dates and any(d.kind == PAST for d in an.dates)):
        return False
    a = nums[0]
    rest = an.t[: a.start] + " " + an.t[a.end :]
    return _BARE_AMOUNT_FILL.fullmatch(rest) is not None


def _clause_promise(
    an: Analysis,
    c: str,
    s: int,
    dates: list[DateHit],
    amts: list[AmountHit],
    stated: bool,
    past: bool,
) -> str | None:
    """How the clause ``c`` (starting at ``s``, with its ``dates`` and amounts ``amts``)
    promises: ``"cue"``, ``"offer"``, ``"implicit"``, or None when it does not."""
    lex = an.lex
    has_amount = bool(amts)
    zh = an.lg == "zh"
    e = s + len(c)
    if an.hits_in("refuse", s, e):
        return None  # a clause that refuses never promises ("you'll get nothing from me")
    question_form = zh and bool(
        an.hits_in("offer_question", s, e) or an.hits_in("question", s, e)
    )
    wh = lex.wh.search(c)
    for hs, he in an.hits_in("promise", s, e):
        ms = hs - s
        before = c[max(0, ms - 20) : ms]
        if lex.negated_before.search(before):
            continue
        g = c[ms : he - s]
        if zh:
            if wh:
                continue
            if question_form and not (
                has_amount or any(d.kind in (DATE, EVENT) for d in dates)
            ):
                continue
            if question_form and _ZH_INFO_Q.search(c):
                continue  # "提前还清有优惠吗": asks about information
            if g[:1] in "还转付交缴打汇给" and not any(hs <= a.start <= he + 1 for a in amts):
                continue
            if _zh_clause_past(c, dates):
                continue
            core = g.replace("能不能", "").replace("可不可以", "").replace("会不会", "")
            if "不" in core or "没" in core or "别" in core:
                continue
        else:
            if wh and wh.start() < ms:
                continue
            if _EN_THIRD.search(before) or _EN_UNSURE_WHEN.search(c, 0, ms):
                continue
            if _EN_NEGATION.search(g) or "not " in g:
                continue
            if _EN_RECEIPT.match(c, he - s) and not has_amount:
                continue
            if past and not stated:
                continue
            if an.hits_in("paid", s, e) and not _EN_FUTURE.search(c):
                continue
            if g.startswith("if ") and not (has_amount or stated):
                continue
        return "cue"
    if not zh:
        oq = an.first_hit("offer_question", s, e)
        firm = has_amount or any(d.kind in (DATE, EVENT) for d in dates)
        if (
            oq
            and firm
            and not (wh and wh.start() < oq[0] - s)
            and not past
            and not _EN_LESS.search(c)
        ):
            return "offer"
        if an.hits_in("time_request", s, e) and (
            stated or (_DEFER.search(c) and _SPAN.search(c))
        ):
            return "offer"  # "can I defer it 2 months?": a span with no day
        cu = an.first_hit("cant_until", s, e)
        if cu and any(d.kind in (DATE, VAGUE, EVENT) and d.start >= cu[1] - 8 for d in dates):
            return "offer"
    else:
        if an.hits_in("time_request", s, e) and stated:
            return "offer"
        if ZH_THEN.search(c) and an.earlier_date(s) is not None:
            return "cue"
        if stated and not _zh_clause_past(c, dates):
            for d in dates:
                if d.kind == PAST:
                    continue
                after = c[d.end - s :]
                pm = _ZH_PAY_AFTER_DATE.search(after)
                if (
                    pm
                    and pm.start() <= 10
                    and not lex.negated_before.search(after[: pm.start()])
                    and not _ZH_STILL.match(after, pm.start())
                    and not wh
                ):
                    return "cue"
    if has_amount and not past:
        tail = _UNTIL_TAIL.search(c)
        if an.blocked(s, s + tail.start() if tail else e):
            return None
        if zh:
            if any(d.kind == DATE for d in dates):
                return "implicit"
        elif (stated or _OFFER_WORDS_EN.search(c)) and not an.hits_in("paid", s, e):
            # "my payment of $312.45 went through on the 9th" reports, it does not offer
            return "implicit"
    return None


def _zh_clause_past(c: str, dates: list[DateHit]) -> bool:
    """Whether a Chinese clause tells of a payment already made."""
    if ZH_PAST_STRONG.search(c) and _ZH_ALREADY_PAID.search(c):
        return True
    if zh_done(c):
        return True  # "我老公周六帮我还了，五千", "按约定1号还了90": done, nothing ahead
    de = _ZH_DE_PAST.search(c)
    if (de and not ZH_FUTURE_BEFORE.search(c, 0, de.start())) or (
        ZH_PAST_WORD.search(c) and _ZH_PAID_PARTICLE.search(c)
    ):
        return True  # "12月3号还的", "上个月就结清了"
    if any(d.kind == PAST for d in dates) and not any(d.kind in (DATE, VAGUE) for d in dates):
        return bool(_ZH_PAID_PARTICLE.search(c))
    return False
