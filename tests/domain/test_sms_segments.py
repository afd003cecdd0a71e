"""GSM-7 / UCS-2 segment counting and carrier keyword classification."""

from __future__ import annotations

import pytest

from bot.domain.sms_segments import (
    CarrierKeyword,
    SegmentInfo,
    carrier_keyword,
    count_segments,
    is_gsm7,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo("GSM-7", 1, 0)),
        ("Hello", SegmentInfo("GSM-7", 1, 5)),
        ("a" * 160, SegmentInfo("GSM-7", 1, 160)),
        ("a" * 161, SegmentInfo("GSM-7", 2, 161)),
        ("a" * 306, SegmentInfo("GSM-7", 2, 306)),
        ("a" * 307, SegmentInfo("GSM-7", 3, 307)),
        # extension characters cost two septets
        ("€", SegmentInfo("GSM-7", 1, 2)),
        ("^{}[]~|\\", SegmentInfo("GSM-7", 1, 16)),
        ("€" * 80, SegmentInfo("GSM-7", 1, 160)),
        ("€" * 80 + "a", SegmentInfo("GSM-7", 2, 161)),
        # accented letters in the basic table stay GSM-7
        ("Café à Zürich, ¿qué tal? £5", SegmentInfo("GSM-7", 1, 27)),
        # Chinese forces UCS-2: 70 characters a segment
        ("您" * 70, SegmentInfo("UCS-2", 1, 70)),
        ("您" * 71, SegmentInfo("UCS-2", 2, 71)),
        ("您" * 134, SegmentInfo("UCS-2", 2, 134)),
        ("您" * 135, SegmentInfo("UCS-2", 3, 135)),
        # one non-GSM character switches the whole text
        ("a" * 69 + "ç", SegmentInfo("UCS-2", 1, 70)),
        ("a" * 70 + "ç", SegmentInfo("UCS-2", 2, 71)),
        # emoji outside the BMP are two UTF-16 code units
        ("😀", SegmentInfo("UCS-2", 1, 2)),
        ("😀" * 35, SegmentInfo("UCS-2", 1, 70)),
        ("😀" * 35 + "a", SegmentInfo("UCS-2", 2, 71)),
    ],
)
def test_count_segments(text: str, expected: SegmentInfo) -> None:
    assert count_segments(text) == expected


def test_escape_pair_is_never_split_across_parts() -> None:
    # 306 plain septets fill two parts exactly (153 + 153) ...
    assert count_segments("a" * 306) == SegmentInfo("GSM-7", 2, 306)
    # ... but a euro (escape pair) at septets 153-154 cannot straddle the boundary: it
    # moves whole to part two, which pushes the last septet into a third part.
    assert count_segments("a" * 152 + "€" + "a" * 152) == SegmentInfo("GSM-7", 3, 306)
    assert count_segments("a" * 151 + "€" + "a" * 153) == SegmentInfo("GSM-7", 2, 306)


def test_surrogate_pair_is_never_split_across_parts() -> None:
    # 66 units + an emoji (2 units): the emoji moves to part two.
    assert count_segments("您" * 66 + "😀" + "您" * 66).segments == 3
    assert count_segments("您" * 67 + "😀" + "您" * 65).segments == 2


def test_is_gsm7() -> None:
    assert is_gsm7("Pay {now} at [link] ~ €10 ^_^ |\\")
    assert not is_gsm7("请付款")
    assert not is_gsm7("smart ’quote’")


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", CarrierKeyword.OPT_OUT),
        ("  stop  ", CarrierKeyword.OPT_OUT),
        ("Stop.", CarrierKeyword.OPT_OUT),
        ("unsubscribe", CarrierKeyword.OPT_OUT),
        ("STOPALL", CarrierKeyword.OPT_OUT),
        ("Cancel", CarrierKeyword.OPT_OUT),
        ("end", CarrierKeyword.OPT_OUT),
        ("quit", CarrierKeyword.OPT_OUT),
        ("revoke", CarrierKeyword.OPT_OUT),
        ("optout", CarrierKeyword.OPT_OUT),
        ("START", CarrierKeyword.OPT_IN),
        ("unstop", CarrierKeyword.OPT_IN),
        ("Yes", CarrierKeyword.OPT_IN),
        ("HELP", CarrierKeyword.HELP),
        ("info!", CarrierKeyword.HELP),
        ("stop texting me", None),
        ("I can pay $50 on Friday", None),
        ("", None),
    ],
)
def test_carrier_keyword(body: str, keyword: CarrierKeyword | None) -> None:
    assert carrier_keyword(body) is keyword
