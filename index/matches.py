"""Matcher records in the store of record: claim maps, matches, drift events, change-log cursors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from index.models import (
    Change,
    ClaimMapRow,
    Cursor,
    Document,
    DriftRow,
    MatchRow,
    SectionRow,
    Source,
    Version,
    utcnow,
)
from index.store import Store


def save_claim_map(
    store: Store, patent: str, path: str | None, digest: str, owners: Sequence[str], content: dict[str, Any]
) -> bool:
    """Store the map as loaded; returns whether it is new or changed."""
    with store.session(write=True) as s:
        row = s.scalar(select(ClaimMapRow).where(ClaimMapRow.patent == patent))
        if row is None:
            s.add(
                ClaimMapRow(
                    patent=patent,
                    path=path,
                    digest=digest,
                    owners=list(owners),
                    content=content,
                    updated_at=utcnow(),
                )
            )
            return True
        if row.digest == digest and row.path == path:
            return False
        row.path, row.digest, row.owners, row.content, row.updated_at = (
            path,
            digest,
            list(owners),
            content,
            utcnow(),
        )
        return True


def cursor(store: Store, name: str) -> int:
    with store.session() as s:
        row = s.get(Cursor, name)
        return row.position if row else 0


def advance(store: Store, name: str, position: int) -> None:
    with store.session(write=True) as s:
        row = s.get(Cursor, name)
        if row is None:
            s.add(Cursor(name=name, position=position, updated_at=utcnow()))
        elif position > row.position:
            row.position, row.updated_at = position, utcnow()


def changes_after(store: Store, position: int, limit: int = 500) -> list[Change]:
    with store.session() as s:
        return list(s.scalars(select(Change).where(Change.id > position).order_by(Change.id).limit(limit)))


def version_context(store: Store, version_id: int) -> tuple[Version, Document, str, list[SectionRow]] | None:
    """A version with its document, source name and sections (document order)."""
    with store.session() as s:
        row = s.execute(
            select(Version, Document, Source.name)
            .join(Document, Document.id == Version.document_id)
            .join(Source, Source.id == Document.source_id)
            .where(Version.id == version_id)
        ).first()
        if row is None:
            return None
        sections = list(
            s.scalars(select(SectionRow).where(SectionRow.version_id == version_id).order_by(SectionRow.ord))
        )
        version, document, source = row
        return version, document, source, sections


def previous_version(store: Store, document_id: int, seq: int) -> Version | None:
    with store.session() as s:
        return s.scalar(
            select(Version)
            .where(Version.document_id == document_id, Version.seq < seq)
            .order_by(Version.seq.desc())
            .limit(1)
        )


def sections_of(store: Store, version_id: int) -> list[SectionRow]:
    with store.session() as s:
        return list(
            s.scalars(select(SectionRow).where(SectionRow.version_id == version_id).order_by(SectionRow.ord))
        )


def latest_spec_versions(store: Store, spec_number: str) -> list[Version]:
    """Versions of the document numbered ``spec_number`` (e.g. ``TS 38.331``), oldest first."""
    with store.session() as s:
        return list(
            s.scalars(
                select(Version)
                .join(Document, Document.id == Version.document_id)
                .where(Document.number == spec_number)
                .order_by(Version.seq)
            )
        )


def record_match(
    store: Store,
    *,
    patent: str,
    claim: int,
    document_id: int,
    version_id: int,
    score: float,
    covered: int,
    features: int,
    all_elements: bool,
    evidence: list[dict[str, Any]],
    digest: str,
) -> MatchRow | None:
    """Store the match unless the latest one of this claim on this document has the same evidence."""
    with store.session(write=True) as s:
        latest = s.scalar(
            select(MatchRow)
            .where(MatchRow.patent == patent, MatchRow.claim == claim, MatchRow.document_id == document_id)
            .order_by(MatchRow.id.desc())
            .limit(1)
        )
        if latest is not None and latest.evidence_digest == digest:
            return None
        row = MatchRow(
            patent=patent,
            claim=claim,
            document_id=document_id,
            version_id=version_id,
            score=score,
            covered=covered,
            features=features,
            all_elements=all_elements,
            evidence=evidence,
            evidence_digest=digest,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        s.expunge(row)
        return row


def record_drift(store: Store, key: str, **values: Any) -> DriftRow | None:
    with store.session(write=True) as s:
        if s.scalar(select(DriftRow.id).where(DriftRow.dedupe_key == key)) is not None:
            return None
        row = DriftRow(dedupe_key=key, created_at=utcnow(), **values)
        s.add(row)
        s.flush()
        s.expunge(row)
        return row


def matches(store: Store, patent: str | None = None, after_id: int = 0) -> list[MatchRow]:
    query = select(MatchRow).where(MatchRow.id > after_id).order_by(MatchRow.id)
    if patent:
        query = query.where(MatchRow.patent == patent)
    with store.session() as s:
        return list(s.scalars(query))


def drift_events(store: Store, patent: str | None = None, after_id: int = 0) -> list[DriftRow]:
    query = select(DriftRow).where(DriftRow.id > after_id).order_by(DriftRow.id)
    if patent:
        query = query.where(DriftRow.patent == patent)
    with store.session() as s:
        return list(s.scalars(query))


def iso(value: dt.datetime) -> str:
    return value.isoformat()
