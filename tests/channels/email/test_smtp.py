"""SmtpEmailChannel against a real aiosmtpd server on loopback (no mocks)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from datetime import UTC, datetime

import aiosmtplib
import pytest
from pydantic import ValidationError

from bot.domain.clock import FixedClock
from bot.domain.contacts import mask_email
from bot.domain.messages import (
    ChannelKind,
    DeliveryStatus,
    FailureReason,
    InboundMessage,
    OutboundMessage,
)
from bot.services.ports import ChannelConfigError
from bot.settings import Settings
from channels.email.config import SmtpConfig
from channels.email.smtp import SmtpEmailChannel, message_id_for
from tests.channels.harness_email import harness
from tests.peers.smtp_server import SmtpPeer

FROM = "collections@bank.example"
PASSWORD = "pw-very-secret-123"
NOW = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


def out(
    key: str = "k1", to: str = "ana@example.org", body: str = "Hello Ana", **kw: object
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        channel=ChannelKind.EMAIL,
        to=to,
        body=body,
        subject=kw.pop("subject", "Your account"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def channel_for(peer: SmtpPeer, **kw: object) -> SmtpEmailChannel:
    args: dict[str, object] = {
        "host": "127.0.0.1",
        "port": peer.port,
        "tls": peer.tls,
        "ca_file": peer.ca_file,
        "from_address": FROM,
        "reply_domain": "reply.bank.example",
        "unsubscribe_base_url": "https://bank.example/unsubscribe",
        "timeout": 5.0,
        "clock": FixedClock(NOW),
    }
    if peer.users:
        args["username"], args["password"] = next(iter(peer.users.items()))
    args.update(kw)
    return SmtpEmailChannel(**args)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- transport


async def test_plain_send_is_accepted_with_message_id_as_provider_id() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        result = await ch.send(out(body="Hello Ana,\nyour balance is $120.00."))
        await ch.aclose()
    assert result.status is DeliveryStatus.ACCEPTED
    assert result.provider_id == message_id_for("k1", "bank.example")
    [mail] = peer.messages
    assert mail.mail_from == FROM and mail.rcpt_tos == ("ana@example.org",)
    msg = mail.message
    assert msg["Message-ID"] == f"<{result.provider_id}>"
    assert msg["Subject"] == "Your account"
    assert msg["From"] == FROM and msg["To"] == "ana@example.org"
    assert msg["Date"] == "Tue, 05 Mar 2024 14:30:00 +0000"
    assert mail.text() == "Hello Ana,\nyour balance is $120.00.\n"
    assert not mail.tls


async def test_starttls_with_auth_verifies_the_certificate() -> None:
    async with SmtpPeer(tls="starttls", users={"bot": PASSWORD}) as peer:
        ch = channel_for(peer)
        result = await ch.send(out())
        await ch.aclose()
    assert result.ok
    [mail] = peer.messages
    assert mail.tls and mail.user == "bot"


async def test_implicit_tls_with_auth() -> None:
    async with SmtpPeer(tls="implicit", users={"bot": PASSWORD}) as peer:
        ch = channel_for(peer)
        result = await ch.send(out())
        await ch.aclose()
    assert result.ok
    assert peer.messages[0].tls and peer.messages[0].user == "bot"


async def test_peer_requiring_starttls_refuses_a_plain_client() -> None:
    async with SmtpPeer(tls="starttls") as peer:
        ch = channel_for(peer, tls="none")
        result = await ch.send(out())
        await ch.aclose()
    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.CONFIGURATION and result.code == "530"
    assert peer.messages == []


async def test_tls_mismatches_are_configuration_failures() -> None:
    async with SmtpPeer() as peer:  # plain server
        wants_starttls = await channel_for(peer, tls="starttls").send(out())
        wants_implicit = await channel_for(peer, tls="implicit").send(out())
    assert (wants_starttls.status, wants_starttls.reason) == (
        DeliveryStatus.PERMANENT,
        FailureReason.CONFIGURATION,
    )
    assert "STARTTLS" in wants_starttls.detail
    assert wants_implicit.reason is FailureReason.CONFIGURATION
    assert "TLS handshake failed" in wants_implicit.detail
    assert peer.messages == []


async def test_wrong_password_is_a_permanent_configuration_failure() -> None:
    async with SmtpPeer(tls="starttls", users={"bot": PASSWORD}) as peer:
        ch = channel_for(peer, username="bot", password="wrong-password")
        result = await ch.send(out())
        await ch.aclose()
    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.CONFIGURATION
    assert result.code == "535"
    assert peer.auth_failures >= 1 and peer.messages == []  # PLAIN, then LOGIN


async def test_untrusted_certificate_is_a_configuration_failure_unless_unchecked() -> None:
    async with SmtpPeer(tls="implicit") as peer:
        strict = channel_for(peer, ca_file=None)
        result = await strict.send(out())
        assert result.status is DeliveryStatus.PERMANENT
        assert result.reason is FailureReason.CONFIGURATION
        assert "certificate" in result.detail
        lax = channel_for(peer, ca_file=None, validate_certs=False)
        assert (await lax.send(out())).ok
        await lax.aclose()
    assert len(peer.messages) == 1


async def test_550_recipient_is_permanent_and_the_connection_stays_usable() -> None:
    async with SmtpPeer.refusing(["gone@example.org"]) as peer:
        ch = channel_for(peer)
        first = await ch.send(out("k1", to="ana@example.org"))
        refused = await ch.send(out("k2", to="gone@example.org"))
        after = await ch.send(out("k3", to="ben@example.org"))
        await ch.aclose()
    assert first.ok and after.ok
    assert refused.status is DeliveryStatus.PERMANENT
    assert refused.reason is FailureReason.INVALID_ADDRESS
    assert refused.code == "550"
    assert "5.1.1" in refused.detail and "gone@" not in refused.detail  # address masked
    assert peer.connections == 1 and ch.connections_opened == 1
    assert [m.rcpt_tos for m in peer.messages] == [("ana@example.org",), ("ben@example.org",)]
    assert {m.connection for m in peer.messages} == {1}


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        ("550 5.7.1 Message refused by policy", DeliveryStatus.PERMANENT, FailureReason.REJECTED),
        ("553 5.1.3 Bad destination", DeliveryStatus.PERMANENT, FailureReason.INVALID_ADDRESS),
        ("551 User not local", DeliveryStatus.PERMANENT, FailureReason.INVALID_ADDRESS),
        ("552 5.2.2 Mailbox full", DeliveryStatus.TRANSIENT, FailureReason.UNAVAILABLE),
        ("450 4.2.1 Mailbox busy", DeliveryStatus.TRANSIENT, FailureReason.UNAVAILABLE),
        ("451 4.7.1 Rate limit exceeded", DeliveryStatus.TRANSIENT, FailureReason.RATE_LIMITED),
    ],
)
async def test_recipient_replies_map_to_results(
    reply: str, status: DeliveryStatus, reason: FailureReason
) -> None:
    async with SmtpPeer(refuse={"x@example.org": reply}) as peer:
        ch = channel_for(peer)
        result = await ch.send(out(to="x@example.org"))
        next_ok = await ch.send(out("k2", to="y@example.org"))
        await ch.aclose()
    assert (result.status, result.reason) == (status, reason)
    assert result.code == reply[:3]
    assert next_ok.ok and peer.connections == 1


async def test_server_down_is_transient() -> None:
    ch = SmtpEmailChannel(
        host="127.0.0.1", port=free_port(), tls="none", from_address=FROM, timeout=2.0
    )
    result = await ch.send(out())
    assert result.status is DeliveryStatus.TRANSIENT
    assert result.reason is FailureReason.UNAVAILABLE


async def test_dropped_connection_is_reopened_on_next_send() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        assert (await ch.send(out("k1"))).ok
        assert ch.connected
        peer.drop_connections()
        async with asyncio.timeout(5):
            while ch.connected:  # let the close reach the client
                await asyncio.sleep(0.005)
        assert (await ch.send(out("k2"))).ok
        await ch.aclose()
    assert peer.connections == 2 and ch.connections_opened == 2
    assert len(peer.messages) == 2


async def test_idle_connection_is_checked_with_noop_and_replaced_if_dead() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer, idle_check_seconds=0)
        assert (await ch.send(out("k1"))).ok
        assert (await ch.send(out("k2"))).ok  # NOOP answered: same connection
        assert peer.connections == 1
        peer.drop_connections()  # no pause: the client has not noticed yet
        assert (await ch.send(out("k3"))).ok
        await ch.aclose()
    assert peer.connections == 2 and len(peer.messages) == 3


async def test_start_fails_fast_on_bad_credentials() -> None:
    async with SmtpPeer(tls="starttls", users={"bot": PASSWORD}) as peer:
        ch = channel_for(peer, password="nope-nope")
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await ch.start()


async def test_concurrent_sends_share_one_connection_when_the_pool_holds_one() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer, connections=1)
        await ch.start()
        results = await asyncio.gather(
            *(ch.send(out(f"k{i}", to=f"c{i}@example.org")) for i in range(20))
        )
        await ch.aclose()
    assert all(r.ok for r in results)
    assert len({r.provider_id for r in results}) == 20
    assert peer.connections == 1 and len(peer.messages) == 20
    assert peer.most_in_data == 1


async def test_concurrent_sends_use_the_pooled_connections_at_once() -> None:
    async with SmtpPeer(data_delay=0.2) as peer:
        ch = channel_for(peer, connections=3)
        await ch.start()
        results = await asyncio.gather(
            *(ch.send(out(f"k{i}", to=f"c{i}@example.org")) for i in range(9))
        )
        assert ch.open_connections == 3
        await ch.aclose()
        assert ch.open_connections == 0
    assert all(r.ok for r in results)
    assert len({r.provider_id for r in results}) == 9
    # three sessions at once, never more; each carried three of the messages
    assert peer.connections == 3 and ch.connections_opened == 3
    assert peer.most_in_data == 3
    assert sorted(Counter(m.connection for m in peer.messages).values()) == [3, 3, 3]


async def test_sends_one_after_the_other_keep_one_connection_of_the_pool() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer, connections=4)
        for i in range(5):
            assert (await ch.send(out(f"k{i}", to=f"c{i}@example.org"))).ok
        await ch.aclose()
    assert peer.connections == 1 and {m.connection for m in peer.messages} == {1}


def test_smtp_connections_setting_reaches_the_channel() -> None:
    values = Settings(_env_file=None, smtp_host="127.0.0.1",  # type: ignore[call-arg]
                      smtp_connections=7).model_dump()
    assert SmtpEmailChannel.from_config(SmtpConfig.from_values(values)).connections == 7
    default = Settings(_env_file=None, smtp_host="127.0.0.1").model_dump()  # type: ignore[call-arg]
    assert SmtpEmailChannel.from_config(SmtpConfig.from_values(default)).connections == 4
    with pytest.raises(ChannelConfigError, match="DUEBOT_SMTP_CONNECTIONS"):
        SmtpEmailChannel(host="127.0.0.1", from_address=FROM, connections=0)
    with pytest.raises(ValidationError, match="smtp_connections"):
        Settings(_env_file=None, smtp_connections=0)  # type: ignore[call-arg]


# ---------------------------------------------------------------------- headers


async def test_threading_reply_address_and_unsubscribe_headers() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        result = await ch.send(
            out(
                thread_ref="<CAF=xy.123@mail.example.org>",
                reply_token="c42t7",
                unsubscribe_token="TOKEN_abc-123",
                html_body="<p>Hello <b>Ana</b></p>",
            )
        )
        await ch.aclose()
    assert result.ok
    msg = peer.messages[0].message
    assert msg["In-Reply-To"] == "<CAF=xy.123@mail.example.org>"
    assert msg["References"] == "<CAF=xy.123@mail.example.org>"
    assert msg["Reply-To"] == "reply+c42t7@reply.bank.example"
    unsubscribe = " ".join(str(msg["List-Unsubscribe"]).split())
    assert unsubscribe == (
        "<https://bank.example/unsubscribe/TOKEN_abc-123>, "
        "<mailto:unsubscribe@reply.bank.example?subject=unsubscribe%20TOKEN_abc-123>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and "<b>Ana</b>" in html.get_content()
    # the List-Unsubscribe target is also shown in the text, under the body
    assert peer.messages[0].text() == "Hello Ana\n\nhttps://bank.example/unsubscribe/TOKEN_abc-123\n"


def _raw_header(data: bytes, name: str) -> list[bytes]:
    """The header's lines exactly as the peer received them (first line and folds)."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    prefix = name.lower().encode() + b":"
    for i, line in enumerate(head):
        if line.lower().startswith(prefix):
            folds = [line]
            for more in head[i + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                folds.append(more)
            return folds
    raise AssertionError(f"no {name} header in {head!r}")


async def test_list_unsubscribe_is_raw_on_the_wire() -> None:
    """RFC 2369/8058: the header carries the <URI> list itself, never RFC 2047 encoded
    words, however long the token; a long list folds between its elements."""
    from datetime import UTC, datetime

    from channels.email.unsubscribe_tokens import make_unsubscribe_token

    token = make_unsubscribe_token(["s3cret-for-tests-" + "x" * 32],
                                   "ana.maria.lopez-garcia@example.com",
                                   datetime(2026, 12, 1, tzinfo=UTC))
    assert len(token) > 40  # a real token: the line is far over 78 characters
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        assert (await ch.send(out(unsubscribe_token=token))).ok
        await ch.aclose()
    data = peer.messages[0].data
    lines = _raw_header(data, "List-Unsubscribe")
    assert b"=?" not in b"".join(lines)
    assert all(len(line) <= 998 for line in lines)
    unfolded = b"".join(lines).decode("ascii")
    assert " ".join(unfolded.split()) == (
        f"List-Unsubscribe: <https://bank.example/unsubscribe/{token}>, "
        f"<mailto:unsubscribe@reply.bank.example?subject=unsubscribe%20{token}>")
    assert _raw_header(data, "List-Unsubscribe-Post") == [
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]


def test_unsubscribe_url_with_characters_a_uri_list_cannot_carry_is_refused() -> None:
    for url in ("https://bank.example/un subscribe", "https://bank.example/a,b",
                "https://bänk.example/unsubscribe"):
        with pytest.raises(ChannelConfigError, match="unsubscribe URL"):
            SmtpEmailChannel(host="127.0.0.1", port=25, tls="none", from_address=FROM,
                             unsubscribe_base_url=url)


async def test_bare_thread_ref_gets_brackets_and_optional_headers_are_omitted() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer, reply_domain=None)
        await ch.send(out(thread_ref="abc@mail.example.org", reply_token="t1"))
        await ch.send(out("k2"))
        await ch.aclose()
    first, second = (m.message for m in peer.messages)
    assert first["In-Reply-To"] == "<abc@mail.example.org>"
    assert first["Reply-To"] is None  # no reply domain configured
    for header in ("In-Reply-To", "References", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert second[header] is None


async def test_message_id_is_stable_per_idempotency_key() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        a = await ch.send(out("same-key"))
        b = await ch.send(out("same-key"))
        c = await ch.send(out("other-key"))
        await ch.aclose()
    assert a.provider_id == b.provider_id != c.provider_id
    assert peer.messages[0].message["Message-ID"] == peer.messages[1].message["Message-ID"]


async def test_unicode_subject_and_body_survive() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        body = "Olá Zoë — 您好, saldo: R$ 1.234,56 " + "x" * 200
        assert (await ch.send(out(subject="Atenção: sua conta", body=body))).ok
        await ch.aclose()
    msg = peer.messages[0].message
    assert msg["Subject"] == "Atenção: sua conta"
    assert peer.messages[0].text() == body + "\n"


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("to", ["not-an-address", "a@b@c", "Ana <ana@example.org>", "a b@x.org"])
async def test_unusable_recipient_is_permanent_without_touching_the_server(to: str) -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        result = await ch.send(out(to=to))
    assert result.status is DeliveryStatus.PERMANENT
    assert result.reason is FailureReason.INVALID_ADDRESS
    assert peer.connections == 0


async def test_header_injection_is_refused() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        injected = await ch.send(out(subject="Hi\r\nBcc: victim@example.org"))
        bad_token = await ch.send(out("k2", reply_token="x@evil.example"))
        await ch.aclose()
    assert injected.status is DeliveryStatus.PERMANENT
    assert injected.reason is FailureReason.REJECTED
    assert bad_token.status is DeliveryStatus.PERMANENT
    assert peer.messages == []


async def test_wrong_channel_and_oversized_body_are_refused() -> None:
    async with SmtpPeer() as peer:
        ch = channel_for(peer)
        sms = OutboundMessage("k", ChannelKind.SMS, "ana@example.org", "hi")
        big = out(body="x" * (SmtpEmailChannel.max_body_len + 1))
        assert (await ch.send(sms)).status is DeliveryStatus.PERMANENT
        assert (await ch.send(big)).status is DeliveryStatus.PERMANENT
    assert peer.messages == []


# ---------------------------------------------------------------------- config & privacy


def test_capabilities() -> None:
    assert SmtpEmailChannel.kind is ChannelKind.EMAIL
    assert SmtpEmailChannel.supports_subject is True
    assert SmtpEmailChannel.max_body_len >= 10_000
    assert SmtpEmailChannel.rate_per_sec > 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"host": ""}, "DUEBOT_SMTP_HOST"),
        ({"tls": "ssl"}, "DUEBOT_SMTP_TLS"),
        ({"port": 0}, "DUEBOT_SMTP_PORT"),
        ({"port": 70000}, "DUEBOT_SMTP_PORT"),
        ({"username": "bot"}, "DUEBOT_SMTP_PASSWORD"),
        ({"password": PASSWORD}, "DUEBOT_SMTP_USERNAME"),
        (
            {"host": "smtp.example.net", "tls": "none", "username": "bot", "password": PASSWORD},
            "clear text",
        ),
        ({"from_address": "Collections <c@bank.example>"}, "DUEBOT_EMAIL_FROM"),
        ({"from_address": "nobody"}, "DUEBOT_EMAIL_FROM"),
        ({"reply_domain": "reply@bank.example"}, "DUEBOT_EMAIL_REPLY_DOMAIN"),
        ({"unsubscribe_base_url": "http://bank.example/u"}, "https"),
        ({"unsubscribe_base_url": "ftp://bank.example/u"}, "https"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_configuration_errors_name_the_setting_and_hide_secrets(
    kwargs: dict[str, object], needle: str
) -> None:
    args: dict[str, object] = {"host": "smtp.example.net", "from_address": FROM}
    args.update(kwargs)
    with pytest.raises(ChannelConfigError) as err:
        SmtpEmailChannel(**args)  # type: ignore[arg-type]
    assert needle in str(err.value)
    assert PASSWORD not in str(err.value)


def test_http_unsubscribe_url_is_allowed_on_loopback_only() -> None:
    ch = SmtpEmailChannel(
        host="127.0.0.1",
        from_address=FROM,
        unsubscribe_base_url="http://127.0.0.1:8000/unsubscribe",
    )
    assert ch.unsubscribe_base_url == "http://127.0.0.1:8000/unsubscribe"


def test_repr_hides_the_password() -> None:
    ch = SmtpEmailChannel(
        host="smtp.example.net", username="bot", password=PASSWORD, from_address=FROM
    )
    assert PASSWORD not in repr(ch) and PASSWORD not in str(ch)
    assert "***" in repr(ch)
    assert ch.port == 587


def test_from_config() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        smtp_host="smtp.example.net",
        smtp_port=465,
        smtp_tls="implicit",
        smtp_username="bot",
        smtp_password=PASSWORD,  # type: ignore[arg-type]
        email_from="collections@bank.example",
        email_reply_domain="reply.bank.example",
        public_url="https://bank.example/",
    )
    ch = SmtpEmailChannel.from_config(SmtpConfig.from_values(settings.model_dump()))
    assert (ch.host, ch.port, ch.tls, ch.username) == ("smtp.example.net", 465, "implicit", "bot")
    assert ch.unsubscribe_base_url == "https://bank.example/unsubscribe"
    assert ch.reply_domain == "reply.bank.example"
    assert PASSWORD not in repr(ch)
    with pytest.raises(ChannelConfigError, match="DUEBOT_SMTP_HOST"):
        SmtpConfig.from_values(Settings(_env_file=None).model_dump())  # type: ignore[call-arg]


