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
ZH_THEN = rx(
    r"(?:到时候?|那时候?|届时|到那天|那天|当天|(?:发|到|拿到|领)了(?:以后|之后)?|到账(?:当天|后|以后|之后)?|"
    r"发(?:了)?工资(?:当天|后|以后|之后))(?:就|再|一定|会|马上|立刻|立马|第一时间){0,2}(?:还|转|付|给|打|结清)"
)
#: the end of a sentence or line
SENTENCE_BREAK = rx(r"[.!?。！？\n]")
#: not knowing ("no idea", "not sure", "idk") before "when/if I'll pay": no offer (a regex source)
EN_UNSURE = r"\b(?:no\s+idea|not\s+sure|(?:don'?t|dont|do\s+not)\s+know|idk|dunno)\s+"
#: asking for less ("最低还款能再低点吗", "能不能少点"): relief, nothing offered (a regex source)
ZH_ASK_LOWER = r"(?:能|可以|可不可以|能不能)(?:再)?(?:低|少|降|减)(?:一)?点"
#: a payment told as done ("还清了", "打过去了"), and the words that would put it ahead
ZH_DONE = rx(r"(?<!全)(?<!全部)(?<!都)(?:还|转|付|交|缴|结|打|汇)(?:款|钱|清|完|上|过去|过)?了")
ZH_AHEAD = rx(
    r"会|要|将|准备|打算|再|争取|保证|一定|肯定|马上|立刻|明天|后天|下周|下个?月|下星期|下礼拜|月底|年底|"
    r"之后|以后|等|到时|就能|能不能|可以|可不可以|吗|\?|如果|要是|的话|才|先|不|没"
)


def zh_done(clause: str) -> bool:
    """Whether a Chinese clause tells a payment as done with nothing ahead ("我老公周六帮我还了",
    "按约定1号还了90"): a weekday or a day in it is then past, not promised."""
    return ZH_DONE.search(clause) is not None and ZH_AHEAD.search(clause) is None
