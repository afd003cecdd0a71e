"""Frequency caps: how many messages in rolling windows, per channel and across channels.

A cap ``(n, window)`` allows a new message at ``now`` when fewer than ``n`` messages
were sent in ``(now - window, now]``: a message sent exactly ``window`` ago no longer
counts. Failed deliveries (``SentRecord.failed``) and non-message records
(``channel=None``) never count. Replies are exempt from the caps (the engine does not
call these rules for them) but every reply sent counts against later messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.domain.clock import ensure_utc
from bot.domain.messages import ChannelKind
from bot.policy.decision import Reason, ReasonCode
from bot.policy.history import HistoryItem, SentRecord, normalise
from bot.policy.profiles import FrequencyCap, JurisdictionProfile


def _times(history: Sequence[SentRecord], channel: ChannelKind | None) -> list[datetime]:
    return sorted(
        r.sent_at for r in history
        if r.is_message and not r.failed and (channel is None or r.channel == channel)
    )


def _breach(times: list[datetime], cap: FrequencyCap, now: datetime) -> datetime | None:
    """When the cap is full at ``now``: the instant enough messages have aged out."""
    in_window = [t for t in times if now - cap.window < t <= now]
    if len(in_window) < cap.max_count:
        return None
    if cap.max_count == 0:
        return None  # never allowed: no instant to wait for
    # the oldest (len - max + 1) messages must leave the window
    return in_window[len(in_window) - cap.max_count] + cap.window


def caps_allow_a_first(profile: JurisdictionProfile, channel: ChannelKind) -> bool:
    """True when, with nothing sent yet, no cap forbids ``channel`` (no zero cap): the
    caps then need no evaluation for a customer without history."""
    # two short loops: cheaper than hashing the caps for a cache lookup
    return (all(c.max_count > 0 for c in profile.channel_caps.get(channel, ()))
            and all(c.max_count > 0 for c in profile.total_caps))


def check_frequency(
    history: Iterable[HistoryItem],
    channel: ChannelKind,
    now: datetime,
    profile: JurisdictionProfile,
) -> list[Reason]:
    """Reasons a message on ``channel`` at ``now`` would exceed a cap (empty = fine)."""
    reasons, _ = evaluate(history, channel, now, profile)
    return reasons


def evaluate(
    history: Iterable[HistoryItem],
    channel: ChannelKind,
    now: datetime,
    profile: JurisdictionProfile,
) -> tuple[list[Reason], datetime | None]:
    """The reasons, and when every breached cap frees up (None if none is breached or a
    cap is zero)."""
    now = ensure_utc(now)
    records = normalise(history)
    if not records and caps_allow_a_first(profile, channel):
        return [], None  # nothing sent yet and no cap forbids the channel outright
    reasons: list[Reason] = []
    frees: list[datetime] = []
    never = False
    checks: list[tuple[ReasonCode, list[datetime], FrequencyCap, str]] = [
        (ReasonCode.FREQUENCY_CHANNEL, _times(records, channel), cap, f"{channel}")
        for cap in profile.caps_for(channel)
    ] + [
        (ReasonCode.FREQUENCY_TOTAL, _times(records, None), cap, "all channels")
        for cap in profile.total_caps
    ]
    for code, times, cap, label in checks:
        in_window = sum(1 for t in times if now - cap.window < t <= now)
        if in_window < cap.max_count:
            continue
        free = _breach(times, cap, now)
        if free is None:
            never = True
        else:
            frees.append(free)
        reasons.append(Reason(
            code,
            f"{in_window} sent on {label} in the last {cap.span}; cap {cap} ({profile.name})",
            channel if code is ReasonCode.FREQUENCY_CHANNEL else None,
        ))
    return reasons, (None if never or not frees else max(frees))
