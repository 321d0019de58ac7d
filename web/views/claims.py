"""Claim maps: the list, the B.2 chart of one patent with its evidence, drift history, export, upload.

The maps are the YAML files in ``matcher.claims_dir`` (what ``sepwatch claims`` and the matcher
read); the store's ``claim_maps`` rows say which maps the matcher has seen. The chart is the same
model as the exported Table B.2 (:func:`matcher.tables.b2_tables` over
:func:`matcher.runner.pinned_evidence`), with the matcher's evidence per feature added.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from config import Settings
from crawlers.extract import RejectedInput
from crawlers.extract.decode import decode_text
from index import matches as records
from index.models import ClaimMapRow, Document, DriftRow, MatchRow, Version
from index.store import Store
from matcher import tables
from matcher.claimmap import MAX_FILE_BYTES, ClaimMap, ClaimMapError, load_dir, loads
from matcher.runner import pinned_evidence, sync_claim_maps
from web.views.common import aware, clause_anchor

log = logging.getLogger(__name__)

ExportFormat = Literal["xlsx", "docx"]
ExportLanguage = Literal["zh", "en", "zh+en"]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class ClaimMapsUnavailable(Exception):
    """No claims folder is configured."""


class NotFound(LookupError):
    """No claim map for that patent."""


class UploadRejected(Exception):
    """An uploaded claim map that is not stored; ``problems`` says why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- loading the maps --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedMaps:
    maps: tuple[ClaimMap, ...]
    errors: tuple[ClaimMapError, ...]


_cache: dict[str, tuple[tuple[tuple[str, int, int], ...], LoadedMaps]] = {}
_cache_lock = threading.Lock()


def claims_dir(settings: Settings) -> Path | None:
    return settings.matcher.claims_dir


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
            st = path.stat()
            found.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(found)


def load_maps(settings: Settings) -> LoadedMaps:
    """Every claim map in ``matcher.claims_dir`` (re-read only when a file changed)."""
    folder = claims_dir(settings)
    if folder is None or not folder.is_dir():
        return LoadedMaps((), ())
    stamp = _stamp(folder)
    key = str(folder)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    maps, errors = load_dir([folder])
    loaded = LoadedMaps(tuple(maps), tuple(errors))
    with _cache_lock:
        _cache[key] = (stamp, loaded)
    return loaded


def find_map(settings: Settings, patent: str) -> ClaimMap:
    for cm in load_maps(settings).maps:
        if cm.patent == patent:
            return cm
    raise NotFound(f"no claim map for {patent}")


# --- the list ------------------------------------------------------------------------------------


class ClaimMapSummary(BaseModel):
    patent: str
    title: str | None
    family: list[str]
    owners: list[str]
    standards: list[str]
    claims: int
    features: int
    file: str | None = Field(description="The file name in the claims folder.")
    in_store: bool = Field(
        description="The store holds this version of the map (as loaded by the matcher or saved here)."
    )
    updated_at: dt.datetime | None
    matches: int
    drift_events: int


class InvalidMap(BaseModel):
    file: str
    problems: list[str]


class ClaimMapList(BaseModel):
    folder_configured: bool
    maps: list[ClaimMapSummary]
    invalid: list[InvalidMap]


