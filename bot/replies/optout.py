"""Opt-out detection (LABELING.md, "opt_out").

A reply opts out when the whole message is a keyword (STOP, UNSUBSCRIBE, 退订,
TD, N, ... in any case and with any punctuation), when a keyword stands as its
own sentence or clause ("STOP. I already paid", "已经还了，退订", "TD 谢谢"), or
when it asks to stop some or all contact ("stop texting me", "leave me alone",
"别再发了", "请停止催收"). A keyword inside another sentence ("I want to cancel my
card") is not an opt-out, nor is a preference that stops nothing ("text me
instead") or a redirect to a lawyer.

Every check is a single linear scan; nothing here truncates the input.
"""

from __future__ import annotations

from bot.replies.cue_scanner import Parts, Scanner
from bot.replies.regex_programs import rx

KEYWORDS_EN = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "unsub", "td"}
)
_FILLER = frozenset(
    {
        "please",
        "pls",
        "plz",
        "plse",
        "now",
        "thanks",
        "thank",
        "you",
        "thx",
        "ty",
        "all",
        "it",
        "me",
        "just",
        "ok",
        "okay",
        "asap",
        "immediately",
        "already",
        "again",
        "sms",
        "texts",
        "txt",
        "the",
    }
)

_TOKEN = rx(r"[a-z]+|[\u4e00-\u9fff]+")
_CLAUSE = rx(r"[.!?;:,\n。！？；：，、]+|(?<!\s)\s++-\s")
_WHOLE = rx(
    r"\W*(?:stop\s*all|stop|unsubscribe|cancel|end|quit|revoke|opt\s*-?\s*out|unsub|td|n|t\s*d|"
    r"退订|退訂|取消订阅|停止)\W*",
)
_KEY_ZH = rx(r"退订|退訂|取消订阅|(?<![a-z])td(?![a-z])")

_CONTACT_EN = (
    r"(?:text|texts|texting|txt|txts|txting|message|messages|messaging|msg|msgs|msging|call|calls|"
    r"calling|contact|contacting|email|emails|emailing|e-?mails?|e-?mailing|letter|letters|writing|write|"
    r"ring|ringing|phon(?:e|ing)|bother\w*|harr?ass\w*|hassl\w*|pester\w*|bug|bugging|spam\w*|hound\w*|"
    r"chas\w*|nag\w*|notifications?|reminders?|sms|voicemails?|robocalls?|communicat\w*|sending|send)"
)
_REQUEST_EN_SRC = (
    r"\b(?:stop|quit|cease|enough\s+with)\s+(?:it\b|(?:(?:all|any|the|these|those|your|ur|this|that|"
    r"with\s+the|all\s+the|all\s+these|all\s+this|trying\s+to|sending\s+me|sending)\s+){0,2}"
    + _CONTACT_EN
    + r"\w*(?:\s+(?:me|us)\b)?)"
    r"|\b(?:do\s+not|don'?t|dont|never|pls\s+don'?t|please\s+don'?t|do\s+not\s+ever)\s+(?:ever\s+)?"
    r"(?:text|txt|message|msg|call|contact|email|e-?mail|write|ring|phone|bother|harr?ass|reach\s+out)"
    r"\w*\s+(?:me|us|my|this|again|anymore|any\s+more|here|to|or)\b"
    r"|\b(?:do\s+not|don'?t|dont|never)\s+send\s+(?:me\s+)?(?:any\s+more|anymore|more|these|any|another|"
    r"further)?\s*(?:texts?|messages?|emails?|letters?|mail|sms|notifications?|reminders?)"
    r"|\bno\s+more\s+(?:texts?|messages?|calls?|emails?|contact|sms|msgs?|reminders?|letters?|"
    r"harr?ass\w*|notifications?)"
    r"|\bleave\s+(?:me|us)\s+(?:alone|be)\b|\bgo\s+away\b|\bfuck\s+off|\bf\s*off\b|\bpiss\s+off|\bget\s+lost"
    r"|\b(?:remove|delete|erase)\s+(?:me|my\s+(?:number|name|email|e-mail|details|info|information|phone|"
    r"contact\w*|address|cell|mobile|data))\b"
    r"|\btake\s+(?:me|my\s+(?:number|name|email|details|info))\s+off\b"
    r"|\bunsubscribe\b|\bunsub\b|\bopt\s*-?\s*(?:me\s+)?out\b|\bstop\s*all\b"
    r"|\b(?:lose|forget)\s+my\s+number\b"
    r"|\bcease\s+(?:all\s+)?(?:contact|communication)|\bcease\s+(?:and|&)\s+desist"
    r"|\b(?:don'?t|do\s+not|dont)\s+want\s+(?:any\s+(?:more\s+)?|these\s+|your\s+|more\s+|to\s+(?:receive|"
    r"get|hear)\s+(?:any\s+(?:more\s+)?|these\s+|your\s+)?|to\s+be\s+)?(?:texts?|messages?|calls?|emails?|"
    r"contact(?:ed)?|sms|reminders?|notifications?)"
    r"|\bnot\s+(?:to\s+)?(?:contact|text|call|email)\s+me\b"
    r"|\bremove\s+(?:this|the)\s+(?:number|phone\s+number|email(?:\s+address)?|address)\b"
    r"|\bremove\s+(?:it|this|me|my\s+\w+(?:\s+\w+)?)\s+from\s+your\s+(?:system|list|records|database|"
    r"mailing\s+list|contacts)"
)
#: English requests to stop contact, for the reply scanner (category "optout").
REQUEST_EN: Parts = (_REQUEST_EN_SRC,)
_standalone: list[Scanner] = []


