"""Channel webhooks on FastAPI: the one place that turns the channels' framework-neutral
:class:`~channels.plugin.Webhook` declarations into routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import APIRouter, Request, Response

from bot.services.ports import InboundSink
from channels.plugin import Webhook, WebRequest


def webhook_router(webhooks: Iterable[Webhook], sink: InboundSink) -> APIRouter:
    """A router with one route per webhook; every handler hands its events to ``sink``."""
    router = APIRouter()
    for webhook in webhooks:
        router.add_api_route(
            webhook.path,
            _endpoint(webhook, sink),
            methods=[webhook.method],
            name=f"{webhook.method.lower()} {webhook.path}",
            include_in_schema=webhook.documented,
            response_class=Response,
        )
    return router


def _endpoint(webhook: Webhook, sink: InboundSink) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        headers: dict[str, str] = {}
        for name, value in request.headers.items():  # lower-case names, latin-1 values
            headers.setdefault(name, value)
        answer = await webhook.handle(
            WebRequest(method=request.method, url=str(request.url), headers=headers,
                       read_body=request.body, path_params=dict(request.path_params)),
            sink,
        )
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    return endpoint
