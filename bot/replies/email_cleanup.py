"""Strip quoted history and signatures from e-mail replies before parsing.

``clean_email_reply`` keeps only what the customer wrote: it converts an HTML
part to text (html2text), lets mail-parser-reply split off the quoted reply
chain, then applies rules for the shapes that library misses, notably the
Chinese clients: "在 … 写道：" headers (Apple Mail, 163), "原始邮件" separators and
"发件人/发送时间" blocks (QQ Mail, Outlook in Chinese), "Sent from my iPhone" /
"发自我的iPhone" tails and "-- " signatures. Both libraries are imported lazily so
that ``bot.replies`` stays import-light for ``duebot parse``.

``mask_quoted`` is the stdlib-only subset the parser applies to any reply: it
blanks quoted parts with spaces so that offsets into the text stay valid.
"""

from __future__ import annotations

import re

from bot.replies.regex_programs import rx

_HEADER_LINES = (
    # Gmail / Apple Mail / Thunderbird: "On Mon, 7 Dec 2026 at 10:00, Duebot <x@y> wrote:"
    r"^[ \t>]*on\b[^\n]{0,250}(?:\n[^\n]{0,250}){0,2}?\bwrote\s*:",
    # Apple Mail / 163 / QQ in Chinese: "在 2026年12月7日，上午10:00，Duebot <x@y> 写道："
    r"^[ \t>]*在[^\n]{0,250}(?:\n[^\n]{0,250}){0,2}?写道\s*[:：]?",
    r"^[ \t>]*(?:le|am|el|il|op)\b[^\n]{0,250}(?:schrieb|a écrit|escribió|ha scritto|schreef)\s*:",
    # Outlook / QQ separators
    r"^[ \t>]*-{2,}[ \t\u00a0]*(?:original\s+message|原始邮件|回复的原邮件|forwarded\s+message|"
    r"转发的邮件|邮件原文)[ \t\u00a0]*-{2,}",
    r"^[ \t]*_{8,}[ \t]*$",
    # Outlook header block: "From: …" followed within a few lines by "Sent:"/"Date:"/"To:"
    r"^[ \t*>]*(?:from|发件人|寄件者)[ \t*]*[:：][^\n]*\n(?:[^\n]*\n){0,3}?[ \t*>]*"
    r"(?:sent|date|发送时间|时间|日期|寄件日期|to|收件人|subject|主题)[ \t*]*[:：]",
    # QQ mail puts the whole header on one line: "发件人: x; 发送时间: …"
    r"^[ \t*>]*发件人[:：][^\n]{0,300}发送时间[:：]",
    # Signatures and mobile tails
    r"^-- ?$",
    r"^[ \t]*(?:sent\s+from\s+my\s+[^\n]{1,40}|sent\s+from\s+(?:outlook|mail\s+for\s+windows|"
    r"yahoo\s+mail|gmail|my\s+mobile)[^\n]{0,40}|get\s+outlook\s+for\s+[^\n]{1,20}|"
    r"sent\s+via\s+[^\n]{1,40})[ \t]*$",
    r"^[ \t]*(?:发自我的[^\n]{1,20}|发自网易邮箱[^\n]{0,20}|来自网易邮箱[^\n]{0,20}|"
    r"发自\s*qq\s*邮箱[^\n]{0,20}|来自我的[^\n]{1,20}|发自[^\n]{1,12}(?:手机|客户端|邮箱)[^\n]{0,10}|"
    r"来自[^\n]{1,12}(?:手机|客户端))[ \t]*$",
)
_HEADER = rx("|".join(f"(?:{p})" for p in _HEADER_LINES), re.M | re.I)
_QUOTED_LINE = rx(r"^[ \t]*>[^\n]*", re.M)

