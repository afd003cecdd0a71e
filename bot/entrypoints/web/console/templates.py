"""Templates (admins): the list, and an editor with a live preview per language,
channel and disclosure level and the linter's findings inline
(:class:`~bot.services.template_desk.TemplateDesk`); saving writes the file to
``DUEBOT_TEMPLATE_DIR`` once it passes the same check every template passes."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.conversations.disclosure import Disclosure
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.pages import Console, FormError, PageError
from bot.entrypoints.web.console.session import Viewer
from bot.policy.profiles import PROFILES

LANGUAGES = ("en", "zh")


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    Signed = Annotated[Viewer, Depends(console.viewer)]
    Changing = Annotated[Viewer, Depends(console.changing)]

    def desk():  # type: ignore[no-untyped-def]
        return console.container.template_desk

    def template_of(value: str) -> str:
        if not value or len(value) > 64:
            raise PageError(404, "no such template")
        return value

    @router.get("/templates")
    def template_list(request: Request, viewer: Signed) -> Response:
        rows = console.run(lambda: desk().summaries(viewer.actor))
        return console.page(request, "templates.html", viewer, rows=rows,
                            profiles=desk().profiles_in_use(),
                            writable=console.container.settings.template_dir is not None)

    def editor(request: Request, viewer: Viewer, template_id: str, text: str, *,
               status: int = 200, problems: list[str] | None = None,
               chosen: dict[str, str] | None = None) -> Response:
        chosen = chosen or {}
        return console.page(
            request, "template_edit.html", viewer, status=status, template_id=template_id,
            text=text, problems=problems or [], languages=LANGUAGES,
            channels=[k.value for k in ChannelKind], levels=[d.value for d in Disclosure],
            profiles=sorted(PROFILES), chosen={
                "lang": chosen.get("lang") or "en", "channel": chosen.get("channel") or "sms",
                "level": chosen.get("level") or "",
                "profile": chosen.get("profile") or console.container.settings.jurisdiction},
            writable=console.container.settings.template_dir is not None)

    @router.get("/templates/{template_id}")
    def template_show(request: Request, template_id: str, viewer: Signed) -> Response:
        template_id = template_of(template_id)
        try:
            text = console.run(lambda: desk().source(viewer.actor, template_id))
        except FormError as exc:
            raise PageError(404, str(exc)) from None
        return editor(request, viewer, template_id, text,
                      chosen=dict(request.query_params))

    @router.post("/templates/{template_id}/preview")
    async def preview(request: Request, template_id: str, viewer: Changing) -> Response:
        template_id = template_of(template_id)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            lang = forms.choice(form.get("lang"), "language", "preview", LANGUAGES)
            channel = ChannelKind(forms.choice(form.get("channel"), "channel", "preview",
                                               [k.value for k in ChannelKind]))
            level = Disclosure(forms.choice(form.get("level"), "level", "preview",
                                            [d.value for d in Disclosure])) \
                if form.get("level") else None
            profile = forms.choice(form.get("profile"), "profile", "preview",
                                   sorted(PROFILES))
            shown = console.run(lambda: desk().preview(
                viewer.actor, template_id, form.get("text", ""), lang=lang, channel=channel,
                level=level, profile=profile))
        except FormError as exc:
            return console.page(request, "_template_preview.html", viewer, status=422,
                                preview=None, error=str(exc))
        return console.page(request, "_template_preview.html", viewer, preview=shown,
                            error=None)

    @router.post("/templates/{template_id}")
    async def save(request: Request, template_id: str, viewer: Changing) -> Response:
        template_id = template_of(template_id)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        text = form.get("text", "").replace("\r\n", "\n")
        try:
            console.run(lambda: desk().save(viewer.actor, template_id, text))
        except FormError as exc:
            return editor(request, viewer, template_id, text, status=exc.status,
                          problems=str(exc).splitlines(), chosen=form)
        return console.back(f"/templates/{quote(template_id)}", "template")

    return router
