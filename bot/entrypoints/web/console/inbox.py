"""The collectors' inbox: conversations that need a person, most urgent first, then
longest waiting, filterable by kind, campaign, language and holder, with a preview of
the last message. ``GET /inbox/items`` is the list alone: the page asks for it every
``DUEBOT_CONSOLE_POLL_SECONDS`` (htmx) with the digest of what it shows, and gets 204
(nothing to do) until the database has something new, so several ``serve`` processes
behind a balancer all show the same inbox."""


import hashlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.domain.work_items import WorkItemKind
from bot.entrypoints.web.console.pages import Console, FormError, label, waited
from bot.entrypoints.web.console.session import Viewer
from bot.services.ports import InboxEntry, InboxFilter

#: how many items the inbox shows
SHOWN = 200


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    desk = console.container.desk
    Signed = Annotated[Viewer, Depends(console.viewer)]

    def wanted(request: Request, viewer: Viewer) -> tuple[InboxFilter, dict[str, str]]:
        q = request.query_params
        kind = q.get("kind", "")
        chosen = {"kind": kind, "campaign": q.get("campaign", ""),
                  "language": q.get("language", ""), "holder": q.get("holder", "")}
        if any(len(v) > 64 for v in chosen.values()):
            raise FormError("a filter is longer than 64 characters")
        holder = chosen["holder"]
        who = (viewer.actor.username if holder == "me" else
               InboxFilter.NOBODY if holder == "nobody" else holder or None)
        return InboxFilter((kind,) if kind else (), chosen["campaign"] or None,
                           chosen["language"] or None, who), chosen

    def listing(request: Request, viewer: Viewer) -> dict[str, Any]:
        found, chosen = wanted(request, viewer)
        entries: list[InboxEntry] = console.run(lambda: desk.inbox(viewer.actor, found,
                                                                   SHOWN))
        now = console.container.clock.now()
        # what the list shows, and the minute (waiting times move on)
        digest = hashlib.sha256(repr((entries, int(now.timestamp()) // 60)).encode()
                                ).hexdigest()[:16]
        query = urlencode({k: v for k, v in chosen.items() if v})
        return {"entries": entries, "chosen": chosen, "digest": digest, "query": query,
                "waited": lambda e: waited(e.item.created_at, now)}

    @router.get("/inbox")
    def inbox_page(request: Request, viewer: Signed) -> Response:
        context = listing(request, viewer)
        facets = console.run(lambda: desk.inbox_facets(viewer.actor))
        kinds = [(k.value, label(k.value), facets.kinds.get(k.value, 0)) for k in WorkItemKind]
        return console.page(request, "inbox.html", viewer, facets=facets, kinds=kinds,
                            **context)

    @router.get("/inbox/items")
    def inbox_items(request: Request, viewer: Signed) -> Response:
        context = listing(request, viewer)
        if request.query_params.get("v") == context["digest"]:
            return Response(status_code=204)
        return console.page(request, "_inbox_items.html", viewer, **context)

    return router
