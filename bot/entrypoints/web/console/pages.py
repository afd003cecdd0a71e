"""What every console page shares: the Jinja environment, who is signed in, the CSRF
check on changes, and how a use case's refusal becomes a page (403 for a role, 404 for
an unknown case, 409 for a state, 422 for bad input: an inline error, never a 500)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.bootstrap import Container
from bot.campaigns.parsing import CampaignError
from bot.conversations.template_errors import TemplateError
from bot.domain.case import TransitionError
from bot.entrypoints.web.console.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    LoginRequired,
    Sessions,
    Viewer,
)
from bot.services import handoff
from bot.services.campaign_admin import CampaignAdminError
from bot.services.case_work import CaseWorkError
from bot.services.roles import Forbidden, Permission, allowed
from bot.services.template_desk import TemplateDeskError
from bot.services.users import UserError

HERE = Path(__file__).resolve().parent
T = TypeVar("T")

#: what a redirect's ``done`` parameter says on the page it lands on (no user text)
DONE = {
    "take": "You hold the conversation: the bot is quiet until you hand it back.",
    "release": "Handed back to the bot.",
    "reply": "Reply queued: it goes out through the case's channel.",
    "promise": "Promise recorded.",
    "plan": "Payment plan recorded.",
    "dispute": "Dispute recorded.",
    "resolve": "Dispute resolved.",
    "note": "Note added.",
    "hold": "Hold placed.",
    "clear": "Hold cleared.",
    "legal": "Returned from legal review.",
    "writeoff": "Case written off.",
    "reassign": "Case reassigned.",
    "item": "Queue item closed.",
    "saved": "Saved as a new draft version.",
    "same": "The text equals the latest version: nothing was stored.",
    "approved": "Version approved.",
    "activated": "Version activated.",
    "paused": "Campaign paused: nothing more goes out under it.",
    "resumed": "Campaign resumed.",
    "template": "Template saved; other processes take it at their next reload.",
    "user": "User saved.",
    "answered": "Sent as the customer.",
}


class PageError(Exception):
    """A request the console answers with an error page (``status``, ``message``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FormError(ValueError):
    """Bad input in a form field: shown next to the field."""

    def __init__(self, message: str, form: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.form = form
        self.status = status


def when(value: datetime | str | None) -> str:
    """A time as the console writes it (UTC, to the minute)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def waited(since: datetime, now: datetime) -> str:
    """How long ago ``since`` was, shortly ("3 min", "2 h 5 min", "4 d")."""
    seconds = (now - since).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = math.floor(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"


def label(value: str | None) -> str:
    """``legal_review`` → ``legal review``."""
    return (value or "").replace("_", " ")


@dataclass
class Console:
    """The console's shared parts, handed to every area's routes."""

    container: Container
    sessions: Sessions
    poll_seconds: int = 3
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Jinja2Templates(directory=str(HERE / "jinja"))
        env = self.templates.env
        env.filters.update(when=when, iso=iso, label=label, urlquote=lambda v: quote(str(v)))
        env.globals.update(Permission=Permission, allowed=allowed, csrf_field=CSRF_FIELD,
                           csrf_header=CSRF_HEADER)

    # ------------------------------------------------------------------ who
    def viewer(self, request: Request) -> Viewer:
        """FastAPI dependency: the signed-in person (else to the sign-in page)."""
        found = self.sessions.viewer(request)
        if found is None:
            raise LoginRequired()
        return found

    async def changing(self, request: Request) -> Viewer:
        """FastAPI dependency of every POST: signed in, and the session's CSRF token."""
        found = self.viewer(request)
        await self.sessions.check(request, found)
        return found

    # ------------------------------------------------------------------ answers
    def page(self, request: Request, name: str, viewer: Viewer | None, *,
             status: int = 200, **context: Any) -> HTMLResponse:
        done = request.query_params.get("done")
        context.setdefault("notice", DONE.get(done or ""))
        context.setdefault("errors", {})
        context.setdefault("values", {})
        return self.templates.TemplateResponse(
            request, name, {"viewer": viewer, "now": self.container.clock.now(),
                            "poll_seconds": self.poll_seconds, **context},
            status_code=status)

    @staticmethod
    def back(path: str, done: str, anchor: str = "", **params: str) -> RedirectResponse:
        """After a change: see the page again (303), saying what was done."""
        query = urlencode({"done": done, **params})
        return RedirectResponse(f"{path}?{query}{'#' + anchor if anchor else ''}",
                                status_code=303)

    @staticmethod
    def run(fn: Callable[[], T], form: str = "") -> T:
        """Call a use case; its refusals become :class:`PageError` (roles: 403, unknown
        case: 404) or :class:`FormError` (the case's state: 409, bad input: 422)."""
        try:
            return fn()
        except REFUSALS as exc:
            raise refusal(exc, form) from None


#: what use cases raise to refuse a request (see :func:`refusal`)
REFUSALS = (Forbidden, handoff.HandoffError, CampaignError, TemplateError,
            TemplateDeskError, CaseWorkError, TransitionError, CampaignAdminError, UserError,
            ValueError)


def refusal(exc: Exception, form: str = "") -> PageError | FormError:
    """The page error a use case's refusal becomes."""
    if isinstance(exc, Forbidden):
        return PageError(403, str(exc))
    if isinstance(exc, handoff.NotFound):
        return PageError(404, str(exc))
    if isinstance(exc, CampaignError):
        return FormError("\n".join(str(p) for p in exc.problems), form)
    if isinstance(exc, TemplateDeskError):
        return FormError("\n".join([str(exc), *exc.findings]), form)
    if isinstance(exc, handoff.HandoffError | CaseWorkError | TransitionError
                  | CampaignAdminError):
        return FormError(str(exc), form, 409)
    return FormError(str(exc), form)


def error_page(console: Console, request: Request, status: int, message: str) -> Response:
    viewer = console.sessions.viewer(request)
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 409: "Not now",
              422: "Invalid input"}
    return console.page(request, "error.html", viewer, status=status,
                        title=titles.get(status, "Error"), message=message)
