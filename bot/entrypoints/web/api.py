"""The JSON API (the web console uses it; docs at ``/api/docs``).

Authentication: ``Authorization: Bearer <API token>`` (``duebot users add`` prints it;
declared in the OpenAPI schema), or the ``duebot_session`` cookie a ``POST /api/login``
sets (the console). A cookie-authenticated request that changes something must also send
``X-Requested-With: duebot`` (a header other sites cannot make a browser send). Every
route turns the request into one use case of :class:`~bot.services.desk.CaseDesk`,
:mod:`bot.services.users`, :class:`~bot.services.campaign_admin.CampaignAdmin` or the
reports, which check the caller's role: 401 without a valid credential, 403 when the
role does not allow the action, 404 for an unknown case, 409 when the case's state
forbids it, 422 for invalid input, 429 after too many failed logins.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at
runtime, and the ``Annotated[..., Depends(...)]`` aliases are local to ``build_router``
(they close over the container), so string annotations could not be resolved and the
dependencies would silently become required query parameters.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Cookie,
    Depends,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, Field

from bot.campaigns.parsing import CampaignError, CampaignText
from bot.domain.case import TransitionError
from bot.domain.messages import ChannelKind
from bot.domain.text_hygiene import text_problem
from bot.services import handoff, users
from bot.services.campaign_admin import CampaignAdmin, CampaignAdminError
from bot.services.case_work import CaseWorkError
from bot.services.desk import CaseDesk
from bot.services.ports import OutcomeSource, UnitOfWorkFactory
from bot.services.reporting import campaign_report
from bot.services.roles import Actor, Forbidden, Role
from bot.services.users import LoginPolicy, LoginRefused, LoginThrottled, UserError

SESSION_COOKIE = "duebot_session"
CSRF_HEADER = "duebot"

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
Name = Annotated[str, Path(min_length=1, max_length=64)]  # a user, a campaign, a hold


# ---------------------------------------------------------------------------- bodies
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
    outcome: Literal["verified", "upheld"]


class ReasonIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=500)


class NoteIn(BaseModel):
    text: Text = Field(min_length=1, max_length=2000)


class HoldIn(BaseModel):
    hold: Text = Field(min_length=1, max_length=32)
    reason: Text = Field(min_length=1, max_length=500)
    until: Day | None = None  # a breathing space's last day


class ReassignIn(BaseModel):
    collector: Text | None = Field(default=None, max_length=64)


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewUserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    role: Role
    password: str | None = Field(default=None, max_length=1024)


class RoleIn(BaseModel):
    role: Role


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class CampaignIn(BaseModel):
    text: str = Field(min_length=1, max_length=200_000, description="the campaign's YAML")
    source: str = Field(default="console", max_length=200)


class VersionIn(BaseModel):
    version: int | None = Field(default=None, ge=1)
    activate: bool = False


class CampaignIdsIn(BaseModel):
    campaigns: list[str] = Field(default_factory=list, max_length=100)


# ---------------------------------------------------------------------------- answers
class Ok(BaseModel):
    ok: bool = True


class Me(BaseModel):
    username: str
    role: Role


class Session(BaseModel):
    username: str
    role: Role
    expires_at: datetime


class QueueItemOut(BaseModel):
    id: int
    kind: str
    priority: int
    account_id: str | None
    detail: str
    created_at: str = Field(description="ISO 8601")
    due_at: str | None = Field(description="ISO 8601")
    held_by: str | None


class Held(BaseModel):
    held_by: str | None


class Released(BaseModel):
    held_by: None = None
    items_closed: int


class Queued(BaseModel):
    message_id: int
    status: str = "queued"


class ContactPointOut(BaseModel):
    channel: str
    address: str
    consent: bool
    consent_source: str | None
    usable: bool
    unusable_because: str | None
    opted_out_at: str | None
    verified: bool


class CaseOut(BaseModel):
    """A case as the console shows it: contact addresses masked."""

    account_id: str
    customer: str
    status: str
    holds: dict[str, str]
    held_by: str | None
    balance: str | None
    currency: str
    minimum_payment: str | None
    due_date: str
    days_past_due: int
    bucket: str
    segment: str | None
    risk_band: str | None
    product: str | None
    timezone: str
    timezone_ambiguous: bool
    timezone_candidates: list[str]
    language: str
    assigned_collector: str | None
    contact_points: list[ContactPointOut]
    promises: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    campaign: dict[str, Any] | None = Field(
        default=None, description="the active campaign the case follows, by which rule, "
                                  "and why not the others")


class Revealed(BaseModel):
    channel: str
    address: str


class UserOut(BaseModel):
    username: str
    role: str
    active: bool
    password: bool
    api_token: bool
    created_at: datetime


class Token(BaseModel):
    username: str
    token: str = Field(description="shown once; stored only as a hash")


class CampaignOut(BaseModel):
    campaign_id: str
    name: str
    status: str
    live_version: int | None
    latest_version: int
    latest_status: str


class VersionOut(BaseModel):
    campaign_id: str
    version: int
    status: str


class Imported(BaseModel):
    campaign_id: str
    version: int
    status: str
    new: bool


class Switched(BaseModel):
    campaigns: list[str]


class ReportBy(StrEnum):
    STEP = "step"
    VARIANT = "variant"
    DAY = "day"


def build_router(uow_factory: UnitOfWorkFactory, desk: CaseDesk, campaigns: CampaignAdmin,
                 outcomes: OutcomeSource, login_policy: LoginPolicy = LoginPolicy(), *,
                 secure_cookie: bool = False) -> APIRouter:
    router = APIRouter(prefix="/api")
    bearer = HTTPBearer(auto_error=False, description="an API token from `duebot users add` "
                                                      "or `duebot users rotate-token`")

    def caller(request: Request,
               credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
               session: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
               x_requested_with: Annotated[str | None, Header()] = None) -> Actor:
        with uow_factory() as uow:
            if credentials is not None:
                found = users.user_for_token(uow, credentials.credentials.strip())
            elif session:
                if request.method not in ("GET", "HEAD") and x_requested_with != CSRF_HEADER:
                    raise HTTPException(status.HTTP_403_FORBIDDEN,
                                        "send X-Requested-With: duebot with a session cookie")
                found = users.session_user(uow, session)
            else:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bearer token required",
                                    headers={"WWW-Authenticate": "Bearer"})
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or expired credentials",
                                headers={"WWW-Authenticate": "Bearer"})
        return users.actor_for(found)

    Caller = Annotated[Actor, Depends(caller)]

    def act(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Forbidden as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
        except handoff.NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except (handoff.HandoffError, CaseWorkError, TransitionError,
                CampaignAdminError) as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        except CampaignError as exc:
            raise HTTPException(422,
                                [str(p) for p in exc.problems]) from None
        except (UserError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from None

    # ------------------------------------------------------------------ sign-in
    @router.post("/login", response_model=Session, tags=["sign-in"])
    def login(body: LoginIn, request: Request, response: Response) -> Session:
        """Check the password and open a console session (an HttpOnly cookie)."""
        client = request.client.host if request.client else "unknown"
        try:
            done = users.login(uow_factory(), body.username, body.password, client,
                               login_policy)
        except LoginThrottled as exc:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                                headers={"Retry-After": str(exc.retry_after)}) from None
        except LoginRefused as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
        response.set_cookie(SESSION_COOKIE, done.token, httponly=True, samesite="strict",
                            secure=secure_cookie, max_age=login_policy.session_hours * 3600,
                            path="/")
        return Session(username=done.user.username, role=Role(done.user.role),
                       expires_at=done.expires_at)

    @router.post("/logout", response_model=Ok, tags=["sign-in"])
    def logout(response: Response,
               session: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None) -> Ok:
        if session:
            users.logout(uow_factory(), session)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return Ok()

    @router.get("/me", response_model=Me, tags=["sign-in"])
    def me(who: Caller) -> Me:
        return Me(username=who.username, role=who.role)

    # ------------------------------------------------------------------ queue
    @router.get("/queue", response_model=list[QueueItemOut], tags=["queue"])
    def get_queue(who: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 100
                  ) -> list[QueueItemOut]:
        items = act(lambda: desk.queue(who, limit))
        return [QueueItemOut(**i.as_dict()) for i in items]

    @router.post("/queue/{item_id}/done", response_model=Ok, tags=["queue"])
    def done(item_id: ItemId, who: Caller) -> Ok:
        act(lambda: desk.close_item(who, item_id))
        return Ok()

    # ------------------------------------------------------------------ cases
    @router.get("/cases/{account_id}", response_model=CaseOut, tags=["cases"])
    def get_case(account_id: AccountId, who: Caller) -> CaseOut:
        return CaseOut(**act(lambda: desk.case(who, account_id)))

    @router.post("/cases/{account_id}/reveal", response_model=list[Revealed], tags=["cases"])
    def reveal(account_id: AccountId, body: ReasonIn, who: Caller) -> list[Revealed]:
        """The case's contact points unmasked (audited with the reason)."""
        return [Revealed(**p) for p in act(lambda: desk.reveal(who, account_id, body.reason))]

    @router.post("/cases/{account_id}/take", response_model=Held, tags=["conversations"])
    def take(account_id: AccountId, who: Caller) -> Held:
        act(lambda: desk.take(who, account_id))
        return Held(held_by=who.username)

    @router.post("/cases/{account_id}/release", response_model=Released,
                 tags=["conversations"])
    def release(account_id: AccountId, who: Caller, keep_items: bool = False) -> Released:
        closed = act(lambda: desk.release(who, account_id, close_items=not keep_items))
        return Released(items_closed=closed)

    @router.post("/cases/{account_id}/reply", status_code=status.HTTP_202_ACCEPTED,
                 response_model=Queued, tags=["conversations"])
    def reply(account_id: AccountId, body: ReplyIn, who: Caller) -> Queued:
        return Queued(message_id=act(lambda: desk.reply(who, account_id, body.text,
                                                        body.channel)))

    @router.post("/cases/{account_id}/promises", status_code=status.HTTP_201_CREATED,
                 response_model=Ok, tags=["cases"])
    def promise(account_id: AccountId, body: PromiseIn, who: Caller) -> Ok:
        act(lambda: desk.record_promise(who, account_id,
                                        [(i.amount, i.date) for i in body.instalments]))
        return Ok()

    @router.post("/cases/{account_id}/plan", status_code=status.HTTP_201_CREATED,
                 response_model=Ok, tags=["cases"])
    def plan(account_id: AccountId, body: PlanIn, who: Caller) -> Ok:
        act(lambda: desk.record_plan(who, account_id, body.count, body.first_due))
        return Ok()

    @router.post("/cases/{account_id}/dispute", status_code=status.HTTP_201_CREATED,
                 response_model=Ok, tags=["cases"])
    def dispute(account_id: AccountId, body: DisputeIn, who: Caller) -> Ok:
        act(lambda: desk.record_dispute(who, account_id, body.reason))
        return Ok()

    @router.post("/cases/{account_id}/dispute/resolve", response_model=Ok, tags=["cases"])
    def resolve(account_id: AccountId, body: ResolveIn, who: Caller) -> Ok:
        act(lambda: desk.resolve_dispute(who, account_id, body.outcome))
        return Ok()

    @router.post("/cases/{account_id}/notes", status_code=status.HTTP_201_CREATED,
                 response_model=Ok, tags=["cases"])
    def note(account_id: AccountId, body: NoteIn, who: Caller) -> Ok:
        act(lambda: desk.add_note(who, account_id, body.text))
        return Ok()

    @router.post("/cases/{account_id}/holds", status_code=status.HTTP_201_CREATED,
                 response_model=Ok, tags=["cases"])
    def set_hold(account_id: AccountId, body: HoldIn, who: Caller) -> Ok:
        act(lambda: desk.set_hold(who, account_id, body.hold, body.reason, until=body.until))
        return Ok()

    @router.post("/cases/{account_id}/holds/{hold}/clear", response_model=Ok, tags=["cases"])
    def clear_hold(account_id: AccountId, hold: Name, body: ReasonIn, who: Caller) -> Ok:
        act(lambda: desk.clear_hold(who, account_id, hold, body.reason))
        return Ok()

    @router.post("/cases/{account_id}/reassign", response_model=Ok, tags=["cases"])
    def reassign(account_id: AccountId, body: ReassignIn, who: Caller) -> Ok:
        act(lambda: desk.reassign(who, account_id, body.collector))
        return Ok()

    @router.post("/cases/{account_id}/legal-review/return", response_model=Ok,
                 tags=["cases"])
    def legal_return(account_id: AccountId, body: ReasonIn, who: Caller) -> Ok:
        act(lambda: desk.return_from_legal_review(who, account_id, body.reason))
        return Ok()

    @router.post("/cases/{account_id}/write-off", response_model=Ok, tags=["cases"])
    def write_off(account_id: AccountId, body: ReasonIn, who: Caller) -> Ok:
        act(lambda: desk.write_off(who, account_id, body.reason))
        return Ok()

    # ------------------------------------------------------------------ reports
    @router.get("/reports", tags=["reports"])
    def report(who: Caller, by: ReportBy = ReportBy.VARIANT,
               from_: Annotated[date | None, Query(alias="from")] = None,
               to: date | None = None, campaign: str | None = None) -> dict[str, Any]:
        """Campaign outcomes (as ``duebot report --format json``)."""
        result = act(lambda: campaign_report(outcomes, campaigns, who, by=by.value,
                                             since=from_, until=to, campaign=campaign))
        return dict(result.as_dict())

    # ------------------------------------------------------------------ users (admin)
    @router.get("/users", response_model=list[UserOut], tags=["users"])
    def list_users(who: Caller) -> list[UserOut]:
        found = act(lambda: users.list_users(uow_factory(), actor=who))
        return [UserOut(username=u.username, role=u.role, active=u.active,
                        password=bool(u.password_hash), api_token=bool(u.token_hash),
                        created_at=u.created_at) for u in found]

    @router.post("/users", status_code=status.HTTP_201_CREATED, response_model=Token,
                 tags=["users"])
    def add_user(body: NewUserIn, who: Caller) -> Token:
        token = act(lambda: users.add_user(uow_factory(), body.username, body.role.value,
                                           body.password, actor=who))
        return Token(username=users.normalise_name(body.username), token=token)

    @router.post("/users/{username}/disable", response_model=Ok, tags=["users"])
    def disable_user(username: Name, who: Caller) -> Ok:
        act(lambda: users.set_active(uow_factory(), username, False, actor=who))
        return Ok()

    @router.post("/users/{username}/enable", response_model=Ok, tags=["users"])
    def enable_user(username: Name, who: Caller) -> Ok:
        act(lambda: users.set_active(uow_factory(), username, True, actor=who))
        return Ok()

    @router.post("/users/{username}/role", response_model=Ok, tags=["users"])
    def set_role(username: Name, body: RoleIn, who: Caller) -> Ok:
        act(lambda: users.set_role(uow_factory(), username, body.role.value, actor=who))
        return Ok()

    @router.post("/users/{username}/token", response_model=Token, tags=["users"])
    def rotate_token(username: Name, who: Caller) -> Token:
        return Token(username=username,
                     token=act(lambda: users.rotate_token(uow_factory(), username, actor=who)))

    @router.post("/users/{username}/password", response_model=Ok, tags=["users"])
    def set_password(username: Name, body: PasswordIn, who: Caller) -> Ok:
        act(lambda: users.set_password(uow_factory(), username, body.password, actor=who))
        return Ok()

    # ------------------------------------------------------------------ campaigns (admin)
    @router.get("/campaigns", response_model=list[CampaignOut], tags=["campaigns"])
    def list_campaigns(who: Caller) -> list[CampaignOut]:
        rows = act(lambda: campaigns.summaries(who))
        return [CampaignOut(campaign_id=r.campaign_id, name=r.name, status=r.status,
                            live_version=r.live.version if r.live else None,
                            latest_version=r.latest.version, latest_status=r.latest.status)
                for r in rows]

    @router.post("/campaigns", status_code=status.HTTP_201_CREATED, response_model=Imported,
                 tags=["campaigns"])
    def import_campaign(body: CampaignIn, who: Caller) -> Imported:
        """A new draft version from YAML text (a console edit); 422 lists every problem."""
        [done] = act(lambda: campaigns.import_documents(
            who, [CampaignText(body.source, body.text)]))
        return Imported(campaign_id=done.campaign_id, version=done.version,
                        status=done.status, new=done.new)

    @router.post("/campaigns/{campaign_id}/approve", response_model=VersionOut,
                 tags=["campaigns"])
    def approve(campaign_id: Name, body: VersionIn, who: Caller) -> VersionOut:
        v = act(lambda: campaigns.approve(who, campaign_id, body.version,
                                          activate=body.activate))
        return VersionOut(campaign_id=v.campaign_id, version=v.version, status=v.status)

    @router.post("/campaigns/{campaign_id}/activate", response_model=VersionOut,
                 tags=["campaigns"])
    def activate(campaign_id: Name, body: VersionIn, who: Caller) -> VersionOut:
        v = act(lambda: campaigns.activate(who, campaign_id, body.version))
        return VersionOut(campaign_id=v.campaign_id, version=v.version, status=v.status)

    @router.post("/campaigns/pause", response_model=Switched, tags=["campaigns"])
    def pause(body: CampaignIdsIn, who: Caller) -> Switched:
        """The kill switch: stop sending under these campaigns (none given: all)."""
        return Switched(campaigns=act(lambda: campaigns.pause(who, body.campaigns)))

    @router.post("/campaigns/resume", response_model=Switched, tags=["campaigns"])
    def resume(body: CampaignIdsIn, who: Caller) -> Switched:
        return Switched(campaigns=act(lambda: campaigns.resume(who, body.campaigns)))

    return router
