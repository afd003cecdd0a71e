"""The web console: the collectors' inbox and case pages, the supervisors' review, the
admins' campaigns, templates and users, the dashboard and the sandbox phone.

Server-rendered pages (Jinja2, ``jinja/``) with htmx (``static/``, vendored) for the live
inbox and the inline parts; every action calls a use case of ``bot/services`` (the desk,
campaign versions, users, reports, templates, the sandbox phone), which checks the role.
:func:`install` mounts it on the web app at ``/``.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.bootstrap import Container
from bot.entrypoints.web.console import (
    campaigns,
    cases,
    dashboard,
    inbox,
    review,
    sandbox,
    signin,
    templates,
    users,
)
from bot.entrypoints.web.console.pages import HERE, Console, FormError, PageError, error_page
from bot.entrypoints.web.console.session import CsrfRefused, LoginRequired, Sessions

#: paths that belong to the API and the machines, not to the console's pages
NOT_CONSOLE = ("/api", "/webhooks", "/unsubscribe", "/healthz", "/readyz", "/metrics")

#: headers of every console answer: no framing, no sniffing, scripts from here only
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every answer of a console path."""

    _HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(NOT_CONSOLE):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self._HEADERS if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def _console_path(request: Request) -> bool:
    return not request.url.path.startswith(NOT_CONSOLE)


def install(app: FastAPI, container: Container) -> Console:
    """Mount the console on ``app`` (its pages at ``/``, its assets at ``/static``)."""
    s = container.settings
    console = Console(container, Sessions(container.uow, s.secret_key.get_secret_value(),
                                          trusted_proxy=s.trusted_proxy,
                                          session_hours=s.session_hours),
                      poll_seconds=s.console_poll_seconds)
    for area in (signin, inbox, cases, review, campaigns, templates, users, dashboard,
                 sandbox):
        app.include_router(area.routes(console))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="console-static")

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: Exception) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path if request.method == "GET" else "/inbox"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return error_page(console, request, 403, "This form has expired or did not come "
                          "from this console (missing or wrong CSRF token): nothing was "
                          "changed. Reload the page and try again.")

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(console, request, exc.status, exc.message)

    @app.exception_handler(FormError)
    async def form_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FormError)
        return error_page(console, request, exc.status, str(exc))

    api_validation = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: Exception) -> Response:
        if _console_path(request) or api_validation is None:
            return error_page(console, request, 422, "The request could not be read: a "
                              "field is missing or malformed.")
        answer = api_validation(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    from fastapi.exception_handlers import http_exception_handler

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _console_path(request) and exc.status_code in (404, 405) \
                and "text/html" in request.headers.get("accept", ""):
            return error_page(console, request, exc.status_code,
                              "There is no such page." if exc.status_code == 404
                              else "This page does not take that method.")
        return await http_exception_handler(request, exc)

    return console
