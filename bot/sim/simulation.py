"""``duebot simulate``: campaigns over a synthetic portfolio on a simulated clock.

The real services run end to end on the sandbox channel; only the clock and the
customers are simulated. Twice a simulated day (01:00 and 14:00 UTC, so every customer
from Shanghai to California gets a tick inside their contact window):

1. payments arrive: kept promises due that day, true "I already paid" claims, customers
   who pay without a word (``import_payments``, the same import as production);
2. the daily jobs run (days past due, broken promises in each customer's zone);
3. the planning tick queues what the campaigns say, and the dispatcher sends it;
4. customers read what the sandbox delivered and answer (promises, disputes, "STOP",
   hardship, questions, dates of birth when asked, "yes" to a counter-offer, a plan
   choice) through the sandbox channel into the inbound service; the bot's replies go
   out and customers may answer them, for up to three rounds.

At the end each outcome is attributed to the last campaign message the case received
before it (last touch) and reported per step and variant: contacts (campaign messages
sent), right-party contacts (messages the customer answered, other than "wrong
number"), promises (promises made; a plan counts once), kept (their first instalment
paid), cures (cases whose arrears got paid) and opt-outs.

Deterministic for a seed: the portfolio, the customers' behaviour and the clock are.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap
from bot.domain.case import CaseStatus
from bot.domain.clock import FixedClock, ensure_utc
from bot.domain.messages import ChannelKind
from bot.domain.money import from_minor
from bot.services.daily import break_overdue_promises, update_days_past_due, zone_of
from bot.services.dispatch import DispatchStats
from bot.services.importing import import_cases, import_payments
from bot.services.planning import CampaignBook, PlanningService
from bot.services.ports import Direction, SandboxEntry
from bot.settings import Settings
from bot.sim.customers import CAMPAIGN, Customer, Pay, Say
from bot.sim.portfolio import write_portfolio
from channels.sandbox import MemorySandboxStore, SandboxChannel
from storage.campaign_files import load_campaigns
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import (
    CaseEventRow,
    CaseRow,
    ContactPointRow,
    ConversationRow,
    CustomerRow,
    MessageRow,
    PaymentRow,
    PromiseRow,
)
from storage.uow import SqlUnitOfWork

log = logging.getLogger("duebot.simulate")

START = date(2026, 12, 1)
TICK_HOURS_UTC = (1, 14)
ANSWER_ROUNDS = 3
#: share of phone numbers the sandbox refuses as invalid (a permanent failure: fallback)
INVALID_PHONES = 0.03
SHIPPED_CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"
OPEN = [s.value for s in CaseStatus if not s.closed]
Progress = Callable[[int, int], None]


class SimulationError(RuntimeError):
    """The simulation cannot run as asked (the database file exists, no campaigns...)."""


@dataclass
class Outcome:
    contacts: int = 0
    right_party: int = 0
    promises: int = 0
    kept: int = 0
    cures: int = 0
    opt_outs: int = 0

    def add(self, other: Outcome) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SimulationResult:
    days: int
    cases: int
    seed: int
    by_step: dict[tuple[str, str], Outcome]
    total: Outcome
    dispatch: DispatchStats
    inbound: int
    payments: int
    database: str

    def line(self) -> str:
        t = self.total
        return (f"simulate: days={self.days} cases={self.cases} contacts={t.contacts} "
                f"promises={t.promises} kept={t.kept} cures={t.cures} opt_outs={t.opt_outs}")


def campaign_dir(settings: Settings) -> Path:
    """The configured campaign directory, else the example shipped with duebot."""
    configured = Path(settings.campaign_dir)
    if configured.is_dir():
        return configured
    if SHIPPED_CAMPAIGNS.is_dir():
        return SHIPPED_CAMPAIGNS
    raise SimulationError(f"campaign directory {configured} does not exist "
                          "(DUEBOT_CAMPAIGN_DIR)")


@dataclass
class Simulation:
    days: int = 60
    cases: int = 300
    seed: int = 7
    db_path: Path | None = None  # None: a fresh file in a temporary directory
    settings: Settings | None = None
    start: date = START
    progress: Progress | None = None
    _customers: dict[int, Customer] = field(default_factory=dict)
    _payments: list[tuple[int, Pay]] = field(default_factory=list)
    _paid_refs: set[str] = field(default_factory=set)
    _seen: int = 0
    _inbound: int = 0
    _payments_made: int = 0

    def __post_init__(self) -> None:
        if self.days < 1 or self.cases < 1:
            raise SimulationError("--days and --cases must be at least 1")

    # ------------------------------------------------------------------ running
    async def run(self) -> SimulationResult:
        workdir = Path(tempfile.mkdtemp(prefix="duebot-sim-"))
        db_path = self.db_path or workdir / "duebot-sim.db"
        if self.db_path is not None and db_path.exists():
            raise SimulationError(f"{db_path} exists; remove it or choose another --db path "
                                  "(a simulation starts from an empty database)")
        try:
            return await self._run(db_path, workdir)
        finally:
            for f in workdir.iterdir():
                f.unlink()
            workdir.rmdir()

    async def _run(self, db_path: Path, workdir: Path) -> SimulationResult:
        url = f"sqlite:///{db_path}"
        base = self.settings or Settings()
        settings = base.model_copy(update={"database_url": url})
        engine = make_engine(url)
        try:
            upgrade(engine)
            clock = FixedClock(datetime.combine(self.start, time(0), UTC))
            path = write_portfolio(workdir / "portfolio.csv", self.cases, self.seed,
                                   self.start)
            import_cases(path, SqlUnitOfWork(engine, clock), settings)
            self._load_customers(engine)
            store = MemorySandboxStore()
            rejects = [c.addresses[ChannelKind.SMS] for c in self._customers.values()
                       if ChannelKind.SMS in c.addresses and c.rng.random() < INVALID_PHONES]
            channels = {k: SandboxChannel(k, store, clock=clock,
                                          rejects=rejects if k is ChannelKind.SMS else ())
                        for k in ChannelKind}
            container = bootstrap(settings, clock=clock, engine=engine, channels=channels)
            book = CampaignBook(load_campaigns(campaign_dir(settings)), settings.jurisdiction)
            if not len(book):
                raise SimulationError("no enabled campaign to simulate")
            planning = PlanningService(engine, clock, settings, container.renderer, book)
            stats = DispatchStats()
            for day in range(self.days):
                midnight = datetime.combine(self.start + timedelta(days=day), time(0), UTC)
                for hour in TICK_HOURS_UTC:
                    clock.set(midnight + timedelta(hours=hour))
                    await self._step(container, planning, store, workdir, stats)
                if self.progress is not None:
                    self.progress(day + 1, self.days)
            clock.set(datetime.combine(self.start + timedelta(days=self.days), time(0), UTC))
            self._pay(container, workdir)
            by_step, total = outcomes(engine, clock.now())
            return SimulationResult(self.days, self.cases, self.seed, by_step, total, stats,
                                    self._inbound, self._payments_made,
                                    str(db_path) if self.db_path else "(temporary)")
        finally:
            engine.dispose()

    async def _step(self, c: Container, planning: PlanningService, store: MemorySandboxStore,
                    workdir: Path, stats: DispatchStats) -> None:
        clock = c.clock
        assert isinstance(clock, FixedClock)
        self._pay(c, workdir)
        now = clock.now()
        update_days_past_due(c.engine, now)
        break_overdue_promises(c.engine, clock, now)
        planning.tick(now)
        stats.add(await c.dispatcher.drain())
        for _ in range(ANSWER_ROUNDS):
            clock.advance(timedelta(minutes=20))
            said = await self._customers_read(c, store)
            if not said:
                break
            stats.add(await c.dispatcher.drain())
        # what the last round's answers got back is read at the next step

    # ------------------------------------------------------------------ customers
    def _load_customers(self, engine: Engine) -> None:
        ca, cu, cp = (CaseRow.__table__, CustomerRow.__table__,  # type: ignore[attr-defined]
                      ContactPointRow.__table__)  # type: ignore[attr-defined]
        with engine.connect() as conn:
            rows = conn.execute(
                select(ca.c.id, ca.c.account_id, ca.c.language, ca.c.currency,
                       ca.c.balance_minor, ca.c.minimum_payment_minor, ca.c.segment,
                       cu.c.date_of_birth, ca.c.customer_id)
                .select_from(ca.join(cu, cu.c.id == ca.c.customer_id)).order_by(ca.c.id)).all()
            addresses: dict[int, dict[ChannelKind, str]] = defaultdict(dict)
            for customer_id, channel, address in conn.execute(
                    select(cp.c.customer_id, cp.c.channel, cp.c.address).order_by(cp.c.id)):
                addresses[customer_id].setdefault(ChannelKind(channel), address)
        for (case_id, account, lang, currency, balance, minimum, segment, dob,
             customer_id) in rows:
            self._customers[case_id] = Customer.create(
                self.seed, account_id=account, case_id=case_id, language=lang,
                currency=currency, balance_minor=balance, minimum_minor=minimum,
                segment=segment, date_of_birth=dob, addresses=addresses[customer_id])

    async def _customers_read(self, c: Container, store: MemorySandboxStore) -> int:
        """Customers read what was delivered since they last looked; returns answers sent."""
        entries = store.list()
        new = [e for e in entries[self._seen:] if e.direction is Direction.OUT]
        self._seen = len(entries)
        if not new:
            return 0
        ms, ca, cv = (MessageRow.__table__, CaseRow.__table__,  # type: ignore[attr-defined]
                      ConversationRow.__table__)  # type: ignore[attr-defined]
        with c.engine.connect() as conn:
            meta = {pid: (case_id, step) for pid, case_id, step in
                    conn.execute(select(ms.c.provider_id, ms.c.case_id, ms.c.step_id)
                                 .where(ms.c.provider_id.in_([e.provider_id for e in new])))}
            case_ids = sorted({m[0] for m in meta.values() if m[0] is not None})
            tz: dict[int, str] = dict(conn.execute(select(ca.c.id, ca.c.timezone)
                                   .where(ca.c.id.in_(case_ids))).all())
            states = {case_id: (state, expires) for case_id, state, expires in conn.execute(
                select(cv.c.case_id, cv.c.state, cv.c.expires_at)
                .where(cv.c.case_id.in_(case_ids)))}
        now = c.clock.now()
        said = 0
        for entry in new:
            case_id, step = meta.get(entry.provider_id, (None, None))
            customer = self._customers.get(case_id) if case_id is not None else None
            if customer is None:
                continue
            local_now = now.astimezone(zone_of(tz.get(case_id, "UTC")))
            state, expires = states.get(case_id, (None, None))
            if expires is not None and ensure_utc(expires) <= now:
                state = None  # the question lapsed
            for action in customer.read(CAMPAIGN if step else "reply", entry.channel,
                                        local_now, state):
                if isinstance(action, Pay):
                    self._payments.append((case_id, action))
                    continue
                said += await self._say(c, entry, action)
        return said

    async def _say(self, c: Container, entry: SandboxEntry, say: Say) -> int:
        channel = c.channels[say.channel]
        assert isinstance(channel, SandboxChannel)
        await channel.receive(entry.address, say.text, c.inbound,
                              subject="Re: your account" if say.channel is ChannelKind.EMAIL
                              else None)
        self._inbound += 1
        return 1

    # ------------------------------------------------------------------ payments
    def _pay(self, c: Container, workdir: Path) -> None:
        """Import the payments whose time has come (kept promises, claims, silent payers)."""
        now = c.clock.now()
        pr, ca = PromiseRow.__table__, CaseRow.__table__  # type: ignore[attr-defined]
        with c.engine.connect() as conn:
            open_cases = {r[0]: r[1:] for r in conn.execute(
                select(ca.c.id, ca.c.account_id, ca.c.balance_minor, ca.c.currency,
                       ca.c.timezone).where(ca.c.status.in_(OPEN)))}
            pending = conn.execute(select(pr.c.case_id, pr.c.ref, pr.c.amount_minor,
                                          pr.c.paid_minor, pr.c.due)
                                   .where(pr.c.status == "pending", pr.c.due.is_not(None))
                                   .order_by(pr.c.case_id, pr.c.due)).all()
        rows: list[tuple[str, int, str, datetime]] = []
        paying: dict[int, int] = {}

        def pay(case_id: int, amount: int | None, ref: str) -> None:
            if case_id not in open_cases or ref in self._paid_refs:
                return
            account, balance, currency, _ = open_cases[case_id]
            left = balance - paying.get(case_id, 0)
            value = min(left, amount) if amount is not None else left
            if value <= 0:
                return
            paying[case_id] = paying.get(case_id, 0) + value
            self._paid_refs.add(ref)
            rows.append((account, value, currency, now))

        for case_id, ref, amount, paid, due in pending:
            customer = self._customers.get(case_id)
            if customer is None or case_id not in open_cases:
                continue
            local_today = now.astimezone(zone_of(open_cases[case_id][3])).date()
            if due <= local_today and customer.will_keep(ref):
                pay(case_id, (amount - paid) if amount is not None else None,
                    f"{customer.account_id}:{ref}")
        for case_id, customer in self._customers.items():
            if customer.claim_pay_on is not None and case_id in open_cases:
                local_today = now.astimezone(zone_of(open_cases[case_id][3])).date()
                if customer.claim_pay_on <= local_today:
                    pay(case_id, customer.minimum_minor,
                        f"{customer.account_id}:claim:{customer.claim_pay_on}")
                    customer.claim_pay_on = None
        later = []
        for case_id, action in self._payments:
            if action.at <= now:
                pay(case_id, action.amount_minor,
                    f"{self._customers[case_id].account_id}:{action.at.isoformat()}")
            else:
                later.append((case_id, action))
        self._payments = later
        if not rows:
            return
        path = workdir / "payments.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["account_id", "amount", "paid_at", "reference"])
            for i, (account, value, currency, at) in enumerate(rows):
                w.writerow([account, from_minor(value, currency), at.isoformat(),
                            f"SIM-{at:%Y%m%d%H%M}-{i}-{account}"])
        report = import_payments(path, c.uow(), skip_invalid=True)
        self._payments_made += report.applied


# ---------------------------------------------------------------------------- outcomes
def outcomes(engine: Engine, now: datetime) -> tuple[dict[tuple[str, str], Outcome], Outcome]:
    """Per (step, variant) outcomes, last-touch attributed, and the totals."""
    ms, pr, ev, pa, ca = (MessageRow.__table__, PromiseRow.__table__,  # type: ignore[attr-defined]
                          CaseEventRow.__table__, PaymentRow.__table__,  # type: ignore[attr-defined]
                          CaseRow.__table__)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        sent = conn.execute(
            select(ms.c.case_id, ms.c.sent_at, ms.c.step_id, ms.c.variant)
            .where(ms.c.direction == "out", ms.c.step_id.is_not(None),
                   ms.c.status.in_(["sent", "delivered"]))
            .order_by(ms.c.case_id, ms.c.sent_at, ms.c.id)).all()
        inbound = conn.execute(select(ms.c.case_id, ms.c.created_at, ms.c.intent).where(
            ms.c.direction == "in", ms.c.case_id.is_not(None))).all()
        promises = conn.execute(select(pr.c.case_id, pr.c.made_at, pr.c.due, pr.c.status)
                                .order_by(pr.c.case_id, pr.c.due)).all()
        opt_outs = conn.execute(select(ev.c.case_id, ev.c.at).where(
            ev.c.type == "OptedOut")).all()
        cases = {r[0]: r[1:] for r in conn.execute(select(
            ca.c.id, ca.c.status, ca.c.due_date, ca.c.balance_minor,
            ca.c.minimum_payment_minor))}
        payments: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for case_id, paid_at, amount in conn.execute(
                select(pa.c.case_id, pa.c.paid_at, pa.c.amount_minor).order_by(pa.c.paid_at)):
            payments[case_id].append((ensure_utc(paid_at), amount))

    touches: dict[int, list[tuple[datetime, tuple[str, str]]]] = defaultdict(list)
    by_step: dict[tuple[str, str], Outcome] = defaultdict(Outcome)
    for case_id, sent_at, step, variant in sent:
        key = (step, variant or "-")
        touches[case_id].append((ensure_utc(sent_at), key))
        by_step[key].contacts += 1

    def last_touch(case_id: int, at: datetime) -> tuple[str, str]:
        before = [k for t, k in touches.get(case_id, []) if t <= at]
        return before[-1] if before else ("(no campaign message)", "-")

    answered: set[tuple[int, int]] = set()  # (case, index of the message answered)
    for case_id, at, intent in inbound:
        at = ensure_utc(at)
        if intent == "wrong_party":
            continue
        idx = [i for i, (t, _) in enumerate(touches.get(case_id, [])) if t <= at]
        if idx and (case_id, idx[-1]) not in answered:
            answered.add((case_id, idx[-1]))
            by_step[touches[case_id][idx[-1]][1]].right_party += 1

    events: dict[tuple[int, datetime], list[tuple[date | None, str]]] = defaultdict(list)
    for case_id, made_at, due, status in promises:
        if made_at is not None:
            events[(case_id, ensure_utc(made_at))].append((due, status))
    for (case_id, made_at), terms in events.items():
        outcome = by_step[last_touch(case_id, made_at)]
        outcome.promises += 1
        first = min(terms, key=lambda t: (t[0] or date.max))
        if first[1] == "kept":
            outcome.kept += 1

    for case_id, at in opt_outs:
        by_step[last_touch(case_id, ensure_utc(at))].opt_outs += 1

    for case_id, (status, due_date, balance, minimum) in cases.items():
        cure = _cured_at(status, due_date, balance, minimum, payments.get(case_id, []))
        if cure is not None:
            by_step[last_touch(case_id, cure)].cures += 1

    total = Outcome()
    for outcome in by_step.values():
        total.add(outcome)
    return dict(by_step), total


def _cured_at(status: str, due_date: date, balance: int, minimum: int | None,
              paid: list[tuple[datetime, int]]) -> datetime | None:
    """When the arrears were paid (the payment that covered them), if they were."""
    if not paid:
        return None
    if status == CaseStatus.CLOSED_PAID.value:
        return paid[-1][0]
    if not minimum:
        return None
    total = 0
    for at, amount in paid:
        if at.date() >= due_date:
            total += amount
            if total >= minimum:
                return at
    return None


def render_table(result: SimulationResult) -> Any:
    """A rich table of the per-step outcomes."""
    from rich.table import Table

    table = Table(title=f"campaign outcomes: {result.cases} cases over {result.days} days "
                        f"(seed {result.seed}; last-touch attribution)")
    for col in ("step", "variant", "contacts", "right-party", "promises", "kept", "cures",
                "opt-outs"):
        table.add_column(col, justify="left" if col in ("step", "variant") else "right")

    def order(key: tuple[str, str]) -> tuple[int, str, str]:
        return (1 if key[0].startswith("(") else 0, key[0], key[1])

    for key in sorted(result.by_step, key=order):
        o = result.by_step[key]
        table.add_row(key[0], key[1], str(o.contacts), _rate(o.right_party, o.contacts),
                      str(o.promises), _rate(o.kept, o.promises), str(o.cures),
                      str(o.opt_outs))
    t = result.total
    table.add_row("[bold]total[/bold]", "", str(t.contacts), _rate(t.right_party, t.contacts),
                  str(t.promises), _rate(t.kept, t.promises), str(t.cures), str(t.opt_outs))
    return table


def _rate(n: int, of: int) -> str:
    return f"{n} ({n / of:.0%})" if of else str(n)
