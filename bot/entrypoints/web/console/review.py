"""What waits for a supervisor: open disputes, cases in legal review, and cases under a
hold a supervisor lifts. Each links to its case page, where the decision is taken."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.entrypoints.web.console.pages import Console
from bot.entrypoints.web.console.session import Viewer


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    Signed = Annotated[Viewer, Depends(console.viewer)]

    @router.get("/review")
    def review(request: Request, viewer: Signed) -> Response:
        lists = console.run(lambda: console.container.desk.review(viewer.actor))
        return console.page(request, "review.html", viewer, lists=lists)

    return router
