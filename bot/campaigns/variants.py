"""Champion/challenger: a stable assignment of each account to one variant of a step.

``bucket`` is ``sha256(campaign id, step id, account id)`` reduced to 0..99; variants own
consecutive ranges of buckets in file order, as wide as their weight (weights add up to
100). The same account always gets the same variant of the same step, whatever the day,
the process or the machine; a different step is an independent draw. The chosen variant
id travels on the Decision (and so on every message) for reports to compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot.campaigns.model import Variant


def bucket(campaign_id: str, step_id: str, account_id: str) -> int:
    """0..99, stable for the triple; the unit separator keeps ``a:b``+``c`` ≠ ``a``+``b:c``."""
    key = "\x1f".join((campaign_id, step_id, account_id)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 100


def choose_variant(
    variants: Sequence[Variant], campaign_id: str, step_id: str, account_id: str
) -> Variant | None:
    """The account's variant, or None when the step has no variants."""
    if not variants:
        return None
    b = bucket(campaign_id, step_id, account_id)
    upper = 0
    for v in variants:
        upper += v.weight
        if b < upper:
            return v
    raise ValueError(f"variant weights of step {step_id!r} add up to {upper}, not 100")
