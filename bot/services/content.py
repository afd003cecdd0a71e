"""The templates and campaigns in use: checked where they are used.

* **Start-up** (:meth:`Content.start`): every template lints clean under every profile
  in use (the deployment's and each campaign's) and every campaign parses and finds its
  templates, or nothing starts: :class:`TemplateCheckError` lists every finding.
* **Reload** (:meth:`Content.reload`, on SIGHUP): each file is checked on its own; a
  file with a finding is refused and what it defined keeps its last valid version; the
  report lists what was refused.
* **Use**: the template store keeps the check, so a template edited later
  (``TemplateStore.put``) passes it too, and a planning service built for campaigns of
  another profile first lints every template under that profile
  (:meth:`Content.require_profiles`). Nothing unlinted is ever rendered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.campaigns.model import Campaign
from bot.campaigns.parsing import CampaignError, CampaignText, Problem, parse_campaigns
from bot.conversations.template_check import TemplateCheck, TemplateCheckError
from bot.conversations.template_lint import LintProfile
from bot.conversations.template_store import LoadProblem, TemplateStore
from bot.services.content_check import campaign_findings
from bot.services.ports import ContentFiles

log = logging.getLogger("duebot.content")


@dataclass
class ReloadReport:
    """What a reload took in and what it refused (each refusal with its findings)."""

    templates: int = 0
    campaigns: int = 0
    refused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused

    def summary(self) -> str:
        head = f"reloaded {self.templates} templates and {self.campaigns} campaigns"
        if not self.refused:
            return head
        return f"{head}; refused (the last valid version stays in use):\n" + "\n".join(
            f"  {r}" for r in self.refused)


def problem_text(problem: LoadProblem) -> str:
    text = str(problem.error)
    return text if problem.path in text else f"{problem.path}: {text}"


class Content:
    """The templates and campaigns of one application (see the module docs)."""

    def __init__(self, files: ContentFiles, check: TemplateCheck,
                 profile: Callable[[str], LintProfile]) -> None:
        """``profile``: a profile by name (a campaign names its own)."""
        self.files = files
        self.check = check
        self.profile = profile
        #: the one store everything renders from (loads and reloads swap its specs)
        self._store = TemplateStore(check=check)
        self._loaded = False
        self.campaigns: dict[str, Campaign] = {}
        self._campaign_files: dict[str, str] = {}  # campaign file -> campaign id
        self._with_campaigns = True

    # ------------------------------------------------------------------ templates
    @property
    def templates(self) -> TemplateStore:
        """The templates in use, read and parsed on first use (all or nothing); each one
        compiled and checked when first used, or all of them when listed (a command line
        that sends one template checks that one). :meth:`start` checks all at once."""
        if not self._loaded:
            fresh = self.files.load_templates(self.check, checked_on_use=True)
            if fresh.problems:
                raise TemplateCheckError([problem_text(p) for p in fresh.problems])
            self._store.use_only(fresh)
            self._loaded = True
        return self._store

    def require_profiles(self, names: Iterable[str]) -> None:
        """Check every template under these profiles too before it is used with them;
        :class:`TemplateCheckError` (and no change) when one fails."""
        missing = [n for n in dict.fromkeys(names) if n not in self.check.profile_names]
        if not missing:
            return
        wider = self.check.with_profiles(self.profile(n) for n in missing)
        if self._loaded:
            only_new = TemplateCheck(tuple(self.profile(n) for n in missing),
                                     self.check.pressure, self.check.brand,
                                     self.check.sms_segment_budget)
            findings = [str(err) for spec in self._store for err in only_new(spec)]
            if findings:
                raise TemplateCheckError(findings)
        self._store.check = wider
        self.check = wider

    # ------------------------------------------------------------------ start
    def start(self, *, campaigns: bool = True) -> dict[str, Campaign]:
        """Load and check everything; :class:`TemplateCheckError` lists every finding of
        every template and campaign file when anything is wrong. ``campaigns=False``: the
        templates only (a worker or web process on a node without campaign files)."""
        self._with_campaigns = campaigns
        findings: list[str] = []
        documents = self.files.campaign_documents() if campaigns else []
        loaded: dict[str, Campaign] = {}
        try:
            loaded = parse_campaigns(documents)
        except CampaignError as exc:
            findings.extend(str(p) for p in exc.problems)
        names = [self.check.profile_names[0], *(c.profile for c in loaded.values())]
        wider = self.check.with_profiles(self.profile(n) for n in names)
        store = self.files.load_templates(wider)
        findings.extend(problem_text(p) for p in store.problems)
        findings.extend(campaign_findings(loaded, store))
        if findings:
            raise TemplateCheckError(findings, "templates and campaigns")
        self.check = wider
        self._store.use_only(store)
        self._loaded = True
        self.campaigns = loaded
        self._campaign_files = _sources(documents, loaded)
        return loaded

    # ------------------------------------------------------------------ reload
    def reload(self) -> ReloadReport:
        """Read every file again; take in each one that passes, keep the last valid
        version of each one that does not (see the module docs)."""
        report = ReloadReport()
        documents = self.files.campaign_documents() if self._with_campaigns else []
        parsed: dict[str, tuple[Campaign | None, list[str]]] = {}
        for doc in documents:
            if isinstance(doc, Problem):
                parsed[doc.file] = (None, [str(doc)])
                continue
            try:
                one = parse_campaigns([doc])
                parsed[doc.source] = (next(iter(one.values())), [])
            except CampaignError as exc:
                parsed[doc.source] = (None, [str(p) for p in exc.problems])
        # templates first, checked under every profile the new campaigns name as well
        names = [c.profile for c, _ in parsed.values() if c is not None]
        wider = self.check.with_profiles(self.profile(n) for n in names)
        fresh = self.files.load_templates(wider)
        store = self.templates
        refused = store.replace_with(fresh)
        store.check = wider
        self.check = wider
        report.templates = len(fresh)
        report.refused.extend(problem_text(p) for p in refused)

        campaigns: dict[str, Campaign] = {}
        sources: dict[str, str] = {}
        for source, (campaign, problems) in parsed.items():
            if campaign is not None and campaign.id in campaigns:
                problems = [f"{source}: id: campaign id {campaign.id!r} is already defined "
                            f"in {next(s for s, i in sources.items() if i == campaign.id)}"]
            elif campaign is not None:
                problems = campaign_findings({campaign.id: campaign}, store)
            if not problems and campaign is not None:
                campaigns[campaign.id], sources[source] = campaign, campaign.id
                report.campaigns += 1
                continue
            report.refused.extend(problems)
            last = self._campaign_files.get(source)
            if last is not None and last in self.campaigns and last not in campaigns:
                campaigns[last], sources[source] = self.campaigns[last], last
        self.campaigns, self._campaign_files = campaigns, sources
        if report.refused:
            log.warning("%s", report.summary())
        else:
            log.info("%s", report.summary())
        return report


def _sources(documents: Iterable[CampaignText | Problem],
             campaigns: Mapping[str, Campaign]) -> dict[str, str]:
    """Which file defined which campaign (parse order = file order)."""
    out: dict[str, str] = {}
    for doc in documents:
        if isinstance(doc, CampaignText):
            try:
                one = parse_campaigns([doc])
            except CampaignError:
                continue
            cid = next(iter(one))
            if cid in campaigns:
                out[doc.source] = cid
    return out
