"""Rows of the case tables to domain objects: the one row-to-Case mapping.

Raw DB-API values (as the driver returns them) are decoded here exactly as the column
types would (:class:`Decoders`), and the domain objects built with positional arguments,
whose order is checked against the dataclasses when this module is imported. Used by
:mod:`storage.case_stream` (on SQLAlchemy's connection) and by the read-only path
(:mod:`storage.dbapi_read`, on a DB-API connection of its own): this module imports no
SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from bot.domain.case import Case, CaseStatus, Hold, Payment, Promise, PromiseStatus
from bot.domain.clock import ensure_utc
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.services.ports import CaseBundle


def _same(value: Any) -> Any:
    return value


def _sqlite_utc(text: str) -> datetime:
    return ensure_utc(datetime.fromisoformat(text))


@dataclass(frozen=True, slots=True)
class Decoders:
    """Raw DB-API values to what the column types give (never called with None).

    SQLite stores dates, times and datetimes as ISO text (SQLAlchemy parses them with
    ``fromisoformat`` too) and UTCDateTime stores naive UTC; PostgreSQL's driver returns
    native values, aware datetimes in the session's zone. Either way datetimes come out
    aware UTC, as :class:`storage.types.UTCDateTime` gives them. Booleans are decoded with
    ``bool`` (SQLite returns 0/1) where they are read.
    """

    date: Callable[[Any], date]
    time: Callable[[Any], time]
    utc: Callable[[Any], datetime]


SQLITE = Decoders(date.fromisoformat, time.fromisoformat, _sqlite_utc)
NATIVE = Decoders(_same, _same, ensure_utc)


class EnumLookup(dict[str, Any]):
    """Value -> member of an enum by dict lookup (calling the enum is several times
    slower); unknown values still raise the enum's ValueError."""

    def __init__(self, enum: type[Enum]) -> None:
        super().__init__((m.value, m) for m in enum)
        self.enum = enum

    def __missing__(self, value: str) -> Any:
        return self.enum(value)


CASE_STATUS = EnumLookup(CaseStatus)
PROMISE_STATUS = EnumLookup(PromiseStatus)
CHANNEL = EnumLookup(ChannelKind)
#: JSON texts that decode to an empty value (most cases: no holds, one zone)
_EMPTY_JSON = frozenset({"", "{}", "[]", "null"})


def _holds(text: str | None) -> dict[Hold, str]:
    if text is None or text in _EMPTY_JSON:
        return {}
    return {Hold(k): v for k, v in json.loads(text).items()}


def _zones(text: str | None) -> tuple[str, ...]:
    if text is None or text in _EMPTY_JSON:
        return ()
    return tuple(json.loads(text))


def _positional(cls: type, names: str) -> None:
    """Fail at import if ``cls``'s positional fields no longer start with ``names``: the
    constructors below pass arguments by position (faster than by keyword)."""
    fields = [f.name for f in dataclasses.fields(cls) if f.init and not f.kw_only]
    if fields[:len(names.split())] != names.split():
        raise RuntimeError(f"{cls.__name__} fields changed; update storage/case_rows.py")


_positional(Case, "account_id currency balance_minor due_date customer_name product "
                  "minimum_payment_minor status holds segment risk_band risk_band_override "
                  "timezone timezone_candidates language country assigned_collector held_by "
                  "days_past_due contacts promises payments payment_claim_until id customer_id "
                  "breathing_space_until time_barred limitation_date")
_positional(ContactPoint, "channel address consent consent_source opted_out_at opt_out_source "
                          "invalid_at invalid_reason wrong_party_at preferred_start "
                          "preferred_end forbidden_start forbidden_end verified role id shared")
_positional(Promise, "ref amount_minor due status made_at paid_minor source_message_id id")
_positional(Payment, "reference amount_minor paid_at id")


def bundles(rows: Iterable[Any], d: Decoders) -> dict[int, CaseBundle]:
    """Bundles (no child rows yet) keyed by case id, from rows of ``_CASE_COLUMNS``."""
    day = d.date
    out: dict[int, CaseBundle] = {}
    for (cid, account_id, customer_id, product, currency, balance, minimum, due_date, dpd,
         status, holds, segment, risk_band, risk_override, timezone, zones, language,
         country, collector, held_by, claim_until, version, name, respite_until, barred,
         limitation) in rows:
        out[cid] = CaseBundle(Case(
            account_id, currency, balance, day(due_date), name, product, minimum,
            CASE_STATUS[status], _holds(holds), segment, risk_band, risk_override, timezone,
            _zones(zones), language, country, collector, held_by, dpd, [], [], [],
            None if claim_until is None else day(claim_until), cid, customer_id,
            None if respite_until is None else day(respite_until),
            bool(barred), None if limitation is None else day(limitation),
        ), version)
    return out


