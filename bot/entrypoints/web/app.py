"""The web application: channel webhooks (provider callbacks, the unsubscribe page), the
collectors' API, behind the edge rules of :mod:`bot.entrypoints.web.edge`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from bot.bootstrap import Container
from bot.entrypoints.web.edge import EdgeGuard, validation_error


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="duebot", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  description="The collectors' and admins' API: bearer token from "
                              "`duebot users add`, or a console session from POST /api/login.")
    app.add_middleware(EdgeGuard)
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from bot.entrypoints.web.webhooks import webhook_router

    webhooks = container.registry.webhooks(container.channels, container.settings.model_dump(),
                                           container.clock)
    app.include_router(webhook_router(webhooks, container.inbound))

    from bot.entrypoints.web.api import build_router as api_router

    app.include_router(api_router(
        container.uow, container.desk, container.campaign_admin, container.outcome_source,
        container.login_policy,
        secure_cookie=container.settings.public_url.startswith("https://")))
    return app
