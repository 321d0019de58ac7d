"""Deadlines and milestones as an iCalendar file (RFC 5545), for a calendar client or a feed.

One all-day VEVENT per dated entry of :func:`alerts.calendar.upcoming`. UIDs are derived from what
identifies the entry — the application, the rule and the trigger for a deadline; the milestone's
key — so importing or subscribing again updates the events (a slipped freeze moves) instead of
adding duplicates. Patent deadlines carry reminders (VALARM). Entries without a date (windows that
close on a condition, not a date) cannot be placed in a calendar and are left out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from typing import Any

from icalendar import Alarm, Calendar, Event
from sqlalchemy import select

from alerts.calendar import Entry
from alerts.channels.base import digest_id
from config.schema import FollowSettings, Settings
from index import patents as patent_index
from index.models import ClaimMapRow
from index.store import Store

try:
    from sepwatch import __version__
except ImportError:  # pragma: no cover
    __version__ = "0"

UID_DOMAIN = "sepwatch"
DEFAULT_ALARM_DAYS = (7, 1)


def event_uid(entry: Entry) -> str:
    """The entry's UID: stable while the entry means the same window or milestone."""
    if entry.kind == "deadline":
        seed = f"deadline|{entry.subject}|{entry.details.get('rule', '')}|{entry.details.get('trigger', '')}"
    else:
        seed = f"{entry.kind}|{entry.subject}"
    return f"{digest_id(seed)}@{UID_DOMAIN}"


