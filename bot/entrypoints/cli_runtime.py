"""CLI commands for planning and running: ``plan``, ``run``, ``scheduler``, ``worker``,
``serve``, ``receive``, ``simulate`` and ``sandbox inbox|reply``.

``register(app)`` adds them to the main ``duebot`` application; ``app`` here is the same
set as a Typer app of its own (tests, embedding).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from bot.domain.messages import ChannelKind

CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(help="Planning, runners and the simulation.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False,
                  context_settings=CONTEXT)
sandbox_app = typer.Typer(help="Play the customer on the sandbox channel.",
                          no_args_is_help=True, context_settings=CONTEXT)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class RuntimeMistake(Exception):
    """A problem the user can fix; printed without a traceback."""


@contextmanager
def _errors() -> Iterator[None]:
    """:func:`~bot.entrypoints.cli_errors.user_errors`, and the runners' and the
    simulation's refusals; their classes are imported only when something went wrong
    (importing the runners or the simulation costs a command's start)."""
    from bot.entrypoints.cli_errors import user_errors

    with user_errors():
        try:
            yield
        except RuntimeMistake as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            from bot.campaigns.parsing import CampaignError
            from bot.entrypoints.runners import RunnerError
            from bot.services.ports import ChannelConfigError
            from bot.sim.simulation import SimulationError

            if isinstance(exc, CampaignError):
                err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
                raise typer.Exit(1) from None
            if isinstance(exc, RunnerError | SimulationError | ChannelConfigError):
                err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
                raise typer.Exit(1) from None
            raise


def _container(base: Any = None, *, quick: bool = False, **overrides: Any) -> Any:
    """The application over the checked settings (``base``, or read now; ``overrides``:
    settings given as options, e.g. ``--host``), with the schema at the latest revision.
    ``quick``: a command that runs once and exits reads the settings without
    pydantic-settings (the same values and errors, :func:`cli_context.reading_settings`)."""
    from bot.bootstrap import bootstrap
    from bot.entrypoints.cli_context import reading_settings, require_schema, settings

    s = base if base is not None else reading_settings() if quick else settings()
    if overrides:
        s = s.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    c = bootstrap(s)
    require_schema(c)
    return c


def _logging(level: int | None = None, settings: Any = None) -> Any:
    """Configure logging from ``DUEBOT_LOG_LEVEL`` and ``DUEBOT_LOG_FORMAT`` (``level``
    overrides the first); returns the settings read."""
    from bot.entrypoints.cli_context import settings as checked_settings
    from bot.entrypoints.log_setup import configure_logging

    settings = settings or checked_settings()
    try:
        configure_logging(logging.getLevelName(level) if level is not None
                          else settings.log_level, settings.log_format)
    except ValueError as exc:
        raise RuntimeMistake(str(exc)) from None
    return settings


# ---------------------------------------------------------------------------- plan
def plan_cmd(
    on_date: Annotated[str | None, typer.Option(
        "--date", help="YYYY-MM-DD: plan each case as of noon that day in its own timezone "
                       "(default: now)")] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="every reason, the risk score and the next possible time")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N open cases")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per case")] = False,
    account: Annotated[str | None, typer.Option(
        "--account", "-a", help="only this case (with --explain: which campaign and why)")]
    = None,
    drafts: Annotated[bool, typer.Option(
        "--drafts", help="plan with each campaign's latest version, approved or not (what "
                         "approving would do); default: the active versions")] = False,
) -> None:
    """Dry run: who would be contacted by which step, variant, channel and template, and
    who not, with the reasons. Nothing is sent and nothing is written."""
    from bot.campaigns.risk import assess
    from bot.policy.engine import local_date

    with _errors():
        day = None
        if on_date is not None:
            try:
                day = date.fromisoformat(on_date)
            except ValueError:
                raise RuntimeMistake(f"--date must be YYYY-MM-DD, got {on_date!r}") from None
        c = _container()
        planning = c.planning(drafts=drafts)
        planning.refresh_campaigns()
        if not len(planning.campaigns) and not as_json:
            err.print("no active campaign: nothing would be sent"
                      + ("" if drafts else " (--drafts: plan with the imported drafts)"))
        summary = PlanSummary()
        if not as_json and not explain:
            out.print(f"{'account':<16} {'action':<6} {'step':<24} {'channel':<9} "
                      f"{'to / why not':<28} template", style="bold", highlight=False)
        plans = planning.plans(on_date=day, limit=limit) if account is None else \
            _one_plan(c, planning, account, day)
        for plan in plans:
            summary.add(plan)
            case = plan.case
            if as_json:
                today = local_date(case, plan.now)
                risk = assess(case, today, plan.now, plan.inbound)
                sys.stdout.write(json.dumps({
                    "account_id": case.account_id, "status": case.status.value,
                    "campaign_id": plan.campaign.id if plan.campaign else None,
                    "profile": plan.campaign.profile if plan.campaign else None,
                    "at": plan.now.isoformat(), "local_date": today.isoformat(),
                    "risk": {"band": risk.band.value, "score": risk.score,
                             "source": risk.source},
                    "error": plan.error,
                    "decisions": [d.to_record() for d in plan.decisions],
                }, ensure_ascii=False) + "\n")
            elif explain:
                _explain(plan, assess(case, local_date(case, plan.now), plan.now,
                                      plan.inbound).explain(), planning.campaigns)
            else:
                _line(plan)
        if not as_json:
            summary.print()


