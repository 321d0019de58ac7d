"""The calendar export: real deadlines and milestones from the store, written with icalendar and read
back by icalendar and by vobject (the parser of the Radicale CalDAV server), UIDs that survive a
rebuild and a slipped date, RFC 5545 escaping and folding, and the per-team filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject

from alerts.calendar import Entry, upcoming
from alerts.ics import calendar_ics, entries_for_team, event_uid, team_patents
from config import Settings, load_settings
from crawlers.items import Milestone, PatentEvent, PatentRecord
from index import milestones
from index.matches import save_claim_map
from index.patents import add_events, upsert_patent
from sepwatch.app import App

TODAY = dt.date(2024, 10, 1)
STAMP = dt.datetime(2024, 10, 1, 6, 0, tzinfo=dt.UTC)
APPLICATION = "CN202310123456"

CONFIG = """\
portfolio:
  own: [CN202310123456]
teams:
  - {name: ip-wireless, follows: {portfolio: own}}
  - {name: ran2-delegates, follows: {groups: [RAN2]}}
  - {name: quic-watch, follows: {specs: [draft-ietf-quic-multipath]}}
  - {name: competitors, follows: {patents: [EP3999999B1]}}
  - {name: claim-owners}
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    config = tmp_path / "sepwatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {
        "SEPWATCH_DATA_DIR": str(tmp_path / "data"),
        "SEPWATCH_STORE__URL": f"sqlite:///{tmp_path / 'store.sqlite'}",
        "HOME": str(tmp_path),
    }
    opened = App.open(load_settings(config, env=env))
    try:
        yield opened
    finally:
        opened.close()


def meeting(app: App, date: dt.date, end: dt.date) -> None:
    milestones.upsert(
        app.store,
        Milestone(
            source="threegpp_meetings",
            key="3gpp:meeting:60128",
            kind="meeting",
            title="RAN2#128 会议 (RAN2)",
            date=date,
            end=end,
            body="3GPP",
            group="RAN2",
            origin="https://www.3gpp.org/dynareport?code=Meeting-60128.htm",
        ),
    )


def populate(app: App) -> None:
    upsert_patent(
        app.store,
        PatentRecord(
            source="cnipa_import",
            office="CN",
            application=APPLICATION,
            title="一种终端能力指示方法",
            filing_date=dt.date(2023, 3, 1),
            publications=["CN112345678A"],
            kind="invention",
        ),
    )
    add_events(
        app.store,
        [
            PatentEvent(
                source="cnipa_import",
                office="CN",
                application=APPLICATION,
                code="210307",
                date=dt.date(2024, 9, 20),
                text="发明专利申请进入实质审查阶段通知书",
                kind="notice",
                known=True,
                metadata={"delivery": "electronic"},
            )
        ],
    )
    meeting(app, dt.date(2024, 11, 18), dt.date(2024, 11, 22))
    milestones.upsert(
        app.store,
        Milestone(
            source="threegpp_releases",
            key="3gpp:freeze:Rel-19:stage3",
            kind="freeze",
            title="Rel-19 Stage 3 freeze",
            date=dt.date(2024, 12, 13),
            body="3GPP",
            release="Rel-19",
        ),
    )
    milestones.upsert(
        app.store,
        Milestone(
            source="ietf_drafts",
            key="ietf:expiry:draft-ietf-quic-multipath",
            kind="expiry",
            title="draft-ietf-quic-multipath-10 expires",
            date=dt.date(2024, 12, 2),
            body="IETF",
            group="quic",
        ),
    )


def entries(app: App) -> list[Entry]:
    return upcoming(app.store, app.settings, TODAY, 120)


def parse_both(data: bytes) -> tuple[Any, Any]:
    """The calendar as icalendar and as vobject read it (each fails loudly on malformed input)."""
    return icalendar.Calendar.from_ical(data), vobject.readOne(data.decode("utf-8"))


