"""A fake Telegram Bot API server over real HTTP on 127.0.0.1 (for tests and the demo).

It speaks the parts of https://core.telegram.org/bots/api that duebot uses, in the shape
the real server answers (``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code",
"description", "parameters"}``), so the real python-telegram-bot client can be pointed at it
with ``base_url=peer.api_base``:

* ``getMe``, ``sendMessage``, ``answerCallbackQuery``;
* ``setWebhook`` / ``deleteWebhook`` / ``getWebhookInfo``;
* ``getUpdates`` with ``offset`` confirmation and long polling (``timeout``);
* 401 for a wrong token, 404 for an unknown method, 409 for ``getUpdates`` while a webhook
  is set, and per-chat behaviours: blocked (403), chat not found (400), flood control
  (429 with ``parameters.retry_after``), deactivated user (403).

Inbound traffic: :meth:`FakeTelegramBotAPI.push_update` queues an update for
``getUpdates`` or, when a webhook is set, POSTs it to the webhook URL with the
``X-Telegram-Bot-Api-Secret-Token`` header, as Telegram does. The module-level builders
(:func:`text_update`, :func:`callback_update`, :func:`member_update`) produce update JSON.

Usage::

    async with FakeTelegramBotAPI() as peer:
        app = Application.builder().token(peer.token).base_url(peer.api_base)...
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

#: a syntactically valid token (the digits before the colon are the bot's user id)
DEFAULT_TOKEN = "7000000001:AAFakeTokenForTestsOnly_abcdefghijk12"
DEFAULT_BOT_USERNAME = "duebot_test_bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_UPDATE_KINDS = ("message", "edited_message", "channel_post", "callback_query", "my_chat_member")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ChatBehaviour(StrEnum):
    """How the fake server answers ``sendMessage`` for one chat id."""

    OK = "ok"
    BLOCKED = "blocked"  # 403 Forbidden: bot was blocked by the user
    DEACTIVATED = "deactivated"  # 403 Forbidden: user is deactivated
    NOT_FOUND = "not_found"  # 400 Bad Request: chat not found
    FLOOD = "flood"  # 429 Too Many Requests, parameters.retry_after


@dataclass(frozen=True)
class SentMessage:
    """A ``sendMessage`` call the fake server accepted."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None

    @property
    def button_payloads(self) -> list[str]:
        """``callback_data`` of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button.get("callback_data", "") for row in rows for button in row]


@dataclass
class WebhookState:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None


@dataclass
class WebhookAttempt:
    """One POST of an update to the webhook URL and the HTTP status it got (0: no answer)."""

    update_id: int
    status: int


@dataclass
class _Behaviour:
    kind: ChatBehaviour
    retry_after: int = 0


@dataclass
class _ApiError(Exception):
    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- update builders


def _private_chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Customer"}
    return {"id": chat_id, "type": chat_type, "title": f"A {chat_type}"}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": abs(user_id), "is_bot": False, "first_name": "Customer"}


def text_update(
    chat_id: int,
    text: str,
    *,
    update_id: int,
    message_id: int,
    chat_type: str = "private",
    date: int | None = None,
    edited: bool = False,
    reply_to_message_id: int | None = None,
) -> dict[str, Any]:
    """An update carrying one text message (``chat_type``: private, group, supergroup, channel).

    Messages starting with ``/`` get a ``bot_command`` entity, as Telegram adds one.
    """
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()) if date is None else date,
        "chat": _private_chat(chat_id, chat_type),
        "text": text,
    }
    if chat_type != "channel":
        message["from"] = _user(chat_id)
    if text.startswith("/"):
        command_len = len(text.split(maxsplit=1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_len}]
    if reply_to_message_id is not None:
        message["reply_to_message"] = {
            "message_id": reply_to_message_id,
            "date": message["date"],
            "chat": message["chat"],
            "text": "(earlier message)",
        }
    if chat_type == "channel":
        key = "edited_channel_post" if edited else "channel_post"
    else:
        key = "edited_message" if edited else "message"
    if edited:
        message["edit_date"] = message["date"]
    return {"update_id": update_id, key: message}


def sticker_update(chat_id: int, *, update_id: int, message_id: int) -> dict[str, Any]:
    """A private message with a sticker and no text."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _private_chat(chat_id, "private"),
            "from": _user(chat_id),
            "sticker": {
                "file_id": "sticker-file",
                "file_unique_id": "sticker-unique",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        },
    }


