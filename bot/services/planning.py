"""The planning tick: every open case, its campaign, the policy, and the outbox.

For each open case (streamed in batches, see ``storage/case_stream.py``) the case's
campaign is chosen, :func:`bot.campaigns.plan_case` decides with the case's history,
and the outcome is written down:

* an allowed **send** becomes an outbox row: the step's template rendered for the chosen
  channel and contact point (limited disclosure unless the contact point is verified and
  not SMS), the planner's idempotency key (case, step, variant, local date, event), the
  step's remaining channels as the fallback list. Enqueueing skips an existing key, so a
  second tick, or a tick re-run after a crash, queues nothing twice;
* an allowed **legal review** moves the case to the legal-review queue through the domain
  (:meth:`~bot.domain.case.Case.escalate_to_legal_review`) and opens a work item;
* every denial is recorded in ``contact_decision`` with its reasons, and so is every
  allowed legal review (the history record that keeps a case from being escalated twice
  in a cycle), once per case, day and outcome (a keyed insert: ticks repeating the same
  decision on the same day add nothing). An allowed send needs no decision row: its
  outbox row records the step, variant, channel, template and local day.

Outbox rows and decision rows of a batch are written in one transaction. Nothing is
sent here: dispatch workers send (and re-check the policy at send time).

Which campaign plans a case: the first active campaign whose ``assign`` rules match it,
by priority (see :class:`CampaignBook` and ``campaigns/README.md``). The campaign's
profile governs: its rules plan, its opt-out and mini-Miranda lines are rendered (and
the dispatch workers re-check a message under it, see :meth:`CampaignBook.profile_for`).

Caps count per person and per address: each bundle brings the records of its related
cases (the customer's other accounts, other customers at a shared address; queued
messages included, so a later batch sees what an earlier one queued), and a send chosen
for one of them earlier in the same batch (or the same dry run) counts too. Two planning
processes may each queue one for related cases in their own id ranges: the dispatch
workers' send-time check then lets the first through and defers the other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import multiprocessing as mp
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import partial

from bot.campaigns.model import Campaign, EventKind
from bot.campaigns.planner import VALIDATION_REF, plan_case
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import TemplateRenderer
from bot.domain.brand import Brand
from bot.domain.case import Case, TransitionError
from bot.domain.clock import Clock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.domain.outbox import NewOutboxMessage, outbox_message
from bot.domain.work_items import WorkItemKind, work_item
from bot.policy.decision import Action, Decision, ReasonCode
from bot.policy.engine import case_zone, local_date
from bot.policy.history import SentRecord
from bot.policy.profiles import get_profile
from bot.services.campaign_book import CampaignBook
from bot.services.outbound import MentionsSuit, campaign_render
from bot.services.ports import CaseBundle, DecisionRecord, Escalation, PlanStore, TickBatch

log = logging.getLogger("duebot.planning")
#: the reason recorded when an allowed step's template cannot be rendered
TEMPLATE_ERROR = "template_error"
#: cases read per batch of the tick
DEFAULT_BATCH = 1000
#: ``workers=0`` plans in parallel (one process per core) once the open cases span this
#: many ids; below it, starting processes costs more than it saves
AUTO_PARALLEL_FROM = 20_000
#: a parallel tick splits the open cases' ids into this many ranges per process
RANGES_PER_WORKER = 16


def cpu_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers(span: int, cores: int | None = None) -> int:
    """Planning processes for ``workers=0``: one per core when ``span`` (open-case ids
    from the lowest to the highest) reaches :data:`AUTO_PARALLEL_FROM`, else one."""
    cores = cpu_cores() if cores is None else cores
    return max(1, cores) if span >= AUTO_PARALLEL_FROM else 1


def id_ranges(lo: int, hi: int, workers: int, batch_size: int) -> list[tuple[int, int]]:
    """The ``(after_id, until_id)`` ranges a parallel tick over ids ``lo``..``hi`` plans:
    :data:`RANGES_PER_WORKER` per process, each spanning at least ``batch_size`` ids
    (but the last), in ascending order. Many more ranges than processes, so a dense
    range, or a process slowed by others on a shared machine, leaves the others idle
    for at most a short range at the end."""
    step = max(batch_size, 1, -(-(hi - lo + 1) // (workers * RANGES_PER_WORKER)))
    return [(start - 1, min(hi, start + step - 1)) for start in range(lo, hi + 1, step)]


_GC_LOCK = threading.Lock()
_GC_DEPTH = 0  # ticks running in this process
_GC_SAVED: tuple[int, ...] = ()  # the thresholds to restore when the last one ends


@contextlib.contextmanager
def _batch_friendly_gc() -> Iterator[None]:
    """Collect garbage less eagerly while a tick runs.

    A batch allocates a few hundred thousand objects (cases, decisions, rows) that all
    live until the batch is written, so CPython's default thresholds run a collection
    every 700 allocations, and the full collections rescan the whole start-up heap
    (templates, campaigns, SQLAlchemy metadata) each time: a third of the cost of
    streaming cases. The heap present when the tick starts is frozen (left out of
    collections) and young collections run every 50,000 allocations; both are undone
    when the last running tick in the process ends. Reference cycles are still
    collected, just less often.
    """
    global _GC_DEPTH, _GC_SAVED
    with _GC_LOCK:
        if _GC_DEPTH == 0:
            _GC_SAVED = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_GC_SAVED[0], 50_000), *_GC_SAVED[1:])
        _GC_DEPTH += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH -= 1
            if _GC_DEPTH == 0:
                gc.set_threshold(*_GC_SAVED)
                gc.unfreeze()


class PlannedSends:
    """The sends chosen so far in a batch (or a dry run) for cases that have related
    cases: they count against the related cases' caps before they are written."""

    def __init__(self) -> None:
        self._by_case: dict[int, list[SentRecord]] = {}

    def related(self, bundle: CaseBundle) -> list[SentRecord]:
        """``bundle.related`` plus what was chosen here for its related cases."""
        if not bundle.related_cases or not self._by_case:
            return bundle.related
        out = list(bundle.related)
        for rc in bundle.related_cases:
            for r in self._by_case.get(rc.case_id, ()):
                if rc.other_customer and r.address not in rc.addresses:
                    continue
                out.append(dataclasses.replace(r, account=rc.account_id,
                                               other_customer=rc.other_customer))
        return out

    def add(self, bundle: CaseBundle, d: Decision, now: datetime) -> None:
        if bundle.related_cases and bundle.case.id is not None and d.channel is not None:
            self._by_case.setdefault(bundle.case.id, []).append(
                SentRecord(d.channel, now, address=d.address))


