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

import re

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
_KEY_ZH = rx(
    r"退订|退訂|取消订阅|(?<![a-z])td(?![a-z])|"
    r"^\W*n\W*(?=[，,。 ]\W*(?:谢谢|谢了|多谢|thx|thanks)\W*$)"
)

_CONTACT_EN = (
    r"(?:text|texts|texting|txt|txts|txting|message|messages|messaging|msg|msgs|msging|call|calls|"
    r"calling|contact|contacting|email|emails|emailing|e-?mails?|e-?mailing|letter|letters|writing|write|"
    r"ring|ringing|(?:tele)?phon(?:e|es|ing)|bother\w*|harr?ass\w*|hassl\w*|pester\w*|bug|bugging|spam\w*|hound\w*|"
    r"chas\w*|nag\w*|notifications?|reminders?|sms|voicemails?|robocalls?|communicat\w*|sending|send|"
    r"disturb\w*|whatsapp\w*|wechat\w*|telegram\w*|dm|dms|dming|emailing)"
)
_REQUEST_EN_SRC = (
    r"\b(?:stop|quit|cease|enough\s+with)\s+(?:it\b|(?:(?:all|any|the|these|those|your|ur|this|that|both|"
    r"with\s+the|all\s+the|all\s+these|all\s+this|trying\s+to|sending\s+me|sending)\s+){0,2}"
    + _CONTACT_EN
    + r"\w*(?:\s+(?:me|us)\b)?)"
    r"|\b(?:do\s+not|don'?t|dont|never|pls\s+don'?t|please\s+don'?t|do\s+not\s+ever)\s+(?:ever\s+)?"
    r"(?:anyhow\s+|even\s+|bother\s+to\s+)?"
    r"(?:text|txt|message|msg|call|contact|email|e-?mail|write|ring|(?:tele)?phone|bother|harr?ass|reach\s+out|"
    r"whatsapp|wechat|telegram|dm|send\s+me)"
    r"\w*(?:\s+(?:me|us|my|her|him|them|this|again|anymore|any\s+more|here|to|or|message|messages|don'?t|dont|"
    r"and|nor)\b|\s*(?:[,.!;]|$))"
    r"|\bleft\s+alone\b|\bleave\s+(?:me|us)\s+(?:the\s+\w+\s+)?alone\b|\bsod\s+off\b"
    r"|\b(?:take|remove)\s+(?:this|my|the)\s+(?:number|address|email(?:\s+address)?|phone)\s+off\b"
    r"|\b(?:take|get)\s+(?:this|my)\s+(?:number|address|email(?:\s+address)?)\s+(?:off|out\s+of)\b"
    r"|\blose\s+(?:this|my)\s+number\b"
    r"|\b(?:please|pls|plz)\s+remove(?:\s+(?:me|us|this\s+number|my\s+number))?\W*$"
    r"|\b(?:cease|stop|discontinue)\s+(?:all\s+|any\s+)?(?:further\s+)?(?:contact|communication|calls|"
    r"collection|correspondence|letters|emails|texts|messages)"
    r"|\brefrain\s+from\s+(?:any\s+(?:further\s+)?)?(?:contact\w*|call\w*|text\w*|email\w*|e-mail\w*|writ\w*|"
    r"messag\w*|telephon\w*|phon\w*|communicat\w*|sending)"
    r"|\b(?:directed|required|requested?)\s+to\s+(?:cease|stop)\b"
    r"|\bno\s+further\s+(?:contact|communication|collection|calls|correspondence|letters|emails|texts|"
    r"messages)"
    r"|\b(?:do\s+not|don'?t|dont|never)\s+send\s+(?:me\s+)?(?:any\s+more|anymore|more|these|any|another|"
    r"further)?\s*(?:texts?|messages?|emails?|letters?|mail|sms|notifications?|reminders?)"
    r"|\bno\s+more\s+(?:phone\s+|text\s+|email\s+)?(?:texts?|messages?|calls?|emails?|contact|sms|msgs?|"
    r"reminders?|letters?|"
    r"harr?ass\w*|notifications?)"
    r"|\bleave\s+(?:me|us)\s+(?:alone|be)\b|\bgo\s+away\b|\bfuck\s+off|\bf\s*off\b|\bpiss\s+off|\bget\s+lost"
    r"|\b(?:remove|delete|erase)\s+(?:me|my\s+(?:number|name|email|e-mail|details|info|information|phone|"
    r"contact\w*|address|cell|mobile|data))\b"
    r"(?!\s+(?:as\s+(?:a\s+)?(?:joint|co-?|account|guarantor)|from\s+(?:the|this|our|my)\s+(?:joint\s+)?"
    r"(?:account|loan|card|agreement|policy|mortgage)))"
    r"|\btake\s+(?:me|my\s+(?:number|name|email|details|info))\s+off\b"
    # ... but not "unsubscribe from the rewards newsletter", "stop all the charges"
    r"|\bunsubscribe\b(?!\s+(?:me\s+)?from\s+(?:the|a|an|my)\s+(?!(?:texts?|messages?|e-?mails?|reminders?|sms|"
    r"calls?|list|mailing\s+list|contact\w*)\b))|\bunsub\b|\bopt\s*-?\s*(?:me\s+)?out\b"
    r"|\bstop\s*all\b(?!\s+(?:the\s+|these\s+|my\s+|of\s+the\s+)?(?:\w+\s+)?(?:charg|fees?\b|interest|payment|debit|"
    r"deduction|transaction|direct|auto|standing)\w*)"
    r"|\b(?:lose|forget)\s+my\s+number\b"
    r"|\bcease\s+(?:all\s+)?(?:contact|communication)|\bcease\s+(?:and|&)\s+desist"
    r"|\b(?:don'?t|do\s+not|dont)\s+want\s+(?:any\s+(?:more\s+)?(?:of\s+(?:these|your|this)\s+)?|these\s+|your\s+|more\s+|to\s+(?:receive|"
    r"get|hear)\s+(?:any\s+(?:more\s+)?|these\s+|your\s+)?|to\s+be\s+)?(?:texts?|messages?|calls?|emails?|"
    r"contact(?:ed)?|sms|reminders?|notifications?)"
    r"|\bnot\s+(?:to\s+)?(?:contact|text|call|email)\s+me\b"
    r"|\b(?:do\s+not|don'?t|dont)\s+(?:directly\s+)?(?:contact|call|email|write\s+to)\s+(?:our|my)\s+client"
    r"|\bremove\s+(?:this|the)\s+(?:number|phone\s+number|email(?:\s+address)?|address)\b"
    r"|\bremove\s+(?:it|this|me|my\s+\w+(?:\s+\w+)?)\s+from\s+your\s+(?:system|list|records|database|"
    r"mailing\s+list|contacts)"
    # one medium named alone ("no calls please"), also for a time ("no texts after 8pm",
    # "no contact until the 20th": stopping some contact is an opt-out)
    r"|\bno\s+(?:more\s+)?(?:calls|texts|emails|e-mails|messages|msgs|contact|voicemails|reminders)\b"
    # slang and profanity: "quit blowing up my phone", "stfu", "bugger off"
    r"|\b(?:blow\w*|light\w*)\s+up\s+my\s+(?:phone|cell|inbox|mobile|email)"
    r"|\bstfu\b|\b(?:bugger|bog|shove|naff|frig|frick|eff)\s+off\b|\bf\W{1,4}k\s+off\b"
    r"|\bwast\w*\s+(?:your|ur|yer)\s+time\s+(?:text|call|email|messag|contact|writ)\w*"
    r"|\b(?:don'?t|do\s+not|dont|never)\s+(?:ever\s+)?want\s+to\s+hear\s+from\s+(?:you|u|ya|y'all)"
    # formal and third-person forms: consent withdrawn, "these messages stopped", "take her off"
    r"|\b(?:withdraw\w*|revok\w*)\s+(?:my\s+|our\s+|all\s+)?consent\b"
    r"|\b(?:these|the|your|such)\s+(?:messages|texts|calls|emails|letters|reminders)\s+"
    r"(?:stopped|ceased|to\s+stop|to\s+cease|would\s+stop|must\s+stop|stop\b)"
    r"|\b(?:take|remove)\s+(?:him|her|them|it)\s+off\s+(?:your|ur|the)\s+(?:list|system|records|database)"
    r"|\b(?:please|pls|plz|kindly)\s+remove\s+(?:it|her|him|them)\b"
    r"|(?:^|[,.;!]\s*)(?:pls\s+|please\s+|plz\s+|just\s+|so\s+)?remove\s+(?:it|me|this)\W*$"
    r"|\bpack\s+it\s+in\s+with\s+(?:the\s+|your\s+|ur\s+|all\s+the\s+)?" + _CONTACT_EN
    # formal verbs of stopping: "kindly desist from messaging me", "halt all communications",
    # "pause all reminders for 2 weeks", "hold off on messages till Friday"
    + r"|\b(?:desist|discontinue|halt|suspend|pause|hold\s+off)\s+(?:from\s+|on\s+)?"
    r"(?:(?:all|any|these|those|the|your|further|sending|such|me)\s+){0,2}"
    r"(?:messag\w*|text\w*|e-?mail\w*|calls?|calling|communicat\w*|contact\w*|correspondence|reminders?|"
    r"notifications?)"
    # "can you guys stop?", "you can stop now", "you people need to stop."
    r"|\b(?:can|could|will|would)\s+(?:you|u|ya)(?:\s+(?:guys|people|lot|all))?\s+(?:please\s+|pls\s+|just\s+)?"
    r"stop\s*(?:now\s*)?(?:[?.!,]|$)"
    r"|\b(?:you|u)(?:\s+(?:guys|people|lot|all))?\s+(?:can|need\s+to|have\s+to|must|should|gotta)\s+(?:just\s+)?"
    r"stop\s*(?:now\s*)?(?:[?.!,]|$)"
    # "I asked you to stop last week", "told u 3 times to stop"
    r"|\b(?:asked|told)\s+(?:you|u|ya|y'all)?\s*(?:\w+\s+){0,3}?to\s+stop\b"
    r"|\benough\s+already\s+with\b|\bgive\s+it\s+a\s+rest\b"
    r"|\bleft\s+(?:me|us)\s+alone\b|^\W{0,8}(?:please\s+|pls\s+)?block\s+(?:this|my)\s+number\b"
    r"|\b(?:do\s+not|don'?t|dont)\s+send\s+(?:me\s+)?anything\b"
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
    r"all|any|with|by|at|in|on|to|being|it\s+from|interest|fees?|payments?|paying|pretending|press|stressing|"
    r"debit|direct|cheque|check|auto\w*|standing|worrying|whining|lying)\b)[a-z]"
    r"|(?<!can't\s)(?<!cant\s)(?<!won't\s)(?<!wont\s)(?<!don't\s)(?<!dont\s)(?<!not\s)(?<!never\s)"
    r"(?<!to\s)(?<!will\s)(?<!'ll\s)(?<!gonna\s)(?<!full\s)(?<!bus\s)(?<!a\s)(?<!the\s)(?<!no\s)"
    r"(?<!cannot\s)(?<!didn't\s)(?<!would\s)(?<!pls\s)(?<!please\s)(?<=\s)(?P<k2>stop|unsubscribe|stopall)\W*$"
)
_KEY_ANY = rx(
    r"(?<![a-z0-9_])(?:stop|stopall|unsubscribe|cancel|end|quit|revoke|optout|unsub|td)(?![a-z0-9])|退订|退訂"
)

