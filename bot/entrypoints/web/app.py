"""The web application: channel webhooks (provider callbacks, the unsubscribe page), the
collectors' API (behind the edge rules of :mod:`bot.entrypoints.web.edge`), the web
console at ``/`` (:mod:`bot.entrypoints.web.console`), and what
operators and load balancers ask: ``/healthz`` (the process
answers), ``/readyz`` (the database answers and its schema is current) and ``/metrics``
(Prometheus, see :mod:`bot.entrypoints.metrics`). The app keeps no state between
requests: several may serve behind a proxy."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from bot.bootstrap import Container
from bot.entrypoints.metrics import CONTENT_TYPE, Metrics
from bot.entrypoints.web.edge import EdgeGuard, validation_error

log = logging.getLogger("duebot.web")

#: how long /readyz waits for the database
READY_TIMEOUT_SECONDS = 5.0


def create_app(container: Container, metrics: Metrics | None = None) -> FastAPI:
    """The app over ``container``; ``metrics``: the process's registry (default: one
    with the database gauges only)."""
    app = FastAPI(title="duebot", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  description="The collectors' and admins' API: bearer token from "
                              "`duebot users add`, or a console session from POST /api/login.")
    app.add_middleware(EdgeGuard)
    app.add_exception_handler(RequestValidationError, validation_error)
    registry = metrics or Metrics(container.operations, container.clock)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is alive (nothing else is checked)."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz() -> JSONResponse | dict[str, str]:
        """Ready to serve: the database answers and its schema is current."""
        try:
            current = await asyncio.wait_for(asyncio.to_thread(container.schema_current),
                                             READY_TIMEOUT_SECONDS)
        except Exception as exc:  # unreachable, refused, timed out: the details go to the log
            log.warning("readyz: the database did not answer (%s)", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "reason": "database unreachable"},
                                status_code=503)
        if not current:
            return JSONResponse({"status": "unavailable",
                                 "reason": "database schema is not current (duebot db upgrade)"},
                                status_code=503)
        return {"status": "ready"}

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(registry.exposition(), media_type=CONTENT_TYPE)

    from bot.entrypoints.web.webhooks import webhook_router

    webhooks = container.registry.webhooks(container.channels, container.settings.model_dump(),
                                           container.clock)
    app.include_router(webhook_router(webhooks, container.inbound))

    from bot.entrypoints.web.api import build_router as api_router

    app.include_router(api_router(
        container.uow, container.desk, container.campaign_admin, container.outcome_source,
        container.login_policy,
        secure_cookie=container.settings.public_url.startswith("https://")))

    from bot.entrypoints.web.console import install as install_console

    install_console(app, container)
    return app
