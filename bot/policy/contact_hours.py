"""Contact hours: the customer's local time, public holidays and stated preferences.

* The profile's window applies in the customer's local time, start inclusive, end
  exclusive (US/UK 08:00–21:00, CN 08:00–22:00).
* Ambiguous timezone (``case.timezone_candidates`` has several zones because the phone
  and the address disagree): allowed only when inside the window in every candidate zone.
  Without candidates the case's ``timezone`` is used.
* Public holidays of the customer's country (the ``holidays`` package; the case's
  ``country`` when the package knows it, else the profile's country) close the whole
  local day, checked in every candidate zone.
* Customer-stated hours on the contact point: ``preferred_start``/``preferred_end``
  narrow the window (a start after the end means "evenings and mornings", e.g.
  18:00–09:00); ``forbidden_start``/``forbidden_end`` (read with ``getattr``; not yet on
  ``ContactPoint``) cut a span out of it.

:func:`check_hours` names every reason; :func:`next_allowed` computes the earliest
allowed instant by intersecting the allowed intervals of every zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.contacts import ContactPoint
from bot.policy.decision import Reason, ReasonCode
from bot.policy.profiles import JurisdictionProfile

if TYPE_CHECKING:
    import holidays

_DAY_SECONDS = 86_400
Span = tuple[int, int]  # [start, end) in seconds of the local day
T = TypeVar("T", int, datetime)


@lru_cache(maxsize=64)
def _holiday_calendar(country: str, year: int) -> holidays.HolidayBase:
    # imported when a day is first checked: the package (and dateutil.parser with it)
    # took a tenth of a second of every process importing the policy, and a command
    # that only answers a reply (`duebot sandbox reply`) checks no holiday
    import holidays

    return holidays.country_holidays(country, years=year)


@lru_cache(maxsize=8192)
def holiday_name(country: str, day: date) -> str | None:
    """The public holiday on ``day`` in ``country`` (cached per country and day)."""
    return _holiday_calendar(country.upper(), day.year).get(day)


@lru_cache(maxsize=64)
def _supported(country: str) -> bool:
    try:
        _holiday_calendar(country, 2000)
    except NotImplementedError:
        return False
    return True


def holiday_country(case_country: str | None, profile: JurisdictionProfile) -> str:
    """The country whose holidays apply: the customer's when known to the package."""
    return _holiday_country(case_country, profile.holiday_country)


@lru_cache(maxsize=1024)
def _holiday_country(case_country: str | None, fallback: str) -> str:
    if case_country and _supported(case_country.upper()):
        return case_country.upper()
    return fallback


def resolve_zones(timezone: str, candidates: Sequence[str] = ()) -> tuple[list[ZoneInfo],
                                                                          list[Reason]]:
    """The zones to check: every candidate when there are any, else ``timezone``."""
    zones, reasons = _resolve_zones(timezone, tuple(candidates))
    return list(zones), list(reasons)


def resolve_zone_tuple(timezone: str, candidates: tuple[str, ...] = ()
                       ) -> tuple[tuple[ZoneInfo, ...], tuple[Reason, ...]]:
    """:func:`resolve_zones` as shared tuples (cached; for the per-case hot path)."""
    return _resolve_zones(timezone, candidates)


@lru_cache(maxsize=1024)
def _resolve_zones(timezone: str, candidates: tuple[str, ...]
                   ) -> tuple[tuple[ZoneInfo, ...], tuple[Reason, ...]]:
    names = list(dict.fromkeys(candidates)) or [timezone]
    zones: list[ZoneInfo] = []
    reasons: list[Reason] = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            reasons.append(Reason(ReasonCode.UNKNOWN_TIMEZONE, f"unknown timezone {name!r}"))
    return tuple(zones), tuple(reasons)


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _fmt(t: time) -> str:
    return t.strftime("%H:%M")


