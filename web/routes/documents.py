"""Documents: a version with its sections, versions, revision links and matches; the clause diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from sepwatch.app import App
from web.deps import get_app, require_user
from web.routes._pages import SafeJSONResponse, not_found
from web.templating import render
from web.views.documents import DiffPage, DocumentPage, NotFound, diff_page, document_page

router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]
Seq = Annotated[int | None, Query(ge=1, description="Version number (1 = first); default the latest.")]
VersionId = Annotated[int | None, Query(ge=1, description="A stored version id (as search hits give).")]
PageNo = Annotated[int | None, Query(ge=1, le=100_000)]
At = Annotated[
    int | None, Query(ge=0, description="Open the page of sections holding this section position.")
]


def _document(
    app: App, document_id: int, version: int | None, page: int | None, at: int | None, vid: int | None
) -> DocumentPage:
    try:
        return document_page(app.store, document_id, version, page, at, vid)
    except NotFound as exc:
        raise not_found(str(exc)) from exc


def _diff(app: App, document_id: int, version: int | None, page: int) -> DiffPage:
    try:
        return diff_page(app.store, document_id, version, page)
    except NotFound as exc:
        raise not_found(str(exc)) from exc


@router.get("/documents/{document_id}", response_class=HTMLResponse, include_in_schema=False)
def document_view(
    request: Request,
    document_id: int,
    app: AppDep,
    version: Seq = None,
    vid: VersionId = None,
    page: PageNo = None,
    at: At = None,
) -> HTMLResponse:
    doc = _document(app, document_id, version, page, at, vid)
    seq = doc.version.seq
    return render(
        request,
        "pages/document.html",
        {"page": doc, "section_pairs": lambda n: [("version", str(seq)), ("page", str(n))]},
    )


@router.get("/documents/{document_id}/diff", response_class=HTMLResponse, include_in_schema=False)
def diff_view(
    request: Request,
    document_id: int,
    app: AppDep,
    version: Seq = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    diff = _diff(app, document_id, version, page)
    seq = diff.version.seq
    return render(
        request,
        "pages/diff.html",
        {"page": diff, "diff_pairs": lambda n: [("version", str(seq)), ("page", str(n))]},
    )


@router.get(
    "/api/v1/documents/{document_id}",
    summary="A document version: sections, versions, links, matches",
    response_model=DocumentPage,
    response_class=SafeJSONResponse,
    tags=["documents"],
)
def document_api(
    document_id: int,
    app: AppDep,
    version: Seq = None,
    vid: VersionId = None,
    page: PageNo = None,
    at: At = None,
) -> DocumentPage:
    """A document version: metadata, every version, revision links (TDoc revisions, draft → RFC,
    obsoletes/updates), the claims that read on it with their evidence, and its sections (200 per
    page; ``toc`` lists all of them with the page each is on)."""
    return _document(app, document_id, version, page, at, vid)


@router.get(
    "/api/v1/documents/{document_id}/diff",
    summary="Clauses changed since the previous version",
    response_model=DiffPage,
    response_class=SafeJSONResponse,
    tags=["documents"],
)
def diff_api(
    document_id: int, app: AppDep, version: Seq = None, page: Annotated[int, Query(ge=1)] = 1
) -> DiffPage:
    """The clauses of a version that were added, removed or changed since the version before it,
    with token-level operations (character by character for Chinese); 100 clauses per page."""
    return _diff(app, document_id, version, page)
