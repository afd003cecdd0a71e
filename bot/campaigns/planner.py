"""The daily decision for one case: which step is due, and may it go out now, and how.

:func:`plan_case` is pure. It returns the decisions for every step that is due for the
case now, in priority order, and at most one of them is allowed (one message per case
per plan); the others are denied with their reasons, later ones with ``superseded``
when an earlier one was allowed. An empty list means nothing is due.

What is due (all dates are the case's local dates, ``Case.timezone``):

1. **Promise reminders** — a pending promise due tomorrow: ``instalment_due`` when the
   promise is one instalment of a plan (several promises made together) and the campaign
   has such a step, else ``promise_due_tomorrow``. Once per promise.
2. **Promise broken** — the latest promise whose due date has passed unpaid (whether or
   not the nightly job already marked it broken), ``after_days`` days after the day
   following its due date, unless a newer promise is pending. Once per promise.
3. **Days past due** — the *stage* is the step(s) with the largest ``dpd`` trigger that is
   ``<=`` today's days past due. It is due when no step of that stage has been sent in
   the current delinquency cycle (records since ``due_date + dpd``). So a step that was
   missed (holiday, import on day 3, …) is caught up until the next step's day comes, and
   earlier missed steps are skipped rather than sent late in bulk. A cured case (days past
   due back to 0 after the due date) has no stage. The stage step may be a
   ``legal_review`` step: the decision then has ``action=legal_review``.
4. **No response** — ``after_days`` days after our last message (other than a
   no_response nudge) without any inbound message since. Once per silence.

Event steps stay due for ``event_catch_up_days`` after their day. Among steps sharing a
trigger the first whose conditions match (file order) is used; when none matches a
``condition_not_met`` denial is given on the trigger's own day only.

0. **Validation notice** (profiles with ``validation_notice_days``, US Reg F 1006.34) —
   once the first campaign message has gone, until a ``validation_notice`` step has
   been sent; it comes before everything else. When it has not gone within
   ``validation_notice_days`` of the first message, dunning stops
   (``validation_notice_missing``). Until its validation period ends nothing may
   overshadow it: legal review and steps whose template is one of the profile's
   ``validation_quiet_templates`` wait (``validation_period``).

For a message: the variant is chosen by :func:`bot.campaigns.variants.choose_variant`, then
each channel in the step's preference order and each of the case's contact points on it
are tried with :func:`bot.policy.engine.check_contact`; the first allowed wins. A channel
whose delivery already failed permanently for this step (``SentRecord.failed``) is
skipped. When the provider *refused* the step's message (``SentRecord.refused``: an
opt-out such as Twilio 21610, a block) the step goes nowhere else (``no_fallback``)
unless the campaign sets ``fallback_after_refusal``. When none is allowed the denial
collects every reason plus ``no_channel``. Caps count per person and per address
(``related`` records). A time-barred debt never goes to legal review (``time_barred``).
Closed cases and disabled campaigns plan nothing.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.campaigns.model import Campaign, EventKind, Step
from bot.campaigns.risk import RiskBand, assess_band
from bot.campaigns.variants import choose_variant
from bot.domain.case import Case, Promise, PromiseStatus
from bot.domain.clock import ensure_utc
from bot.policy.decision import Action, Decision, Purpose, Reason, ReasonCode
from bot.policy.engine import case_zone, contact_reasons
from bot.policy.hard_stops import check_case
from bot.policy.history import HistoryItem, SentRecord, normalise
from bot.policy.profiles import JurisdictionProfile, get_profile
from bot.policy.validation import validation_period_end

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def idempotency_key(
    account_id: str, step_id: str, variant: str | None, local_date: date,
    ref: str | None = None,
) -> str:
    """A stable key for "this step, this variant, this account, this local day" (+ ref).

    Hashed, so the account id never appears in provider requests or logs.
    """
    parts = (account_id, step_id, variant or "-", local_date.isoformat(), ref or "")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"plan-{digest[:40]}"


@dataclass(frozen=True)
class _StepIndex:
    """A campaign's steps by trigger, in file order (campaigns are frozen models)."""

    campaign: Campaign  # held, so the id this is cached under is never reused meanwhile
    dpd: tuple[Step, ...]
    events: dict[EventKind, tuple[Step, ...]]
    nudge_ids: frozenset[str]
    #: the distinct dpd triggers, ascending, and the steps of each (file order)
    stages: tuple[int, ...] = ()
    stage_steps: tuple[tuple[Step, ...], ...] = ()


