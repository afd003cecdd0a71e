"""Cues added after the frozen batches t4 and t5, then t6 and t7, were spent (their
mistakes read).

Each case is written here in new words for a kind of reply those batches showed the
parser misreading (the rules alone, model None); none is copied from the corpus.
``now`` is Wednesday 2026-12-09 (replies_helpers); the balance is 1000.00.
"""

from __future__ import annotations

import pytest
from replies_helpers import parse, terms

from bot.replies.model import Intent

CASES = [
    # amounts: a digit then a tens word; a count of payments; an age; a fraction paid
    ("can do 3 twenty on thursday", "promise_to_pay", False, [("320.00", "2026-12-10")]),
    (
        "could you take 3 payments? 100 on the 15th, 100 on the 22nd and 100 on the 29th",
        "promise_to_pay",
        False,
        [("100.00", "2026-12-15"), ("100.00", "2026-12-22"), ("100.00", "2026-12-29")],
    ),
    (
        "I'm 82 and on a pension, I can send 30 on friday",
        "promise_to_pay",
        False,
        [("30.00", "2026-12-11")],
    ),
    ("will send 1/2 on monday", "promise_to_pay", False, [("500.00", "2026-12-14")]),
    (
        "I'll be paying off the balance by Friday",
        "promise_to_pay",
        False,
        [("1000.00", "2026-12-11")],
    ),
    ("should have it all by the 20th", "promise_to_pay", False, [("1000.00", "2026-12-20")]),
    # "pay you ..." as the customer's shorthand, also before a STOP
    ("pay u fri", "promise_to_pay", False, [(None, "2026-12-11")]),
    ("send you 80 tmrw. STOP", "promise_to_pay", True, [("80.00", "2026-12-10")]),
    # Chinese: a currency code before the number; a slash date after a comma; pay-day then
    ("HKD 800 月底还", "promise_to_pay", False, [("800.00", "2026-12-31")]),
    (
        "还款安排：12/18还1500，1/18还1500",
        "promise_to_pay",
        False,
        [("1500.00", "2026-12-18"), ("1500.00", "2027-01-18")],
    ),
    ("工资20号发，发了马上转给你们", "promise_to_pay", False, [(None, "2026-12-20")]),
    ("工资15号到账，到账当天就还500", "promise_to_pay", False, [("500.00", "2026-12-15")]),
    ("在凑钱了", "promise_to_pay", False, [(None, None)]),
    # paid, refuse, hardship, question
    ("posted a cheque to you on Monday", "paid", False, []),
    ("no way jose, not paying", "refuse", False, []),
    ("每月还款能再少点吗", "hardship", False, []),
    ("is this a scam message?", "question", False, []),
    ("这是诈骗信息吗", "question", False, []),
    # callbacks, and calls the reply refuses
    ("can I see someone in person about this?", "callback", False, []),
    ("我想当面沟通一下", "callback", False, []),
    ("pls just call", "callback", False, []),
    ("别再往我公司打电话了", "stop", True, []),
    ("别在微信上催我", "stop", True, []),
    # after t6 and t7
    ("transferred it through my banking app twenty minutes ago", "paid", False, []),
    ("Settled. Reference 88213.", "paid", False, []),
    ("why don't you pay it yourself", "refuse", False, []),
    ("dad here, he's in hospital, I'll pass this on", "wrong_party", False, []),
    ("I'm writing on behalf of myself and my wife: we will pay 100 on friday", "promise_to_pay",
     False, [("100.00", "2026-12-11")]),
    ("plz call i'm driving", "callback", False, []),
    ("could the hardship team give me a call?", "callback", False, []),
    ("你们客服号码给我，我打过去", "callback", False, []),
    ("本单位没有叫王芳的员工", "wrong_party", False, []),
    ("这条短信不会是诈骗吧？", "question", False, []),
    ("do you take payments at 7-Eleven?", "question", False, []),
    ("再这样催我就打12345", "legal", True, []),
    # from the training batches' remaining promise-term mistakes
    ("fine, I'll pay. happy now?", "promise_to_pay", False, [(None, None)]),
    ("can send four hundred in about a week", "promise_to_pay", False, [("400.00", "2026-12-16")]),
    ("by the 20th you'll have it all", "promise_to_pay", False, [("1000.00", "2026-12-20")]),
    ("I'll pay the full whack on friday", "promise_to_pay", False, [("1000.00", "2026-12-11")]),
    ("cancel cheque 2231 please, I'll pay by card tonight", "promise_to_pay", False,
     [(None, "2026-12-09")]),
    ("等发了工资马上还你们", "promise_to_pay", False, [(None, None)]),
    ("大后天到账后立刻还你一千", "promise_to_pay", False, [("1000.00", "2026-12-12")]),
    ("工资已经到了，马上转300", "promise_to_pay", False, [("300.00", "2026-12-09")]),
    ("2.5万月底还", "promise_to_pay", False, [("25000.00", "2026-12-31")]),
    ("xia ge yue chu huan qian", "promise_to_pay", False, [(None, None)]),
    ("明天下班去7-11还钱", "promise_to_pay", False, [(None, "2026-12-10")]),
]

OPT_OUTS = [
    "kindly desist from texting me",
    "please halt all communications with me",
    "could you guys stop?",
    "I asked you twice to stop",
    "no emails until the new year please",
    "one more text and I'm reporting you to the FCA",
    "any further calls and I'll complain to the ombudsman",
    "I've paid, give it a rest",
    "能不能消停一会儿",
    "求放过吧",
    "天天打电话烦死了",
    "再发短信我就拉黑你们",
    "请不要再致电我的单位",
]

NOT_OPT_OUTS = [
    "how do I unsubscribe from the marketing newsletter?",
    "stop all the late fees please, I can't keep up",
    "Remove me as a joint holder please, my ex has the loan",
    "Stop pretending you never got my payment",
    "已经拉黑了，一分不会还",
    "爱发多少发多少，反正我不还",
    "有事打我电话13912345678",
]


@pytest.mark.parametrize(("text", "intent", "opt_out", "promises"), CASES)
def test_reading(text, intent, opt_out, promises):
    reply = parse(text)
    assert (reply.intent, reply.opt_out, terms(reply)) == (Intent(intent), opt_out, promises)


@pytest.mark.parametrize("text", OPT_OUTS)
def test_asks_to_stop(text):
    assert parse(text).opt_out


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_does_not_ask_to_stop(text):
    assert not parse(text).opt_out
