"""The quality indicators console, on the vault.

    GET /quality?month=YYYY-MM                  the month's indicators: charts, the records
                                                that miss and why, what cannot be computed
    GET /quality/indicators.csv?month=YYYY-MM   the same as CSV
    GET /quality/measure-report.json?month=YYYY-MM  the same as a FHIR R4 MeasureReport

Needs `quality.read` (clinical leads). The month defaults to the last whole month (UK
time). A month that is not YYYY-MM answers 422 with the message next to the field (the
page) or as problem details (the exports), and counts nothing. Every view and export goes
through `carechain.operations.quality`, which checks and audits it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carechain.errors import FieldInvalid
from carechain.operations import quality
from carechain.web.quality._chart import proportion_chart, time_chart
from carechain.web.shared.render import render
from carechain.web.shared.session import Viewer, context, require

__all__ = ["ROLES", "router"]

ROLES = ("vault",)

router = APIRouter(prefix="/quality", include_in_schema=False)

QualityReader = Annotated[Viewer, require("quality.read")]


def _chosen(request: Request, month: str) -> str:
    """Return the month asked for (not yet checked), or the last whole month."""
    return month.strip()[:20] or quality.last_month(context(request).now_ms())


def _month_name(month: str) -> str:
    return datetime.strptime(month + "-01", "%Y-%m-%d").strftime("%B %Y")


@router.get("")
def quality_page(request: Request, viewer: QualityReader, month: str = "") -> Response:
    ctx = context(request)
    chosen = _chosen(request, month)
    try:
        with ctx.door.unit() as uow:
            report = quality.indicators(ctx.door, ctx.actor(viewer.person), uow, month=chosen)
    except FieldInvalid as exc:
        return render(request, "quality.html", viewer, status=422, month=chosen,
                      error=exc.rule, report=None, page="quality")
    times = [r for r in report.results if r.indicator.kind == "time"]
    return render(request, "quality.html", viewer, month=report.month, error=None,
                  report=report, month_name=_month_name(report.month), page="quality",
                  proportions=proportion_chart(report),
                  time_charts=[(r, time_chart(r, report.month)) for r in times])


def _download(text: str, media: str, name: str) -> Response:
    return Response(text, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/indicators.csv")
def indicators_csv(request: Request, viewer: QualityReader, month: str = "") -> Response:
    ctx = context(request)
    chosen = _chosen(request, month)
    with ctx.door.unit() as uow:
        text = quality.export_csv(ctx.door, ctx.actor(viewer.person), uow, month=chosen)
    return _download(text, "text/csv; charset=utf-8", f"quality-indicators-{chosen}.csv")


@router.get("/measure-report.json")
def measure_report_json(request: Request, viewer: QualityReader, month: str = "") -> Response:
    ctx = context(request)
    chosen = _chosen(request, month)
    with ctx.door.unit() as uow:
        resource = quality.export_fhir(ctx.door, ctx.actor(viewer.person), uow, month=chosen)
    return _download(json.dumps(resource, indent=2, ensure_ascii=False),
                     "application/fhir+json", f"measure-report-{chosen}.json")
