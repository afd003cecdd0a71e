"""Stream open cases with everything planning needs, in batches, set-based.

The ORM repository loads one case with five queries; planning a million cases that way
would take hours. Here a batch of open cases is picked by id (keyset pagination: ``id >
last id seen``), and their customers, contact points, promises, payments, messages and
legal-review escalations are read with one query each over that id range. Only the batch
is ever in memory, so the portfolio size does not matter; every batch is read on its own
short connection, so no read transaction stays open while planning writes.

What a :class:`CaseBundle` carries:

* ``case``: the domain :class:`~bot.domain.case.Case` with contacts, promises, payments.
* ``history``: one :class:`~bot.policy.history.SentRecord` per outbound message of the
  case (queued, sending, sent, delivered; ``failed=True`` for failed/undelivered ones;
  messages the dispatcher suppressed are left out: they were never sent) and one per
  legal-review escalation (``channel=None``, from the decision log).
* ``inbound``: when the customer wrote to us about this case.
* ``version``: the case row's optimistic-concurrency version when it was read.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, select, type_coerce
from sqlalchemy.engine import Connection, Engine

from bot.domain.case import Case, CaseStatus, Hold, Payment, Promise, PromiseStatus
from bot.domain.clock import ensure_utc
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.policy.history import SentRecord
from storage.models import (
    CaseRow,
    ContactDecisionRow,
    ContactPointRow,
    CustomerRow,
    MessageRow,
    PaymentRow,
    PromiseRow,
)

CA = CaseRow.__table__  # type: ignore[attr-defined]
CU = CustomerRow.__table__  # type: ignore[attr-defined]
CP = ContactPointRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]

CLOSED_STATUSES = (CaseStatus.CLOSED_PAID.value, CaseStatus.CLOSED_WRITTEN_OFF.value)
#: outbound statuses that mean "never sent" (the dispatcher's policy re-check said no)
NOT_SENT_STATUSES = frozenset({"suppressed"})
FAILED_STATUSES = frozenset({"failed", "undelivered"})
DEFAULT_BATCH = 1000

_CASE_COLUMNS = (
    CA.c.id, CA.c.account_id, CA.c.customer_id, CA.c.product, CA.c.currency,
    CA.c.balance_minor, CA.c.minimum_payment_minor, CA.c.due_date, CA.c.days_past_due,
    # JSON read as text: most cases have no holds and one zone, so most need no parsing
    CA.c.status, type_coerce(CA.c.holds, Text), CA.c.segment, CA.c.risk_band,
    CA.c.risk_band_override, CA.c.timezone, type_coerce(CA.c.timezone_candidates, Text),
    CA.c.language, CA.c.country,
    CA.c.assigned_collector, CA.c.held_by, CA.c.payment_claim_until, CA.c.version,
    CU.c.name,
)
_CONTACT_COLUMNS = (
    CA.c.id, CP.c.id, CP.c.channel, CP.c.address, CP.c.consent, CP.c.consent_source,
    CP.c.opted_out_at, CP.c.opt_out_source, CP.c.invalid_at, CP.c.invalid_reason,
    CP.c.wrong_party_at, CP.c.preferred_start, CP.c.preferred_end, CP.c.forbidden_start,
    CP.c.forbidden_end, CP.c.verified, CP.c.role,
)


@dataclass(slots=True)
class CaseBundle:
    """One open case and what the planner needs to decide about it."""

    case: Case
    version: int
    history: list[SentRecord] = field(default_factory=list)
    inbound: list[datetime] = field(default_factory=list)


def _json(text: str | None, empty: Any) -> Any:
    if not text or text in ("{}", "[]", "null"):
        return empty
    return json.loads(text)


def _case(row: Any) -> Case:
    (cid, account_id, customer_id, product, currency, balance, minimum, due_date, dpd,
     status, holds, segment, risk_band, risk_override, timezone, candidates, language,
     country, collector, held_by, claim_until, _version, name) = row
    return Case(
        account_id=account_id, currency=currency, balance_minor=balance, due_date=due_date,
        customer_name=name, product=product, minimum_payment_minor=minimum,
        status=CaseStatus(status), holds={Hold(k): v for k, v in _json(holds, {}).items()},
        segment=segment, risk_band=risk_band, risk_band_override=risk_override,
        timezone=timezone, timezone_candidates=tuple(_json(candidates, [])), language=language,
        country=country, assigned_collector=collector, held_by=held_by,
        days_past_due=dpd, payment_claim_until=claim_until, id=cid, customer_id=customer_id,
    )


def _contact(row: Any) -> ContactPoint:
    (_case_id, cp_id, channel, address, consent, consent_source, opted_out_at, opt_out_source,
     invalid_at, invalid_reason, wrong_party_at, preferred_start, preferred_end,
     forbidden_start, forbidden_end, verified, role) = row
    return ContactPoint(
        channel=ChannelKind(channel), address=address, consent=consent,
        consent_source=consent_source, opted_out_at=opted_out_at,
        opt_out_source=opt_out_source, invalid_at=invalid_at, invalid_reason=invalid_reason,
        wrong_party_at=wrong_party_at, preferred_start=preferred_start,
        preferred_end=preferred_end, forbidden_start=forbidden_start,
        forbidden_end=forbidden_end, verified=verified, role=role, id=cp_id,
    )


def load_batch(engine: Engine, case_rows: list[Any]) -> list[CaseBundle]:
    """Bundles for ``case_rows`` (rows of :data:`_CASE_COLUMNS`, ascending ids)."""
    if not case_rows:
        return []
    bundles = {r[0]: CaseBundle(_case(r), r[21]) for r in case_rows}
    lo, hi = case_rows[0][0], case_rows[-1][0]
    with engine.connect() as conn:
        _fill(conn, bundles, lambda column: column.between(lo, hi), with_messages=True)
    return list(bundles.values())


def _fill(conn: Connection, bundles: dict[int, CaseBundle],
          cases: Callable[[Any], ColumnElement[bool]], *, with_messages: bool) -> None:
    """Read the child rows of ``bundles`` (one query per table) into them.

    ``cases(column)`` is the condition selecting the bundles' case ids on ``column``; rows
    of other cases it lets through are ignored.
    """
    contacts = conn.execute(
        select(*_CONTACT_COLUMNS)
        .select_from(CP.join(CA, CA.c.customer_id == CP.c.customer_id))
        .where(cases(CA.c.id)).order_by(CA.c.id, CP.c.id)).all()
    promises = conn.execute(
        select(PR.c.case_id, PR.c.ref, PR.c.amount_minor, PR.c.due, PR.c.status,
               PR.c.made_at, PR.c.paid_minor, PR.c.source_message_id, PR.c.id)
        .where(cases(PR.c.case_id)).order_by(PR.c.id)).all()
    payments = conn.execute(
        select(PA.c.case_id, PA.c.reference, PA.c.amount_minor, PA.c.paid_at, PA.c.id)
        .where(cases(PA.c.case_id)).order_by(PA.c.paid_at, PA.c.id)).all()
    messages: Sequence[Any] = ()
    escalations: Sequence[Any] = ()
    if with_messages:
        messages = conn.execute(
            select(MS.c.case_id, MS.c.direction, MS.c.channel, MS.c.status, MS.c.step_id,
                   MS.c.campaign_id, MS.c.variant, MS.c.ref, MS.c.address, MS.c.created_at,
                   MS.c.sent_at)
            .where(cases(MS.c.case_id))).all()
        escalations = conn.execute(
            select(CD.c.case_id, CD.c.step_id, CD.c.campaign_id, CD.c.at)
            .where(and_(cases(CD.c.case_id), CD.c.allowed.is_(True),
                        CD.c.channel.is_(None)))).all()

    for row in contacts:
        bundle = bundles.get(row[0])
        if bundle is not None:
            bundle.case.contacts.append(_contact(row))
    for case_id, ref, amount, due, status, made_at, paid, source, pid in promises:
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.case.promises.append(Promise(ref, amount, due, PromiseStatus(status), made_at,
                                                paid, source, pid))
    for case_id, reference, amount, paid_at, pay_id in payments:
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.case.payments.append(Payment(reference, amount, paid_at, pay_id))
    for (case_id, direction, channel, status, step_id, campaign_id, variant, ref, address,
         created_at, sent_at) in messages:
        bundle = bundles.get(case_id)
        if bundle is None:
            continue
        if direction == "in":
            bundle.inbound.append(ensure_utc(created_at))
        elif status not in NOT_SENT_STATUSES:
            bundle.history.append(SentRecord(
                ChannelKind(channel), ensure_utc(sent_at or created_at), step_id=step_id,
                campaign_id=campaign_id, variant=variant, ref=ref, address=address,
                failed=status in FAILED_STATUSES))
    for case_id, step_id, campaign_id, at in escalations:
        bundle = bundles.get(case_id)
        if bundle is not None:
            bundle.history.append(SentRecord(None, ensure_utc(at), step_id=step_id,
                                             campaign_id=campaign_id))


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
        q = (select(*_CASE_COLUMNS).select_from(CA.join(CU, CU.c.id == CA.c.customer_id))
             .where(CA.c.id > last, CA.c.status.not_in(CLOSED_STATUSES))
             .order_by(CA.c.id).limit(n))
        if until_id is not None:
            q = q.where(CA.c.id <= until_id)
        with engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        yield load_batch(engine, list(rows))
        last = rows[-1][0]
        if left is not None:
            left -= len(rows)


def load_cases(engine: Engine, case_ids: list[int]) -> dict[int, CaseBundle]:
    """Bundles for specific cases (open or closed), keyed by case id.

    Child rows are read by id range, so this suits ids that are close together.
    """
    out: dict[int, CaseBundle] = {}
    ids = sorted(set(case_ids))
    for i in range(0, len(ids), DEFAULT_BATCH):
        chunk = ids[i:i + DEFAULT_BATCH]
        with engine.connect() as conn:
            rows = conn.execute(
                select(*_CASE_COLUMNS).select_from(CA.join(CU, CU.c.id == CA.c.customer_id))
                .where(CA.c.id.in_(chunk)).order_by(CA.c.id)).all()
        for bundle in load_batch(engine, list(rows)):
            assert bundle.case.id is not None
            out[bundle.case.id] = bundle
    return out


def _in_list(column: Any, ids: list[int]) -> ColumnElement[bool]:
    return column.in_(ids)  # type: ignore[no-any-return]


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
    with ctx as conn:
        for i in range(0, len(ids), DEFAULT_BATCH):
            chunk = ids[i:i + DEFAULT_BATCH]
            rows = conn.execute(
                select(*_CASE_COLUMNS).select_from(CA.join(CU, CU.c.id == CA.c.customer_id))
                .where(CA.c.id.in_(chunk)).order_by(CA.c.id)).all()
            bundles = {r[0]: CaseBundle(_case(r), r[21]) for r in rows}
            if bundles:
                _fill(conn, bundles, functools.partial(_in_list, ids=chunk),
                      with_messages=with_messages)
            out.update(bundles)
    return out
