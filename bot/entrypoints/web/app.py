"""The web application: provider webhooks, the unsubscribe page, the collectors' API."""

from __future__ import annotations

from fastapi import FastAPI

from bot.bootstrap import Container
from bot.domain.messages import ChannelKind


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="duebot", docs_url="/api/docs", openapi_url="/api/openapi.json")
    settings = container.settings
    sink = container.inbound
    channels = container.channels

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from bot.entrypoints.web.email_routes import build_router as email_router

    app.include_router(email_router(settings.secret_key.get_secret_value(), sink,
                                    clock=container.clock))

    from channels.twilio.sms import TwilioSmsChannel

    sms = channels.get(ChannelKind.SMS)
    if isinstance(sms, TwilioSmsChannel):
        from bot.entrypoints.web.twilio_webhooks import build_router as twilio_router

        app.include_router(twilio_router(sms, sink, settings))

    chat = channels.get(ChannelKind.TELEGRAM)
    if settings.has_telegram() and settings.telegram_webhook_secret is not None:
        from bot.entrypoints.web.telegram_webhook import build_router as telegram_router
        from channels.telegram.chat import TelegramChatChannel

        if isinstance(chat, TelegramChatChannel):
            app.include_router(telegram_router(chat, sink, settings.telegram_webhook_secret))

    from bot.entrypoints.web.api import build_router as api_router

    app.include_router(api_router(container.uow, container.profile))
    return app