async def test_logs_carry_no_address_body_or_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with SmtpPeer.refusing(
        ["gone.person@example.org"], tls="starttls", users={"bot": PASSWORD}
    ) as peer:
        ch = channel_for(peer)
        await ch.send(out(to="ana.secret@example.org", body="SECRET-BODY-TEXT"))
        await ch.send(out("k2", to="gone.person@example.org", body="SECRET-BODY-TEXT"))
        await ch.aclose()
        bad = channel_for(peer, password="wrong-" + PASSWORD)
        await bad.send(out("k3"))
    ours = [r for r in caplog.records if r.name.startswith("channels.")]
    assert ours, "the channel should log what it does"
    text = "\n".join(r.getMessage() for r in ours)
    for secret in ("ana.secret@", "gone.person@", "SECRET-BODY-TEXT", PASSWORD):
        assert secret not in text
    assert mask_email("ana.secret@example.org") in text


async def test_parse_inbound_takes_raw_bytes() -> None:
    async with harness() as h:
        raw = h.inbound_raw("I will pay on Friday", "msg-1@example.org")
        [event] = h.channel.parse_inbound(raw)
        with pytest.raises(ValueError, match="raw"):
            h.channel.parse_inbound({"body": "x"})
    assert isinstance(event, InboundMessage)
    assert event.sender == h.customer_address
    assert event.text == "I will pay on Friday"
    assert event.provider_id == "msg-1@example.org"
    assert event.reply_token == h.reply_token


async def test_harness_delivers_good_and_refuses_bad() -> None:
    async with harness() as h:
        ok = await h.channel.send(out(to=h.good_address, body="Hi there"))
        bad = await h.channel.send(out("k2", to=h.bad_address))
        [delivered] = await h.delivered()
    assert ok.ok and bad.reason is FailureReason.INVALID_ADDRESS
    assert delivered.to == h.good_address
    assert delivered.body == "Hi there" and delivered.subject == "Your account"
