"""Search: the page ``/search`` and ``/api/v1/search``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from index.search.base import IndexUnavailable, QueryError
from sepwatch.app import App
from web.deps import get_app, require_user
from web.routes._pages import SafeJSONResponse, parse_date
from web.templating import render
from web.views.search import (
    MAX_PER_PAGE,
    PER_PAGE,
    SHOWN_FACETS,
    SearchPage,
    SearchParams,
    empty_page,
    run_search,
)

router = APIRouter(dependencies=[Depends(require_user)])

Many = Annotated[list[str], Query()]


def search_params(
    q: Annotated[
        str, Query(max_length=1000, description='Words, "phrases", OR, -word, prefix*; 中文 as typed.')
    ] = "",
    body: Many = [],  # noqa: B006 - FastAPI copies defaults per request
    group: Many = [],  # noqa: B006
    kind: Many = [],  # noqa: B006
    spec: Many = [],  # noqa: B006
    release: Many = [],  # noqa: B006
    meeting: Many = [],  # noqa: B006
    source: Many = [],  # noqa: B006
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    sort: Literal["relevance", "date"] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
    all_versions: bool = False,
) -> tuple[SearchParams, list[str]]:
    """The search as asked, and what was wrong with it (a bad date is ignored and said so)."""
    errors: list[str] = []
    dates = []
    for value, name in ((date_from, "from"), (date_to, "to")):
        try:
            dates.append(parse_date(value, name))
        except ValueError as exc:
            errors.append(str(exc))
            dates.append(None)
    params = SearchParams(
        q=q,
        body=body,
        group=group,
        kind=kind,
        spec=spec,
        release=release,
        meeting=meeting,
        source=source,
        date_from=dates[0],
        date_to=dates[1],
        sort=sort,
        page=page,
        per_page=per_page,
        all_versions=all_versions,
    )
    return params, errors


Params = Annotated[tuple[SearchParams, list[str]], Depends(search_params)]


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, asked: Params, app: Annotated[App, Depends(get_app)]) -> HTMLResponse:
    params, errors = asked
    searched = bool(params.q.strip() or params.active_filters or params.date_from or params.date_to)
    status = 200
    if not searched:
        page = empty_page(params)
        try:  # the facets of everything, to browse by
            page = run_search(app.search, params)
        except (QueryError, IndexUnavailable) as exc:
            page = empty_page(params, str(exc))
    else:
        try:
            page = run_search(app.search, params)
        except QueryError as exc:
            page, status = empty_page(params, str(exc)), 400
        except IndexUnavailable as exc:
            page, status = empty_page(params, str(exc)), 503
    return render(
        request,
        "pages/search.html",
        {
            "page": page,
            "params": params,
            "errors": errors,
            "searched": searched,
            "shown_facets": SHOWN_FACETS,
            "page_pairs": lambda n: params.pairs(page=str(n)),
        },
        status_code=status,
    )


@router.get(
    "/api/v1/search",
    summary="Search documents",
    response_model=SearchPage,
    response_class=SafeJSONResponse,
    tags=["search"],
)
def search_api(asked: Params, app: Annotated[App, Depends(get_app)]) -> SearchPage:
    """Ranked documents with their best sections; ``snippet`` is HTML (text escaped, matches in
    ``<mark>``), ``text`` the same as plain text; facets count documents per value."""
    params, errors = asked
    if errors:
        raise HTTPException(status_code=422, detail="; ".join(errors))
    try:
        return run_search(app.search, params)
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    except IndexUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
