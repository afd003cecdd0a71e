"""The reads of the read-only command line, as SQLAlchemy Core statements: the one source
of their SQL.

The SQL repositories run them through SQLAlchemy (importing this module when a read is
first made: a command that writes does not map every table these read);
:mod:`storage.dbapi_read` runs the same statements, compiled ahead of time for SQLite and
PostgreSQL into
:mod:`storage.read_sql` (``python scripts/compile_read_sql.py``; a test checks that file
matches these statements), on a DB-API connection, so a command that only reads imports
neither SQLAlchemy nor SQLModel. Parameters are named ``bindparam`` s (``expanding`` for
a list); literal values may appear in a statement but none may need a bind processor
(the compiled file carries them as the driver takes them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.sql import Select

from bot.services.ports import StoredMessage
from storage.case_stream import (
    _CASE_ONE,
    _PAYMENTS_IN,
    _PAYMENTS_ONE,
    _PROMISES_IN,
    _PROMISES_ONE,
)
from storage.tables.campaigns import CampaignVersionRow
from storage.tables.cases import CaseRow, PaymentRow, PromiseRow
from storage.tables.messages import CaseEventRow, MessageRow
from storage.tables.work import WorkItemRow

CA = CaseRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
W = WorkItemRow.__table__  # type: ignore[attr-defined]
V = CampaignVersionRow.__table__  # type: ignore[attr-defined]

#: what a StoredMessage holds, in its fields' order (as ``storage.message_log`` reads it)
MESSAGE_FIELDS: tuple[str, ...] = tuple(StoredMessage.__slots__)  # type: ignore[attr-defined]
CAMPAIGN_VERSION_COLUMNS = (
    V.c.id, V.c.campaign_id, V.c.version, V.c.status, V.c.source, V.c.body, V.c.created_at,
    V.c.created_by, V.c.approved_at, V.c.approved_by, V.c.activated_at, V.c.activated_by,
    V.c.paused_at, V.c.paused_by)
#: the event types whose events the outcome report counts (``bot.services.reports``)
REPORTED_EVENTS = ("OptedOut", "DisputeOpened", "ConversationTaken", "HoldPlaced")


def case_summaries(*where: Any) -> Select[Any]:
    """The cases list's read (``limit`` and ``offset`` parameters) with ``where``."""
    return (select(CA.c.account_id, CA.c.status, CA.c.days_past_due, CA.c.balance_minor,
                   CA.c.currency, CA.c.segment, CA.c.risk_band, CA.c.holds)
            .where(*where).order_by(CA.c.days_past_due.desc(), CA.c.id)
            .offset(bindparam("offset")).limit(bindparam("limit")))


def _count(*where: Any) -> Select[Any]:
    return select(func.count()).select_from(CA).where(*where)


def _open_items(*where: Any) -> Select[Any]:
    return (select(W.c.id, W.c.kind, W.c.priority, CA.c.account_id, W.c.detail,
                   W.c.created_at, W.c.due_at, CA.c.held_by)
            .select_from(W.outerjoin(CA, CA.c.id == W.c.case_id))
            .where(W.c.done_at.is_(None), *where)
            .order_by(W.c.priority, W.c.created_at, W.c.id))


_STATUSES = CA.c.status.in_(bindparam("statuses", expanding=True))