_REQUEST_ZH = rx(
    r"(?:不要|别|不用|甭|勿|请勿|不许|不准|禁止|停止|暂停|(?<!多)少|咪)(?:要)?(?:再|一直|老是|总是|天天|老|来)?"
    r"(?:让\S{1,4}?)?(?:以任何(?:形式|方式)|通过任何\S{0,4}?方式)?"
    r"(?:在(?:微信|电报|qq|tg|telegram|whatsapp|wechat|短信|邮件|邮箱|电话|app|网上)\S{0,2}?上?)?"
    r"(?:(?:给|跟|对|往|向)(?:我|他|她|我们|我家人?|我的家人|本人)\S{0,4}?)?(?:再)?(?:直接)?"
    r"(?:打|发|传|联(?:系|络)|催|烦|骚扰|找|轰炸|来电|致电|致函|拨打|打扰|短信|电话|信息|消息|通知|send|call|text)"
    r"|(?:停止|暂停)(?:一切|所有|任何)?(?:对\S{1,12}?的)?(?:催收|催款|联(?:系|络)|骚扰)|停催|停止以任何方式联(?:系|络)"
    r"|(?:停止|不要|别|请勿)(?:再)?(?:以任何(?:形式|方式))?(?:直接)?(?:与|和|跟)(?:本人|我|我们|我家人?)(?:进行)?(?:任何)?联(?:系|络)"
    r"|请勿(?:再)?(?:以任何方式)?(?:直接)?联(?:系|络)|拒收"
    r"|[把将](?:我的?|本人的?|这个|此)?(?:号码|手机号?|电话|邮箱|信息|资料|名字)?\S{0,20}?(?:删|移除)"
    r"|(?:短信|电话|信息|消息|通知)(?:就|也)?(?:不要|别)(?:再)?(?:发|打)"
    r"|停止(?:上述|这种|此类|这些|该|相关|一切|所有)?(?:的)?(?:催收|催款|联(?:系|络)|发送|骚扰|打电话|发短信|发信息)"
    r"|(?<!已|经)拉黑(?!了)|(?:删|删除)(?:掉|了)?(?:我|本人)的?(?:号码|手机号?|电话|信息|资料|联(?:系|络)方式)|"
    r"(?:删除|删掉|删了|移除)(?:这个|此|该|这)(?:号码|手机号?|电话)|不想再?收到|不需要(?:再)?(?:发|打|联(?:系|络))"
    r"|请勿打扰|免打扰|勿扰|滚"
    # weariness that asks for quiet: "消停点行不", "能不能歇会儿", "求放过", "闭嘴吧", "别逼我了",
    # "不用再提醒", "停止提醒", "唔使再提", "天天发烦死了"; one medium refused: "别在微信上说"
    r"|消停|歇会|歇一下|求放过|放过我吧|闭嘴|别逼我|不用再?提醒|停止(?:还款)?提醒|关闭\S{0,4}提醒|唔使再"
    r"|(?:发|打|催|短信|电话|消息)[^。！？!?]{0,8}烦死|烦死[^。！？!?]{0,8}(?:发|打|催|短信|电话|消息)"
    r"|别(?:在|用)\S{0,6}?(?:上)?(?:说|发|聊|找)"
)


