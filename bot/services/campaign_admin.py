"""Campaigns as versions in the database: import, validate, approve, activate, pause,
resume, export.

A version moves ``draft → approved → active ↔ paused``; activating a version retires the
campaign's previous active (or paused) one. Importing a file whose text differs from the
campaign's latest version makes a new draft (so editing an active campaign never changes
what is running until the new version is approved and activated); the same text again
changes nothing. Approval records who and when, and with ``two_person`` the approver
must be another person than the author. Only active versions plan and send: the
planning tick reads them at every tick, and the dispatch workers check them for every
batch, so a pause or an activation takes effect without a restart. Managing campaigns
needs the ``admin`` role; every change is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.campaigns.model import Campaign
from bot.campaigns.parsing import CampaignError, CampaignText, Problem, parse_campaign
from bot.services.ports import CampaignVersion, UnitOfWork, UnitOfWorkFactory
from bot.services.roles import Actor, Permission, authorize
from bot.services.users import audit

if TYPE_CHECKING:  # reading the active campaigns (a case's profile) compiles no template
    from bot.campaigns.validation import Validation
    from bot.conversations.template_store import TemplateStore


class VersionStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ACTIVE = "active"
    PAUSED = "paused"
    RETIRED = "retired"


S = VersionStatus
#: the statuses a campaign is "live" in (one version at most per campaign)
LIVE = (S.ACTIVE.value, S.PAUSED.value)


class CampaignAdminError(ValueError):
    """A lifecycle move that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Imported:
    campaign_id: str
    version: int
    status: str
    new: bool  # False: the text equals the latest version's (nothing was stored)
    source: str


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """One line of ``campaigns list``."""

    campaign_id: str
    name: str
    live: CampaignVersion | None  # the active or paused version
    latest: CampaignVersion

    @property
    def status(self) -> str:
        return self.live.status if self.live else "not active"


def _person(label: str) -> str:
    """The person behind an actor label (``collector:ann via cli:root`` → ann)."""
    head = label.split(" via ", 1)[0]
    return head.removeprefix("collector:")


