"""``duebot campaigns``: validate campaign files, import them as versions, approve,
activate, pause and resume them, list, show and export them; ``duebot pause`` and
``duebot resume``: the kill switch for every campaign at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.entrypoints.cli_app import Json, _typer, container, print_json, run
from bot.entrypoints.cli_errors import err, out

campaigns_app = _typer("Campaigns: validate, import, approve, activate, pause, export.")

Paths = Annotated[list[Path] | None, typer.Argument(
    help="campaign files or directories (default: DUEBOT_CAMPAIGN_DIR)")]
CampaignId = Annotated[str, typer.Argument(help="the campaign id")]
Version = Annotated[int | None, typer.Option("--version", "-v", min=1,
                                             help="a version number (default: see above)")]
AsUser = Annotated[str | None, typer.Option(
    "--as", envvar="DUEBOT_USER", help="the person acting (recorded; two-person approval)")]
Ids = Annotated[list[str] | None, typer.Argument(help="campaign ids (default: all)")]


def _operator() -> Any:
    from bot.entrypoints.cli_context import os_user
    from bot.services.roles import operator

    return operator(os_user())




def _version_dict(v: Any) -> dict[str, Any]:
    return {k: (getattr(v, k).isoformat() if hasattr(getattr(v, k), "isoformat")
                else getattr(v, k))
            for k in ("campaign_id", "version", "status", "source", "created_at",
                      "created_by", "approved_at", "approved_by", "activated_at",
                      "activated_by", "paused_at", "paused_by")}


@campaigns_app.command("validate")
def campaigns_validate(paths: Paths = None, as_json: Json = False) -> None:
    """Check campaign files without importing them: every problem at once, with file,
    line and a "did you mean" for unknown fields, values and template ids; exits 1 when
    there is any."""
    def go() -> None:
        c = container(schema=False)
        result = c.campaign_admin.validate(c.campaign_documents(paths))
        if as_json:
            print_json({"ok": result.ok, "campaigns": sorted(result.campaigns),
                        "problems": [str(p) for p in result.problems],
                        "warnings": [str(w) for w in result.warnings]})
        else:
            for p in result.problems:
                err.print(f"[red]error[/red] {escape(str(p))}", highlight=False,
                          soft_wrap=True)
            for w in result.warnings:
                err.print(f"[yellow]warning[/yellow] {escape(str(w))}", highlight=False,
                          soft_wrap=True)
            n = len(result.problems)
            summary = (f"{len(result.campaigns)} campaign(s) valid" if result.ok else
                       f"{n} problem{'s' if n != 1 else ''}")
            (out if result.ok else err).print(summary, highlight=False)
        if not result.ok:
            raise typer.Exit(1)

    run(go)


@campaigns_app.command("import")
def campaigns_import(paths: Paths = None, as_json: Json = False) -> None:
    """Store campaign files as new draft versions (all or nothing; a file whose text is
    unchanged adds nothing). Nothing is sent until a version is approved and activated."""
    def go() -> None:
        c = container()
        done = c.campaign_admin.import_documents(_operator(), c.campaign_documents(paths))
        if as_json:
            print_json([{"campaign_id": i.campaign_id, "version": i.version,
                         "status": i.status, "new": i.new, "source": i.source}
                        for i in done])
            return
        for i in done:
            what = "new draft" if i.new else f"unchanged ({i.status})"
            out.print(f"{escape(i.campaign_id)} v{i.version}: {what} from "
                      f"{escape(i.source)}", highlight=False)
        if any(i.new for i in done):
            out.print("next: `duebot plan --drafts` to see what it would do, then "
                      "`duebot campaigns approve ID --activate`", style="dim")

    run(go)


@campaigns_app.command("list")
def campaigns_list(as_json: Json = False) -> None:
    """Every campaign: its live (active or paused) version and its latest version."""
    def go() -> None:
        c = container(schema=False)  # read only
        rows = c.campaign_admin.summaries(_operator())
        if as_json:
            print_json([{"campaign_id": r.campaign_id, "name": r.name, "status": r.status,
                         "live_version": r.live.version if r.live else None,
                         "latest_version": r.latest.version,
                         "latest_status": r.latest.status} for r in rows])
            return
        if not rows:
            err.print("no campaigns: `duebot campaigns import` first")
            return
        table = Table(title=f"{len(rows)} campaign(s)")
        for col in ("campaign", "name", "status", "live", "latest"):
            table.add_column(col)
        for r in rows:
            table.add_row(escape(r.campaign_id), escape(r.name), r.status,
                          f"v{r.live.version}" if r.live else "-",
                          f"v{r.latest.version} {r.latest.status}")
        out.print(table)

    run(go)


@campaigns_app.command("show")
def campaigns_show(campaign_id: CampaignId, version: Version = None,
                   as_json: Json = False) -> None:
    """A campaign's versions with who imported, approved, activated and paused them, and
    the text of one version (default: the live one, else the latest)."""
    def go() -> None:
        c = container(schema=False)  # read only
        admin, actor = c.campaign_admin, _operator()
        versions = admin.versions(actor, campaign_id)
        shown = admin.version(actor, campaign_id, version)
        if as_json:
            print_json({"versions": [_version_dict(v) for v in versions],
                        "shown": shown.version, "text": shown.body})
            return
        table = Table(title=f"campaign {campaign_id}")
        for col in ("version", "status", "imported", "approved", "activated", "paused"):
            table.add_column(col)
        for v in versions:
            table.add_row(f"v{v.version}", v.status,
                          *(escape(f"{by} {at:%Y-%m-%d %H:%M}") if by and at else ""
                            for by, at in ((v.created_by, v.created_at),
                                           (v.approved_by, v.approved_at),
                                           (v.activated_by, v.activated_at),
                                           (v.paused_by, v.paused_at))))
        out.print(table)
        out.print(f"--- v{shown.version} ({escape(shown.source)})", style="dim")
        out.print(escape(shown.body), highlight=False)

    run(go)


@campaigns_app.command("export")
def campaigns_export(
    campaign_id: CampaignId, version: Version = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="write to this file (default: standard output)")] = None,
) -> None:
    """Write a version's YAML (default: the live one, else the latest), e.g. back into
    the repository that keeps campaigns under version control."""
    def go() -> None:
        c = container()
        shown = c.campaign_admin.version(_operator(), campaign_id, version)
        if output is None:
            typer.echo(shown.body, nl=not shown.body.endswith("\n"))
            return
        output.write_text(shown.body, encoding="utf-8")
        err.print(f"{campaign_id} v{shown.version} written to {escape(str(output))}")

    run(go)


@campaigns_app.command("approve")
def campaigns_approve(
    campaign_id: CampaignId, version: Version = None,
    activate: Annotated[bool, typer.Option(
        "--activate", help="also make it the active version right away")] = False,
    who: AsUser = None,
) -> None:
    """Approve a draft (default: the latest draft). With DUEBOT_CAMPAIGN_TWO_PERSON_APPROVAL
    the approver must be another person than the one who imported it (use --as)."""
    def go() -> None:
        c = container()
        v = c.campaign_admin.approve(_actor(c, who), campaign_id, version, activate=activate)
        out.print(f"{campaign_id} v{v.version}: {v.status}", highlight=False)

    run(go)


@campaigns_app.command("activate")
def campaigns_activate(campaign_id: CampaignId, version: Version = None,
                       who: AsUser = None) -> None:
    """Make an approved version (default: the latest approved) the one that plans and
    sends; the version active before is retired."""
    def go() -> None:
        c = container()
        v = c.campaign_admin.activate(_actor(c, who), campaign_id, version)
        out.print(f"{campaign_id} v{v.version}: active", highlight=False)

    run(go)


def _actor(c: Any, who: str | None) -> Any:
    from bot.entrypoints.cli_context import acting

    return acting(c, who)


def pause_cmd(campaigns: Ids = None) -> None:
    """Stop campaign sending now (all active campaigns, or the ones named): queued
    campaign messages wait, no new ones are planned. Opt-out confirmations, HELP answers
    and collectors' replies still go. `duebot resume` starts again."""
    def go() -> None:
        c = container()
        done = c.campaign_admin.pause(_operator(), campaigns or [])
        out.print(f"paused: {', '.join(done)}" if done else "no active campaign to pause",
                  highlight=False)

    run(go)


def resume_cmd(campaigns: Ids = None) -> None:
    """Start campaign sending again (all paused campaigns, or the ones named)."""
    def go() -> None:
        c = container()
        done = c.campaign_admin.resume(_operator(), campaigns or [])
        out.print(f"resumed: {', '.join(done)}" if done else "no paused campaign",
                  highlight=False)

    run(go)


def register(main: typer.Typer) -> None:
    campaigns_app.command("pause")(pause_cmd)
    campaigns_app.command("resume")(resume_cmd)
    main.add_typer(campaigns_app, name="campaigns")
    main.command("pause")(pause_cmd)
    main.command("resume")(resume_cmd)
