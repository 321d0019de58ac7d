"""A document: metadata, versions, sections of one version, its clause diff, revision links, matches."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawlers.ietf.names import split_draft_name
from index.models import Document, MatchRow, SectionRow, Source, Version
from index.store import Store
from matcher.diff import clause_diff
from web.views.common import aware, clause_anchor, safe_url, scalar_text

SECTIONS_PER_PAGE = 200
CLAUSES_PER_DIFF_PAGE = 100

# Metadata keys that name other documents: (key, relation shown).
_LINK_KEYS = (
    ("is_revision_of", "is_revision_of"),
    ("revised_to", "revised_to"),
    ("replaces", "replaces"),
    ("replaced_by", "replaced_by"),
    ("rfc", "became_rfc"),
    ("draft", "from_draft"),
    ("obsoletes", "obsoletes"),
    ("obsoleted_by", "obsoleted_by"),
    ("updates", "updates"),
    ("updated_by", "updated_by"),
)
# Metadata shown elsewhere on the page, or too bulky to list.
_HIDDEN_META = frozenset({"tdoc_list", "history", *(k for k, _ in _LINK_KEYS)})


class NotFound(LookupError):
    """No such document or version."""


class VersionOut(BaseModel):
    version_id: int
    seq: int
    label: str | None
    title: str | None
    release: str | None
    date: dt.date | None
    stored_at: dt.datetime | None
    partial: bool = Field(description="A listing's stand-in text until the document itself is fetched.")
    section_count: int
    char_count: int
    origin: str | None
    origin_url: str | None = Field(description="``origin`` when it is an http(s) link, else null.")


class SectionOut(BaseModel):
    ord: int
    number: str | None
    heading: str | None
    anchor: str
    text: str


class TocEntry(BaseModel):
    ord: int
    number: str | None
    heading: str | None
    anchor: str
    page: int


class MetaItem(BaseModel):
    key: str
    value: str
    url: str | None = None


class RevisionLink(BaseModel):
    relation: str
    number: str
    document_id: int | None = Field(description="The stored document of that number, if any.")


class EvidenceOut(BaseModel):
    feature: str
    covered: bool
    score: float
    section: str | None
    heading: str | None
    ord: int | None = Field(description="Position of the section in its version.")
    anchor: str | None
    quote: str | None
    normative: str | None = Field(
        description="mandatory | recommended | optional, from the clause's wording."
    )
    normative_word: str | None


class MatchOut(BaseModel):
    match_id: int
    patent: str
    claim: int
    document_id: int
    version_id: int
    score: float
    covered: int
    features: int
    all_elements: bool
    created_at: dt.datetime | None
    evidence: list[EvidenceOut]


class DocumentSummary(BaseModel):
    document_id: int
    source: str
    number: str
    kind: str
    title: str | None
    body: str | None
    group: str | None
    meeting: str | None
    spec: str | None
    version_count: int
    updated_at: dt.datetime | None


class DocumentPage(BaseModel):
    document: DocumentSummary
    metadata: list[MetaItem]
    versions: list[VersionOut]
    version: VersionOut
    previous_seq: int | None
    links: list[RevisionLink]
    matches: list[MatchOut]
    toc: list[TocEntry]
    sections: list[SectionOut]
    section_page: int
    section_pages: int


class DiffOp(BaseModel):
    op: Literal["equal", "insert", "delete", "replace"]
    old: str
    new: str


class ClauseDiffOut(BaseModel):
    key: str
    anchor: str
    change: Literal["added", "removed", "modified"]
    old_heading: str | None
    new_heading: str | None
    ratio: float = Field(description="Token similarity of the texts, 1.0 when equal.")
    ops: list[DiffOp] = Field(
        description="The texts in order: equal runs, insertions, deletions and replacements; Chinese "
        "is compared character by character, other text word by word."
    )


class DiffPage(BaseModel):
    document: DocumentSummary
    version: VersionOut
    previous: VersionOut | None
    added: int
    removed: int
    modified: int
    clauses: list[ClauseDiffOut]
    page: int
    pages: int


# --- reading -----------------------------------------------------------------------------------


def _summary(document: Document, source: str) -> DocumentSummary:
    return DocumentSummary(
        document_id=document.id,
        source=source,
        number=document.number,
        kind=document.kind,
        title=document.title,
        body=document.body,
        group=document.group_name,
        meeting=document.meeting,
        spec=document.spec,
        version_count=document.version_count,
        updated_at=aware(document.updated_at),
    )


def _version(v: Version) -> VersionOut:
    return VersionOut(
        version_id=v.id,
        seq=v.seq,
        label=v.label,
        title=v.title,
        release=v.release,
        date=v.doc_date,
        stored_at=aware(v.created_at),
        partial=v.partial,
        section_count=v.section_count,
        char_count=v.char_count,
        origin=v.origin,
        origin_url=safe_url(v.origin),
    )


def _load(s: Session, document_id: int) -> tuple[Document, str, list[Version]]:
    row = s.execute(
        select(Document, Source.name)
        .join(Source, Source.id == Document.source_id)
        .where(Document.id == document_id)
    ).first()
    if row is None:
        raise NotFound(f"no document {document_id}")
    versions = list(
        s.scalars(select(Version).where(Version.document_id == document_id).order_by(Version.seq))
    )
    if not versions:
        raise NotFound(f"document {document_id} has no stored version")
    return row[0], row[1], versions


def _pick(versions: Sequence[Version], seq: int | None, version_id: int | None = None) -> Version:
    if version_id is not None:
        for v in versions:
            if v.id == version_id:
                return v
        raise NotFound(f"no version id {version_id} of this document")
    if seq is None:
        return versions[-1]
    for v in versions:
        if v.seq == seq:
            return v
    raise NotFound(f"no version {seq}")


def _metadata(meta: dict[str, Any]) -> list[MetaItem]:
    items = []
    for key, value in meta.items():
        if key in _HIDDEN_META or value in (None, "", [], {}):
            continue
        items.append(MetaItem(key=str(key), value=scalar_text(value), url=safe_url(value)))
    return items


def _link_numbers(meta: dict[str, Any], spec: str | None, number: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, relation in _LINK_KEYS:
        value = meta.get(key)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or not item.strip():
                continue
            target = item.strip()
            if key == "draft":
                target = split_draft_name(target)[0]
            found.append((relation, target))
    if spec and spec != number:
        found.append(("spec", spec))
    return found


def _links(s: Session, meta: dict[str, Any], spec: str | None, number: str) -> list[RevisionLink]:
    wanted = _link_numbers(meta, spec, number)
    if not wanted:
        return []
    ids: dict[str, int] = {}
    for doc_id, doc_number in s.execute(
        select(Document.id, Document.number)
        .where(Document.number.in_({n for _, n in wanted}))
        .order_by(Document.id)
    ):
        ids.setdefault(doc_number, doc_id)
    return [RevisionLink(relation=r, number=n, document_id=ids.get(n)) for r, n in wanted]


def match_out(m: MatchRow, anchors: dict[str, str] | None = None) -> MatchOut:
    evidence = []
    for e in m.evidence or []:
        normative = e.get("normative") or {}
        section = e.get("section")
        key = str(e.get("section_key") or "")
        ord_ = int(key.rsplit(":", 1)[1]) if key.count(":") == 1 and key.rsplit(":", 1)[1].isdigit() else None
        anchor = (anchors or {}).get(key) or (clause_anchor(section, ord_) if ord_ is not None else None)
        evidence.append(
            EvidenceOut(
                feature=str(e.get("feature", "")),
                covered=bool(e.get("covered")),
                score=float(e.get("score") or 0.0),
                section=section,
                heading=e.get("heading"),
                ord=ord_,
                anchor=anchor,
                quote=e.get("quote"),
                normative=normative.get("level") if isinstance(normative, dict) else None,
                normative_word=normative.get("word") if isinstance(normative, dict) else None,
            )
        )
    return MatchOut(
        match_id=m.id,
        patent=m.patent,
        claim=m.claim,
        document_id=m.document_id,
        version_id=m.version_id,
        score=round(m.score, 4),
        covered=m.covered,
        features=m.features,
        all_elements=m.all_elements,
        created_at=aware(m.created_at),
        evidence=evidence,
    )


def document_page(
    store: Store,
    document_id: int,
    seq: int | None = None,
    page: int | None = None,
    at: int | None = None,
    version_id: int | None = None,
) -> DocumentPage:
    """The document with version ``seq`` or ``version_id`` (default the latest); sections come a
    page at a time (``page``, or the page holding section ``at``), the table of contents lists
    them all."""
    with store.session() as s:
        document, source, versions = _load(s, document_id)
        version = _pick(versions, seq, version_id)
        heads = s.execute(
            select(SectionRow.ord, SectionRow.number, SectionRow.heading)
            .where(SectionRow.version_id == version.id)
            .order_by(SectionRow.ord)
        ).all()
        pages = max(1, math.ceil(len(heads) / SECTIONS_PER_PAGE))
        if at is not None:
            index = next((i for i, h in enumerate(heads) if h.ord == at), 0)
            page = index // SECTIONS_PER_PAGE + 1
        page = max(1, min(page or 1, pages))
        toc = _toc(heads)
        first = (page - 1) * SECTIONS_PER_PAGE
        shown = heads[first : first + SECTIONS_PER_PAGE]
        sections: list[SectionOut] = []
        if shown:
            anchor_of = {t.ord: t.anchor for t in toc}
            for row in s.scalars(
                select(SectionRow)
                .where(
                    SectionRow.version_id == version.id,
                    SectionRow.ord >= shown[0].ord,
                    SectionRow.ord <= shown[-1].ord,
                )
                .order_by(SectionRow.ord)
            ):
                sections.append(
                    SectionOut(
                        ord=row.ord,
                        number=row.number,
                        heading=row.heading,
                        anchor=anchor_of[row.ord],
                        text=row.text,
                    )
                )
        anchors = {f"{version.id}:{t.ord}": t.anchor for t in toc}
        matches = [
            match_out(m, anchors)
            for m in s.scalars(
                select(MatchRow)
                .where(MatchRow.version_id == version.id)
                .order_by(MatchRow.score.desc(), MatchRow.id)
            )
        ]
        previous = [v for v in versions if v.seq < version.seq]
        return DocumentPage(
            document=_summary(document, source),
            metadata=_metadata(version.meta or document.meta or {}),
            versions=[_version(v) for v in reversed(versions)],
            version=_version(version),
            previous_seq=previous[-1].seq if previous else None,
            links=_links(s, document.meta or {}, document.spec, document.number),
            matches=matches,
            toc=toc,
            sections=sections,
            section_page=page,
            section_pages=pages,
        )


def _toc(heads: Sequence[Any]) -> list[TocEntry]:
    """Every section's anchor: its clause number, made unique (``c-5.1``, ``c-5.1-2``…)."""
    used: set[str] = set()
    toc = []
    for index, h in enumerate(heads):
        anchor = clause_anchor(h.number, h.ord)
        if anchor in used:
            anchor = f"{anchor}-{h.ord}"
        used.add(anchor)
        toc.append(
            TocEntry(
                ord=h.ord,
                number=h.number,
                heading=h.heading,
                anchor=anchor,
                page=index // SECTIONS_PER_PAGE + 1,
            )
        )
    return toc


