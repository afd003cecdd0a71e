"""``parse_reply``: intent, opt-out and promised instalments of one reply.

The reply is folded (NFKC, lower case), its dates and amounts are found, and
it is cut into clauses at punctuation and conjunctions. Intents are found from
cue lexicons; a promise is decided clause by clause (a future "pay" verb not
negated, an offer question with a stated amount or time, or an amount with a
date and nothing else), and its instalments are the amount and date items of
the promising clauses. The first intent in LABELING.md's priority order wins.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from decimal import Decimal

from bot.replies._rx import rx
from bot.replies.amounts import FULL, HALF, NUM, AmountHit, find_amounts, resolve
from bot.replies.dates import DATE, EVENT, PAST, VAGUE, DateHit, context, find_dates
from bot.replies.email_cleanup import mask_quoted, mask_signature, may_have_quotes
from bot.replies.intents import LEXICONS, PRIORITY, Intent, Lexicon
from bot.replies.lexical import scan_anchored, scan_gated
from bot.replies.model import PromiseTerm, Reply, Span
from bot.replies.normalize import Folded, detect_lang, fold
from bot.replies.optout import detect_opt_out

_DAY_FIRST = frozenset({"GBP", "EUR"})
_PRIORITY = tuple(i.value for i in PRIORITY)
_TOP = ("legal", "wrong_party", "dispute")
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
_RAW_OTHERS = ("promise", "paid", "hardship", "refuse", "callback", "question")
# Cues that stop "an amount and a date" from being read as an offer in their clause.
_BLOCKING = ("block", "paid", "callback", "refuse", "dispute", "legal", "wrong_party")
_INTENT = {i.value: i for i in Intent}
_ACK_WORDS = (
    r"ok(?:ay|ie|ey)?|k|kk|thanks?|thank\s+(?:you|u)|thx|ty|tq|cheers|noted|received|got\s+it|gotcha|cool|"
    r"yes|yeah|yep|yup|ya|no|nope|nah|hi|hello|hey|fine|great|perfect|alright|sure|understood|lol|haha+|"
    r"good\s+(?:morning|afternoon|evening|night)|you\s+too|same\s+to\s+you|bye|"
    r"好的?|好吧|好滴|收到|谢谢|多谢|感谢|嗯+|恩+|你好|您好|是的?|对|行|明白|了解|知道了?|哦+|噢+|喔+|哈+|呵+"
)
# A reply made only of acknowledgements, greetings and emoji.
# Atomic groups keep this linear ("嗯嗯嗯…" cannot be split in many ways).
_ACK_ONLY = rx(r"[\W_]*+(?>(?:" + _ACK_WORDS + r")(?![a-z0-9])[\W_]*+)++")
_CONTENT = rx(r"[a-z0-9\u3400-\u9fff]")
_WORD = rx(r"[a-z0-9']+|[\u3400-\u9fff]")

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
_EN_RECEIPT = rx(
    r"\W*(?:\w+\s+){0,3}?(?:receipt|proof|screenshot|screen\s+shot|confirmation|statement|copy|email|"
    r"letter|details|photo|picture|pic|docs|documents|info|information|number)\b"
)
_EN_THIRD = rx(r"\b(?:you|u|they|ya|y'all)\s+$")
_EN_CALL_NEG = rx(
    r"(?:\bdon'?t|\bdo\s+not|\bdont|\bstop|\bquit|\bnever|\bno\s+need\s+to|\bnot|\bno|\bwithout|"
    r"\brather\s+not|\bnot\s+to)\s+(?:\w+\s+)?$"
)
_ZH_CALL_NEG = rx(r"(?:不要|别|不用|甭|勿|停止|少|不需要|不必|无需)再?(?:给我|跟我)?$")
_ZH_FUTURE_MODAL = rx(r"(?:会|要|就|再|先|一定|肯定|把|准备|打算|马上|才能|能|可以)")
_ZH_PAST_STRONG = rx(r"已(?!经?(?:说|讲|告诉|答应|保证|承诺))|(?<!一)早就|刚刚?|之前就")
_ZH_PAY_AFTER_DATE = rx(
    r"给(?=你|您|$|[，,。!！吧])|还(?![有是在没要得欠显发打能可会不差剩想用说算行挺好])|转|付|交|缴|打款|打钱|汇款|结清|还款|"
    r"打过去|打给(?!我)|打到|到账|扣(?!了|过)|存进去|存钱|去银行"
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
_CONDITION_BEFORE = rx(r"\b(?:until|till|til|once|when|after|before|unless|if)\b[^.,;!?]{0,20}$")
_ZH_MODAL_END = rx(r"(?:会|要|一定|肯定|能|可以)$")
_ZH_FUTURE_BEFORE = rx(r"(?:把|再|先|就|会|要|才能)[^，,。]{0,10}$")
_EN_NOT_PAID_BEFORE = rx(r"(?:n't|not|never|haven'?t|hasn'?t)\s+(?:been\s+|yet\s+)?$")
_EN_NEGATION = rx(r"\b(?:not|never|n't)\b")
_EN_LESS = rx(r"\b(?:less|lower|smaller|reduce\w*)\b")
_EN_FUTURE = rx(r"\b(?:will|'ll|ll|gonna|going\s+to|can|could|should|would)\b")
_ZH_ALREADY_PAID = rx(
    r"(?:已经?|(?<!一)早就|刚刚?|之前就)(?!说|讲|告诉|答应|保证|承诺)[^，,。]{0,8}?(?:还|转|付|交|缴|结清|打款)"
)
_ZH_PAID_PARTICLE = rx(
    r"(?:还|转|付|交|缴|结)(?:款|钱|账|清|完|上|过去|过)?(?:了|的)|到账(?:了|的)|(?:打|存|汇)(?:给你们|过去|进去|到账)(?:了|的)"
)
_DESIRE_ZH = rx(r"想|希望|愿意")
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
    r"降低|减少|减免|少还|分期|延期|展期|停息|挂账|宽限|免息|调低|冻结|暂停|协商|方案|商量"
)
_ZH_INFO_Q = rx(r"有(?!钱)[^，,。？?]{0,6}?(?:吗|么)|有没有")
_ZH_PAST_WORD = rx(r"上个?月|上周|上星期|上礼拜|昨天|前天|去年|上次|之前")
_ZH_DE_PAST = rx(
    r"(?<![会要能再就肯定])(?:还|转|付|交|缴|汇|打)(?:款|钱|过去|清|完|上)?的(?![话时])"
)
_ZH_HOURS = rx(r"[^，,。]{0,4}?(?:几点|什么时候|上班|下班|营业|工作时间|休息)")
_ZH_THEN = rx(r"(?:到时候?|那时候?|届时|到那天|那天)(?:就|再|一定|会)?(?:还|转|付|给|打|结清)")
# "this saturday instead of friday": the day after these is not promised.
_INSTEAD = rx(r"\b(?:instead\s+of|rather\s+than)\b|而不是")
_EXCLUDED_BEFORE = rx(r"(?:\binstead\s+of|\brather\s+than|\bnot|而不是|不是)\s*(?:on\s+|the\s+)?$")
_SPAN = rx(
    r"\b(?:a|an|one|two|three|four|six|\d+|another|a\s+couple\s+of|couple\s+of|few)\s+(?:more\s+)?"
    r"(?:days?|weeks?|months?)\b"
)
_DEFER = rx(r"\b(?:defer|postpone|push|delay|move)\b")
_SHORT_FILL = rx(r"\W*(?:say|maybe|or|like|probably|prob|ideally|hopefully|by|on)?\W*$")
_DEATH = rx(
    r"passed\s+away|\bdied\b|deceased|\bdead\b|funeral|passed\s+on|去世|过世|离世|已故|身故|病逝"
)
_MY_RELATIVE = rx(
    r"\bmy\s+(?:wife|husband|partner|mum|mom|mother|dad|father|son|daughter|child|kid|baby|brother|"
    r"sister)\b|我(?:的)?(?:老婆|老公|妈|爸|孩子|儿子|女儿)"
)
_THEIR_DEBT = rx(
    r"\b(?:his|hers|her|their|he|she|they)\b[^.?!]{0,40}\b(?:account|card|debt|loan|bill|name|estate)|"
    r"\b(?:account|card|debt|loan|bill)\b[^.?!]{0,30}\b(?:his|hers|her|theirs)\b|\bestate\b|"
    r"他的|她的|他借|她借|他欠|她欠|卡|账户|贷款|欠款"
)
_SENTENCE_BREAK = rx(r"[.!?。！？\n]")
_POLICE = rx(r"police|cops|报警|警察|公安|110")
_UNTIL_TAIL = rx(r"\b(?:until|till|til)\b[^.,;!?]*|直到.*")


def parse_reply(
    text: str,
    now: dt.datetime,
    balance: Decimal | None = None,
    currency: str | None = None,
    lang: str | None = None,
) -> Reply:
    """Read one customer reply.

    ``now`` is the customer's local time (tz-aware); dates are relative to its
    calendar day. ``balance`` resolves "in full"/"half"; ``currency`` GBP or EUR
    reads numeric dates day/month. ``lang`` ("en"/"zh") skips language detection.
    Never raises on any ``str`` input; time is linear in its length.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    folded = fold(text)
    t = folded.text
    if may_have_quotes(t):
        t = mask_quoted(t)
    if "\n" in t:
        t = mask_signature(t)
    lg = lang if lang in LEXICONS else detect_lang(t)
    lex = LEXICONS[lg]
    if isinstance(now, dt.datetime):
        today = now.date()
    elif isinstance(now, dt.date):
        today = now
    else:
        today = dt.date.today()
    ctx = context(today, (currency or "").upper() in _DAY_FIRST)
    return _Analysis(folded, t, lg, lex, ctx, balance).run()