# A threat conditioned on more contact asks to stop it (LABELING.md: scope all). The
# threat itself is a lookahead: the cue is the contact ("再打我"), not the whole reply.
_THREAT_EN = rx(
    r"\b(?:(?:keep|continue|carry\s+on)\s+(?:harr?ass|call|text|contact|bother|messag|ring|email|chas|hound)\w*"
    r"(?:\s+(?:me|us|my\s+\w+))?"
    r"|(?:text|call|contact|email|e-mail|message|ring|phone|harr?ass|bother|hound|chase|write)\w*\s+"
    r"(?:me|us|my\s+\w+(?:'s\s+\w+)?|her|him|them|this\s+number)(?:\s+\w+){0,3}?\s+"
    r"(?:again|one\s+more\s+time|once\s+more)"
    r"|(?:one\s+more|1\s+more|next|another)\s+(?:call|text|message|email|letter|time)"
    r"|(?:any|one)\s+(?:more|further)\s+(?:contact|calls?|texts?|messages?|e-?mails?|letters?)\s+and\b"
    r"|(?:if|next\s+time)\s+(?:you|u|this|it|anyone|i\s+get)\b[^.!?\n]{0,50}?"
    r"(?:again|continues?|happens|one\s+more))"
    r"(?=\b[^.!?\n]{0,70}?\b(?:report\w*|police|cops|sue|suing|court|cfpb|fca|ftc|ombudsman|complain\w*|"
    r"lawyer|attorney|regulator|solicitor|bbb|ombudsman|attorney\s+general))"
    r"|\b(?:report\w*|police|cops|sue|court|complain\w*)\b[^.!?\n]{0,60}?\b(?:if|when)\s+(?:you|u|they)\s+"
    r"(?:keep|continue|carry\s+on|call|text|contact|ring|message|email|harr?ass|bother)\w*"
    r"|\b(?:police|cops|court|report\w*)\b[^.!?\n]{0,30}?\bif\s+(?:this|it|these\s+\w+)\s+"
    r"(?:continues?|keeps?\s+(?:up|going|happening)|goes\s+on|happens\s+again|carr(?:y|ies)\s+on)"
    r"|\bfurther\s+(?:collection\s+)?(?:attempts|contact|calls|communication)\b[^.!?\n]{0,40}?\breported"
)
_THREAT_ZH = rx(
    r"(?:再|还)(?:敢|要)?(?:发|打|骚扰|烦|联系|催|上门|给我|给我家|这样(?=\S{0,3}(?:骚扰|打|发|催))|来|找)"
    r"(?=[^。！？!?\n]{0,24}?(?:报警|投诉|举报|起诉|告你|法院|12315|12345(?![0-9])|12378|拉黑|试试|打110))"
)


