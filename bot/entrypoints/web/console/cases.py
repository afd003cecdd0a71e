"""Case pages: the timeline (messages both ways with the parser's reading, events,
promises, payments, holds), masked contact data revealed on request (audited), and
every action a person takes — take over, reply (free text or from a template), record a
promise, plan, dispute claim or note, set or clear a hold, close a queue item, hand
back; supervisors resolve disputes, return from legal review, write off, reassign.
Each calls :class:`~bot.services.desk.CaseDesk`, which checks the role; a refusal is
shown next to the form it came from."""


from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.domain.case import PROTECTIVE_HOLDS, Hold
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.pages import Console, FormError, PageError
from bot.entrypoints.web.console.session import Viewer
from bot.services.case_view import timeline
from bot.services.case_work import CLEARABLE_HOLDS
from bot.services.roles import Permission, allowed

#: case statuses the case list can show
STATUSES = ("active", "promised", "disputed", "legal_hold", "legal_review", "closed_paid",
            "closed_written_off")
MAX_ACCOUNT = 64


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    c = console.container
    desk = c.desk
    Signed = Annotated[Viewer, Depends(console.viewer)]
    Changing = Annotated[Viewer, Depends(console.changing)]

    def account_of(value: str) -> str:
        if not value or len(value) > MAX_ACCOUNT:
            raise PageError(404, "no such case")
        return value

    # ------------------------------------------------------------------ list
    @router.get("/cases")
    def case_list(request: Request, viewer: Signed) -> Response:
        q = request.query_params
        wanted = (q.get("q") or "").strip()
        status = q.get("status") or ""
        if len(wanted) > MAX_ACCOUNT or (status and status not in STATUSES):
            raise FormError("search: an account id (at most 64 characters) and a status")
        if wanted:
            with c.uow() as uow:
                found = uow.cases.get(wanted) is not None
            if found:
                return console.back(f"/cases/{quote(wanted)}", "")
        with c.uow() as uow:
            rows = uow.cases.summaries([status] if status else None, 100)
        return console.page(request, "cases.html", viewer, rows=rows, wanted=wanted,
                            status_filter=status, statuses=STATUSES,
                            missing=wanted or None)

    # ------------------------------------------------------------------ one case
    def case_page(request: Request, viewer: Viewer, account: str, *, status: int = 200,
                  errors: dict[str, str] | None = None,
                  values: dict[str, dict[str, str]] | None = None,
                  revealed: list[dict[str, str]] | None = None,
                  draft: str | None = None) -> HTMLResponse:
        view = console.run(lambda: desk.case(viewer.actor, account, messages=500,
                                             events=1000))
        with c.uow() as uow:
            case = uow.cases.get(account)
        assert case is not None
        actor = viewer.actor
        channels = sorted({cp["channel"] for cp in view["contact_points"] if cp["usable"]})
        return console.page(
            request, "case.html", viewer, status=status, view=view, case=case,
            entries=timeline(view), errors=errors or {}, values=values or {},
            revealed=revealed, channels=channels, draft=draft,
            reply_templates=c.reply_drafts.templates(),
            person_holds=sorted(h.value for h in PROTECTIVE_HOLDS),
            clearable=sorted(h for h in view["holds"] if Hold(h) in CLEARABLE_HOLDS),
            may=lambda p: allowed(actor, p, case), Permission=Permission,
            holds_now=sorted(view["holds"]))

    @router.get("/cases/{account}")
    def case_show(request: Request, account: str, viewer: Signed) -> Response:
        return case_page(request, viewer, account_of(account))

    async def change(request: Request, viewer: Viewer, account: str, form: str,
                     do: Callable[[dict[str, str]], str]) -> Response:
        account = account_of(account)
        data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            done = do(data)
        except FormError as exc:
            return case_page(request, viewer, account, status=exc.status,
                             errors={exc.form or form: str(exc)}, values={form: data})
        return console.back(f"/cases/{quote(account)}", done, form)

    def action(path: str, form: str,
               do: Callable[[Viewer, str, dict[str, str]], str]) -> None:
        async def handler(request: Request, account: str, viewer: Changing) -> Response:
            return await change(request, viewer, account, form,
                                lambda data: do(viewer, account, data))

        handler.__name__ = f"case_{form.replace('-', '_')}"
        router.post(f"/cases/{{account}}/{path}")(handler)

    a = console.run

    def take(v: Viewer, acc: str, d: dict[str, str]) -> str:
        a(lambda: desk.take(v.actor, acc), "conversation")
        return "take"

    def release(v: Viewer, acc: str, d: dict[str, str]) -> str:
        a(lambda: desk.release(v.actor, acc, close_items=d.get("keep_items") != "on"),
          "conversation")
        return "release"

    def reply(v: Viewer, acc: str, d: dict[str, str]) -> str:
        body = forms.text(d.get("text"), "message", "reply", limit=4000)
        channel = d.get("channel") or ""
        kind = ChannelKind(forms.choice(channel, "channel", "reply",
                                        [k.value for k in ChannelKind])) if channel else None
        a(lambda: desk.reply(v.actor, acc, body, kind), "reply")
        return "reply"

    def promise(v: Viewer, acc: str, d: dict[str, str]) -> str:
        terms: list[tuple[str | Decimal, date]] = []
        for n in ("1", "2", "3"):
            if n != "1" and not (d.get(f"amount_{n}") or d.get(f"date_{n}")):
                continue
            money = forms.amount(d.get(f"amount_{n}"), f"amount {n}", "promise")
            when = forms.day(d.get(f"date_{n}"), f"date {n}", "promise")
            assert when is not None
            terms.append((money, when))
        a(lambda: desk.record_promise(v.actor, acc, terms), "promise")
        return "promise"

    def plan(v: Viewer, acc: str, d: dict[str, str]) -> str:
        count = forms.whole(d.get("count"), "instalments", "plan", 2, 36)
        first = forms.day(d.get("first_due"), "first payment", "plan")
        assert first is not None
        a(lambda: desk.record_plan(v.actor, acc, count, first), "plan")
        return "plan"

    def dispute(v: Viewer, acc: str, d: dict[str, str]) -> str:
        why = forms.text(d.get("reason"), "reason", "dispute", required=False)
        a(lambda: desk.record_dispute(v.actor, acc, why), "dispute")
        return "dispute"

    def note(v: Viewer, acc: str, d: dict[str, str]) -> str:
        body = forms.text(d.get("text"), "note", "note", limit=2000)
        a(lambda: desk.add_note(v.actor, acc, body), "note")
        return "note"

    def hold(v: Viewer, acc: str, d: dict[str, str]) -> str:
        kind = forms.text(d.get("hold"), "hold", "hold", limit=32)
        why = forms.text(d.get("reason"), "reason", "hold")
        until = forms.day(d.get("until"), "last day", "hold", required=False)
        a(lambda: desk.set_hold(v.actor, acc, kind, why, until=until), "hold")
        return "hold"

    def clear(v: Viewer, acc: str, d: dict[str, str]) -> str:
        kind = forms.text(d.get("hold"), "hold", "clear", limit=32)
        why = forms.text(d.get("reason"), "reason", "clear")
        a(lambda: desk.clear_hold(v.actor, acc, kind, why), "clear")
        return "clear"

    def resolve(v: Viewer, acc: str, d: dict[str, str]) -> str:
        outcome = forms.choice(d.get("outcome"), "outcome", "resolve", ("verified", "upheld"))
        a(lambda: desk.resolve_dispute(v.actor, acc, outcome), "resolve")
        return "resolve"

    def legal(v: Viewer, acc: str, d: dict[str, str]) -> str:
        why = forms.text(d.get("reason"), "reason", "legal")
        a(lambda: desk.return_from_legal_review(v.actor, acc, why), "legal")
        return "legal"

    def write_off(v: Viewer, acc: str, d: dict[str, str]) -> str:
        why = forms.text(d.get("reason"), "reason", "writeoff")
        a(lambda: desk.write_off(v.actor, acc, why), "writeoff")
        return "writeoff"

    def reassign(v: Viewer, acc: str, d: dict[str, str]) -> str:
        who = forms.text(d.get("collector"), "collector", "reassign", required=False,
                         limit=64)
        a(lambda: desk.reassign(v.actor, acc, who or None), "reassign")
        return "reassign"

    for path, form, fn in (
            ("take", "conversation", take), ("release", "conversation", release),
            ("reply", "reply", reply), ("promise", "promise", promise),
            ("plan", "plan", plan), ("dispute", "dispute", dispute), ("note", "note", note),
            ("hold", "hold", hold), ("hold/clear", "clear", clear),
            ("dispute/resolve", "resolve", resolve), ("legal-review/return", "legal", legal),
            ("write-off", "writeoff", write_off), ("reassign", "reassign", reassign)):
        action(path, form, fn)

    @router.post("/cases/{account}/items/{item_id}/done")
    async def close_item(request: Request, account: str, item_id: int,
                         viewer: Changing) -> Response:
        if not 1 <= item_id <= 2**31 - 1:
            raise PageError(404, "no such queue item")

        def do(data: dict[str, str]) -> str:
            a(lambda: desk.close_item(viewer.actor, item_id), "items")
            return "item"

        return await change(request, viewer, account, "items", do)

    # ------------------------------------------------------------------ inline parts
    @router.post("/cases/{account}/reveal")
    async def reveal(request: Request, account: str, viewer: Changing,
                     reason: Annotated[str, Form()] = "") -> Response:
        account = account_of(account)
        try:
            why = forms.text(reason, "reason", "reveal", limit=200)
            shown = a(lambda: desk.reveal(viewer.actor, account, why), "reveal")
        except FormError as exc:
            return console.page(request, "_contacts.html", viewer, status=exc.status,
                                view=_contacts(desk, viewer, account), revealed=None,
                                errors={"reveal": str(exc)}, account=account,
                                may_reveal=True)
        return console.page(request, "_contacts.html", viewer,
                            view=_contacts(desk, viewer, account), revealed=shown,
                            account=account, may_reveal=True)

    @router.get("/cases/{account}/draft")
    def draft(request: Request, account: str, viewer: Signed) -> Response:
        account = account_of(account)
        q = request.query_params
        template = q.get("template") or ""
        channel = q.get("channel") or ""
        error = None
        text = ""
        try:
            kind = ChannelKind(forms.choice(channel, "channel", "reply",
                                            [k.value for k in ChannelKind])) \
                if channel else None
            if template:
                text = a(lambda: c.reply_drafts.draft(viewer.actor, account, template, kind),
                         "reply")
        except FormError as exc:
            error = str(exc)
        return console.page(request, "_reply_text.html", viewer, status=422 if error else 200,
                            text=text, error=error)

    return router


def _contacts(desk: Any, viewer: Viewer, account: str) -> dict[str, Any]:
    return dict(desk.case(viewer.actor, account, messages=0, events=0))
