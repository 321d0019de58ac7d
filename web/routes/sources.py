"""Sources: health, last runs and their errors, the search index, the outbox and its dead letters;
admins ask the daemon to crawl a source now and put dead letters back in the outbox."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, model_validator

from crawlers.sources import available
from index import alerts as alert_store
from scheduler.requests import crawl_soon
from sepwatch.app import App
from web.deps import AdminUser, get_app, require_user
from web.i18n import get_language, translator
from web.routes._pages import SafeJSONResponse, not_found
from web.templating import render
from web.views.sources import SourcesPage, sources_page

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]
MAX_IDS = 1000


class CrawlRequested(BaseModel):
    source: str
    requested: bool = Field(description="Always true: the daemon's crawl job of the source is due now.")


class RetryRequest(BaseModel):
    ids: list[int] = Field(
        default_factory=list, max_length=MAX_IDS, description="Outbox ids of dead letters."
    )
    dead: bool = Field(default=False, description="Retry every dead letter (ids are then ignored).")

    @model_validator(mode="after")
    def _something_chosen(self) -> RetryRequest:
        if not self.ids and not self.dead:
            raise ValueError('give "ids" of dead letters, or "dead": true to retry all of them')
        return self


class RetryResult(BaseModel):
    retried: list[int] = Field(
        description="The ids moved back to pending; rows that were not dead are left alone."
    )


def _request_crawl(app: App, source: str, admin: str, not_scheduled: str) -> None:
    if source not in available(app.settings):
        raise not_found(f"no source named {source!r}")
    if not crawl_soon(app, source):
        raise HTTPException(status_code=409, detail=not_scheduled)
    log.info("%s asked for a crawl of %s now", admin, source)


@router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_view(
    request: Request,
    app: AppDep,
    crawl: Annotated[str | None, Query(max_length=100)] = None,
    retried: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    return render(
        request,
        "pages/sources.html",
        {
            "page": sources_page(app.store, app.search, app.settings),
            # Only names of real sources are echoed, so a crafted link cannot put words in the page.
            "crawl_requested": crawl if crawl in available(app.settings) else None,
            "relay_interval_s": f"{app.settings.schedule.relay_interval_s:g}",
            "retried": retried,
        },
    )


@router.post("/sources/{source}/crawl", include_in_schema=False)
def crawl_view(request: Request, source: str, app: AppDep, admin: AdminUser) -> RedirectResponse:
    t = translator(get_language(request))
    _request_crawl(app, source, admin.username, t("sources.crawl_not_scheduled", source=source))
    return RedirectResponse(f"/sources?crawl={quote(source, safe='')}", status_code=303)


@router.post("/sources/retry", include_in_schema=False)
def retry_view(
    app: AppDep,
    admin: AdminUser,
    one: Annotated[int | None, Form()] = None,
    dead: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    moved = alert_store.retry(app.store, [one] if one is not None else [], dead=dead)
    if moved:
        log.info("%s put %d dead letters back in the outbox: %s", admin.username, len(moved), moved)
    return RedirectResponse(f"/sources?retried={len(moved)}", status_code=303)


@router.get(
    "/api/v1/sources",
    summary="Source health, runs, index and outbox",
    response_model=SourcesPage,
    response_class=SafeJSONResponse,
    tags=["sources"],
)
def sources_api(app: AppDep) -> SourcesPage:
    """Every source's health (healthy, failing, unhealthy…) and next scheduled crawl, the last runs
    with counts and errors, the search index's counts and queue, and the outbox by status with its
    dead letters."""
    return sources_page(app.store, app.search, app.settings)


@router.post(
    "/api/v1/sources/{source}/crawl",
    summary="Crawl a source now (admin)",
    response_model=CrawlRequested,
    response_class=SafeJSONResponse,
    status_code=202,
    tags=["sources"],
    responses={
        404: {"description": "No such source"},
        409: {"description": "The source has no scheduled job"},
    },
)
def crawl_api(source: str, app: AppDep, admin: AdminUser) -> CrawlRequested:
    """Make the daemon's crawl job of the source due now; the daemon starts it at its next check
    (within ``schedule.relay_interval_s`` while it runs). 409 when the source has no scheduled job:
    crawl it with ``sepwatch crawl SOURCE`` instead."""
    _request_crawl(
        app, source, admin.username, translator("en")("sources.crawl_not_scheduled", source=source)
    )
    return CrawlRequested(source=source, requested=True)


@router.post(
    "/api/v1/outbox/retry",
    summary="Retry dead letters (admin)",
    response_model=RetryResult,
    response_class=SafeJSONResponse,
    tags=["sources"],
)
def retry_api(body: RetryRequest, app: AppDep, admin: AdminUser) -> RetryResult:
    """Dead letters (``{"ids": […]}``, or all with ``{"dead": true}``) back to pending, due now,
    attempts reset — as ``sepwatch alerts retry``."""
    moved = alert_store.retry(app.store, body.ids, dead=body.dead)
    if moved:
        log.info("%s put %d dead letters back in the outbox: %s", admin.username, len(moved), moved)
    return RetryResult(retried=moved)
