"""Sign in and out: ``GET /`` (the inbox, or the sign-in page), ``/login``, ``/logout``."""


from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.entrypoints.web.console.pages import Console
from bot.entrypoints.web.console.session import LOGIN_COOKIE, SESSION_COOKIE, Viewer
from bot.services import users
from bot.services.users import LoginRefused, LoginThrottled


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this console only."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or target.startswith(("/api", "/login")):
        return "/inbox"
    return target


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    sessions = console.sessions

    @router.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse("/inbox" if sessions.viewer(request) else "/login",
                                status_code=303)

    def login_page(request: Request, *, status: int = 200, error: str | None = None,
                   username: str = "") -> Response:
        token = sessions.new_login_token()
        response = console.page(request, "login.html", None, status=status, error=error,
                                login_token=token, username=username,
                                next=_safe_next(request.query_params.get("next")))
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax",
                            secure=sessions.secure(request), max_age=3600, path="/login")
        return response

    @router.get("/login")
    def login_form(request: Request) -> Response:
        if sessions.viewer(request) is not None:
            return RedirectResponse("/inbox", status_code=303)
        return login_page(request)

    @router.post("/login")
    async def login(request: Request, username: Annotated[str, Form()] = "",
                    password: Annotated[str, Form()] = "",
                    next: Annotated[str, Form()] = "/inbox") -> Response:
        await sessions.check_login(request)
        name = username.strip()[:64]
        if not name or not password:
            return login_page(request, status=422, error="Enter your user name and password.",
                              username=name)
        client = request.client.host if request.client else "unknown"
        try:
            done = users.login(console.container.uow(), name, password[:1024], client,
                               console.container.login_policy)
        except LoginThrottled as exc:
            response = login_page(request, status=429, error=str(exc), username=name)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except LoginRefused:
            return login_page(request, status=401, error="Wrong user name or password.",
                              username=name)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, done.token, httponly=True, samesite="lax",
                            secure=sessions.secure(request),
                            max_age=sessions.session_hours * 3600, path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @router.post("/logout")
    def logout(request: Request, viewer: Annotated[Viewer, Depends(console.changing)]
               ) -> Response:
        users.logout(console.container.uow(), viewer.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
