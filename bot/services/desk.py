"""The collectors' desk: every action a person takes on the queue and on cases, each one
checked against the actor's role (:func:`bot.services.roles.authorize`) before it runs.

The JSON API, the command line and the web console call these methods and nothing
below them, so a rule is enforced the same way everywhere. Each method is one
transaction; what it changes on a case is recorded in the case's events with the actor
(``collector:ann``, or ``collector:ann via cli:root`` when an operator acts for ann).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from bot.campaigns.model import Campaign
from bot.domain.case import Case, CaseStatus
from bot.domain.messages import ChannelKind
from bot.domain.work_items import QueueItem, WorkItemKind
from bot.policy.profiles import JurisdictionProfile
from bot.services import case_work, handoff
from bot.services.campaign_book import CampaignBook
from bot.services.case_view import case_view
from bot.services.ports import (
    CaseSummary,
    InboxEntry,
    InboxFacets,
    InboxFilter,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.services.roles import Actor, Permission, authorize
from bot.services.users import audit

T = TypeVar("T")
P = Permission


def assignment(case: Case, campaigns: Mapping[str, Campaign] | CampaignBook
               ) -> dict[str, Any]:
    """Which active campaign the case follows, by which rule, and why not the others."""
    book = campaigns if isinstance(campaigns, CampaignBook) else CampaignBook(campaigns)
    tried = book.explain(case)
    chosen = book.for_case(case)
    return {
        "id": chosen.id if chosen else None,
        "rule": chosen.assign.describe() if chosen else None,
        "considered": [{"id": c.id, "rule": c.assign.describe(), "unmet": unmet}
                       for c, unmet in tried],
    }


class CaseDesk:
    """Queue and case work for people, with their roles enforced."""

    def __init__(self, uow_factory: UnitOfWorkFactory, profile: JurisdictionProfile,
                 campaigns: Callable[[], CampaignBook] | None = None) -> None:
        """``campaigns``: the active campaigns, to show which one a case follows and
        under which profile."""
        self.uow_factory = uow_factory
        self.profile = profile
        self.campaigns = campaigns

    # ------------------------------------------------------------------ helpers
    def _on_case(self, actor: Actor, permission: Permission, account_id: str,
                 action: Callable[[UnitOfWork, Case], T]) -> T:
        with self.uow_factory() as uow:
            case = uow.cases.get(account_id)
            if case is None:
                raise handoff.NotFound(f"no case with account id {account_id!r}")
            authorize(actor, permission, case)
            return action(uow, case)

    @staticmethod
    def _person(actor: Actor) -> str:
        """The name a conversation is held under: a person, never the bare operator."""
        if not actor.is_person:
            raise handoff.HandoffError("say on whose behalf (--as USER): a conversation is "
                                       "held by a person")
        return actor.username

    # ------------------------------------------------------------------ reading
    def queue(self, actor: Actor, limit: int = 100) -> list[QueueItem]:
        authorize(actor, P.VIEW_QUEUE)
        with self.uow_factory() as uow:
            return handoff.queue(uow, limit)

    def case(self, actor: Actor, account_id: str, *, messages: int = 10,
             events: int | None = 50) -> dict[str, Any]:
        authorize(actor, P.VIEW_CASE)
        book = self.campaigns() if self.campaigns is not None else None
        with self.uow_factory() as uow:
            view = case_view(uow, account_id, messages=messages, events=events,
                             campaigns=book)
            case = uow.cases.get(account_id)
        if view is None or case is None:
            raise handoff.NotFound(f"no case with account id {account_id!r}")
        if book is not None:
            view["campaign"] = assignment(case, book)
        return view

    def reveal(self, actor: Actor, account_id: str, why: str) -> list[dict[str, str]]:
        """The case's contact points unmasked; audited with the reason."""
        def go(uow: UnitOfWork, case: Case) -> list[dict[str, str]]:
            if not why.strip():
                raise case_work.CaseWorkError("say why (the reason is audited)")
            audit(uow, actor, "case.reveal", case.account_id, reason=why.strip()[:200])
            uow.commit()
            return [{"channel": c.channel.value, "address": c.address} for c in case.contacts]

        return self._on_case(actor, P.REVEAL, account_id, go)

    def inbox(self, actor: Actor, wanted: InboxFilter = InboxFilter(), limit: int = 200
              ) -> list[InboxEntry]:
        """The open work items ``wanted`` picks, most urgent first, then longest waiting,
        with each case's latest message."""
        authorize(actor, P.VIEW_QUEUE)
        unknown = sorted(set(wanted.kinds) - {k.value for k in WorkItemKind})
        if unknown:
            raise ValueError(f"unknown kind {', '.join(unknown)} (use one of: "
                             f"{', '.join(k.value for k in WorkItemKind)})")
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be between 1 and 1000")
        with self.uow_factory() as uow:
            return uow.work_items.inbox(wanted, limit)

    def inbox_facets(self, actor: Actor) -> InboxFacets:
        authorize(actor, P.VIEW_QUEUE)
        with self.uow_factory() as uow:
            return uow.work_items.inbox_facets()

    def review(self, actor: Actor, limit: int = 200) -> dict[str, list[CaseSummary]]:
        """What waits for a supervisor: open disputes, cases in legal review, and cases
        under a hold a supervisor lifts (protective holds, a payment claim)."""
        authorize(actor, P.RESOLVE_DISPUTE)
        with self.uow_factory() as uow:
            return {
                "disputes": uow.cases.summaries([CaseStatus.DISPUTED.value], limit),
                "legal_review": uow.cases.summaries([CaseStatus.LEGAL_REVIEW.value], limit),
                "holds": [c for c in uow.cases.summaries(
                    None, limit, holds=sorted(h.value for h in case_work.CLEARABLE_HOLDS))
                    if not c.status.startswith("closed")],
            }

    # ------------------------------------------------------------------ queue
    def close_item(self, actor: Actor, item_id: int) -> None:
        with self.uow_factory() as uow:
            item = next((i for i in uow.work_items.open_items(100_000) if i.id == item_id),
                        None)
            case = uow.cases.get(item.account_id) if item and item.account_id else None
            authorize(actor, P.CLOSE_QUEUE_ITEM, case)
            handoff.close_item(uow, item_id, actor.username)

    # ------------------------------------------------------------------ conversation
    def take(self, actor: Actor, account_id: str) -> None:
        name = self._person(actor)
        self._on_case(actor, P.TAKE, account_id,
                      lambda uow, case: handoff.take(uow, account_id, name))

    def release(self, actor: Actor, account_id: str, *, close_items: bool = True) -> int:
        """Hand back to the bot; returns how many of the case's queue items were closed."""
        name = self._person(actor)
        return self._on_case(actor, P.RELEASE, account_id,
                             lambda uow, case: handoff.release(uow, account_id, name,
                                                               close_items=close_items))

    def reply(self, actor: Actor, account_id: str, text: str,
              channel: ChannelKind | None = None) -> int:
        name = self._person(actor)
        return self._on_case(actor, P.REPLY, account_id,
                             lambda uow, case: handoff.reply(uow, account_id, name, text,
                                                             channel, self.profile))

    # ------------------------------------------------------------------ outcomes
    def record_promise(self, actor: Actor, account_id: str,
                       instalments: list[tuple[str | Decimal, date]]) -> None:
        self._on_case(actor, P.RECORD_PROMISE, account_id,
                      lambda uow, case: handoff.record_promise(
                          uow, account_id, actor.username, self.profile, instalments,
                          actor=actor.label))

    def record_plan(self, actor: Actor, account_id: str, count: int, first_due: date) -> None:
        self._on_case(actor, P.RECORD_PLAN, account_id,
                      lambda uow, case: handoff.record_plan(
                          uow, account_id, actor.username, self.profile, count, first_due,
                          actor=actor.label))

    def record_dispute(self, actor: Actor, account_id: str, reason: str) -> None:
        self._on_case(actor, P.CLAIM_DISPUTE, account_id,
                      lambda uow, case: handoff.record_dispute(
                          uow, account_id, actor.username, reason, actor=actor.label))

    def resolve_dispute(self, actor: Actor, account_id: str, outcome: str) -> None:
        self._on_case(actor, P.RESOLVE_DISPUTE, account_id,
                      lambda uow, case: handoff.resolve_dispute(
                          uow, account_id, actor.username, outcome, actor=actor.label))

    def add_note(self, actor: Actor, account_id: str, text: str) -> None:
        self._on_case(actor, P.ADD_NOTE, account_id,
                      lambda uow, case: case_work.add_note(uow, account_id, actor.label, text))

    def set_hold(self, actor: Actor, account_id: str, hold: str, reason: str, *,
                 until: date | None = None) -> None:
        self._on_case(actor, P.SET_HOLD, account_id,
                      lambda uow, case: case_work.set_hold(uow, account_id, hold, actor.label,
                                                           reason, until))

    def clear_hold(self, actor: Actor, account_id: str, hold: str, reason: str) -> None:
        self._on_case(actor, P.CLEAR_HOLD, account_id,
                      lambda uow, case: case_work.clear_hold(uow, account_id, hold,
                                                             actor.label, reason))

    # ------------------------------------------------------------------ supervision
    def write_off(self, actor: Actor, account_id: str, reason: str) -> None:
        self._on_case(actor, P.WRITE_OFF, account_id,
                      lambda uow, case: case_work.write_off(uow, account_id, actor.label,
                                                            reason))

    def return_from_legal_review(self, actor: Actor, account_id: str, reason: str) -> None:
        self._on_case(actor, P.RETURN_FROM_LEGAL_REVIEW, account_id,
                      lambda uow, case: case_work.return_from_legal_review(
                          uow, account_id, actor.label, reason))

    def reassign(self, actor: Actor, account_id: str, collector: str | None) -> None:
        def go(uow: UnitOfWork, case: Case) -> None:
            if collector:
                user = uow.users.get(collector.strip().lower())
                if user is None or not user.active:
                    raise case_work.CaseWorkError(f"no active user {collector!r}")
            case_work.reassign(uow, account_id, actor.label,
                               collector.strip().lower() if collector else None)

        self._on_case(actor, P.REASSIGN, account_id, go)

    def cancel_promise(self, actor: Actor, account_id: str, ref: str, reason: str) -> None:
        self._on_case(actor, P.CANCEL_PROMISE, account_id,
                      lambda uow, case: case_work.cancel_promise(uow, account_id, actor.label,
                                                                 ref, reason))
