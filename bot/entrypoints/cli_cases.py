"""``duebot cases``, ``conversations``, ``queue`` and ``holds``: looking at cases and
working them from the command line, through the same use cases (and role checks) as the
API (:class:`bot.services.desk.CaseDesk`). The operator acts with full rights; ``--as``
names the person acted for (required to take, answer or release a conversation)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape
from rich.table import Table

from bot.domain.messages import ChannelKind
from bot.entrypoints.cli_app import Json, _typer, container, print_json, run
from bot.entrypoints.cli_errors import out


class DisputeOutcome(StrEnum):
    VERIFIED = "verified"
    UPHELD = "upheld"


cases_app = _typer("Look at cases and work them.")
conversations_app = _typer("Take over, answer and hand back a conversation.")
queue_app = _typer("Conversations and cases that need a person.", no_args_is_help=False)
holds_app = _typer("Holds that stop contact: set one with a reason, clear one.")

Account = Annotated[str, typer.Option("--account", "-a", help="the case's account id")]
AsUser = Annotated[str | None, typer.Option(
    "--as", envvar="DUEBOT_USER", help="the person acted for (a user name)")]
Reason = Annotated[str, typer.Option("--reason", help="why (recorded with the change)")]


def _desk(as_user: str | None, *, read_only: bool = False) -> tuple[Any, Any]:
    from bot.entrypoints.cli_context import acting

    c = container(schema=not read_only, read_only=read_only)
    return c, acting(c, as_user)


def _money(value: str | None, currency: str, locale: str) -> str:
    """A decimal amount as the customer's templates show money (Babel)."""
    if value is None:
        return ""
    from babel.numbers import format_currency

    try:
        return format_currency(Decimal(value), currency, locale=locale)
    except (InvalidOperation, ValueError):
        return f"{value} {currency}"


def _local(at: str | None, zone: ZoneInfo) -> str:
    if not at:
        return ""
    return datetime.fromisoformat(at).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


# ------------------------------------------------------------------ cases
@cases_app.command("list")
def cases_list(
    status: Annotated[list[str] | None, typer.Option(help="filter by status (repeatable)")]
    = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Json = False,
) -> None:
    """List cases, most days past due first."""
    from bot.domain.case import CaseStatus
    from bot.domain.money import from_minor

    def go() -> None:
        valid = {s.value for s in CaseStatus}
        for s in status or []:
            if s not in valid:
                raise typer.BadParameter(f"unknown status {s!r}; one of: "
                                         f"{', '.join(sorted(valid))}", param_hint="--status")
        # read only: a missing table says it (cli_errors)
        c = container(schema=False, read_only=True)
        with c.uow() as uow:
            rows = uow.cases.summaries(status, limit=limit, offset=offset)
            total = uow.cases.count(status)
        if as_json:
            print_json({"total": total, "cases": [
                {"account_id": r.account_id, "status": r.status,
                 "days_past_due": r.days_past_due,
                 "balance": str(from_minor(r.balance_minor, r.currency)),
                 "currency": r.currency, "segment": r.segment, "risk_band": r.risk_band,
                 "holds": list(r.holds)} for r in rows]})
            return
        locale = c.settings.default_language
        table = Table(title=f"{len(rows)} of {total} cases")
        for col in ("account", "status", "dpd", "balance", "segment", "risk", "holds"):
            table.add_column(col, justify="right" if col in ("dpd", "balance") else "left")
        for r in rows:
            table.add_row(escape(r.account_id), r.status, str(r.days_past_due),
                          _money(str(from_minor(r.balance_minor, r.currency)), r.currency,
                                 locale),
                          escape(r.segment or ""), escape(r.risk_band or ""),
                          ",".join(r.holds))
        out.print(table)

    run(go)


@cases_app.command("show")
def cases_show(account: Account, as_json: Json = False) -> None:
    """State, holds, the campaign it follows and why, contact points (masked), promises,
    payments, and one timeline of messages and events in the customer's local time."""
    def go() -> None:
        c, actor = _desk(None, read_only=True)
        view = c.desk.case(actor, account)
        if as_json:
            print_json(view)
            return
        render_case(view, c.settings.default_language)

    run(go)


