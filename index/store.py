"""The store of record: documents, versions, sections, runs and the change log.

Every write that belongs together happens in one transaction: a new version, its sections, its
change-log entry and its index-queue row are committed together or not at all, so a crash at any
point leaves either the old state or the new one, and running the same input again completes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import DateTime, Engine, Table, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawlers.items import Section, StandardDocument
from index import migrate
from index.db import dialect_insert, make_engine
from index.faults import checkpoint
from index.models import Change, Document, IndexQueue, Run, SectionRow, Source, Version, utcnow
from index.search.base import IndexSection, IndexVersion

# Core table: sections go in with executemany, the ORM's bulk path costs several times more per row.
SECTIONS: Table = SectionRow.__table__  # type: ignore[assignment]

MAX_INGEST_ATTEMPTS = 3
# One index batch holds at most this many characters of section text (a 3GPP spec is ~5 MB).
INDEX_BATCH_CHARS = 20_000_000

Outcome = Literal["new_document", "new_version", "unchanged"]


@dataclass(slots=True)
class ClauseChanges:
    """Which sections differ from the previous version, by clause key (number, else heading)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "removed": self.removed, "modified": self.modified}


@dataclass(frozen=True, slots=True)
class QueueEntry:
    version_id: int
    enqueued_at: dt.datetime


@dataclass(slots=True)
class IngestResult:
    outcome: Outcome
    document_id: int
    version_id: int
    seq: int
    changes: ClauseChanges | None = None


class StoreError(Exception):
    """Base of the store's errors."""


class SchemaOutdated(StoreError):
    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(
            f"the store's schema is at revision {current or 'none'}, this sepwatch needs {head}; "
            "run `sepwatch init` or enable store.auto_migrate"
        )


