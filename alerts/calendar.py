"""What is due: patent deadlines computed from the stored events, and the standards milestones
(meetings, freezes, draft expiries) — one calendar, as ``sepwatch deadlines`` shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from alerts.deadlines import Deadline, compute, load_holidays, load_rules
from config import Settings
from index import milestones, patents
from index.store import Store

_DATE_FIELDS = ("filing_date", "priority_date", "grant_date")


def patent_deadlines(store: Store, settings: Settings, today: dt.date) -> list[Deadline]:
    """Every deadline the stored events and application dates open, as of ``today``."""
    rules = load_rules(overrides=settings.deadlines.rules_file)
    holidays = load_holidays(overrides=settings.deadlines.holidays_file)
    rows = patents.patents(store)
    dates: dict[str, dict[str, dt.date]] = {}
    kinds: dict[str, str] = {}
    for p in rows:
        dates[p.application] = {f: getattr(p, f) for f in _DATE_FIELDS if getattr(p, f) is not None}
        for key, value in p.meta.items():
            if key.endswith("_date") and isinstance(value, str):
                try:
                    dates[p.application][key] = dt.date.fromisoformat(value[:10])
                except ValueError:
                    continue
        if p.kind:
            kinds[p.application] = p.kind
    # As of ``today``: what happened later has not happened yet (``--today`` looks back in time).
    events = [patents.as_event(e) for e in patents.events(store) if e.date is None or e.date <= today]
    return compute(events, rules, holidays, application_dates=dates, application_kinds=kinds, today=today)


@dataclass(slots=True)
class Entry:
    """One line of the calendar."""

    date: dt.date | None
    kind: str  # deadline | milestone
    title: str
    subject: str  # the application, or the milestone's key
    status: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "kind": self.kind,
            "title": self.title,
            "subject": self.subject,
            "status": self.status,
            **self.details,
        }


def own_applications(store: Store, settings: Settings) -> set[str]:
    """Applications of the portfolio's own numbers (application or publication numbers given)."""
    found = patents.find_patents(store, settings.portfolio.own)
    return {p.application for p in found} | set(settings.portfolio.own)


def upcoming(
    store: Store,
    settings: Settings,
    today: dt.date,
    days: int,
    *,
    overdue: bool = True,
    milestones_too: bool = True,
) -> list[Entry]:
    """Deadlines due within ``days`` (and overdue ones), and milestones dated within ``days``."""
    last = today + dt.timedelta(days=days)
    own = own_applications(store, settings)
    entries: list[Entry] = []
    for d in patent_deadlines(store, settings, today):
        due_soon = d.status == "open" and d.due is not None and today <= d.due <= last
        late = overdue and d.status == "overdue"
        condition = d.status == "open" and d.due is None
        if not (due_soon or late or condition):
            continue
        entries.append(
            Entry(
                date=d.due,
                kind="deadline",
                title=d.label,
                subject=d.application,
                status=d.status,
                details={
                    "window": d.window,
                    "rule": d.rule_id,
                    "trigger": f"{d.trigger_code} {d.trigger_date.isoformat()}",
                    "start": d.start.isoformat(),
                    "extendable": d.extendable,
                    "max_extended_due": d.max_extended_due.isoformat() if d.max_extended_due else None,
                    "legal_basis": d.legal_basis,
                    "verified": d.verified,
                    "own": d.application in own,
                    "note": d.note,
                },
            )
        )
    if milestones_too:
        for m in milestones.between(store, today, last):
            if m.status == "cancelled":
                continue
            entries.append(
                Entry(
                    date=m.date,
                    kind="milestone",
                    title=m.title,
                    subject=m.key,
                    status=m.status or "scheduled",
                    details={
                        "milestone": m.kind,
                        "end": m.end_date.isoformat() if m.end_date else None,
                        "group": m.group_name,
                        "release": m.release,
                        "origin": m.origin,
                    },
                )
            )
    return sorted(entries, key=lambda e: (e.date or dt.date.max, e.kind, e.subject))