def section_count(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(SectionRow)) or 0


# --- diff ----------------------------------------------------------------------------------------


def _clause_key(number: str | None, heading: str | None, ord_: int) -> str:
    """The key the store compares versions by (number, else heading, else position)."""
    return number or heading or f"#{ord_ + 1}"


def _keyed(rows: Sequence[SectionRow]) -> dict[str, SectionRow]:
    keyed: dict[str, SectionRow] = {}
    for row in rows:
        key = _clause_key(row.number, row.heading, row.ord)
        n = 2
        base = key
        while key in keyed:  # a repeated heading keeps every occurrence
            key = f"{base} ({n})"
            n += 1
        keyed[key] = row
    return keyed


def diff_page(store: Store, document_id: int, seq: int | None = None, page: int = 1) -> DiffPage:
    """The clauses of version ``seq`` (default the latest) that differ from the version before it."""
    with store.session() as s:
        document, source, versions = _load(s, document_id)
        version = _pick(versions, seq)
        earlier = [v for v in versions if v.seq < version.seq]
        previous = earlier[-1] if earlier else None

        def rows(version_id: int) -> list[SectionRow]:
            return list(
                s.scalars(
                    select(SectionRow).where(SectionRow.version_id == version_id).order_by(SectionRow.ord)
                )
            )

        new = _keyed(rows(version.id))
        old = _keyed(rows(previous.id)) if previous is not None else {}
    if previous is None:
        changed: list[tuple[str, str]] = []
    else:
        changed = _ordered_changes(old, new)
    pages = max(1, math.ceil(len(changed) / CLAUSES_PER_DIFF_PAGE))
    page = max(1, min(page, pages))
    first = (page - 1) * CLAUSES_PER_DIFF_PAGE
    clauses = [
        _clause_out(key, kind, old.get(key), new.get(key))
        for key, kind in changed[first : first + CLAUSES_PER_DIFF_PAGE]
    ]
    counts = {kind: sum(1 for _, k in changed if k == kind) for kind in ("added", "removed", "modified")}
    return DiffPage(
        document=_summary(document, source),
        version=_version(version),
        previous=_version(previous) if previous is not None else None,
        added=counts["added"],
        removed=counts["removed"],
        modified=counts["modified"],
        clauses=clauses,
        page=page,
        pages=pages,
    )