def callback_update(
    chat_id: int,
    data: str,
    *,
    update_id: int,
    callback_id: str,
    message_id: int,
    chat_type: str = "private",
) -> dict[str, Any]:
    """A button press (``callback_query``) on the bot's message ``message_id``."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id,
            "from": _user(chat_id),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": _private_chat(chat_id, chat_type),
                "text": "(message with buttons)",
            },
        },
    }


def member_update(chat_id: int, status: str, *, update_id: int) -> dict[str, Any]:
    """``my_chat_member``: the user blocked (``kicked``) or unblocked (``member``) the bot."""
    now = int(time.time())
    bot_user = {"id": 7000000001, "is_bot": True, "first_name": "Duebot"}
    old = "member" if status == "kicked" else "kicked"
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": _private_chat(chat_id, "private"),
            "from": _user(chat_id),
            "date": now,
            "old_chat_member": {"user": bot_user, "status": old, **_until(old)},
            "new_chat_member": {"user": bot_user, "status": status, **_until(status)},
        },
    }


def _until(status: str) -> dict[str, Any]:
    return {"until_date": 0} if status == "kicked" else {}


# --------------------------------------------------------------------------- the server


class FakeTelegramBotAPI:
    """A Telegram-Bot-API-like HTTP server on loopback; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._behaviours: dict[int, _Behaviour] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._updates_changed = asyncio.Event()
        self._closing = asyncio.Event()
        self.sent: list[SentMessage] = []
        self.answered_callbacks: list[str] = []
        self.calls: list[str] = []  # API method names in call order (wrong-token calls too)
        self.webhook: WebhookState | None = None
        self.webhook_attempts: list[WebhookAttempt] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeTelegramBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def stop(self) -> None:
        self._closing.set()  # releases long polls at once
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def api_base(self) -> str:
        """Base URL in python-telegram-bot's form: the token is appended to it."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def file_base(self) -> str:
        return f"http://{self._host}:{self._port}/file/bot"

    # ------------------------------------------------------------------ test controls
    def set_behaviour(
        self, chat_id: int | str, kind: ChatBehaviour, *, retry_after: int = 3
    ) -> None:
        """Make ``sendMessage`` to ``chat_id`` fail (or succeed again with ``OK``)."""
        self._behaviours[int(chat_id)] = _Behaviour(kind, retry_after)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self) -> int:
        return next(self._message_ids)

    async def push_update(self, update: Mapping[str, Any]) -> int | None:
        """Deliver an inbound update as Telegram would.

        A missing ``update_id`` is assigned. With a webhook set, the update is POSTed to it
        and the HTTP status is returned (0 when the webhook did not answer); otherwise it is
        queued for ``getUpdates`` and ``None`` is returned.
        """
        data = dict(update)
        data.setdefault("update_id", self.next_update_id())
        if self.webhook is None:
            self._updates.append(data)
            self._updates_changed.set()
            return None
        status = await self._post_to_webhook(self.webhook, data)
        self.webhook_attempts.append(WebhookAttempt(int(data["update_id"]), status))
        return status

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for ``getUpdates`` and not yet confirmed by an offset."""
        return list(self._updates)

    async def _post_to_webhook(self, hook: WebhookState, data: dict[str, Any]) -> int:
        assert self._client is not None, "peer not started"
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with self._client.post(hook.url, data=json.dumps(data), headers=headers) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if request.match_info["token"] != self.token:
            return _error(_ApiError(401, "Unauthorized"))
        try:
            params = await _read_params(request)
            handler = self._methods().get(method.lower())
            if handler is None:
                raise _ApiError(404, "Not Found")
            result = await handler(params)
        except _ApiError as err:
            return _error(err)
        return web.json_response({"ok": True, "result": result})

    def _methods(self) -> dict[str, Any]:
        return {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "answercallbackquery": self._answer_callback_query,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
        }

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Duebot",
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return self._bot_user()

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = _int_param(params, "chat_id")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = _json_param(params, "reply_markup")
        if markup is not None:
            _check_markup(markup)
        behaviour = self._behaviours.get(chat_id, _Behaviour(ChatBehaviour.OK))
        if behaviour.kind is ChatBehaviour.BLOCKED:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if behaviour.kind is ChatBehaviour.DEACTIVATED:
            raise _ApiError(403, "Forbidden: user is deactivated")
        if behaviour.kind is ChatBehaviour.NOT_FOUND or chat_id == 0:
            raise _ApiError(400, "Bad Request: chat not found")
        if behaviour.kind is ChatBehaviour.FLOOD:
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {behaviour.retry_after}",
                {"retry_after": behaviour.retry_after},
            )
        sent = SentMessage(chat_id, self.next_message_id(), text, markup)
        self.sent.append(sent)
        result: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": _private_chat(chat_id, "private" if chat_id > 0 else "group"),
            "from": self._bot_user(),
            "text": text,
        }
        if markup is not None:
            result["reply_markup"] = markup
        return result

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired")
        self.answered_callbacks.append(str(query_id))
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = _json_param(params, "allowed_updates")
        if _truthy(params.get("drop_pending_updates")):
            self._updates.clear()
        self.webhook = WebhookState(url, None if secret is None else str(secret), allowed)
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if _truthy(params.get("drop_pending_updates")):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook and self.webhook.allowed_updates is not None:
            info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", default=0)
        limit = min(max(_int_param(params, "limit", default=100), 1), 100)
        timeout = max(_int_param(params, "timeout", default=0), 0)
        allowed = _json_param(params, "allowed_updates")
        if offset:
            # an offset confirms every earlier update: Telegram forgets them
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            ready = [u for u in self._updates if _allowed(u, allowed)][:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or remaining <= 0 or self._closing.is_set():
                return ready
            self._updates_changed.clear()
            waiters = [
                asyncio.ensure_future(self._updates_changed.wait()),
                asyncio.ensure_future(self._closing.wait()),
            ]
            try:
                await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiter


def _allowed(update: Mapping[str, Any], allowed: list[str] | None) -> bool:
    if not allowed:
        return True
    return any(kind in update for kind in allowed)


def _error(err: _ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": err.status, "description": err.description}
    if err.parameters:
        body["parameters"] = err.parameters
    return web.json_response(body, status=err.status)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then form / multipart / JSON body, as the real Bot API accepts."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise _ApiError(400, "Bad Request: can't parse JSON") from exc
        if not isinstance(body, dict):
            raise _ApiError(400, "Bad Request: parameters must be a JSON object")
        params.update(body)
    else:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _int_param(params: Mapping[str, Any], name: str, *, default: int | None = None) -> int:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise _ApiError(400, f"Bad Request: {name} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _ApiError(400, f"Bad Request: invalid {name}") from exc


def _json_param(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
    return value


def _truthy(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _check_markup(markup: Any) -> None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if not button.get("text"):
                raise _ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "ChatBehaviour",
    "FakeTelegramBotAPI",
    "SentMessage",
    "WebhookAttempt",
    "callback_update",
    "member_update",
    "sticker_update",
    "text_update",
]
