"""Dispatch workers: claim due outbox rows, re-check the policy, send, record the outcome.

Per batch: one transaction prepares every claimed row (policy re-check at send time — a
hold may have started since planning; the rows, their cases and the cases' frequency
history are read set-based, a few queries per batch), the messages go out through their
channels (rate-limited per channel, no transaction open meanwhile), and one transaction
records every result (bulk updates; only outcomes that change a case load it). Transient
failures are retried with exponential backoff up to a cap; permanent ones fall back to the
next channel of the step; an opt-out is never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy import case as sql_case
from sqlalchemy import select as core_select
from sqlmodel import col, select

from bot.domain.case import Case
from bot.domain.contacts import ContactPoint, mask_address
from bot.domain.messages import (
    ChannelKind,
    DeliveryResult,
    DeliveryStatus,
    FailureReason,
    OutboundMessage,
)
from bot.policy.decision import Purpose, ReasonCode
from bot.policy.engine import check_contact, local_date
from bot.policy.history import SentRecord
from bot.policy.profiles import JurisdictionProfile
from bot.services.messages import quick_replies_for
from bot.services.ports import Channel
from storage.case_stream import load_cases_by_id
from storage.models import ContactDecisionRow, MessageRow
from storage.outbox import OutboxStatus, claim_due, enqueue_many, outbox_row
from storage.uow import SqlUnitOfWork

log = logging.getLogger("duebot.dispatch")

#: purposes outside the campaign policy's own vocabulary
CONFIRMATION = "confirmation"  # opt-out / wrong-party / unknown-sender answers: exactly once
COLLECTOR = "collector"  # a collector's own message while holding the conversation
#: the pseudo-collector holding a case after a complaint, until a person looks at it
LEGAL_QUEUE = "legal-review"
SENT_STATUSES = (OutboxStatus.SENT, OutboxStatus.DELIVERED)
CAPPED_PURPOSES = (Purpose.DUNNING.value, Purpose.PROMISE_REMINDER.value)
HISTORY_WINDOW = timedelta(days=8)
M = MessageRow.__table__  # type: ignore[attr-defined]
CD = ContactDecisionRow.__table__  # type: ignore[attr-defined]
#: what the dispatcher reads of a claimed row (prepare and record)
_ROW_COLUMNS = (
    M.c.id, M.c.case_id, M.c.contact_point_id, M.c.channel, M.c.address, M.c.purpose,
    M.c.template_id, M.c.actor, M.c.created_at, M.c.campaign_id, M.c.step_id, M.c.variant,
    M.c.idempotency_key, M.c.body, M.c.subject, M.c.reply_token, M.c.thread_ref,
    M.c.attempts, M.c.fallback_channels, M.c.lang,
)
#: failures that change the case (the contact point) when they are final
_CASE_CHANGING = (FailureReason.OPTED_OUT, FailureReason.INVALID_ADDRESS, FailureReason.BLOCKED)


class RateLimiter:
    """A token bucket per channel (``Channel.rate_per_sec``)."""

    def __init__(self, rate_per_sec: float, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_sec
        self.capacity = max(1.0, float(burst))
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            while True:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    fallbacks: int = 0

    def add(self, other: DispatchStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Job:
    row_id: int
    row: Any = None  # the claimed row as read by _prepare (columns of _ROW_COLUMNS)
    outbound: OutboundMessage | None = None
    result: DeliveryResult | None = None
    skip_reason: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def history_for(uow: SqlUnitOfWork, case_id: int, now: datetime,
                exclude_id: int | None = None) -> list[SentRecord]:
    """What counts against the frequency caps: campaign messages sent in the last 8 days."""
    rows = uow.session.exec(
        select(MessageRow.channel, MessageRow.sent_at, MessageRow.step_id, MessageRow.id)
        .where(MessageRow.case_id == case_id, MessageRow.direction == "out",
               col(MessageRow.status).in_(SENT_STATUSES),
               col(MessageRow.purpose).in_(CAPPED_PURPOSES),
               col(MessageRow.sent_at) >= now - HISTORY_WINDOW)
    ).all()
    return [SentRecord(ChannelKind(ch), at, step) for ch, at, step, rid in rows
            if at is not None and rid != exclude_id]


def histories_for(conn: Connection, case_ids: list[int], now: datetime,
                  ) -> dict[int, list[tuple[int, SentRecord]]]:
    """:func:`history_for` of many cases in one query: ``{case_id: [(message id, record)]}``
    (the message id lets the caller leave out the message being checked)."""
    out: dict[int, list[tuple[int, SentRecord]]] = defaultdict(list)
    for i in range(0, len(case_ids), 1000):
        rows = conn.execute(
            core_select(M.c.case_id, M.c.channel, M.c.sent_at, M.c.step_id, M.c.id)
            .where(M.c.case_id.in_(case_ids[i:i + 1000]), M.c.direction == "out",
                   M.c.status.in_(SENT_STATUSES), M.c.purpose.in_(CAPPED_PURPOSES),
                   M.c.sent_at >= now - HISTORY_WINDOW))
        for case_id, ch, at, step, rid in rows:
            if at is not None:
                out[case_id].append((rid, SentRecord(ChannelKind(ch), at, step)))
    return out


class Dispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        channels: dict[ChannelKind, Channel],
        profile: JurisdictionProfile,
        *,
        rerender: Callable[[SqlUnitOfWork, Case, MessageRow, ChannelKind], MessageRow | None]
        | None = None,
        max_attempts: int = 6,
        base_backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(hours=2),
        concurrency: int = 8,
        unsubscribe_token: Callable[[str], str] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.channels = channels
        self.profile = profile
        self.rerender = rerender
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.concurrency = concurrency
        self.unsubscribe_token = unsubscribe_token
        self.limiters = {k: RateLimiter(c.rate_per_sec, burst=max(1, int(c.rate_per_sec)))
                         for k, c in channels.items()}

    # ------------------------------------------------------------------ loop
    async def run_once(self, limit: int = 200) -> DispatchStats:
        uow = self.uow_factory()
        ids = claim_due(uow.engine, uow.clock.now(), limit)
        stats = DispatchStats(claimed=len(ids))
        if not ids:
            return stats
        jobs = self._prepare(ids, stats)
        await self._send_all([j for j in jobs if j.outbound is not None])
        self._record(jobs, stats)
        return stats

    async def drain(self, limit: int = 200, max_batches: int = 1_000_000) -> DispatchStats:
        """Send everything due now (tests, ``simulate``, one-shot runs)."""
        total = DispatchStats()
        for _ in range(max_batches):
            stats = await self.run_once(limit)
            total.add(stats)
            if stats.claimed == 0:
                break
        return total

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 1.0,
                          limit: int = 200) -> None:
        while not stop.is_set():
            try:
                stats = await self.run_once(limit)
            except Exception:  # keep the worker alive; the lease returns the rows
                log.exception("dispatch batch failed")
                stats = DispatchStats()
            if stats.claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_seconds)

    # ------------------------------------------------------------------ phase 1
    def _prepare(self, ids: list[int], stats: DispatchStats) -> list[_Job]:
        """Read the claimed rows, their cases (contacts, promises, payments) and the cases'
        frequency history set-based, and re-check the policy for each row."""
        jobs: list[_Job] = []
        decisions: list[dict[str, Any]] = []
        with self.uow_factory() as uow:
            now = uow.clock.now()
            conn = uow.session.connection()
            rows: dict[int, Any] = {}
            for i in range(0, len(ids), 1000):
                rows.update((r.id, r) for r in conn.execute(
                    core_select(*_ROW_COLUMNS).where(M.c.id.in_(ids[i:i + 1000]))))
            case_ids = sorted({r.case_id for r in rows.values() if r.case_id is not None})
            cases = load_cases_by_id(conn, case_ids, with_messages=False)
            checked = sorted({r.case_id for r in rows.values() if r.case_id in cases
                              and (r.purpose or Purpose.DUNNING.value) != CONFIRMATION})
            histories = histories_for(conn, checked, now)
            for row_id in ids:
                row = rows.get(row_id)
                if row is None:  # deleted since the claim: nothing to send or record
                    continue
                job = _Job(row_id, row)
                jobs.append(job)
                bundle = cases.get(row.case_id) if row.case_id is not None else None
                case = bundle.case if bundle is not None else None
                cp = _contact(case, row) if case is not None else None
                if case is not None and cp is None:
                    job.skip_reason = "no_contact_point"
                    continue
                if case is not None and cp is not None:
                    history = [rec for rid, rec in histories.get(row.case_id, ())
                               if rid != row.id]
                    verdict = self._check(case, cp, row, history, now)
                    if verdict is not None:
                        codes, not_before = verdict
                        if not_before is not None:
                            job.skip_reason = "deferred"
                            job.extra["not_before"] = not_before
                        else:
                            job.skip_reason = "suppressed"
                        job.extra["codes"] = codes
                        decisions.append({
                            "case_id": case.id or 0, "local_date": local_date(case, now),
                            "campaign_id": row.campaign_id or "-", "step_id": row.step_id,
                            "variant": row.variant, "channel": row.channel,
                            "allowed": False, "reasons": list(codes), "at": now,
                            "key": None})
                        continue
                kind = ChannelKind(row.channel)
                unsubscribe = (self.unsubscribe_token(row.address)
                               if self.unsubscribe_token and kind is ChannelKind.EMAIL else None)
                buttons = (quick_replies_for(row.lang or "en")
                           if kind is ChannelKind.TELEGRAM and row.purpose != CONFIRMATION
                           else ())
                job.outbound = OutboundMessage(
                    idempotency_key=row.idempotency_key or f"msg-{row.id}", channel=kind,
                    to=row.address, body=row.body, subject=row.subject,
                    reply_token=row.reply_token, thread_ref=row.thread_ref,
                    unsubscribe_token=unsubscribe, quick_replies=buttons)
            if decisions:
                conn.execute(insert(CD), decisions)
            uow.commit()
        return jobs

    def _check(self, case: Case, cp: ContactPoint, row: Any, history: list[SentRecord],
               now: datetime) -> tuple[list[str], datetime | None] | None:
        """None when the message may go now; else the reason codes and a retry time.

        ``history`` is the case's frequency history without ``row`` itself."""
        purpose = row.purpose or Purpose.DUNNING.value
        if purpose == CONFIRMATION:
            # answering the customer's own request (opt-out, wrong number): only a third
            # party, an address that cannot receive, or a collector holding the
            # conversation (the bot is silent then, even for a reply queued before the
            # take-over) refuse it. The legal-review queue's own hold, placed by the very
            # message this acknowledges, does not silence its acknowledgement.
            if case.held_by is not None and not (
                    case.held_by == LEGAL_QUEUE and row.template_id == "legal_ack"):
                return [ReasonCode.HOLD_HUMAN.value], None
            if cp.role != "customer":
                return [ReasonCode.THIRD_PARTY.value], None
            if cp.invalid_at is not None:
                return [ReasonCode.INVALID_ADDRESS.value], None
            return None
        policy_purpose = Purpose.REPLY if purpose in (COLLECTOR, Purpose.REPLY.value) \
            else Purpose(purpose)
        assert case.id is not None
        decision = check_contact(case, cp, self.profile, history, now, policy_purpose,
                                 inbound_at=row.created_at)
        codes = [r.code.value for r in decision.reasons]
        if purpose == COLLECTOR and case.held_by == (row.actor or "").removeprefix("collector:"):
            codes = [c for c in codes if c != ReasonCode.HOLD_HUMAN.value]
        if not codes:
            return None
        return codes, decision.not_before

    # ------------------------------------------------------------------ phase 2
    async def _send_all(self, jobs: list[_Job]) -> None:
        by_channel: dict[ChannelKind, list[_Job]] = defaultdict(list)
        for job in jobs:
            assert job.outbound is not None
            by_channel[job.outbound.channel].append(job)
        sem = asyncio.Semaphore(self.concurrency)

        async def one(job: _Job) -> None:
            assert job.outbound is not None
            channel = self.channels.get(job.outbound.channel)
            if channel is None:
                job.result = DeliveryResult.permanent(FailureReason.CONFIGURATION,
                                                      detail="no channel configured")
                return
            async with sem:
                await self.limiters[job.outbound.channel].acquire()
                try:
                    job.result = await channel.send(job.outbound)
                except Exception as exc:  # an adapter bug must not lose the batch
                    log.exception("channel %s raised on send", channel.name)
                    job.result = DeliveryResult.transient(FailureReason.UNAVAILABLE,
                                                          detail=type(exc).__name__)

        await asyncio.gather(*(one(j) for js in by_channel.values() for j in js))

    # ------------------------------------------------------------------ phase 3
    def _backoff(self, attempts: int) -> timedelta:
        return min(self.max_backoff, self.base_backoff * (2 ** max(0, attempts - 1)))

    def _record(self, jobs: list[_Job], stats: DispatchStats) -> None:
        """Write every outcome: bulk ``UPDATE ... WHERE id = :id`` per kind of outcome; only
        final failures that change the case (opt-out, invalid address, fallback) load the
        case through the repository, so its domain events are recorded."""
        # (columns set, decrement attempts?) -> parameter sets
        groups: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = defaultdict(list)
        slow: list[_Job] = []

        def put(job: _Job, *, decrement: bool = False, **values: Any) -> None:
            groups[(tuple(sorted(values)), decrement)].append(
                {"b_id": job.row_id, **{f"b_{k}": v for k, v in values.items()}})

        with self.uow_factory() as uow:
            now = uow.clock.now()
            for job in jobs:
                row = job.row
                if job.skip_reason == "deferred":
                    put(job, decrement=True, status=OutboxStatus.QUEUED,
                        next_attempt_at=job.extra["not_before"], error_reason="deferred",
                        error_code=",".join(job.extra["codes"])[:32])  # type: ignore[arg-type]
                    stats.deferred += 1
                    continue
                if job.skip_reason is not None:
                    codes = job.extra.get("codes") or [job.skip_reason]
                    put(job, status=OutboxStatus.SUPPRESSED, error_reason="policy",
                        error_code=",".join(codes)[:32])  # type: ignore[arg-type]
                    stats.suppressed += 1
                    continue
                result = job.result
                assert result is not None
                error: dict[str, Any] = {"error_code": result.code,
                         "error_reason": result.reason.value if result.reason else None}
                if result.status is DeliveryStatus.ACCEPTED:
                    put(job, status=OutboxStatus.SENT, provider_id=result.provider_id,
                        sent_at=now, next_attempt_at=None, **error)
                    stats.sent += 1
                elif (result.status is DeliveryStatus.TRANSIENT
                      and row.attempts < self.max_attempts):
                    put(job, status=OutboxStatus.QUEUED,
                        next_attempt_at=now + self._backoff(row.attempts), **error)
                    stats.retried += 1
                    log.info("transient failure on %s to %s, retry %d", row.channel,
                             mask_address(row.address), row.attempts)
                elif row.case_id is not None and (
                        result.reason in _CASE_CHANGING
                        or (self.rerender is not None and row.fallback_channels)):
                    slow.append(job)
                else:
                    put(job, status=OutboxStatus.FAILED, next_attempt_at=None, **error)
                    stats.failed += 1
            conn = uow.session.connection()
            for (names, decrement), params in groups.items():
                values: dict[str, Any] = {n: bindparam(f"b_{n}") for n in names}
                if decrement:
                    values["attempts"] = sql_case((M.c.attempts > 0, M.c.attempts - 1), else_=0)
                conn.execute(update(M).where(M.c.id == bindparam("b_id")).values(values),
                             params)
            for job in slow:
                message = uow.session.get(MessageRow, job.row_id)
                assert message is not None and job.result is not None
                self._apply_result(uow, message, job.result, now, stats)
                uow.session.add(message)
            uow.commit()

    def _apply_result(self, uow: SqlUnitOfWork, row: MessageRow, result: DeliveryResult,
                      now: datetime, stats: DispatchStats) -> None:
        row.error_code = result.code
        row.error_reason = result.reason.value if result.reason else None
        if result.status is DeliveryStatus.ACCEPTED:
            row.status, row.provider_id, row.sent_at = OutboxStatus.SENT, result.provider_id, now
            row.next_attempt_at = None
            stats.sent += 1
            return
        if result.status is DeliveryStatus.TRANSIENT and row.attempts < self.max_attempts:
            row.status = OutboxStatus.QUEUED
            row.next_attempt_at = now + self._backoff(row.attempts)
            stats.retried += 1
            log.info("transient failure on %s to %s, retry %d", row.channel,
                     mask_address(row.address), row.attempts)
            return
        row.status, row.next_attempt_at = OutboxStatus.FAILED, None
        stats.failed += 1
        case = uow.cases.get_by_id(row.case_id) if row.case_id is not None else None
        if case is None:
            return
        kind = ChannelKind(row.channel)
        if case.contact(kind, row.address) is not None:
            if result.reason is FailureReason.OPTED_OUT:
                case.opt_out(kind, row.address, now, source=f"provider-{result.code or 'optout'}",
                             actor="system")
            elif result.reason in (FailureReason.INVALID_ADDRESS, FailureReason.BLOCKED):
                case.invalidate_contact(kind, row.address, now,
                                        reason=f"{result.reason.value}:{result.code or ''}")
        # After an opt-out the customer has just told us to stop: no other sender and no
        # other channel for this message (the next step may use another channel, if allowed).
        if result.reason is not FailureReason.OPTED_OUT:
            self._fall_back(uow, case, row, now, stats)

    def _fall_back(self, uow: SqlUnitOfWork, case: Case, row: MessageRow, now: datetime,
                   stats: DispatchStats) -> None:
        if self.rerender is None or not row.fallback_channels:
            return
        remaining = list(row.fallback_channels)
        while remaining:
            kind = ChannelKind(remaining.pop(0))
            new = self.rerender(uow, case, row, kind)
            if new is None:
                continue
            added = enqueue_many(uow.session.connection(), [outbox_row(
                case_id=row.case_id, contact_point_id=new.contact_point_id, channel=kind.value,
                address=new.address, body=new.body, subject=new.subject,
                idempotency_key=f"{row.idempotency_key}>{kind.value}", now=now,
                purpose=row.purpose or Purpose.DUNNING.value, template_id=row.template_id,
                lang=row.lang, step_id=row.step_id, variant=row.variant,
                campaign_id=row.campaign_id, fallback_channels=remaining,
                reply_token=new.reply_token, actor=row.actor or "bot", ref=row.ref)])
            stats.fallbacks += added
            return


def _contact(case: Case, row: Any) -> ContactPoint | None:
    for cp in case.contacts:
        if (row.contact_point_id is not None and cp.id == row.contact_point_id) or (
            cp.channel.value == row.channel and cp.address == row.address
        ):
            return cp
    return None