def _file_name(path: str | None, folder: Path | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if folder is not None:
        try:
            return str(p.relative_to(folder))
        except ValueError:
            pass
    return p.name


def claim_map_list(store: Store, settings: Settings) -> ClaimMapList:
    folder = claims_dir(settings)
    loaded = load_maps(settings)
    with store.session() as s:
        rows = {r.patent: r for r in s.scalars(select(ClaimMapRow))}
        match_counts = {
            str(p): int(n)
            for p, n in s.execute(select(MatchRow.patent, func.count()).group_by(MatchRow.patent))
        }
        drift_counts = {
            str(p): int(n)
            for p, n in s.execute(select(DriftRow.patent, func.count()).group_by(DriftRow.patent))
        }
    out: list[ClaimMapSummary] = []
    for cm in loaded.maps:
        row = rows.pop(cm.patent, None)
        out.append(
            ClaimMapSummary(
                patent=cm.patent,
                title=cm.title,
                family=list(cm.family),
                owners=list(cm.owners),
                standards=list(cm.targets()),
                claims=len(cm.claims),
                features=sum(len(c.features) for c in cm.claims),
                file=_file_name(cm.path, folder),
                in_store=row is not None and row.digest == cm.digest,
                updated_at=aware(row.updated_at) if row is not None else None,
                matches=match_counts.get(cm.patent, 0),
                drift_events=drift_counts.get(cm.patent, 0),
            )
        )
    for row in rows.values():  # maps the matcher read from elsewhere (a path given on the command line)
        content = row.content or {}
        out.append(
            ClaimMapSummary(
                patent=row.patent,
                title=content.get("title"),
                family=list(content.get("family") or []),
                owners=list(row.owners or []),
                standards=list(content.get("standards") or []),
                claims=int(content.get("claims") or 0),
                features=0,
                file=_file_name(row.path, folder),
                in_store=True,
                updated_at=aware(row.updated_at),
                matches=match_counts.get(row.patent, 0),
                drift_events=drift_counts.get(row.patent, 0),
            )
        )
    out.sort(key=lambda m: m.patent)
    invalid = [
        InvalidMap(
            file=_file_name(e.path, folder) or e.path,
            problems=[p.render(_file_name(e.path, folder) or e.path) for p in e.problems],
        )
        for e in loaded.errors
    ]
    return ClaimMapList(folder_configured=folder is not None, maps=out, invalid=invalid)


# --- the chart -----------------------------------------------------------------------------------


class ConclusionOut(BaseModel):
    corresponds: bool | None = Field(description="true, false, or null: to be confirmed.")
    mandatory: bool | None
    relation: Literal["direct", "indirect", "interpretation"] | None


class StandardTextOut(BaseModel):
    """A clause cited for a feature (Table B.2's middle column), pinned to a stored version."""

    reference: str = Field(description="Spec, version, clause and stored version id, as exported.")
    spec: str
    clause: str
    version: str | None
    document_id: int | None
    version_seq: int | None
    anchor: str
    text: str = Field(description="The quoted clause text of that version ('' when not stored).")
    relation: Literal["direct", "indirect", "interpretation"] | None
    mandatory: bool | None
    corresponds: bool | None
    note: str | None


class MatchedTextOut(BaseModel):
    """Evidence the matcher found for a feature in a stored document version."""

    match_id: int
    document_id: int
    number: str
    version_seq: int | None
    version_label: str | None
    section: str | None
    heading: str | None
    anchor: str | None
    quote: str | None
    normative: str | None
    score: float


class FeatureOut(BaseModel):
    id: str
    text: str
    auto: bool
    terms: list[str]
    alternatives: list[list[str]]
    standard_text: list[StandardTextOut]
    matched: list[MatchedTextOut]


class ClaimOut(BaseModel):
    number: int
    text: str
    parent: int | None
    split_flag: str | None
    features: list[FeatureOut]
    conclusion: ConclusionOut


class DriftOut(BaseModel):
    id: int
    claim: int
    feature: str
    spec: str
    clause: str
    kind: str = Field(description="spec-version (a new version changed the clause) or cr (a CR affects it).")
    document_id: int
    version_seq: int | None
    version_label: str | None
    previous_version_seq: int | None
    anchor: str
    diff: str
    still_reads: bool | None = Field(description="Whether the mapped evidence still reads word for word.")
    evidence: str | None
    created_at: dt.datetime | None


class ClaimChart(BaseModel):
    patent: str
    title: str | None
    family: list[str]
    owners: list[str]
    standards: list[str]
    file: str | None
    digest: str
    versions_cited: list[str]
    claims: list[ClaimOut]
    conclusion: ConclusionOut
    corresponding_claims: list[int]
    unquoted: list[str] = Field(description="Clauses cited without quoted text.")
    drift: list[DriftOut]


def _conclusion(c: tables.Conclusion) -> ConclusionOut:
    return ConclusionOut(corresponds=c.corresponds, mandatory=c.mandatory, relation=c.relation)


def claim_chart(store: Store, settings: Settings, patent: str) -> ClaimChart:
    cm = find_map(settings, patent)
    evidence = pinned_evidence(store, [cm])
    (table,) = tables.b2_tables([cm], evidence, per="patent")
    with store.session() as s:
        pinned_ids = {
            r.document_version_id for rows in evidence.values() for r in rows if r.document_version_id
        }
        pinned = {
            v.id: (v.document_id, v.seq) for v in s.scalars(select(Version).where(Version.id.in_(pinned_ids)))
        }
        latest: dict[tuple[int, int], MatchRow] = {}
        for m in s.scalars(select(MatchRow).where(MatchRow.patent == patent).order_by(MatchRow.id)):
            latest[(m.claim, m.document_id)] = m  # the latest reading of each claim on each document
        doc_ids = {m.document_id for m in latest.values()}
        numbers = {
            int(i): str(n)
            for i, n in s.execute(select(Document.id, Document.number).where(Document.id.in_(doc_ids)))
        }
        version_ids = {m.version_id for m in latest.values()}
        versions = {
            v.id: (v.seq, v.label) for v in s.scalars(select(Version).where(Version.id.in_(version_ids)))
        }
    matched: dict[tuple[int, str], list[MatchedTextOut]] = {}
    for m in sorted(latest.values(), key=lambda m: -m.score):
        seq, label = versions.get(m.version_id, (None, None))
        for e in m.evidence or []:
            if not e.get("covered"):
                continue
            key = str(e.get("section_key") or "")
            tail = key.rsplit(":", 1)[-1]
            normative = e.get("normative") or {}
            matched.setdefault((m.claim, str(e.get("feature"))), []).append(
                MatchedTextOut(
                    match_id=m.id,
                    document_id=m.document_id,
                    number=numbers.get(m.document_id, "?"),
                    version_seq=seq,
                    version_label=label,
                    section=e.get("section"),
                    heading=e.get("heading"),
                    anchor=clause_anchor(e.get("section"), int(tail)) if tail.isdigit() else None,
                    quote=e.get("quote"),
                    normative=normative.get("level") if isinstance(normative, dict) else None,
                    score=float(e.get("score") or 0.0),
                )
            )
    claims: list[ClaimOut] = []
    for b2 in table.claims:
        features: list[FeatureOut] = []
        by_feature: dict[str, list[tables.EvidenceRow]] = {}
        order: list[tables.B2Row] = []
        for row in b2.rows:
            if row.feature.id not in by_feature:
                order.append(row)
                by_feature[row.feature.id] = []
            if row.evidence is not None:
                by_feature[row.feature.id].append(row.evidence)
        for row in order:
            f = row.feature
            features.append(
                FeatureOut(
                    id=f.id,
                    text=f.text,
                    auto=f.auto,
                    terms=list(f.terms),
                    alternatives=[list(group) for group in f.alternatives],
                    standard_text=[_standard_text(e, pinned) for e in by_feature[f.id]],
                    matched=matched.get((b2.claim.number, f.id), []),
                )
            )
        claims.append(
            ClaimOut(
                number=b2.claim.number,
                text=b2.claim.text,
                parent=b2.claim.parent,
                split_flag=b2.claim.split_flag,
                features=features,
                conclusion=_conclusion(b2.conclusion),
            )
        )
    drift = drift_history(store, patent)
    return ClaimChart(
        patent=cm.patent,
        title=cm.title,
        family=list(cm.family),
        owners=list(cm.owners),
        standards=list(table.specs),
        file=_file_name(cm.path, claims_dir(settings)),
        digest=cm.digest,
        versions_cited=[f"{spec} V{version}" for spec, version in table.versions],
        claims=claims,
        conclusion=_conclusion(table.conclusion),
        corresponding_claims=list(table.corresponding_claims),
        unquoted=list(table.unquoted),
        drift=drift,
    )


def _standard_text(e: tables.EvidenceRow, pinned: dict[int, tuple[int, int]]) -> StandardTextOut:
    document_id, seq = pinned.get(e.document_version_id or 0, (None, None))
    return StandardTextOut(
        reference=tables.format_reference(e),
        spec=e.spec,
        clause=e.clause,
        version=e.version,
        document_id=document_id,
        version_seq=seq,
        anchor=clause_anchor(e.clause, 0),
        text=e.text,
        relation=e.relation,
        mandatory=e.mandatory,
        corresponds=e.corresponds,
        note=e.note,
    )


# --- export --------------------------------------------------------------------------------------

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def export(
    store: Store, settings: Settings, patent: str, fmt: ExportFormat, language: ExportLanguage
) -> tuple[bytes, str]:
    """The correspondence tables of one map as ``sepwatch claims export`` writes them: .xlsx with
    B.1 and every B.2, or .docx with B.2; returns the bytes and a file name."""
    cm = find_map(settings, patent)
    evidence = pinned_evidence(store, [cm])
    name = f"{_SAFE_NAME.sub('_', cm.patent)}-B2.{fmt}"
    with tempfile.TemporaryDirectory(prefix="sepwatch-export-") as folder:
        path = Path(folder) / name
        if fmt == "docx":
            tables.export_b2_docx([cm], evidence, path, language="zh" if language == "zh+en" else language)
        else:
            tables.export_tables_xlsx([cm], None, evidence, path, language=language)
        return path.read_bytes(), name


# --- upload --------------------------------------------------------------------------------------


def save_upload(
    store: Store,
    settings: Settings,
    data: bytes,
    filename: str,
    *,
    expected_patent: str | None = None,
    user: str | None = None,
) -> ClaimMap:
    """Validate an uploaded claim map and store it in the claims folder (replacing the file of the
    same patent); the store's record of the map is updated in step. Raises :class:`UploadRejected`
    with every problem, as ``sepwatch claims validate`` reports them."""
    folder = claims_dir(settings)
    if folder is None:
        raise ClaimMapsUnavailable("matcher.claims_dir is not set: there is no folder to keep claim maps in")
    name = Path(filename.replace("\\", "/")).name or "claim-map.yaml"
    if len(data) > MAX_FILE_BYTES:
        raise UploadRejected(
            [f"{name}: too large for a claim map: {len(data)} bytes (limit {MAX_FILE_BYTES})"]
        )
    if not data.strip():
        raise UploadRejected([f"{name}: empty file: no claim map in it"])
    try:
        text = decode_text(data)
    except RejectedInput as exc:
        raise UploadRejected([f"{name}: {exc.reason}"]) from None
    try:
        cm = loads(text, name)
    except ClaimMapError as exc:
        raise UploadRejected([p.render(name) for p in exc.problems]) from None
    if expected_patent is not None and cm.patent != expected_patent:
        raise UploadRejected([f"{name}: this map is for {cm.patent}, not {expected_patent}"])
    maps = load_maps(settings).maps
    existing = next((m for m in maps if m.patent == cm.patent), None)
    folder.mkdir(parents=True, exist_ok=True)
    if existing is not None and existing.path:
        target = Path(existing.path)
    else:
        # Different numbers can make the same file name ("EP1 B1", "EP1_B1"): never replace the
        # file of another patent's map.
        taken = {Path(m.path).resolve() for m in maps if m.path}
        stem = _SAFE_NAME.sub("_", cm.patent)
        target = folder / f"{stem}.yaml"
        n = 2
        while target.resolve() in taken:
            target = folder / f"{stem}-{n}.yaml"
            n += 1
    _atomic_write_text(target, text)
    stored = loads(text, str(target))
    sync_claim_maps(store, [stored])
    log.info(
        "claim map %s %s by %s (%s)", cm.patent, "replaced" if existing else "added", user or "?", target
    )
    return stored


def _atomic_write_text(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def drift_history(store: Store, patent: str) -> list[DriftOut]:
    """Every drift event of the patent's mapped clauses, newest first (also in :func:`claim_chart`)."""
    rows = records.drift_events(store, patent)
    with store.session() as s:
        ids = {d.version_id for d in rows} | {d.previous_version_id for d in rows if d.previous_version_id}
        versions = {v.id: (v.seq, v.label) for v in s.scalars(select(Version).where(Version.id.in_(ids)))}
    return [
        DriftOut(
            id=d.id,
            claim=d.claim,
            feature=d.feature,
            spec=d.spec,
            clause=d.clause,
            kind=d.kind,
            document_id=d.document_id,
            version_seq=versions.get(d.version_id, (None, None))[0],
            version_label=versions.get(d.version_id, (None, None))[1],
            previous_version_seq=versions.get(d.previous_version_id, (None, None))[0]
            if d.previous_version_id
            else None,
            anchor=clause_anchor(d.clause, 0),
            diff=d.diff,
            still_reads=d.still_reads,
            evidence=(d.details or {}).get("evidence"),
            created_at=aware(d.created_at),
        )
        for d in reversed(rows)
    ]