def _one_plan(c: Any, planning: Any, account: str, day: date | None) -> list[Any]:
    from bot.services.handoff import NotFound
    from bot.services.plan_preview import case_plan

    try:
        return [case_plan(planning, c.uow, account, day)]
    except NotFound:
        raise RuntimeMistake(f"no case with account id {account!r}") from None


def _line(plan: Any) -> None:
    account = plan.case.account_id
    if plan.error:
        out.print(f"{account:<16} ERROR  {plan.error}", highlight=False)
        return
    if not plan.decisions:
        why = "no campaign" if plan.campaign is None else "nothing due"
        out.print(f"{account:<16} {'-':<6} {'':<24} {'':<9} {why}", highlight=False)
        return
    for d in plan.decisions:
        step = d.step_id + (f" {d.variant}" if d.variant else "") if d.step_id else ""
        if d.action.value == "legal_review":
            action = "LEGAL" if d.allowed else "DENY"
            rest = "" if d.allowed else ", ".join(dict.fromkeys(r.code.value for r in d.reasons))
            out.print(f"{account:<16} {action:<6} {step:<24} {'':<9} {rest}", highlight=False)
        elif d.allowed:
            out.print(f"{account:<16} {'SEND':<6} {step:<24} {d.channel or '':<9} "
                      f"{d.masked_address or '':<28} {d.template_id}", highlight=False)
        else:
            codes = ", ".join(dict.fromkeys(r.code.value for r in d.reasons))
            out.print(f"{account:<16} {'DENY':<6} {step:<24} {'':<9} {codes}",
                      highlight=False)


def _explain(plan: Any, risk: str, book: Any) -> None:
    case = plan.case
    campaign = plan.campaign.id if plan.campaign else "(none)"
    profile = plan.campaign.profile if plan.campaign else "(none)"
    out.print(f"[bold]{case.account_id}[/bold]  {case.status}  dpd "
              f"{case.compute_days_past_due(plan.now.astimezone(_zone(case)).date())}  "
              f"tz {case.timezone}  campaign {campaign}  profile {profile}  "
              f"at {plan.now.isoformat()}", highlight=False)
    for candidate, unmet in book.explain(case):
        verdict = "takes it" if candidate is plan.campaign else (
            "; ".join(unmet) if unmet else "matches, but an earlier campaign takes it")
        out.print(f"  campaign {candidate.id} ({candidate.assign.describe()}): {verdict}",
                  highlight=False, markup=False)
    out.print(f"  {risk}", highlight=False)
    if plan.error:
        out.print(f"  ERROR {plan.error}", highlight=False)
    elif not plan.decisions:
        out.print("  nothing due" if plan.campaign else "  no enabled campaign",
                  highlight=False)
    for d in plan.decisions:
        for line in d.explain().splitlines():
            out.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)


def _zone(case: Any) -> Any:
    from bot.policy.engine import case_zone

    return case_zone(case)


