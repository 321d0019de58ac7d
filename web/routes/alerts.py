"""Alerts: the log with filters, and acknowledging (editors)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from index.users import User
from sepwatch.app import App
from web.deps import get_app, require_role, require_user
from web.routes._pages import SafeJSONResponse, local_target
from web.templating import render
from web.views.alerts import PER_PAGE, Acknowledged, AlertPage, acknowledge, alert_page

router = APIRouter(dependencies=[Depends(require_user)])

AppDep = Annotated[App, Depends(get_app)]
Editor = Annotated[User, Depends(require_role("editor"))]
Kinds = Annotated[list[str], Query(description="Only these kinds (repeatable).")]
MAX_IDS = 1000


class AcknowledgeRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_IDS)


class AcknowledgeResult(BaseModel):
    acknowledged: list[int] = Field(description="The ids that exist (acknowledged now or before).")


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_view(
    request: Request,
    app: AppDep,
    kind: Kinds = [],  # noqa: B006 - FastAPI copies defaults per request
    acknowledged: Acknowledged = "all",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    acked: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    data = alert_page(app.store, kind, acknowledged, page)

    def page_pairs(n: int) -> list[tuple[str, str]]:
        return [*(("kind", k) for k in kind), ("acknowledged", acknowledged), ("page", str(n))]

    here = "/alerts?" + urlencode(page_pairs(data.pagination.page))
    return render(
        request,
        "pages/alerts.html",
        {"page": data, "page_pairs": page_pairs, "acked": acked, "here_path": here},
    )


@router.post("/alerts/acknowledge", include_in_schema=False)
def acknowledge_view(
    app: AppDep,
    user: Editor,
    ids: Annotated[list[int], Form(max_length=MAX_IDS)] = [],  # noqa: B006
    one: Annotated[int | None, Form()] = None,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> RedirectResponse:
    chosen = [one] if one is not None else ids
    done = acknowledge(app.store, chosen, user.username) if chosen else []
    target = local_target(next, "/alerts")
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}acked={len(done)}", status_code=303)


@router.get(
    "/api/v1/alerts",
    summary="Alerts",
    response_model=AlertPage,
    response_class=SafeJSONResponse,
    tags=["alerts"],
)
def alerts_api(
    app: AppDep,
    kind: Kinds = [],  # noqa: B006
    acknowledged: Acknowledged = "all",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = PER_PAGE,
) -> AlertPage:
    """Alerts newest first, with their deliveries (recipient, channel, status)."""
    return alert_page(app.store, kind, acknowledged, page, per_page)


@router.post(
    "/api/v1/alerts/acknowledge",
    summary="Acknowledge alerts (editor)",
    response_model=AcknowledgeResult,
    response_class=SafeJSONResponse,
    tags=["alerts"],
)
def acknowledge_api(body: AcknowledgeRequest, app: AppDep, user: Editor) -> AcknowledgeResult:
    """Acknowledge alerts (editor role); the first acknowledgement (who, when) is kept."""
    return AcknowledgeResult(acknowledged=acknowledge(app.store, body.ids, user.username))