def normalise_for_hash(text: str) -> str:
    """Whitespace-insensitive canonical form: reflowed or re-split text hashes the same."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(sections: Sequence[Section]) -> str:
    return _hashes(sections)[0]


def _hashes(sections: Sequence[Section]) -> tuple[str, list[str]]:
    """The version's content hash and each section's hash, normalising each text only once."""
    whole = hashlib.sha256()
    per_section: list[str] = []
    for s in sections:
        heading = normalise_for_hash(s.heading) if s.heading else ""
        text = normalise_for_hash(s.text).encode()
        per_section.append(hashlib.sha256(heading.encode() + b"\n" + text).hexdigest())
        if s.number:
            whole.update(normalise_for_hash(s.number).encode() + b" ")
        if heading:
            whole.update(heading.encode() + b" ")
        if text:
            whole.update(text + b" ")
    return whole.hexdigest(), per_section


def _clause_key(number: str | None, heading: str | None, ord_: int) -> str:
    return number or heading or f"#{ord_ + 1}"


class Store:
    """Access to the store of record; one instance per process, sessions per unit of work."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        if auto_migrate:
            migrate.upgrade(self.engine)
        else:
            current, head = migrate.current_revision(self.engine), migrate.head_revision(self.engine)
            if current != head:
                raise SchemaOutdated(current, head)
        self._source_ids: dict[str, int] = {}

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success; ``write`` takes the write lock first.

        On SQLite, a writer that starts with BEGIN IMMEDIATE waits for the lock (busy timeout)
        instead of failing when another process commits between its read and its write.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(sepwatch_write=write)
            with conn.begin(), Session(bind=conn, expire_on_commit=False) as session:
                yield session
                session.flush()

    # --- sources and runs --------------------------------------------------------------------

    def source_id(self, session: Session, name: str) -> int:
        if name in self._source_ids:
            return self._source_ids[name]
        insert_ = dialect_insert(session)
        session.execute(
            insert_(Source)
            .values(name=name, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        sid = session.scalars(select(Source.id).where(Source.name == name)).one()
        self._source_ids[name] = sid
        return sid

    def start_run(self, kind: str, source: str | None, args: dict[str, Any]) -> int:
        with self.session(write=True) as s:
            run = Run(
                kind=kind,
                source=source,
                status="running",
                pid=os.getpid(),
                host=socket.gethostname(),
                args=args,
                counts={},
                errors=[],
            )
            s.add(run)
            s.flush()
            return run.id

    def finish_run(
        self, run_id: int, status: str, counts: dict[str, int], errors: list[dict[str, str]]
    ) -> None:
        with self.session(write=True) as s:
            s.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status=status, counts=counts, errors=errors, finished_at=utcnow())
            )

    def mark_interrupted_runs(self) -> list[Run]:
        """Runs left ``running`` by a process that is gone: mark them ``interrupted`` and return them.

        A run counts as gone when it was started on this host by a pid that no longer exists; runs
        of other hosts are left alone (they may share a PostgreSQL store with us).
        """
        host = socket.gethostname()
        with self.session(write=True) as s:
            runs = list(s.scalars(select(Run).where(Run.status == "running", Run.host == host)))
            gone = [r for r in runs if r.pid is None or (r.pid != os.getpid() and not pid_alive(r.pid))]
            for r in gone:
                r.status = "interrupted"
                r.finished_at = utcnow()
            return gone

    def register_daemon(self) -> tuple[int | None, list[Run]]:
        """Record this process as the daemon of the store: ``(run id, daemons of other hosts)``.

        When a live daemon of this host is recorded already, nothing is written: ``(None, [it])``.
        Daemons of other hosts cannot be checked from here and are returned for a warning.
        """
        host = socket.gethostname()
        with self.session(write=True) as s:
            others = list(s.scalars(select(Run).where(Run.kind == "daemon", Run.status == "running")))
            here = [
                r for r in others if r.host == host and r.pid not in (None, os.getpid()) and pid_alive(r.pid)
            ]
            if here:
                return None, here
            run = Run(
                kind="daemon",
                source=None,
                status="running",
                pid=os.getpid(),
                host=host,
                args={},
                counts={},
                errors=[],
            )
            s.add(run)
            s.flush()
            return run.id, [r for r in others if r.host != host]

    def end_child_runs(
        self,
        pid: int,
        started_after: dt.datetime,
        source: str,
        status: str,
        reason: str,
        *,
        also_failed: bool = False,
    ) -> list[int]:
        """Close the crawl runs that child process ``pid`` of this host started after ``started_after``.

        Runs it left ``running`` (killed, out of memory) get ``status`` and ``reason``; with
        ``also_failed``, runs it finished as ``failed`` do too (a crawl stopped by the daemon records
        only that it was stopped, the daemon knows why). A child that died before it opened its run
        gets one, so that its failure is in the ledger. Returns the ids changed or added.
        """
        host = socket.gethostname()
        with self.session(write=True) as s:
            runs = list(
                s.scalars(
                    select(Run).where(
                        Run.pid == pid,
                        Run.host == host,
                        Run.kind == "crawl",
                        Run.started_at >= started_after,
                    )
                )
            )
            error = {"url": source, "reason": reason}
            if not runs:
                run = Run(
                    kind="crawl",
                    source=source,
                    status=status,
                    pid=pid,
                    host=host,
                    args={},
                    counts={},
                    errors=[error],
                    finished_at=utcnow(),
                )
                s.add(run)
                s.flush()
                return [run.id]
            states = ("running", "failed") if also_failed else ("running",)
            changed = [r for r in runs if r.status in states]
            for r in changed:
                r.status = status
                r.finished_at = r.finished_at or utcnow()
                r.errors = [*(r.errors or []), error]
            return [r.id for r in changed]

    def latest_run_status(self, kind: str, sources: Sequence[str]) -> dict[str, str]:
        """The status of the latest run of ``kind`` per source, for the sources that have one."""
        latest = (
            select(Run.source, func.max(Run.id).label("id"))
            .where(Run.kind == kind, Run.source.in_(list(sources)))
            .group_by(Run.source)
            .subquery()
        )
        with self.session() as s:
            rows = s.execute(select(Run.source, Run.status).join(latest, Run.id == latest.c.id))
            return {str(source): str(status) for source, status in rows}

    def recent_runs(self, limit: int = 10) -> list[Run]:
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))

    def source_health(self, names: Sequence[str], failures_for_unhealthy: int) -> list[dict[str, Any]]:
        """Per source: its last run, when it last succeeded, and how many runs failed in a row.

        A source is unhealthy when its last ``failures_for_unhealthy`` runs all failed, or when it
        has failed without a success for 24 hours.
        """
        out = []
        now = utcnow()
        with self.session() as s:
            for name in names:
                runs = list(
                    s.scalars(
                        select(Run)
                        .where(Run.kind == "crawl", Run.source == name, Run.status != "running")
                        .order_by(Run.id.desc())
                        .limit(max(failures_for_unhealthy, 50))
                    )
                )
                streak = 0
                for r in runs:
                    if r.status == "succeeded":
                        break
                    streak += 1
                last_ok = next((r for r in runs if r.status == "succeeded"), None)
                first_failure = runs[streak - 1] if streak else None
                failing_for = (
                    now - _aware(first_failure.started_at) if first_failure is not None else dt.timedelta(0)
                )
                state = "never run" if not runs else "healthy"
                if runs and runs[0].status == "not configured":
                    state, streak = "not configured", 0
                if streak and (streak >= failures_for_unhealthy or failing_for >= dt.timedelta(hours=24)):
                    state = "unhealthy"
                elif streak:
                    state = "failing"
                last = runs[0] if runs else None
                out.append(
                    {
                        "source": name,
                        "state": state,
                        "consecutive_failures": streak,
                        "last_run": _iso(last.started_at) if last else None,
                        "last_status": last.status if last else None,
                        "last_success": _iso(last_ok.finished_at) if last_ok else None,
                        "last_error": (last.errors[0]["reason"] if last and last.errors else None),
                    }
                )
        return out

    # --- documents -----------------------------------------------------------------------------

    def ingest(self, doc: StandardDocument, run_id: int | None = None) -> IngestResult:
        """Store ``doc``: a new document, a new version of it, or nothing when its text is unchanged.

        "Unchanged" means equal to the document's latest version; text that returns to an earlier
        wording is a new version. Idempotent, and safe against concurrent writers: the document
        row is locked (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE)
        before its next version number is taken.
        """
        for attempt in range(MAX_INGEST_ATTEMPTS):
            try:
                return self._ingest(doc, run_id)
            except IntegrityError:
                # A concurrent writer created the same source between our read and write.
                self._source_ids.clear()
                if attempt == MAX_INGEST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _ingest(self, doc: StandardDocument, run_id: int | None) -> IngestResult:
        digest, hashes = _hashes(doc.sections)
        now = utcnow()
        with self.session(write=True) as s:
            document = self._locked_document(s, self.source_id(s, doc.source), doc, now)
            previous = s.scalar(
                select(Version)
                .where(Version.document_id == document.id)
                .order_by(Version.seq.desc())
                .limit(1)
            )
            meta = {**(previous.meta if previous is not None else {}), **doc.metadata}
            # Text that is stored is never replaced by a listing's stand-in for it.
            keeps_text = previous is not None and doc.partial and not previous.partial
            if previous is not None and (previous.content_hash == digest or keeps_text):
                if self._update_metadata(document, doc, meta) | _refresh_version(previous, doc, meta):
                    document.updated_at = now
                    _enqueue(s, previous.id, now)
                return IngestResult("unchanged", document.id, previous.id, previous.seq)
            outcome: Outcome = "new_document" if previous is None else "new_version"
            self._update_metadata(document, doc, meta)
            document.version_count += 1
            document.updated_at = now
            version = Version(
                document_id=document.id,
                seq=document.version_count,
                label=doc.version_label,
                content_hash=digest,
                partial=doc.partial,
                title=_known(doc.title, previous.title if previous else None),
                release=_known(doc.release, previous.release if previous else None),
                doc_date=_known(doc.date, previous.doc_date if previous else None),
                origin=doc.origin,
                meta=meta,
                section_count=len(doc.sections),
                char_count=sum(len(x.text) for x in doc.sections),
                run_id=run_id,
                created_at=now,
            )
            s.add(version)
            s.flush()
            if doc.sections:
                s.connection().execute(
                    insert(SECTIONS),
                    [
                        {
                            "version_id": version.id,
                            "ord": i,
                            "number": x.number,
                            "heading": x.heading,
                            "text": x.text,
                            "text_hash": h,
                        }
                        for i, (x, h) in enumerate(zip(doc.sections, hashes, strict=True))
                    ],
                )
            clause_changes = None
            details: dict[str, Any] = {"seq": version.seq, "sections": len(doc.sections)}
            if previous is not None:
                clause_changes = self._diff(s, previous.id, doc.sections, hashes)
                details.update(previous_version_id=previous.id, clauses=clause_changes.as_dict())
            s.add(
                Change(
                    kind="document_added" if outcome == "new_document" else "version_added",
                    document_id=document.id,
                    version_id=version.id,
                    run_id=run_id,
                    details=details,
                    at=now,
                )
            )
            _enqueue(s, version.id, now)
            s.flush()
            checkpoint("store-before-commit")
            return IngestResult(outcome, document.id, version.id, version.seq, clause_changes)

    def _locked_document(
        self, s: Session, source_id: int, doc: StandardDocument, now: dt.datetime
    ) -> Document:
        """The document row for ``doc``, created if absent, locked until the transaction ends."""
        insert_ = dialect_insert(s)
        s.execute(
            insert_(Document)
            .values(
                source_id=source_id,
                number=doc.number,
                kind=doc.kind,
                meta={},
                version_count=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["source_id", "number"])
        )
        return s.scalars(
            select(Document)
            .where(Document.source_id == source_id, Document.number == doc.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()

    @staticmethod
    def _update_metadata(document: Document, doc: StandardDocument, meta: dict[str, Any]) -> bool:
        """Current metadata follows the latest crawl; returns whether anything changed.

        Several sources describe one document (a TDoc list row, the TDoc's own file, an agenda
        page), so a value one of them does not know (None) keeps what another one said.
        """
        values = {
            "kind": doc.kind if not doc.partial or not document.kind else document.kind,
            "title": doc.title,
            "body": doc.body,
            "group_name": doc.group,
            "meeting": doc.meeting,
            "spec": doc.spec,
            "meta": meta,
        }
        changed = False
        for key, value in values.items():
            if value is None:
                continue
            if getattr(document, key, None) != value:
                setattr(document, key, value)
                changed = True
        return changed

    @staticmethod
    def _diff(s: Session, previous_id: int, sections: Sequence[Section], hashes: list[str]) -> ClauseChanges:
        old = {
            _clause_key(n, h, o): th
            for o, n, h, th in s.execute(
                select(SectionRow.ord, SectionRow.number, SectionRow.heading, SectionRow.text_hash).where(
                    SectionRow.version_id == previous_id
                )
            )
        }
        new = {
            _clause_key(x.number, x.heading, i): h
            for i, (x, h) in enumerate(zip(sections, hashes, strict=True))
        }
        return ClauseChanges(
            added=[k for k in new if k not in old],
            removed=[k for k in old if k not in new],
            modified=[k for k in new if k in old and old[k] != new[k]],
        )

    # --- reading -------------------------------------------------------------------------------

    def pending_index(self, limit: int, max_chars: int = INDEX_BATCH_CHARS) -> list[QueueEntry]:
        """The next queued versions, at most ``limit`` of them and about ``max_chars`` of text."""
        with self.session() as s:
            rows = s.execute(
                select(IndexQueue.version_id, IndexQueue.enqueued_at, Version.char_count)
                .join(Version, Version.id == IndexQueue.version_id)
                .order_by(IndexQueue.version_id)
                .limit(limit)
            ).all()
        batch: list[QueueEntry] = []
        chars = 0
        for version_id, enqueued_at, char_count in rows:
            if batch and chars + char_count > max_chars:
                break
            batch.append(QueueEntry(version_id, enqueued_at))
            chars += char_count
        return batch

    def pending_index_count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(IndexQueue)) or 0

    def index_done(self, entries: Sequence[QueueEntry]) -> None:
        """Remove queue entries the index now has, unless they were queued again meanwhile."""
        if not entries:
            return
        with self.session(write=True) as s:
            s.connection().execute(
                delete(IndexQueue).where(
                    IndexQueue.version_id == bindparam("vid"), IndexQueue.enqueued_at == bindparam("at")
                ),
                [{"vid": e.version_id, "at": e.enqueued_at} for e in entries],
            )

    def index_failed(self, version_ids: Sequence[int], error: str) -> None:
        with self.session(write=True) as s:
            s.execute(
                update(IndexQueue)
                .where(IndexQueue.version_id.in_(version_ids))
                .values(attempts=IndexQueue.attempts + 1, last_error=error[:2000])
            )

    def index_versions(self, version_ids: Sequence[int]) -> list[IndexVersion]:
        """The versions as the search index needs them (facets from document and version)."""
        if not version_ids:
            return []
        with self.session() as s:
            rows = s.execute(
                select(Version, Document, Source.name)
                .join(Document, Document.id == Version.document_id)
                .join(Source, Source.id == Document.source_id)
                .where(Version.id.in_(version_ids))
            ).all()
            sections: dict[int, list[IndexSection]] = {v.id: [] for v, _, _ in rows}
            for vid, ord_, number, heading, text in s.execute(
                select(
                    SectionRow.version_id,
                    SectionRow.ord,
                    SectionRow.number,
                    SectionRow.heading,
                    SectionRow.text,
                )
                .where(SectionRow.version_id.in_(version_ids))
                .order_by(SectionRow.version_id, SectionRow.ord)
            ):
                sections[vid].append(IndexSection(ord_, number, heading, text))
            return [
                IndexVersion(
                    version_id=v.id,
                    document_id=d.id,
                    seq=v.seq,
                    source=source,
                    number=d.number,
                    kind=d.kind,
                    title=v.title or d.title,
                    body=d.body,
                    group=d.group_name,
                    meeting=d.meeting,
                    release=v.release,
                    spec=d.spec,
                    date=v.doc_date,
                    label=v.label,
                    sections=sections[v.id],
                )
                for v, d, source in rows
            ]

    def all_version_ids(self, batch: int = 1000) -> Iterator[list[int]]:
        last = 0
        while True:
            with self.session() as s:
                ids = list(
                    s.scalars(select(Version.id).where(Version.id > last).order_by(Version.id).limit(batch))
                )
            if not ids:
                return
            yield ids
            last = ids[-1]

    def enqueue_all(self) -> dt.datetime:
        """Queue every version for indexing (the start of a rebuild); returns the queue time."""
        now = utcnow()
        with self.session(write=True) as s:
            s.execute(delete(IndexQueue))
            s.execute(
                insert(IndexQueue).from_select(
                    ["version_id", "enqueued_at", "attempts"],
                    select(Version.id, literal(now, DateTime(timezone=True)), literal(0)),
                )
            )
        return now

    def index_done_queued_at(self, queued_at: dt.datetime) -> None:
        """Remove the queue entries of one :meth:`enqueue_all`, leaving any queued since."""
        with self.session(write=True) as s:
            s.execute(delete(IndexQueue).where(IndexQueue.enqueued_at == queued_at))

    def export_versions(self, source: str | None = None) -> Iterator[dict[str, Any]]:
        """Every version with its document's metadata and its sections, oldest first, streamed."""
        for ids in self.all_version_ids(batch=200):
            with self.session() as s:
                query = (
                    select(Version, Document, Source.name)
                    .join(Document, Document.id == Version.document_id)
                    .join(Source, Source.id == Document.source_id)
                    .where(Version.id.in_(ids))
                    .order_by(Version.id)
                )
                if source:
                    query = query.where(Source.name == source)
                rows = s.execute(query).all()
                secs: dict[int, list[dict[str, Any]]] = {v.id: [] for v, _, _ in rows}
                for vid, number, heading, text in s.execute(
                    select(SectionRow.version_id, SectionRow.number, SectionRow.heading, SectionRow.text)
                    .where(SectionRow.version_id.in_(list(secs)))
                    .order_by(SectionRow.version_id, SectionRow.ord)
                ):
                    secs[vid].append({"number": number, "heading": heading, "text": text})
                for v, d, src in rows:
                    yield {
                        "source": src,
                        "number": d.number,
                        "kind": d.kind,
                        "document_id": d.id,
                        "version_id": v.id,
                        "version": v.seq,
                        "label": v.label,
                        "title": v.title,
                        "body": d.body,
                        "group": d.group_name,
                        "meeting": d.meeting,
                        "release": v.release,
                        "spec": d.spec,
                        "date": v.doc_date.isoformat() if v.doc_date else None,
                        "origin": v.origin,
                        "content_hash": v.content_hash,
                        "partial": v.partial,
                        "created_at": _iso(v.created_at),
                        "metadata": v.meta,
                        "sections": secs[v.id],
                    }

    def counts(self) -> dict[str, int]:
        with self.session() as s:
            return {
                name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (
                    ("sources", Source),
                    ("documents", Document),
                    ("versions", Version),
                    ("sections", SectionRow),
                    ("changes", Change),
                    ("index_pending", IndexQueue),
                )
            }

    def changes_since(self, after_id: int = 0, limit: int = 1000) -> list[Change]:
        with self.session() as s:
            return list(
                s.scalars(select(Change).where(Change.id > after_id).order_by(Change.id).limit(limit))
            )


def _enqueue(s: Session, version_id: int, now: dt.datetime) -> None:
    """Queue a version for the search index; re-queueing moves its time, so that a drain that
    read the older entry does not remove the newer one (see :meth:`Store.index_done`)."""
    entry = s.get(IndexQueue, version_id)
    if entry is None:
        s.add(IndexQueue(version_id=version_id, attempts=0, enqueued_at=now))
    else:
        entry.enqueued_at = now


def _known(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _refresh_version(version: Version, doc: StandardDocument, meta: dict[str, Any]) -> bool:
    """A metadata-only change (title, release, date…) updates the latest version in place."""
    changed = False
    for key, value in (
        ("title", doc.title),
        ("release", doc.release),
        ("doc_date", doc.date),
        ("label", doc.version_label),
        ("meta", meta),
    ):
        if value is None:
            continue
        if getattr(version, key) != value:
            setattr(version, key, value)
            changed = True
    return changed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (dead, not yet reaped by whoever inherited it) has finished all it will do.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
