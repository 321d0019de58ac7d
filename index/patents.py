"""Patents in the store of record: applications (merged over sources), status events, declarations.

Events are append-only and deduplicated by content, so crawling or importing the same office data
again stores nothing twice; their ids give alerts an order to consume them in. An application's
bibliographic data is merged: a value a source does not know (None, empty list) keeps what another
source said, lists (publications, applicants, sources, continuity) are unions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import select

from crawlers.items import Declaration, PatentEvent, PatentRecord
from index.db import dialect_insert
from index.models import DeclarationRow, Patent, PatentEventRow, utcnow
from index.store import Store

Outcome = Literal["new", "changed", "unchanged"]
_SCALARS = ("title", "filing_date", "priority_date", "grant_date", "status", "kind", "family")
_LISTS = ("applicants", "publications", "parents", "children")


def _union(old: Sequence[str], new: Iterable[str]) -> list[str]:
    out = list(old)
    for value in new:
        if value and value not in out:
            out.append(value)
    return out


def upsert_patent(store: Store, record: PatentRecord) -> Outcome:
    now = utcnow()
    with store.session(write=True) as s:
        row = s.scalar(select(Patent).where(Patent.application == record.application).with_for_update())
        if row is None:
            s.add(
                Patent(
                    application=record.application,
                    office=record.office,
                    title=record.title,
                    applicants=list(record.applicants),
                    filing_date=record.filing_date,
                    priority_date=record.priority_date,
                    publications=list(record.publications),
                    grant_date=record.grant_date,
                    status=record.status,
                    kind=record.kind,
                    family=record.family,
                    parents=list(record.parents),
                    children=list(record.children),
                    sources=[record.source],
                    meta=dict(record.metadata),
                    created_at=now,
                    updated_at=now,
                )
            )
            return "new"
        changed = False
        for key in _SCALARS:
            value = getattr(record, key)
            if value is not None and getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        for key in _LISTS:
            merged = _union(getattr(row, key), getattr(record, key))
            if merged != getattr(row, key):
                setattr(row, key, merged)
                changed = True
        sources = _union(row.sources, [record.source])
        meta = {**row.meta, **record.metadata}
        if sources != row.sources or meta != row.meta:
            row.sources, row.meta, changed = sources, meta, True
        if changed:
            row.updated_at = now
        return "changed" if changed else "unchanged"


# Metadata that tells apart events with the same code, date and text: the state a lapse concerns
# (seven PG25 lapses on one day), a step's typed texts, an office's document id.
_DISTINGUISHING = ("ref_country", "texts", "document_id", "dispatch_serial")


def event_key(event: PatentEvent) -> str:
    text = " ".join(event.text.split()).casefold()
    extra = json.dumps(
        {k: event.metadata[k] for k in _DISTINGUISHING if k in event.metadata}, sort_keys=True, default=str
    )
    date = event.date.isoformat() if event.date else ""
    raw = "\x1f".join([event.office, event.application, event.kind, event.code, date, text, extra])
    return hashlib.sha256(raw.encode()).hexdigest()


def add_events(store: Store, events: Sequence[PatentEvent], run_id: int | None = None) -> int:
    """Store the events not stored yet; returns how many were new."""
    if not events:
        return 0
    rows: dict[str, dict[str, Any]] = {}
    now = utcnow()
    if any(not e.application for e in events):
        events = [_attach(store, e) for e in events]
    for e in events:
        rows[event_key(e)] = {
            "dedupe_key": event_key(e),
            "application": e.application,
            "office": e.office,
            "code": e.code[:100],
            "date": e.date,
            "text": e.text,
            "kind": e.kind,
            "known": e.known,
            "publication": e.publication,
            "source": e.source,
            "origin": e.origin,
            "meta": e.metadata,
            "run_id": run_id,
            "created_at": now,
        }
    with store.session(write=True) as s:
        insert = dialect_insert(s)
        existing = set(
            s.scalars(select(PatentEventRow.dedupe_key).where(PatentEventRow.dedupe_key.in_(list(rows))))
        )
        new = [r for k, r in rows.items() if k not in existing]
        if new:
            s.execute(
                insert(PatentEventRow).values(new).on_conflict_do_nothing(index_elements=["dedupe_key"])
            )
        return len(new)


def _attach(store: Store, event: PatentEvent) -> PatentEvent:
    """An event that names only its publication (an EP register answer asked by publication) is
    attached to the application that has that publication; failing that, to the publication."""
    if event.application or not event.publication:
        return event
    publication = event.publication
    with store.session() as s:
        for row in s.scalars(select(Patent).where(Patent.office == event.office)):
            if any(p == publication or p.startswith(publication) for p in row.publications):
                event.application = row.application
                return event
    event.application = publication
    return event


def upsert_declaration(store: Store, d: Declaration) -> Outcome:
    values: dict[str, Any] = {
        "source": d.source,
        "declarant": d.declarant,
        "patents": list(d.patents),
        "specs": list(d.specs),
        "deliverables": list(d.deliverables),
        "family": d.family,
        "licensing": d.licensing,
        "date": d.date,
        "origin": d.origin,
        "meta": dict(d.metadata),
    }
    with store.session(write=True) as s:
        row = s.scalar(select(DeclarationRow).where(DeclarationRow.key == d.key).with_for_update())
        if row is None:
            s.add(DeclarationRow(key=d.key, updated_at=utcnow(), **values))
            return "new"
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        for k in changed:
            setattr(row, k, values[k])
        if changed:
            row.updated_at = utcnow()
        return "changed" if changed else "unchanged"


def patents(store: Store, applications: Sequence[str] | None = None) -> list[Patent]:
    query = select(Patent).order_by(Patent.office, Patent.application)
    if applications is not None:
        query = query.where(Patent.application.in_(list(applications)))
    with store.session() as s:
        return list(s.scalars(query))


def find_patents(store: Store, numbers: Sequence[str]) -> list[Patent]:
    """Applications matching any of ``numbers``: application or publication numbers."""
    wanted = set(numbers)
    # "EP3000000" (no kind code) names every publication of that number: EP3000000A1, …B1.
    bare = re.compile("|".join(re.escape(n) + r"[A-Z]\d?" for n in wanted)) if wanted else None
    with store.session() as s:
        rows = list(s.scalars(select(Patent)))
    return [
        p
        for p in rows
        if p.application in wanted
        or wanted.intersection(p.publications)
        or (bare is not None and any(bare.fullmatch(x) for x in p.publications))
    ]


def events(
    store: Store, applications: Sequence[str] | None = None, after_id: int = 0
) -> list[PatentEventRow]:
    query = select(PatentEventRow).where(PatentEventRow.id > after_id).order_by(PatentEventRow.id)
    if applications is not None:
        query = query.where(PatentEventRow.application.in_(list(applications)))
    with store.session() as s:
        return list(s.scalars(query))


def declarations(store: Store, *, spec: str | None = None, patent: str | None = None) -> list[DeclarationRow]:
    with store.session() as s:
        rows = list(s.scalars(select(DeclarationRow).order_by(DeclarationRow.key)))
    if spec:
        rows = [r for r in rows if any(spec in x for x in r.specs)]
    if patent:
        rows = [r for r in rows if patent in r.patents]
    return rows


def as_event(row: PatentEventRow) -> PatentEvent:
    return PatentEvent(
        source=row.source,
        office=row.office,
        application=row.application,
        code=row.code,
        date=row.date,
        text=row.text,
        kind=row.kind,
        known=row.known,
        publication=row.publication,
        origin=row.origin,
        metadata=dict(row.meta),
    )


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
