"""The calendar: patent deadlines and standards milestones by month or week, for everyone or a team."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from alerts.calendar import Entry, upcoming
from alerts.ics import calendar_ics, entries_for_team, team_patents
from config import Settings
from index import milestones
from index.store import Store
from web.views.common import safe_url

View = Literal["month", "week"]
ICS_HORIZON_DAYS = 365
MAX_SPAN_DAYS = 31


class UnknownTeam(LookupError):
    """A team that is not configured."""


class CalendarEntryOut(BaseModel):
    date: dt.date | None = Field(description="Due date or first day; null for a window open while pending.")
    kind: Literal["deadline", "milestone"]
    title: str
    subject: str = Field(description="The application (deadlines) or the milestone's key.")
    status: str = Field(description="open | overdue (deadlines); scheduled | … (milestones).")
    milestone: str | None = Field(default=None, description="meeting | freeze | expiry | … (milestones).")
    group: str | None = None
    release: str | None = None
    end: dt.date | None = None
    window: str | None = None
    legal_basis: str | None = None
    verified: bool | None = Field(default=None, description="false: the rule is an unverified default.")
    own: bool | None = Field(default=None, description="The application is in the own portfolio.")
    extendable: str | None = Field(default=None, description="Whether and how the period can be extended.")
    max_extended_due: dt.date | None = None
    note: str | None = None
    origin_url: str | None = None
    continued: bool = Field(default=False, description="A later day of a milestone spanning several days.")


class CalendarDay(BaseModel):
    date: dt.date
    in_period: bool
    today: bool
    entries: list[CalendarEntryOut]


class CalendarWeek(BaseModel):
    start: dt.date
    days: list[CalendarDay]


class CalendarPage(BaseModel):
    view: View
    start: dt.date
    end: dt.date
    previous: dt.date
    next: dt.date
    today: dt.date
    team: str | None
    teams: list[str]
    weeks: list[CalendarWeek]
    entries: list[CalendarEntryOut] = Field(description="Everything dated in the period, soonest first.")
    overdue: list[CalendarEntryOut]
    pending: list[CalendarEntryOut] = Field(description="Windows open while a condition lasts (no date).")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def entry_out(e: Entry) -> CalendarEntryOut:
    d = e.details
    kind: Literal["deadline", "milestone"] = "deadline" if e.kind == "deadline" else "milestone"
    return CalendarEntryOut(
        date=e.date,
        kind=kind,
        title=e.title,
        subject=e.subject,
        status=e.status,
        milestone=d.get("milestone"),
        group=d.get("group"),
        release=d.get("release"),
        end=_date(d.get("end")),
        window=d.get("window"),
        legal_basis=d.get("legal_basis"),
        verified=d.get("verified"),
        own=d.get("own"),
        extendable=str(d["extendable"]) if d.get("extendable") not in (None, "", False) else None,
        max_extended_due=_date(d.get("max_extended_due")),
        note=d.get("note"),
        origin_url=safe_url(d.get("origin")),
    )


def period(view: View, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first day, last day, first day of the previous period, of the next one)."""
    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return start, start + dt.timedelta(days=6), start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    start = anchor.replace(day=1)
    end = start.replace(day=cal.monthrange(start.year, start.month)[1])
    previous = (start - dt.timedelta(days=1)).replace(day=1)
    return start, end, previous, end + dt.timedelta(days=1)


def _milestones(store: Store, start: dt.date, end: dt.date) -> list[Entry]:
    """Milestones dated in [start, end], as ``upcoming`` gives them, with their last day."""
    return [
        Entry(
            date=m.date,
            kind="milestone",
            title=m.title,
            subject=m.key,
            status=m.status or "scheduled",
            details={
                "milestone": m.kind,
                "group": m.group_name,
                "release": m.release,
                "origin": m.origin,
                "end": m.end_date.isoformat() if m.end_date else None,
            },
        )
        for m in milestones.between(store, start, end)
        if m.status != "cancelled"
    ]


