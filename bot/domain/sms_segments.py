"""SMS text rules shared by every SMS path: segment counting and carrier keywords.

Segments
    An SMS carries 140 octets. Text that fits the GSM 03.38 default alphabet is sent as
    GSM-7 (160 septets in a single message, 153 per part once a User Data Header is
    needed for concatenation); characters from the GSM extension table (``€ ^ { } [ ] ~
    \\ |`` and form feed) are sent as an escape plus a code, so they cost two septets.
    Anything else forces the whole message into UCS-2: 70 UTF-16 code units alone, 67 per
    part, and a character outside the Basic Multilingual Plane (most emoji) costs two code
    units. Chinese text is therefore UCS-2, 70 characters a segment.

    When a message is split, neither an escape pair nor a surrogate pair is cut across
    two parts (handsets could not reassemble it), so a part can hold one unit less than
    the nominal 153/67; :func:`count_segments` fills parts greedily the same way.

Carrier keywords
    US carriers and Twilio's default opt-out handling treat a message consisting only of
    one of the keywords below (case and surrounding whitespace ignored) as an opt-out,
    an opt-in or a request for help. :func:`carrier_keyword` classifies a message body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bot.domain.messages import ChannelKind, ContactSignal, SignalKind

# GSM 03.38 default alphabet (the escape code 0x1B itself is not a character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is sent as ESC + code, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a text travels as SMS.

    ``units`` is the payload size in the encoding's units: septets for GSM-7 (extension
    characters count two), UTF-16 code units for UCS-2 (astral characters count two).
    """

    encoding: Encoding
    segments: int
    units: int


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 03.38 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(costs: list[int], single: int, part: int) -> int:
    """Number of parts for characters of the given unit costs, never splitting a character."""
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentInfo:
    """Count the SMS segments ``text`` needs (an empty text still occupies one message)."""
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SegmentInfo("GSM-7", _pack(costs, GSM7_SINGLE, GSM7_PART), sum(costs))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo("UCS-2", _pack(costs, UCS2_SINGLE, UCS2_PART), sum(costs))


class CarrierKeyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# Twilio's default keyword lists (REVOKE and OPTOUT were added for the 2025 FCC rules).
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})


def carrier_keyword(body: str) -> CarrierKeyword | None:
    """Classify a message body that is exactly one carrier keyword, else ``None``.

    Whitespace around the word and trailing ``.``/``!`` are ignored, case is ignored;
    "stop sending me these" is an ordinary message (the conversation handles it).
    """
    word = body.strip().rstrip(".!").strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return CarrierKeyword.OPT_OUT
    if word in OPT_IN_KEYWORDS:
        return CarrierKeyword.OPT_IN
    if word in HELP_KEYWORDS:
        return CarrierKeyword.HELP
    return None


_KEYWORD_SIGNALS = {
    CarrierKeyword.OPT_OUT: (SignalKind.OPT_OUT, "carrier-stop"),
    CarrierKeyword.OPT_IN: (SignalKind.OPT_IN, "carrier-start"),
    CarrierKeyword.HELP: (SignalKind.HELP, "carrier-help"),
}


def keyword_signal(keyword: CarrierKeyword, address: str, received_at: datetime,
                   provider_id: str | None, detail: str = "") -> ContactSignal:
    """The contact-point signal a carrier keyword (STOP, START, HELP) stands for."""
    kind, source = _KEYWORD_SIGNALS[keyword]
    return ContactSignal(channel=ChannelKind.SMS, address=address, kind=kind,
                         received_at=received_at, source=source, provider_id=provider_id,
                         detail=detail)