class PlanSummary:
    """Counts for the end of ``duebot plan``."""

    def __init__(self) -> None:
        self.cases = self.send = self.legal = self.denied = self.nothing = self.errors = 0
        self.by_step: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()

    def add(self, plan: Any) -> None:
        self.cases += 1
        if plan.error:
            self.errors += 1
        chosen = plan.chosen
        if chosen is None:
            if plan.decisions:
                self.denied += 1
                for d in plan.decisions:
                    self.reasons.update(list(dict.fromkeys(r.code.value for r in d.reasons)))
            elif not plan.error:
                self.nothing += 1
        elif chosen.action.value == "legal_review":
            self.legal += 1
        else:
            self.send += 1
            key = f"{chosen.step_id}{' ' + chosen.variant if chosen.variant else ''}" \
                  f" via {chosen.channel}"
            self.by_step[key] += 1

    def print(self) -> None:
        out.print(f"\n{self.cases} open cases: {self.send} would get a message, "
                  f"{self.legal} would go to legal review, {self.denied} denied, "
                  f"{self.nothing} with nothing due"
                  + (f", {self.errors} errors" if self.errors else ""), highlight=False)
        if self.by_step:
            out.print("messages: " + ", ".join(f"{k} {n}" for k, n in
                                               sorted(self.by_step.items())), highlight=False)
        if self.reasons:
            out.print("denied because: " + ", ".join(f"{k} {n}" for k, n in
                                                     self.reasons.most_common()),
                      highlight=False)
        out.print("dry run: nothing was sent or recorded", style="dim")


# ---------------------------------------------------------------------------- runners
PlanWorkers = Annotated[int | None, typer.Option(
    "--plan-workers", min=0,
    help="processes planning the tick in parallel; 0: one per CPU core for a large "
         "portfolio (default DUEBOT_PLAN_WORKERS)")]


Host = Annotated[str | None, typer.Option("--host", help="listen address (DUEBOT_HOST)")]
Port = Annotated[int | None, typer.Option("--port", min=1, max=65535,
                                          help="listen port (DUEBOT_PORT)")]
Receive = Annotated[bool, typer.Option(
    "--receive/--no-receive",
    help="while leading, also run the receivers (SMTP listener, IMAP poller, Telegram) "
         "unless a `duebot receive` process holds them")]


def _run(host: str | None = None, port: int | None = None, **components: Any) -> None:
    from bot.bootstrap import secret_key_problem
    from bot.entrypoints.cli_context import settings as checked_settings
    from bot.entrypoints.runners import run_components
    from bot.entrypoints.startup_checks import PLANNING, SENDING, check, problems

    areas = PLANNING if components.get("scheduler") else \
        SENDING if components.get("worker") else ()

    async def main(c: Any) -> None:
        if areas:  # before anything is queued or sent
            bad = problems(await check(c, areas))
            if bad:
                more = f" (and {len(bad) - 1} more: see `duebot check`)" if len(bad) > 1 \
                    else ""
                raise RuntimeMistake(f"cannot start, nothing was queued or sent: {bad[0]}"
                                     f"{more}")
        _logging(settings=c.settings)  # after the checks: a refusal is one line, no more
        await run_components(c, metrics_port=c.settings.metrics_port, **components)

    with _errors():
        settings = checked_settings()
        problem = secret_key_problem(settings)  # before the database is even opened
        if problem is not None:
            raise RuntimeMistake(problem)
        c = _container(settings, host=host, port=port)
        if components.get("plan_workers", 0) is None:
            components["plan_workers"] = c.settings.plan_workers
        asyncio.run(main(c))


def run_cmd(plan_workers: PlanWorkers = None, host: Host = None, port: Port = None) -> None:
    """Scheduler, dispatch worker, web server and receivers in one process (the embedded
    default). Only active campaigns plan and send (`duebot campaigns list`)."""
    _run(host, port, scheduler=True, worker=True, web=True, receive=True,
         plan_workers=plan_workers)


def scheduler_cmd(plan_workers: PlanWorkers = None, receive: Receive = True) -> None:
    """The planning tick and the daily jobs: one leads, others stand by and take over
    when it dies (PostgreSQL)."""
    _run(scheduler=True, receive=receive, plan_workers=plan_workers)


def worker_cmd() -> None:
    """Send due outbox messages (several on PostgreSQL; one on SQLite)."""
    _run(worker=True)


