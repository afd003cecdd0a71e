"""Stream open cases with everything planning needs, in batches, set-based.

The ORM repository loads one case with five queries; planning a million cases that way
would take hours. Here a batch of open cases is picked by id (keyset pagination: ``id >
last id seen``), and their customers, contact points, promises, payments, messages and
legal-review escalations are read with one query each over that id range. Only the batch
is ever in memory, so the portfolio size does not matter; every batch is read on its own
short connection (one read transaction for the cases and their rows), so no read
transaction stays open while planning writes.

What a :class:`CaseBundle` carries:

* ``case``: the domain :class:`~bot.domain.case.Case` with contacts, promises, payments.
* ``history``: one :class:`~bot.policy.history.SentRecord` per outbound message of the
  case (queued, sending, sent, delivered; ``failed=True`` for failed/undelivered ones,
  ``refused=True`` too when the provider refused it; messages the dispatcher suppressed
  are left out: they were never sent, except those held back because the address had
  opted out, kept as refused) and one per legal-review escalation (``channel=None``, from
  the decision log).
* ``inbound``: when the customer wrote to us about this case.
* ``version``: the case row's optimistic-concurrency version when it was read.
* ``related`` / ``related_cases``: the other cases found at the batch's addresses (one
  query over the indexed ``contact_point.address``: the customer's other accounts, and
  other customers holding the same address) and their messages (in-batch ones from
  their bundles, the rest by one query on their ids), for the caps per person and per
  address.

Why it reads rows the way it does: this runs for every open case on every tick, and the
generic path (a SQLAlchemy ``Result`` with type processors, dataclasses built by keyword)
cost more CPU than the queries themselves. So the statements are compiled once per
dialect, executed on the DB-API cursor of the SQLAlchemy connection, and the raw values
are decoded here exactly as the column types would (:mod:`storage.case_rows`); the domain
objects are built with positional arguments, whose order is checked against the
dataclasses when this module is imported.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

from bot.domain.case import CaseStatus
from bot.domain.messages import REFUSALS as MESSAGE_REFUSALS
from bot.policy.history import SentRecord
from bot.services.ports import CaseBundle
from storage.case_rows import (
    CHANNEL,
    CP_ID_AT,
    N_CASE,
    N_CONTACT,
    NATIVE,
    SQLITE,
    HeldCases,
    add_contacts,
    add_payments,
    add_promises,
    read_holding,
)
from storage.case_rows import bundles as case_bundles
from storage.related import relate
from storage.tables.cases import CaseRow, ContactPointRow, CustomerRow, PaymentRow, PromiseRow
from storage.tables.messages import ContactDecisionRow, ConversationRow, MessageRow

CA = CaseRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
CO = ConversationRow.__table__  # type: ignore[attr-defined]

CLOSED_STATUSES = (CaseStatus.CLOSED_PAID.value, CaseStatus.CLOSED_WRITTEN_OFF.value)
#: outbound statuses that mean "never sent" (the dispatcher's policy re-check said no)
NOT_SENT_STATUSES = frozenset({"suppressed"})
FAILED_STATUSES = frozenset({"failed", "undelivered"})
#: the send-time reason code of a message held back because its address opted out
OPTED_OUT = "opted_out"
#: failure reasons that are a refusal (no fallback to another channel, see the planner)
REFUSALS = frozenset(r.value for r in MESSAGE_REFUSALS)
DEFAULT_BATCH = 1000


# ---------------------------------------------------------------- statements
# Only the SQL of these statements is used (run on the DB-API cursor): their rows are raw
# driver values, decoded below.
_CASE_COLUMNS = (
    CA.c.id, CA.c.account_id, CA.c.customer_id, CA.c.product, CA.c.currency,
    CA.c.balance_minor, CA.c.minimum_payment_minor, CA.c.due_date, CA.c.days_past_due,
    CA.c.status, CA.c.holds, CA.c.segment, CA.c.risk_band, CA.c.risk_band_override,
    CA.c.timezone, CA.c.timezone_candidates, CA.c.language, CA.c.country,
    CA.c.assigned_collector, CA.c.held_by, CA.c.payment_claim_until, CA.c.version,
    CU.c.name, CA.c.breathing_space_until, CA.c.time_barred, CA.c.limitation_date,
)
# in the order of ContactPoint's fields, after the case id
_CONTACT_COLUMNS = (
    CA.c.id, CP.c.channel, CP.c.address, CP.c.consent, CP.c.consent_source,
    CP.c.opted_out_at, CP.c.opt_out_source, CP.c.invalid_at, CP.c.invalid_reason,
    CP.c.wrong_party_at, CP.c.preferred_start, CP.c.preferred_end, CP.c.forbidden_start,
    CP.c.forbidden_end, CP.c.verified, CP.c.role, CP.c.id, CP.c.shared,
)
_PROMISE_COLUMNS = (PR.c.case_id, PR.c.ref, PR.c.amount_minor, PR.c.due, PR.c.status,
                    PR.c.made_at, PR.c.paid_minor, PR.c.source_message_id, PR.c.id)
_PAYMENT_COLUMNS = (PA.c.case_id, PA.c.reference, PA.c.amount_minor, PA.c.paid_at, PA.c.id)
_MESSAGE_COLUMNS = (MS.c.case_id, MS.c.direction, MS.c.channel, MS.c.status, MS.c.step_id,
                    MS.c.campaign_id, MS.c.variant, MS.c.ref, MS.c.address, MS.c.created_at,
                    MS.c.sent_at, MS.c.error_reason, MS.c.error_code)
_ESCALATION_COLUMNS = (CD.c.case_id, CD.c.step_id, CD.c.campaign_id, CD.c.at)


def _cases(*where: ColumnElement[bool]) -> Select[Any]:
    return (select(*_CASE_COLUMNS).select_from(CA.join(CU, CU.c.id == CA.c.customer_id))
            .where(*where).order_by(CA.c.id))


def _children(cases: Callable[[Any], ColumnElement[bool]]) -> tuple[Select[Any], ...]:
    """The contact, promise, payment, message and escalation reads for the cases that
    ``cases(column)`` selects on ``column``."""
    return (
        select(*_CONTACT_COLUMNS)
        .select_from(CP.join(CA, CA.c.customer_id == CP.c.customer_id))
        .where(cases(CA.c.id)).order_by(CA.c.id, CP.c.id),
        select(*_PROMISE_COLUMNS).where(cases(PR.c.case_id)).order_by(PR.c.id),
        select(*_PAYMENT_COLUMNS).where(cases(PA.c.case_id))
        .order_by(PA.c.paid_at, PA.c.id),
        select(*_MESSAGE_COLUMNS).where(cases(MS.c.case_id)),
        select(*_ESCALATION_COLUMNS).where(and_(
            cases(CD.c.case_id), CD.c.allowed.is_(True), CD.c.channel.is_(None))),
    )


#: the cases other than the batch's own holding one of the batch's addresses (the
#: customer's other accounts included): the batch's addresses, unnested from one
#: parameter (a JSON text on SQLite, an array on PostgreSQL), each looked up in the
#: indexed ``contact_point.address``; the batch's own case ids likewise one parameter.
#: The statement text never changes: an IN list of every address would be a new
#: statement per batch (thousands of parameters to expand and bind, and a prepared
#: statement kept per distinct length).
_HOLDERS_SQL = {
    "sqlite": "SELECT cp.address, c.id, c.customer_id, c.account_id "
              "FROM json_each(?) a JOIN contact_point cp ON cp.address = a.value "
              "JOIN collection_case c ON c.customer_id = cp.customer_id "
              "WHERE c.id NOT IN (SELECT value FROM json_each(?))",
    # OFFSET 0 keeps the lateral read from being flattened into a join that PostgreSQL
    # may run as a scan of all of contact_point (a hash join, or a filter over a whole
    # index) once per batch: the cost then grows with the portfolio, not the batch
    "postgresql": "SELECT cp.address, c.id, c.customer_id, c.account_id "
                  "FROM unnest(%s::text[]) AS a(address) CROSS JOIN LATERAL ("
                  "SELECT cp.address, cp.customer_id FROM contact_point cp "
                  "WHERE cp.address = a.address OFFSET 0) cp "
                  "JOIN collection_case c ON c.customer_id = cp.customer_id "
                  "WHERE NOT c.id = ANY(%s)",
}
#: outbound messages of the given cases (the related cases' records)
_RELATED_MESSAGES = select(MS.c.case_id, MS.c.channel, MS.c.status, MS.c.address,
                           MS.c.created_at, MS.c.sent_at).where(
    MS.c.case_id.in_(bindparam("ids", expanding=True)), MS.c.direction == "out")

_NOT_CLOSED = CA.c.status.not_in(CLOSED_STATUSES)
_OPEN_AFTER = _cases(CA.c.id > bindparam("last"), _NOT_CLOSED).limit(bindparam("n"))
_OPEN_BETWEEN = _cases(CA.c.id > bindparam("last"), CA.c.id <= bindparam("until"),
                       _NOT_CLOSED).limit(bindparam("n"))
_CASES_IN = _cases(CA.c.id.in_(bindparam("ids", expanding=True)))
_CHILDREN_BETWEEN = _children(lambda c: c.between(bindparam("lo"), bindparam("hi")))
_CHILDREN_IN = _children(lambda c: c.in_(bindparam("ids", expanding=True)))
#: one case's promises and payments (no IN list to render per call)
_PROMISES_ONE, _PAYMENTS_ONE = _children(lambda c: c == bindparam("id"))[1:3]
_PROMISES_IN, _PAYMENTS_IN = _CHILDREN_IN[1:3]

# The cases a customer's message (or a signal, or a console action) is about, read for
# updating in one statement instead of four: each case with its contact points (one row
# per contact point), how many promises and payments it has (their rows are read only when
# there are some: seldom) and its conversation's row (for storage/conversations.py).
_ADDRESS = CP.alias("address")
_HOLDER_COLUMNS = (
    *_CASE_COLUMNS, *_CONTACT_COLUMNS[1:],
    select(func.count()).where(PR.c.case_id == CA.c.id).scalar_subquery(),
    select(func.count()).where(PA.c.case_id == CA.c.id).scalar_subquery(),
    CO.c.id, CO.c.state, CO.c.context, CO.c.expires_at, CO.c.verify_failures,
)
_HOLDING_SHAPE = (len(_CASE_COLUMNS), len(_CONTACT_COLUMNS) - 1,
                  len(_CASE_COLUMNS) + [c.key for c in _CONTACT_COLUMNS[1:]].index("id"))
if _HOLDING_SHAPE != (N_CASE, N_CONTACT, CP_ID_AT):
    raise RuntimeError("the holding read's columns changed; update storage/case_rows.py")


def _holding(*where: ColumnElement[bool]) -> Select[Any]:
    return (select(*_HOLDER_COLUMNS)
            .select_from(CA.join(CU, CU.c.id == CA.c.customer_id)
                         .outerjoin(CP, CP.c.customer_id == CA.c.customer_id)
                         .outerjoin(CO, CO.c.case_id == CA.c.id))
            .where(*where).order_by(CA.c.id, CP.c.id))


_CASE_ONE = _holding(CA.c.id == bindparam("id"))
#: the cases of the customers that have an address on a channel
_CASES_AT = _holding(CA.c.customer_id.in_(
    select(_ADDRESS.c.customer_id).where(_ADDRESS.c.channel == bindparam("channel"),
                                         _ADDRESS.c.address == bindparam("address"))))

@functools.lru_cache(maxsize=64)
def _compiled(dialect: Dialect, statement: Select[Any]) -> SQLCompiler:
    """One of the statements above compiled for ``dialect`` (once, not per batch)."""
    return cast(SQLCompiler, statement.compile(dialect=dialect))


# ---------------------------------------------------------------- reading
class _Reader:
    """Runs this module's statements on the DB-API cursor of one connection."""

    def __init__(self, conn: Connection, cursor: Any) -> None:
        self.cursor = cursor
        self.dialect = conn.dialect
        self.decode = SQLITE if conn.dialect.name == "sqlite" else NATIVE

    def holders(self, addresses: list[str], own: list[int]) -> Iterable[Any]:
        """The rows of :data:`_HOLDERS_SQL` for these addresses, other cases than ``own``."""
        if self.dialect.name == "sqlite":
            self.cursor.execute(_HOLDERS_SQL["sqlite"], (json.dumps(addresses),
                                                          json.dumps(own)))
        else:
            self.cursor.execute(_HOLDERS_SQL["postgresql"], (addresses, own))
        return self.cursor  # type: ignore[no-any-return]

    def rows(self, statement: Select[Any], params: Mapping[str, Any]) -> Iterable[Any]:
        """The rows (plain tuples) of ``statement`` with ``params``, to iterate once: each
        row is dropped once used rather than kept in a list for the whole batch."""
        compiled = _compiled(self.dialect, statement)
        args: Any
        if compiled.post_compile_params:
            state = compiled.construct_expanded_state(dict(params))  # renders IN lists
            sql = state.statement
            args = state.positional_parameters if compiled.positional else state.parameters
        else:  # the statement as compiled; its parameters in its order
            sql, values = compiled.string, compiled.construct_params(params)
            args = [values[name] for name in compiled.positiontup or ()] \
                if compiled.positional else values
        self.cursor.execute(sql, args)
        return self.cursor  # type: ignore[no-any-return]


