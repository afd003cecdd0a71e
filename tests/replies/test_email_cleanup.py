"""clean_email_reply on the shapes real mail clients produce (text and HTML parts)."""

from __future__ import annotations

import pytest
from replies_helpers import NOW_EN

from bot.replies.email_cleanup import clean_email_reply, mask_quoted
from bot.replies.parser import parse_reply

REMINDER = (
    "Hi Jenny, this is a reminder from Acme Finance that your payment of $120.00 is past due.\n"
    "Reply STOP to opt out. Call us on 0800 123 456 to talk to a person."
)
QUOTED = "\n".join("> " + line for line in REMINDER.split("\n"))

GMAIL = f"""I'll pay $120 on Friday.

Thanks,
Jenny

On Mon, Dec 7, 2026 at 10:02 AM Acme Finance <reminders@acme.example> wrote:
{QUOTED}
"""

GMAIL_WRAPPED = f"""I'll pay $120 on Friday.

On Mon, Dec 7, 2026 at 10:02 AM Acme Finance Collections Team <
reminders@acme.example> wrote:

{QUOTED}
"""

OUTLOOK = f"""Payment was made this morning via the app.

Kind regards,
Ellen Brooks

________________________________
From: Acme Finance <reminders@acme.example>
Sent: Monday, December 7, 2026 10:02 AM
To: Ellen Brooks <ellen@example.com>
Subject: Payment reminder

{REMINDER}
"""

OUTLOOK_ORIGINAL = f"""I do not recognise this debt.

-----Original Message-----
From: Acme Finance [mailto:reminders@acme.example]
Sent: 07 December 2026 10:02
To: ellen@example.com
Subject: Payment reminder

{REMINDER}
"""

APPLE = f"""Can I pay half next Monday?

Sent from my iPhone

> On 7 Dec 2026, at 10:02, Acme Finance <reminders@acme.example> wrote:
>
{QUOTED}
"""

APPLE_ZH = f"""下周五还500

发自我的iPhone

> 在 2026年12月7日，上午10:02，Acme 金融 <reminders@acme.example> 写道：
>
{QUOTED}
"""

QQ_MAIL = f"""已经还了，请查收。

------------------ 原始邮件 ------------------
发件人: "Acme 金融"<reminders@acme.example>;
发送时间: 2026年12月7日(星期一) 上午10:02
收件人: "张伟"<zhangwei@qq.com>;
主题: 还款提醒

{REMINDER}
"""

MAIL_163 = f"""我不是张伟，你们发错人了。



在 2026-12-07 10:02:11，"Acme 金融" <reminders@acme.example> 写道：
{QUOTED}
"""

CN_OUTLOOK = f"""月底还3000

发件人: Acme 金融 <reminders@acme.example>
发送时间: 2026年12月7日 10:02
收件人: 张伟
主题: 还款提醒

{REMINDER}
"""

SIGNATURE = """I can pay 200 next week.

--
Jenny Smith
Senior Analyst | Example Corp
+1 555 0100
"""

GMAIL_HTML = """<div dir="ltr">I&#39;ll pay $120 on Friday.<div><br></div>
<div>Thanks,<br>Jenny</div></div>
<br><div class="gmail_quote">
<div dir="ltr" class="gmail_attr">On Mon, Dec 7, 2026 at 10:02 AM Acme Finance
&lt;<a href="mailto:reminders@acme.example">reminders@acme.example</a>&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid
rgb(204,204,204)">
Hi Jenny, this is a reminder from Acme Finance that your payment of $120.00 is past due.
Reply STOP to opt out.</blockquote></div>"""

OUTLOOK_HTML = """<html><body><div>Payment was made this morning via the app.</div>
<div>Kind regards,<br>Ellen</div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt">
<b>From:</b>
Acme Finance &lt;reminders@acme.example&gt;<br><b>Sent:</b> Monday, December 7, 2026 10:02 AM<br>
<b>To:</b> Ellen Brooks<br><b>Subject:</b> Payment reminder</font><div>&nbsp;</div></div>
<div>Hi Ellen, your payment of $120.00 is past due. Reply STOP to opt out.</div></body></html>"""

QQ_HTML = """<div>已经还了，请查收。</div><div><br></div><div><br></div>
<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px
0;">------------------&nbsp;原始邮件&nbsp;------------------</div>
<div style="font-size: 12px;background:#efefef;padding:8px;"><div>
<b>发件人:</b>&nbsp;"Acme 金融"&lt;reminders@acme.example&gt;;</div>
<div><b>发送时间:</b>&nbsp;2026年12月7日(星期一) 上午10:02</div><div>
<b>收件人:</b>&nbsp;"张伟"&lt;zhangwei@qq.com&gt;;</div>
<div><b>主题:</b>&nbsp;还款提醒</div></div><div><br></div>您的账单已逾期，回复TD退订。"""

