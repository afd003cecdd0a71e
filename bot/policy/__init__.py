"""Compliance policy: pure rules deciding whether a contact is allowed, and why not.

One module per rule family (``hard_stops``, ``contact_point``, ``contact_hours``,
``frequency``), profiles of jurisdiction defaults (``profiles``), and the engine that
combines them (``engine.check_contact``).
"""

from bot.policy.contact_point import ContactRole
from bot.policy.decision import Action, Decision, Purpose, Reason, ReasonCode
from bot.policy.engine import check_contact, local_date
from bot.policy.history import SentRecord
from bot.policy.profiles import PROFILES, JurisdictionProfile, UnknownProfileError, get_profile

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
