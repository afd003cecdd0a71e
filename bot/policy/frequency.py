"""Frequency caps: how many messages in rolling windows, per channel and across channels,
per person and per address.

A cap ``(n, window)`` allows a new message at ``now`` when fewer than ``n`` messages
were sent in ``(now - window, now]``: a message sent exactly ``window`` ago no longer
counts. Failed deliveries (``SentRecord.failed``) and non-message records
(``channel=None``) never count. Replies are exempt from the caps (the engine does not
call these rules for them) but every reply sent counts against later messages.

The channel and total caps count what the *person* received: the case's own records and
the ``related`` records of the customer's other accounts. The profile's
``address_caps`` count what went to the one address, whoever it was for (related
records of other customers sharing it included). A reason names the other accounts it
counted (``Reason.accounts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.domain.clock import ensure_utc
from bot.domain.contacts import mask_address
from bot.domain.messages import ChannelKind
from bot.policy.decision import Reason, ReasonCode
from bot.policy.history import HistoryItem, SentRecord, normalise
from bot.policy.profiles import FrequencyCap, JurisdictionProfile


def _times(history: Sequence[SentRecord], channel: ChannelKind | None) -> list[datetime]:
    return sorted(
        r.sent_at for r in history
        if r.is_message and not r.failed and (channel is None or r.channel == channel)
    )


def _counted(records: Sequence[SentRecord], channel: ChannelKind | None, cap: FrequencyCap,
             now: datetime) -> tuple[str, ...]:
    """The other accounts whose messages (on ``channel``) fall in ``cap``'s window."""
    return tuple(sorted({r.account for r in records
                         if r.account is not None and r.is_message and not r.failed
                         and (channel is None or r.channel == channel)
                         and now - cap.window < r.sent_at <= now}))


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
            and all(c.max_count > 0 for c in profile.total_caps)
            and all(c.max_count > 0 for c in profile.address_caps))


def check_frequency(
    history: Iterable[HistoryItem],
    channel: ChannelKind,
    now: datetime,
    profile: JurisdictionProfile,
    *,
    related: Sequence[SentRecord] = (),
    address: str | None = None,
) -> list[Reason]:
    """Reasons a message on ``channel`` (to ``address``) at ``now`` would exceed a cap
    (empty = fine)."""
    reasons, _ = evaluate(history, channel, now, profile, related=related, address=address)
    return reasons


def evaluate(
    history: Iterable[HistoryItem],
    channel: ChannelKind,
    now: datetime,
    profile: JurisdictionProfile,
    *,
    related: Sequence[SentRecord] = (),
    address: str | None = None,
) -> tuple[list[Reason], datetime | None]:
    """The reasons, and when every breached cap frees up (None if none is breached or a
    cap is zero).

    ``related``: records of the customer's other accounts and of other customers written
    to at this case's addresses (see the module docstring); ``address``: the address the
    message would go to (its ``address_caps`` apply when given)."""
    now = ensure_utc(now)
    records = normalise(history)
    if not records and not related and caps_allow_a_first(profile, channel):
        return [], None  # nothing sent yet and no cap forbids the channel outright
    if related:
        related = normalise(related)
    person = records + [r for r in related if not r.other_customer] if related else records
    reasons: list[Reason] = []
    frees: list[datetime] = []
    never = False
    checks: list[tuple[ReasonCode, list[SentRecord], ChannelKind | None, FrequencyCap, str]]
    checks = [
        (ReasonCode.FREQUENCY_CHANNEL, person, channel, cap, f"{channel}")
        for cap in profile.caps_for(channel)
    ] + [
        (ReasonCode.FREQUENCY_TOTAL, person, None, cap, "all channels")
        for cap in profile.total_caps
    ]
    if address is not None and profile.address_caps:
        here = [r for r in (*records, *related) if r.address == address]
        checks += [(ReasonCode.FREQUENCY_CONTACT_POINT, here, None, cap, "this address")
                   for cap in profile.address_caps]
    for code, pool, only, cap, label in checks:
        times = _times(pool, only)
        in_window = sum(1 for t in times if now - cap.window < t <= now)
        if in_window < cap.max_count:
            continue
        free = _breach(times, cap, now)
        if free is None:
            never = True
        else:
            frees.append(free)
        accounts = _counted(pool, only, cap, now) if pool is not records else ()
        whose = f" (with {len(accounts)} other account{'s' if len(accounts) != 1 else ''})" \
            if accounts else ""
        reasons.append(Reason(
            code,
            f"{in_window} sent on {label} in the last {cap.span}{whose}; cap {cap} "
            f"({profile.name})",
            channel if code is not ReasonCode.FREQUENCY_TOTAL else None,
            mask_address(address) if code is ReasonCode.FREQUENCY_CONTACT_POINT and address
            else None,
            accounts=accounts,
        ))
    return reasons, (None if never or not frees else max(frees))