@contextlib.contextmanager
def _reader(conn: Connection) -> Iterator[_Reader]:
    """A reader on ``conn``, inside its transaction (begun here when none is).

    The transaction matters on SQLite, whose driver runs in autocommit mode here: its
    ``BEGIN`` (see storage/db.py) makes the reads of a batch one consistent snapshot.
    """
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.cursor()
    try:
        yield _Reader(conn, cursor)
    finally:
        cursor.close()


def _fill(reader: _Reader, bundles: dict[int, CaseBundle], children: Sequence[Select[Any]],
          params: Mapping[str, Any], *, with_messages: bool) -> None:
    """Read the child rows of ``bundles`` (one query per table) into them.

    ``children`` are the ``_children`` reads, run with ``params``; rows of other cases
    they let through are ignored.
    """
    contacts, promises, payments, messages, escalations = children
    d = reader.decode
    add_contacts(bundles, reader.rows(contacts, params), d)
    add_promises(bundles, reader.rows(promises, params), d)
    add_payments(bundles, reader.rows(payments, params), d)
    if not with_messages:
        return
    for (case_id, direction, channel, status, step_id, campaign_id, variant, ref, address,
         created_at, sent_at, error_reason, error_code) in reader.rows(messages, params):
        bundle = bundles.get(case_id)
        if bundle is None:
            continue
        if direction == "in":
            bundle.inbound.append(d.utc(created_at))
        elif status in NOT_SENT_STATUSES:
            if error_code and OPTED_OUT in error_code:
                # held back because the address opted out after it was planned: a refusal
                # of the step there (never sent, so it counts for nothing else)
                bundle.history.append(SentRecord(
                    CHANNEL[channel], d.utc(created_at), step_id=step_id,
                    campaign_id=campaign_id, variant=variant, ref=ref, address=address,
                    failed=True, refused=True))
        else:
            failed = status in FAILED_STATUSES
            bundle.history.append(SentRecord(
                CHANNEL[channel], d.utc(sent_at or created_at), step_id=step_id,
                campaign_id=campaign_id, variant=variant, ref=ref, address=address,
                failed=failed, refused=failed and error_reason in REFUSALS))
    for case_id, step_id, campaign_id, at in reader.rows(escalations, params):
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.history.append(SentRecord(None, d.utc(at), step_id=step_id,
                                             campaign_id=campaign_id))


