"""Contact-point rules: may this one address be written to at all?

* Only the customer's own contact points are ever messaged. Emergency contacts and
  other third parties are never messaged, whatever the purpose (no disclosure of a debt).
  ``ContactPoint`` has no ``role`` field yet; :func:`contact_role` reads
  ``getattr(cp, "role", "customer")`` and treats any unknown role as a third party.
* Opted out, invalid, wrong party: denied for every purpose.
* No recorded consent: denied for dunning and promise reminders; a reply to a message
  the customer sent from that very address is allowed (they started the conversation).

Every failing rule adds a reason (not just the first), so ``--explain`` shows them all.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from bot.domain.contacts import ContactPoint
from bot.policy.decision import Purpose, Reason, ReasonCode


class ContactRole(StrEnum):
    CUSTOMER = "customer"
    EMERGENCY = "emergency"  # emergency contact given by the customer: never messaged
    THIRD_PARTY = "third_party"  # employer, relative, reference: never messaged


def contact_role(cp: ContactPoint) -> ContactRole | str:
    """The role of a contact point; missing means the customer's own.

    Returns the raw string for a role this module does not know, so the caller can name it.
    """
    raw = getattr(cp, "role", None)
    if raw is None or raw == "":
        return ContactRole.CUSTOMER
    return _role(str(raw))


@lru_cache(maxsize=256)
def _role(raw: str) -> ContactRole | str:
    try:
        return ContactRole(raw.lower())
    except ValueError:
        return raw


def check_contact_point(cp: ContactPoint, purpose: Purpose) -> list[Reason]:
    reasons: list[Reason] = []

    def deny(code: ReasonCode, detail: str) -> None:
        reasons.append(Reason(code, detail, cp.channel, cp.masked))

    role = contact_role(cp)
    if role is not ContactRole.CUSTOMER:
        deny(ReasonCode.THIRD_PARTY, f"contact point belongs to a {role}, not the customer")
    if cp.opted_out_at is not None:
        source = f" ({cp.opt_out_source})" if cp.opt_out_source else ""
        deny(ReasonCode.OPTED_OUT, f"opted out {cp.opted_out_at.date().isoformat()}{source}")
    if cp.invalid_at is not None:
        deny(ReasonCode.INVALID_ADDRESS, cp.invalid_reason or "address marked invalid")
    if cp.wrong_party_at is not None:
        deny(ReasonCode.WRONG_PARTY, "someone other than the customer answered here")
    if not cp.consent and purpose is not Purpose.REPLY:
        deny(ReasonCode.NO_CONSENT, "no consent recorded for this contact point")
    return reasons
