from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.messages import ChannelKind
from bot.policy import Action, Decision, Reason, ReasonCode


def test_decision_invariants() -> None:
    with pytest.raises(ValueError):
        Decision(allowed=True, reasons=(Reason(ReasonCode.CLOSED),))
    with pytest.raises(ValueError):
        Decision(allowed=False)


def test_record_and_explain_mask_the_address() -> None:
    d = Decision(allowed=True, channel=ChannelKind.EMAIL, address="jane.doe@example.com",
                 step_id="first_notice", variant="B", template_id="first_notice")
    rec = d.to_record()
    assert rec["contact"] == "j***@e***.com"
    assert "jane.doe" not in repr(d) + repr(rec) + d.explain()
    assert d.explain().startswith("SEND step first_notice variant B template first_notice")


def test_explain_lists_every_reason_and_the_next_time() -> None:
    d = Decision(
        allowed=False,
        reasons=(Reason(ReasonCode.OUTSIDE_HOURS, "07:00 in America/New_York"),
                 Reason(ReasonCode.OPTED_OUT, "opted out", ChannelKind.SMS, "****0123")),
        not_before=datetime(2025, 3, 12, 12, tzinfo=UTC),
        step_id="reminder",
    )
    text = d.explain()
    assert "DENY step reminder" in text
    assert "outside_hours: 07:00 in America/New_York" in text
    assert "opted_out [sms ****0123]: opted out" in text
    assert "next possible: 2025-03-12T12:00:00+00:00" in text
    assert Decision(allowed=True, action=Action.LEGAL_REVIEW, step_id="legal").explain() == \
        "LEGAL REVIEW step legal"
