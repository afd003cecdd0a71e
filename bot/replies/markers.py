"""Marker patterns that more than one parsing step reads.

Sentence breaks and word tokens; and the Chinese markers of tense and will: "already"
(已经, 早就), past time words, a future word before a pay verb, a wish (想, 希望), and
"then" (到时候 ... 还) that refers back to a time stated earlier.
"""

from __future__ import annotations

from bot.replies.regex_programs import rx

#: a word: a run of letters, digits and apostrophes, or one Chinese character
WORD = rx(r"[a-z0-9']+|[\u3400-\u9fff]")
#: "already", "just", "before then" (not "already said I would")
ZH_PAST_STRONG = rx(r"已(?!经?(?:说|讲|告诉|答应|保证|承诺))|(?<!一)早就|刚刚?|之前就")
#: a future word (will, then, first ...) shortly before the end of the text searched
ZH_FUTURE_BEFORE = rx(r"(?:把|再|先|就|会|要|才能)[^，,。]{0,10}$")
#: last month, last week, yesterday ...
ZH_PAST_WORD = rx(r"上个?月|上周|上星期|上礼拜|昨天|前天|去年|上次|之前")
#: want, hope, willing
ZH_DESIRE = rx(r"想|希望|愿意")
#: "then (I'll) pay": pays at a time stated earlier
ZH_THEN = rx(r"(?:到时候?|那时候?|届时|到那天|那天)(?:就|再|一定|会)?(?:还|转|付|给|打|结清)")
#: the end of a sentence or line
SENTENCE_BREAK = rx(r"[.!?。！？\n]")