MAIL_163_HTML = """<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">
我不是张伟，你们发错人了。</div>
<br><br><div style="position:relative;zoom:1"></div>
<div id="divNeteaseMailCard"></div>
<br>在 2026-12-07 10:02:11，"Acme 金融"&nbsp;&lt;reminders@acme.example&gt;&nbsp;写道：<br>
<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; BORDER-LEFT:
#ccc 1px solid">
您的账单已逾期，回复TD退订。</blockquote>"""


@pytest.mark.parametrize(
    ("name", "body", "want", "gone"),
    [
        ("gmail", GMAIL, "I'll pay $120 on Friday.\n\nThanks,\nJenny", "wrote"),
        ("gmail wrapped header", GMAIL_WRAPPED, "I'll pay $120 on Friday.", "wrote"),
        (
            "outlook",
            OUTLOOK,
            "Payment was made this morning via the app.\n\nKind regards,\nEllen Brooks",
            "From:",
        ),
        ("outlook original message", OUTLOOK_ORIGINAL, "I do not recognise this debt.", "Original"),
        ("apple mail", APPLE, "Can I pay half next Monday?", "iPhone"),
        ("apple mail chinese", APPLE_ZH, "下周五还500", "写道"),
        ("qq mail", QQ_MAIL, "已经还了，请查收。", "原始邮件"),
        ("163", MAIL_163, "我不是张伟，你们发错人了。", "写道"),
        ("outlook chinese", CN_OUTLOOK, "月底还3000", "发件人"),
        ("signature", SIGNATURE, "I can pay 200 next week.", "Analyst"),
    ],
)
def test_text_parts(name, body, want, gone):
    out = clean_email_reply(text=body)
    assert out == want, name
    assert gone not in out and "STOP" not in out


@pytest.mark.parametrize(
    ("name", "html", "want"),
    [
        ("gmail", GMAIL_HTML, "I'll pay $120 on Friday.\n\nThanks,\nJenny"),
        (
            "outlook",
            OUTLOOK_HTML,
            "Payment was made this morning via the app.\n\nKind regards,\nEllen",
        ),
        ("qq mail", QQ_HTML, "已经还了，请查收。"),
        ("163", MAIL_163_HTML, "我不是张伟，你们发错人了。"),
    ],
)
def test_html_parts(name, html, want):
    out = clean_email_reply(html=html)
    assert out == want, (name, out)
    assert "STOP" not in out and "TD" not in out and "写道" not in out and "wrote" not in out, (
        name,
        out,
    )


def test_text_part_preferred_and_empty_inputs():
    assert clean_email_reply(text="Paid.", html="<p>Something else</p>") == "Paid."
    assert clean_email_reply(text="   ", html="<p>Paid yesterday</p>") == "Paid yesterday"
    assert clean_email_reply() == ""
    assert clean_email_reply(text="") == ""


def test_quoted_reminder_does_not_leak_into_parsing():
    # The quoted reminder says "Reply STOP" and "talk to a person": neither is the customer's.
    for body in (GMAIL, OUTLOOK, APPLE, QQ_MAIL, MAIL_163):
        reply = parse_reply(clean_email_reply(text=body), NOW_EN)
        assert not reply.opt_out
        assert reply.intent != "callback"


def test_parser_masks_quoted_history_keeping_offsets():
    reply = parse_reply(GMAIL, NOW_EN)
    assert reply.intent == "promise_to_pay" and not reply.opt_out
    masked = mask_quoted(GMAIL.lower())
    assert len(masked) == len(GMAIL)
    assert "wrote" not in masked and masked.startswith("i'll pay $120")


def test_signature_lines_are_not_read_but_later_content_is():
    from bot.replies.email_cleanup import mask_signature

    text = "I'll pay 100 on friday\n\nThanks,\nJohn Smith\nMon-Fri 9-5\nTel 555 123 4567"
    masked = mask_signature(text)
    assert len(masked) == len(text) and "9-5" not in masked and masked.startswith("I'll pay 100")
    reply = parse_reply(text, NOW_EN)
    assert [(str(p.amount), p.date.isoformat() if p.date else None) for p in reply.promises] == [
        ("100.00", "2026-12-11")
    ]
    kept = "Hi,\nThanks\nI'll pay 50 friday"
    assert mask_signature(kept) == kept