_INDEX: dict[int, _StepIndex] = {}


def _steps(campaign: Campaign) -> _StepIndex:
    hit = _INDEX.get(id(campaign))
    if hit is not None and hit.campaign is campaign:
        return hit
    events = {kind: tuple(campaign.event_steps(kind)) for kind in EventKind}
    dpd = tuple(campaign.dpd_steps)
    stages = tuple(sorted({s.trigger.dpd for s in dpd if s.trigger.dpd is not None}))
    index = _StepIndex(campaign, dpd, {k: v for k, v in events.items() if v},
                       frozenset(s.id for s in events[EventKind.NO_RESPONSE]), stages,
                       tuple(tuple(s for s in dpd if s.trigger.dpd == n) for n in stages))
    if len(_INDEX) >= 256:
        _INDEX.clear()
    _INDEX[id(campaign)] = index
    return index


@dataclass(frozen=True)
class _Due:
    """A step due now; ``steps`` share the trigger, the first matching one is used."""

    steps: tuple[Step, ...]
    purpose: Purpose
    ref: str | None
    on_trigger_day: bool
    since: datetime  # records at or after this instant belong to this occurrence


@lru_cache(maxsize=4096)
def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in ``zone``, in UTC (many cases share a day and zone)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _Ctx:
    case: Case
    campaign: Campaign
    profile: JurisdictionProfile
    records: list[SentRecord]
    inbound: list[datetime]
    now: datetime
    zone: ZoneInfo
    today: date
    risk: RiskBand
    dpd: int  # days past due today (0 once cured)
    related: Sequence[SentRecord] = ()  # other accounts' records (caps per person/address)

    def local(self, t: datetime) -> date:
        return t.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        return _start_of(day, self.zone)

    def step_records(self, steps: Iterable[Step], since: datetime,
                     ref: str | None) -> list[SentRecord]:
        if not self.records:
            return []
        ids = {s.id for s in steps}
        return [
            r for r in self.records
            if r.step_id in ids
            and (r.campaign_id is None or r.campaign_id == self.campaign.id)
            and r.sent_at >= since
            and (ref is None or r.ref == ref)
        ]


def plan_case(
    case: Case,
    campaign: Campaign,
    profile: JurisdictionProfile | None,
    history: Sequence[HistoryItem],
    now: datetime,
    *,
    inbound: Iterable[datetime] = (),
    related: Sequence[SentRecord] = (),
) -> list[Decision]:
    """Decide what to do for ``case`` at ``now`` (aware).

    ``history``: what was sent about this case (``SentRecord``s, with step ids; queued
    messages included). ``related``: what went to the customer's other accounts and to
    other customers at this case's addresses (counted by the caps only). ``inbound``:
    when the customer wrote to us (for no_response and the risk score). ``profile``
    defaults to the campaign's. Raises ``RiskBandError`` when the case's imported risk
    band override is not low/medium/high.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("plan_case needs a timezone-aware time")
    if case.closed or not campaign.enabled:
        return []
    now = now.astimezone(UTC)
    zone = case_zone(case)
    today = now.astimezone(zone).date()
    inbound_utc = sorted(ensure_utc(t) for t in inbound) if inbound else []
    dpd = case.compute_days_past_due(today)
    risk = assess_band(case, today, now, inbound_utc, days_past_due=dpd)
    records = [r for r in normalise(history) if r.sent_at <= now] if history else []
    ctx = _Ctx(case, campaign, profile or get_profile(campaign.profile), records,
               inbound_utc, now, zone, today, risk, dpd,
               [r for r in related if r.sent_at <= now] if related else ())

    due = [d for d in (_validation_due(ctx), _reminder_due(ctx), _broken_due(ctx),
                       _dpd_due(ctx), _no_response_due(ctx)) if d is not None]
    decisions: list[Decision] = []
    chosen = False
    for item in due:
        step, unmet = _pick_step(ctx, item)
        if step is None:
            if item.on_trigger_day:
                decisions.append(_condition_denial(ctx, item, unmet))
            continue
        if chosen:
            decisions.append(_superseded(ctx, item, step))
            continue
        decision = _decide(ctx, item, step)
        decisions.append(decision)
        chosen = decision.allowed
    return decisions


# ---------------------------------------------------------------- what is due

VALIDATION_REF = "validation"


def _validation_ids(ctx: _Ctx) -> frozenset[str]:
    return frozenset(s.id for s in _steps(ctx.campaign).events.get(
        EventKind.VALIDATION_NOTICE, ()))


def validation_state(records: Sequence[SentRecord], validation_steps: frozenset[str]
                     ) -> tuple[datetime | None, datetime | None]:
    """(when the first campaign message went, when the validation notice went), from a
    case's records; None when it has not."""
    first = notice = None
    for r in records:
        if not r.is_message or r.failed or r.step_id is None:
            continue
        if first is None or r.sent_at < first:
            first = r.sent_at
        if r.step_id in validation_steps and (notice is None or r.sent_at < notice):
            notice = r.sent_at
    return first, notice