def timeline(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages and events in one list, oldest first."""
    rows = [{"at": m["at"], "what": f"message {m['direction']} {m['channel']}",
             "who": m["to_or_from"], "detail": " · ".join(filter(None, [
                 m.get("template"), m.get("status"), m.get("intent"), m.get("body")]))}
            for m in view["messages"]]
    rows += [{"at": e["at"], "what": e["type"], "who": e["actor"],
              "detail": json.dumps(e["payload"], ensure_ascii=False) if e["payload"] else ""}
             for e in view["events"]]
    return sorted(rows, key=lambda r: r["at"] or "")


def render_case(v: dict[str, Any], locale: str) -> None:
    # every value comes from data (names, reasons, bodies): escaped, never rich markup
    try:
        zone = ZoneInfo(v["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    cur = v["currency"]
    out.print(f"[bold]{escape(v['account_id'])}[/bold]  {escape(v['customer'])}  "
              f"status [cyan]{v['status']}[/]"
              f"  balance {escape(_money(v['balance'], cur, locale))}  dpd "
              f"{v['days_past_due']} ({v['bucket']})  tz {v['timezone']}"
              + (" [yellow](ambiguous)[/]" if v["timezone_ambiguous"] else ""))
    out.print(f"profile {escape(str(v.get('profile') or '(deployment default)'))}"
              + ("  [yellow]time-barred[/]" if v.get("time_barred") else ""), highlight=False)
    if v.get("validation"):
        sent, ends = v["validation"]["notice_sent_at"], v["validation"]["period_ends"]
        out.print(f"validation notice: sent {_local(sent, zone)}, period ends {ends}" if sent
                  else "validation notice: not sent yet", highlight=False)
    if v["holds"]:
        until = v.get("breathing_space_until")
        out.print("holds: " + escape(", ".join(
            (f"{h} ({r})" if r else h) + (f" until {until}" if h == "breathing_space"
                                          and until else "")
            for h, r in v["holds"].items())))
    if v["held_by"]:
        out.print(f"conversation held by {escape(v['held_by'])}")
    if v.get("assigned_collector"):
        out.print(f"assigned to {escape(v['assigned_collector'])}")
    campaign = v.get("campaign")
    if campaign is not None:
        if campaign["id"]:
            out.print(f"campaign {escape(campaign['id'])}: takes {escape(campaign['rule'])}")
        else:
            out.print("campaign: none (no active campaign takes this case)")
        for other in campaign["considered"]:
            if other["unmet"] and other["id"] != campaign["id"]:
                out.print(f"  not {escape(other['id'])}: {escape('; '.join(other['unmet']))}")
    money_cols = {"amount", "paid"}
    for title, rows, cols in (
        ("contact points", v["contact_points"],
         ["channel", "address", "consent", "usable", "unusable_because", "verified",
          "shared"]),
        ("promises", v["promises"], ["ref", "amount", "date", "status", "paid"]),
        ("payments", v["payments"], ["reference", "amount", "paid_at"]),
        ("timeline (customer's local time)", timeline(v), ["at", "what", "who", "detail"]),
    ):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for col in cols:
            table.add_column(col)
        for r in rows:
            cells = []
            for col in cols:
                value = r[col]
                if col in money_cols:
                    cells.append(escape(_money(value, cur, locale)))
                elif col in ("at", "paid_at"):
                    cells.append(_local(value, zone))
                else:
                    cells.append(escape(str(value)) if value is not None else "")
            table.add_row(*cells)
        out.print(table)


def _act(as_user: str | None, fn: Any, done: str) -> None:
    def go() -> None:
        c, actor = _desk(as_user)
        result = fn(c.desk, actor)
        out.print(escape(done.replace("{result}", str(result))), highlight=False)

    run(go)


@cases_app.command("note")
def cases_note(account: Account, text: Annotated[str, typer.Option(help="the note")],
               who: AsUser = None) -> None:
    """Add a note to the case (kept in its events)."""
    _act(who, lambda d, a: d.add_note(a, account, text), f"{account}: note added")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=option) from None


@cases_app.command("promise")
def cases_promise(
    account: Account,
    amount: Annotated[list[str], typer.Option(help="amount in major units (repeatable)")],
    on: Annotated[list[str], typer.Option("--date", help="YYYY-MM-DD, one per --amount")],
    who: AsUser = None,
) -> None:
    """Record a promise agreed with the customer (the bot's rules apply)."""
    if len(amount) != len(on):
        raise typer.BadParameter("give one --date per --amount", param_hint="--date")
    terms: list[tuple[str | Decimal, date]] = [
        (a, _day(d, "--date")) for a, d in zip(amount, on, strict=True)]
    _act(who, lambda d, a: d.record_promise(a, account, terms),
         f"{account}: promise recorded")


@cases_app.command("plan")
def cases_plan(
    account: Account,
    count: Annotated[int, typer.Option(min=2, max=36, help="monthly instalments")],
    first_due: Annotated[str, typer.Option(help="the first instalment's date, YYYY-MM-DD")],
    who: AsUser = None,
) -> None:
    """Record a payment plan: COUNT equal monthly payments from FIRST-DUE."""
    start = _day(first_due, "--first-due")
    _act(who, lambda d, a: d.record_plan(a, account, count, start),
         f"{account}: plan of {count} payments recorded")


@cases_app.command("dispute")
def cases_dispute(account: Account, reason: Reason, who: AsUser = None) -> None:
    """Record the customer's dispute: collection pauses until it is resolved."""
    _act(who, lambda d, a: d.record_dispute(a, account, reason),
         f"{account}: dispute recorded")


@cases_app.command("resolve-dispute")
def cases_resolve(
    account: Account,
    outcome: Annotated[DisputeOutcome, typer.Option(
        help="verified: the debt stands; upheld: the customer is right (written off)")],
    who: AsUser = None,
) -> None:
    """Resolve the case's dispute (supervisor)."""
    _act(who, lambda d, a: d.resolve_dispute(a, account, outcome.value),
         f"{account}: dispute {outcome.value}")


@cases_app.command("write-off")
def cases_write_off(account: Account, reason: Reason, who: AsUser = None) -> None:
    """Close the case as written off (supervisor)."""
    _act(who, lambda d, a: d.write_off(a, account, reason), f"{account}: written off")


@cases_app.command("return")
def cases_return(account: Account, reason: Reason, who: AsUser = None) -> None:
    """Bring the case back from legal review to collection (supervisor)."""
    _act(who, lambda d, a: d.return_from_legal_review(a, account, reason),
         f"{account}: back from legal review")


@cases_app.command("reassign")
def cases_reassign(
    account: Account,
    to: Annotated[str | None, typer.Option(help="the collector (a user name)")] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="assign to nobody")] = False,
    who: AsUser = None,
) -> None:
    """Assign the case to a collector, or to nobody (supervisor)."""
    if bool(to) == nobody:
        raise typer.BadParameter("give --to USER or --nobody", param_hint="--to")
    _act(who, lambda d, a: d.reassign(a, account, to),
         f"{account}: assigned to {to or 'nobody'}")