# Words every threat has (a cheap test before the threat patterns).
_THREAT_WORDS_EN = (
    "again", "more", "next", "another", "if ", "when", "contin", "happen", "further", "keep",
    "carry on",
)
_THREAT_WORDS_ZH = (
    "报警", "投诉", "举报", "起诉", "告你", "法院", "12315", "12345", "12378", "拉黑", "试试", "110"
)


def _threat(text: str, lang: str) -> re.Match[str] | None:
    """The first threat conditioned on more contact in ``text``, if any."""
    if lang == "zh":
        if any(w in text for w in _THREAT_WORDS_ZH):
            return _THREAT_ZH.search(text)
        return None
    if any(w in text for w in _THREAT_WORDS_EN):
        return _THREAT_EN.search(text)
    return None


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
    m = _threat(text, lang)
    if m:
        return m.span()
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


# ------------------------------------------------------------------ scope
_SCOPE_EN = (
    ("sms", rx(r"\b(?:texts?|texting|texted|txts?|txting|sms|text\s+messages?)\b")),
    ("email", rx(r"\be-?mail\w*")),
    ("chat", rx(r"\b(?:whatsapp\w*|wechat\w*|telegram\w*|chat|dms?|dming|messenger|signal)\b")),
    (
        "calls",
        rx(
            r"\b(?:call\w*|ring(?:ing)?|(?:tele)?phoning|phone\s+calls?|voicemails?|robocalls?|"
            r"by\s+(?:tele)?phone|(?:tele)?phone\s+(?:me|us))\b"
        ),
    ),
)
_SCOPE_ZH = (
    ("sms", rx(r"短信|sms|text")),
    ("email", rx(r"邮件|邮箱|e-?mail")),
    ("chat", rx(r"微信|电报|tg|telegram|whatsapp|wechat|qq|私信|app上")),
    ("calls", rx(r"电话|来电|打(?!扰|款|钱|过去)|call|拨打")),
)
# Contact of any kind: "don't contact me", "leave me alone", "stop harassing me",
# "remove me from your list", "别烦我", "别催了", "不要再联系我".
_ALL_EN = rx(
    r"\b(?:contact\w*|alone|be\b|harr?ass\w*|hound\w*|chas\w*|disturb\w*|bother\w*|pester\w*|"
    r"communicat\w*|cease|collection|list|further|off|away|lost|hell|reach\s+out|remove\s+me|"
    r"take\s+me|hear\s+from)\b"
)
_ALL_ZH = rx(
    r"联系|烦|催(?!收(?:短信|信息|邮件|消息))|骚扰|打扰|勿扰|免打扰|找|名单|列表|拉黑|滚|一切|任何"
)
# A removal of the address the reply came from ("remove this number", "把号码删了"), and
# "these messages": the address the reply came from.
_THIS_ADDRESS = rx(
    r"\b(?:remove|delete|take|lose|erase)\b[^.!?]{0,30}?\b(?:number|address|cell|mobile)\b|"
    r"(?:号码|手机号?|电话)\S{0,12}?[删移]|[删移]\S{0,3}(?:号码|手机)|\b(?:these|this)\s+(?:messages?|texts?|reminders?|notifications?)\b"
)
_THIS_NUMBER = rx(r"\bthis\s+(?:number|address|email|phone|mobile)\b|这个号码?|此号")
# Where the words of one request end: a new clause ("..., just call me", "，有事发邮件").
_CLAUSE_END = rx(
    r"[.!?;\n。！？；,，、]|\s(?:but|just|instead|only|use|and\s+(?:give|just|use|call\s+me|email\s+me|"
    r"text\s+me))\b"
)


