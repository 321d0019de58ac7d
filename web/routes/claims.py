"""Claim maps: list, B.2 chart with evidence and drift, export (.xlsx/.docx), upload (editors)."""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from index.users import User
from matcher.claimmap import MAX_FILE_BYTES
from sepwatch.app import App
from web.deps import get_app, require_role, require_user
from web.routes._pages import SafeJSONResponse, not_found
from web.templating import render
from web.views.claims import (
    MEDIA_TYPES,
    ClaimChart,
    ClaimMapList,
    ClaimMapsUnavailable,
    DriftOut,
    ExportFormat,
    ExportLanguage,
    NotFound,
    UploadRejected,
    claim_chart,
    claim_map_list,
    drift_history,
    export,
    save_upload,
)

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]
Editor = Annotated[User, Depends(require_role("editor"))]
Viewer = Annotated[User, Depends(require_user)]


class UploadResult(BaseModel):
    patent: str
    claims: int
    features: int
    file: str


class UploadProblems(BaseModel):
    detail: list[str]


def _chart(app: App, patent: str) -> ClaimChart:
    try:
        return claim_chart(app.store, app.settings, patent)
    except NotFound as exc:
        raise not_found(str(exc)) from exc


@router.get("/claims", response_class=HTMLResponse, include_in_schema=False)
def claims_view(request: Request, app: AppDep, saved: str | None = None) -> HTMLResponse:
    return render(
        request,
        "pages/claims.html",
        {"page": claim_map_list(app.store, app.settings), "upload_saved": saved, "upload_patent": None},
    )


# Patent numbers may hold "/" (WO2020/123456): they are path parameters, and the routes with a
# suffix come before the bare one, which would otherwise take the suffix as part of the number.
@router.get("/claims/{patent:path}/export", include_in_schema=False)
def export_view(
    patent: str, app: AppDep, format: ExportFormat = "xlsx", language: ExportLanguage = "zh+en"
) -> Response:
    return _export(app, patent, format, language)


@router.get("/claims/{patent:path}", response_class=HTMLResponse, include_in_schema=False)
def chart_view(request: Request, patent: str, app: AppDep, saved: str | None = None) -> HTMLResponse:
    return render(request, "pages/claim_chart.html", {"chart": _chart(app, patent), "upload_saved": saved})


def _export(app: App, patent: str, fmt: ExportFormat, language: ExportLanguage) -> Response:
    try:
        data, name = export(app.store, app.settings, patent, fmt, language)
    except NotFound as exc:
        raise not_found(str(exc)) from exc
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=f"too large for a claim map (limit {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


async def _upload_bytes(file: UploadFile | None, text: str | None) -> tuple[bytes, str]:
    if file is not None and file.filename:
        data = await file.read(MAX_FILE_BYTES + 1)
        return data, file.filename
    return (text or "").encode("utf-8"), "claim-map.yaml"


async def _upload_page(
    request: Request,
    app: App,
    user: User,
    file: UploadFile | None,
    text: str | None,
    patent: str | None,
) -> Response:
    data, name = await _upload_bytes(file, text)
    try:
        cm = save_upload(app.store, app.settings, data, name, expected_patent=patent, user=user.username)
    except ClaimMapsUnavailable as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except UploadRejected as exc:
        context: dict[str, object] = {
            "upload_problems": exc.problems,
            "upload_text": data.decode("utf-8", "replace") if not file or not file.filename else "",
        }
        if patent is None:
            context.update(page=claim_map_list(app.store, app.settings), upload_patent=None)
            return render(request, "pages/claims.html", context, status_code=422)
        context.update(chart=_chart(app, patent))
        return render(request, "pages/claim_chart.html", context, status_code=422)
    return RedirectResponse(
        f"/claims/{quote(cm.patent, safe='')}?saved={quote(cm.patent, safe='')}", status_code=303
    )


@router.post("/claims/upload", include_in_schema=False)
async def upload_view(
    request: Request,
    app: AppDep,
    user: Editor,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str | None, Form(max_length=MAX_FILE_BYTES)] = None,
) -> Response:
    return await _upload_page(request, app, user, file, text, None)


@router.post("/claims/{patent:path}/upload", include_in_schema=False)
async def replace_view(
    request: Request,
    patent: str,
    app: AppDep,
    user: Editor,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str | None, Form(max_length=MAX_FILE_BYTES)] = None,
) -> Response:
    _chart(app, patent)  # 404 for a patent without a map
    return await _upload_page(request, app, user, file, text, patent)


# --- JSON API -------------------------------------------------------------------------------------


@router.get(
    "/api/v1/claims",
    summary="Claim maps",
    response_model=ClaimMapList,
    response_class=SafeJSONResponse,
    tags=["claims"],
)
def claims_api(app: AppDep) -> ClaimMapList:
    """The claim maps of ``matcher.claims_dir`` (and any others the matcher has read), with their
    match and drift counts; maps that fail validation are listed with every problem."""
    return claim_map_list(app.store, app.settings)


@router.get(
    "/api/v1/claims/{patent:path}/drift",
    summary="Drift of the mapped clauses",
    response_model=list[DriftOut],
    response_class=SafeJSONResponse,
    tags=["claims"],
)
def drift_api(patent: str, app: AppDep) -> list[DriftOut]:
    """Changes of the clauses this patent's features are mapped to, newest first."""
    return drift_history(app.store, patent)


@router.get(
    "/api/v1/claims/{patent:path}/export",
    summary="Export Tables B.1/B.2 (.xlsx, .docx)",
    tags=["claims"],
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}, MEDIA_TYPES["docx"]: {}}}},
)
def export_api(
    patent: str,
    app: AppDep,
    format: ExportFormat = "xlsx",
    language: Annotated[ExportLanguage, Query()] = "zh+en",
) -> Response:
    """The correspondence tables as ``sepwatch claims export`` writes them: .xlsx (B.1 and B.2) or .docx (B.2)."""
    return _export(app, patent, format, language)


@router.get(
    "/api/v1/claims/{patent:path}",
    summary="Claim chart (Table B.2) with evidence and drift",
    response_model=ClaimChart,
    response_class=SafeJSONResponse,
    tags=["claims"],
)
def chart_api(patent: str, app: AppDep) -> ClaimChart:
    """Table B.2 of the patent as data: per claim and feature the cited clauses with their quoted
    text (pinned to stored versions), the analysis (corresponds, relation, mandatory), the evidence
    the matcher found, the conclusions; and the drift history of the mapped clauses."""
    return _chart(app, patent)


@router.put(
    "/api/v1/claims/{patent:path}",
    summary="Add or replace a claim map (editor)",
    response_model=UploadResult,
    response_class=SafeJSONResponse,
    responses={422: {"model": UploadProblems}},
    tags=["claims"],
)
async def put_claim_map_api(patent: str, request: Request, app: AppDep, user: Editor) -> Response:
    """Add or replace the claim map of ``patent`` (editor role). The body is the YAML file; it is
    validated as ``sepwatch claims validate`` does and rejected with every problem (422)."""
    data = await _body(request, MAX_FILE_BYTES)
    try:
        cm = save_upload(
            app.store, app.settings, data, f"{patent}.yaml", expected_patent=patent, user=user.username
        )
    except ClaimMapsUnavailable as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except UploadRejected as exc:
        return SafeJSONResponse({"detail": exc.problems}, status_code=422)
    result = UploadResult(
        patent=cm.patent,
        claims=len(cm.claims),
        features=sum(len(c.features) for c in cm.claims),
        file=PurePath(cm.path or "").name,
    )
    return SafeJSONResponse(result.model_dump())