def _intersect(a: list[tuple[T, T]], b: list[tuple[T, T]]) -> list[tuple[T, T]]:
    """Intersection of two sorted lists of disjoint half-open intervals."""
    out: list[tuple[T, T]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _between(start: time | None, end: time | None) -> list[Span]:
    """The span ``start``–``end`` of a day (wrapping past midnight when start > end)."""
    lo = _secs(start) if start is not None else 0
    hi = _secs(end) if end is not None else _DAY_SECONDS
    if lo < hi:
        return [(lo, hi)]
    if lo == hi:
        return []
    return [(0, hi), (lo, _DAY_SECONDS)]


_Hours = tuple[time | None, time | None, time | None, time | None]
_NO_HOURS: _Hours = (None, None, None, None)


def _stated_hours(cp: ContactPoint | None) -> _Hours:
    """The contact point's stated hours, as a hashable key (preferred, forbidden)."""
    if cp is None:
        return _NO_HOURS
    return (cp.preferred_start, cp.preferred_end, getattr(cp, "forbidden_start", None),
            getattr(cp, "forbidden_end", None))


@lru_cache(maxsize=1024)
def _stated_spans(hours: _Hours) -> tuple[Span, ...]:
    p_start, p_end, f_start, f_end = hours
    spans: list[Span] = [(0, _DAY_SECONDS)]
    if p_start is not None or p_end is not None:
        spans = _between(p_start, p_end)
    if f_start is not None and f_end is not None:
        allowed_by_forbidden = _between(f_end, f_start)  # the complement of [start, end)
        spans = _intersect(spans, allowed_by_forbidden)
    return tuple(spans)


def _inside(spans: list[Span], t: time) -> bool:
    s = _secs(t) + t.microsecond / 1e6
    return any(lo <= s < hi for lo, hi in spans)


def check_hours(
    now: datetime,
    zones: Sequence[ZoneInfo],
    profile: JurisdictionProfile,
    cp: ContactPoint | None = None,
    country: str | None = None,
) -> list[Reason]:
    """Reasons ``now`` is not a good time in at least one of ``zones`` (empty = fine)."""
    country = country or profile.holiday_country
    reasons, not_preferred = _hours_facts(
        now, tuple(zones), profile.window_start, profile.window_end, profile.name,
        _stated_hours(cp), country)
    if not not_preferred:
        return list(reasons)
    ch = cp.channel if cp is not None else None
    masked = cp.masked if cp is not None else None
    return [*reasons, Reason(
        ReasonCode.PREFERRED_HOURS,
        f"{not_preferred}; outside the customer's stated hours", ch, masked,
    )]


@lru_cache(maxsize=4096)
def _hours_facts(
    now: datetime, zones: tuple[ZoneInfo, ...], window_start: time, window_end: time,
    profile_name: str, hours: _Hours, country: str,
) -> tuple[tuple[Reason, ...], str]:
    """The window and holiday reasons, and the stamps outside the stated hours ("" if
    none): pure in its arguments, so a tick asks once per zone set and stated hours."""
    window = [(_secs(window_start), _secs(window_end))]
    preferred = list(_stated_spans(hours))
    outside: list[str] = []
    holiday: list[str] = []
    not_preferred: list[str] = []
    for zone in zones:
        local = now.astimezone(zone)
        stamp = f"{local:%H:%M} in {zone.key}"
        if not _inside(window, local.time()):
            outside.append(stamp)
        name = holiday_name(country, local.date())
        if name:
            holiday.append(f"{local.date().isoformat()} {name} ({country}) in {zone.key}")
        if not _inside(preferred, local.time()):
            not_preferred.append(stamp)
    reasons: list[Reason] = []
    if outside:
        reasons.append(Reason(
            ReasonCode.OUTSIDE_HOURS,
            f"{'; '.join(outside)}; window {_fmt(window_start)}–"
            f"{_fmt(window_end)} ({profile_name})",
        ))
    if holiday:
        reasons.append(Reason(ReasonCode.HOLIDAY, "; ".join(holiday)))
    return tuple(reasons), "; ".join(not_preferred)


def _utc_spans(
    zone: ZoneInfo, spans: list[Span], first: date, days: int, country: str
) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if holiday_name(country, day):
            continue
        for lo, hi in spans:
            start = _local_at(day, lo, zone)
            end = _local_at(day, hi, zone) if hi < _DAY_SECONDS else \
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            out.append((start.astimezone(UTC), end.astimezone(UTC)))
    return out


def _local_at(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return datetime.combine(day, time(h, m, s), tzinfo=zone)


def next_allowed(
    now: datetime,
    zones: Sequence[ZoneInfo],
    profile: JurisdictionProfile,
    cp: ContactPoint | None = None,
    country: str | None = None,
    horizon_days: int = 21,
) -> datetime | None:
    """The earliest instant ``>= now`` allowed in every zone; None within the horizon.

    Depends only on its arguments' values (instant, zones, window, stated hours, holiday
    country), so it is memoised: a tick asks the same question for many cases.
    """
    if not zones:
        return None
    return _next_allowed(now.astimezone(UTC), tuple(zones), profile.window_start,
                         profile.window_end, _stated_hours(cp),
                         country or profile.holiday_country, horizon_days)


@lru_cache(maxsize=4096)
def _next_allowed(now: datetime, zones: tuple[ZoneInfo, ...], window_start: time,
                  window_end: time, hours: _Hours, country: str, horizon_days: int
                  ) -> datetime | None:
    spans = _intersect([(_secs(window_start), _secs(window_end))], list(_stated_spans(hours)))
    if not spans:
        return None
    common: list[tuple[datetime, datetime]] | None = None
    for zone in zones:
        first = now.astimezone(zone).date() - timedelta(days=1)
        utc = sorted(_utc_spans(zone, spans, first, horizon_days + 2, country))
        common = utc if common is None else _intersect(common, utc)
    for lo, hi in common or []:
        if hi > now:
            return max(lo, now)
    return None
