"""Who is looking at a console page, and the console's cross-site request forgery guard.

Sign-in is the accounts' own (:func:`bot.services.users.login`, the session the JSON
API's ``POST /api/login`` opens too): the session token lives in the ``duebot_session``
cookie, HttpOnly, SameSite=Lax, and Secure when the request came over https (directly,
or through a proxy that says so in ``X-Forwarded-Proto`` when ``DUEBOT_TRUSTED_PROXY``
is set).

Every change (a POST) must carry the session's CSRF token, a synchroniser token tied to
the session: HMAC-SHA256 of the session token under a key derived (HKDF) from
``DUEBOT_SECRET_KEY``. Forms send it as the ``csrf_token`` field, htmx as the
``X-CSRF-Token`` header (``hx-headers`` on ``<body>``). A POST without it, or with
another session's, is refused with 403 before anything runs. The sign-in form, which has
no session yet, carries a random token that must match a short-lived cookie of its own
(a double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request

from bot.services import users
from bot.services.ports import UnitOfWorkFactory
from bot.services.roles import Actor

SESSION_COOKIE = "duebot_session"  # the JSON API's cookie (bot/entrypoints/web/api.py)
LOGIN_COOKIE = "duebot_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_HKDF_INFO = b"duebot/console/csrf/v1"


class LoginRequired(Exception):
    """No valid console session: the page sends the browser to the sign-in page."""


class CsrfRefused(Exception):
    """A change without the session's CSRF token (403, nothing done)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person, their session and its CSRF token."""

    actor: Actor
    token: str
    csrf: str


class Sessions:
    """Reads console sessions and checks CSRF tokens (see the module docs)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, secret_key: str, *,
                 trusted_proxy: bool = False, session_hours: int = 12) -> None:
        self.uow_factory = uow_factory
        self.trusted_proxy = trusted_proxy
        self.session_hours = session_hours
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=_HKDF_INFO).derive(secret_key.encode("utf-8"))

    def csrf_for(self, session_token: str) -> str:
        return hmac.new(self._key, session_token.encode("utf-8"), hashlib.sha256).hexdigest()

    def viewer(self, request: Request) -> Viewer | None:
        """The signed-in person, or None (no cookie, an ended or expired session, a
        disabled user)."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 200:
            return None
        with self.uow_factory() as uow:
            user = users.session_user(uow, token)
        if user is None:
            return None
        return Viewer(users.actor_for(user), token, self.csrf_for(token))

    def secure(self, request: Request) -> bool:
        """Whether cookies set on this request must be Secure (it came over https)."""
        if request.url.scheme == "https":
            return True
        if self.trusted_proxy:
            forwarded = request.headers.get("x-forwarded-proto", "")
            return forwarded.split(",")[0].strip().lower() == "https"
        return False

    @staticmethod
    async def submitted_token(request: Request) -> str:
        header = request.headers.get(CSRF_HEADER)
        if header:
            return header
        if request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else ""
        return ""

    async def check(self, request: Request, viewer: Viewer) -> None:
        """Raise :class:`CsrfRefused` unless the request carries ``viewer``'s token."""
        sent = await self.submitted_token(request)
        if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"),
                                               viewer.csrf.encode("utf-8")):
            raise CsrfRefused()

    async def check_login(self, request: Request) -> None:
        """The sign-in form's double submit: its field must match its cookie."""
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        sent = await self.submitted_token(request)
        if not cookie or not sent or not hmac.compare_digest(
                sent.encode("utf-8", "replace"), cookie.encode("utf-8", "replace")):
            raise CsrfRefused()

    @staticmethod
    def new_login_token() -> str:
        return secrets.token_urlsafe(32)