def test_deadlines_and_milestones_from_the_store_parse_in_two_independent_parsers(app: App) -> None:
    populate(app)
    found = entries(app)
    data = calendar_ics(found, name="sepwatch · 无线知识产权组", stamp=STAMP)
    ical, vcal = parse_both(data)
    assert str(ical["X-WR-CALNAME"]) == "sepwatch · 无线知识产权组"
    events = {str(e["UID"]): e for e in ical.walk("VEVENT")}
    assert len(events) == len([e for e in found if e.date]) == len(vcal.vevent_list) >= 4

    deadline = next(e for e in found if e.kind == "deadline" and e.date == dt.date(2024, 12, 20))
    event = events[event_uid(deadline)]
    assert event.decoded("DTSTART") == dt.date(2024, 12, 20)  # a date: an all-day event
    assert event.decoded("DTEND") == dt.date(2024, 12, 21)  # exclusive end
    assert str(event["SUMMARY"]) == f"{deadline.title} — {APPLICATION}"
    description = str(event["DESCRIPTION"])
    for expected in (
        f"Patent: {APPLICATION}",
        "Due: 2024-12-20",
        "Trigger: 210307 2024-09-20",
        "Legal basis: ",
    ):
        assert expected in description
    assert event["CATEGORIES"].cats == ["deadline", deadline.details["window"]]
    alarms = [c for c in event.subcomponents if c.name == "VALARM"]
    assert sorted(a.decoded("TRIGGER") for a in alarms) == [-dt.timedelta(days=7), -dt.timedelta(days=1)]

    meeting_entry = next(e for e in found if e.subject == "3gpp:meeting:60128")
    meeting_event = events[event_uid(meeting_entry)]
    assert str(meeting_event["SUMMARY"]) == "RAN2#128 会议 (RAN2)"
    assert meeting_event.decoded("DTSTART") == dt.date(2024, 11, 18)
    assert not [c for c in meeting_event.subcomponents if c.name == "VALARM"]
    assert "Group: RAN2" in str(meeting_event["DESCRIPTION"])

    by_uid = {ev.uid.value: ev for ev in vcal.vevent_list}
    assert by_uid[event_uid(deadline)].dtstart.value == dt.date(2024, 12, 20)
    assert by_uid[event_uid(meeting_entry)].summary.value == "RAN2#128 会议 (RAN2)"
    assert by_uid[event_uid(deadline)].description.value == description


def test_uids_survive_a_rebuild_and_a_slipped_meeting_moves_instead_of_duplicating(app: App) -> None:
    populate(app)
    first = calendar_ics(entries(app), name="sepwatch", stamp=STAMP)
    assert calendar_ics(entries(app), name="sepwatch", stamp=STAMP) == first  # byte-identical
    meeting(app, dt.date(2024, 11, 25), dt.date(2024, 11, 29))  # the meeting slips a week
    second = calendar_ics(entries(app), name="sepwatch", stamp=STAMP)
    before = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(first).walk("VEVENT")}
    after = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(second).walk("VEVENT")}
    assert before.keys() == after.keys()
    moved = [uid for uid in after if after[uid].decoded("DTSTART") != before[uid].decoded("DTSTART")]
    assert len(moved) == 1
    assert after[moved[0]].decoded("DTSTART") == dt.date(2024, 11, 25)


def test_a_multi_day_meeting_spans_its_days(app: App) -> None:
    populate(app)
    [event] = [
        e
        for e in icalendar.Calendar.from_ical(calendar_ics(entries(app), name="s", stamp=STAMP)).walk(
            "VEVENT"
        )
        if str(e["SUMMARY"]).startswith("RAN2#128")
    ]
    assert event.decoded("DTEND") == dt.date(2024, 11, 23)


def test_an_end_date_in_the_details_spans_the_event() -> None:
    entry = Entry(
        date=dt.date(2024, 11, 18),
        kind="milestone",
        title="RAN2#128",
        subject="3gpp:meeting:60128",
        status="scheduled",
        details={"milestone": "meeting", "group": "RAN2", "end": "2024-11-22"},
    )
    [event] = icalendar.Calendar.from_ical(calendar_ics([entry], name="s", stamp=STAMP)).walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        dt.date(2024, 11, 18),
        dt.date(2024, 11, 23),
    )