def _validation(ctx: _Ctx) -> tuple[datetime | None, datetime | None]:
    if ctx.profile.validation_notice_days is None or not ctx.records:
        return None, None
    return validation_state(ctx.records, _validation_ids(ctx))


def _validation_due(ctx: _Ctx) -> _Due | None:
    if ctx.profile.validation_notice_days is None or not ctx.records:
        return None
    steps = _steps(ctx.campaign).events.get(EventKind.VALIDATION_NOTICE, ())
    if not steps:
        return None
    first, notice = _validation(ctx)
    if first is None or notice is not None:
        return None
    return _Due(steps, Purpose.DUNNING, VALIDATION_REF, True, _EPOCH)


def _validation_reasons(ctx: _Ctx, step: Step) -> tuple[list[Reason], datetime | None]:
    """Why a step may not go because of the validation notice: missing past its days, or
    a step that would overshadow it inside its validation period (with when it ends)."""
    days = ctx.profile.validation_notice_days
    if days is None or not ctx.records or step.trigger.event is EventKind.VALIDATION_NOTICE:
        return [], None
    first, notice = _validation(ctx)
    if first is None:
        return [], None
    if notice is None:
        since = ctx.local(first)
        if (ctx.today - since).days >= days:
            return [Reason(ReasonCode.VALIDATION_NOTICE_MISSING,
                           f"first message on {since.isoformat()}; the validation notice "
                           f"was due within {days} days ({ctx.profile.name})")], None
        return [], None
    end = validation_period_end(ctx.local(notice), ctx.profile, ctx.case.country)
    quiet = step.action is Action.LEGAL_REVIEW or (
        step.template is not None and step.template in ctx.profile.validation_quiet_templates
    ) or any(v.template in ctx.profile.validation_quiet_templates for v in step.variants)
    if ctx.today <= end and quiet:
        return [Reason(ReasonCode.VALIDATION_PERIOD,
                       f"the validation period runs until {end.isoformat()}; "
                       f"{'legal review' if step.action is Action.LEGAL_REVIEW else 'this step'}"
                       f" would overshadow the notice")], ctx.start_of(end + timedelta(days=1))
    return [], None


def _is_instalment(case: Case, promise: Promise) -> bool:
    if promise.made_at is None:
        return False
    return sum(1 for p in case.promises if p.made_at == promise.made_at) > 1


def _reminder_due(ctx: _Ctx) -> _Due | None:
    if not ctx.case.promises:
        return None
    tomorrow = ctx.today + timedelta(days=1)
    for promise in ctx.case.pending_promises():
        if promise.due != tomorrow:
            continue
        kind = EventKind.PROMISE_DUE_TOMORROW
        if _is_instalment(ctx.case, promise) and _steps(ctx.campaign).events.get(
                EventKind.INSTALMENT_DUE):
            kind = EventKind.INSTALMENT_DUE
        steps = _steps(ctx.campaign).events.get(kind, ())
        if not steps or _sent(ctx.step_records(steps, _EPOCH, promise.ref)):
            return None
        return _Due(steps, Purpose.PROMISE_REMINDER, promise.ref, True, _EPOCH)
    return None


