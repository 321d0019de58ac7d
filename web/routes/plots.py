"""Plots: contributions per company per meeting, documents per group per month (SVG + tables)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from sepwatch.app import App
from web.deps import get_app, require_user
from web.i18n import get_language, translator
from web.routes._pages import SafeJSONResponse
from web.templating import render
from web.views.plots import (
    MEETINGS_SHOWN,
    MONTHS_SHOWN,
    ContributionsPlot,
    DocumentsPlot,
    contributions,
    documents_per_group,
)

router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]
Group = Annotated[str | None, Query(max_length=100, description="A working group, e.g. RAN1.")]
Meetings = Annotated[int, Query(ge=1, le=40)]
Months = Annotated[int, Query(ge=2, le=120)]
SVG_TYPE = "image/svg+xml"


@router.get("/plots", response_class=HTMLResponse, include_in_schema=False)
def plots_view(request: Request, app: AppDep, group: Group = None) -> HTMLResponse:
    return render(
        request,
        "pages/plots.html",
        {
            "contributions": contributions(app.store, group or None),
            "documents": documents_per_group(app.store, dt.date.today()),
        },
    )


@router.get("/plots/contributions.svg", tags=["plots"], responses={200: {"content": {SVG_TYPE: {}}}})
def contributions_svg(
    request: Request, app: AppDep, group: Group = None, meetings: Meetings = MEETINGS_SHOWN
) -> Response:
    """The contributions heat map as an SVG image."""
    t = translator(get_language(request))
    plot = contributions(app.store, group or None, meetings)
    return Response(str(plot.chart(t("plots.contributions_alt"))), media_type=SVG_TYPE)


@router.get("/plots/documents.svg", tags=["plots"], responses={200: {"content": {SVG_TYPE: {}}}})
def documents_svg(request: Request, app: AppDep, months: Months = MONTHS_SHOWN) -> Response:
    """New documents per group per month as an SVG line chart."""
    t = translator(get_language(request))
    plot = documents_per_group(app.store, dt.date.today(), months)
    return Response(str(plot.chart(t("plots.documents_alt"))), media_type=SVG_TYPE)


@router.get(
    "/api/v1/plots/contributions",
    summary="Contributions per company per meeting",
    response_model=ContributionsPlot,
    response_class=SafeJSONResponse,
    tags=["plots"],
)
def contributions_api(
    app: AppDep, group: Group = None, meetings: Meetings = MEETINGS_SHOWN
) -> ContributionsPlot:
    """TDocs per source company in the latest meetings (a TDoc with several sources counts for each)."""
    return contributions(app.store, group or None, meetings)


@router.get(
    "/api/v1/plots/documents",
    summary="New documents per group per month",
    response_model=DocumentsPlot,
    response_class=SafeJSONResponse,
    tags=["plots"],
)
def documents_api(app: AppDep, months: Months = MONTHS_SHOWN) -> DocumentsPlot:
    """New documents per working group per month (by the date of their first version)."""
    return documents_per_group(app.store, dt.date.today(), months)