def _fill_related(reader: _Reader, bundles: dict[int, CaseBundle]) -> None:
    """Find the cases related to each bundle (by its addresses) and their records: those
    of the batch from the batch itself, the others with one query that returns only them
    (almost always nothing)."""
    by_address: dict[str, list[int]] = {}
    for cid, bundle in bundles.items():
        for cp in bundle.case.contacts:
            by_address.setdefault(cp.address, []).append(cid)
    if not by_address:
        return
    # bundle id -> other case id -> [customer, account, shared addresses]
    found: dict[int, dict[int, list[Any]]] = {}

    def link(cid: int, case_id: int, customer_id: Any, account: str, address: str) -> None:
        entry = found.setdefault(cid, {}).get(case_id)
        if entry is None:
            found[cid][case_id] = [customer_id, account, {address}]
        else:
            entry[2].add(address)

    for address, holders in by_address.items():
        if len(holders) > 1:
            for cid in holders:
                for other in holders:
                    if other != cid:
                        case = bundles[other].case
                        link(cid, other, case.customer_id, case.account_id, address)
    for address, case_id, customer_id, account in reader.holders(list(by_address),
                                                                 list(bundles)):
        for cid in by_address.get(address, ()):
            link(cid, case_id, customer_id, account, address)
    if not found:
        return
    outside = sorted({i for others in found.values() for i in others} - bundles.keys())
    records: dict[int, list[SentRecord]] = {i: bundles[i].history for i in
                                            {i for o in found.values() for i in o}
                                            if i in bundles}
    d = reader.decode
    for start in range(0, len(outside), DEFAULT_BATCH):
        for case_id, channel, status, address, created_at, sent_at in reader.rows(
                _RELATED_MESSAGES, {"ids": outside[start:start + DEFAULT_BATCH]}):
            if status in NOT_SENT_STATUSES:
                continue
            records.setdefault(case_id, []).append(SentRecord(
                CHANNEL[channel], d.utc(sent_at or created_at), address=address,
                failed=status in FAILED_STATUSES))
    for cid, others in found.items():
        relate(bundles[cid], others, records)