def _ordered_changes(old: dict[str, SectionRow], new: dict[str, SectionRow]) -> list[tuple[str, str]]:
    """Changed clauses in the new version's order; a removed clause comes after the clause that
    preceded it in the old version."""
    removed_after: dict[str | None, list[str]] = {}
    last_kept: str | None = None
    for key in old:
        if key in new:
            last_kept = key
        else:
            removed_after.setdefault(last_kept, []).append(key)
    out: list[tuple[str, str]] = [(k, "removed") for k in removed_after.get(None, [])]
    for key, row in new.items():
        before = old.get(key)
        if before is None:
            out.append((key, "added"))
        elif before.text_hash != row.text_hash:
            out.append((key, "modified"))
        out.extend((k, "removed") for k in removed_after.get(key, []))
    return out


def _clause_out(key: str, kind: str, old: SectionRow | None, new: SectionRow | None) -> ClauseDiffOut:
    shown = new or old
    assert shown is not None
    if kind == "added":
        ops = [DiffOp(op="insert", old="", new=new.text if new else "")]
        ratio = 0.0
    elif kind == "removed":
        ops = [DiffOp(op="delete", old=old.text if old else "", new="")]
        ratio = 0.0
    else:
        ops, ratio = text_ops(old.text if old else "", new.text if new else "")
    return ClauseDiffOut(
        key=key,
        anchor=clause_anchor(shown.number, shown.ord),
        change=kind,
        old_heading=old.heading if old else None,
        new_heading=new.heading if new else None,
        ratio=ratio,
        ops=ops,
    )


