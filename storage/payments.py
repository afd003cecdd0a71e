"""Payments already applied, by their unique reference."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from storage.tables.cases import CaseRow, PaymentRow

PA = PaymentRow.__table__  # type: ignore[attr-defined]
CA = CaseRow.__table__  # type: ignore[attr-defined]


class SqlPaymentLedger:
    def __init__(self, session: Session) -> None:
        self.session = session

    def applied(self, reference: str) -> tuple[str, int] | None:
        hit = self.session.execute(
            select(CA.c.account_id, PA.c.amount_minor)
            .select_from(PA.join(CA, CA.c.id == PA.c.case_id))
            .where(PA.c.reference == reference)).first()
        return None if hit is None else (hit[0], hit[1])
