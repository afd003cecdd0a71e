"""An outgoing email's bytes, written as the stdlib would write them, without the message.

:meth:`~channels.email.smtp.SmtpEmailChannel.build_message` builds an
``email.message.EmailMessage`` and aiosmtplib's ``send_message`` flattens it under
``email.policy.SMTP``: about 0.3 ms of CPU per message, nearly all of it parsing header
values into token trees and folding them back, for values that either repeat from message
to message (subject, date, sender, the MIME headers) or are too plain to change (an
address, a message id). :class:`HeaderLines` writes each header line:

* a value that repeats: folded by the stdlib once, then taken from a cache;
* a plain value (see :data:`PLAIN_ADDRESS`, :data:`PLAIN_MESSAGE_ID`) that fits on a line:
  written as it is, which is what the stdlib's folding gives for it;
* anything else: folded by the stdlib, header by header, exactly as the generator does
  (``header_store_parse`` then ``fold_binary``), so the same values are refused with the
  same ``ValueError``.

:func:`text_body` encodes a ``text/plain`` body as ``set_content`` does (7bit, 8bit,
quoted-printable or base64, chosen by the same rules) with the generator's CRLF line
ends. The tests compare the bytes with the stdlib's, message by message.
"""

from __future__ import annotations

import binascii
import email.policy
import re
from dataclasses import dataclass
from email import quoprimime
from email.policy import EmailPolicy
from typing import Any

#: how the generator writes header lines and the body on the wire
WIRE_POLICY: EmailPolicy[Any] = email.policy.SMTP
CRLF = b"\r\n"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
#: an address the stdlib writes back unchanged: a dot-atom local part at a host name
PLAIN_ADDRESS = re.compile(rf"{_DOT_ATOM}@{_DOMAIN}\Z")
#: a message id the stdlib writes back unchanged
PLAIN_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>\Z")
_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class WireMessage:
    """A message's bytes for SMTP ``DATA``; ``eight_bit``: its body goes as 8bit (the
    server must offer 8BITMIME, else it needs re-encoding)."""

    data: bytes
    eight_bit: bool


class HeaderLines:
    """Header lines on the wire (``Name: value`` + CRLF, folded as the stdlib folds them).

    ``message_policy`` is the policy the message would be built under: its
    ``header_store_parse`` turns a value into the header object the generator folds."""

    def __init__(self, message_policy: EmailPolicy[Any], wire_policy: EmailPolicy[Any] = WIRE_POLICY
                 ) -> None:
        self.message_policy = message_policy
        self.wire_policy = wire_policy
        self.max_line = wire_policy.max_line_length or 78
        self._cache: dict[tuple[str, str], bytes] = {}

    def folded(self, name: str, value: object) -> bytes:
        """The stdlib's line for this header (raises ``ValueError`` where it does)."""
        stored = self.message_policy.header_store_parse(name, value)
        return self.wire_policy.fold_binary(*stored)

    def repeated(self, name: str, value: str) -> bytes:
        """:meth:`folded`, cached: for values many messages share (subject, date)."""
        key = (name, value)
        line = self._cache.get(key)
        if line is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            line = self._cache[key] = self.folded(name, value)
        return line

    def plain(self, name: str, value: str, pattern: re.Pattern[str]) -> bytes:
        """The line for a value written as it is when it matches ``pattern`` and fits on
        one line (what the stdlib's folding gives), else :meth:`folded`."""
        if len(name) + 2 + len(value) <= self.max_line and pattern.match(value) \
                and "=?" not in value:
            return f"{name}: {value}\r\n".encode("ascii")
        return self.folded(name, value)


def text_body(text: str, policy: EmailPolicy[Any]) -> tuple[str, bytes]:
    """``(Content-Transfer-Encoding, body bytes on the wire)`` of ``text`` as
    ``set_content(text)`` (utf-8) encodes it under ``policy`` and the generator writes it
    (CRLF line ends). Raises ``UnicodeEncodeError`` where ``set_content`` does."""
    lines = text.encode("utf-8").splitlines()
    maxlen = policy.max_line_length or 78
    body = b"\n".join(lines) + b"\n"
    if max((len(x) for x in lines), default=0) <= maxlen:
        if body.isascii():
            return "7bit", body.replace(b"\n", CRLF)
        if policy.cte_type == "8bit":
            return "8bit", body.replace(b"\n", CRLF)
    # long lines (or a 7bit policy): the shorter of quoted-printable and base64 on the
    # first ten lines, as email.contentmanager decides
    linesep = policy.linesep.encode("ascii")
    sniff = linesep.join(lines[:10]) + linesep
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), maxlen)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        embedded, per_line = linesep.join(lines) + linesep, maxlen // 4 * 3
        data = "".join(binascii.b2a_base64(embedded[i:i + per_line]).decode("ascii")
                       for i in range(0, len(embedded), per_line))
        return "base64", re.sub(rb"\r\n|\r|\n", CRLF, data.encode("ascii"))
    data = sniff_qp if len(lines) <= 10 else quoprimime.body_encode(body.decode("latin-1"),
                                                                     maxlen)
    return "quoted-printable", re.sub(rb"\r\n|\r|\n", CRLF, data.encode("ascii"))