def serve_cmd(host: Host = None, port: Port = None, workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="web server processes sharing the port (each with its own database pool); "
             "about one per CPU core")] = 1) -> None:
    """The web server: provider webhooks, the web console (/), the API (docs at
    /api/docs), /healthz, /readyz, /metrics (stateless: several may run behind a proxy)."""
    if workers == 1:
        _run(host, port, web=True)
        return
    from bot.bootstrap import secret_key_problem
    from bot.entrypoints.cli_context import settings as checked_settings
    from bot.entrypoints.runners import serve_in_processes

    with _errors():
        s = checked_settings()
        problem = secret_key_problem(s)
        if problem is not None:
            raise RuntimeMistake(problem)

        def child(sock: Any) -> int:
            try:
                _run(host, port, web=True, sock=sock)
            except typer.Exit as exc:
                return int(exc.exit_code or 0)
            return 0

        code = serve_in_processes(workers, host or s.host, port or s.port, child)
    if code:
        raise typer.Exit(code)


def receive_cmd() -> None:
    """The receivers (SMTP listener, IMAP poller, Telegram polling or webhook set-up):
    one leads, others stand by."""
    _run(receive=True)


def check_cmd() -> None:
    """Check the settings, the database, the campaigns, the templates and every
    configured channel's credentials (with the provider, sending nothing); print each
    finding and exit 1 on any problem."""
    from bot.bootstrap import bootstrap
    from bot.entrypoints.startup_checks import check, problems

    with _errors():
        _logging(logging.WARNING)
        findings = asyncio.run(check(bootstrap()))
        for f in findings:
            mark = "[green]ok[/green]  " if f.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {escape(f.area)}: {escape(f.message)}", highlight=False)
        bad = problems(findings)
        if bad:
            err.print(f"[red]{len(bad)} problem{'s' if len(bad) != 1 else ''}[/red]")
            raise typer.Exit(1)
        out.print("[green]ready[/green]")


