"""The compliance engine: one contact point, one moment, one purpose → allow or deny.

:func:`check_contact` runs every rule family and collects every reason (it does not stop
at the first), in this order: case hard stops (``hard_stops``), the contact point
(``contact_point``), timezone/contact hours/holidays/customer hours (``contact_hours``),
frequency caps (``frequency``).

Purposes (see :class:`~bot.policy.decision.Purpose`):

* ``dunning``: every rule applies.
* ``promise_reminder``: like dunning, except that a pending promise does not block it;
  it is only allowed the local day before a pending promise is due.
* ``reply``: an answer to the customer's own inbound message. Frequency caps do not
  apply. When ``inbound_at`` is given and the reply goes within the profile's
  ``reply_grace`` of it, the contact window, holidays and stated hours do not apply
  either. Opted-out, invalid and wrong-party addresses, third parties, a collector
  holding the conversation, attorney, bankruptcy and vulnerability still deny it.

Pure: no clock, no I/O. ``now`` must be timezone-aware.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.case import Case
from bot.domain.contacts import ContactPoint
from bot.policy.contact_hours import (
    check_hours,
    holiday_country,
    next_allowed,
    resolve_zone_tuple,
)
from bot.policy.contact_point import check_contact_point
from bot.policy.decision import Decision, Purpose, Reason, ReasonCode, only_time_bound
from bot.policy.frequency import caps_allow_a_first
from bot.policy.frequency import evaluate as evaluate_frequency
from bot.policy.hard_stops import check_case
from bot.policy.history import HistoryItem, SentRecord, normalise
from bot.policy.profiles import JurisdictionProfile

_FREQUENCY = frozenset({ReasonCode.FREQUENCY_CHANNEL, ReasonCode.FREQUENCY_TOTAL,
                        ReasonCode.FREQUENCY_CONTACT_POINT})


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the policy engine needs a timezone-aware time")
    return now.astimezone(UTC)


@functools.lru_cache(maxsize=1024)
def _zone_named(name: str) -> ZoneInfo | None:
    """``ZoneInfo(name)``, None for an unknown or malformed name (every case asks for its
    zone several times a tick: a dict lookup instead of the constructor's)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def case_zone(case: Case) -> ZoneInfo:
    """The zone the case's calendar (days past due, promise dates) is kept in."""
    zone = _zone_named(case.timezone)
    if zone is not None:
        return zone
    for name in case.timezone_candidates:
        zone = _zone_named(name)
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def local_date(case: Case, now: datetime) -> date:
    """Today, in the case's own timezone."""
    return _aware(now).astimezone(case_zone(case)).date()


def check_contact(
    case: Case,
    contact_point: ContactPoint,
    profile: JurisdictionProfile,
    history: Iterable[HistoryItem],
    now: datetime,
    purpose: Purpose = Purpose.DUNNING,
    *,
    inbound_at: datetime | None = None,
    related: Sequence[SentRecord] = (),
    by_person: bool = False,
) -> Decision:
    """May we write to ``contact_point`` of ``case`` at ``now`` for ``purpose``?

    ``history`` holds what was already sent about this case (``SentRecord`` or
    ``(channel, sent_at)`` pairs); ``related`` what went to the customer's other accounts
    and to other customers at this case's addresses (caps count per person and per
    address, see ``bot/policy/frequency.py``). The answer carries every reason found
    and, when each of them only says "not now", ``not_before``: the earliest instant it
    could pass. ``by_person``: a reply a person (a collector) wrote, which the holds that
    mean "a person answers" let through (see ``bot/policy/hard_stops.py``).
    """
    now = _aware(now)
    records = normalise(history)
    today = local_date(case, now)
    return contact_decision(case, contact_point, profile, records, now, purpose,
                            check_case(case, purpose, today, by_person=by_person),
                            inbound_at=inbound_at, related=related)


def contact_decision(
    case: Case,
    contact_point: ContactPoint,
    profile: JurisdictionProfile,
    records: Sequence[SentRecord],
    now: datetime,
    purpose: Purpose,
    case_reasons: Sequence[Reason],
    *,
    inbound_at: datetime | None = None,
    related: Sequence[SentRecord] = (),
) -> Decision:
    """:func:`check_contact` for a caller that already has the pieces it shares between
    contact points: ``records`` normalised (:func:`~bot.policy.history.normalise`),
    ``now`` aware, and ``case_reasons`` = :func:`~bot.policy.hard_stops.check_case` for
    ``purpose`` on the case's local day. Every other rule runs here.
    """
    reasons, not_before = contact_reasons(case, contact_point, profile, records, now,
                                          purpose, case_reasons, inbound_at=inbound_at,
                                          related=related)
    return Decision(
        allowed=not reasons,
        reasons=tuple(reasons),
        purpose=purpose,
        channel=contact_point.channel,
        address=contact_point.address,
        contact_id=contact_point.id,
        not_before=not_before,
    )


def contact_reasons(
    case: Case,
    contact_point: ContactPoint,
    profile: JurisdictionProfile,
    records: Sequence[SentRecord],
    now: datetime,
    purpose: Purpose,
    case_reasons: Sequence[Reason],
    *,
    inbound_at: datetime | None = None,
    related: Sequence[SentRecord] = (),
) -> tuple[list[Reason], datetime | None]:
    """What :func:`contact_decision` decides, as ``(reasons, not_before)`` (no reasons =
    allowed): for callers that try several contact points and build one Decision."""
    if now.tzinfo is not UTC:
        now = _aware(now)
    reasons: list[Reason] = list(case_reasons)
    reasons += check_contact_point(contact_point, purpose)

    zones, tz_reasons = resolve_zone_tuple(case.timezone, case.timezone_candidates)
    reasons += tz_reasons
    country = holiday_country(case.country, profile)
    hours_apply = not (
        purpose is Purpose.REPLY
        and inbound_at is not None
        and timedelta(0) <= now - _aware(inbound_at) <= profile.reply_grace
    )
    if hours_apply and zones:
        reasons += check_hours(now, zones, profile, contact_point, country)

    freq_free: datetime | None = None
    if purpose is not Purpose.REPLY and (records or related or not caps_allow_a_first(
            profile, contact_point.channel)):
        freq_reasons, freq_free = evaluate_frequency(
            records, contact_point.channel, now, profile, related=related,
            address=contact_point.address)
        reasons += freq_reasons

    not_before: datetime | None = None
    if only_time_bound(reasons) and not tz_reasons:
        freq_blocked = any(r.code in _FREQUENCY for r in reasons)
        if not (freq_blocked and freq_free is None):
            start = max(now, freq_free) if freq_free else now
            not_before = next_allowed(start, zones, profile, contact_point, country) \
                if hours_apply else start
    return reasons, not_before
