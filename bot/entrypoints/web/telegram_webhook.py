"""``POST /webhooks/telegram``: where Telegram delivers updates in webhook mode.

Telegram repeats the ``secret_token`` given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; a request without the right value is answered
403 before its body is read, and nothing reaches the sink. An authenticated update is
translated by the channel (this module never looks inside it) and handed to the sink; the
answer is 200 once the sink has taken every event, so a crash before that makes Telegram
deliver again (the sink is idempotent on provider ids).

Answers: 200 handled (or ignored, e.g. a group message); 400 the body is not an update;
403 secret missing or wrong; 500 the sink failed (Telegram retries).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from pydantic import SecretStr

from bot.services.ports import InboundSink

if TYPE_CHECKING:
    from channels.telegram.chat import TelegramChatChannel

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"

_LOG = logging.getLogger(__name__)


def build_router(
    channel: TelegramChatChannel, sink: InboundSink, secret_token: str | SecretStr
) -> APIRouter:
    """A router with the Telegram webhook route; mount it on the web app.

    ``secret_token`` is the value passed to ``channel.set_webhook`` (setting
    ``DUEBOT_TELEGRAM_WEBHOOK_SECRET``). Raises ``ChannelConfigError`` if Telegram would
    refuse it.
    """
    from channels.telegram.chat import TelegramUpdateError, check_secret_token

    secret = (
        secret_token.get_secret_value() if isinstance(secret_token, SecretStr) else secret_token
    )
    check_secret_token(secret)
    expected = secret.encode("ascii")
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        supplied = request.headers.get(SECRET_HEADER)
        # Starlette decodes header bytes as latin-1; encoding back gives the raw bytes.
        if supplied is None or not hmac.compare_digest(supplied.encode("latin-1"), expected):
            _LOG.warning("telegram webhook: request without a valid secret token refused")
            return Response(status_code=403)
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _bad_request("body is not JSON")
        if not isinstance(payload, dict):
            return _bad_request("body is not a JSON object")
        try:
            await channel.handle_update(payload, sink)
        except TelegramUpdateError as exc:
            return _bad_request(str(exc))
        return Response(status_code=200)

    return router


def _bad_request(reason: str) -> Response:
    _LOG.warning("telegram webhook: refused a payload (%s)", reason)
    return Response(
        content=json.dumps({"error": reason}), status_code=400, media_type="application/json"
    )
