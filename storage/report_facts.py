"""Reading what campaign outcomes are computed from (:class:`bot.services.ports.OutcomeSource`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.domain.clock import ensure_utc
from bot.services.ports import OutcomeFacts
from bot.services.reports import event_kind
from storage.tables.cases import CaseRow, PaymentRow, PromiseRow
from storage.tables.messages import CaseEventRow, MessageRow

MS = MessageRow.__table__  # type: ignore[attr-defined]
PR = PromiseRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
PA = PaymentRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]


class SqlOutcomeSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def outcome_facts(self) -> OutcomeFacts:
        with self.engine.connect() as conn:
            sent = [(c, ensure_utc(at), step, variant, camp)
                    for c, at, step, variant, camp in conn.execute(
                select(MS.c.case_id, MS.c.sent_at, MS.c.step_id, MS.c.variant,
                       MS.c.campaign_id)
                .where(MS.c.direction == "out", MS.c.step_id.is_not(None),
                       MS.c.status.in_(["sent", "delivered"]))
                .order_by(MS.c.case_id, MS.c.sent_at, MS.c.id))]
            inbound = [(c, ensure_utc(at), intent) for c, at, intent in conn.execute(
                select(MS.c.case_id, MS.c.created_at, MS.c.intent).where(
                    MS.c.direction == "in", MS.c.case_id.is_not(None)))]
            promises = [(c, None if made is None else ensure_utc(made), due, status)
                        for c, made, due, status in conn.execute(
                            select(PR.c.case_id, PR.c.made_at, PR.c.due, PR.c.status)
                            .order_by(PR.c.case_id, PR.c.due))]
            opt_outs: list[tuple[int, datetime]] = []
            disputes: list[tuple[int, datetime]] = []
            complaints: list[tuple[int, datetime]] = []
            for c, at, kind, payload in conn.execute(
                    select(EV.c.case_id, EV.c.at, EV.c.type, EV.c.payload).where(
                        EV.c.type.in_(["OptedOut", "DisputeOpened", "ConversationTaken",
                                       "HoldPlaced"])).order_by(EV.c.id)):
                kind = event_kind(kind, payload or {})
                if kind is not None:
                    {"opt_out": opt_outs, "dispute": disputes,
                     "complaint": complaints}[kind].append((c, ensure_utc(at)))
            cases = {r[0]: (r[1], r[2], r[3], r[4]) for r in conn.execute(select(
                CA.c.id, CA.c.status, CA.c.due_date, CA.c.balance_minor,
                CA.c.minimum_payment_minor))}
            payments: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
            for case_id, paid_at, amount in conn.execute(
                    select(PA.c.case_id, PA.c.paid_at, PA.c.amount_minor)
                    .order_by(PA.c.paid_at)):
                payments[case_id].append((ensure_utc(paid_at), amount))
        return OutcomeFacts(sent, inbound, promises, opt_outs, cases, dict(payments),
                            disputes, complaints)