def _request_hits(text: str) -> list[tuple[int, int]]:
    if not _standalone:
        _standalone.append(Scanner([("optout", REQUEST_EN)]))
    found: dict[str, list[tuple[int, int]]] = {}
    _standalone[0].scan_gated(text, found)
    return found.get("optout", [])


# "stop" opening or closing a message without punctuation: "wrong number stop", "stop i paid".
_EDGE_STOP = rx(
    r"^\W*(?P<k>stop|unsubscribe|stopall)\s+(?!(?:the|your|these|this|that|charging|adding|taking|my|"
    r"all|any|with|by|at|in|on|to|being|it\s+from|interest|fees?|payments?)\b)[a-z]"
    r"|(?<!can't\s)(?<!cant\s)(?<!won't\s)(?<!wont\s)(?<!don't\s)(?<!dont\s)(?<!not\s)(?<!never\s)"
    r"(?<!to\s)(?<!will\s)(?<!'ll\s)(?<!gonna\s)(?<!full\s)(?<!bus\s)(?<!a\s)(?<!the\s)(?<!no\s)"
    r"(?<!cannot\s)(?<!didn't\s)(?<!would\s)(?<!pls\s)(?<!please\s)(?<=\s)(?P<k2>stop|unsubscribe|stopall)\W*$"
)
_KEY_ANY = rx(
    r"(?<![a-z0-9_])(?:stop|stopall|unsubscribe|cancel|end|quit|revoke|optout|unsub|td)(?![a-z0-9])|退订|退訂"
)

_REQUEST_ZH = rx(
    r"(?:不要|别|不用|甭|勿|请勿|不许|不准|禁止|停止|少)(?:再|一直|老是|总是|天天|老)?(?:给我|跟我|对我)?"
    r"(?:打|发|联系|催|烦|骚扰|找|"
    r"来电|打扰|短信|电话|信息|消息|通知)"
    r"|(?:短信|电话|信息|消息|通知)(?:就|也)?(?:不要|别)(?:再)?(?:发|打)"
    r"|停止(?:催收|催款|联系|发送|骚扰|打电话|发短信|发信息)"
    r"|拉黑|(?:删|删除)(?:掉)?我的(?:号码|手机号|电话|信息|资料)|不想再?收到|不需要(?:再)?(?:发|打|联系)"
    r"|请勿打扰|免打扰|勿扰|滚"
)


def _keyword_clause(piece: str) -> bool:
    toks = _TOKEN.findall(piece)
    if not toks:
        return False
    has_key = False
    for t in toks:
        if t in KEYWORDS_EN or t in ("退订", "退訂"):
            has_key = True
        elif t not in _FILLER and t not in ("谢谢", "谢谢你", "请", "谢了"):
            return False
    return has_key


def detect_opt_out(
    text: str, lang: str, hits: dict[str, list[tuple[int, int]]] | None = None
) -> tuple[int, int] | None:
    """Span of the opt-out cue in folded ``text``, or ``None`` if it does not opt out.

    ``hits`` are the reply scanner's hits when the parser already has them.
    """
    if _WHOLE.fullmatch(text):
        return 0, len(text)
    m = _REQUEST_ZH.search(text) if lang == "zh" else None
    if m:
        return m.span()
    m = _KEY_ZH.search(text) if lang == "zh" else None
    if m:
        return m.span()
    requests = _request_hits(text) if hits is None else hits.get("optout")
    if requests:
        return min(requests)
    if not _KEY_ANY.search(text):
        return None
    m = _EDGE_STOP.search(text)
    if m:
        return m.span(m.lastgroup or 0)
    pos = 0
    for sep in _CLAUSE.finditer(text):
        if _keyword_clause(text[pos : sep.start()]):
            return pos, sep.start()
        pos = sep.end()
    if _keyword_clause(text[pos:]):
        return pos, len(text)
    return None


# ---------------------------------------------------------------- scope (LABELING.md)
_ALL = rx(
    r"\bat\s+all\b|\bleave\s+(?:me|us)\s+(?:alone|be)\b|\b(?:remove|take)\s+me\s+(?:off|from)\b"
    r"|\bcease\b|\bstop\s*all\b|\bcontact(?:ing|ed)?\s+(?:me|us)\b|\bany\s+(?:more\s+)?contact\b"
    r"|\bno\s+more\s+contact\b|\bgo\s+away\b"
    r"|(?:不要|别|不用|勿|停止)(?:再)?(?:联系|催收|催款|骚扰)|请勿打扰|免打扰|勿扰"
)
_SMS = rx(r"\b(?:text(?:s|ing|ed)?|txts?|txting|sms)\b|短信")
_EMAIL = rx(r"\be-?mail(?:s|ing|ed)?\b|邮件|邮箱")
_CHAT = rx(r"\b(?:telegram|chats?)\b|聊天")
#: calls: named to stop them ("stop calling my work", "别打电话"), not asked for
#: ("call me instead", "打电话给我")
_CALLS = rx(r"\b(?:calls?|calling|called|phoning|voicemails?|robocalls?)\b"
            r"(?!\s+(?:me|us)\s+(?:instead|at|on|back|later|tomorrow|tmrw)\b)"
            r"|\bring(?:ing)?\s+me\b"
            r"|(?:不要|别|停止|不用|勿|甭)(?:再)?(?:给我|跟我|对我)?打?电话|电话(?:也|就)?(?:不要|别)(?:再)?打")


def opt_out_scope(text: str) -> tuple[str, ...]:
    """Which media an opt-out in folded ``text`` stops: ``("all",)`` for contact of any
    kind (and a cease request), the media it names, else ``("this",)``."""
    if _ALL.search(text):
        return ("all",)
    named = tuple(name for name, program in (("sms", _SMS), ("email", _EMAIL),
                                              ("chat", _CHAT), ("calls", _CALLS))
                  if program.search(text))
    return named or ("this",)
