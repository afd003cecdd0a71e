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

from fastapi import APIRouter, Depends, Header, HTTPException, status
from pydantic import BaseModel, Field

from bot.domain.case import TransitionError
from bot.domain.messages import ChannelKind
from bot.policy.profiles import JurisdictionProfile
from bot.services import case_work, handoff
from bot.services.case_view import case_view
from bot.services.ports import UnitOfWork, UnitOfWorkFactory, UserRecord
from bot.services.users import user_for_token


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    channel: ChannelKind | None = None


class Instalment(BaseModel):
    amount: Decimal = Field(gt=0)
    date: date


class PromiseIn(BaseModel):
    instalments: list[Instalment] = Field(min_length=1, max_length=36)


class PlanIn(BaseModel):
    count: int = Field(ge=2, le=36)
    first_due: date


class DisputeIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ResolveIn(BaseModel):
    outcome: str = Field(pattern="^(verified|upheld)$")


class HoldIn(BaseModel):
    hold: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    until: date | None = None  # a breathing space's last day


class HoldClearIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


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
        except case_work.CaseNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except case_work.CaseWorkError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    @router.get("/me")
    def me(who: User) -> dict[str, str]:
        return {"username": who.username, "role": who.role}

    @router.get("/queue")
    def get_queue(u: Uow, who: User, limit: int = 100) -> list[dict[str, Any]]:
        return [item.as_dict() for item in handoff.queue(u, limit)]

    @router.post("/queue/{item_id}/done")
    def done(item_id: int, u: Uow, who: User) -> dict[str, bool]:
        act(lambda: handoff.close_item(u, item_id, who.username))
        return {"ok": True}

    @router.get("/cases/{account_id}")
    def get_case(account_id: str, u: Uow, who: User) -> dict[str, Any]:
        view = case_view(u, account_id)
        if view is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
        return view

    @router.post("/cases/{account_id}/take")
    def take(account_id: str, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.take(u, account_id, who.username))
        return {"held_by": who.username}

    @router.post("/cases/{account_id}/release")
    def release(account_id: str, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.release(u, account_id, who.username))
        return {"held_by": None}

    @router.post("/cases/{account_id}/reply", status_code=status.HTTP_202_ACCEPTED)
    def reply(account_id: str, body: ReplyIn, u: Uow, who: User) -> dict[str, Any]:
        mid = act(lambda: handoff.reply(u, account_id, who.username, body.text, body.channel))
        return {"message_id": mid, "status": "queued"}

    @router.post("/cases/{account_id}/promises", status_code=status.HTTP_201_CREATED)
    def promise(account_id: str, body: PromiseIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_promise(u, account_id, who.username, profile,
                                           [(i.amount, i.date) for i in body.instalments]))
        return {"ok": True}

    @router.post("/cases/{account_id}/plan", status_code=status.HTTP_201_CREATED)
    def plan(account_id: str, body: PlanIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_plan(u, account_id, who.username, profile, body.count,
                                        body.first_due))
        return {"ok": True}

    @router.post("/cases/{account_id}/dispute", status_code=status.HTTP_201_CREATED)
    def dispute(account_id: str, body: DisputeIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.record_dispute(u, account_id, who.username, body.reason))
        return {"ok": True}

    @router.post("/cases/{account_id}/dispute/resolve")
    def resolve(account_id: str, body: ResolveIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: handoff.resolve_dispute(u, account_id, who.username, body.outcome))
        return {"ok": True}

    # holds that protect the customer: any collector sets one, a supervisor clears it
    # (issue #14 puts the role check here); who and why go to the case's events
    @router.post("/cases/{account_id}/holds", status_code=status.HTTP_201_CREATED)
    def set_hold(account_id: str, body: HoldIn, u: Uow, who: User) -> dict[str, Any]:
        act(lambda: case_work.set_hold(u, account_id, body.hold, f"user:{who.username}",
                                       body.reason, body.until))
        return {"hold": body.hold, "until": body.until.isoformat() if body.until else None}

    @router.post("/cases/{account_id}/holds/{hold}/clear")
    def clear_hold(account_id: str, hold: str, body: HoldClearIn, u: Uow,
                   who: User) -> dict[str, Any]:
        act(lambda: case_work.clear_hold(u, account_id, hold, f"user:{who.username}",
                                         body.reason))
        return {"hold": hold, "cleared": True}

    return router