#: name -> statement. The case reads (``holding`` ... ``payments_in``) are
#: storage/case_stream.py's, whose rows storage/case_rows.py decodes from raw values;
#: every other read's rows are decoded by its columns' types.
READS: dict[str, Select[Any]] = {
    # one case, as the unit of work's case repository loads it
    "case_id": select(CA.c.id).where(CA.c.account_id == bindparam("account_id")),
    "holding": _CASE_ONE,
    "promises_one": _PROMISES_ONE,
    "promises_in": _PROMISES_IN,
    "payments_one": _PAYMENTS_ONE,
    "payments_in": _PAYMENTS_IN,
    # cases list
    "case_count": _count(),
    "case_count_in": _count(_STATUSES),
    "case_summaries": case_summaries(),
    "case_summaries_in": case_summaries(_STATUSES),
    # a case's messages (newest first) and events (in the order written)
    "messages_for_case": select(*(MS.c[name] for name in MESSAGE_FIELDS))
    .where(MS.c.case_id == bindparam("case_id"))
    .order_by(MS.c.created_at.desc(), MS.c.id.desc()).limit(bindparam("limit")),
    "events_for_case": select(EV.c.id, EV.c.type, EV.c.actor, EV.c.at, EV.c.payload)
    .where(EV.c.case_id == bindparam("case_id")).order_by(EV.c.id),
    # the collectors' queue
    "open_items": _open_items().limit(bindparam("limit")),
    "open_items_for_case": _open_items(W.c.case_id == bindparam("case_id")),
    # campaign versions
    "campaign_versions": select(*CAMPAIGN_VERSION_COLUMNS)
    .order_by(V.c.campaign_id, V.c.version),
    "campaign_versions_of": select(*CAMPAIGN_VERSION_COLUMNS)
    .where(V.c.campaign_id == bindparam("campaign_id")).order_by(V.c.campaign_id, V.c.version),
    # what campaign outcomes are computed from (OutcomeFacts)
    "facts_sent": select(MS.c.case_id, MS.c.sent_at, MS.c.step_id, MS.c.variant,
                         MS.c.campaign_id)
    .where(MS.c.direction == "out", MS.c.step_id.is_not(None),
           MS.c.status.in_(["sent", "delivered"]))
    .order_by(MS.c.case_id, MS.c.sent_at, MS.c.id),
    "facts_inbound": select(MS.c.case_id, MS.c.created_at, MS.c.intent)
    .where(MS.c.direction == "in", MS.c.case_id.is_not(None)),
    "facts_promises": select(PR.c.case_id, PR.c.made_at, PR.c.due, PR.c.status)
    .order_by(PR.c.case_id, PR.c.due),
    "facts_events": select(EV.c.case_id, EV.c.at, EV.c.type, EV.c.payload)
    .where(EV.c.type.in_(list(REPORTED_EVENTS))).order_by(EV.c.id),
    "facts_cases": select(CA.c.id, CA.c.status, CA.c.due_date, CA.c.balance_minor,
                          CA.c.minimum_payment_minor),
    "facts_payments": select(PA.c.case_id, PA.c.paid_at, PA.c.amount_minor)
    .order_by(PA.c.paid_at),
}
#: the reads whose rows are raw driver values (decoded by storage/case_rows.py)
RAW = frozenset({"holding", "promises_one", "promises_in", "payments_one", "payments_in"})


def _kind(column: Any) -> str | None:
    """How storage/dbapi_read.py decodes a raw value of ``column`` (None: as it comes)."""
    from sqlalchemy import Boolean, Date, DateTime, Time

    from storage.types import JSONText, UTCDateTime

    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return "utc"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Time):
        return "time"
    if isinstance(kind, JSONText):
        return "json"
    if isinstance(kind, Boolean):
        return "bool"
    return None


def compiled_reads(dialect_name: str) -> dict[str, tuple[Any, ...]]:
    """:data:`READS` compiled for ``dialect_name`` (``sqlite``, ``postgresql`` with
    psycopg): name -> ``(sql, positional names or None, literal values, expanding names,
    column kinds or None for a raw read)``."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.dialects.postgresql import psycopg

    dialect = sqlite.dialect() if dialect_name == "sqlite" else psycopg.dialect()
    out: dict[str, tuple[Any, ...]] = {}
    for name, statement in READS.items():
        compiled = statement.compile(dialect=dialect)
        literals: dict[str, Any] = {}
        expanding: list[str] = []
        for bind, bind_name in compiled.bind_names.items():
            if bind.type._cached_bind_processor(dialect) is not None:
                raise ValueError(f"{name}: {bind_name} needs a bind processor")
            if bind.expanding:
                expanding.append(bind_name)
            if not bind.required:
                literals[bind_name] = list(bind.value or ()) if bind.expanding else bind.value
        positional = tuple(compiled.positiontup or ()) if compiled.positional else None
        kinds = None if name in RAW else tuple(_kind(c) for c in statement.selected_columns)
        out[name] = (compiled.string, positional, literals, tuple(sorted(expanding)), kinds)
    return out


def read_sql_module() -> str:
    """The text of storage/read_sql.py: :func:`compiled_reads` for both dialects."""
    from pprint import pformat

    body = "".join(f"    {d!r}: {pformat(compiled_reads(d), width=80, sort_dicts=True)},\n"
                   for d in ("sqlite", "postgresql"))
    return ('"""Generated by ``python scripts/compile_read_sql.py`` from '
            "storage/read_statements.py:\nthe read-only command line's statements "
            'compiled per dialect (see there). Do not edit."""\n\n'
            "from typing import Any\n\n"
            "READS: dict[str, dict[str, tuple[Any, ...]]] = {\n" + body + "}\n")