def _read_range(conn: Connection, cases: Select[Any],
                params: Mapping[str, Any]) -> list[CaseBundle]:
    """Bundles (with messages) of the cases the ``cases`` read selects; their child rows
    are read by the id range of the cases found."""
    with _reader(conn) as reader:
        bundles = case_bundles(reader.rows(cases, params), reader.decode)
        if not bundles:
            return []
        lo, hi = next(iter(bundles)), next(reversed(bundles))  # ids ascend
        _fill(reader, bundles, _CHILDREN_BETWEEN, {"lo": lo, "hi": hi}, with_messages=True)
        _fill_related(reader, bundles)
    return list(bundles.values())


def stream_open_cases(
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH,
    after_id: int = 0,
    until_id: int | None = None,
    limit: int | None = None,
) -> Iterator[list[CaseBundle]]:
    """Yield open cases (not closed) in ascending id order, ``batch_size`` at a time.

    Cases with ``after_id < id <= until_id`` (no upper bound when ``until_id`` is None);
    ``limit`` stops after that many cases. Each
    batch is read when the consumer asks for it, so a consumer that writes between
    batches sees its own writes in later batches.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    last, left = after_id, limit
    while left is None or left > 0:
        n = batch_size if left is None else min(batch_size, left)
        with engine.connect() as conn:
            if until_id is None:
                batch = _read_range(conn, _OPEN_AFTER, {"last": last, "n": n})
            else:
                batch = _read_range(conn, _OPEN_BETWEEN,
                                    {"last": last, "until": until_id, "n": n})
        if not batch:
            return
        yield batch
        last = batch[-1].case.id  # type: ignore[assignment]
        if left is not None:
            left -= len(batch)


def load_cases(engine: Engine, case_ids: list[int]) -> dict[int, CaseBundle]:
    """Bundles for specific cases (open or closed), keyed by case id.

    Child rows are read by id range, so this suits ids that are close together.
    """
    out: dict[int, CaseBundle] = {}
    ids = sorted(set(case_ids))
    for i in range(0, len(ids), DEFAULT_BATCH):
        with engine.connect() as conn:
            batch = _read_range(conn, _CASES_IN, {"ids": ids[i:i + DEFAULT_BATCH]})
        for bundle in batch:
            assert bundle.case.id is not None
            out[bundle.case.id] = bundle
    return out


def load_cases_by_id(source: Engine | Connection, case_ids: Iterable[int], *,
                     with_messages: bool = True) -> dict[int, CaseBundle]:
    """Bundles for specific cases (open or closed, ids spread anywhere), keyed by case id.

    Unlike :func:`load_cases`, child rows are read by id list, not id range, so a handful
    of far-apart ids costs a handful of rows. ``source`` may be a connection inside the
    caller's transaction. ``with_messages=False`` skips the message and escalation reads
    (``history`` and ``inbound`` stay empty) for callers that only need the cases.
    """
    ids = sorted(set(case_ids))
    out: dict[int, CaseBundle] = {}
    if not ids:
        return out
    ctx = source.connect() if isinstance(source, Engine) else contextlib.nullcontext(source)
    with ctx as conn, _reader(conn) as reader:
        if len(ids) == 1 and not with_messages:
            return _read_holding(reader, _CASE_ONE, {"id": ids[0]}).bundles
        for i in range(0, len(ids), DEFAULT_BATCH):
            params = {"ids": ids[i:i + DEFAULT_BATCH]}
            bundles = case_bundles(reader.rows(_CASES_IN, params), reader.decode)
            if bundles:
                _fill(reader, bundles, _CHILDREN_IN, params, with_messages=with_messages)
                if with_messages:
                    _fill_related(reader, bundles)
            out.update(bundles)
    return out


def load_cases_at(conn: Connection, channel: str, address: str) -> HeldCases:
    """The cases whose customer has ``address`` on ``channel``, read on ``conn`` inside its
    transaction (one statement, and one more for promises or payments when there are)."""
    with _reader(conn) as reader:
        return _read_holding(reader, _CASES_AT, {"channel": channel, "address": address})


def load_case_by_id(conn: Connection, case_id: int) -> HeldCases:
    """The case with ``case_id`` (if any), as :func:`load_cases_at` reads them."""
    with _reader(conn) as reader:
        return _read_holding(reader, _CASE_ONE, {"id": case_id})


def _read_holding(reader: _Reader, statement: Select[Any], params: Mapping[str, Any]
                  ) -> HeldCases:
    """The cases ``statement`` (a :func:`_holding` read) selects, with their child rows."""
    reads = {"holding": statement, "promises_one": _PROMISES_ONE, "promises_in": _PROMISES_IN,
             "payments_one": _PAYMENTS_ONE, "payments_in": _PAYMENTS_IN}
    return read_holding(lambda name, values: reader.rows(reads[name], values), params,
                        reader.decode)