LARGE_CLAUSE_CHARS = 60_000
"""Past this, a clause (an ASN.1 module of TS 38.331 runs to a megabyte) is first compared line by
line and only changed line blocks token by token: difflib is quadratic in the worst case."""


def text_ops(old: str, new: str) -> tuple[list[DiffOp], float]:
    """Token-level operations from old to new text with the spacing of the texts kept, and the
    similarity ratio."""
    if len(old) + len(new) <= LARGE_CLAUSE_CHARS:
        diff = clause_diff(old, new)
        return _with_gaps(diff.ops, old, new), round(diff.ratio, 4)
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            ops.append(DiffOp(op="equal", old=a, new=b))
        elif tag == "replace" and len(a) + len(b) <= LARGE_CLAUSE_CHARS:
            ops.extend(_with_gaps(clause_diff(a, b).ops, a, b))
        else:
            if a:
                ops.append(DiffOp(op="delete", old=a, new=""))
            if b:
                ops.append(DiffOp(op="insert", old="", new=b))
    return ops, round(matcher.ratio(), 4)


def _with_gaps(ops: Sequence[tuple[str, str, str]], old: str, new: str) -> list[DiffOp]:
    """``clause_diff`` slices run from a first token to a last one: give each slice back the
    spacing that preceded it in its own text, so that the pieces read as the text did."""
    out: list[DiffOp] = []
    old_at = new_at = 0
    for tag, a, b in ops:
        a_gap = b_gap = ""
        if a:
            found = old.find(a, old_at)
            if found >= 0:
                a_gap, old_at = old[old_at:found], found + len(a)
        if b:
            found = new.find(b, new_at)
            if found >= 0:
                b_gap, new_at = new[new_at:found], found + len(b)
        out.append(
            DiffOp(
                op=tag,
                old=a_gap + a if a else "",
                new=b_gap + b if b else "",
            )
        )
    return out