def _event_stage(ctx: _Ctx, kind: EventKind, anchor: date
                 ) -> tuple[tuple[Step, ...], date] | None:
    """The steps of ``kind`` with the latest fire day (``anchor + after_days``) reached."""
    reached = [(anchor + timedelta(days=s.trigger.days), s)
               for s in _steps(ctx.campaign).events.get(kind, ())
               if anchor + timedelta(days=s.trigger.days) <= ctx.today]
    if not reached:
        return None
    day = max(d for d, _ in reached)
    if ctx.today > day + timedelta(days=ctx.campaign.event_catch_up_days):
        return None
    return tuple(s for d, s in reached if d == day), day


def _sent(records: list[SentRecord]) -> bool:
    return any(not r.failed for r in records)


def _broken_due(ctx: _Ctx) -> _Due | None:
    if not ctx.case.promises:
        return None
    live = [p for p in ctx.case.pending_promises() if p.due is None or p.due >= ctx.today]
    if live:
        return None
    broken = [
        p for p in ctx.case.promises
        if p.due is not None and p.due < ctx.today
        and (p.status is PromiseStatus.BROKEN or p.status is PromiseStatus.PENDING)
    ]
    if not broken:
        return None
    promise = max(broken, key=lambda p: (p.due or date.min, p.ref))
    assert promise.due is not None
    stage = _event_stage(ctx, EventKind.PROMISE_BROKEN, promise.due + timedelta(days=1))
    if stage is None:
        return None
    steps, day = stage
    since = ctx.start_of(promise.due + timedelta(days=1))
    if _sent(ctx.step_records(steps, since, promise.ref)):
        return None
    return _Due(steps, Purpose.DUNNING, promise.ref, day == ctx.today, since)


def _dpd_due(ctx: _Ctx) -> _Due | None:
    case = ctx.case
    dpd = ctx.dpd
    if dpd <= 0 < (ctx.today - case.due_date).days:
        return None  # arrears cured after the due date
    index = _steps(ctx.campaign)
    at = bisect_right(index.stages, dpd)  # the stages reached: stages[:at]
    if at == 0:
        return None
    stage_dpd, steps = index.stages[at - 1], index.stage_steps[at - 1]
    since = ctx.start_of(case.due_date + timedelta(days=stage_dpd))
    if _sent(ctx.step_records(steps, since, None)):
        return None
    return _Due(steps, Purpose.DUNNING, None, stage_dpd == dpd, since)


def _no_response_due(ctx: _Ctx) -> _Due | None:
    nudges = _steps(ctx.campaign).nudge_ids
    if not nudges or not ctx.records:
        return None
    ours = [r for r in ctx.records
            if r.is_message and not r.failed and r.step_id not in nudges]
    if not ours:
        return None
    last = max(r.sent_at for r in ours)
    if any(t >= last for t in ctx.inbound):
        return None
    silence_from = ctx.local(last)
    stage = _event_stage(ctx, EventKind.NO_RESPONSE, silence_from)
    if stage is None:
        return None
    steps, day = stage
    ref = f"silence:{silence_from.isoformat()}"
    if _sent(ctx.step_records(steps, last, ref)):
        return None
    return _Due(steps, Purpose.DUNNING, ref, day == ctx.today, last)


# ---------------------------------------------------------------- deciding


def _pick_step(ctx: _Ctx, due: _Due) -> tuple[Step | None, list[tuple[Step, list[str]]]]:
    unmet: list[tuple[Step, list[str]]] = []
    for step in due.steps:
        failing = step.conditions.unmet(ctx.case, ctx.risk)
        if not failing:
            return step, []
        unmet.append((step, failing))
    return None, unmet


def _base(ctx: _Ctx, due: _Due, step: Step) -> dict[str, Any]:
    """The fields every decision about ``step`` carries (a Decision is built once, from
    these and the outcome)."""
    variant = choose_variant(step.variants, ctx.campaign.id, step.id, ctx.case.account_id)
    vid = variant.id if variant else None
    return {
        "action": step.action,
        "purpose": due.purpose,
        "campaign_id": ctx.campaign.id,
        "step_id": step.id,
        "variant": vid,
        "template_id": step.template_for(variant),
        "ref": due.ref,
        "idempotency_key": idempotency_key(ctx.case.account_id, step.id, vid, ctx.today,
                                           due.ref),
        "risk_band": ctx.risk.value,
    }


