"""Email in over SMTP (the inbound listener), email out over SMTP (aiosmtpd peer).

Email may carry detail, but only after the right party is verified on that address:
configurable question (date of birth here), three attempts, then lock and queue.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind
from bot.domain.outbox import outbox_message
from tests.services.end_to_end.world import (
    FROM_EMAIL,
    REPLY_DOMAIN,
    World,
    assert_discloses_nothing,
    world,
)

EMAIL = "jordan@example.org"
SECRETS = ("ACC-1001", "1001", "1,000", "Jordan")


def bodies(w: World, address: str = EMAIL) -> list[str]:
    return [m.get_content() for m in w.mail_to(address)]


async def test_a_reply_to_a_bot_email_is_matched_by_its_token(sqlite_engine: Engine,
                                                              clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        case = w.seed(phone=None, email=EMAIL)
        with w.container.uow() as uow:
            uow.outbox.enqueue([outbox_message(
                case_id=case.id, contact_point_id=case.contacts[0].id, channel="email",
                address=EMAIL, body="Please get in touch.", subject="A message from Acme Bank",
                idempotency_key="campaign:first", now=clock.now(), purpose="dunning",
                template_id="first_notice", lang="en", reply_token="tok42")])
            uow.session.commit()
        await w.dispatch()
        [first] = w.mail_to(EMAIL)
        assert first["Reply-To"] == f"reply+tok42@{REPLY_DOMAIN}"
        sent_id = first["Message-ID"].strip("<>")
        # the customer answers from another mailbox: the token still finds the case
        customer_mid = await w.email("Jordan <jordan.work@corp.example>",
                                     "I will pay 200 on December 10", token="tok42",
                                     in_reply_to=sent_id)
        await w.dispatch()
        [promise] = w.case().pending_promises()
        assert (promise.amount_minor, promise.due) == (20_000, date(2026, 12, 10))
        # the answer goes to the address on file (consent and opt-outs are known for it
        # only), in the same thread, limited
        assert w.mail_to("jordan.work@corp.example") == []
        _, answer = w.mail_to(EMAIL)
        assert answer["In-Reply-To"] == f"<{customer_mid}>"
        assert answer["From"] == FROM_EMAIL
        assert "December 10, 2026" in answer.get_content()
        assert_discloses_nothing(answer.get_content() + answer["Subject"], *SECRETS)
        # "stop" from the stranger's mailbox suppresses nothing on file and confirms nothing
        await w.email("jordan.work@corp.example", "stop emailing me", token="tok42")
        await w.dispatch()
        cp = w.case().contact(ChannelKind.EMAIL, EMAIL)
        assert cp is not None and cp.opted_out_at is None
        assert len(w.mail_to(EMAIL)) == 2 and w.mail_to("jordan.work@corp.example") == []


async def test_balance_by_email_only_after_verification(sqlite_engine: Engine,
                                                        clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, email=EMAIL)
        await w.email(EMAIL, "How much do I owe?")
        await w.dispatch()
        [prompt] = bodies(w)
        assert "date of birth" in prompt
        assert_discloses_nothing(prompt, *SECRETS)
        await w.email(EMAIL, "1981-01-01")
        await w.dispatch()
        assert "2 more times" in bodies(w)[1]
        await w.email(EMAIL, "17 May 1980")
        await w.dispatch()
        verified = bodies(w)[2]
        assert "$1,000.00" in verified and "****1001" in verified
        assert "ACC-1001" not in verified  # masked even when verified
        cp = w.case().contact(ChannelKind.EMAIL, EMAIL)
        assert cp is not None and cp.verified
        assert w.conversation() is not None and w.conversation().state == "idle"
        # from now on the address is verified: the balance comes straight away
        await w.email(EMAIL, "what is my balance now?")
        await w.dispatch()
        assert "$1,000.00" in bodies(w)[3] and len(bodies(w)) == 4
        assert w.kinds() == []


async def test_three_failed_verifications_lock_and_queue(sqlite_engine: Engine,
                                                         clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, email=EMAIL)
        await w.email(EMAIL, "what's my balance")
        for wrong in ("1981-01-01", "02/02/1982", "3 March 1983"):
            await w.email(EMAIL, wrong)
        await w.dispatch()
        texts = bodies(w)
        assert len(texts) == 4 and "paused verification" in texts[3]
        assert w.kinds() == ["verification_locked"]
        conv = w.conversation()
        assert conv is not None and conv.state == "locked" and conv.locked_at is not None
        # locked: even the right answer only reaches the queue
        await w.email(EMAIL, "1980-05-17")
        await w.dispatch()
        assert len(bodies(w)) == 4
        assert w.kinds() == ["verification_locked", "verification_locked"]
        cp = w.case().contact(ChannelKind.EMAIL, EMAIL)
        assert cp is not None and not cp.verified
        for text in texts:
            assert_discloses_nothing(text, *SECRETS)


async def test_hardship_by_email_verifies_then_offers_plans(sqlite_engine: Engine,
                                                            clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, email=EMAIL)
        await w.email(EMAIL, "I lost my job and can't pay")
        await w.dispatch()
        help_text, prompt = bodies(w)
        assert "several months" in help_text and "date of birth" in prompt
        assert_discloses_nothing(help_text + prompt, *SECRETS)
        await w.email(EMAIL, "05/17/1980")
        await w.dispatch()
        verified, plans = bodies(w)[2:]
        assert "$1,000.00" in verified
        assert "3 monthly payments of $333.34" in plans
        assert "6 monthly payments of $166.67" in plans
        await w.email(EMAIL, "2")
        await w.dispatch()
        promises = w.case().pending_promises()
        assert len(promises) == 6 and promises[0].due == date(2026, 12, 8)
        assert sum(p.amount_minor or 0 for p in promises) == 100_000
        assert "$166.67" in bodies(w)[4]


async def test_a_chinese_customer_is_asked_in_chinese(sqlite_engine: Engine,
                                                      clock: FixedClock) -> None:
    async with world(sqlite_engine, clock) as w:
        w.seed(phone=None, email=EMAIL, language="zh", currency="CNY",
               timezone="Asia/Shanghai")
        await w.email(EMAIL, "我还欠多少钱")
        await w.dispatch()
        [mail] = w.mail_to(EMAIL)
        assert "出生日期" in mail.get_content() and "确认" in str(mail["Subject"])
        await w.email(EMAIL, "1980年5月17日")
        await w.dispatch()
        verified = bodies(w)[1]
        assert "¥1,000.00" in verified and "身份已确认" in verified
