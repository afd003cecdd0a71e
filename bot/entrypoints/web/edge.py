"""The web app's edge: what every request goes through before and after its route.

* **Malformed requests get a 4xx**: a path or query string that is not UTF-8 or holds a NUL
  or another control character is answered 400 before any route sees it; a body larger
  than :data:`MAX_BODY_BYTES` gets 413 (from its ``Content-Length``, or as soon as more
  arrives); a request the API cannot validate gets 422 with a body that always
  serialises (no echo of the input, which may be ``NaN`` or hold a lone surrogate).
* **A failure is contained**: an exception a route lets through is answered 500 (503 when
  the database cannot be reached) by this middleware, so the server keeps the kept-alive
  connection (uvicorn closes it when an exception reaches it), and it is logged by route
  template, exception type and code location, never with the exception's message (a
  database error quotes the values it refused).
* **The access log** names the route template (``/api/cases/{account_id}``), never the
  path itself (account numbers, unsubscribe tokens); uvicorn's own access log is off.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.domain.text_hygiene import clean_text, text_problem

#: the largest request body accepted (webhooks and API alike); a Twilio form with a
#: 1,600-character body is under 4 KB, a Telegram update under 64 KB
MAX_BODY_BYTES = 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_OUR_PACKAGES = ("bot", "channels", "storage")

access_log = logging.getLogger("duebot.access")
error_log = logging.getLogger("duebot.web")


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; FastAPI and Starlette answer it."""

    def __init__(self) -> None:
        super().__init__(413, f"request body larger than {MAX_BODY_BYTES} bytes")


def request_problem(scope: Scope) -> str | None:
    """Why the request's path or query string cannot be routed, or None."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
    for what, raw in (("path", raw_path), ("query string", scope.get("query_string", b""))):
        if what == "query string":
            raw = raw.replace(b"+", b" ")
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return f"the {what} is not UTF-8"
        problem = text_problem(text)
        if problem is not None:
            return f"the {what} {problem}"
    return None


def route_name(scope: Scope) -> str:
    """The template of the route that served the request (``-`` when none did)."""
    route = scope.get("route")
    return str(getattr(route, "path", "-")) if route is not None else "-"


def describe_failure(exc: BaseException) -> str:
    """An exception as the logs may show it: its type, what a database said in codes
    (SQLSTATE, constraint), where it was raised; never its message."""
    parts = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
    if orig is not None:
        parts.append(f"from {type(orig).__module__}.{type(orig).__qualname__}")
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate:
            parts.append(f"sqlstate {sqlstate}")
        diag = getattr(orig, "diag", None)
        for attribute in ("constraint_name", "table_name", "column_name"):
            value = getattr(diag, attribute, None) if diag is not None else None
            if value:
                parts.append(f"{attribute.split('_')[0]} {value}")
    frames = traceback.extract_tb(exc.__traceback__)
    # where duebot's code was (the frames of bot/, channels/, storage/), then where the
    # exception was raised
    ours = [f for f in frames if any(f"/{p}/" in f.filename for p in _OUR_PACKAGES)][-4:]
    shown = [*ours, frames[-1]] if frames and (not ours or ours[-1] is not frames[-1]) else ours
    where = " <- ".join(f"{'/'.join(f.filename.rsplit('/', 2)[-2:])}:{f.lineno} {f.name}"
                        for f in reversed(shown))
    return f"{' '.join(parts)} (message withheld: it may quote personal data) at {where}"


def _unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached now (a retry may work)."""
    try:
        from sqlalchemy import exc as sa_exc
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return False
    return isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError
                      | sa_exc.DisconnectionError)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """ASGI middleware implementing the rules in the module docstring."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            await self._handle(scope, receive, tracked_send, status)
        finally:
            access_log.info("%s %s %s %.1fms", scope.get("method", "-"), route_name(scope),
                            status[0] if status else "-",
                            (time.perf_counter() - started) * 1000)

    async def _handle(self, scope: Scope, receive: Receive, send: Send,
                      status: list[int]) -> None:
        problem = request_problem(scope)
        if problem is not None:
            await _answer(send, 400, problem)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _answer(send, 413 if length.isdigit() else 400,
                          f"request body larger than {self.max_body} bytes"
                          if length.isdigit() else "malformed Content-Length")
            return
        read = 0

        async def counted_receive() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_body:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except BodyTooLarge:
            if not status:
                await _answer(send, 413, f"request body larger than {self.max_body} bytes")
        except Exception as exc:
            error_log.error("%s %s failed: %s", scope.get("method", "-"), route_name(scope),
                            describe_failure(exc))
            if not status:
                if _unavailable(exc):
                    await _answer(send, 503, "the database is unavailable; try again later")
                else:
                    await _answer(send, 500, "internal error")


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 for a request the API cannot validate: where and why, without the input (it
    may be NaN, hold a lone surrogate, or be personal data)."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        loc = [clean_text(part)[0] if isinstance(part, str) else part
               for part in error.get("loc", ())]
        errors.append({"type": error.get("type"), "loc": loc,
                       "msg": clean_text(str(error.get("msg", "")))[0]})
    return JSONResponse({"detail": errors}, status_code=422)
