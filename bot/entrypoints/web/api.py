"""The collectors' JSON API (the console uses it): bearer token from ``duebot users add``.

Routes are thin: authenticate, turn the request into a service call, render JSON.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at
runtime, and the ``Annotated[..., Depends(...)]`` aliases are local to ``build_router``
(they close over the unit-of-work factory), so string annotations could not be resolved
and the dependencies would silently become required query parameters.
"""

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, status
from pydantic import AfterValidator, BaseModel, Field

from bot.domain.case import TransitionError
from bot.domain.messages import ChannelKind
from bot.domain.text_hygiene import text_problem
from bot.policy.profiles import JurisdictionProfile
from bot.services import handoff
from bot.services.case_view import case_view
from bot.services.ports import UnitOfWork, UnitOfWorkFactory, UserRecord
from bot.services.users import user_for_token

#: the largest id a row can have (``INTEGER`` keys: a signed 32-bit integer)
MAX_ID = 2**31 - 1
#: the largest amount a promise may name, in major units (storage keeps minor units in a
#: 64-bit integer; ``portfolio_rows.MAX_MINOR`` is 10**15 minor units)
MAX_AMOUNT = Decimal(10**12)
#: dates the API takes (a promise or plan date is checked against the profile's horizon
#: later; this only keeps date arithmetic away from year 1 and year 9999)
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2199, 12, 31)


def _keepable(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"text {problem}")
    return value


def _plausible(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"date must be between {FIRST_DATE} and {LAST_DATE}")
    return value


#: free text from a collector: no NUL, control character or lone surrogate
Text = Annotated[str, AfterValidator(_keepable)]
Day = Annotated[date, AfterValidator(_plausible)]
AccountId = Annotated[str, Path(min_length=1, max_length=64)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ReplyIn(BaseModel):
    text: Text = Field(min_length=1, max_length=4000)
    channel: ChannelKind | None = None


class Instalment(BaseModel):
    amount: Decimal = Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)
    date: Day


class PromiseIn(BaseModel):
    instalments: list[Instalment] = Field(min_length=1, max_length=36)


class PlanIn(BaseModel):
    count: int = Field(ge=2, le=36)
    first_due: Day


class DisputeIn(BaseModel):
    reason: Text = Field(default="", max_length=500)


class ResolveIn(BaseModel):
    outcome: str = Field(pattern="^(verified|upheld)$")


def build_router(uow_factory: UnitOfWorkFactory,
                 profile: JurisdictionProfile) -> APIRouter:
    router = APIRouter(prefix="/api")

    def uow() -> Iterator[UnitOfWork]:
        with uow_factory() as u:
            yield u

    Uow = Annotated[UnitOfWork, Depends(uow)]

    def user(u: Uow, authorization: Annotated[str | None, Header()] = None) -> UserRecord:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bearer token required",
                                headers={"WWW-Authenticate": "Bearer"})
        found = user_for_token(u, authorization[7:].strip())
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token",
                                headers={"WWW-Authenticate": "Bearer"})
        return found

    User = Annotated[UserRecord, Depends(user)]

    def act(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except handoff.NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except handoff.HandoffError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        except TransitionError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    @router.get("/me")
    def me(who: User) -> dict[str, str]:
        return {"username": who.username, "role": who.role}

    @router.get("/queue")
    def get_queue(u: Uow, who: User, limit: Annotated[int, Query(ge=1, le=1000)] = 100
                  ) -> list[dict[str, Any]]:
        return [item.as_dict() for item in handoff.queue(u, limit)]

    @router.post("/queue/{item_id}/done")
    def done(item_id: ItemId, u: Uow, who: User) -> dict[str, bool]:
        act(lambda: handoff.close_item(u, item_id, who.username))
        return {"ok": True}

    @router.get("/cases/{account_id}")
    def get_case(account_id: AccountId, u: Uow, who: User) -> dict[str, Any]:
        view = case_view(u, account_id)
        if view is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
        return view

    @router.post("/cases/{account_id}/take")
    def take(account_id: AccountId, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.take(u, account_id, who.username))
        return {"held_by": who.username}

    @router.post("/cases/{account_id}/release")
    def release(account_id: AccountId, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.release(u, account_id, who.username))
        return {"held_by": None}

    @router.post("/cases/{account_id}/reply", status_code=status.HTTP_202_ACCEPTED)
    def reply(account_id: AccountId, body: ReplyIn, u: Uow, who: User) -> dict[str, Any]:
        mid = act(lambda: handoff.reply(u, account_id, who.username, body.text, body.channel))
        return {"message_id": mid, "status": "queued"}

    @router.post("/cases/{account_id}/promises", status_code=status.HTTP_201_CREATED)
    def promise(account_id: AccountId, body: PromiseIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_promise(u, account_id, who.username, profile,
                                           [(i.amount, i.date) for i in body.instalments]))
        return {"ok": True}

    @router.post("/cases/{account_id}/plan", status_code=status.HTTP_201_CREATED)
    def plan(account_id: AccountId, body: PlanIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_plan(u, account_id, who.username, profile, body.count,
                                        body.first_due))
        return {"ok": True}

    @router.post("/cases/{account_id}/dispute", status_code=status.HTTP_201_CREATED)
    def dispute(account_id: AccountId, body: DisputeIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_dispute(u, account_id, who.username, body.reason))
        return {"ok": True}

    @router.post("/cases/{account_id}/dispute/resolve")
    def resolve(account_id: AccountId, body: ResolveIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.resolve_dispute(u, account_id, who.username, body.outcome))
        return {"ok": True}

    return router
