"""The sandbox phone (when the sandbox channel stands in for a kind): pick a case, read
what its customer received on each channel, and answer as the customer through the
sandbox's inbound path (:class:`~bot.services.sandbox_phones.SandboxPhones`)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.domain.messages import ChannelKind
from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.pages import (
    REFUSALS,
    Console,
    FormError,
    PageError,
    refusal,
)
from bot.entrypoints.web.console.session import Viewer


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    Signed = Annotated[Viewer, Depends(console.viewer)]
    Changing = Annotated[Viewer, Depends(console.changing)]

    def phones():  # type: ignore[no-untyped-def]
        return console.container.sandbox_phones

    @router.get("/sandbox")
    def sandbox_home(request: Request, viewer: Signed) -> Response:
        wanted = (request.query_params.get("account") or "").strip()
        if wanted and len(wanted) <= 64:
            return console.back(f"/sandbox/{quote(wanted)}", "")
        recent = console.run(lambda: phones().recent(viewer.actor))
        return console.page(request, "sandbox.html", viewer, recent=recent,
                            kinds=[k.value for k in phones().kinds()])

    def phone_page(request: Request, viewer: Viewer, account: str, *, status: int = 200,
                   error: str | None = None, values: dict[str, str] | None = None,
                   replies: list[str] | None = None) -> Response:
        if not account or len(account) > 64:
            raise PageError(404, "no such case")
        threads = console.run(lambda: phones().threads(viewer.actor, account))
        return console.page(request, "sandbox_case.html", viewer, status=status,
                            account=account, threads=threads, error=error,
                            values=values or {}, replies=replies or [])

    @router.get("/sandbox/{account}")
    def sandbox_case(request: Request, account: str, viewer: Signed) -> Response:
        return phone_page(request, viewer, account)

    @router.post("/sandbox/{account}")
    async def answer(request: Request, account: str, viewer: Changing) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            kind = ChannelKind(forms.choice(form.get("channel"), "channel", "answer",
                                            [k.value for k in ChannelKind]))
            text = forms.text(form.get("text"), "message", "answer", limit=1600)
            result = await _answer(console, viewer, account, kind, text)
        except FormError as exc:
            return phone_page(request, viewer, account, status=exc.status, error=str(exc),
                              values=form)
        if result:
            return phone_page(request, viewer, account, replies=result)
        return console.back(f"/sandbox/{quote(account)}", "answered")

    return router


async def _answer(console: Console, viewer: Viewer, account: str, kind: ChannelKind,
                  text: str) -> list[str]:
    """Send as the customer; returns the in-band answers (STOP, HELP...)."""
    try:
        result = await console.container.sandbox_phones.reply(viewer.actor, account, kind,
                                                              text)
    except REFUSALS as exc:
        raise refusal(exc, "answer") from None
    return list(result.replies)
