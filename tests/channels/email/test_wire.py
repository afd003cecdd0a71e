"""The bytes the SMTP channel submits (``wire_message``) are the stdlib's: what aiosmtplib's
``send_message`` writes for ``build_message``'s message, byte for byte, and the same
input is refused the same way."""

from __future__ import annotations

import random
import re
import string
from collections import Counter
from datetime import UTC, datetime

import pytest
from aiosmtplib.email import flatten_message

from bot.domain.clock import FixedClock
from bot.domain.messages import ChannelKind, OutboundMessage
from channels.email.smtp import SmtpEmailChannel
from channels.email.unsubscribe_tokens import make_unsubscribe_token
from tests.peers.smtp_server import SmtpPeer

NOW = datetime(2026, 12, 1, 16, 0, 7, 123456, tzinfo=UTC)
_ALPHABET = string.printable + "äöüé你好€—«»\u2028\x85\x0b" + "=?" * 3


def _channels() -> list[SmtpEmailChannel]:
    clock = FixedClock(NOW)
    return [SmtpEmailChannel(host="127.0.0.1", tls="none", from_address=sender,
                             from_name=name, reply_domain=reply, clock=clock,
                             unsubscribe_base_url=url)
            for sender, name, reply, url in [
                ("bank@duebot.example", "Duebot Bank", "reply.duebot.example",
                 "https://duebot.example/u"),
                ("c@acme.example", "銀行 «Collections», Inc.", None, None),
                ("x@" + "a" * 60 + ".example", None, "r." + "b" * 50 + ".example",
                 "https://" + "c" * 40 + ".example/unsubscribe/x=?y"),
            ]]


def _messages(n: int, seed: int = 16) -> list[OutboundMessage]:
    rng = random.Random(seed)

    def text(most: int) -> str:
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, most)))

    token = make_unsubscribe_token("k" * 32, "ana@example.org", NOW)
    out = []
    for i in range(n):
        out.append(OutboundMessage(
            idempotency_key=text(12) or f"k{i}", channel=ChannelKind.EMAIL,
            to=rng.choice([f"user{i}@example.com", text(12) + "@" + text(10),
                           "a.b+c@d-e.example", "a..b@x.y", "=?utf-8?q?x?=@y.z",
                           "x" * 70 + "@y.example", "x" * 74 + "@y.ex", "ü@x.de"]),
            body=rng.choice([text(200), "Hello\n" * rng.randint(0, 20),
                             "你好，这是关于您账户的消息。" * rng.randint(1, 9),
                             "x" * rng.randint(70, 90) + "\r\n" + text(50),
                             "é" * rng.randint(1, 100), "", "line\rline\r\n\n"]),
            subject=rng.choice([None, "", text(30), "A message from Duebot Bank",
                                "关于您的账户 " * 5, "=?utf-8?q?hi?=", " padded  "]),
            reply_token=rng.choice([None, "abc", "a.b", "a..b", ".x", "A=b-c_d", "x" * 48]),
            thread_ref=rng.choice([None, "<x@y>", "abc@def.example", "<" + "q" * 80 + "@z>",
                                   "a=?b@c", "<x y@z>", "(x)@y"]),
            unsubscribe_token=rng.choice([None, "TOKEN123", token, text(20) or "t"])))
    return out


def _stdlib(channel: SmtpEmailChannel, message: OutboundMessage) -> bytes | type:
    try:
        return flatten_message(channel.build_message(message))
    except ValueError as exc:
        return type(exc)


def test_the_wire_bytes_are_the_stdlibs_byte_for_byte() -> None:
    channels = _channels()
    rng = random.Random(7)
    written: Counter[str] = Counter()
    for message in _messages(3000):
        channel = rng.choice(channels)
        expected = _stdlib(channel, message)
        try:
            wire = channel.wire_message(message)
        except ValueError as exc:
            assert expected is type(exc), message
            continue
        if wire is None:  # the stdlib's way: a non-ASCII address
            assert not message.to.isascii()
            continue
        assert wire.data == expected, message
        cte = re.search(rb"Content-Transfer-Encoding: (\S+)", wire.data)
        assert cte is not None
        written[cte.group(1).decode()] += 1
        assert wire.eight_bit == (cte.group(1) == b"8bit")
    # every encoding of the body was compared
    assert set(written) == {"7bit", "8bit", "quoted-printable", "base64"}
    assert sum(written.values()) > 1500


def test_a_message_with_an_html_part_is_left_to_the_stdlib() -> None:
    channel = _channels()[0]
    message = OutboundMessage(idempotency_key="k", channel=ChannelKind.EMAIL,
                              to="ana@example.org", body="Hi", html_body="<p>Hi</p>")
    assert channel.wire_message(message) is None


@pytest.mark.parametrize("eight_bit", [False, True])
async def test_the_server_receives_the_stdlibs_bytes(eight_bit: bool) -> None:
    """The first message of a session goes through ``send_message`` (it greets the
    server), the next ones as prebuilt bytes: the server gets the same bytes either way."""
    body = "你好\n" if eight_bit else "Hello\n"
    async with SmtpPeer() as peer:
        channel = SmtpEmailChannel(host="127.0.0.1", port=peer.port, tls="none",
                                   from_address="bank@duebot.example",
                                   reply_domain="reply.duebot.example",
                                   unsubscribe_base_url="https://duebot.example/u",
                                   clock=FixedClock(NOW), connections=1)
        sent = [OutboundMessage(idempotency_key=f"k{i}", channel=ChannelKind.EMAIL,
                                to=f"p{i}@example.org", body=body * (i + 1),
                                subject="Ihr Konto" if i % 2 else "Votre compte",
                                unsubscribe_token=f"T{i}", reply_token=f"r{i}")
                for i in range(3)]
        for message in sent:
            assert (await channel.send(message)).ok
        await channel.aclose()
    assert channel.connections_opened == 1
    for message, received in zip(sent, peer.messages, strict=True):
        wire = channel.wire_message(message)
        assert wire is not None and wire.eight_bit == eight_bit
        assert received.data == wire.data == flatten_message(channel.build_message(message))
