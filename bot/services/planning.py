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

Which campaign plans a case: with one enabled campaign, that one. With several, the one
whose jurisdiction profile's country is the case's country; else the one whose profile is
the configured jurisdiction; else the first by id.
"""

from __future__ import annotations

import contextlib
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
from typing import Any

from sqlalchemy import Connection, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.campaigns.model import Campaign
from bot.campaigns.planner import plan_case
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_renderer import TemplateRenderer
from bot.domain.case import Case, TransitionError
from bot.domain.clock import Clock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.policy.decision import Action, Decision
from bot.policy.engine import case_zone, local_date
from bot.policy.profiles import get_profile
from bot.services.messages import disclosure_for
from bot.settings import Settings
from storage.case_stream import CLOSED_STATUSES, DEFAULT_BATCH, CaseBundle, stream_open_cases
from storage.models import CaseEventRow, CaseRow, ContactDecisionRow, MessageRow, WorkItemRow
from storage.outbox import outbox_row

log = logging.getLogger("duebot.planning")
CA = CaseRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
EV = CaseEventRow.__table__  # type: ignore[attr-defined]
MS = MessageRow.__table__  # type: ignore[attr-defined]
WI = WorkItemRow.__table__  # type: ignore[attr-defined]
#: the reason recorded when an allowed step's template cannot be rendered
TEMPLATE_ERROR = "template_error"
#: cases per guarded status update (two bound values each)
_MOVE_CHUNK = 400
#: ``workers=0`` plans in parallel (one process per core) once the open cases span this
#: many ids; below it, starting processes costs more than it saves
AUTO_PARALLEL_FROM = 20_000


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


def _move_cases(conn: Connection, moves: list[tuple[int | None, int, str]], at: datetime
                ) -> set[int]:
    """Save status changes guarded by the version read with each case: one UPDATE ...
    WHERE (id, version) IN (...) RETURNING id per status and chunk. Returns the ids
    really moved; a case whose version changed since it was read is left alone."""
    by_status: dict[str, list[tuple[int, int]]] = {}
    for case_id, version, status in moves:
        assert case_id is not None
        by_status.setdefault(status, []).append((case_id, version))
    moved: set[int] = set()
    for status, pairs in by_status.items():
        for i in range(0, len(pairs), _MOVE_CHUNK):
            chunk = pairs[i:i + _MOVE_CHUNK]
            # ``id IN`` lets SQLite use the primary key; a row-value IN alone scans the table
            stmt = (update(CA).where(CA.c.id.in_([c for c, _ in chunk]),
                                     tuple_(CA.c.id, CA.c.version).in_(chunk))
                    .values(status=status, version=CA.c.version + 1, updated_at=at)
                    .returning(CA.c.id))
            moved.update(conn.execute(stmt).scalars())
    return moved


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


class CampaignBook:
    """The enabled campaigns, and which one plans a given case (see the module docs)."""

    def __init__(self, campaigns: Mapping[str, Campaign], jurisdiction: str | None = None
                 ) -> None:
        self.source = dict(campaigns)
        self.campaigns = [campaigns[k] for k in sorted(campaigns) if campaigns[k].enabled]
        self.jurisdiction = jurisdiction
        self._by_country: dict[str, Campaign] = {}
        for c in self.campaigns:
            self._by_country.setdefault(get_profile(c.profile).holiday_country.upper(), c)
        self._default = next((c for c in self.campaigns if c.profile == jurisdiction),
                             self.campaigns[0] if self.campaigns else None)

    def __len__(self) -> int:
        return len(self.campaigns)

    def for_case(self, case: Case) -> Campaign | None:
        if len(self.campaigns) <= 1:
            return self._default
        if case.country and case.country.upper() in self._by_country:
            return self._by_country[case.country.upper()]
        return self._default


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


def _unseen(conn: Connection, column: Any, rows: list[dict[str, Any]], key: str
            ) -> list[dict[str, Any]]:
    """The rows whose ``key`` value is not in ``column`` yet (one indexed IN query),
    each key once."""
    if not rows:
        return []
    existing = set(conn.execute(select(column).where(column.in_([r[key] for r in rows])))
                   .scalars())
    fresh: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r[key] not in existing:
            fresh.setdefault(r[key], r)
    return list(fresh.values())


def _insert_new(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str) -> int:
    """Insert the rows whose unique ``key`` is not in ``table`` yet; returns how many.

    SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` as one executemany, whose rowcount is
    the number of rows really inserted. psycopg reports -1 for an executemany, so on
    PostgreSQL the new keys are read first (one indexed IN query) and only those
    inserted; a key a racing writer adds in between is still skipped by the conflict
    clause (the count is then one too high, the rows are right). No RETURNING: it would
    turn the executemany into multi-row statements built per batch.
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        rows = _unseen(conn, table.c[key], rows, key)
        if rows:
            conn.execute(postgresql.insert(table).on_conflict_do_nothing(
                index_elements=[key]), rows)
        return len(rows)
    return int(conn.execute(sqlite.insert(table).on_conflict_do_nothing(
        index_elements=[key]), rows).rowcount)


class PlanningService:
    """Plans open cases (``plans``: a dry run) and runs the planning tick (``tick``)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings,
        renderer: TemplateRenderer,
        campaigns: CampaignBook,
        *,
        batch_size: int = DEFAULT_BATCH,
        before_commit: Callable[[int], None] | None = None,
    ) -> None:
        """``before_commit(batch_number)`` runs inside each batch's transaction after its
        rows are written and before the commit (tests use it to simulate a crash)."""
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.brand = settings.brand  # built once: render_case is called for every send
        self.renderer = renderer
        self.campaigns = campaigns
        self.batch_size = batch_size
        self.before_commit = before_commit
        self._pool: ProcessPoolExecutor | None = None
        self._fallbacks: dict[tuple[int, str, str | None, str], tuple[Campaign, list[str]]] = {}
        self._pool_size = 0

    # ------------------------------------------------------------------ deciding
    def plan_bundle(self, bundle: CaseBundle, now: datetime) -> CasePlan:
        case = bundle.case
        campaign = self.campaigns.for_case(case)
        if campaign is None:
            return CasePlan(case, None, [], now, inbound=bundle.inbound)
        try:
            decisions = plan_case(case, campaign, None, bundle.history, now,
                                  inbound=bundle.inbound)
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
        for batch in stream_open_cases(self.engine, batch_size=self.batch_size, limit=limit):
            for bundle in batch:
                when = at
                if on_date is not None:
                    when = datetime.combine(on_date, dtime(12), case_zone(bundle.case)
                                            ).astimezone(UTC)
                yield self.plan_bundle(bundle, when)

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
        used = 1
        if workers != 1 and limit is None:
            with self.engine.connect() as conn:
                lo, hi = conn.execute(select(func.min(CA.c.id), func.max(CA.c.id)).where(
                    CA.c.status.not_in(CLOSED_STATUSES))).one()
            if lo is not None:
                used = auto_workers(hi - lo + 1) if workers == 0 else workers
        if used > 1:
            report = self._parallel_tick(now, legal_only, used, stop, lo, hi)
        else:
            report = self.tick_range(now, legal_only=legal_only, limit=limit, stop=stop)
        report.workers = used
        report.seconds = time.perf_counter() - start
        log.info("tick: %s", report.summary())
        return report

    def tick_range(self, now: datetime, *, after_id: int = 0, until_id: int | None = None,
                   legal_only: bool = False, limit: int | None = None,
                   stop: threading.Event | None = None) -> TickReport:
        """The tick over open cases with ``after_id < id <= until_id`` (in this process)."""
        report = TickReport(started_at=now)
        batches = stream_open_cases(self.engine, batch_size=self.batch_size, after_id=after_id,
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
        # more ranges than processes, so a dense range does not leave the others idle
        parts = workers * 4
        step = max(1, -(-(hi - lo + 1) // parts))
        bounds = [(start - 1, min(hi, start + step - 1)) for start in range(lo, hi + 1, step)]
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
            method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
            url = self.engine.url.render_as_string(hide_password=False)
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=mp.get_context(method),
                initializer=_init_worker,
                initargs=(url, self.settings, self.campaigns.source, self.batch_size))
            self._pool_size = workers
        return self._pool

    def close(self) -> None:
        """Stop the planning processes (if a parallel tick started them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _tick_batch(self, number: int, batch: list[CaseBundle], now: datetime,
                    report: TickReport, legal_only: bool) -> None:
        outbox: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        escalations: list[tuple[CaseBundle, Decision, date]] = []
        sends = 0
        for bundle in batch:
            report.cases += 1
            plan = self.plan_bundle(bundle, now)
            if plan.error is not None:
                report.errors += 1
            case = plan.case
            assert case.id is not None
            day = local_date(case, now)
            for d in plan.decisions:
                if legal_only and d.action is not Action.LEGAL_REVIEW:
                    continue
                if d.allowed and d.action is Action.LEGAL_REVIEW:
                    escalations.append((bundle, d, day))
                    continue
                if d.allowed:
                    row = self._outbox_row(plan, d, now)
                    if isinstance(row, str):
                        report.render_failed += 1
                        decisions.append(self._decision_row(case.id, day, d, now,
                                                            allowed=False, reasons=[row]))
                        continue
                    outbox.append(row)
                    sends += 1
                    report.by_step[(d.campaign_id or "", d.step_id or "", d.variant or "",
                                    d.channel.value if d.channel else "")] += 1
                    continue  # the outbox row is the record of an allowed send
                report.denied += 1
                decisions.append(self._decision_row(case.id, day, d, now))
        # The transaction writes first (on SQLite a transaction that reads first cannot
        # take the write lock once another process has written: it fails instead of
        # waiting); keys already there are skipped, so nothing is queued twice.
        with self.engine.begin() as conn:
            enqueued = _insert_new(conn, MS, outbox, "idempotency_key")
            escalated = self._escalate(conn, escalations, now, decisions)
            recorded = _insert_new(conn, CD, decisions, "key")
            if self.before_commit is not None:
                self.before_commit(number)
        report.enqueued += enqueued
        report.already_queued += sends - enqueued
        report.escalated += escalated
        report.decisions_recorded += recorded

    def _escalate(self, conn: Connection, escalations: list[tuple[CaseBundle, Decision, date]],
                  now: datetime, decisions: list[dict[str, Any]]) -> int:
        """Move cases to legal review through the domain; returns how many moved.

        The status change is saved with the version read with the case: a case that
        changed since (a promise, a dispute...) is left alone and decided again next tick.
        The escalation's decision row is the history record that keeps a case returned
        from review from being escalated again in the same delinquency cycle.
        """
        events: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        staged: list[tuple[CaseBundle, Decision, date, str]] = []
        for bundle, d, day in escalations:
            case = bundle.case
            assert case.id is not None
            actor = f"campaign:{d.campaign_id}"
            reason = f"campaign {d.campaign_id} step {d.step_id}"
            try:
                case.escalate_to_legal_review(now, actor, reason)
            except TransitionError as exc:
                log.info("no legal review for case ****%s: %s", case.account_id[-4:], exc)
                continue
            staged.append((bundle, d, day, reason))
        moved_ids = _move_cases(conn, [(b.case.id, b.version, b.case.status.value)
                                       for b, _, _, _ in staged], now)
        moved = 0
        for bundle, d, day, reason in staged:
            case = bundle.case
            assert case.id is not None
            if case.id not in moved_ids:
                log.info("case ****%s changed while planning; legal review left for the next "
                         "tick", case.account_id[-4:])
                case.events.clear()
                continue
            bundle.version += 1
            events += [{"case_id": case.id, "type": e.type, "payload": e.payload(),
                        "actor": e.actor, "at": e.at} for e in case.events]
            case.events.clear()
            items.append({"case_id": case.id, "message_id": None, "kind": "legal_review",
                          "detail": reason, "priority": 30, "due_at": None,
                          "created_at": now, "done_at": None, "done_by": None})
            decisions.append(self._decision_row(case.id, day, d, now))
            moved += 1
        if events:
            conn.execute(EV.insert(), events)
            conn.execute(WI.insert(), items)
        return moved

    def _decision_row(self, case_id: int, day: date, d: Decision, now: datetime, *,
                      allowed: bool | None = None, reasons: list[str] | None = None
                      ) -> dict[str, Any]:
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
                    ) -> dict[str, Any] | str:
        """The outbox row for an allowed send, or why it cannot be written."""
        case, campaign = plan.case, plan.campaign
        assert campaign is not None and d.channel is not None and d.template_id is not None
        cp = _contact_point(case, d)
        if cp is None:  # the planner only picks the case's own contact points
            return TEMPLATE_ERROR + ": contact point not found"
        try:
            rendered = self.renderer.render_case(d.template_id, case.language, d.channel,
                                                 case, self.brand,
                                                 disclosure=disclosure_for(cp))
        except TemplateError as exc:
            log.error("cannot render %s (%s, %s) for case ****%s: %s", d.template_id,
                      case.language, d.channel, case.account_id[-4:], exc)
            return f"{TEMPLATE_ERROR}: {d.template_id} ({case.language}, {d.channel})"
        channel = d.channel.value
        return outbox_row(
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


def _init_worker(url: str, settings: Settings, campaigns: dict[str, Campaign],
                 batch_size: int) -> None:
    """Set up one planning process: its own engine, templates and campaigns."""
    global _WORKER
    from bot.domain.clock import SystemClock
    from storage.db import make_engine
    from storage.template_files import load_templates

    renderer = TemplateRenderer(load_templates(settings.template_dir),
                                get_profile(settings.jurisdiction))
    _WORKER = PlanningService(make_engine(url), SystemClock(), settings, renderer,
                              CampaignBook(campaigns, settings.jurisdiction),
                              batch_size=batch_size)


def _tick_range_in_worker(now: datetime, after_id: int, until_id: int,
                          legal_only: bool) -> TickReport:
    assert _WORKER is not None, "planning process not initialised"
    return _WORKER.tick_range(now, after_id=after_id, until_id=until_id,
                              legal_only=legal_only)
