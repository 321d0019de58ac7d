"""Sources: health, last runs and their errors, the search index, the outbox and its dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from sepwatch.app import App
from web.deps import get_app, require_user
from web.routes._pages import SafeJSONResponse
from web.templating import render
from web.views.sources import SourcesPage, sources_page

router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]


@router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_view(request: Request, app: AppDep) -> HTMLResponse:
    return render(request, "pages/sources.html", {"page": sources_page(app.store, app.search, app.settings)})


@router.get(
    "/api/v1/sources",
    summary="Source health, runs, index and outbox",
    response_model=SourcesPage,
    response_class=SafeJSONResponse,
    tags=["sources"],
)
def sources_api(app: AppDep) -> SourcesPage:
    """Every source's health (healthy, failing, unhealthy…), the last runs with counts and errors,
    the search index's counts and queue, and the outbox by status with its dead letters."""
    return sources_page(app.store, app.search, app.settings)
