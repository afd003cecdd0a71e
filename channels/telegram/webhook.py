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

from pydantic import SecretStr

from bot.services.ports import InboundSink
from channels.plugin import Webhook, WebRequest, WebResponse
from channels.telegram.chat import TelegramChatChannel, TelegramUpdateError, check_secret_token

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"

_LOG = logging.getLogger(__name__)


def telegram_webhooks(channel: TelegramChatChannel, secret_token: str | SecretStr) -> list[Webhook]:
    """The Telegram webhook of one channel.

    ``secret_token`` is the value passed to ``channel.set_webhook`` (setting
    ``DUEBOT_TELEGRAM_WEBHOOK_SECRET``). Raises ``ChannelConfigError`` if Telegram would
    refuse it.
    """
    secret = (
        secret_token.get_secret_value() if isinstance(secret_token, SecretStr) else secret_token
    )
    check_secret_token(secret)
    expected = secret.encode("ascii")

    async def telegram_webhook(request: WebRequest, sink: InboundSink) -> WebResponse:
        supplied = request.header(SECRET_HEADER)
        # Headers arrive decoded as latin-1; encoding back gives the raw bytes.
        if supplied is None or not hmac.compare_digest(supplied.encode("latin-1"), expected):
            _LOG.warning("telegram webhook: request without a valid secret token refused")
            return WebResponse(403)
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _bad_request("body is not JSON")
        except RecursionError:
            return _bad_request("body is nested too deeply")
        if not isinstance(payload, dict):
            return _bad_request("body is not a JSON object")
        try:
            await channel.handle_update(payload, sink)
        except TelegramUpdateError as exc:
            return _bad_request(str(exc))
        return WebResponse(200)

    return [Webhook("POST", WEBHOOK_PATH, telegram_webhook, documented=False,
                    channel=channel)]


def _bad_request(reason: str) -> WebResponse:
    _LOG.warning("telegram webhook: refused a payload (%s)", reason)
    return WebResponse(
        400, json.dumps({"error": reason}).encode(), {"content-type": "application/json"}
    )