def hostile_entry(**details: Any) -> Entry:
    return Entry(
        date=dt.date(2025, 1, 31),
        kind="deadline",
        title="答复; 第一次审查意见, 通知书\n<script>alert('x')</script> C:\\path",
        subject="EP18712345",
        status="open",
        details={
            "window": "oa_reply",
            "rule": "ep-r70a",
            "trigger": "EPOA 2024-09-30",
            "legal_basis": "Art. 94(3) EPC; R. 132(2), EPC",
            "note": "line one\nline two; with, commas \\ and a backslash",
            "verified": False,
            **details,
        },
    )


def test_text_is_escaped_per_rfc_5545_and_comes_back_unchanged() -> None:
    entry = hostile_entry()
    data = calendar_ics([entry], name="a,b;c", stamp=STAMP)
    raw = data.decode("utf-8").replace("\r\n ", "")  # unfolded
    summary_line = next(line for line in raw.split("\r\n") if line.startswith("SUMMARY:"))
    assert summary_line == (
        "SUMMARY:答复\\; 第一次审查意见\\, 通知书 <script>alert('x')</script> C:\\\\path — EP18712345"
    )
    assert "Note: line one\\nline two\\; with\\, commas \\\\ and a backslash" in raw
    ical, vcal = parse_both(data)
    [event] = ical.walk("VEVENT")
    # Markup is carried as text (iCalendar has none); the title is one line.
    assert (
        str(event["SUMMARY"])
        == "答复; 第一次审查意见, 通知书 <script>alert('x')</script> C:\\path — EP18712345"
    )
    assert "Note: line one\nline two; with, commas \\ and a backslash" in str(event["DESCRIPTION"])
    assert "UNVERIFIED" in str(event["DESCRIPTION"])
    assert vcal.vevent.description.value == str(event["DESCRIPTION"])
    assert str(ical["X-WR-CALNAME"]) == "a,b;c"


def test_lines_are_crlf_and_folded_at_75_octets_without_splitting_a_character() -> None:
    entry = hostile_entry(note="审查意见答复期限" * 40)
    data = calendar_ics([entry], name="sepwatch", stamp=STAMP)
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8
    assert sum(1 for line in lines if line.startswith(b" ")) > 10


def test_overdue_deadlines_say_so_and_undated_windows_are_left_out() -> None:
    overdue = hostile_entry(window="fee")
    overdue.status = "overdue"
    undated = Entry(
        date=None, kind="deadline", title="Divisional while pending", subject="EP1", status="open"
    )
    ical, _ = parse_both(calendar_ics([overdue, undated], name="sepwatch", stamp=STAMP))
    [event] = ical.walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("OVERDUE: ")
    assert int(event["PRIORITY"]) == 1


def test_each_team_gets_what_it_follows(app: App) -> None:
    populate(app)
    found = entries(app)
    settings: Settings = app.settings

    def subjects(team: str | None, **kw: Any) -> set[str]:
        return {e.subject for e in entries_for_team(found, settings, team, **kw)}

    everything = {e.subject for e in found}
    assert subjects(None) == everything
    assert subjects("ip-wireless") == {APPLICATION}  # portfolio: own
    assert subjects("ran2-delegates") == {"3gpp:meeting:60128", "3gpp:freeze:Rel-19:stage3"}
    assert subjects("quic-watch") == {"ietf:expiry:draft-ietf-quic-multipath"}
    assert subjects("competitors") == set()
    assert subjects("claim-owners") == set()
    with pytest.raises(ValueError, match="unknown team 'nobody'"):
        entries_for_team(found, settings, "nobody")


def test_a_team_that_owns_a_claim_map_or_follows_a_publication_number_gets_its_deadlines(app: App) -> None:
    populate(app)
    found = entries(app)
    save_claim_map(app.store, "CN112345678A", "maps/cn112345678.yaml", "0" * 64, ["claim-owners"], {})
    owned = team_patents(app.store, app.settings, "claim-owners")
    assert APPLICATION in owned  # the publication number in the claim map resolved to the application
    chosen = entries_for_team(found, app.settings, "claim-owners", owned=owned)
    assert {e.subject for e in chosen} == {APPLICATION}
    assert team_patents(app.store, app.settings, "competitors") == {"EP3999999B1"}