@dataclass
class CasePlan:
    """The decisions for one case at one instant (``decisions`` empty: nothing is due)."""

    case: Case
    campaign: Campaign | None
    decisions: list[Decision]
    now: datetime
    error: str | None = None
    inbound: list[datetime] = field(default_factory=list)  # when the customer wrote to us

    @property
    def chosen(self) -> Decision | None:
        return next((d for d in self.decisions if d.allowed), None)


@dataclass
class TickReport:
    started_at: datetime
    cases: int = 0
    enqueued: int = 0  # new outbox rows
    already_queued: int = 0  # allowed sends whose idempotency key was already there
    denied: int = 0
    escalated: int = 0
    render_failed: int = 0
    errors: int = 0  # cases the planner failed on (logged, skipped)
    decisions_recorded: int = 0
    seconds: float = 0.0
    workers: int = 1  # planning processes used
    by_step: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)

    def merge(self, other: TickReport) -> None:
        for name in ("cases", "enqueued", "already_queued", "denied", "escalated",
                     "render_failed", "errors", "decisions_recorded"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_step.update(other.by_step)

    def summary(self) -> str:
        return (f"planned {self.cases} cases in {self.seconds:.1f}s: {self.enqueued} queued, "
                f"{self.already_queued} already queued, {self.denied} denied, "
                f"{self.escalated} to legal review, {self.render_failed} render failures, "
                f"{self.errors} errors")


def decision_key(case_id: int, day: date, d: Decision) -> str:
    """Same case, local day, step, variant, channel, outcome and reason codes → same key."""
    parts = (str(case_id), day.isoformat(), d.campaign_id or "", d.step_id or "",
             d.variant or "", d.channel.value if d.channel else "", d.action.value,
             "1" if d.allowed else "0", ",".join(r.code.value for r in d.reasons), d.ref or "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


class PlanningService:
    """Plans open cases (``plans``: a dry run) and runs the planning tick (``tick``)."""

    def __init__(
        self,
        store: PlanStore,
        clock: Clock,
        brand: Brand,
        renderer: TemplateRenderer,
        campaigns: CampaignBook,
        *,
        batch_size: int = DEFAULT_BATCH,
        before_commit: Callable[[int], None] | None = None,
        worker_factory: Callable[[], PlanningService] | None = None,
        campaign_source: Callable[[], Mapping[str, Campaign]] | None = None,
        worker_modules: tuple[str, ...] = (),
    ) -> None:
        """``brand``: the organisation's values templates read. ``before_commit(batch
        number)`` runs inside each batch's transaction after its rows are written and
        before the commit (tests use it to simulate a crash). ``worker_factory``: a
        picklable callable that builds this service in a planning process (without it,
        ticks plan in this process). ``campaign_source``: where the campaigns come from
        afresh at every tick and dry run (the active versions in the database), so a
        change needs no restart; without it ``campaigns`` stay as given.
        ``worker_modules``: modules a planning process imports, loaded once for all of
        them (by the fork server, where there is one)."""
        self.store = store
        self.clock = clock
        self.brand = brand
        self.renderer = renderer
        self.campaigns = campaigns
        self.batch_size = batch_size
        self.before_commit = before_commit
        self.worker_factory = worker_factory
        self._pool: ProcessPoolExecutor | None = None
        self._fallbacks: dict[tuple[int, str, str | None, str], tuple[Campaign, list[str]]] = {}
        self._pool_size = 0
        self.campaign_source = campaign_source
        self.worker_modules = worker_modules

    def refresh_campaigns(self) -> None:
        """Re-read the campaigns from ``campaign_source`` (a no-op without one)."""
        if self.campaign_source is None:
            return
        fresh = self.campaign_source()
        if {k: id(v) for k, v in fresh.items()} != {k: id(v) for k, v in
                                                     self.campaigns.source.items()}:
            self.campaigns = CampaignBook(fresh, self.campaigns.jurisdiction)

    # ------------------------------------------------------------------ deciding
    def plan_bundle(self, bundle: CaseBundle, now: datetime,
                    planned: PlannedSends | None = None) -> CasePlan:
        """The decisions for one case; ``planned``: the sends chosen so far in this batch
        (they count against this case's caps when their cases are related to it)."""
        case = bundle.case
        campaign = self.campaigns.for_case(case)
        if campaign is None:
            return CasePlan(case, None, [], now, inbound=bundle.inbound)
        related = planned.related(bundle) if planned is not None else bundle.related
        try:
            decisions = plan_case(case, campaign, None, bundle.history, now,
                                  inbound=bundle.inbound, related=related)
        except Exception as exc:  # one bad case must not stop the tick
            log.exception("planning failed for case ****%s", case.account_id[-4:])
            return CasePlan(case, campaign, [], now, error=f"{type(exc).__name__}: {exc}",
                            inbound=bundle.inbound)
        return CasePlan(case, campaign, decisions, now, inbound=bundle.inbound)

    def plans(self, *, now: datetime | None = None, on_date: date | None = None,
              limit: int | None = None) -> Iterator[CasePlan]:
        """What planning would decide for each open case; writes nothing.

        ``on_date``: plan every case as of noon on that date in its own timezone
        (instead of ``now``), to ask "who would be contacted that day".
        """
        at = (now or self.clock.now()).astimezone(UTC)
        self.refresh_campaigns()
        planned = PlannedSends()
        for batch in self.store.stream_open_cases(batch_size=self.batch_size, limit=limit):
            for bundle in batch:
                when = at
                if on_date is not None:
                    when = datetime.combine(on_date, dtime(12), case_zone(bundle.case)
                                            ).astimezone(UTC)
                plan = self.plan_bundle(bundle, when, planned)
                chosen = plan.chosen
                if chosen is not None and chosen.action is Action.SEND:
                    planned.add(bundle, chosen, when)
                yield plan

    # ------------------------------------------------------------------ the tick
    def tick(self, now: datetime | None = None, *, legal_only: bool = False,
             limit: int | None = None, workers: int = 1,
             stop: threading.Event | None = None) -> TickReport:
        """Plan every open case at ``now`` and write the outcome (see the module docs).

        ``legal_only``: apply legal-review decisions only (the daily legal sweep); sends
        are neither queued nor recorded. ``workers`` > 1 plans id ranges in that many
        processes (each writes its own batches; keys keep it idempotent); 0 chooses
        (:func:`auto_workers`). ``stop``: when set, the tick ends after the batch in
        progress (the next tick carries on).
        """
        if workers < 0:
            raise ValueError("workers must be 0 (automatic) or more")
        now = (now or self.clock.now()).astimezone(UTC)
        start = time.perf_counter()
        self.refresh_campaigns()
        if not len(self.campaigns):
            log.info("tick: no active campaign, nothing to plan")
            return TickReport(started_at=now)
        self.store.prepare()
        used, lo, hi = 1, 0, 0
        if workers != 1 and limit is None and self.worker_factory is not None:
            span = self.store.open_case_span()
            if span is not None:
                lo, hi = span
                used = auto_workers(hi - lo + 1) if workers == 0 else workers
        try:
            if used > 1:
                report = self._parallel_tick(now, legal_only, used, stop, lo, hi)
            else:
                report = self.tick_range(now, legal_only=legal_only, limit=limit, stop=stop)
        finally:
            self.store.finish()
        report.workers = used
        report.seconds = time.perf_counter() - start
        log.info("tick: %s", report.summary())
        return report

    def tick_range(self, now: datetime, *, after_id: int = 0, until_id: int | None = None,
                   legal_only: bool = False, limit: int | None = None,
                   stop: threading.Event | None = None) -> TickReport:
        """The tick over open cases with ``after_id < id <= until_id`` (in this process)."""
        report = TickReport(started_at=now)
        self.refresh_campaigns()
        batches = self.store.stream_open_cases(batch_size=self.batch_size, after_id=after_id,
                                               until_id=until_id, limit=limit)
        with _batch_friendly_gc():
            for number, batch in enumerate(batches):
                self._tick_batch(number, batch, now, report, legal_only)
                if stop is not None and stop.is_set():
                    log.info("tick interrupted after %d cases", report.cases)
                    break
        return report

    def _parallel_tick(self, now: datetime, legal_only: bool, workers: int,
                       stop: threading.Event | None, lo: int, hi: int) -> TickReport:
        """Plan open cases with ids ``lo``..``hi`` in ``workers`` processes."""
        report = TickReport(started_at=now)
        bounds = id_ranges(lo, hi, workers, self.batch_size)
        pool = self._process_pool(workers)
        futures = [pool.submit(_tick_range_in_worker, now, a, b, legal_only)
                   for a, b in bounds]
        try:
            for future in futures:
                if stop is not None and stop.is_set():
                    for f in futures:
                        f.cancel()
                    break
                report.merge(future.result())
        finally:
            for f in futures:
                f.cancel()
        return report

    def _process_pool(self, workers: int) -> ProcessPoolExecutor:
        if self._pool is None or self._pool_size != workers:
            self.close()
            assert self.worker_factory is not None
            method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
            context = mp.get_context(method)
            if method == "forkserver" and self.worker_modules:
                # imported once by the fork server (when this starts it), not by every
                # planning process: a process then starts as a fork, in a fraction of
                # the time (no effect when the fork server already runs)
                context.set_forkserver_preload(list(self.worker_modules))  # type: ignore[attr-defined]
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=context,
                initializer=_init_worker, initargs=(self.worker_factory,))
            self._pool_size = workers
        return self._pool

    def close(self) -> None:
        """Stop the planning processes (if a parallel tick started them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _tick_batch(self, number: int, batch: list[CaseBundle], now: datetime,
                    report: TickReport, legal_only: bool) -> None:
        write = TickBatch()
        staged: dict[int, CaseBundle] = {}
        planned = PlannedSends()
        sends = 0
        for bundle in batch:
            report.cases += 1
            plan = self.plan_bundle(bundle, now, planned)
            if plan.error is not None:
                report.errors += 1
            case = plan.case
            assert case.id is not None
            day = local_date(case, now)
            for d in plan.decisions:
                if legal_only and d.action is not Action.LEGAL_REVIEW:
                    continue
                if d.allowed and d.action is Action.LEGAL_REVIEW:
                    escalation = self._escalation(bundle, d, day, now)
                    if escalation is not None:
                        write.escalations.append(escalation)
                        staged[case.id] = bundle
                    continue
                if d.allowed:
                    row = self._outbox_row(plan, d, now)
                    if isinstance(row, str):
                        if row.startswith(ReasonCode.TIME_BARRED.value):
                            report.denied += 1
                        else:
                            report.render_failed += 1
                        write.decisions.append(self._decision_row(
                            case.id, day, d, now, allowed=False, reasons=[row]))
                        continue
                    write.outbox.append(row)
                    planned.add(bundle, d, now)
                    sends += 1
                    report.by_step[(d.campaign_id or "", d.step_id or "", d.variant or "",
                                    d.channel.value if d.channel else "")] += 1
                    continue  # the outbox row is the record of an allowed send
                report.denied += 1
                write.decisions.append(self._decision_row(case.id, day, d, now))
        before = None if self.before_commit is None else partial(self.before_commit, number)
        # keys already there are skipped, so nothing is queued twice
        result = self.store.write(write, before)
        for case_id, bundle in staged.items():
            if case_id in result.escalated:
                bundle.version += 1
            else:
                log.info("case ****%s changed while planning; legal review left for the next "
                         "tick", bundle.case.account_id[-4:])
        report.enqueued += result.enqueued
        report.already_queued += sends - result.enqueued
        report.escalated += len(result.escalated)
        report.decisions_recorded += result.recorded

    def _escalation(self, bundle: CaseBundle, d: Decision, day: date, now: datetime
                    ) -> Escalation | None:
        """Move the case to legal review through the domain, to be saved with the version
        read with it: a case that changed since (a promise, a dispute...) is left alone
        and decided again next tick. The escalation's decision record is the history
        record that keeps a case returned from review from being escalated again in the
        same delinquency cycle."""
        case = bundle.case
        assert case.id is not None
        reason = f"campaign {d.campaign_id} step {d.step_id}"
        try:
            case.escalate_to_legal_review(now, f"campaign:{d.campaign_id}", reason)
        except TransitionError as exc:
            log.info("no legal review for case ****%s: %s", case.account_id[-4:], exc)
            return None
        events = list(case.events)
        case.events.clear()
        return Escalation(case.id, bundle.version, case.status.value, events,
                          work_item(WorkItemKind.LEGAL_REVIEW, now, case_id=case.id,
                                    detail=reason),
                          self._decision_row(case.id, day, d, now))

    def _decision_row(self, case_id: int, day: date, d: Decision, now: datetime, *,
                      allowed: bool | None = None, reasons: list[str] | None = None
                      ) -> DecisionRecord:
        key = decision_key(case_id, day, d)
        if reasons is not None:
            key = hashlib.sha256(f"{key}\x1f{','.join(reasons)}".encode()).hexdigest()[:40]
        return {
            "case_id": case_id, "local_date": day, "campaign_id": d.campaign_id or "-",
            "step_id": d.step_id, "variant": d.variant,
            "channel": d.channel.value if d.channel else None,
            "allowed": d.allowed if allowed is None else allowed,
            "reasons": reasons if reasons is not None else [str(r) for r in d.reasons],
            "at": now, "key": key,
        }

    def _fallback(self, campaign: Campaign, step_id: str, variant_id: str | None,
                  channel: str) -> list[str]:
        # campaigns are frozen models; the entry keeps its campaign, so an id is never
        # mistaken for a later object's
        key = (id(campaign), step_id, variant_id, channel)
        hit = self._fallbacks.get(key)
        if hit is None or hit[0] is not campaign:
            hit = self._fallbacks[key] = (campaign, _fallback_channels(
                campaign, step_id, variant_id, channel))
        return list(hit[1])

    def _outbox_row(self, plan: CasePlan, d: Decision, now: datetime
                    ) -> NewOutboxMessage | str:
        """The outbox row for an allowed send, or why it cannot be written."""
        case, campaign = plan.case, plan.campaign
        assert campaign is not None and d.channel is not None and d.template_id is not None
        cp = _contact_point(case, d)
        if cp is None:  # the planner only picks the case's own contact points
            return TEMPLATE_ERROR + ": contact point not found"
        profile = get_profile(campaign.profile)
        notice = profile.validation_notice_days is not None and d.ref == VALIDATION_REF \
            and campaign.step(d.step_id or "").trigger.event is EventKind.VALIDATION_NOTICE
        try:
            rendered = campaign_render(self.renderer, self.brand, case, cp, d.template_id,
                                       case.language, d.channel, profile, now,
                                       validation_notice=notice)
        except MentionsSuit as exc:
            return f"{ReasonCode.TIME_BARRED.value}: {exc}"
        except TemplateError as exc:
            log.error("cannot render %s (%s, %s) for case ****%s: %s", d.template_id,
                      case.language, d.channel, case.account_id[-4:], exc)
            return f"{TEMPLATE_ERROR}: {d.template_id} ({case.language}, {d.channel})"
        channel = d.channel.value
        return outbox_message(
            case_id=case.id, contact_point_id=cp.id, channel=channel,
            address=cp.address, body=rendered.body, subject=rendered.subject,
            idempotency_key=d.idempotency_key or "", now=now, purpose=d.purpose.value,
            template_id=d.template_id, lang=rendered.lang, step_id=d.step_id,
            variant=d.variant, campaign_id=d.campaign_id,
            fallback_channels=self._fallback(campaign, d.step_id or "", d.variant, channel),
            reply_token=secrets.token_urlsafe(18) if d.channel is ChannelKind.EMAIL else None,
            actor=f"campaign:{campaign.id}", ref=d.ref)


def _fallback_channels(campaign: Campaign, step_id: str, variant_id: str | None,
                       channel: str) -> list[str]:
    """The step's channels after ``channel``, in its preference order."""
    step = campaign.step(step_id)
    variant = next((v for v in step.variants if v.id == variant_id), None)
    channels = [c.value for c in step.channels_for(variant)]
    return channels[channels.index(channel) + 1:] if channel in channels else []


def _contact_point(case: Case, d: Decision) -> ContactPoint | None:
    for cp in case.contacts:
        if d.contact_id is not None and cp.id == d.contact_id:
            return cp
    return next((cp for cp in case.contacts
                 if cp.channel is d.channel and cp.address == d.address), None)


# ---------------------------------------------------------------------------- processes
_WORKER: PlanningService | None = None


def _init_worker(*factory: Callable[[], PlanningService]) -> None:
    """Set up one planning process (its own stores, templates and campaigns)."""
    global _WORKER
    _WORKER = factory[0]()


def _tick_range_in_worker(now: datetime, after_id: int, until_id: int,
                          legal_only: bool) -> TickReport:
    assert _WORKER is not None, "planning process not initialised"
    return _WORKER.tick_range(now, after_id=after_id, until_id=until_id,
                              legal_only=legal_only)
