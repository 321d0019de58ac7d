"""The matcher at work: claim maps × new document versions (matches), mapped clauses × new spec
versions and CRs (drift), and a claim × the whole corpus (``sepwatch match --claims``).

New versions come from the change log, read from a cursor (``matcher``) that only moves once a
batch is stored, so a crash repeats work and never skips it; matches and drift events are
deduplicated (unchanged evidence is not a new match), so repeating is harmless.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from config import Settings
from crawlers.threegpp.build import spec_label
from crawlers.threegpp.versions import spec_number
from index import matches as records
from index.models import Document, SectionRow, Version
from index.store import Store
from matcher.claimmap import Claim, ClaimMap
from matcher.diff import clause_diff, evidence_still_reads
from matcher.score import (
    ClaimMatch,
    CorpusIndex,
    FeatureQuery,
    SectionIndex,
    SectionText,
    evidence_digest,
    match_claim,
    rank_documents,
)

log = logging.getLogger(__name__)
CURSOR = "matcher"
# CRs that change the text: agreed in the working group, approved at the plenary.
CR_STATUSES = frozenset({"agreed", "approved"})


@dataclass(slots=True)
class MatchReport:
    versions: int = 0
    matches: list[int] = field(default_factory=list)  # ids of new match rows
    drift: list[int] = field(default_factory=list)  # ids of new drift events
    skipped_partial: int = 0


def queries(claim: Claim) -> list[FeatureQuery]:
    return [FeatureQuery(f.id, f.text, tuple(f.terms)) for f in claim.features]


def section_texts(version_id: int, sections: Sequence[SectionRow]) -> list[SectionText]:
    return [SectionText(f"{version_id}:{s.ord}", s.number, s.heading, s.text) for s in sections]


def evidence_json(match: ClaimMatch, sections: dict[str, SectionRow] | None = None) -> list[dict[str, Any]]:
    out = []
    for f in match.features:
        best = f.evidence[0] if f.evidence else None
        out.append(
            {
                "feature": f.feature_id,
                "covered": f.covered,
                "score": round(best.score, 4) if best else 0.0,
                "section": best.number if best else None,
                "heading": best.heading if best else None,
                "section_key": best.section_key if best else None,
                "quote": best.quote if best else None,
                "matched_terms": list(best.matched_terms) if best else [],
                "normative": (
                    {"level": best.normative.level, "word": best.normative.word}
                    if best and best.normative
                    else None
                ),
            }
        )
    return out


def sync_claim_maps(store: Store, maps: Sequence[ClaimMap]) -> int:
    changed = 0
    for cm in maps:
        content = {
            "title": cm.title,
            "family": list(cm.family),
            "standards": list(cm.standards),
            "claims": len(cm.claims),
        }
        changed += records.save_claim_map(store, cm.patent, cm.path, cm.digest, cm.owners, content)
    return changed


def process_new(
    store: Store, settings: Settings, maps: Sequence[ClaimMap], *, batch: int = 200
) -> MatchReport:
    """Match every version added to the change log since the last run; record drift."""
    report = MatchReport()
    sync_claim_maps(store, maps)
    position = records.cursor(store, CURSOR)
    while True:
        changes = records.changes_after(store, position, batch)
        if not changes:
            break
        for change in changes:
            if change.version_id is None or change.kind not in ("document_added", "version_added"):
                continue
            context = records.version_context(store, change.version_id)
            if context is None:
                continue
            version, document, _source, sections = context
            if version.partial:
                report.skipped_partial += 1  # a listing's stand-in: matched once the text arrives
                continue
            report.versions += 1
            report.matches.extend(match_version(store, settings, maps, version, document, sections))
            if change.kind == "version_added":
                report.drift.extend(spec_drift(store, maps, version, document, sections, change.details))
        position = changes[-1].id
        records.advance(store, CURSOR, position)
    report.drift.extend(cr_drift(store, maps))
    return report


def match_version(
    store: Store,
    settings: Settings,
    maps: Sequence[ClaimMap],
    version: Version,
    document: Document,
    sections: Sequence[SectionRow],
) -> list[int]:
    if not sections or not maps:
        return []
    index = SectionIndex.build(section_texts(version.id, sections))
    new: list[int] = []
    for cm in maps:
        for claim in cm.claims:
            features = queries(claim)
            if not features:
                continue
            m = match_claim(features, index)
            if m.covered_count / len(features) < settings.matcher.min_covered:
                continue
            row = records.record_match(
                store,
                patent=cm.patent,
                claim=claim.number,
                document_id=document.id,
                version_id=version.id,
                score=m.score,
                covered=m.covered_count,
                features=len(features),
                all_elements=m.all_elements,
                evidence=evidence_json(m),
                digest=evidence_digest(m),
            )
            if row is not None:
                new.append(row.id)
    return new


def _mapped(maps: Sequence[ClaimMap], spec: str) -> Iterator[tuple[ClaimMap, Claim, Any, Any]]:
    """(map, claim, feature, maps_to) for every mapping onto ``spec`` (any spelling of the number)."""
    wanted = spec_number(spec)
    for cm in maps:
        for claim in cm.claims:
            for feature in claim.features:
                for mapping in feature.maps_to:
                    if wanted and spec_number(mapping.spec) == wanted:
                        yield cm, claim, feature, mapping


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def spec_drift(
    store: Store,
    maps: Sequence[ClaimMap],
    version: Version,
    document: Document,
    sections: Sequence[SectionRow],
    details: dict[str, Any],
) -> list[int]:
    """A new version of a spec whose mapped clauses were modified or removed."""
    if document.kind != "spec" or not document.number:
        return []
    clauses = details.get("clauses") or {}
    touched = set(clauses.get("modified", [])) | set(clauses.get("removed", []))
    if not touched:
        return []
    previous_id = details.get("previous_version_id")
    old_sections = {s.number: s for s in records.sections_of(store, previous_id)} if previous_id else {}
    new_sections = {s.number: s for s in sections}
    out: list[int] = []
    for cm, claim, feature, mapping in _mapped(maps, document.number):
        if mapping.clause not in touched:
            continue
        old = old_sections.get(mapping.clause)
        new = new_sections.get(mapping.clause)
        old_text = old.text if old else ""
        new_text = new.text if new else ""
        diff = clause_diff(old_text, new_text)
        quote = ""
        if old is not None:
            best = SectionIndex.build([SectionText("old", old.number, old.heading, old.text)]).best(
                FeatureQuery(feature.id, feature.text, tuple(feature.terms)), 1
            )
            quote = best[0].quote if best else ""
        row = records.record_drift(
            store,
            _key(cm.patent, claim.number, feature.id, mapping.clause, version.id),
            patent=cm.patent,
            claim=claim.number,
            feature=feature.id,
            spec=document.number,
            clause=mapping.clause,
            kind="spec-version",
            document_id=document.id,
            version_id=version.id,
            previous_version_id=previous_id,
            diff=diff.unified if new is not None else f"clause {mapping.clause} removed",
            still_reads=evidence_still_reads(quote, new_text) if new is not None else False,
            details={
                "version": version.label,
                "mapped_version": mapping.version,
                "removed": new is None,
                "ratio": round(diff.ratio, 4),
                "evidence": quote,
            },
        )
        if row is not None:
            out.append(row.id)
    return out


def cr_drift(store: Store, maps: Sequence[ClaimMap]) -> list[int]:
    """Agreed or approved CRs whose clauses affected include a mapped clause of their spec."""
    specs = {spec_number(m.spec) for cm in maps for c in cm.claims for f in c.features for m in f.maps_to}
    specs.discard(None)
    if not specs:
        return []
    out: list[int] = []
    with store.session() as s:
        rows = list(
            s.execute(
                select(Document, Version)
                .join(Version, Version.document_id == Document.id)
                .where(Document.kind == "tdoc", Document.spec.is_not(None))
                .where(Version.seq == Document.version_count)
            )
        )
    for document, version in rows:
        spec = spec_number(document.spec or "")
        meta = document.meta or {}
        status = str(meta.get("status") or "").lower()
        if spec not in specs or status not in CR_STATUSES:
            continue
        affected = _clauses(str(meta.get("clauses_affected") or ""))
        for cm, claim, feature, mapping in _mapped(maps, document.spec or ""):
            if mapping.clause not in affected:
                continue
            cr_text = next(
                (x.text for x in records.sections_of(store, version.id) if x.number == mapping.clause), ""
            )
            row = records.record_drift(
                store,
                _key(cm.patent, claim.number, feature.id, mapping.clause, "cr", document.id, status),
                patent=cm.patent,
                claim=claim.number,
                feature=feature.id,
                spec=document.spec or "",
                clause=mapping.clause,
                kind="cr",
                document_id=document.id,
                version_id=version.id,
                previous_version_id=None,
                diff=cr_text or f"CR {document.number} affects clause {mapping.clause}",
                still_reads=None,
                details={
                    "tdoc": document.number,
                    "status": status,
                    "cr": meta.get("cr"),
                    "title": document.title,
                    "clauses_affected": meta.get("clauses_affected"),
                },
            )
            if row is not None:
                out.append(row.id)
    return out


def _clauses(text: str) -> set[str]:
    """``"5.41, 5.3.5.1 and 6.2"`` → the clause numbers named (a range's ends included)."""
    import re

    return set(re.findall(r"\b(?:[A-Z]\.)?\d+(?:\.\d+)*\b", text))


def corpus_search(store: Store, maps: Sequence[ClaimMap], top: int) -> list[dict[str, Any]]:
    """Every claim against every document's latest full version: the best ``top`` documents each."""
    documents: dict[str, list[SectionText]] = {}
    labels: dict[str, dict[str, Any]] = {}
    with store.session() as s:
        query = (
            select(Version, Document)
            .join(Document, Document.id == Version.document_id)
            .where(Version.seq == Document.version_count, Version.partial.is_(False))
        )
        versions = list(s.execute(query))
        ids = [v.id for v, _ in versions]
        secs: dict[int, list[SectionRow]] = {}
        for start in range(0, len(ids), 500):
            for row in s.scalars(
                select(SectionRow).where(SectionRow.version_id.in_(ids[start : start + 500]))
            ):
                secs.setdefault(row.version_id, []).append(row)
    for version, document in versions:
        key = f"{document.id}"
        rows = sorted(secs.get(version.id, []), key=lambda r: r.ord)
        documents[key] = section_texts(version.id, rows)
        labels[key] = {
            "number": document.number,
            "title": document.title,
            "kind": document.kind,
            "version": version.seq,
            "label": version.label,
            "version_id": version.id,
        }
    if not documents:
        return []
    corpus = CorpusIndex.build(documents)
    out = []
    for cm in maps:
        for claim in cm.claims:
            features = queries(claim)
            ranked = rank_documents(features, corpus, limit=top) if features else []
            out.append(
                {
                    "patent": cm.patent,
                    "claim": claim.number,
                    "features": [f.id for f in claim.features],
                    "split_flag": claim.split_flag,
                    "documents": [
                        {
                            **labels[key],
                            "score": round(m.score, 4),
                            "covered": m.covered_count,
                            "all_elements": m.all_elements,
                            "evidence": evidence_json(m),
                        }
                        for key, m in ranked
                    ],
                }
            )
    return out


def pinned_evidence(store: Store, maps: Sequence[ClaimMap]) -> dict[tuple[str, int, str], list[Any]]:
    """For every ``maps_to``, the clause text of the spec version it names (or the latest stored
    version when it names none or that one is not stored), pinned to that version's id."""
    from matcher.tables import EvidenceRow

    out: dict[tuple[str, int, str], list[Any]] = {}
    cache: dict[str, list[Version]] = {}
    clauses: dict[int, dict[str, str]] = {}
    for cm in maps:
        for claim in cm.claims:
            for feature in claim.features:
                rows = []
                for mapping in feature.maps_to:
                    number = spec_number(mapping.spec)
                    version = None
                    text = ""
                    if number:
                        label = spec_label(number)
                        versions = cache.setdefault(label, records.latest_spec_versions(store, label))
                        named = [v for v in versions if mapping.version and v.label == mapping.version]
                        version = named[-1] if named else (versions[-1] if versions else None)
                    if version is not None:
                        if version.id not in clauses:
                            # First text of each clause number, loaded once per version (specs are MBs).
                            by_number: dict[str, str] = {}
                            for s in records.sections_of(store, version.id):
                                if s.number is not None:
                                    by_number.setdefault(s.number, s.text)
                            clauses[version.id] = by_number
                        text = clauses[version.id].get(mapping.clause, "")
                    rows.append(
                        EvidenceRow(
                            spec=mapping.spec,
                            clause=mapping.clause,
                            version=(version.label if version is not None else mapping.version),
                            document_version_id=version.id if version is not None else None,
                            text=text,
                            relation=mapping.relation,
                            mandatory=mapping.mandatory,
                            note=mapping.note,
                        )
                    )
                if rows:
                    out[(cm.patent, claim.number, feature.id)] = rows
    return out
