"""Campaigns: the list, one campaign's versions, the YAML editor (a new draft; every
validation problem shown inline with its line), approve, activate, pause and resume,
and the "plan for date" view (``duebot plan --explain`` with filters). Reading needs
``read reports``; changing needs ``manage campaigns`` (admins): the use cases of
:class:`~bot.services.campaign_admin.CampaignAdmin` and
:mod:`bot.services.plan_preview` check it."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.campaigns.parsing import CampaignText
from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.pages import Console, FormError, PageError
from bot.entrypoints.web.console.session import Viewer
from bot.services.campaign_admin import LIVE
from bot.services.plan_preview import Outcome, PlanFilter, plan_preview
from bot.services.roles import Permission, allowed

MAX_YAML = 200_000


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    c = console.container
    admin = c.campaign_admin
    Signed = Annotated[Viewer, Depends(console.viewer)]
    Changing = Annotated[Viewer, Depends(console.changing)]

    def campaign_of(value: str) -> str:
        if not value or len(value) > 64:
            raise PageError(404, "no such campaign")
        return value

    @router.get("/campaigns")
    def campaign_list(request: Request, viewer: Signed) -> Response:
        rows = console.run(lambda: admin.summaries(viewer.actor))
        return console.page(request, "campaigns.html", viewer, rows=rows,
                            may_manage=allowed(viewer.actor, Permission.MANAGE_CAMPAIGNS))

    def show_page(request: Request, viewer: Viewer, campaign_id: str, *, status: int = 200,
                  error: str | None = None) -> Response:
        versions = console.run(lambda: admin.versions(viewer.actor, campaign_id), "versions")
        number = request.query_params.get("v")
        shown = next((v for v in versions if str(v.version) == number), None) or next(
            (v for v in versions if v.status in LIVE), versions[-1])
        return console.page(request, "campaign.html", viewer, status=status,
                            campaign_id=campaign_id, versions=versions, shown=shown,
                            error=error,
                            may_manage=allowed(viewer.actor, Permission.MANAGE_CAMPAIGNS))

    @router.get("/campaigns/{campaign_id}")
    def campaign_show(request: Request, campaign_id: str, viewer: Signed) -> Response:
        campaign_id = campaign_of(campaign_id)
        try:
            return show_page(request, viewer, campaign_id)
        except FormError as exc:
            raise PageError(404, str(exc)) from None

    def editor(request: Request, viewer: Viewer, campaign_id: str | None, text: str, *,
               status: int = 200, problems: list[str] | None = None) -> Response:
        return console.page(request, "campaign_edit.html", viewer, status=status,
                            campaign_id=campaign_id, text=text, problems=problems or [])

    @router.get("/campaigns/{campaign_id}/edit")
    def edit_form(request: Request, campaign_id: str, viewer: Signed) -> Response:
        campaign_id = campaign_of(campaign_id)
        console.run(lambda: _require_manage(viewer))
        try:
            version = console.run(lambda: admin.version(viewer.actor, campaign_id))
        except FormError as exc:
            raise PageError(404, str(exc)) from None
        return editor(request, viewer, campaign_id, version.body)

    @router.post("/campaigns/{campaign_id}/edit")
    async def edit(request: Request, campaign_id: str, viewer: Changing) -> Response:
        campaign_id = campaign_of(campaign_id)
        form = await request.form()
        text = form.get("text")
        text = text if isinstance(text, str) else ""
        if len(text) > MAX_YAML or not text.strip():
            return editor(request, viewer, campaign_id, text[:MAX_YAML], status=422,
                          problems=["the campaign's YAML: required, at most 200,000 "
                                    "characters"])
        try:
            done = console.run(lambda: admin.edit(viewer.actor, campaign_id,
                                                  text.replace("\r\n", "\n")))
        except FormError as exc:
            return editor(request, viewer, campaign_id, text, status=exc.status,
                          problems=str(exc).splitlines())
        return console.back(f"/campaigns/{quote(campaign_id)}", "saved" if done.new else "same",
                            v=str(done.version))

    @router.get("/campaigns-new")
    def new_form(request: Request, viewer: Signed) -> Response:
        console.run(lambda: _require_manage(viewer))
        return editor(request, viewer, None, "")

    @router.post("/campaigns-new")
    async def new(request: Request, viewer: Changing) -> Response:
        form = await request.form()
        text = form.get("text")
        text = text if isinstance(text, str) else ""
        if len(text) > MAX_YAML or not text.strip():
            return editor(request, viewer, None, text[:MAX_YAML], status=422,
                          problems=["the campaign's YAML: required"])
        try:
            [done] = console.run(lambda: admin.import_documents(
                viewer.actor, [CampaignText("console", text.replace("\r\n", "\n"))]))
        except FormError as exc:
            return editor(request, viewer, None, text, status=exc.status,
                          problems=str(exc).splitlines())
        return console.back(f"/campaigns/{quote(done.campaign_id)}", "saved")

    async def lifecycle(request: Request, viewer: Viewer, campaign_id: str, what: str
                        ) -> Response:
        campaign_id = campaign_of(campaign_id)
        form = await request.form()
        raw = form.get("version")
        number = None
        try:
            if isinstance(raw, str) and raw:
                number = forms.whole(raw, "version", "lifecycle", 1, 2**31 - 1)
            if what == "approve":
                console.run(lambda: admin.approve(viewer.actor, campaign_id, number,
                                                  activate=form.get("activate") == "on"))
                done = "approved"
            elif what == "activate":
                console.run(lambda: admin.activate(viewer.actor, campaign_id, number))
                done = "activated"
            elif what == "pause":
                console.run(lambda: admin.pause(viewer.actor, [campaign_id]))
                done = "paused"
            else:
                console.run(lambda: admin.resume(viewer.actor, [campaign_id]))
                done = "resumed"
        except FormError as exc:
            return show_page(request, viewer, campaign_id, status=exc.status, error=str(exc))
        return console.back(f"/campaigns/{quote(campaign_id)}", done)

    def lifecycle_route(what: str) -> None:
        async def handler(request: Request, campaign_id: str, viewer: Changing) -> Response:
            return await lifecycle(request, viewer, campaign_id, what)

        handler.__name__ = f"campaign_{what}"
        router.post(f"/campaigns/{{campaign_id}}/{what}")(handler)

    for what in ("approve", "activate", "pause", "resume"):
        lifecycle_route(what)

    # ------------------------------------------------------------------ plan for date
    @router.get("/plan")
    def plan(request: Request, viewer: Signed) -> Response:
        q = request.query_params
        values = {k: q.get(k, "") for k in ("date", "account", "campaign", "outcome",
                                             "limit", "drafts")}
        error = None
        preview = None
        if any(len(v) > 64 for v in values.values()):
            raise FormError("a filter is longer than 64 characters")
        if q.get("run"):
            try:
                wanted = PlanFilter(
                    on_date=forms.day(values["date"], "date", "plan", required=False),
                    account=values["account"].strip() or None,
                    campaign=values["campaign"].strip() or None,
                    outcome=Outcome(forms.choice(values["outcome"], "outcome", "plan",
                                                 [o.value for o in Outcome]))
                    if values["outcome"] else None,
                    limit=forms.whole(values["limit"] or "50", "rows", "plan", 1, 500),
                    drafts=values["drafts"] == "on")
                planning = c.planning(drafts=wanted.drafts)
                try:
                    preview = console.run(lambda: plan_preview(planning, c.uow,
                                                               viewer.actor, wanted))
                finally:
                    planning.close()
            except FormError as exc:
                error = str(exc)
        return console.page(request, "plan.html", viewer, status=422 if error else 200,
                            values=values, error=error, preview=preview,
                            outcomes=[o.value for o in Outcome])

    return router


def _require_manage(viewer: Viewer) -> None:
    from bot.services.roles import authorize

    authorize(viewer.actor, Permission.MANAGE_CAMPAIGNS)