class _Analysis:
    """State for one parse; methods are the steps of :func:`parse_reply`."""

    __slots__ = (
        "amount_starts",
        "amounts",
        "balance",
        "clause_starts",
        "clauses",
        "ctx",
        "cues",
        "date_starts",
        "dates",
        "folded",
        "hit_starts",
        "hits",
        "implicit_only",
        "lex",
        "lg",
        "spans",
        "t",
    )

    def __init__(
        self, folded: Folded, t: str, lg: str, lex: Lexicon, ctx: object, balance: Decimal | None
    ) -> None:
        self.folded = folded
        self.t = t
        self.lg = lg
        self.lex = lex
        self.ctx = ctx
        self.balance = balance
        # Keyed by intent value: hashing a plain str is much cheaper than an Enum member.
        self.cues: dict[str, tuple[int, int]] = {}
        self.spans: list[Span] = []
        self.implicit_only = False
        self.dates: list[DateHit] = []
        self.amounts: list[AmountHit] = []
        self.clauses: list[tuple[int, int]] = []
        # Sorted start offsets, for bisect lookups that keep long replies linear.
        self.date_starts: list[int] = []
        self.amount_starts: list[int] = []
        self.clause_starts: list[int] = []
        self.hit_starts: dict[str, list[int]] = {}
        self.hits: dict[str, list[tuple[int, int]]] = {}

    # ------------------------------------------------------------------ driver
    def run(self) -> Reply:
        t = self.t
        self.hits = hits = scan_gated(t, self.lg)
        opt = detect_opt_out(t, self.lg, hits)
        if opt is not None:
            self._span(opt[0], opt[1], "opt_out", None)
            if opt == (0, len(t)):  # the whole reply is an opt-out keyword ("STOP", "退订")
                self._span(0, len(t), "intent", Intent.STOP.value)
                return self._reply(Intent.STOP, True, (), 0.95)
        if not _CONTENT.search(t):
            return self._reply(Intent.STOP if opt else Intent.OTHER, opt is not None, (), 0.9)
        if opt is None and _ACK_ONLY.fullmatch(t):  # "ok", "thanks!", "好的，谢谢"
            return self._reply(Intent.OTHER, False, (), 0.9)
        self._find_top_cues()
        cues = self.cues
        top = next((v for v in _TOP if v in cues), None)
        if top is not None and "auto_reply" not in hits:
            # Legal, wrong party and dispute outrank everything a clause analysis could find.
            intent = _INTENT[top]
            present = [intent] + [
                _INTENT["promise_to_pay" if v == "promise" else v]
                for v in _RAW_OTHERS
                if v in hits or v in cues
            ]
            span = cues[top]
            self._span(span[0], span[1], "intent", top)
            return self._reply(
                intent, opt is not None, (), self._confidence(intent, present, False)
            )
        if self._may_promise():
            self.dates = find_dates(
                t,
                self.lg,
                self.ctx,  # type: ignore[arg-type]
                [s for s, _ in hits.get("date", ())] if self.lg == "zh" else None,
            )
            self.amounts = find_amounts(t, self.lg, self.dates, hits)
        self.date_starts = [d.start for d in self.dates]
        self.amount_starts = [a.start for a in self.amounts]
        self.clauses = self._split()
        self.clause_starts = [s for s, _ in self.clauses]
        scan_anchored(t, self.lg, hits, self.clause_starts)
        self.hit_starts = {k: [h[0] for h in v] for k, v in self.hits.items()}
        if "auto_reply" in self.hits:
            return self._reply(Intent.OTHER, opt is not None, (), 0.95)
        self._find_cues()
        promise_clauses = self._promise_clauses()
        promises: tuple[PromiseTerm, ...] = ()
        if promise_clauses:
            self.cues.setdefault("promise_to_pay", self.clauses[promise_clauses[0]])
        cues = self.cues
        present = [_INTENT[v] for v in _PRIORITY if v in cues]
        if present:
            intent = present[0]
        elif opt is not None:
            intent = Intent.STOP
        else:
            intent = Intent.OTHER
        if intent is Intent.PROMISE_TO_PAY:
            promises = self._instalments(promise_clauses)
        conf = self._confidence(intent, present, opt is not None)
        cue = self.cues.get(intent.value)
        if cue is not None:
            self._span(cue[0], cue[1], "intent", intent.value)
        return self._reply(intent, opt is not None, promises, conf)

    def _may_promise(self) -> bool:
        """Whether the reply could hold an offer at all (else dates and amounts are skipped)."""
        hits, t = self.hits, self.t
        if (
            any(c in hits for c in _OFFER_CUES)
            or _ANY_NUMBER.search(t)
            or _CLAUSE_PROMISE.search(t)
        ):
            return True
        if self.lg == "zh":
            return "date" in hits and _ZH_PAY_CHAR.search(t) is not None
        return _EN_NUMBER_WORD.search(t) is not None

    def _reply(
        self, intent: Intent, opt_out: bool, promises: tuple[PromiseTerm, ...], conf: float
    ) -> Reply:
        spans = tuple(sorted(self.spans, key=lambda s: (s.start, s.end)))
        return Reply(
            intent, opt_out, promises, self.lg, round(conf, 2), spans, self.folded.original
        )

    def _span(self, start: int, end: int, kind: str, value: str | None) -> None:
        s, e = self.folded.span(start, end)
        self.spans.append(Span(s, e, kind, value))

    # ------------------------------------------------------------------ clauses
    def _split(self) -> list[tuple[int, int]]:
        t = self.t
        items = sorted(
            [(d.start, d.end) for d in self.dates] + [(a.start, a.end) for a in self.amounts]
        )
        starts = [s for s, _ in items]
        out: list[tuple[int, int]] = []
        pos = 0
        for m in self.lex.clause_split.finditer(t):
            ms, me = m.span()
            k = bisect_right(starts, ms) - 1
            if k >= 0 and items[k][0] < me and ms < items[k][1]:
                continue  # a separator inside "1,240", "two hundred and fifty", "1.5万"
            word = m.group()[:1].isalpha() or "\u4e00" <= m.group()[:1] <= "\u9fff"
            if ms > pos:
                out.append((pos, ms))
            pos = ms if word else me
        if pos < len(t):
            out.append((pos, len(t)))
        return [c for c in out if t[c[0] : c[1]].strip()] or [(0, len(t))]

    def _clause_of(self, pos: int) -> tuple[int, int]:
        k = bisect_right(self.clause_starts, pos) - 1
        if k >= 0 and pos < self.clauses[k][1]:
            return self.clauses[k]
        return (pos, pos + 1)

    # ------------------------------------------------------------------ hits
    def _hits(self, cat: str, s: int = 0, e: int | None = None) -> list[tuple[int, int]]:
        """Hits of a category lying within ``[s, e)``."""
        found = self.hits.get(cat)
        if not found:
            return []
        end = len(self.t) if e is None else e
        if s == 0 and end >= len(self.t):
            return found
        starts = self.hit_starts[cat]
        lo = bisect_left(starts, s)
        hi = bisect_left(starts, end, lo)
        return [h for h in found[lo:hi] if h[1] <= end]

    def _blocked(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` has a cue that stops an amount and a date being an offer."""
        return any(self._hits(cat, s, e) for cat in _BLOCKING)

    def _first(self, cat: str, s: int = 0, e: int | None = None) -> tuple[int, int] | None:
        found = self._hits(cat, s, e)
        return found[0] if found else None

    # ------------------------------------------------------------------ cues
    def _find_top_cues(self) -> None:
        """Cues of the intents that outrank a promise: legal, wrong party, dispute."""
        t, lex, cues = self.t, self.lex, self.cues
        fraud: bool | None = None  # searched only when a legal cue names the police
        not_legal = self._hits("legal_not")
        for h in self._hits("legal"):
            if any(s <= h[0] < e for s, e in not_legal):
                continue
            if _POLICE.search(t, h[0], h[1]):
                if fraud is None:
                    fraud = lex.fraud.search(t) is not None
                if fraud:
                    continue
            cues["legal"] = h
            break
        if not_legal:
            cues.setdefault("hardship", not_legal[0])
        first = self._first("wrong_party")
        if first is None and self.lg == "en":
            first = self._name_cue()
        if (
            first is not None
            and (_DEATH.search(t, first[0], first[1]) or _MY_RELATIVE.search(t, 0, first[0]))
            and "hardship" in self.hits
            and not _THEIR_DEBT.search(t)
        ):
            # "my mum just died and I can't deal with this", "my wife is sick and I'm her
            # carer, money is tight": the customer's own hardship, not someone else answering.
            cues.setdefault("hardship", first)
            first = None
        if first is not None:
            cues["wrong_party"] = first
        first = self._first("dispute")
        if first is not None:
            cues["dispute"] = first

    def _find_cues(self) -> None:
        """Cues of the other intents (paid, hardship, refuse, callback, question)."""
        t, lex, cues = self.t, self.lex, self.cues
        self._paid_cue()
        first = self._first("hardship")
        if first is not None:
            cues.setdefault("hardship", first)
        first = self._first("refuse")
        if first is not None:
            cues["refuse"] = first
        neg = _ZH_CALL_NEG if self.lg == "zh" else _EN_CALL_NEG
        for h in self._hits("callback"):
            if self.lg == "zh" and _ZH_HOURS.match(t, h[1]):
                continue  # "你们客服几点下班": asks the hours
            cs = self._clause_of(h[0])[0]
            if neg.search(t[max(cs, h[0] - 16) : h[0]]):
                continue
            cues["callback"] = h
            break
        first = self._first("question")
        if first is not None:
            q = t[first[0] : first[1]]
            bare = (
                q == "?"
                and not lex.wh.search(t)
                and (
                    (self.lg == "en" and len(_WORD.findall(t)) < 2)
                    or (len(_WORD.findall(t)) <= 2 and "ack" in self.hits)
                )
            )
            if not bare:  # a lone "?" after "ok" or one word is not a question
                cues["question"] = first

    def _name_cue(self) -> tuple[int, int] | None:
        t = self.t
        if not ("not " in t or "no " in t or "know" in t or "who" in t or "live" in t):
            return None
        orig = self.folded.original
        mixed_case = orig != orig.lower() and orig != orig.upper()
        for m in _EN_NAME_CUES.finditer(self.t):
            name = m.lastgroup or ""
            word = m.group(name)
            if word in _NOT_NAMES or word.endswith(("ing", "ed", "ly", "'s")) or len(word) < 3:
                continue
            if mixed_case or name == "f":  # "Not Carlos." needs a capital; "not payin" is no name
                o = self.folded.span(m.start(name), m.start(name) + 1)[0]
                if o >= len(orig) or not orig[o].isupper():
                    continue
            return m.span()
        return None

    def _paid_cue(self) -> None:
        t, lex = self.t, self.lex
        for ms, me in self._hits("paid"):
            cs, ce = self._clause_of(ms)
            before = t[max(cs, ms - 16) : ms]
            if lex.negated_before.search(before):
                continue
            if self.lg == "en" and _CONDITION_BEFORE.search(t[cs:ms]):
                continue
            if self.lg == "zh":
                g = t[ms:me]
                if not _ZH_PAST_STRONG.match(g) and not (
                    (
                        g.endswith("的")
                        and not _ZH_FUTURE_BEFORE.search(t[cs:ms])
                        and not _DESIRE_ZH.search(t, cs, ms)
                    )
                    or _ZH_PAST_WORD.search(t, cs, ms)
                ):
                    clause_dates = self._clause_items(cs, ce)[0]
                    if any(d.kind in (DATE, VAGUE, EVENT) for d in clause_dates) and not any(
                        d.kind == PAST for d in clause_dates
                    ):
                        continue
                    if g.endswith("的") and _ZH_MODAL_END.search(t[max(cs, ms - 3) : ms]):
                        continue
                    if _ZH_FUTURE_BEFORE.search(t[cs:ms]) and any(
                        d.kind != PAST for d in clause_dates
                    ):
                        continue
            else:
                if _EN_NOT_PAID_BEFORE.search(before):
                    continue
            self.cues["paid"] = (ms, me)
            return

    # ------------------------------------------------------------------ promise
    def _clause_items(self, s: int, e: int) -> tuple[list[DateHit], list[AmountHit]]:
        ds, as_ = self.date_starts, self.amount_starts
        return (
            self.dates[bisect_left(ds, s) : bisect_left(ds, e)],
            self.amounts[bisect_left(as_, s) : bisect_left(as_, e)],
        )

    def _promise_clauses(self) -> list[int]:
        t = self.t
        chosen: list[int] = []
        kinds: dict[int, str] = {}
        # Only clauses with an amount, a date or a promise-like cue can promise.
        starts = [a.start for a in self.amounts] + [d.start for d in self.dates]
        for cat in ("promise", "offer_question", "time_request", "cant_until"):
            starts += self.hit_starts.get(cat, ())
        if self.lg == "zh" and self.dates:
            starts += [m.start() for m in _ZH_THEN.finditer(t)]
        cs = self.clause_starts
        candidates = sorted({bisect_right(cs, p) - 1 for p in starts} - {-1})
        relief_rx = _RELIEF_ZH if self.lg == "zh" else _RELIEF_EN
        for i in candidates:
            s, e = self.clauses[i]
            c = t[s:e]
            dates, amts = self._clause_items(s, e)
            stated = any(d.kind in (DATE, VAGUE, EVENT) for d in dates)
            concrete = any(d.kind == DATE for d in dates)
            past = any(d.kind == PAST for d in dates)
            kind = self._clause_promise(c, s, dates, amts, stated, past)
            if kind is None:
                continue
            if not concrete and (
                self._hits("uncertain", s, e) or (not amts and "uncertain" in self.hits)
            ):
                self.cues.setdefault("hardship", (s, e))
                continue
            if not amts and not concrete and kind != "offer" and relief_rx.search(t, s, e):
                # "can I get a little more time?", "能不能降低每月还款额": relief, nothing offered.
                self.cues.setdefault("hardship", (s, e))
                continue
            desire, cant = (_DESIRE_ZH, _CANT_NOW_ZH) if self.lg == "zh" else (_DESIRE, _CANT_NOW)
            if not amts and not concrete and desire.search(c) and cant.search(t, s):
                # "I want to pay but I can't right now": a wish, not an offer.
                self.cues.setdefault("hardship", (s, e))
                continue
            chosen.append(i)
            kinds[i] = kind
        if chosen:
            # Continuation clauses: "$75 today, $75 next week" after a promising clause.
            extra: set[int] = set()
            for i, (s, e) in enumerate(self.clauses):
                if i in kinds or (i - 1 not in kinds and i - 1 not in extra):
                    continue
                dates, amts = self._clause_items(s, e)
                if not amts:
                    continue
                if _SENTENCE_BREAK.search(t, self.clauses[i - 1][1], s):
                    continue  # a new sentence or line is not a continuation
                if any(d.kind == PAST for d in dates) or self._blocked(s, e):
                    continue
                if self._hits("uncertain", s, e):
                    continue
                extra.add(i)
            self._neighbour_clauses(chosen, extra)
            chosen = sorted(set(chosen) | extra)
            self.implicit_only = all(kinds.get(i) == "implicit" for i in chosen)
        elif self._short_offer():
            chosen = list(range(len(self.clauses)))
            self.implicit_only = True
        elif self._bare_amount():
            chosen = [0] if len(self.clauses) == 1 else list(range(len(self.clauses)))
            self.implicit_only = True
        return chosen

    def _neighbour_clauses(self, chosen: list[int], extra: set[int]) -> None:
        """Clauses that only complete a promising neighbour in the same sentence.

        "八百多，明天还" (an amount alone before a dated promise) and "500ish after xmas,
        say the 28th" (a day alone after a promise with no day).
        """
        t = self.t
        picked = set(chosen)  # membership per clause: a list made this quadratic
        for i in chosen:
            s, e = self.clauses[i]
            dates, amts = self._clause_items(s, e)
            if not amts and i > 0 and i - 1 not in picked:
                ps, pe = self.clauses[i - 1]
                pd, pa = self._clause_items(ps, pe)
                if (
                    len(pa) == 1
                    and pa[0].kind in (NUM, FULL, HALF)
                    and not pd
                    and not _SENTENCE_BREAK.search(t, pe, s)
                    and not self._blocked(ps, pe)
                    and not any(self._hits(c, ps, pe) for c in ("hardship", "question"))
                    and len(t[ps:pe].strip()) <= 12
                ):
                    extra.add(i - 1)
            if (
                amts
                and not any(d.kind == DATE for d in dates)
                and i + 1 < len(self.clauses)
                and i + 1 not in picked
            ):
                ns, ne = self.clauses[i + 1]
                nd, na = self._clause_items(ns, ne)
                if (
                    not na
                    and len(nd) == 1
                    and nd[0].kind == DATE
                    and not _SENTENCE_BREAK.search(t, e, ns)
                    and _SHORT_FILL.fullmatch(t[ns : nd[0].start]) is not None
                    and not t[nd[0].end : ne].strip(" .!,")
                ):
                    extra.add(i + 1)

    def _short_offer(self) -> bool:
        """A short Chinese reply of an amount and a day with a pay verb: "全额还款，下个月1号"."""
        if self.lg != "zh" or len(self.t) > 24 or len(self.clauses) > 3:
            return False
        if not self.amounts or not any(d.kind == DATE for d in self.dates):
            return False
        if any(d.kind == PAST for d in self.dates) or self._blocked(0, len(self.t)):
            return False
        if any(c in self.hits for c in ("hardship", "question", "uncertain", "cant_until")):
            return False
        return _ZH_PAY_CHAR.search(self.t) is not None

    def _bare_amount(self) -> bool:
        nums = [a for a in self.amounts if a.kind == NUM]
        if len(nums) != 1 or (self.dates and any(d.kind == PAST for d in self.dates)):
            return False
        a = nums[0]
        rest = self.t[: a.start] + " " + self.t[a.end :]
        return _BARE_AMOUNT_FILL.fullmatch(rest) is not None

    def _clause_promise(
        self, c: str, s: int, dates: list[DateHit], amts: list[AmountHit], stated: bool, past: bool
    ) -> str | None:
        lex = self.lex
        has_amount = bool(amts)
        zh = self.lg == "zh"
        e = s + len(c)
        question_form = zh and bool(
            self._hits("offer_question", s, e) or self._hits("question", s, e)
        )
        wh = lex.wh.search(c)
        for hs, he in self._hits("promise", s, e):
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
                if self._zh_clause_past(c, dates):
                    continue
                core = g.replace("能不能", "").replace("可不可以", "").replace("会不会", "")
                if "不" in core or "没" in core or "别" in core:
                    continue
            else:
                if wh and wh.start() < ms:
                    continue
                if _EN_THIRD.search(before):
                    continue
                if _EN_NEGATION.search(g) or "not " in g:
                    continue
                if _EN_RECEIPT.match(c, he - s) and not has_amount:
                    continue
                if past and not stated:
                    continue
                if self._hits("paid", s, e) and not _EN_FUTURE.search(c):
                    continue
                if g.startswith("if ") and not (has_amount or stated):
                    continue
            return "cue"
        if not zh:
            oq = self._first("offer_question", s, e)
            firm = has_amount or any(d.kind in (DATE, EVENT) for d in dates)
            if (
                oq
                and firm
                and not (wh and wh.start() < oq[0] - s)
                and not past
                and not _EN_LESS.search(c)
            ):
                return "offer"
            if self._hits("time_request", s, e) and (
                stated or (_DEFER.search(c) and _SPAN.search(c))
            ):
                return "offer"  # "can I defer it 2 months?": a span with no day
            cu = self._first("cant_until", s, e)
            if cu and any(d.kind in (DATE, VAGUE, EVENT) and d.start >= cu[1] - 8 for d in dates):
                return "offer"
        else:
            if self._hits("time_request", s, e) and stated:
                return "offer"
            if _ZH_THEN.search(c) and self._earlier_date(s) is not None:
                return "cue"
            if stated and not self._zh_clause_past(c, dates):
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
            if self._blocked(s, s + tail.start() if tail else e):
                return None
            if zh:
                if any(d.kind == DATE for d in dates):
                    return "implicit"
            elif stated or _OFFER_WORDS_EN.search(c):
                return "implicit"
        return None

    def _zh_clause_past(self, c: str, dates: list[DateHit]) -> bool:
        if _ZH_PAST_STRONG.search(c) and _ZH_ALREADY_PAID.search(c):
            return True
        de = _ZH_DE_PAST.search(c)
        if (de and not _ZH_FUTURE_BEFORE.search(c, 0, de.start())) or (
            _ZH_PAST_WORD.search(c) and _ZH_PAID_PARTICLE.search(c)
        ):
            return True  # "12月3号还的", "上个月就结清了"
        if any(d.kind == PAST for d in dates) and not any(d.kind in (DATE, VAGUE) for d in dates):
            return bool(_ZH_PAID_PARTICLE.search(c))
        return False

    # ------------------------------------------------------------------ instalments
    def _instalments(self, clause_idx: list[int]) -> tuple[PromiseTerm, ...]:
        rows: list[list[object]] = []  # [amount_hit, date_hit, clause_index]
        for i in clause_idx:
            s, e = self.clauses[i]
            dates, amts = self._clause_items(s, e)
            dates = [
                d
                for d in dates
                if d.kind != PAST
                and not _EXCLUDED_BEFORE.search(self.t, max(0, d.start - 14), d.start)
            ]
            ins = _INSTEAD.search(self.t, s, e)
            if ins is not None and (
                any(d.start < ins.start() for d in dates)
                or any(a.start < ins.start() for a in amts)
            ):
                # "200 saturday instead of the 300 on friday": what follows is not offered
                dates = [d for d in dates if d.start < ins.start()]
                amts = [a for a in amts if a.start < ins.start()]
            if any(a.kind == NUM for a in amts):
                amts = [a for a in amts if a.kind in (NUM, HALF)]
            items: list[DateHit | AmountHit] = sorted([*dates, *amts], key=lambda h: h.start)
            cur: list[object] = [None, None, i]
            for it in items:
                if isinstance(it, AmountHit):
                    prev_a = cur[0]
                    if (
                        isinstance(prev_a, AmountHit)
                        and prev_a.kind != NUM
                        and prev_a.kind == it.kind
                    ):
                        continue
                    if cur[0] is not None:
                        rows.append(cur)
                        cur = [None, None, i]
                    cur[0] = it
                else:
                    prev = cur[1]
                    if (
                        isinstance(prev, DateHit)
                        and prev.kind == it.kind
                        and prev.value == it.value
                    ):
                        continue
                    if isinstance(prev, DateHit):
                        if prev.kind != DATE and it.kind == DATE:
                            cur[1] = it
                            continue
                        if it.kind != DATE:
                            continue
                        rows.append(cur)
                        cur = [None, None, i]
                    cur[1] = it
            rows.append(cur)
        rows = self._merge_rows(rows)
        self._attach_event_date(rows, clause_idx)
        if any(isinstance(r[0], AmountHit) and r[0].kind == NUM for r in rows):
            rows = [
                r
                for r in rows
                if not (isinstance(r[0], AmountHit) and r[0].kind == FULL and not _concrete(r[1]))
            ]
        if len(rows) > 1:
            rows = [r for r in rows if r[0] is not None or _concrete(r[1])] or rows[:1]
        seen: set[tuple[object, object]] = set()
        terms: list[PromiseTerm] = []
        for a, d, _ in rows:
            amount = resolve(a, self.balance) if isinstance(a, AmountHit) else None
            date = d.value if isinstance(d, DateHit) and d.kind == DATE else None
            key = (amount, date)
            if key in seen and amount is None:
                continue
            seen.add(key)
            terms.append(PromiseTerm(amount, date))
            if isinstance(a, AmountHit):
                self._span(a.start, a.end, "amount", None if amount is None else f"{amount:.2f}")
            if isinstance(d, DateHit):
                self._span(d.start, d.end, "date", None if date is None else date.isoformat())
        if not terms:
            terms = [PromiseTerm(None, None)]
        if all(p.date is not None for p in terms):
            terms.sort(key=lambda p: p.date or dt.date.max)
        return tuple(terms)

    def _merge_rows(self, rows: list[list[object]]) -> list[list[object]]:
        out: list[list[object]] = []
        for r in rows:
            if r[0] is None and r[1] is None:
                out.append(r)
                continue
            if out:
                p = out[-1]
                if p[0] is None and p[1] is None:
                    out[-1] = r
                    continue
                if p[1] is None and p[0] is not None and r[0] is None and r[1] is not None:
                    p[1] = r[1]
                    continue
                if p[0] is not None and not _concrete(p[1]) and r[0] is None and _concrete(r[1]):
                    p[1] = r[1]  # "500ish after xmas, say the 28th"
                    continue
                if p[0] is None and p[1] is not None and r[0] is not None and r[1] is None:
                    p[0] = r[0]
                    continue
            out.append(r)
        return out or [[None, None, 0]]

    def _earlier_date(self, pos: int) -> DateHit | None:
        """The last concrete date before ``pos`` in the same sentence."""
        k = bisect_left(self.date_starts, pos)
        for d in reversed(self.dates[:k]):
            if d.kind == DATE and not _SENTENCE_BREAK.search(self.t, d.end, pos):
                return d
        return None

    def _attach_event_date(self, rows: list[list[object]], clause_idx: list[int]) -> None:
        """Give a dateless promise the date of an earlier pay-day clause ("I get paid the 25th")."""
        if len(rows) != 1 or _concrete(rows[0][1]):
            return
        first = clause_idx[0] if clause_idx else 0
        if clause_idx and self.lg == "zh":
            s, e = self.clauses[first]
            if _ZH_THEN.search(self.t, s, e):
                d = self._earlier_date(s)
                if d is not None:  # "下个月才有钱，到时候还": then = the stated time
                    rows[0][1] = d
                    return
        for s, e in self.clauses[:first]:
            dates = self._clause_items(s, e)[0]
            if any(d.kind == EVENT for d in dates):
                concrete = [d for d in dates if d.kind == DATE]
                if concrete:
                    rows[0][1] = concrete[0]
                    return

    # ------------------------------------------------------------------ confidence
    def _confidence(self, intent: Intent, present: list[Intent], opt: bool) -> float:
        t = self.t
        if intent is Intent.OTHER:
            words = len(_WORD.findall(t))
            if "ack" in self.hits and words <= 8:
                return 0.9
            if words <= 3:
                return 0.6
            return 0.3
        if intent is Intent.STOP:
            return 0.95
        conf = 0.9
        if intent is Intent.PROMISE_TO_PAY and self.implicit_only:
            conf = 0.75
        q = self.cues.get("question")
        if intent is Intent.QUESTION and q is not None and self.t[q[0] : q[1]] == "?":
            conf = 0.7
        others = [i for i in present if i is not intent]
        if len(others) >= 2:
            conf -= 0.2
        elif others:
            conf -= 0.1
        if len(t) > 600:
            conf -= 0.1
        return max(0.3, conf)


def _concrete(d: object) -> bool:
    return isinstance(d, DateHit) and d.kind == DATE


__all__ = ["parse_reply"]