_MD_ESCAPE = rx(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_HR_LINE = rx(r"^[ \t]*(?:\* \* \*|-{3,}|_{3,})[ \t]*$", re.M)


_HINT_WORDS = (
    "wrote",
    "写道",
    "original message",
    "原始邮件",
    "原邮件",
    ">",
    "from:",
    "from :",
    "发件人",
    "sent from",
    "sent via",
    "发自",
    "来自",
    "--",
    "________",
)


_HINT = rx("|".join(re.escape(w) for w in _HINT_WORDS))


def may_have_quotes(text: str) -> bool:
    """Cheap test (one literal search) for "this folded reply may carry quoted history"."""
    return _HINT.search(text) is not None


_SIGN_OFF = rx(
    r"\n[ \t]*+(?:thanks?(?:[ \t]+(?:you|again|so[ \t]+much))?|many[ \t]+thanks|thank[ \t]+you|"
    r"(?:kind|best|warm|warmest)?[ \t]*regards|best(?:[ \t]+wishes)?|cheers|sincerely|"
    r"yours(?:[ \t]+(?:sincerely|faithfully|truly))?|respectfully|take[ \t]+care|"
    r"谢谢|此致|敬礼|祝好)"
    r"[ \t]*[,.!，。！]*[ \t]*(?=\n|$)",
    re.I,
)


_NOT_SIGNATURE = rx(
    r"\b(?:i|i'?ll|i'?m|we|pay|paid|will|can|can'?t|call|stop|please|sorry|not)\b|还|转|付|不|别"
)


def mask_signature(text: str) -> str:
    """Blank what follows an e-mail sign-off line ("Kind regards," then a name), same length.

    Signatures carry names, phone numbers and office hours ("Mon-Fri 9-5") that
    are not part of the reply.
    """
    m = _SIGN_OFF.search(text)
    if m is None or m.start() == 0:
        return text
    end = m.end()
    tail = text[end:]
    lines = [ln for ln in tail.split("\n") if ln.strip()]
    # A signature is a few short lines (name, title, phone), not more of the message.
    if len(lines) > 5 or any(len(ln) > 80 or _NOT_SIGNATURE.search(ln) for ln in lines):
        return text
    return text[:end] + "".join(c if c == "\n" else " " for c in tail)


def _cut_point(text: str) -> int:
    m = _HEADER.search(text)
    return m.start() if m else len(text)


def mask_quoted(text: str) -> str:
    """Blank quoted history, quoted lines and signatures with spaces (same length)."""
    cut = _cut_point(text)
    # When the whole text looks like a header, leave it: there is nothing else to read.
    head = text if cut == 0 and text.strip() else text[:cut]
    head = _QUOTED_LINE.sub(lambda m: " " * len(m.group()), head)
    if not head.strip():
        return text
    return head + " " * (len(text) - len(head))


def strip_quoted(text: str) -> str:
    """Remove quoted history, quoted lines and signatures (rules only)."""
    cut = _cut_point(text)
    head = text[:cut]
    head = _QUOTED_LINE.sub("", head)
    lines = [ln.rstrip() for ln in head.split("\n")]
    out = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def html_to_text(html: str) -> str:
    """Convert an HTML e-mail part to plain text (quotes become "> " lines)."""
    import html2text  # lazy: keeps ``bot.replies`` import-light

    conv = html2text.HTML2Text()
    conv.body_width = 0
    conv.ignore_links = True
    conv.ignore_images = True
    conv.ignore_emphasis = True
    conv.ignore_tables = False
    conv.unicode_snob = True
    out = conv.handle(html)
    out = _MD_ESCAPE.sub(r"\1", out)  # html2text escapes markdown; we want plain text
    return _HR_LINE.sub("", out)


def clean_email_reply(text: str | None = None, html: str | None = None) -> str:
    """The customer's own words from an e-mail reply.

    Uses the text part when it has content, else the HTML part converted to
    text. Quoted history ("On … wrote:", "在 … 写道：", Outlook and QQ header
    blocks, "-----Original Message-----", "原始邮件", ">" lines) and signatures
    ("-- ", "Sent from my iPhone", "发自我的iPhone") are removed.
    """
    body = text if text and text.strip() else (html_to_text(html) if html else "")
    if not body:
        return ""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    candidate = body
    try:
        from mailparser_reply import EmailReplyParser  # lazy

        parsed = EmailReplyParser(languages=["en", "zh"]).parse_reply(body)
        if parsed and parsed.strip():
            candidate = parsed
    except Exception:  # the library is best effort; the rules below still apply
        candidate = body
    out = strip_quoted(candidate)
    if not out:
        out = strip_quoted(body)
    return out