class CampaignAdmin:
    """Campaign versions over units of work, with roles enforced."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *,
                 templates: Mapping[str, Collection[str]] | None = None,
                 two_person: bool = False) -> None:
        """``templates``: template id -> channels it has text for (validation);
        ``two_person``: an approver must not be the version's author."""
        self.uow_factory = uow_factory
        self.templates = templates
        self.two_person = two_person
        self._parsed: dict[tuple[str, int], Campaign] = {}
        #: moves whenever this process changes which versions are live (LiveCampaigns)
        self.generation = 0

    # ------------------------------------------------------------------ checking
    def validate(self, documents: Iterable[CampaignText | Problem]) -> Validation:
        from bot.campaigns.validation import validate_documents

        return validate_documents(documents, self.templates)

    def _campaign(self, version: CampaignVersion) -> Campaign:
        key = (version.campaign_id, version.version)
        if key not in self._parsed:
            self._parsed[key] = parse_campaign(
                version.body, f"{version.campaign_id} v{version.version}")
        return self._parsed[key]

    # ------------------------------------------------------------------ reading
    def live_campaigns(self) -> dict[str, Campaign]:
        """The active campaigns (what the tick plans with)."""
        with self.uow_factory() as uow:
            versions = [v for v in uow.campaigns.versions() if v.status == S.ACTIVE.value]
        return {v.campaign_id: self._campaign(v) for v in versions}

    def candidate_campaigns(self) -> dict[str, Campaign]:
        """Each campaign's latest version that is not retired, active or not (what
        ``plan --drafts`` shows: what approving would do)."""
        with self.uow_factory() as uow:
            versions = uow.campaigns.versions()
        latest: dict[str, CampaignVersion] = {}
        for v in versions:
            if v.status != S.RETIRED.value:
                latest[v.campaign_id] = v
        return {cid: self._campaign(v) for cid, v in latest.items()}

    def states(self) -> dict[str, str]:
        """Campaign id -> the status of its live version (active or paused)."""
        with self.uow_factory() as uow:
            return {v.campaign_id: v.status for v in uow.campaigns.versions()
                    if v.status in LIVE}

    def summaries(self, actor: Actor) -> list[CampaignSummary]:
        authorize(actor, Permission.VIEW_REPORTS)
        with self.uow_factory() as uow:
            versions = uow.campaigns.versions()
        by_id: dict[str, list[CampaignVersion]] = {}
        for v in versions:
            by_id.setdefault(v.campaign_id, []).append(v)
        out = []
        for cid, vs in sorted(by_id.items()):
            live = next((v for v in vs if v.status in LIVE), None)
            shown = live or vs[-1]
            try:
                name = self._campaign(shown).name
            except CampaignError:
                name = "(invalid)"
            out.append(CampaignSummary(cid, name, live, vs[-1]))
        return out

    def versions(self, actor: Actor, campaign_id: str) -> list[CampaignVersion]:
        authorize(actor, Permission.VIEW_REPORTS)
        with self.uow_factory() as uow:
            found = uow.campaigns.versions(campaign_id)
        if not found:
            raise CampaignAdminError(f"no campaign {campaign_id!r}")
        return found

    def version(self, actor: Actor, campaign_id: str, number: int | None = None
                ) -> CampaignVersion:
        """A version (default: the live one, else the latest)."""
        found = self.versions(actor, campaign_id)
        if number is None:
            return next((v for v in found if v.status in LIVE), found[-1])
        match = next((v for v in found if v.version == number), None)
        if match is None:
            raise CampaignAdminError(f"campaign {campaign_id!r} has no version {number}")
        return match

    def orders(self) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
        """Campaign id -> its step ids in file order, and (campaign, step) -> its variant
        ids in file order (the live version of each campaign, else its latest)."""
        with self.uow_factory() as uow:
            versions = uow.campaigns.versions()
        chosen: dict[str, CampaignVersion] = {}
        for v in versions:
            if v.campaign_id not in chosen or chosen[v.campaign_id].status not in LIVE:
                chosen[v.campaign_id] = v
        steps: dict[str, list[str]] = {}
        variants: dict[tuple[str, str], list[str]] = {}
        for cid, v in chosen.items():
            try:
                campaign = self._campaign(v)
            except CampaignError:
                continue
            steps[cid] = [s.id for s in campaign.steps]
            for step in campaign.steps:
                variants[(cid, step.id)] = [x.id for x in step.variants]
        return steps, variants

    # ------------------------------------------------------------------ changing
    def import_documents(self, actor: Actor, documents: Iterable[CampaignText | Problem]
                         ) -> list[Imported]:
        """Store each valid document as a new draft (all or nothing: any problem raises
        :class:`CampaignError` listing them all, and nothing is stored)."""
        authorize(actor, Permission.MANAGE_CAMPAIGNS)
        docs = list(documents)
        checked = self.validate(docs)
        if not checked.ok:
            raise CampaignError(checked.problems)
        texts = {d.source: d.text for d in docs if isinstance(d, CampaignText)}
        out = []
        with self.uow_factory() as uow:
            for cid, campaign in checked.campaigns.items():
                source = checked.sources[cid]
                text = texts[source]
                existing = uow.campaigns.versions(cid)
                if existing and existing[-1].body == text:
                    last = existing[-1]
                    out.append(Imported(cid, last.version, last.status, False, source))
                    continue
                new = uow.campaigns.add(cid, source, text, actor.label, uow.clock.now())
                audit(uow, actor, "campaign.import", f"{cid} v{new.version}", source=source,
                      name=campaign.name)
                out.append(Imported(cid, new.version, new.status, True, source))
            uow.commit()
        return out

    def edit(self, actor: Actor, campaign_id: str, text: str, source: str = "console"
             ) -> Imported:
        """A new draft of ``campaign_id`` from edited YAML (the console's editor); the
        text must keep the campaign's id. :class:`CampaignError` lists every problem
        (nothing is stored); the same text as the latest version stores nothing."""
        authorize(actor, Permission.MANAGE_CAMPAIGNS)
        checked = self.validate([CampaignText(source, text)])
        if checked.ok and campaign_id not in checked.campaigns:
            found = ", ".join(sorted(checked.campaigns)) or "none"
            raise CampaignError([Problem(source, _id_line(text), "id",
                                         f"the id must stay {campaign_id!r} (found {found}); "
                                         "a new id is a new campaign")])
        [done] = self.import_documents(actor, [CampaignText(source, text)])
        return done

    def _pick(self, uow: UnitOfWork, campaign_id: str, number: int | None,
              wanted: str) -> CampaignVersion:
        versions = uow.campaigns.versions(campaign_id)
        if not versions:
            raise CampaignAdminError(f"no campaign {campaign_id!r} (import it first)")
        if number is None:
            match = next((v for v in reversed(versions) if v.status == wanted), None)
            if match is None:
                raise CampaignAdminError(f"campaign {campaign_id!r} has no {wanted} version "
                                         f"(versions: {_listing(versions)})")
            return match
        match = next((v for v in versions if v.version == number), None)
        if match is None:
            raise CampaignAdminError(f"campaign {campaign_id!r} has no version {number}")
        if match.status != wanted:
            raise CampaignAdminError(f"{campaign_id} v{number} is {match.status}, not "
                                     f"{wanted}")
        return match

    def approve(self, actor: Actor, campaign_id: str, number: int | None = None, *,
                activate: bool = False) -> CampaignVersion:
        """Approve a draft (default: the latest); ``activate`` also makes it active."""
        authorize(actor, Permission.MANAGE_CAMPAIGNS)
        with self.uow_factory() as uow:
            version = self._pick(uow, campaign_id, number, S.DRAFT.value)
            if self.two_person and _person(version.created_by) == _person(actor.label):
                raise CampaignAdminError(
                    f"{campaign_id} v{version.version} was imported by "
                    f"{_person(version.created_by)}: another person must approve it "
                    "(DUEBOT_CAMPAIGN_TWO_PERSON_APPROVAL)")
            checked = self.validate([CampaignText(version.source, version.body)])
            if not checked.ok:  # the templates may have changed since the import
                raise CampaignError(checked.problems)
            now = uow.clock.now()
            uow.campaigns.set_status(version.id, S.APPROVED.value, actor.label, now)
            audit(uow, actor, "campaign.approve", f"{campaign_id} v{version.version}")
            if activate:
                self._activate(uow, actor, version)
            uow.commit()
            self.generation += 1
            return next(v for v in uow.campaigns.versions(campaign_id) if v.id == version.id)

    def activate(self, actor: Actor, campaign_id: str, number: int | None = None
                 ) -> CampaignVersion:
        """Make an approved version (default: the latest) the one that plans and sends."""
        authorize(actor, Permission.MANAGE_CAMPAIGNS)
        with self.uow_factory() as uow:
            version = self._pick(uow, campaign_id, number, S.APPROVED.value)
            self._activate(uow, actor, version)
            uow.commit()
            self.generation += 1
            return next(v for v in uow.campaigns.versions(campaign_id) if v.id == version.id)

    def _activate(self, uow: UnitOfWork, actor: Actor, version: CampaignVersion) -> None:
        now = uow.clock.now()
        for other in uow.campaigns.versions(version.campaign_id):
            if other.status in LIVE and other.id != version.id:
                uow.campaigns.set_status(other.id, S.RETIRED.value, actor.label, now)
        uow.campaigns.set_status(version.id, S.ACTIVE.value, actor.label, now)
        audit(uow, actor, "campaign.activate", f"{version.campaign_id} v{version.version}")

    def pause(self, actor: Actor, campaign_ids: Collection[str] = ()) -> list[str]:
        """Stop sending under the given campaigns (none given: every active one) — the
        kill switch. Returns the campaigns paused."""
        return self._switch(actor, campaign_ids, S.ACTIVE, S.PAUSED, "campaign.pause")

    def resume(self, actor: Actor, campaign_ids: Collection[str] = ()) -> list[str]:
        """Send again under paused campaigns (none given: every paused one)."""
        return self._switch(actor, campaign_ids, S.PAUSED, S.ACTIVE, "campaign.resume")

    def _switch(self, actor: Actor, campaign_ids: Collection[str], old: VersionStatus,
                new: VersionStatus, action: str) -> list[str]:
        authorize(actor, Permission.MANAGE_CAMPAIGNS)
        with self.uow_factory() as uow:
            versions = uow.campaigns.versions()
            known = {v.campaign_id for v in versions}
            unknown = sorted(set(campaign_ids) - known)
            if unknown:
                raise CampaignAdminError(f"no campaign {', '.join(map(repr, unknown))}")
            targets = [v for v in versions if v.status == old.value
                       and (not campaign_ids or v.campaign_id in campaign_ids)]
            now = uow.clock.now()
            for v in targets:
                uow.campaigns.set_status(v.id, new.value, actor.label, now)
                audit(uow, actor, action, f"{v.campaign_id} v{v.version}")
            uow.commit()
            self.generation += 1
        return [v.campaign_id for v in targets]


def _id_line(text: str) -> int | None:
    """The line of the top-level ``id:`` key, if there is one."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("id:"):
            return number
    return None


def _listing(versions: list[CampaignVersion]) -> str:
    return ", ".join(f"v{v.version} {v.status}" for v in versions)


def template_catalogue(store: TemplateStore) -> dict[str, set[str]]:
    """Template id -> the channels it has a text for, at any disclosure level."""
    return {spec.id: {channel.value for (_, channel, _) in spec.variants} for spec in store}
