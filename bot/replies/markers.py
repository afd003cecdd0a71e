"""Marker patterns that more than one parsing step reads.

Sentence breaks and word tokens; and the Chinese markers of tense and will: "already"
(已经, 早就), past time words, a future word before a pay verb, a wish (想, 希望), and
"then" (到时候 ... 还) that refers back to a time stated earlier.
"""

from __future__ import annotations

from bot.replies.regex_programs import rx

WORD = rx(r"[a-z0-9']+|[\u3400-\u9fff]")
ZH_PAST_STRONG = rx(r"已(?!经?(?:说|讲|告诉|答应|保证|承诺))|(?<!一)早就|刚刚?|之前就")
ZH_FUTURE_BEFORE = rx(r"(?:把|再|先|就|会|要|才能)[^，,。]{0,10}$")
ZH_PAST_WORD = rx(r"上个?月|上周|上星期|上礼拜|昨天|前天|去年|上次|之前")
ZH_DESIRE = rx(r"想|希望|愿意")
ZH_THEN = rx(r"(?:到时候?|那时候?|届时|到那天|那天)(?:就|再|一定|会)?(?:还|转|付|给|打|结清)")
SENTENCE_BREAK = rx(r"[.!?。！？\n]")