# ---------------------------------------------------------------------------- simulate
def simulate_cmd(
    days: Annotated[int, typer.Option(min=1, max=3650, help="simulated days")] = 60,
    cases: Annotated[int, typer.Option(min=1, max=1_000_000, help="synthetic cases")] = 300,
    seed: Annotated[int, typer.Option(help="same seed, same run")] = 7,
    db: Annotated[Path | None, typer.Option(
        help="keep the simulation database here (a new file; `duebot report` on it prints "
             "the same numbers); default: a temporary one")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the report and the run's "
                                                         "figures as JSON")] = False,
) -> None:
    """Run the campaigns over a synthetic portfolio on a simulated clock (sandbox channel,
    its own SQLite database: your configured database is never touched) and print the
    outcomes per step and variant, as `duebot report` does."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bot.entrypoints.cli_context import settings
    from bot.sim.simulation import Simulation, render_table

    with _errors():
        _logging(logging.WARNING)
        progress = Progress("simulating", BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=err, transient=True,
                            disable=not err.is_terminal)
        with progress:
            task = progress.add_task("days", total=days)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done)

            sim = Simulation(days=days, cases=cases, seed=seed, db_path=db,
                             settings=settings(), progress=advance)
            result = asyncio.run(sim.run())
        d = result.dispatch
        if as_json:
            sys.stdout.write(json.dumps({
                "days": days, "cases": cases, "seed": seed,
                "report": result.report.as_dict(),
                "dispatch": {k: getattr(d, k) for k in d.__dataclass_fields__},
                "customer_messages": result.inbound, "payments": result.payments,
                "database": result.database, "accounts": result.accounts}, indent=2) + "\n")
            return
        console = Console(width=max(out.width, 200)) if not out.is_terminal else out
        console.print(render_table(result))
        console.print(f"messages sent {d.sent}, failed {d.failed} (fallbacks {d.fallbacks}), "
                      f"suppressed at send time {d.suppressed}; customer messages "
                      f"{result.inbound}; payments {result.payments}; database "
                      f"{result.database}", highlight=False)
        if result.accounts:
            console.print("console accounts on that database (shown once): "
                          + ", ".join(f"{name} / {password}"
                                      for name, password in result.accounts.items())
                          + f"; `DUEBOT_DATABASE_URL=sqlite:///{result.database} duebot "
                            "serve`, then http://127.0.0.1:8000/", highlight=False)
        sys.stdout.flush()
        print(result.line(), flush=True)


# ---------------------------------------------------------------------------- sandbox
def _case_addresses(c: Any, account: str) -> dict[Any, str]:
    with c.uow() as uow:
        case = uow.cases.get(account)
        if case is None:
            raise RuntimeMistake(f"no case with account id {account!r}")
        return {cp.channel: cp.address for cp in case.contacts}


@sandbox_app.command("inbox")
def sandbox_inbox(
    account: Annotated[str | None, typer.Option(
        "--account", "-a", help="only this case's addresses")] = None,
    limit: Annotated[int, typer.Option(min=1, help="the last N messages")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """What the sandbox delivered to customers (and what they answered), oldest first."""
    from bot.domain.contacts import mask_address

    with _errors():
        c = _container()
        addresses = set(_case_addresses(c, account).values()) if account else None
        entries = [e for e in c.sandbox_store.list()
                   if addresses is None or e.address in addresses][-limit:]
        if as_json:
            sys.stdout.write(json.dumps([
                {"at": e.at.isoformat(), "channel": e.channel.value,
                 "direction": e.direction.value, "address": mask_address(e.address),
                 "subject": e.subject, "body": e.body} for e in entries],
                ensure_ascii=False, indent=2) + "\n")
            return
        if not entries:
            out.print("the sandbox is empty" + (f" for {account}" if account else ""))
            return
        for e in entries:
            arrow = "bot →" if e.direction.value == "out" else "→ bot"
            out.print(f"[dim]{e.at:%Y-%m-%d %H:%M}[/dim] {e.channel.value:<8} {arrow} "
                      f"{mask_address(e.address)}"
                      + (f"  [bold]{e.subject}[/bold]" if e.subject else ""), highlight=False)
            for line in e.body.splitlines() or [""]:
                out.print(f"    {line}", highlight=False, soft_wrap=True)


@sandbox_app.command("reply")
def sandbox_reply(
    text: Annotated[str, typer.Argument(help="what the customer writes")],
    account: Annotated[str, typer.Option("--account", "-a",
                                         help="the case whose customer answers")],
    channel: Annotated[ChannelKind, typer.Option(help="sms, email or telegram")]
    = ChannelKind.SMS,
    send_now: Annotated[bool, typer.Option(
        "--send-now", help="also send the bot's queued answer now (needs no worker running "
                           "on SQLite)")] = False,
) -> None:
    """Answer as the customer of --account; the bot handles it like a real inbound message."""
    from bot.entrypoints.locks import singleton
    from channels.sandbox import SandboxChannel

    with _errors():
        kind = channel
        c = _container(quick=True)
        address = _case_addresses(c, account).get(kind)
        if address is None:
            raise RuntimeMistake(f"case {account} has no {kind} contact point")
        sandbox = c.channels.get(kind)
        if not isinstance(sandbox, SandboxChannel):
            raise RuntimeMistake(f"{kind} goes through a real provider here, not the sandbox")

        async def go() -> None:
            result = await sandbox.receive(address, text, c.inbound)
            for reply in result.replies:
                out.print(f"bot (in-band): {reply}", highlight=False)
            if send_now:
                sqlite = c.engine.dialect.name == "sqlite"
                if sqlite:
                    with singleton(c.engine, "worker", "worker (SQLite allows one)"):
                        stats = await c.dispatcher.drain(limit=c.settings.worker_batch)
                else:
                    stats = await c.dispatcher.drain(limit=c.settings.worker_batch)
                out.print(f"sent {stats.sent} queued message(s)")

        asyncio.run(go())
        out.print("delivered; see the answer with `duebot sandbox inbox --account "
                  f"{account}`" + ("" if send_now else " once a worker has sent it"))


# ---------------------------------------------------------------------------- wiring
COMMANDS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("plan", plan_cmd),
    ("run", run_cmd),
    ("scheduler", scheduler_cmd),
    ("worker", worker_cmd),
    ("serve", serve_cmd),
    ("receive", receive_cmd),
    ("check", check_cmd),
    ("simulate", simulate_cmd),
)


def register(main: typer.Typer) -> None:
    """Add ``plan``, ``run``, ``scheduler``, ``worker``, ``serve``, ``receive``,
    ``simulate`` and the ``sandbox`` group to the main ``duebot`` app."""
    for name, fn in COMMANDS:
        main.command(name)(fn)
    main.add_typer(sandbox_app, name="sandbox")


register(app)