@cases_app.command("reveal")
def cases_reveal(account: Account, reason: Reason, who: AsUser = None,
                 as_json: Json = False) -> None:
    """Show the case's contact points unmasked (audited with the reason)."""
    def go() -> None:
        c, actor = _desk(who)
        points = c.desk.reveal(actor, account, reason)
        if as_json:
            print_json(points)
            return
        for p in points:
            out.print(f"{p['channel']:<9} {escape(p['address'])}", highlight=False)

    run(go)


# ------------------------------------------------------------------ conversations
@conversations_app.command("take")
def conversation_take(account: Account, who: AsUser = None) -> None:
    """Take over: from now on the bot sends nothing on this case."""
    _act(who, lambda d, a: d.take(a, account),
         f"{account}: held by {who}; the bot is silent on this case")


@conversations_app.command("reply")
def conversation_reply(
    account: Account, text: Annotated[str, typer.Option(help="the message")],
    who: AsUser = None,
    channel: Annotated[ChannelKind | None, typer.Option(
        help="default: the channel the customer last wrote on")] = None,
) -> None:
    """Send the customer a message as the person holding the conversation."""
    _act(who, lambda d, a: d.reply(a, account, text, channel),
         f"{account}: reply queued (message {{result}})")


@conversations_app.command("release")
def conversation_release(
    account: Account, who: AsUser = None,
    keep_items: Annotated[bool, typer.Option(
        "--keep-items", help="leave the case's queue items open")] = False,
) -> None:
    """Hand the conversation back to the bot (and close the case's queue items)."""
    _act(who, lambda d, a: d.release(a, account, close_items=not keep_items),
         f"{account}: handed back to the bot ({{result}} queue item(s) closed)")


