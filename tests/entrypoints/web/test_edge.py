"""The web app's edge: malformed requests get a 4xx, failures a contained 5xx, the access
log names route templates (``bot/entrypoints/web/edge.py``)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc

from bot.entrypoints.web.edge import MAX_BODY_BYTES, EdgeGuard, validation_error
from tests.entrypoints.web.test_api import ACCOUNT, Api, api  # noqa: F401

PHONE = "+14155550123"


class Amount(BaseModel):
    amount: float = Field(allow_inf_nan=False)  # the error carries the NaN as its input


def failing_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(EdgeGuard)
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.get("/boom/{account_id}")
    def boom(account_id: str) -> None:
        raise ValueError(f"cannot text {PHONE} about {account_id}")

    @app.get("/db")
    def db() -> None:
        raise sa_exc.OperationalError("SELECT 1", {"address": PHONE},
                                      Exception(f"connection lost while sending {PHONE}"))

    @app.post("/echo")
    def echo(body: Amount) -> dict[str, float]:
        return {"amount": body.amount}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=failing_app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize(("path", "reason"), [
    ("/api/cases/A%00B", "the path contains a NUL byte"),
    ("/api/cases/A%FFB", "the path is not UTF-8"),
    ("/api/cases/A%1BB", "the path contains the control character U+001B"),
    ("/api/queue?limit=%00", "the query string contains a NUL byte"),
    ("/api/queue?x=%ED%A0%80", "the query string is not UTF-8"),  # a lone surrogate
])
async def test_malformed_paths_and_queries_are_400(api: Api, path: str, reason: str  # noqa: F811
                                                   ) -> None:
    response = await api.http.get(path, headers={"Authorization": "Bearer x"})
    assert response.status_code == 400
    assert response.json() == {"detail": reason}


async def test_a_body_over_the_limit_is_413(api: Api) -> None:  # noqa: F811
    big = b"x" * (MAX_BODY_BYTES + 1)
    response = await api.http.post(f"/api/cases/{ACCOUNT}/reply", content=big, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {api.tokens['ann']}"})
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = await api.http.post(f"/api/cases/{ACCOUNT}/reply", content=chunks(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {api.tokens['ann']}"})
    assert response.status_code == 413


async def test_a_validation_error_with_nan_serialises_without_echoing_the_input(
        client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b'{"amount": NaN}',
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "amount"] and "input" not in error


async def test_a_failing_route_is_a_500_logged_without_its_message(
        client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.get("/boom/ACC-99887766")
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    response = await client.get("/db")
    assert response.status_code == 503
    # (httpx logs the test client's own requests: not the server's log)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")
    assert "GET /boom/{account_id} failed: builtins.ValueError (message withheld" in text
    assert "sqlalchemy.exc.OperationalError from builtins.Exception" in text
    assert PHONE not in text and "ACC-99887766" not in text
    assert "GET /boom/{account_id} 500" in text  # the access log: the route, not the path


async def test_the_access_log_names_the_route_not_the_account(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    caplog.set_level(logging.INFO, logger="duebot.access")
    assert (await api.call("GET", f"/cases/{ACCOUNT}")).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "duebot.access"]
    assert lines and lines[-1].startswith("GET /api/cases/{account_id} 200 ")
    assert ACCOUNT not in json.dumps(lines)
