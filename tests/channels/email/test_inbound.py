"""Email in: MIME parsing, DSN bounces, the SMTP listener and the IMAP poller on loopback."""

from __future__ import annotations

import asyncio
import email
import logging
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest

from bot.domain.clock import FixedClock
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryReceipt,
    FailureReason,
    InboundEvent,
    InboundMessage,
    ReceiptStatus,
    SignalKind,
    SinkResult,
)
from bot.services.ports import ChannelConfigError
from bot.settings import Settings
from channels.email.config import ImapConfig, ListenerConfig
from channels.email.dsn import PermanentKind, bare_message_id, classify_permanent, parse_dsn
from channels.email.inbound import (
    ImapError,
    ImapPoller,
    SmtpInboundListener,
    install_log_masking,
)
from channels.email.parsing import EmailParseError, clean_reply, parse_email
from channels.email.unsubscribe_tokens import make_unsubscribe_token
from tests.channels.harness_email import RecordingSink
from tests.peers.imap_server import ImapPeer

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)
REPLY_DOMAIN = "reply.bank.example"
SECRET = "inbound-test-secret"
IMAP_PASSWORD = "imap-pw-4242"


def reply_mail(
    text: str = "I can pay $50 on Friday.",
    *,
    sender: str = "Jane Doe <Jane.Doe@Example.org>",
    to: str = f"reply+case42@{REPLY_DOMAIN}",
    message_id: str | None = "<CAB123.456@mail.example.org>",
    in_reply_to: str | None = "<9f8e7d@bank.example>",
    date: str | None = "Mon, 03 Jun 2024 08:15:00 +0200",
    html: str | None = None,
    subject: str = "Re: Your account",
    extra: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = f"<first@bank.example> {in_reply_to}"
    if date:
        msg["Date"] = date
    for name, value in (extra or {}).items():
        msg[name] = value
    if text:
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
    elif html:
        msg.set_content(html, subtype="html")
    return msg.as_bytes()


DSN = b"""From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: collections@bank.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-777@mx.example.org>
Date: Mon, 03 Jun 2024 08:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"

--BND
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon, 3 Jun 2024 07:59:58 +0000

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;Gone@Example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: User unknown

Final-Recipient: rfc822; blocked@example.org
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 550 5.7.1 Message rejected as spam

Final-Recipient: rfc822; slow@example.org
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out

--BND
Content-Type: text/rfc822-headers

From: collections@bank.example
To: gone@example.org
Subject: Your account
Message-ID: <0a1b2c3d@bank.example>

--BND--
""".replace(b"\n", b"\r\n")


# ---------------------------------------------------------------------- parsing


def test_reply_becomes_an_inbound_message() -> None:
    [event] = parse_email(reply_mail(), reply_domain=REPLY_DOMAIN, clock=CLOCK)
    assert event == InboundMessage(
        channel=ChannelKind.EMAIL,
        sender="jane.doe@example.org",
        text="I can pay $50 on Friday.",
        provider_id="CAB123.456@mail.example.org",
        received_at=datetime(2024, 6, 3, 6, 15, tzinfo=UTC),
        thread_ref="9f8e7d@bank.example",
        reply_token="case42",
        subject="Re: Your account",
    )


def test_reply_token_from_envelope_or_delivered_to() -> None:
    raw = reply_mail(to="Collections <collections@bank.example>")
    [plain] = parse_email(raw, clock=CLOCK)
    assert isinstance(plain, InboundMessage) and plain.reply_token is None
    [via_envelope] = parse_email(
        raw,
        envelope_recipients=[f"Reply+T9@{REPLY_DOMAIN.upper()}"],
        reply_domain=REPLY_DOMAIN,
        clock=CLOCK,
    )
    assert isinstance(via_envelope, InboundMessage) and via_envelope.reply_token == "T9"
    delivered = reply_mail(
        to="collections@bank.example", extra={"Delivered-To": f"reply+Z1@{REPLY_DOMAIN}"}
    )
    [via_header] = parse_email(delivered, reply_domain=REPLY_DOMAIN, clock=CLOCK)
    assert isinstance(via_header, InboundMessage) and via_header.reply_token == "Z1"
    # a reply+ address at someone else's domain is not ours
    [foreign] = parse_email(reply_mail(to="reply+X@other.example"), reply_domain=REPLY_DOMAIN)
    assert isinstance(foreign, InboundMessage) and foreign.reply_token is None


def test_html_only_reply_is_converted_to_text() -> None:
    raw = reply_mail(text="", html="<div><p>Hello,</p><p>I <b>cannot</b> pay now.</p></div>")
    [event] = parse_email(raw, clock=CLOCK)
    assert isinstance(event, InboundMessage)
    assert "Hello," in event.text and "I cannot pay now." in event.text
    assert "<" not in event.text


def test_plain_part_is_preferred_over_html() -> None:
    raw = reply_mail(text="plain words", html="<p>html words</p>")
    [event] = parse_email(raw, clock=CLOCK)
    assert isinstance(event, InboundMessage) and event.text == "plain words"


def test_non_utf8_charset_is_decoded() -> None:
    raw = (
        b"From: ana@example.org\r\nTo: c@bank.example\r\nSubject: =?iso-8859-1?q?Cora=E7=E3o?=\r\n"
        b"Message-ID: <l1@example.org>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "Não posso pagar até sexta.\r\n".encode("iso-8859-1")
    [event] = parse_email(raw, clock=CLOCK)
    assert isinstance(event, InboundMessage)
    assert event.text == "Não posso pagar até sexta." and event.subject == "Coração"


def test_missing_message_id_gets_a_stable_synthetic_id() -> None:
    raw = reply_mail(message_id=None)
    [a] = parse_email(raw, clock=CLOCK)
    [b] = parse_email(raw, clock=CLOCK)
    [c] = parse_email(reply_mail(message_id=None, text="other"), clock=CLOCK)
    assert a.provider_id == b.provider_id != c.provider_id
    assert str(a.provider_id).endswith("@duebot.invalid")


def test_missing_or_future_date_uses_receipt_time() -> None:
    [undated] = parse_email(reply_mail(date=None), clock=CLOCK)
    future = (NOW + timedelta(days=3)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    [ahead] = parse_email(reply_mail(date=future), clock=CLOCK)
    [garbage] = parse_email(reply_mail(date="yesterday-ish"), clock=CLOCK)
    assert isinstance(undated, InboundMessage) and undated.received_at == NOW
    assert isinstance(ahead, InboundMessage) and ahead.received_at == NOW
    assert isinstance(garbage, InboundMessage) and garbage.received_at == NOW


def test_thread_ref_falls_back_to_last_reference() -> None:
    msg = EmailMessage()
    msg["From"] = "ana@example.org"
    msg["References"] = "<a@bank.example> <b@bank.example>"
    msg.set_content("ok")
    [event] = parse_email(msg.as_bytes(), clock=CLOCK)
    assert isinstance(event, InboundMessage) and event.thread_ref == "b@bank.example"


def test_message_without_sender_is_refused() -> None:
    with pytest.raises(EmailParseError):
        parse_email(reply_mail(sender=""), clock=CLOCK)


@pytest.mark.parametrize(
    "extra",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "auto_reply"},
    ],
)
def test_automatic_replies_produce_no_event(extra: dict[str, str]) -> None:
    assert parse_email(reply_mail(extra=extra), clock=CLOCK) == []


def test_human_message_marked_auto_submitted_no_is_kept() -> None:
    assert len(parse_email(reply_mail(extra={"Auto-Submitted": "no"}), clock=CLOCK)) == 1


def test_dsn_marks_unknown_mailbox_invalid_and_reports_the_bounced_message() -> None:
    events = parse_email(DSN, clock=CLOCK)
    signals = [e for e in events if isinstance(e, ContactSignal)]
    receipts = [e for e in events if isinstance(e, DeliveryReceipt)]
    assert signals == [
        ContactSignal(
            channel=ChannelKind.EMAIL,
            address="gone@example.org",
            kind=SignalKind.INVALID,
            received_at=NOW,
            source="dsn",
            provider_id="dsn-777@mx.example.org#0",
            detail="5.1.1",
        )
    ]
    ORIGINAL = "0a1b2c3d@bank.example"
    # the spam block bounces the message but says nothing about the address; the
    # delayed (4.x.x) notice is ignored
    assert [(r.provider_id, r.status, r.code, r.reason) for r in receipts] == [
        (ORIGINAL, ReceiptStatus.UNDELIVERED, "5.1.1", FailureReason.INVALID_ADDRESS),
        (ORIGINAL, ReceiptStatus.UNDELIVERED, "5.7.1", FailureReason.REJECTED),
    ]


def test_dsn_with_only_a_delay_yields_nothing() -> None:
    delayed = DSN.replace(b"Action: failed", b"Action: delayed")
    delayed = delayed.replace(b"Status: 5.", b"Status: 4.")
    assert parse_email(delayed, clock=CLOCK) == []


def test_dsn_without_status_uses_the_diagnostic_code() -> None:
    raw = DSN.replace(b"Status: 5.1.1\r\n", b"").replace(
        b"550 5.1.1 <gone@example.org>: User unknown", b"550 no such user"
    )
    bounces = parse_dsn(email.message_from_bytes(raw))
    assert (bounces[0].address, bounces[0].status, bounces[0].kind) == (
        "gone@example.org",
        "5.0.0",
        PermanentKind.INVALID_ADDRESS,
    )


def test_plain_text_bounce_from_mailer_daemon_is_not_a_customer_message() -> None:
    raw = reply_mail(sender="MAILER-DAEMON@mx.example.org", text="Delivery failed")
    assert parse_email(raw, clock=CLOCK) == []


@pytest.mark.parametrize(
    ("code", "text", "kind"),
    [
        (550, "5.1.1 User unknown", PermanentKind.INVALID_ADDRESS),
        (550, "5.1.10 Null MX", PermanentKind.INVALID_ADDRESS),
        (550, "5.2.1 Mailbox disabled", PermanentKind.INVALID_ADDRESS),
        (550, "5.7.1 Spam", PermanentKind.REJECTED),
        (552, "5.2.2 Over quota", PermanentKind.REJECTED),
        (550, "No such user here", PermanentKind.INVALID_ADDRESS),
        (554, "Transaction failed", PermanentKind.REJECTED),
    ],
)
def test_classify_permanent(code: int, text: str, kind: PermanentKind) -> None:
    assert classify_permanent(code, text) is kind


def test_bare_message_id() -> None:
    assert bare_message_id("<a.b@c>") == "a.b@c"
    assert bare_message_id("  <x@y> <z@w>") == "x@y"
    assert bare_message_id("plain@id") == "plain@id"
    assert bare_message_id("two words") is None
    assert bare_message_id(None) is None


def test_mailto_unsubscribe_with_valid_token_opts_out_the_token_address() -> None:
    token = make_unsubscribe_token(SECRET, "ana.lima@example.org", NOW)
    raw = reply_mail(
        sender="someone.else@example.net",
        to=f"unsubscribe@{REPLY_DOMAIN}",
        subject=f"unsubscribe {token}",
    )
    [event] = parse_email(raw, reply_domain=REPLY_DOMAIN, unsubscribe_secret=SECRET, clock=CLOCK)
    assert isinstance(event, ContactSignal)
    assert (event.address, event.kind, event.source) == (
        "ana.lima@example.org",
        SignalKind.OPT_OUT,
        "list-unsubscribe-mailto",
    )


def test_mailto_unsubscribe_without_valid_token_opts_out_the_sender() -> None:
    forged = make_unsubscribe_token("another-secret", "victim@example.org", NOW)
    raw = reply_mail(to=f"unsubscribe@{REPLY_DOMAIN}", subject=f"unsubscribe {forged}")
    [event] = parse_email(raw, reply_domain=REPLY_DOMAIN, unsubscribe_secret=SECRET, clock=CLOCK)
    assert isinstance(event, ContactSignal)
    assert (event.address, event.kind, event.source) == (
        "jane.doe@example.org",
        SignalKind.OPT_OUT,
        "unsubscribe-mailbox",
    )


def test_clean_reply_keeps_text_when_there_is_nothing_to_strip() -> None:
    assert clean_reply("Just this.\n", None) == "Just this."
    assert clean_reply(None, "<p>Only <i>html</i></p>") == "Only html"
    assert clean_reply(None, None) == ""


def test_quoted_history_is_stripped_when_the_cleaner_is_available() -> None:
    pytest.importorskip("bot.replies.email_cleanup")
    text = (
        "Yes, I can pay on Friday.\n\n"
        "On Mon, 3 Jun 2024 at 10:00, Duebot Bank <collections@bank.example> wrote:\n"
        "> Your balance of $120.00 is due.\n> Reply to this email.\n"
    )
    [event] = parse_email(reply_mail(text=text), clock=CLOCK)
    assert isinstance(event, InboundMessage)
    assert "Yes, I can pay on Friday." in event.text
    assert "balance of $120.00" not in event.text


def test_log_masking_filter_hides_addresses_and_drops_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_masking()
    caplog.set_level(logging.DEBUG, logger="mail.log")
    logger = logging.getLogger("mail.log")
    logger.info("%r >> %r", ("127.0.0.1", 1), b"RCPT TO:<jane.doe@example.org>")
    logger.debug("DATA readline: %s", b"secret body line")
    text = caplog.text
    assert "jane.doe@example.org" not in text and "***oe@***.org" in text
    assert "secret body line" not in text


# ---------------------------------------------------------------------- SMTP listener


async def _send_raw(port: int, raw: bytes, rcpt: str, sender: str = "jane@example.org") -> None:
    await aiosmtplib.send(
        raw,
        sender=sender,
        recipients=[rcpt],
        hostname="127.0.0.1",
        port=port,
        start_tls=False,
        local_hostname="client.example",
        timeout=5,
    )


async def test_listener_hands_replies_to_the_sink_on_the_app_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    class LoopSink(RecordingSink):
        async def accept(self, event: InboundEvent) -> SinkResult:
            loops.append(asyncio.get_running_loop())
            return await super().accept(event)

    sink = LoopSink()
    listener = SmtpInboundListener(
        sink, port=0, accept_domains=[REPLY_DOMAIN], reply_domain=REPLY_DOMAIN, clock=CLOCK
    )
    async with listener:
        raw = reply_mail(to="Collections <collections@bank.example>")
        await _send_raw(listener.port, raw, rcpt=f"reply+case7@{REPLY_DOMAIN}")
    [event] = sink.events
    assert isinstance(event, InboundMessage)
    assert event.reply_token == "case7" and event.sender == "jane.doe@example.org"
    assert loops == [asyncio.get_running_loop()]
    assert listener.accepted == 1


async def test_listener_refuses_to_relay_for_other_domains() -> None:
    sink = RecordingSink()
    async with SmtpInboundListener(sink, port=0, accept_domains=[REPLY_DOMAIN]) as listener:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as err:
            await _send_raw(listener.port, reply_mail(), rcpt="someone@elsewhere.example")
    assert err.value.recipients[0].code == 550
    assert sink.events == []


async def test_listener_answers_451_while_the_sink_fails_then_takes_the_retry() -> None:
    sink = RecordingSink()
    sink.fail_next = 1
    async with SmtpInboundListener(sink, port=0, reply_domain=REPLY_DOMAIN) as listener:
        rcpt = f"reply+case42@{REPLY_DOMAIN}"
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await _send_raw(listener.port, reply_mail(), rcpt=rcpt)
        assert err.value.code == 451
        assert sink.events == []
        await _send_raw(listener.port, reply_mail(), rcpt=rcpt)  # the sender's retry
        await _send_raw(listener.port, reply_mail(), rcpt=rcpt)  # a duplicate delivery
    assert len(sink.events) == 1
    assert (listener.deferred, listener.accepted) == (1, 2)


async def test_listener_turns_a_dsn_into_an_invalid_signal() -> None:
    sink = RecordingSink()
    async with SmtpInboundListener(sink, port=0, clock=CLOCK) as listener:
        daemon = "mailer-daemon@mx.example.org"
        await _send_raw(listener.port, DSN, rcpt="collections@bank.example", sender=daemon)
    kinds = [(type(e).__name__, getattr(e, "kind", None)) for e in sink.events]
    assert ("ContactSignal", SignalKind.INVALID) in kinds


async def test_listener_refuses_a_message_without_sender() -> None:
    sink = RecordingSink()
    async with SmtpInboundListener(sink, port=0) as listener:
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await _send_raw(listener.port, reply_mail(sender=""), rcpt="c@bank.example")
    assert err.value.code == 550 and sink.events == []


def test_listener_configuration() -> None:
    with pytest.raises(ChannelConfigError, match="DUEBOT_INBOUND_SMTP_PORT"):
        SmtpInboundListener(RecordingSink(), port=70000)


# ---------------------------------------------------------------------- IMAP poller


def poller_for(peer: ImapPeer, sink: RecordingSink, **kw: object) -> ImapPoller:
    args: dict[str, object] = {
        "host": "127.0.0.1",
        "port": peer.port,
        "username": "bot",
        "password": IMAP_PASSWORD,
        "tls": peer.tls,
        "reply_domain": REPLY_DOMAIN,
        "poll_seconds": 0.05,
        "timeout": 5.0,
        "clock": CLOCK,
    }
    if peer.tls == "implicit":
        args["ssl_context"] = ssl.create_default_context(cafile=peer.ca_file)
    args.update(kw)
    return ImapPoller(sink, **args)  # type: ignore[arg-type]


async def test_imap_poll_takes_unseen_mail_and_marks_it_seen() -> None:
    sink = RecordingSink()
    async with ImapPeer(users={"bot": IMAP_PASSWORD}) as peer:
        old = peer.add(reply_mail(message_id="<old@example.org>"), seen=True)
        new = peer.add(reply_mail(message_id="<new@example.org>"))
        bounce = peer.add(DSN)
        poller = poller_for(peer, sink)
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0
    assert [e.provider_id for e in sink.events if isinstance(e, InboundMessage)] == [
        "new@example.org"
    ]
    assert any(isinstance(e, ContactSignal) and e.kind is SignalKind.INVALID for e in sink.events)
    assert "\\Seen" in peer.flags(new) and "\\Seen" in peer.flags(bounce)
    assert peer.flags(old) == {"\\Seen"}
    assert "UID FETCH" in peer.commands and "UID STORE" in peer.commands


async def test_imap_message_stays_unseen_when_the_sink_fails() -> None:
    sink = RecordingSink()
    sink.fail_next = 1
    async with ImapPeer(users={"bot": IMAP_PASSWORD}) as peer:
        uid = peer.add(reply_mail())
        poller = poller_for(peer, sink)
        with pytest.raises(RuntimeError, match="sink unavailable"):
            await poller.poll_once()
        assert "\\Seen" not in peer.flags(uid)  # fetched with BODY.PEEK[]
        assert await poller.poll_once() == 1
    assert len(sink.events) == 1 and "\\Seen" in peer.flags(uid)


async def test_imap_unparseable_mail_is_flagged_not_lost() -> None:
    sink = RecordingSink()
    async with ImapPeer(users={"bot": IMAP_PASSWORD}) as peer:
        uid = peer.add(reply_mail(sender=""))
        assert await poller_for(peer, sink).poll_once() == 0
    assert peer.flags(uid) == {"\\Seen", "\\Flagged"}
    assert len(peer.mails) == 1 and sink.events == []


async def test_imap_over_implicit_tls_in_batches() -> None:
    sink = RecordingSink()
    async with ImapPeer(users={"bot": IMAP_PASSWORD}, tls="implicit") as peer:
        for i in range(5):
            peer.add(reply_mail(message_id=f"<m{i}@example.org>"))
        poller = poller_for(peer, sink, batch=3)
        assert await poller.poll_once() == 3
        assert await poller.poll_once() == 2
    assert len(sink.events) == 5


async def test_imap_bad_login_is_logged_without_the_password_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink()
    async with ImapPeer(users={"bot": "the-right-one"}) as peer:
        peer.add(reply_mail())
        poller = poller_for(peer, sink)
        with pytest.raises(ImapError, match="LOGIN"):
            await poller.poll_once()
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        async with asyncio.timeout(5):
            while peer.failed_logins < 3:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert poller.failures >= 2 and sink.events == []
    assert "imap: poll" in caplog.text and IMAP_PASSWORD not in caplog.text


async def test_imap_run_loop_delivers_and_stops() -> None:
    sink = RecordingSink()
    async with ImapPeer(users={"bot": IMAP_PASSWORD}) as peer:
        poller = poller_for(peer, sink)
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        peer.add(reply_mail())
        for _ in range(200):
            if sink.events:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert len(sink.events) == 1


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"host": ""}, "DUEBOT_IMAP_HOST"),
        ({"password": ""}, "DUEBOT_IMAP_PASSWORD"),
        ({"tls": "starttls"}, "implicit or none"),
        ({"port": 0}, "DUEBOT_IMAP_PORT"),
        ({"poll_seconds": 0}, "DUEBOT_IMAP_POLL_SECONDS"),
    ],
)
def test_imap_configuration_errors(kwargs: dict[str, object], needle: str) -> None:
    args: dict[str, object] = {"host": "imap.example.net", "username": "bot", "password": "pw-x1"}
    args.update(kwargs)
    with pytest.raises(ChannelConfigError, match=needle):
        ImapPoller(RecordingSink(), **args)  # type: ignore[arg-type]
    poller = ImapPoller(RecordingSink(), host="imap.example.net", username="u", password="pw-x1")
    assert "pw-x1" not in repr(poller) and poller.port == 993


def test_listener_and_poller_from_config() -> None:
    values = Settings(
        _env_file=None,  # type: ignore[call-arg]
        inbound_smtp_host="0.0.0.0",
        inbound_smtp_port=2526,
        email_reply_domain=REPLY_DOMAIN,
        imap_host="imap.example.net",
        imap_username="bot",
        imap_password=IMAP_PASSWORD,  # type: ignore[arg-type]
        imap_poll_seconds=30,
    ).model_dump()
    listener = SmtpInboundListener.from_config(ListenerConfig.from_values(values), RecordingSink())
    assert (listener.host, listener.port) == ("0.0.0.0", 2526)
    assert listener.accept_domains == frozenset({REPLY_DOMAIN})
    poller = ImapPoller.from_config(ImapConfig.from_values(values), RecordingSink())
    assert (poller.host, poller.port, poller.poll_seconds) == ("imap.example.net", 993, 30)
    assert IMAP_PASSWORD not in repr(poller)
    bare = Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    with pytest.raises(ChannelConfigError, match="DUEBOT_INBOUND_SMTP_HOST"):
        ListenerConfig.from_values(bare)
    with pytest.raises(ChannelConfigError, match="DUEBOT_IMAP_HOST"):
        ImapConfig.from_values(bare)
