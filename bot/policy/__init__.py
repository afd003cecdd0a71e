"""Compliance policy: pure rules deciding whether a contact is allowed, and why not.

One module per rule family (``hard_stops``, ``contact_point``, ``contact_hours``,
``frequency``), profiles of jurisdiction defaults (``profiles``), and the engine that
combines them (``engine.check_contact``).

Each name is imported from its module when first used (``from bot.policy import X``
still works): a module that needs one rule family, e.g. ``bot.policy.history``, does not
import the others (the contact-hours rules import the holiday calendars).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from bot.policy.contact_point import ContactRole
    from bot.policy.decision import Action, Decision, Purpose, Reason, ReasonCode
    from bot.policy.engine import check_contact, local_date
    from bot.policy.history import SentRecord
    from bot.policy.profiles import PROFILES, JurisdictionProfile, UnknownProfileError, get_profile

#: where each name is defined
_WHERE = {
    "PROFILES": "bot.policy.profiles",
    "Action": "bot.policy.decision",
    "ContactRole": "bot.policy.contact_point",
    "Decision": "bot.policy.decision",
    "JurisdictionProfile": "bot.policy.profiles",
    "Purpose": "bot.policy.decision",
    "Reason": "bot.policy.decision",
    "ReasonCode": "bot.policy.decision",
    "SentRecord": "bot.policy.history",
    "UnknownProfileError": "bot.policy.profiles",
    "check_contact": "bot.policy.engine",
    "get_profile": "bot.policy.profiles",
    "local_date": "bot.policy.engine",
}

__all__ = [
    "PROFILES",
    "Action",
    "ContactRole",
    "Decision",
    "JurisdictionProfile",
    "Purpose",
    "Reason",
    "ReasonCode",
    "SentRecord",
    "UnknownProfileError",
    "check_contact",
    "get_profile",
    "local_date",
]


#: the names above, each imported from its module when first asked for
__getattr__ = lazy_exports(__name__, _WHERE)