def _condition_denial(ctx: _Ctx, due: _Due, unmet: list[tuple[Step, list[str]]]) -> Decision:
    first = unmet[0][0]
    reasons = tuple(
        Reason(ReasonCode.CONDITION_NOT_MET, f"step {step.id}: {why}")
        for step, failing in unmet for why in failing
    )
    base = _base(ctx, due, first)
    base.update(variant=None, template_id=None)
    return Decision(allowed=False, reasons=reasons, **base)


_SUPERSEDED = (Reason(ReasonCode.SUPERSEDED, "another message for this case was chosen"),)


def _superseded(ctx: _Ctx, due: _Due, step: Step) -> Decision:
    return Decision(allowed=False, reasons=_SUPERSEDED, **_base(ctx, due, step))


def _decide(ctx: _Ctx, due: _Due, step: Step) -> Decision:
    base = _base(ctx, due, step)
    held, until = _validation_reasons(ctx, step)
    if step.action is Action.LEGAL_REVIEW:
        stops = check_case(ctx.case, Purpose.DUNNING, ctx.today) + held
        if ctx.case.is_time_barred(ctx.today):
            stops.append(Reason(ReasonCode.TIME_BARRED,
                                "the debt is past its limitation period: no legal action"))
        return Decision(allowed=not stops, reasons=tuple(stops),
                        not_before=until if stops == held else None, **base)

    stops = check_case(ctx.case, due.purpose, ctx.today)
    if step.trigger.event is EventKind.VALIDATION_NOTICE:
        # it states the consumer's rights and asks for nothing: a promise does not wait it
        stops = [r for r in stops if r.code is not ReasonCode.PENDING_PROMISE]
    elif due.purpose is Purpose.DUNNING:
        stops += held
    if stops:
        return Decision(allowed=False, reasons=tuple(stops),
                        not_before=until if stops == held else None, **base)

    variant = next((v for v in step.variants if v.id == base["variant"]), None)
    channels = step.channels_for(variant)
    failed = [r for r in ctx.step_records([step], due.since, due.ref) if r.failed]
    refused = [r for r in failed if r.refused]
    if refused and not ctx.campaign.fallback_after_refusal:
        where = ", ".join(dict.fromkeys(str(r.channel) for r in refused))
        return Decision(allowed=False, reasons=(Reason(
            ReasonCode.NO_FALLBACK,
            f"step {step.id} was refused on {where} (opt-out or block): not sent on another "
            "channel (the campaign does not set fallback_after_refusal)"),), **base)
    reasons: list[Reason] = []
    not_before: list[datetime] = []
    for channel in channels:
        points = [cp for cp in ctx.case.contacts if cp.channel == channel]
        if not points:
            reasons.append(Reason(ReasonCode.NO_CONTACT_POINT,
                                  f"the case has no {channel} contact point", channel))
            continue
        for cp in points:
            if any(r.channel == channel and r.address in (None, cp.address) for r in failed):
                reasons.append(Reason(ReasonCode.DELIVERY_FAILED,
                                      f"step {step.id} already failed here", channel, cp.masked))
                continue
            # the case's hard stops for this purpose were checked above (none)
            found, when = contact_reasons(ctx.case, cp, ctx.profile, ctx.records, ctx.now,
                                          due.purpose, (), related=ctx.related)
            if not found:
                if failed:  # a fallback is a new message, not a duplicate of the failed one
                    base["idempotency_key"] = idempotency_key(
                        ctx.case.account_id, step.id, base["variant"], ctx.today,
                        f"{due.ref or ''}#fallback{len(failed)}")
                return Decision(allowed=True, channel=cp.channel, address=cp.address,
                                contact_id=cp.id, **base)
            reasons.extend(found)
            if when is not None:
                not_before.append(when)
    unique = list(dict.fromkeys(reasons))
    unique.append(Reason(ReasonCode.NO_CHANNEL,
                         f"no allowed contact on {', '.join(str(c) for c in channels)}"))
    return Decision(allowed=False, reasons=tuple(unique),
                    not_before=min(not_before) if not_before else None, **base)