def add_contacts(bundles: dict[int, CaseBundle], rows: Iterable[Any], d: Decoders) -> None:
    utc, clock = d.utc, d.time
    for (case_id, channel, address, consent, consent_source, opted_out_at, opt_out_source,
         invalid_at, invalid_reason, wrong_party_at, preferred_start, preferred_end,
         forbidden_start, forbidden_end, verified, role, cp_id, shared) in rows:
        bundle = bundles.get(case_id)
        if bundle is None:
            continue
        bundle.case.contacts.append(ContactPoint(
            CHANNEL[channel], address, bool(consent), consent_source,
            None if opted_out_at is None else utc(opted_out_at), opt_out_source,
            None if invalid_at is None else utc(invalid_at), invalid_reason,
            None if wrong_party_at is None else utc(wrong_party_at),
            None if preferred_start is None else clock(preferred_start),
            None if preferred_end is None else clock(preferred_end),
            None if forbidden_start is None else clock(forbidden_start),
            None if forbidden_end is None else clock(forbidden_end),
            bool(verified), role, cp_id, bool(shared)))


def add_promises(bundles: dict[int, CaseBundle], rows: Iterable[Any], d: Decoders) -> None:
    for (case_id, ref, amount, due, status, made_at, paid, source, pid) in rows:
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.case.promises.append(Promise(
                ref, amount, None if due is None else d.date(due), PROMISE_STATUS[status],
                None if made_at is None else d.utc(made_at), paid, source, pid))


def add_payments(bundles: dict[int, CaseBundle], rows: Iterable[Any], d: Decoders) -> None:
    for case_id, reference, amount, paid_at, pay_id in rows:
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.case.payments.append(Payment(reference, amount, d.utc(paid_at), pay_id))


#: how many columns of a holding read's row are the case's (``_CASE_COLUMNS`` of
#: storage/case_stream.py) and its contact point's (checked there at import)
N_CASE, N_CONTACT = 26, 17
#: where the contact point's id is in a holding read's row
CP_ID_AT = N_CASE + 15
#: a read by name (see :func:`read_holding`) with its parameters -> its raw rows
Rows = Callable[[str, Mapping[str, Any]], Iterable[Any]]


@dataclass(frozen=True, slots=True)
class HeldCases:
    """Cases read for updating (``load_cases_at``, ``load_case_by_id`` of
    storage/case_stream.py): ``bundles`` without messages (``history`` and ``inbound``
    empty), keyed by case id in ascending order, and each case's conversation row as
    :mod:`storage.conversations` keeps it, ``(state, context, expires_at,
    verify_failures)``, or None."""

    bundles: dict[int, CaseBundle]
    conversations: dict[int, tuple[str, Any, datetime | None, int] | None]


def read_holding(rows: Rows, params: Mapping[str, Any], d: Decoders) -> HeldCases:
    """The cases the ``"holding"`` read selects with ``params``, with their child rows
    (``"promises_one"``/``"promises_in"`` and ``"payments_one"``/``"payments_in"``, run
    only for cases that have some)."""
    heads: list[Any] = []
    contacts: list[Any] = []
    counts: dict[int, tuple[int, int]] = {}
    conversations: dict[int, tuple[str, Any, datetime | None, int] | None] = {}
    contact_end = N_CASE + N_CONTACT
    for row in rows("holding", params):
        case_id = row[0]
        if case_id not in counts:
            heads.append(row[:N_CASE])
            promises, payments, conversation_id, state, context, expires_at, failures = \
                row[contact_end:]
            counts[case_id] = (promises, payments)
            conversations[case_id] = None if conversation_id is None else (
                state, json.loads(context) if context is not None else None,
                None if expires_at is None else d.utc(expires_at), failures)
        if row[CP_ID_AT] is not None:
            contacts.append((case_id, *row[N_CASE:contact_end]))
    found = bundles(heads, d)
    add_contacts(found, contacts, d)
    for index, (kind, add) in enumerate((("promises", add_promises),
                                         ("payments", add_payments))):
        ids = [case_id for case_id, n in counts.items() if n[index]]
        if len(ids) == 1:
            add(found, rows(f"{kind}_one", {"id": ids[0]}), d)
        elif ids:
            add(found, rows(f"{kind}_in", {"ids": ids}), d)
    return HeldCases(found, conversations)
