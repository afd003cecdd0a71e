"""Related cases: the other cases whose messages count against a case's caps (the
customer's other accounts; other customers sharing one of its addresses). Shared by the
SQL stream (``storage/case_stream.py``) and the in-memory stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from bot.policy.history import SentRecord
from bot.services.ports import CaseBundle, RelatedCase


def relate(bundle: CaseBundle, others: Mapping[int, Sequence[Any]],
           records: Mapping[int, Sequence[SentRecord]]) -> None:
    """Fill ``bundle.related_cases`` and ``bundle.related`` from the other cases found at
    its addresses (case id -> (customer id, account, addresses shared)) and their
    records. (Whether a contact point is *shared* is stored: marked at import, see
    ``PortfolioWriter.mark_shared``; the caps count the others either way.)"""
    case = bundle.case
    for case_id, (customer_id, account, addresses) in sorted(others.items()):
        other = customer_id != case.customer_id
        bundle.related_cases.append(RelatedCase(
            case_id, account, other, frozenset(addresses) if other else frozenset()))
        for r in records.get(case_id, ()):
            if r.channel is None or (other and r.address not in addresses):
                continue
            bundle.related.append(dataclasses.replace(
                r, step_id=None, campaign_id=None, variant=None, ref=None, account=account,
                other_customer=other, refused=False))