def calendar_ics(
    entries: Sequence[Entry],
    *,
    name: str,
    alarm_days: Sequence[int] = DEFAULT_ALARM_DAYS,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The entries as one VCALENDAR named ``name`` (UTF-8 bytes, CRLF lines folded at 75 octets).

    ``alarm_days``: reminders before each patent deadline (days; 0 = on the day). ``stamp``: the
    DTSTAMP of every event (default now, UTC).
    """
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", f"-//sepwatch//sepwatch {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-caldesc", "Patent deadlines and standards milestones from sepwatch")
    # Feed readers poll no more often than this (RFC 7986 and the de-facto X-PUBLISHED-TTL).
    calendar.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    for entry in entries:
        if entry.date is None:
            continue
        calendar.add_component(_event(entry, stamp, alarm_days))
    return bytes(calendar.to_ical())


def _event(entry: Entry, stamp: dt.datetime, alarm_days: Sequence[int]) -> Event:
    event = Event()
    event.add("uid", event_uid(entry))
    event.add("dtstamp", stamp)
    assert entry.date is not None
    event.add("dtstart", entry.date)
    event.add("dtend", _end(entry) + dt.timedelta(days=1))  # DTEND of an all-day event is exclusive
    event.add("summary", _summary(entry))
    event.add("description", _description(entry))
    details = entry.details
    categories = [entry.kind]
    sub_kind = details.get("window") if entry.kind == "deadline" else details.get("milestone")
    if sub_kind:
        categories.append(str(sub_kind))
    event.add("categories", categories)
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    origin = details.get("origin")
    if isinstance(origin, str) and origin.startswith(("http://", "https://")):
        event.add("url", origin)
    if entry.kind == "deadline":
        event.add("priority", 1 if entry.status == "overdue" else 5)
        for days in sorted(set(alarm_days), reverse=True):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{_summary(entry)} ({'today' if days == 0 else f'in {days} d'})")
            alarm.add("trigger", -dt.timedelta(days=days))
            event.add_component(alarm)
    return event


def _end(entry: Entry) -> dt.date:
    assert entry.date is not None
    end = entry.details.get("end")
    if isinstance(end, dt.date):
        return max(end, entry.date)
    if isinstance(end, str):
        try:
            return max(dt.date.fromisoformat(end[:10]), entry.date)
        except ValueError:
            pass
    return entry.date


def _summary(entry: Entry) -> str:
    title = " ".join(entry.title.split())  # one line: calendars show SUMMARY as a title
    if entry.kind == "deadline":
        prefix = "OVERDUE: " if entry.status == "overdue" else ""
        return f"{prefix}{title} — {entry.subject}"
    return title


_DEADLINE_LINES: tuple[tuple[str, str], ...] = (
    ("window", "Window"),
    ("trigger", "Trigger"),
    ("start", "Period runs from"),
    ("legal_basis", "Legal basis"),
    ("extendable", "Extendable"),
    ("max_extended_due", "Latest date with extensions"),
    ("rule", "Rule"),
    ("note", "Note"),
)
_MILESTONE_LINES: tuple[tuple[str, str], ...] = (
    ("milestone", "Kind"),
    ("group", "Group"),
    ("release", "Release"),
    ("origin", "Source"),
)


def _description(entry: Entry) -> str:
    lines: list[str] = []
    if entry.kind == "deadline":
        lines.append(f"Patent: {entry.subject}")
        lines.append(f"Due: {entry.date.isoformat() if entry.date else '—'} ({entry.status})")
        pairs = _DEADLINE_LINES
    else:
        lines.append(f"Milestone: {entry.subject}")
        lines.append(f"Status: {entry.status}")
        pairs = _MILESTONE_LINES
    for key, label in pairs:
        value = entry.details.get(key)
        if value in (None, "", False):
            continue
        lines.append(f"{label}: {_text(value)}")
    if entry.kind == "deadline" and entry.details.get("verified") is False:
        lines.append(
            "This rule is an UNVERIFIED default: check the period against the law before relying on it."
        )
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is True:
        return "yes"
    return str(value)


# --- by team -----------------------------------------------------------------------------------


def _norm(value: str) -> str:
    return re.sub(r"[\s\-_./,]", "", value).casefold()


def _patent_key(number: str) -> str:
    """EP 3 456 789 A1 → ep3456789: office letters and digits, kind code dropped."""
    text = _norm(number)
    match = re.match(r"^([a-z]{2})(\d+)", text)
    return f"{match.group(1)}{match.group(2)}" if match else text


_3GPP_FOLLOW = re.compile(
    r"^(3gpp)?((ts|tr)?\d{2}\d{3}|ran\d?|sa\d?|ct\d?|r[1-5]|s[1-6]|c[1-6]|rel\d+)", re.I
)


def _follows_3gpp(follows: FollowSettings) -> bool:
    return any(_3GPP_FOLLOW.match(_norm(v)) for v in [*follows.groups, *follows.specs])


def _milestone_followed(entry: Entry, follows: FollowSettings) -> bool:
    details = entry.details
    group = details.get("group")
    if group and _norm(str(group)) in {_norm(g) for g in follows.groups}:
        return True
    haystack = _norm(f"{entry.subject} {entry.title}")
    if any(_norm(spec) and _norm(spec) in haystack for spec in follows.specs):
        return True
    release = details.get("release")
    if release and _norm(str(release)) in {_norm(v) for v in [*follows.groups, *follows.specs]}:
        return True
    # Release freezes concern everyone who works in 3GPP.
    return details.get("milestone") == "freeze" and _follows_3gpp(follows)


def entries_for_team(
    entries: Sequence[Entry],
    settings: Settings,
    team: str | None,
    *,
    owned: Collection[str] = (),
) -> list[Entry]:
    """The entries ``team`` follows; every entry when ``team`` is None.

    A deadline belongs to the team when its patent is in ``follows.patents`` (publication or
    application numbers, kind codes ignored) or in ``owned`` (the patents whose claim maps name
    the team as owner — the caller resolves them), or when ``follows.portfolio`` is "all", or
    "own" and the patent is in the own portfolio. A milestone belongs to it when it follows the
    milestone's group, a spec or draft named in it, its release, or — for 3GPP release freezes —
    any 3GPP group or spec. ValueError for a team that is not configured.
    """
    if team is None:
        return list(entries)
    teams = {t.name: t for t in settings.teams}
    if team not in teams:
        known = ", ".join(sorted(teams)) or "none configured"
        raise ValueError(f"unknown team {team!r} (teams: {known})")
    follows = teams[team].follows
    patents = {_patent_key(p) for p in [*follows.patents, *owned]}
    chosen: list[Entry] = []
    for entry in entries:
        if entry.kind == "deadline":
            if (
                _patent_key(entry.subject) in patents
                or follows.portfolio == "all"
                or (follows.portfolio == "own" and entry.details.get("own"))
            ):
                chosen.append(entry)
        elif _milestone_followed(entry, follows):
            chosen.append(entry)
    return chosen


def team_patents(store: Store, settings: Settings, team: str) -> set[str]:
    """Applications ``team`` follows (``follows.patents``, publication numbers resolved through the
    store) or owns (claim maps whose ``owners`` name it), for :func:`entries_for_team`'s ``owned``."""
    config = next((t for t in settings.teams if t.name == team), None)
    if config is None:
        raise ValueError(f"unknown team {team!r}")
    numbers = set(config.follows.patents)
    with store.session() as s:
        for row in s.scalars(select(ClaimMapRow)):
            if team in (row.owners or []):
                numbers.add(row.patent)
    found = patent_index.find_patents(store, sorted(numbers)) if numbers else []
    return numbers | {p.application for p in found}
