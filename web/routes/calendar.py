"""Calendar: the page, the JSON, the .ics for the signed-in user and the personal feed URL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from index.users import User
from sepwatch.app import App
from web.deps import get_app, ics_feed_user, require_user
from web.routes._pages import SafeJSONResponse, parse_date
from web.templating import render
from web.views.calendar import CalendarPage, UnknownTeam, calendar_page, ics_feed, user_teams

router = APIRouter()

AppDep = Annotated[App, Depends(get_app)]
Viewer = Annotated[User, Depends(require_user)]
Team = Annotated[str | None, Query(max_length=61, description="Only what this team follows (teams[].name).")]
ICS_TYPE = "text/calendar; charset=utf-8"


def _today() -> dt.date:
    return dt.date.today()


def _page(app: App, view: Literal["month", "week"], date: str | None, team: str | None) -> CalendarPage:
    today = _today()
    try:
        anchor = parse_date(date, "date") or today
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    try:
        return calendar_page(app.store, app.settings, view, anchor, today, team or None)
    except UnknownTeam as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get("/calendar", response_class=HTMLResponse, include_in_schema=False)
def calendar_view(
    request: Request,
    app: AppDep,
    _user: Viewer,
    view: Literal["month", "week"] = "month",
    date: str | None = None,
    team: Team = None,
) -> HTMLResponse:
    page = _page(app, view, date, team)

    def nav_pairs(day: dt.date) -> list[tuple[str, str]]:
        pairs = [("view", page.view), ("date", day.isoformat())]
        return [*pairs, ("team", page.team)] if page.team else pairs

    return render(request, "pages/calendar.html", {"page": page, "nav_pairs": nav_pairs})


@router.get(
    "/api/v1/calendar",
    summary="Deadlines and milestones of a month or week",
    response_model=CalendarPage,
    response_class=SafeJSONResponse,
    tags=["calendar"],
)
def calendar_api(
    app: AppDep,
    _user: Viewer,
    view: Literal["month", "week"] = "month",
    date: Annotated[str | None, Query(description="Any day of the month or week; default today.")] = None,
    team: Team = None,
) -> CalendarPage:
    """Patent deadlines (open as of today: due in the period, overdue, or open while pending) and
    standards milestones (meetings, freezes, draft expiries) of a month or week, day by day."""
    return _page(app, view, date, team)


def _ics(app: App, user: User, team: str | None) -> Response:
    try:
        data = ics_feed(
            app.store, app.settings, _today(), team=team, teams=user_teams(app.settings, user.username)
        )
    except UnknownTeam as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return Response(
        data,
        media_type=ICS_TYPE,
        headers={
            "Content-Disposition": 'inline; filename="sepwatch.ics"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/calendar.ics", include_in_schema=False)
def calendar_ics_view(app: AppDep, user: Viewer, team: Team = None) -> Response:
    """The next year's deadlines and milestones as iCalendar: one team's with ``team``, else the
    teams of the person configured under the user's name (``people``), else everything."""
    return _ics(app, user, team or None)


@router.get(
    "/api/v1/calendar.ics",
    summary="Deadlines and milestones as iCalendar",
    tags=["calendar"],
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar_ics_api(app: AppDep, user: Viewer, team: Team = None) -> Response:
    """The next year's deadlines and milestones as iCalendar, as /calendar.ics gives them."""
    return _ics(app, user, team or None)


@router.get("/calendar/feed/{token}.ics", include_in_schema=False)
def calendar_feed(app: AppDep, user: Annotated[User, Depends(ics_feed_user)], team: Team = None) -> Response:
    """The same as /calendar.ics for calendar programs: the secret in the URL stands for the user."""
    return _ics(app, user, team or None)
