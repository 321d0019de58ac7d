"""Milestones in the store of record: meetings, release freezes, draft expiries, for the calendar.

A milestone is keyed stably (``3gpp:meeting:85434``), so a crawl that sees a new date updates the
same row and keeps the earlier date in ``meta["history"]``: a freeze that slips is visible as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select

from crawlers.items import Milestone
from index.models import Milestone as MilestoneRow
from index.models import utcnow
from index.store import Store

Outcome = Literal["new", "changed", "unchanged"]
_TRACKED = ("title", "date", "end_date", "body", "group_name", "release", "status", "origin")


def upsert(store: Store, item: Milestone, run_id: int | None = None) -> Outcome:
    """Store ``item``; a change of date or status is recorded in the row's history."""
    values: dict[str, Any] = {
        "title": item.title,
        "date": item.date,
        "end_date": item.end,
        "body": item.body,
        "group_name": item.group,
        "release": item.release,
        "status": item.status,
        "origin": item.origin,
    }
    now = utcnow()
    with store.session(write=True) as s:
        row = s.scalar(select(MilestoneRow).where(MilestoneRow.key == item.key).with_for_update())
        if row is None:
            s.add(
                MilestoneRow(
                    key=item.key,
                    source=item.source,
                    kind=item.kind,
                    meta=dict(item.metadata),
                    run_id=run_id,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            return "new"
        changed = [k for k in _TRACKED if getattr(row, k) != values[k]]
        meta = {**row.meta, **item.metadata}
        if not changed and meta == row.meta:
            return "unchanged"
        if {"date", "end_date", "status"} & set(changed):
            history = list(row.meta.get("history", []))
            history.append(
                {
                    "date": _iso(row.date),
                    "end": _iso(row.end_date),
                    "status": row.status,
                    "until": now.isoformat(),
                }
            )
            meta["history"] = history
        for k in changed:
            setattr(row, k, values[k])
        row.meta = meta
        row.run_id = run_id
        row.updated_at = now
        return "changed"


def between(
    store: Store,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    kinds: Sequence[str] = (),
    source: str | None = None,
) -> list[MilestoneRow]:
    """Milestones dated in [start, end], ordered by date; undated ones only when no range is given."""
    query = select(MilestoneRow).order_by(MilestoneRow.date, MilestoneRow.key)
    if start is not None:
        query = query.where(MilestoneRow.date >= start)
    if end is not None:
        query = query.where(MilestoneRow.date <= end)
    if kinds:
        query = query.where(MilestoneRow.kind.in_(list(kinds)))
    if source:
        query = query.where(MilestoneRow.source == source)
    with store.session() as s:
        return list(s.scalars(query))


def as_dict(row: MilestoneRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "source": row.source,
        "kind": row.kind,
        "title": row.title,
        "date": _iso(row.date),
        "end": _iso(row.end_date),
        "body": row.body,
        "group": row.group_name,
        "release": row.release,
        "status": row.status,
        "origin": row.origin,
        "metadata": row.meta,
        "updated_at": row.updated_at.isoformat(),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
