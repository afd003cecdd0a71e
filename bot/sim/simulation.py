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

The campaign files are imported into the simulation's database and activated, as an
operator would. At the end the outcomes are reported by :mod:`bot.services.reports`, the
same report ``duebot report`` prints on that database (``--db`` keeps it).

Deterministic for a seed: the portfolio, the customers' behaviour and the clock are.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.bootstrap import Container, bootstrap, memory_sandbox_store
from bot.domain.case import Case
from bot.domain.clock import FixedClock, ensure_utc
from bot.domain.messages import ChannelKind
from bot.domain.money import from_minor
from bot.services.case_upkeep import break_overdue_promises, update_days_past_due
from bot.services.dispatch import DispatchStats
from bot.services.importing import ImportDefaults, import_cases, import_payments
from bot.services.planning import PlanningService
from bot.services.ports import Direction, SandboxEntry, SandboxStore
from bot.services.reporting import campaign_report
from bot.services.reports import Counts, Report
from bot.services.roles import operator
from bot.settings import Settings
from bot.sim.customers import CAMPAIGN, Customer, Pay, Say
from bot.sim.portfolio import write_portfolio

log = logging.getLogger("duebot.simulate")

START = date(2026, 12, 1)
TICK_HOURS_UTC = (1, 14)
ANSWER_ROUNDS = 3
#: share of phone numbers the sandbox refuses as invalid (a permanent failure: fallback)
INVALID_PHONES = 0.03
SHIPPED_CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"
Progress = Callable[[int, int], None]
#: who the simulation acts as (it imports, approves and activates its own campaigns)
SIMULATOR = operator("simulate")


class SimulationError(RuntimeError):
    """The simulation cannot run as asked (the database file exists, no campaigns...)."""


