"""The dashboard: the live report (``duebot report``'s numbers, from the same use case)
by campaign step, by step and variant (with the A/B tests) and over time, as SVG charts
drawn on the server, with CSV export of each grouping."""

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.entrypoints.web.console import forms
from bot.entrypoints.web.console.charts import PALETTE, bar_chart, line_chart
from bot.entrypoints.web.console.pages import Console, FormError
from bot.entrypoints.web.console.session import Viewer
from bot.services.report_formats import write_csv
from bot.services.reporting import campaign_reports

#: what the charts draw (a report's counts)
CHARTED = (("contacts", "contacts"), ("right_party", "right-party"),
           ("promises", "promises"), ("kept", "kept"), ("cures", "cures"),
           ("opt_outs", "opt-outs"), ("disputes", "disputes"))


def routes(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    c = console.container
    Signed = Annotated[Viewer, Depends(console.viewer)]

    def period(request: Request) -> tuple[dict[str, str], dict[str, object]]:
        q = request.query_params
        values = {"from": q.get("from", ""), "to": q.get("to", ""),
                  "campaign": q.get("campaign", "")}
        if any(len(v) > 64 for v in values.values()):
            raise FormError("a filter is longer than 64 characters")
        return values, {"since": forms.day(values["from"], "from", "period", required=False),
                        "until": forms.day(values["to"], "to", "period", required=False),
                        "campaign": values["campaign"].strip() or None}

    @router.get("/dashboard")
    def dashboard(request: Request, viewer: Signed) -> Response:
        error = None
        try:
            values, wanted = period(request)
            reports = console.run(lambda: campaign_reports(
                c.outcome_source, c.campaign_admin, viewer.actor, **wanted))  # type: ignore[arg-type]
        except FormError as exc:
            values, error = dict(request.query_params), str(exc)
            reports = console.run(lambda: campaign_reports(c.outcome_source,
                                                           c.campaign_admin, viewer.actor))
        steps, variants, days = reports["step"], reports["variant"], reports["day"]
        several = len({r.key[0] for r in steps.rows if r.key[0] != "-"}) > 1
        step_names = [" / ".join(r.key) if several else r.key[1] for r in steps.rows]
        step_chart = bar_chart(
            "chart-steps", "Outcomes by campaign step", step_names,
            [(name, [getattr(r.counts, key) for r in steps.rows])
             for key, name in CHARTED if key in ("contacts", "promises", "kept", "cures")])
        day_names = [r.key[0] for r in days.rows]
        time_chart = line_chart(
            "chart-days", "Outcomes over time (per day)", day_names,
            [(name, [getattr(r.counts, key) for r in days.rows])
             for key, name in CHARTED if key in ("contacts", "promises", "cures",
                                                 "opt_outs")])
        legend_steps = [(name, PALETTE[i]) for i, name in enumerate(
            ("contacts", "promises", "kept", "cures"))]
        legend_days = [(name, PALETTE[i]) for i, name in enumerate(
            ("contacts", "promises", "cures", "opt-outs"))]
        campaigns = sorted({r.key[0] for r in steps.rows if r.key[0] != "-"})
        return console.page(request, "dashboard.html", viewer, status=422 if error else 200,
                            error=error, values=values, steps=steps, variants=variants,
                            days=days, total=variants.total, step_chart=step_chart,
                            time_chart=time_chart, legend_steps=legend_steps,
                            legend_days=legend_days, campaigns=campaigns,
                            query=request.url.query)

    @router.get("/dashboard.csv")
    def export(request: Request, viewer: Signed) -> Response:
        by = request.query_params.get("by", "variant")
        if by not in ("step", "variant", "day"):
            raise FormError("by: step, variant or day")
        _, wanted = period(request)
        report = console.run(lambda: campaign_reports(
            c.outcome_source, c.campaign_admin, viewer.actor, bys=(by,), **wanted))[by]  # type: ignore[arg-type]
        out = io.StringIO()
        write_csv(report, out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="duebot-report-by-{by}.csv"'})

    return router