# ------------------------------------------------------------------ queue
@queue_app.callback(invoke_without_command=True)
def queue_default(ctx: typer.Context,
                  limit: Annotated[int, typer.Option(min=1)] = 50,
                  as_json: Json = False) -> None:
    """Open items, most urgent first (``queue list``; ``queue close ID``)."""
    if ctx.invoked_subcommand is None:
        queue_list(limit, as_json)


@queue_app.command("list")
def queue_list(limit: Annotated[int, typer.Option(min=1)] = 50, as_json: Json = False
               ) -> None:
    """Open items, most urgent first."""
    def go() -> None:
        c, actor = _desk(None, read_only=True)
        items = c.desk.queue(actor, limit)
        if as_json:
            print_json([i.as_dict() for i in items])
            return
        table = Table(title=f"{len(items)} open item(s)")
        for col in ("id", "priority", "kind", "account", "held by", "due", "detail"):
            table.add_column(col)
        for i in items:
            table.add_row(str(i.id), str(i.priority), i.kind, escape(i.account_id or "-"),
                          escape(i.held_by or ""), i.due_at.isoformat() if i.due_at else "",
                          escape(i.detail))
        out.print(table)

    run(go)


@queue_app.command("close")
def queue_close(item: Annotated[int, typer.Argument(help="the item's id (queue list)")],
                who: AsUser = None) -> None:
    """Mark a queue item done."""
    _act(who, lambda d, a: d.close_item(a, item), f"item {item} closed")


# ------------------------------------------------------------------ holds
Hold = Annotated[str, typer.Option(
    "--hold", help="vulnerable, deceased, bankruptcy, attorney, complaint, cease or "
                   "breathing_space (clear: also payment_claimed)")]
Until = Annotated[datetime | None, typer.Option(
    "--until", formats=["%Y-%m-%d"], help="the last day of a breathing space (YYYY-MM-DD)")]


@holds_app.command("set")
def holds_set(account: Account, hold: Hold, reason: Reason, until: Until = None,
              who: AsUser = None) -> None:
    """Place a protective hold: nothing automated goes out about the case until it is
    cleared (a breathing space: until its last day)."""
    day = until.date() if until is not None else None
    _act(who, lambda d, a: d.set_hold(a, account, hold, reason, until=day),
         f"{account}: {hold} hold set" + (f" until {day.isoformat()}" if day else ""))


@holds_app.command("clear")
def holds_clear(account: Account, hold: Hold, reason: Reason, who: AsUser = None) -> None:
    """Clear a hold (supervisor)."""
    _act(who, lambda d, a: d.clear_hold(a, account, hold, reason),
         f"{account}: {hold} hold cleared")


def register(main: typer.Typer) -> None:
    main.add_typer(cases_app, name="cases")
    main.add_typer(cases_app, name="case", hidden=True)  # the old name still works
    main.add_typer(conversations_app, name="conversations")
    main.add_typer(conversations_app, name="conversation", hidden=True)
    main.add_typer(queue_app, name="queue")
    main.add_typer(holds_app, name="holds")
