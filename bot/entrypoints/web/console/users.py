"""Users and roles (admins): add a user, change a role, disable or enable, set a
password, make a new API token (shown once). Each calls :mod:`bot.services.users`,
which checks the role and audits the change."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.pages import Console, FormError, PageError
from bot.entrypoints.web.console.session import Viewer
from bot.services import users
from bot.services.roles import ROLES


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    uow = console.container.uow
    Signed = Annotated[Viewer, Depends(console.viewer)]
    Changing = Annotated[Viewer, Depends(console.changing)]

    def page(request: Request, viewer: Viewer, *, status: int = 200,
             errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
             token: tuple[str, str] | None = None) -> Response:
        rows = console.run(lambda: users.list_users(uow(), actor=viewer.actor))
        return console.page(request, "users.html", viewer, status=status, rows=rows,
                            roles=ROLES, errors=errors or {}, values=values or {},
                            token=token)

    @router.get("/users")
    def user_list(request: Request, viewer: Signed) -> Response:
        return page(request, viewer)

    @router.post("/users")
    async def add(request: Request, viewer: Changing) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            name = forms.text(form.get("username"), "user name", "add", limit=64)
            role = forms.choice(form.get("role"), "role", "add", ROLES)
            password = form.get("password") or None
            token = console.run(lambda: users.add_user(uow(), name, role, password,
                                                       actor=viewer.actor), "add")
        except FormError as exc:
            form.pop("password", None)
            return page(request, viewer, status=exc.status, errors={"add": str(exc)},
                        values=form)
        return page(request, viewer, token=(users.normalise_name(name), token))

    async def change(request: Request, viewer: Viewer, username: str, what: str) -> Response:
        if not username or len(username) > 64:
            raise PageError(404, "no such user")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        actor = viewer.actor
        token = None
        try:
            if what == "role":
                role = forms.choice(form.get("role"), "role", username, ROLES)
                console.run(lambda: users.set_role(uow(), username, role, actor=actor))
            elif what in ("disable", "enable"):
                console.run(lambda: users.set_active(uow(), username, what == "enable",
                                                     actor=actor))
            elif what == "password":
                password = form.get("password") or ""
                console.run(lambda: users.set_password(uow(), username, password,
                                                       actor=actor))
            else:
                token = (username, console.run(lambda: users.rotate_token(uow(), username,
                                                                          actor=actor)))
        except FormError as exc:
            return page(request, viewer, status=exc.status, errors={username: str(exc)})
        if token is not None:
            return page(request, viewer, token=token)
        return console.back("/users", "user")

    def user_route(what: str) -> None:
        async def handler(request: Request, username: str, viewer: Changing) -> Response:
            return await change(request, viewer, username, what)

        handler.__name__ = f"user_{what}"
        router.post(f"/users/{{username}}/{what}")(handler)

    for what in ("role", "disable", "enable", "password", "token"):
        user_route(what)

    return router
