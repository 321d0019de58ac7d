"""The calendar: deadlines and milestones on their days by month and week, by team, and as .ics
(for the signed-in user and through the personal feed URL)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from icalendar import Calendar

from config import Settings
from config.schema import PersonSettings
from sepwatch.app import App
from tests.web.conftest import Credentials, WebClient
from tests.web.pages_data import (
    TODAY,
    Corpus,
    corpus_fixture,  # noqa: F401 - fixtures
    visible_text,
    with_pages_settings,
)
from web import auth

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture
def web_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The pages' settings, and a person "quinn" in the IETF team (the .ics of a person's teams)."""
    base = with_pages_settings(settings, tmp_path / "claims")
    return base.model_copy(update={"people": [PersonSettings(name="quinn", teams=["ietf-team"])]})


def day_cell(html: str, day: dt.date) -> str:
    """The text of the calendar grid's cell of ``day``."""
    match = re.search(
        rf'<td class="day[^"]*">\s*<div class="daynum"><time datetime="{day.isoformat()}">.*?</td>',
        html,
        re.S,
    )
    assert match, f"no cell for {day}"
    return visible_text(match.group(0))


def test_month_shows_deadlines_and_meetings_on_their_days(
    corpus: Corpus, client: Callable[..., WebClient]
) -> None:
    web = client()
    month = web.get("/calendar", params={"date": corpus.meeting_date.isoformat()}).text
    meeting = day_cell(month, corpus.meeting_date)
    assert "meeting RAN2#131 RAN2" in meeting
    # A five-day meeting is on each of its days.
    assert "RAN2#131" in day_cell(month, corpus.meeting_date + dt.timedelta(days=4))
    due = web.get("/calendar", params={"date": corpus.deadline_date.isoformat()}).text
    cell = day_cell(due, corpus.deadline_date)
    assert corpus.deadline_subject in cell and "deadline" in cell and "own" in cell
    data = web.get("/api/v1/calendar", params={"date": corpus.deadline_date.isoformat()}).json()
    (deadline,) = [e for e in data["entries"] if e["kind"] == "deadline"]
    assert (
        deadline["subject"] == corpus.deadline_subject
        and deadline["date"] == corpus.deadline_date.isoformat()
    )
    assert deadline["own"] is True and deadline["legal_basis"]


def test_week_view_and_navigation(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    week = web.get(
        "/api/v1/calendar", params={"view": "week", "date": corpus.meeting_date.isoformat()}
    ).json()
    start = dt.date.fromisoformat(week["start"])
    assert start.weekday() == 0 and start <= corpus.meeting_date <= start + dt.timedelta(days=6)
    assert len(week["weeks"]) == 1 and len(week["weeks"][0]["days"]) == 7
    assert week["previous"] == (start - dt.timedelta(days=7)).isoformat()
    assert any(e["title"] == "RAN2#131" for e in week["entries"])
    html = web.get("/calendar", params={"view": "week", "date": corpus.meeting_date.isoformat()}).text
    assert f'rel="next" href="?view=week&amp;date={(start + dt.timedelta(days=7)).isoformat()}"' in html
    assert web.get("/calendar", params={"date": "someday"}).status_code == 422


def test_team_filter(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    params = {"date": corpus.meeting_date.isoformat()}
    ran = web.get("/api/v1/calendar", params={**params, "team": "ip-wireless"}).json()
    assert any(e["title"] == "RAN2#131" for e in ran["entries"])
    quic = web.get("/api/v1/calendar", params={**params, "team": "ietf-team"}).json()
    assert not any(e["title"] == "RAN2#131" for e in quic["entries"])
    assert web.get("/calendar", params={"team": "nobody"}).status_code == 404
    html = web.get("/calendar", params={**params, "team": "ip-wireless"}).text
    assert '<option value="ip-wireless" selected>' in html
    assert 'href="/calendar.ics?team=ip-wireless"' in html


def events(data: bytes) -> dict[str, str]:
    """SUMMARY → DTSTART (ISO date) of every event."""
    calendar = Calendar.from_ical(data)
    return {str(e["SUMMARY"]): e.decoded("DTSTART").isoformat() for e in calendar.walk("VEVENT")}


def test_ics_for_the_user_and_the_feed_url(
    corpus: Corpus,
    web_app: App,
    client: Callable[..., WebClient],
    user: Callable[..., Credentials],
    anon: WebClient,
) -> None:
    web = client()
    answer = web.get("/calendar.ics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    everything = events(answer.content)
    assert everything["RAN2#131"] == corpus.meeting_date.isoformat()
    assert any(corpus.deadline_subject in s for s in everything)
    team = events(web.get("/calendar.ics", params={"team": "ietf-team"}).content)
    assert "RAN2#131" not in team
    # quinn is in the IETF team (people[]): their calendar is that team's.
    quinn = client(credentials=user("viewer", username="quinn"))
    assert "RAN2#131" not in events(quinn.get("/calendar.ics").content)
    # The personal feed answers without a session, only to its token.
    account = auth.check_password(
        web_app.store, "quinn", quinn.credentials.password if quinn.credentials else ""
    )
    assert account is not None
    token = auth.regenerate_ics_token(web_app.store, account)
    feed = anon.get(f"/calendar/feed/{token}.ics")
    assert feed.status_code == 200 and events(feed.content) == events(quinn.get("/calendar.ics").content)
    assert anon.get("/calendar/feed/swc_wrong.ics").status_code == 404
    assert anon.get("/calendar.ics").status_code == 303


def test_overdue_deadlines_are_listed(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    # Seen from a month in the past, the deadline is still ahead; nothing is overdue yet.
    page = (
        client().get("/api/v1/calendar", params={"date": (TODAY - dt.timedelta(days=60)).isoformat()}).json()
    )
    assert page["overdue"] == []
    assert page["today"] == TODAY.isoformat()