def entries_between(
    store: Store, settings: Settings, start: dt.date, end: dt.date, today: dt.date, team: str | None
) -> list[Entry]:
    """Deadlines open as of ``today`` and due up to ``end`` (overdue and condition windows
    included), and milestones dated in [start, end]; only the team's when ``team`` is given."""
    check_team(settings, team)
    horizon = max(0, (end - today).days)
    entries = upcoming(store, settings, today, horizon, milestones_too=False)
    entries.extend(_milestones(store, start, end))
    if team:
        entries = for_team(store, settings, entries, team)
    return sorted(entries, key=lambda e: (e.date or dt.date.max, e.kind, e.subject))


def for_team(store: Store, settings: Settings, entries: Sequence[Entry], team: str) -> list[Entry]:
    """The entries the team follows, its claim maps' patents included."""
    return entries_for_team(entries, settings, team, owned=team_patents(store, settings, team))


def check_team(settings: Settings, team: str | None) -> None:
    if team and team not in {t.name for t in settings.teams}:
        raise UnknownTeam(f"no team {team!r} in the configuration")


def calendar_page(
    store: Store, settings: Settings, view: View, anchor: dt.date, today: dt.date, team: str | None
) -> CalendarPage:
    start, end, previous, following = period(view, anchor)
    grid_start = start - dt.timedelta(days=start.weekday())
    grid_end = end + dt.timedelta(days=6 - end.weekday())
    # From a month earlier: a meeting that began before the grid still shows on its later days.
    found = entries_between(
        store, settings, grid_start - dt.timedelta(days=MAX_SPAN_DAYS), grid_end, today, team
    )
    entries = [entry_out(e) for e in found]
    by_day: dict[dt.date, list[CalendarEntryOut]] = {}
    for e in entries:
        if e.date is None or (e.kind == "deadline" and e.status == "overdue"):
            continue
        by_day.setdefault(e.date, []).append(e)
        if e.end is not None and e.end > e.date:  # a meeting shows on each of its days
            day = e.date + dt.timedelta(days=1)
            while day <= min(e.end, e.date + dt.timedelta(days=MAX_SPAN_DAYS)):
                by_day.setdefault(day, []).append(e.model_copy(update={"continued": True}))
                day += dt.timedelta(days=1)
    weeks: list[CalendarWeek] = []
    day = grid_start
    while day <= grid_end:
        days = []
        for offset in range(7):
            current = day + dt.timedelta(days=offset)
            days.append(
                CalendarDay(
                    date=current,
                    in_period=start <= current <= end,
                    today=current == today,
                    entries=by_day.get(current, []),
                )
            )
        weeks.append(CalendarWeek(start=day, days=days))
        day += dt.timedelta(days=7)
    return CalendarPage(
        view=view,
        start=start,
        end=end,
        previous=previous,
        next=following,
        today=today,
        team=team,
        teams=[t.name for t in settings.teams],
        weeks=weeks,
        entries=[
            e for e in entries if e.date is not None and start <= e.date <= end and e.status != "overdue"
        ],
        overdue=[e for e in entries if e.status == "overdue"],
        pending=[e for e in entries if e.date is None],
    )


def user_teams(settings: Settings, username: str) -> list[str]:
    """The teams of the person configured under the user's name (``people[].teams``)."""
    for person in settings.people:
        if person.name == username:
            return list(person.teams)
    return []


def ics_feed(
    store: Store, settings: Settings, today: dt.date, *, team: str | None, teams: Sequence[str] = ()
) -> bytes:
    """The .ics of the next year's deadlines and milestones (and open overdue deadlines): one
    team's, else those of ``teams`` (a person's teams), else everything."""
    end = today + dt.timedelta(days=ICS_HORIZON_DAYS)
    if team:
        entries = entries_between(store, settings, today, end, today, team)
        name = f"sepwatch · {team}"
    else:
        entries = entries_between(store, settings, today, end, today, None)
        name = "sepwatch"
        if teams:
            seen: dict[tuple[Any, ...], Entry] = {}
            for t in teams:
                if t in {x.name for x in settings.teams}:
                    for e in for_team(store, settings, entries, t):
                        seen.setdefault((e.kind, e.subject, e.title, e.date), e)
            entries = sorted(seen.values(), key=lambda e: (e.date or dt.date.max, e.kind, e.subject))
            name = f"sepwatch · {', '.join(teams)}"
    data: bytes = calendar_ics(entries, name=name)
    return data
