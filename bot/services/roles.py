"""Who may do what: the roles, the permissions, and the one check every route and command
goes through (:func:`authorize`).

=========================================  =========  ==========  =====
permission                                 collector  supervisor  admin
=========================================  =========  ==========  =====
work the queue, look at cases, reports     yes        yes         yes
take, reply, release, close queue items,   yes [1]    yes         yes
record promises/plans/notes, dispute
claims, set protective holds
reveal masked data (audited)               yes [2]    yes         yes
resolve disputes, write off, return from   no         yes         yes
legal review, reassign, clear holds,
cancel promises
manage users, campaigns, templates,        no         no          yes
settings
=========================================  =========  ==========  =====

[1] on cases no one else holds; [2] on cases the collector holds.

The command line is an operator's tool with full rights: it acts as an admin and records
the operating user, and ``--as`` the person on whose behalf it acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.case import LEGAL_QUEUE, Case


class Role(StrEnum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.COLLECTOR: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
ROLES = tuple(r.value for r in Role)


class Permission(StrEnum):
    VIEW_QUEUE = "view the queue"
    VIEW_CASE = "look at a case"
    VIEW_REPORTS = "read reports"
    CLOSE_QUEUE_ITEM = "close a queue item"
    TAKE = "take a conversation"
    REPLY = "reply to a customer"
    RELEASE = "release a conversation"
    RECORD_PROMISE = "record a promise"
    RECORD_PLAN = "record a payment plan"
    ADD_NOTE = "add a note"
    CLAIM_DISPUTE = "record a dispute"
    SET_HOLD = "set a protective hold"
    REVEAL = "reveal masked data"
    RESOLVE_DISPUTE = "resolve a dispute"
    WRITE_OFF = "write a case off"
    RETURN_FROM_LEGAL_REVIEW = "return a case from legal review"
    REASSIGN = "reassign a case"
    CLEAR_HOLD = "clear a hold"
    CANCEL_PROMISE = "cancel a promise"
    MANAGE_USERS = "manage users"
    MANAGE_CAMPAIGNS = "manage campaigns"
    MANAGE_TEMPLATES = "manage templates"
    MANAGE_SETTINGS = "manage settings"


P = Permission
#: the least role that has each permission (every role has what the ones below it have)
MINIMUM_ROLE: dict[Permission, Role] = {
    **{p: Role.COLLECTOR for p in (
        P.VIEW_QUEUE, P.VIEW_CASE, P.VIEW_REPORTS, P.CLOSE_QUEUE_ITEM, P.TAKE, P.REPLY,
        P.RELEASE, P.RECORD_PROMISE, P.RECORD_PLAN, P.ADD_NOTE, P.CLAIM_DISPUTE, P.SET_HOLD,
        P.REVEAL)},
    **{p: Role.SUPERVISOR for p in (
        P.RESOLVE_DISPUTE, P.WRITE_OFF, P.RETURN_FROM_LEGAL_REVIEW, P.REASSIGN, P.CLEAR_HOLD,
        P.CANCEL_PROMISE)},
    **{p: Role.ADMIN for p in (
        P.MANAGE_USERS, P.MANAGE_CAMPAIGNS, P.MANAGE_TEMPLATES, P.MANAGE_SETTINGS)},
}
assert set(MINIMUM_ROLE) == set(Permission), "every permission needs a role"
#: what a collector may do to a case only when no one else holds its conversation
NOT_HELD_BY_ANOTHER = frozenset({
    P.CLOSE_QUEUE_ITEM, P.TAKE, P.REPLY, P.RELEASE, P.RECORD_PROMISE, P.RECORD_PLAN,
    P.ADD_NOTE, P.CLAIM_DISPUTE, P.SET_HOLD})
#: what a collector may do to a case only when it holds the conversation itself
HELD_BY_SELF = frozenset({P.REVEAL})


class Forbidden(PermissionError):
    """The actor's role does not allow the action (HTTP 403)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The person an action is done by, with their role.

    ``via`` names the channel of an operator acting for them (``cli:root``): recorded
    with every change, so the trail shows both."""

    username: str
    role: Role
    via: str | None = None

    @property
    def label(self) -> str:
        """How the actor is written in case events and the audit trail."""
        if self.username.startswith("cli:"):
            return self.username
        person = f"collector:{self.username}"
        return f"{person} via {self.via}" if self.via else person

    @property
    def is_person(self) -> bool:
        """False for an operator at the command line acting for nobody in particular."""
        return not self.username.startswith("cli:")


def operator(os_user: str) -> Actor:
    """The command line acting for nobody in particular: full rights, recorded as
    ``cli:<operating-system user>``."""
    return Actor(f"cli:{os_user}", Role.ADMIN)


def allowed(actor: Actor, permission: Permission, case: Case | None = None) -> bool:
    try:
        authorize(actor, permission, case)
    except Forbidden:
        return False
    return True


def authorize(actor: Actor, permission: Permission, case: Case | None = None) -> None:
    """Raise :class:`Forbidden` unless ``actor`` may do ``permission`` (to ``case``)."""
    need = MINIMUM_ROLE[permission]
    if actor.role.rank < need.rank:
        raise Forbidden(f"{actor.username} is a {actor.role}: only a {need} or above may "
                        f"{permission.value}")
    if case is None or actor.role is not Role.COLLECTOR:
        return
    holder = case.held_by
    if permission is P.TAKE and holder == LEGAL_QUEUE:
        return  # the legal-review queue is no person: taking the case is what it waits for
    if permission in NOT_HELD_BY_ANOTHER and holder is not None and holder != actor.username:
        raise Forbidden(f"case {case.account_id} is held by {holder}: a collector may not "
                        f"{permission.value} on it")
    if permission in HELD_BY_SELF and holder != actor.username:
        raise Forbidden(f"a collector may {permission.value} only on a case they hold "
                        "(take it first)")