@dataclass
class SimulationResult:
    days: int
    cases: int
    seed: int
    report: Report
    dispatch: DispatchStats
    inbound: int
    payments: int
    database: str
    #: the console accounts made in a kept database (``--db``): user name -> password,
    #: shown once
    accounts: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> Counts:
        return self.report.total

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
        base = self.settings or Settings()
        settings = base.model_copy(update={"database_url": f"sqlite:///{db_path}"})
        clock = FixedClock(datetime.combine(self.start, time(0), UTC))
        store = memory_sandbox_store()
        c = bootstrap(settings, clock=clock, sandbox_store=store, sandbox_only=True)
        try:
            c.migrate()
            path = write_portfolio(workdir / "portfolio.csv", self.cases, self.seed,
                                   self.start)
            with path.open("rb") as source:
                import_cases(source, str(path), c.uow(),
                             ImportDefaults(settings.default_region, settings.default_timezone,
                                            settings.default_language))
            self._load_customers(c)
            c.sandbox_rules = {ChannelKind.SMS: {"rejects": [
                cu.addresses[ChannelKind.SMS] for cu in self._customers.values()
                if ChannelKind.SMS in cu.addresses and cu.rng.random() < INVALID_PHONES]}}
            self._activate_campaigns(c, campaign_dir(settings))
            planning = c.planning()
            planning.refresh_campaigns()
            if not len(planning.campaigns):
                raise SimulationError("no enabled campaign to simulate")
            stats = DispatchStats()
            for day in range(self.days):
                midnight = datetime.combine(self.start + timedelta(days=day), time(0), UTC)
                for hour in TICK_HOURS_UTC:
                    clock.set(midnight + timedelta(hours=hour))
                    await self._step(c, planning, store, stats)
                if self.progress is not None:
                    self.progress(day + 1, self.days)
            clock.set(datetime.combine(self.start + timedelta(days=self.days), time(0), UTC))
            self._pay(c)
            report = campaign_report(c.outcome_source, c.campaign_admin, SIMULATOR)
            accounts: dict[str, str] = {}
            if self.db_path is not None:  # kept: the console can open it
                keep_sandbox(c, store)
                accounts = demo_accounts(c)
            return SimulationResult(self.days, self.cases, self.seed, report, stats,
                                    self._inbound, self._payments_made,
                                    str(db_path) if self.db_path else "(temporary)",
                                    accounts)
        finally:
            c.close()

    @staticmethod
    def _activate_campaigns(c: Container, directory: Path) -> None:
        """The campaign files as versions in the simulation's database, approved and
        active (the simulation is its own operator)."""
        admin = c.campaign_admin
        for imported in admin.import_documents(SIMULATOR, c.campaign_documents([directory])):
            admin.approve(SIMULATOR, imported.campaign_id, imported.version, activate=True)

    async def _step(self, c: Container, planning: PlanningService, store: SandboxStore,
                    stats: DispatchStats) -> None:
        clock = c.clock
        assert isinstance(clock, FixedClock)
        self._pay(c)
        now = clock.now()
        update_days_past_due(c.maintenance, now)
        break_overdue_promises(c.maintenance, c.uow, now)
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
    def _open_cases(self, c: Container) -> list[Case]:
        return [b.case for batch in c.plan_store.stream_open_cases(batch_size=1000)
                for b in batch]

    def _load_customers(self, c: Container) -> None:
        with c.uow() as uow:
            for case in self._open_cases(c):
                assert case.id is not None and case.customer_id is not None
                identity = uow.customers.identity(case.customer_id)
                addresses: dict[ChannelKind, str] = {}
                for cp in case.contacts:
                    addresses.setdefault(cp.channel, cp.address)
                self._customers[case.id] = Customer.create(
                    self.seed, account_id=case.account_id, case_id=case.id,
                    language=case.language, currency=case.currency,
                    balance_minor=case.balance_minor, minimum_minor=case.minimum_payment_minor,
                    segment=case.segment,
                    date_of_birth=identity.date_of_birth if identity else None,
                    addresses=addresses)

    async def _customers_read(self, c: Container, store: SandboxStore) -> int:
        """Customers read what was delivered since they last looked; returns answers sent."""
        entries = store.list()
        new = [e for e in entries[self._seen:] if e.direction is Direction.OUT]
        self._seen = len(entries)
        if not new:
            return 0
        now = c.clock.now()
        seen: list[tuple[SandboxEntry, int, str | None, datetime, str | None]] = []
        with c.uow() as uow:  # read before anyone answers, as customers read their phones
            for entry in new:
                sent = uow.messages.outbound_by_provider_id(entry.channel, entry.provider_id)
                if sent is None or sent.case_id is None or sent.case_id not in self._customers:
                    continue
                case = uow.cases.get_by_id(sent.case_id)
                conv = uow.conversations.get(sent.case_id)
                state = conv.state.value if conv is not None else None
                if conv is not None and conv.expires_at is not None \
                        and ensure_utc(conv.expires_at) <= now:
                    state = None  # the question lapsed
                zone = _zone(case.timezone if case else "UTC")
                seen.append((entry, sent.case_id, sent.step_id, now.astimezone(zone), state))
        said = 0
        for entry, case_id, step, local_now, state in seen:
            customer = self._customers[case_id]
            for action in customer.read(CAMPAIGN if step else "reply", entry.channel,
                                        local_now, state):
                if isinstance(action, Pay):
                    self._payments.append((case_id, action))
                    continue
                said += await self._say(c, entry, action)
        return said

    async def _say(self, c: Container, entry: SandboxEntry, say: Say) -> int:
        phone = c.sandbox_phone(say.channel)
        assert phone is not None
        await phone.receive(entry.address, say.text, c.inbound,
                            subject="Re: your account" if say.channel is ChannelKind.EMAIL
                            else None)
        self._inbound += 1
        return 1

    # ------------------------------------------------------------------ payments
    def _pay(self, c: Container) -> None:
        """Import the payments whose time has come (kept promises, claims, silent payers)."""
        now = c.clock.now()
        cases = self._open_cases(c)
        open_cases = {cs.id: (cs.account_id, cs.balance_minor, cs.currency, cs.timezone)
                      for cs in cases if cs.id is not None}
        pending = sorted(((cs.id or 0, p.ref, p.amount_minor, p.paid_minor, p.due)
                          for cs in cases for p in cs.promises
                          if p.status.value == "pending" and p.due is not None),
                         key=lambda r: (r[0], r[4]))
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
            local_today = now.astimezone(_zone(open_cases[case_id][3])).date()
            if due <= local_today and customer.will_keep(ref):
                pay(case_id, (amount - paid) if amount is not None else None,
                    f"{customer.account_id}:{ref}")
        for case_id, customer in self._customers.items():
            if customer.claim_pay_on is not None and case_id in open_cases:
                local_today = now.astimezone(_zone(open_cases[case_id][3])).date()
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
        text = io.StringIO(newline="")
        w = csv.writer(text)
        w.writerow(["account_id", "amount", "paid_at", "reference"])
        for i, (account, value, currency, at) in enumerate(rows):
            w.writerow([account, from_minor(value, currency), at.isoformat(),
                        f"SIM-{at:%Y%m%d%H%M}-{i}-{account}"])
        report = import_payments(io.BytesIO(text.getvalue().encode()), "payments.csv", c.uow(),
                                 skip_invalid=True)
        self._payments_made += report.applied


#: the console accounts a kept simulation database gets, and their roles
DEMO_ACCOUNTS = (("demo-admin", "admin"), ("demo-supervisor", "supervisor"),
                 ("demo-collector", "collector"))


def demo_accounts(c: Container) -> dict[str, str]:
    """Console accounts on the simulation's database, each with a new random password
    (returned once; stored only as a hash), so ``duebot serve`` on it can be signed in."""
    import secrets

    from bot.services.users import add_user

    made = {}
    for name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        add_user(c.uow(), name, role, password, actor=SIMULATOR)
        made[name] = password
    return made


def keep_sandbox(c: Container, store: SandboxStore) -> None:
    """What the sandbox delivered and heard, into the database's sandbox table (the
    console's sandbox phone and ``duebot sandbox inbox`` read it there)."""
    kept = c.database_sandbox_store()
    for entry in store.list():
        kept.append(entry)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def render_table(result: SimulationResult) -> Any:
    """The outcomes table: the same as ``duebot report`` prints for the run's database."""
    from bot.services.report_formats import report_table

    return report_table(result.report, title=(
        f"campaign outcomes: {result.cases} cases over {result.days} days (seed "
        f"{result.seed}; last-touch attribution)"))