def _cue_spans(text: str, lang: str, hits: dict[str, list[tuple[int, int]]] | None) -> list[
    tuple[int, int, bool]
]:
    """Every opt-out cue in ``text``: (start, end, whether it is a threat)."""
    spans: list[tuple[int, int, bool]] = []
    if lang == "zh":
        spans += [(m.start(), m.end(), False) for m in _REQUEST_ZH.finditer(text)]
    requests = _request_hits(text) if hits is None else hits.get("optout", [])
    spans += [(s, e, False) for s, e in requests]
    if _threat(text, lang) is not None:
        threats = _THREAT_ZH if lang == "zh" else _THREAT_EN
        spans += [(m.start(), m.end(), True) for m in threats.finditer(text)]
    return sorted(spans)


def opt_out_scope(
    text: str, lang: str, hits: dict[str, list[tuple[int, int]]] | None = None
) -> tuple[str, ...]:
    """The media an opting-out reply asks to stop (LABELING.md "opt_out_scope"), in
    :data:`~bot.replies.model.OPT_OUT_SCOPES` order.

    Each opt-out cue is read to the end of its clause: a medium named there is stopped
    ("stop calling my work", "别发短信了"); words of contact in general, a threat or a
    request to be left alone stop all contact; a bare keyword or "stop sending these"
    stops this address. ``all`` stands alone. Call only for a reply that opts out.
    """
    if _WHOLE.fullmatch(text):
        return ("this",)
    media, every = (_SCOPE_ZH, _ALL_ZH) if lang == "zh" else (_SCOPE_EN, _ALL_EN)
    found: set[str] = set()
    for s, e, threat in _cue_spans(text, lang, hits):
        if threat:
            return ("all",)
        e = s + len(text[s:e].rstrip(",.!;， "))  # "don't call, text is fine": the comma ends it
        end = _CLAUSE_END.search(text, e)
        region = text[s : min(end.start() if end else len(text), e + (6 if lang == "zh" else 40))]
        named = {name for name, pattern in media if pattern.search(region)}
        if _THIS_ADDRESS.search(region) and "email" not in named:
            found.add("this")  # "remove this number", "stop these reminders"
        elif named:
            found |= named
        elif _THIS_NUMBER.search(region):
            found.add("this")  # "stop contacting this number"
        elif every.search(region):
            found.add("all")
        else:
            found.add("this")
    if "all" in found or not found:
        return ("all",) if found else ("this",)
    return tuple(x for x in ("this", "sms", "email", "chat", "calls") if x in found)
