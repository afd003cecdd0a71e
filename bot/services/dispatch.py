"""Dispatch workers: claim due outbox rows, re-check the policy, send, record the outcome.

Per batch: one transaction claims the rows under a lease; the rows, their cases and the
cases' frequency history are read set-based (a few queries per batch) and the policy is
checked again (a hold may have started since planning); what the policy stops is
recorded in one transaction. Then the messages go out through their channels
(``concurrency`` senders, rate-limited per channel, no transaction open meanwhile),
and **each outcome is committed before its sender sends again**, in short transactions
that take the outcomes of several senders at once (see :class:`_Outcomes`): a crash
repeats at most the messages whose send had returned but whose outcome was not yet
written, that is at most ``concurrency`` messages. While the batch is out its lease is
renewed every third of the lease, so a slow, rate-limited batch is never claimed by
another worker; a worker that stops (SIGTERM) finishes the sends in flight and gives the
others back at once. A worker that sends batch after batch (``drain``,
``run_forever``) claims and prepares the next one while the last quarter of the current
one goes out.

Transient failures are retried with exponential backoff up to a cap; permanent ones fall
back to the next channel of the step; a refusal (an opt-out such as Twilio 21610, a
block) is never retried nor sent elsewhere (the next tick decides, under the campaign's
rules).

The re-check runs under the profile of the message's campaign (``profile_for``; the
deployment's when no campaign is known), and counts caps per person and per address:
the messages of the customer's other accounts and of other customers at the same
address, sent or claimed by another worker with a lower id, and those this batch has
already let through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.domain.case import LEGAL_QUEUE, Case
from bot.domain.clock import Clock
from bot.domain.contacts import ContactPoint, mask_address
from bot.domain.messages import (
    REFUSALS,
    ChannelKind,
    DeliveryResult,
    DeliveryStatus,
    FailureReason,
    OutboundMessage,
)
from bot.domain.outbox import MessagePurpose, NewOutboxMessage, OutboxStatus
from bot.policy.decision import Purpose, ReasonCode
from bot.policy.engine import check_contact, local_date
from bot.policy.history import SentRecord
from bot.policy.profiles import JurisdictionProfile
from bot.services.outbound import quick_replies_for
from bot.services.ports import (
    Channel,
    DecisionRecord,
    DeliveryStore,
    DeliveryUpdate,
    RateBuckets,
    StoredMessage,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger("duebot.dispatch")
_T = TypeVar("_T")

CONFIRMATION = MessagePurpose.CONFIRMATION.value
COLLECTOR = MessagePurpose.COLLECTOR.value
HISTORY_WINDOW = timedelta(days=8)
#: how long a claimed message is reserved for the worker that claimed it, by default
#: (``DUEBOT_WORKER_LEASE_SECONDS``); renewed while the worker is alive
LEASE = timedelta(seconds=60)
#: how often the outcome of a send is retried when the database refuses it
RECORD_TRIES = 3
#: the longest an outcome waits for others to be committed with it (seconds)
OUTCOME_LINGER = 0.05
#: a queued campaign message waits this long for its paused campaign to resume
PAUSED_KEEP = timedelta(hours=24)
#: how often a message held by a paused campaign is looked at again
PAUSED_RECHECK = timedelta(minutes=1)
CAMPAIGN_PAUSED = "campaign_paused"
CAMPAIGN_NOT_ACTIVE = "campaign_not_active"
#: purposes that count against the caps
_CAPPED = frozenset({Purpose.DUNNING.value, Purpose.PROMISE_REMINDER.value})
#: failures that change the case (the contact point) when they are final
_CASE_CHANGING = (FailureReason.OPTED_OUT, FailureReason.INVALID_ADDRESS, FailureReason.BLOCKED)


class Limiter(Protocol):
    """Paces the sends through one channel: :meth:`acquire` returns when the next may go.

    The dispatcher's default is a :class:`RateLimiter` per channel and process; a limiter
    shared by several workers (a rate per sender across a deployment) fits the same
    place."""

    async def acquire(self) -> None: ...


class RateLimiter:
    """A token bucket per channel (``Channel.rate_per_sec``), in this process."""

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


class SharedRateLimiter:
    """A token bucket in the database (:class:`~bot.services.ports.RateBuckets`), shared
    by every process that paces the same ``key`` (a provider's sender): the rate holds
    for the deployment whatever the number of workers. Each acquire takes the next slot
    (one short transaction, in a thread) and sleeps until it comes; times are wall-clock
    (``clock``), so the workers' hosts must keep their clocks in step (NTP)."""

    def __init__(self, buckets: RateBuckets, key: str, rate_per_sec: float, burst: int = 1,
                 clock: Callable[[], float] = time.time) -> None:
        if not 0 < rate_per_sec < float("inf"):
            raise ValueError("the rate must be a positive number per second")
        self.buckets = buckets
        self.key = key
        self.rate = rate_per_sec
        self.burst = burst
        self.clock = clock

    async def acquire(self) -> None:
        wait = await asyncio.to_thread(self.buckets.take, self.key, 1.0 / self.rate,
                                       self.burst, self.clock())
        if wait > 0:
            await asyncio.sleep(wait)


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    fallbacks: int = 0
    released: int = 0  # claimed, not sent, given back (the worker was stopping)

    def add(self, other: DispatchStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Job:
    row: StoredMessage
    outbound: OutboundMessage | None = None
    result: DeliveryResult | None = None
    skip_reason: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    lost: bool = False  # another worker holds the message now (its lease ran out)
    started: bool = False  # handed to its channel: its outcome is recorded, never undone


@dataclass
class _Batch:
    """Claimed messages on their way: the stats so far, the jobs to send, the claims
    held (message id -> the claim's attempts) and the task renewing their lease."""

    stats: DispatchStats
    jobs: list[_Job]
    held: dict[int, int]
    renewer: asyncio.Task[None] | None = None

    def in_flight(self) -> dict[int, list[StoredMessage]]:
        """This batch's capped messages, per case (a batch prepared while this one goes
        out counts them as sent)."""
        out: dict[int, list[StoredMessage]] = defaultdict(list)
        for job in self.jobs:
            row = job.row
            if row.case_id is not None and (row.purpose or Purpose.DUNNING.value) in _CAPPED:
                out[row.case_id].append(row)
        return out


#: what the dispatcher tells its listeners about each message: (channel, outcome), the
#: outcome one of ``sent``, ``retried``, ``failed``, ``suppressed``, ``deferred``
OutcomeListener = Callable[[str, str], None]


class Dispatcher:
    """Claims due outbox messages, re-checks the policy, sends, records the outcomes."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: DeliveryStore,
        clock: Clock,
        channels: dict[ChannelKind, Channel],
        profile: JurisdictionProfile,
        *,
        fallback: Callable[[Case, StoredMessage, ChannelKind, list[str]],
                           NewOutboxMessage | None] | None = None,
        max_attempts: int = 6,
        base_backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(hours=2),
        concurrency: int = 8,
        lease: timedelta = LEASE,
        unsubscribe_token: Callable[[str], str] | None = None,
        limiters: Mapping[ChannelKind, Limiter] | None = None,
        campaign_states: Callable[[], Mapping[str, str]] | None = None,
        profile_for: Callable[[Case, str | None], JurisdictionProfile | None] | None = None,
    ) -> None:
        """``fallback(case, message, channel, remaining)``: the message re-rendered for
        another channel of its step (None: it cannot go there). ``lease``: how long a
        claim holds a message; it is renewed every third of it while the batch is out.
        ``limiters``: how to pace each channel (default: a token bucket per channel at
        its ``rate_per_sec``). ``campaign_states``: campaign id -> ``active`` or
        ``paused`` for the live campaigns, read once per batch; a campaign message goes
        only while its campaign is active (paused: it waits, for at most
        :data:`PAUSED_KEEP`; otherwise it is suppressed). Without it campaign messages
        are not checked (tests of the sending mechanics). ``profile_for(case, campaign
        id)``: the profile a message is re-checked under (None: ``profile``)."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if lease <= timedelta(0):
            raise ValueError(f"the lease must be positive, got {lease}")
        self.uow_factory = uow_factory
        self.campaign_states = campaign_states
        self.store = store
        self.clock = clock
        self.channels = channels
        self.profile = profile
        self.fallback = fallback
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.concurrency = concurrency
        self.lease = lease
        self.unsubscribe_token = unsubscribe_token
        self.profile_for = profile_for
        self.limiters: dict[ChannelKind, Limiter] = {
            k: RateLimiter(c.rate_per_sec, burst=max(1, int(c.rate_per_sec)))
            for k, c in channels.items()}
        self.limiters.update(limiters or {})
        #: called with (channel, outcome) for every message handled (metrics)
        self.listeners: list[OutcomeListener] = []
        self._giving_back: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ loop
    async def run_once(self, limit: int = 200, stop: asyncio.Event | None = None
                       ) -> DispatchStats:
        """Claim up to ``limit`` due messages and send them, each outcome committed
        before its sender sends again. With ``stop`` set, messages not yet handed to
        their channel are given back (queued again, due now) instead of sent."""
        return await self._deliver(await self._take(limit), stop)

    async def drain(self, limit: int = 200, max_batches: int = 1_000_000) -> DispatchStats:
        """Send everything due now (tests, ``simulate``, one-shot runs)."""
        total = DispatchStats()
        await self._batches(limit, None, max_batches, total)
        return total

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 1.0,
                          limit: int = 200) -> None:
        while not stop.is_set():
            stats = DispatchStats()
            try:
                await self._batches(limit, stop, 1_000_000, stats)
            except Exception:  # keep the worker alive; the lease returns the rows
                log.exception("dispatch batch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle_seconds)

    async def _batches(self, limit: int, stop: asyncio.Event | None, max_batches: int,
                       total: DispatchStats) -> None:
        """Send batch after batch (at most ``max_batches``) until a claim finds nothing
        due or ``stop`` is set, adding up their stats in ``total``. The next batch is
        claimed and prepared while the last quarter of the current one goes out, so the
        channels do not wait for it; it is sent once the current one is done (one
        address's messages stay in queue order), and the messages the current batch is
        still sending count against the caps of their cases as if sent."""
        ahead: asyncio.Task[_Batch] | None = None
        batch = await self._take(limit)
        try:
            for n in range(max_batches):
                if batch.stats.claimed == 0:
                    total.add(batch.stats)
                    return
                more = n + 1 < max_batches

                def take_next(current: _Batch = batch, more: bool = more) -> None:
                    nonlocal ahead
                    if ahead is None and more and not (stop is not None and stop.is_set()):
                        ahead = asyncio.create_task(self._take(limit, current.in_flight()))

                total.add(await self._deliver(batch, stop, take_next))
                if stop is not None and stop.is_set() and ahead is None:
                    return
                take_next()
                if ahead is None:
                    return
                batch, ahead = await ahead, None
                if batch.stats.claimed == 0:  # the batch done may have queued some
                    batch = await self._take(limit)  # (fallbacks): look again
        finally:
            if ahead is not None:  # claimed ahead, never sent (stopping, or an error)
                self._give_back(ahead)

    def _give_back(self, taking: asyncio.Task[_Batch]) -> None:
        """Once ``taking`` has claimed its batch, give its messages back unsent."""
        async def give_back() -> None:
            try:
                batch = await taking
            except (Exception, asyncio.CancelledError):  # nothing claimed, or it lapses
                return
            if batch.renewer is not None:
                batch.renewer.cancel()
            if batch.held:
                with contextlib.suppress(Exception):  # else the lease returns them
                    await asyncio.to_thread(self.store.release, dict(batch.held),
                                            self.clock.now())
        task = asyncio.create_task(give_back())
        self._giving_back.add(task)
        task.add_done_callback(self._giving_back.discard)

    async def _take(self, limit: int,
                    in_flight: Mapping[int, list[StoredMessage]] | None = None) -> _Batch:
        """Claim up to ``limit`` due messages, re-check them (``in_flight``: messages
        being sent, per case, that count as sent), record what the policy stops; the
        lease of the others is renewed from now on."""
        now = self.clock.now()
        ids = await asyncio.to_thread(self.store.claim, now, limit, now + self.lease)
        stats = DispatchStats(claimed=len(ids))
        if not ids:
            return _Batch(stats, [], {})
        jobs, decisions = await asyncio.to_thread(self._prepare, ids, now, in_flight)
        sendable = [j for j in jobs if j.outbound is not None]
        batch = _Batch(stats, sendable, {j.row.id: j.row.attempts for j in sendable})
        if sendable:
            batch.renewer = asyncio.create_task(self._keep_lease(sendable, batch.held))
        skipped = [j for j in jobs if j.outbound is None]
        if skipped or decisions:
            try:
                await self._record_outcomes(skipped, decisions, stats)
            except BaseException:
                if batch.renewer is not None:
                    batch.renewer.cancel()
                raise
        return batch

    async def _deliver(self, batch: _Batch, stop: asyncio.Event | None,
                       nearly_done: Callable[[], None] | None = None) -> DispatchStats:
        """Send ``batch`` (see :meth:`_send_all`), then give back what was not sent."""
        stats, sendable, held = batch.stats, batch.jobs, batch.held
        if not sendable:
            return stats
        try:
            await self._send_all(sendable, held, stats, stop, nearly_done)
        finally:
            if batch.renewer is not None:
                batch.renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await batch.renewer
            unsent = {j.row.id: held[j.row.id] for j in sendable
                      if j.row.id in held and not (j.started or j.lost)}
            if unsent:
                released = await asyncio.to_thread(self.store.release, unsent,
                                                   self.clock.now())
                stats.released += len(released)
                log.info("gave back %d unsent message(s)", len(released))
        return stats

    async def _keep_lease(self, jobs: list[_Job], held: dict[int, int]) -> None:
        """Renew the lease of the messages not recorded yet, every third of the lease;
        a message another worker has claimed since is marked lost (not sent here)."""
        by_id = {j.row.id: j for j in jobs}
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            claims = dict(held)
            if not claims:
                continue
            try:
                renewed = set(await asyncio.to_thread(
                    self.store.renew, claims, self.clock.now() + self.lease))
            except Exception:  # the database is away: try again at the next turn
                log.warning("could not renew the lease of %d message(s)", len(claims),
                            exc_info=True)
                continue
            for message_id in claims.keys() - renewed:
                if message_id in held:  # not recorded in the meantime
                    by_id[message_id].lost = True
                    log.warning("lost the claim on message %d (lease ran out)", message_id)

    # ------------------------------------------------------------------ phase 1
    def _prepare(self, ids: list[int], now: datetime,
                 in_flight: Mapping[int, list[StoredMessage]] | None = None,
                 ) -> tuple[list[_Job], list[DecisionRecord]]:
        """Read the claimed messages, their cases and the cases' frequency history
        set-based, and re-check the policy for each message. ``in_flight``: capped
        messages being sent, per case, that count as sent now (when not recorded yet)."""
        jobs: list[_Job] = []
        decisions: list[DecisionRecord] = []
        rows = self.store.claimed(ids)
        cases = self.store.cases(sorted({r.case_id for r in rows.values()
                                         if r.case_id is not None}))
        checked = sorted({r.case_id for r in rows.values() if r.case_id in cases
                          and (r.purpose or Purpose.DUNNING.value) != CONFIRMATION})
        histories = self.store.histories(checked, now - HISTORY_WINDOW)
        states = self.campaign_states() if self.campaign_states is not None and any(
            r.campaign_id for r in rows.values()) else None
        targets = sorted({(r.case_id, r.address) for r in rows.values()
                          if r.case_id in checked})
        related = self.store.related_histories(targets, now - HISTORY_WINDOW)
        claimed = set(ids)
        passed = _Passed()  # let through by this batch so far
        for row_id in ids:
            row = rows.get(row_id)
            if row is None:  # deleted since the claim: nothing to send or record
                continue
            job = _Job(row)
            jobs.append(job)
            if states is not None and row.campaign_id and _campaign_held(job, states, now):
                continue
            case = cases.get(row.case_id) if row.case_id is not None else None
            cp = _contact(case, row) if case is not None else None
            if case is not None and cp is None:
                job.skip_reason = "no_contact_point"
                continue
            if case is not None and cp is not None:
                recorded = histories.get(row.case_id or 0, ())
                history = [rec for rid, rec in recorded if rid != row.id]
                sending = in_flight.get(row.case_id or 0, ()) if in_flight else ()
                if sending:
                    known = {rid for rid, _ in recorded}
                    history += [SentRecord(ChannelKind(m.channel), now, m.step_id,
                                           address=m.address)
                                for m in sending if m.id not in known and m.id != row.id]
                others = [r.record for r in related.get((case.id or 0, row.address), ())
                          if r.message_id not in claimed
                          and (not r.in_flight or r.message_id < row.id)]
                others += passed.related(case, row, now)
                verdict = self._check(case, cp, row, history, now, others)
                if verdict is not None:
                    codes, not_before = verdict
                    job.skip_reason = "deferred" if not_before is not None else "suppressed"
                    job.extra["not_before"] = not_before
                    job.extra["codes"] = codes
                    decisions.append({
                        "case_id": case.id or 0, "local_date": local_date(case, now),
                        "campaign_id": row.campaign_id or "-", "step_id": row.step_id,
                        "variant": row.variant, "channel": row.channel,
                        "allowed": False, "reasons": list(codes), "at": now, "key": None})
                    continue
            if case is not None:
                passed.add(case, row)
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
        return jobs, decisions

    def _check(self, case: Case, cp: ContactPoint, row: StoredMessage,
               history: list[SentRecord], now: datetime,
               related: list[SentRecord] | None = None,
               ) -> tuple[list[str], datetime | None] | None:
        """None when the message may go now; else the reason codes and a retry time.

        ``history`` is the case's frequency history without ``row`` itself; ``related``
        what the customer's other accounts and other customers at the address got."""
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
        assert case.id is not None and row.created_at is not None
        profile = (self.profile_for(case, row.campaign_id) if self.profile_for else None) \
            or self.profile
        decision = check_contact(case, cp, profile, history, now, policy_purpose,
                                 inbound_at=row.created_at, related=related or (),
                                 by_person=purpose == COLLECTOR)
        codes = [r.code.value for r in decision.reasons]
        if purpose == COLLECTOR and case.held_by == (row.actor or "").removeprefix("collector:"):
            codes = [c for c in codes if c != ReasonCode.HOLD_HUMAN.value]
        if not codes:
            return None
        return codes, decision.not_before

    # ------------------------------------------------------------------ phase 2
    async def _send_all(self, jobs: list[_Job], held: dict[int, int], stats: DispatchStats,
                        stop: asyncio.Event | None,
                        nearly_done: Callable[[], None] | None = None) -> None:
        """Send with ``concurrency`` senders, each taking the next lane (one address's
        messages, in queue order: sent at once, a reply's acknowledgement could overtake
        the answer it follows on the handset) and sending its messages one after the
        other. A sender goes on only once the outcome of its send is committed, so at
        most ``concurrency`` messages are ever sent but not recorded; the outcomes are
        committed in groups (:class:`_Outcomes`). ``nearly_done`` is called once three
        quarters of the jobs have been handed to their channels."""
        writers = max(1, self.store.record_writers)
        outcomes = _Outcomes(lambda group: self._record_outcomes(group, (), stats),
                             goal=max(1, self.concurrency // (2 * writers)),
                             linger=OUTCOME_LINGER, writers=writers)
        lanes: dict[tuple[ChannelKind, str], list[_Job]] = defaultdict(list)
        for job in jobs:
            assert job.outbound is not None
            lanes[(job.outbound.channel, job.outbound.to)].append(job)
        queue = deque(lanes.values())
        failures: list[BaseException] = []
        to_hand = (3 * len(jobs) + 3) // 4

        def halted(job: _Job) -> bool:
            return job.lost or (stop is not None and stop.is_set())

        def handed(job: _Job) -> None:
            nonlocal to_hand
            job.started = True
            to_hand -= 1
            if to_hand == 0 and nearly_done is not None:
                nearly_done()

        async def send(job: _Job) -> bool:
            """Hand ``job`` to its channel; False when it was not (the worker is stopping
            or the claim was lost)."""
            assert job.outbound is not None
            if halted(job):
                return False
            channel = self.channels.get(job.outbound.channel)
            if channel is None:
                handed(job)
                job.result = DeliveryResult.permanent(FailureReason.CONFIGURATION,
                                                      detail="no channel configured")
                return True
            await self.limiters[job.outbound.channel].acquire()
            if halted(job):
                return False
            handed(job)
            try:
                job.result = await channel.send(job.outbound)
            except Exception as exc:  # an adapter bug must not lose the batch
                log.exception("channel %s raised on send", channel.name)
                job.result = DeliveryResult.transient(FailureReason.UNAVAILABLE,
                                                      detail=type(exc).__name__)
            return True

        async def sender() -> None:
            outcomes.busy += 1
            try:
                while queue:
                    for job in queue.popleft():
                        try:
                            if await send(job):
                                await outcomes.record(job)
                                held.pop(job.row.id, None)
                        except Exception as exc:
                            failures.append(exc)
            finally:
                outcomes.busy -= 1
                outcomes.poke()

        self.store.hold_connections()  # the outcomes' connections, for the batch
        try:
            await asyncio.gather(*(sender() for _ in range(min(self.concurrency, len(queue)))))
        finally:
            outcomes.close()
            for task in list(outcomes.tasks):  # cancelled: no sender waits for them
                task.cancel()
            await asyncio.to_thread(self.store.release_connections)
        if failures:  # the database refused the outcomes: their leases return the rows
            log.error("could not record %d outcome(s): %r", len(failures), failures[0])

    # ------------------------------------------------------------------ phase 3
    def _backoff(self, attempts: int) -> timedelta:
        return min(self.max_backoff, self.base_backoff * (2 ** max(0, attempts - 1)))

    def _outcome(self, job: _Job, now: datetime, stats: DispatchStats
                 ) -> tuple[DeliveryUpdate | None, str]:
        """What to record for a job, and the outcome's name; the update is None when
        the outcome changes the case (an opt-out, an invalid address, a fallback),
        which :meth:`_change_case` records instead."""
        row = job.row
        if job.skip_reason == "deferred":
            stats.deferred += 1
            return DeliveryUpdate(row.id, OutboxStatus.QUEUED.value, error_reason="deferred",
                                  error_code=",".join(job.extra["codes"])[:32],  # type: ignore[arg-type]
                                  next_attempt_at=job.extra["not_before"],  # type: ignore[arg-type]
                                  set_next_attempt=True, release_attempt=True), "deferred"
        if job.skip_reason is not None:
            stats.suppressed += 1
            codes = job.extra.get("codes") or [job.skip_reason]
            return DeliveryUpdate(row.id, OutboxStatus.SUPPRESSED.value, error_reason="policy",
                                  error_code=",".join(codes)[:32]), "suppressed"  # type: ignore[arg-type]
        result = job.result
        assert result is not None
        reason = result.reason.value if result.reason else None
        if result.status is DeliveryStatus.ACCEPTED:
            stats.sent += 1
            return DeliveryUpdate(row.id, OutboxStatus.SENT.value,
                                  provider_id=result.provider_id, sent_at=now,
                                  error_code=result.code, error_reason=reason,
                                  next_attempt_at=None, set_next_attempt=True), "sent"
        if result.status is DeliveryStatus.TRANSIENT and row.attempts < self.max_attempts:
            stats.retried += 1
            log.info("transient failure on %s to %s, retry %d", row.channel,
                     mask_address(row.address), row.attempts)
            return DeliveryUpdate(row.id, OutboxStatus.QUEUED.value, error_code=result.code,
                                  error_reason=reason, set_next_attempt=True,
                                  next_attempt_at=now + self._backoff(row.attempts)), "retried"
        stats.failed += 1
        if row.case_id is not None and (
                result.reason in _CASE_CHANGING
                or (self.fallback is not None and row.fallback_channels)):
            return None, "failed"
        return DeliveryUpdate(row.id, OutboxStatus.FAILED.value, error_code=result.code,
                              error_reason=reason, next_attempt_at=None,
                              set_next_attempt=True), "failed"

    async def _record_outcomes(self, jobs: list[_Job], decisions: Sequence[DecisionRecord],
                               stats: DispatchStats) -> None:
        """Write the outcomes of ``jobs`` (and send-time denials) in one short
        transaction; a final failure that changes the case (opt-out, invalid address,
        fallback) loads the case in a second one, so its domain events are recorded.
        A database error is retried a few times before it is raised."""
        now = self.clock.now()
        updates: list[DeliveryUpdate] = []
        slow: list[_Job] = []
        for job in jobs:
            update, outcome = self._outcome(job, now, stats)
            if update is None:
                slow.append(job)
            else:
                updates.append(update)
            for listener in self.listeners:
                listener(job.row.channel, outcome)
        if updates or decisions:
            await _retrying(self.store.record, updates, decisions)
        if slow:
            stats.fallbacks += await _retrying(self._change_cases, slow, now)

    def _change_cases(self, jobs: list[_Job], now: datetime) -> int:
        """:meth:`_change_case` for ``jobs`` in one unit of work; returns the fallbacks
        queued."""
        fallbacks = 0
        with self.uow_factory() as uow:
            for job in jobs:
                fallbacks += self._change_case(uow, job, now)
            uow.commit()
        return fallbacks

    def _change_case(self, uow: UnitOfWork, job: _Job, now: datetime) -> int:
        """A final failure: the message failed; an opt-out or an unusable address
        changes the case; otherwise the next channel of the step takes over. Returns
        the fallbacks queued (0 or 1)."""
        row, result = job.row, job.result
        assert result is not None and row.case_id is not None
        uow.messages.update_delivery(DeliveryUpdate(
            row.id, OutboxStatus.FAILED.value, error_code=result.code,
            error_reason=result.reason.value if result.reason else None,
            next_attempt_at=None, set_next_attempt=True))
        case = uow.cases.get_by_id(row.case_id)
        if case is None:
            return 0
        kind = ChannelKind(row.channel)
        if case.contact(kind, row.address) is not None:
            if result.reason is FailureReason.OPTED_OUT:
                case.opt_out(kind, row.address, now, source=f"provider-{result.code or 'optout'}",
                             actor="system")
            elif result.reason in (FailureReason.INVALID_ADDRESS, FailureReason.BLOCKED):
                case.invalidate_contact(kind, row.address, now,
                                        reason=f"{result.reason.value}:{result.code or ''}")
        # After a refusal (an opt-out, a block) the customer has just told us to stop: no
        # other sender and no other channel for this message (the planner decides about
        # the step under the campaign's rules; the next step may use another channel).
        if result.reason not in REFUSALS:
            return self._fall_back(uow, case, row)
        return 0

    def _fall_back(self, uow: UnitOfWork, case: Case, row: StoredMessage) -> int:
        if self.fallback is None or not row.fallback_channels:
            return 0
        remaining = list(row.fallback_channels)
        while remaining:
            kind = ChannelKind(remaining.pop(0))
            new = self.fallback(case, row, kind, remaining)
            if new is None:
                continue
            return len(uow.outbox.enqueue([new]))
        return 0


class _Outcomes:
    """Commits the outcomes of sends in groups; each sender waits until its own is in.

    A group is written when ``goal`` outcomes wait, when no sender is busy any more (all
    wait for their commit: nothing would join the group), or ``linger`` seconds after
    its first outcome came back (a slow or rate-limited channel), in at most ``writers``
    transactions at a time (the store's :attr:`~DeliveryStore.record_writers`); the
    outcomes that come back meanwhile go in the next group. A sender waits for its
    commit before it sends again, so at most as many outcomes wait as there are
    senders. The dispatcher sets ``goal`` so that the groups being written take half
    the senders (half of them with one writer, SQLite; a quarter each with two,
    PostgreSQL, whose commits wait for the disk): the other half keep the channels
    busy meanwhile."""

    def __init__(self, write: Callable[[list[_Job]], Awaitable[None]], goal: int,
                 linger: float, writers: int = 1) -> None:
        self.write = write
        self.goal = goal
        self.linger = linger
        self.writers = writers
        #: senders not waiting for a commit (sending, or about to)
        self.busy = 0
        self.pending: list[tuple[_Job, asyncio.Future[None]]] = []
        self.writing = 0
        self.tasks: set[asyncio.Task[None]] = set()  # the writes under way
        self.timer: asyncio.TimerHandle | None = None

    async def record(self, job: _Job) -> None:
        """Returns once ``job``'s outcome is committed (or raises why it is not)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((job, done))
        self.busy -= 1
        try:
            self.poke()
            await done
        finally:
            self.busy += 1

    def poke(self, *, now: bool = False) -> None:
        """Start writing the waiting outcomes if it is time (see the class)."""
        if self.writing >= self.writers or not self.pending:
            return
        loop = asyncio.get_running_loop()
        if now or len(self.pending) >= self.goal or self.busy <= 0:
            self.close()
            self.writing += 1
            group, self.pending = self.pending, []
            task = loop.create_task(self._write(group))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif self.timer is None:
            self.timer = loop.call_later(self.linger, self._lingered)

    def _lingered(self) -> None:
        self.timer = None
        self.poke(now=True)

    async def _write(self, group: list[tuple[_Job, asyncio.Future[None]]]) -> None:
        try:
            await self.write([job for job, _ in group])
        except Exception as exc:
            for _, done in group:
                if not done.done():  # its sender may have been cancelled
                    done.set_exception(exc)
        else:
            for _, done in group:
                if not done.done():
                    done.set_result(None)
        finally:
            self.writing -= 1
            self.poke()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


async def _retrying(fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` in a thread (the event loop keeps sending meanwhile), tried
    :data:`RECORD_TRIES` times with a short pause when it raises."""
    attempt = 1
    while True:
        try:
            return await asyncio.to_thread(fn, *args)
        except Exception:
            if attempt >= RECORD_TRIES:
                raise
            log.warning("recording an outcome failed (try %d of %d)", attempt, RECORD_TRIES,
                        exc_info=True)
            await asyncio.sleep(0.5 * attempt)
            attempt += 1


class _Passed:
    """The capped messages a batch has let through, by customer and by address: they
    count against the caps of the customer's other accounts, and of other customers at
    the same address, before they are sent."""

    def __init__(self) -> None:
        self.by_customer: dict[int | None, list[tuple[Case, StoredMessage]]] = defaultdict(list)
        self.by_address: dict[str, list[tuple[Case, StoredMessage]]] = defaultdict(list)

    def add(self, case: Case, row: StoredMessage) -> None:
        if (row.purpose or Purpose.DUNNING.value) in _CAPPED:
            self.by_customer[case.customer_id].append((case, row))
            self.by_address[row.address].append((case, row))

    def related(self, case: Case, row: StoredMessage, now: datetime) -> list[SentRecord]:
        out: list[SentRecord] = []
        seen: set[int] = set()
        for other, message in (*self.by_customer.get(case.customer_id, ()),
                               *self.by_address.get(row.address, ())):
            if other.id == case.id or message.id in seen:
                continue
            seen.add(message.id)
            mine = other.customer_id == case.customer_id
            out.append(SentRecord(ChannelKind(message.channel), now, address=message.address,
                                  account=other.account_id, other_customer=not mine))
        return out


def _contact(case: Case, row: StoredMessage) -> ContactPoint | None:
    for cp in case.contacts:
        if (row.contact_point_id is not None and cp.id == row.contact_point_id) or (
            cp.channel.value == row.channel and cp.address == row.address
        ):
            return cp
    return None


def _campaign_held(job: _Job, states: Mapping[str, str], now: datetime) -> bool:
    """Hold back a campaign message whose campaign is not active: a paused one waits
    (for at most :data:`PAUSED_KEEP` after it was queued), any other is suppressed."""
    row = job.row
    state = states.get(row.campaign_id or "")
    if state == "active":
        return False
    created = row.created_at or now
    if state == "paused" and now - created < PAUSED_KEEP:
        job.skip_reason = "deferred"
        job.extra["codes"] = [CAMPAIGN_PAUSED]
        job.extra["not_before"] = now + PAUSED_RECHECK
    else:
        job.skip_reason = "suppressed"
        job.extra["codes"] = [CAMPAIGN_PAUSED if state == "paused" else CAMPAIGN_NOT_ACTIVE]
    return True
