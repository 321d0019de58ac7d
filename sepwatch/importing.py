"""``sepwatch import``: local files through the same pipeline as crawled ones.

Each file is read, given to the importer its kind calls for, and every item it yields is stored
(new document, new version, or unchanged) in a transaction of its own. A file that is refused is
reported with its reason and the batch goes on. The search index is brought up to date in
batches and at the end; whatever a crash leaves unindexed is indexed by the next run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError

from crawlers.extract import RejectedInput
from crawlers.importers import ImportContext, choose
from crawlers.items import StandardDocument
from index.faults import checkpoint
from index.ingest import store_item
from index.store import IngestResult
from sepwatch.app import App

log = logging.getLogger(__name__)

Status = Literal["imported", "unchanged", "rejected"]
SNIFF_BYTES = 4096
# Far above any real document (a 3GPP spec has a few thousand clauses); the index needs a bound.
MAX_SECTIONS = 100_000


@dataclass(slots=True)
class FileReport:
    path: Path
    status: Status
    detail: str
    results: list[IngestResult] = field(default_factory=list)
    new_sections: int = 0

    def line(self) -> str:
        return f"{self.status}: {self.path}: {self.detail}"


@dataclass(slots=True)
class ImportSummary:
    run_id: int
    reports: list[FileReport]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.reports if r.status == status)

    @property
    def ok(self) -> bool:
        return self.count("rejected") == 0


def expand(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """Files to import with their document number: the file's absolute path.

    The absolute path keeps two ``notes.txt`` in different folders apart, and gives a file the
    same identity whichever folder above it was named on the command line. Folders are walked
    recursively in sorted order; hidden files and folders are skipped.
    """
    for root in paths:
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        path = Path(dirpath) / name
                        yield path, path.resolve().as_posix()
        else:
            yield root, root.resolve().as_posix()


def import_paths(
    app: App,
    paths: Sequence[Path],
    *,
    source: str = "local",
    on_report: Callable[[FileReport], None] | None = None,
) -> ImportSummary:
    files = list(expand(paths))
    for run in app.store.mark_interrupted_runs():
        log.warning(
            "run %d (%s, pid %s) was interrupted; its work is completed by this one",
            run.id,
            run.kind,
            run.pid,
        )
    run_id = app.store.start_run("import", source, {"paths": [str(p) for p in paths], "files": len(files)})
    app.indexer.drain()  # what an earlier, interrupted run stored but did not index
    reports: list[FileReport] = []
    unindexed_sections = 0
    batch = app.settings.imports.index_batch_sections
    try:
        for path, number in files:
            report = import_file(app, path, number, source, run_id)
            reports.append(report)
            if on_report:
                on_report(report)
            unindexed_sections += report.new_sections
            if unindexed_sections >= batch:
                app.indexer.drain()
                unindexed_sections = 0
        app.indexer.drain()
    except BaseException:
        app.store.finish_run(run_id, "failed", _counts(reports), _errors(reports))
        raise
    app.store.finish_run(run_id, "succeeded", _counts(reports), _errors(reports))
    return ImportSummary(run_id, reports)


def import_file(app: App, path: Path, number: str, source: str, run_id: int) -> FileReport:
    """Import one file; never raises for a bad file, only reports it."""
    try:
        data = _read(path, app.settings.imports.max_file_mb)
        importer = choose(path.name, data[:SNIFF_BYTES])
        ctx = ImportContext(
            source=source,
            number=number,
            origin=str(path.resolve()),
            pdf_max_pages=app.settings.imports.pdf_max_pages,
        )
        items = list(importer.parse(data, ctx))
        if not items:
            raise RejectedInput("no documents found in the file")
        for item in items:
            if not isinstance(item, StandardDocument):
                continue
            if not item.sections:
                raise RejectedInput(f"{item.number}: no text found")
            if len(item.sections) > MAX_SECTIONS:
                raise RejectedInput(
                    f"{len(item.sections)} sections, the most one document may have is {MAX_SECTIONS}"
                )
        problems = importer.problems
    except RejectedInput as exc:
        return FileReport(path, "rejected", exc.reason)
    except Exception as exc:  # a bug in an importer must not stop the batch either
        log.exception("importing %s failed", path)
        return FileReport(
            path, "rejected", f"internal error while reading the file: {type(exc).__name__}: {exc}"
        )
    documents = [i for i in items if isinstance(i, StandardDocument)]
    results: list[IngestResult] = []
    tally: dict[str, int] = {}
    try:
        for item in items:
            key, result = store_item(app.store, item, run_id)
            if result is not None:
                results.append(result)
            else:
                tally[key] = tally.get(key, 0) + 1
            checkpoint("after-store-commit")
    except SQLAlchemyError as exc:
        # The store refused this file (or is down): report it, keep what was stored, go on.
        log.exception("storing %s failed", path)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return FileReport(path, "rejected", f"could not be stored: {reason}", results)
    new_sections = sum(
        len(i.sections) for i, r in zip(documents, results, strict=True) if r.outcome != "unchanged"
    )
    if not documents:
        changed = any(not k.endswith("unchanged") for k in tally)
        detail = f"{importer.kind}, " + ", ".join(
            f"{v} {k.replace('_', ' ')}" for k, v in sorted(tally.items())
        )
        if problems:
            detail += f"; {len(problems)} rows skipped: " + "; ".join(problems[:5])
        return FileReport(path, "imported" if changed else "unchanged", detail, results, 0)
    return FileReport(
        path, _status(results), _describe(importer.kind, documents, results), results, new_sections
    )


def _read(path: Path, max_mb: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_mb * 1024 * 1024:
            raise RejectedInput(
                f"too large: {size / 1048576:.1f} MiB, the limit is {max_mb} MiB (import.max_file_mb)"
            )
        with path.open("rb") as f:
            data = f.read(max_mb * 1024 * 1024 + 1)
    except FileNotFoundError:
        raise RejectedInput("no such file") from None
    except IsADirectoryError:
        raise RejectedInput("is a directory") from None
    except PermissionError:
        raise RejectedInput("permission denied") from None
    except OSError as exc:
        raise RejectedInput(f"cannot read: {exc.strerror or exc}") from None
    if not data:
        raise RejectedInput("empty file")
    return data


def _status(results: list[IngestResult]) -> Status:
    return "unchanged" if all(r.outcome == "unchanged" for r in results) else "imported"


def _describe(kind: str, items: list[StandardDocument], results: list[IngestResult]) -> str:
    if len(items) == 1:
        item, r = items[0], results[0]
        what = {
            "new_document": "new document",
            "new_version": f"new version {r.seq}",
            "unchanged": "unchanged",
        }
        text = f"{kind}, {item.source}:{item.number}, {what[r.outcome]}, {len(item.sections)} sections"
        if r.changes:
            c = r.changes
            text += f" ({len(c.added)} added, {len(c.modified)} changed, {len(c.removed)} removed)"
        return text
    tally = {
        o: sum(1 for r in results if r.outcome == o) for o in ("new_document", "new_version", "unchanged")
    }
    return (
        f"{kind}, {len(items)} documents: {tally['new_document']} new, "
        f"{tally['new_version']} new versions, {tally['unchanged']} unchanged"
    )


def _counts(reports: list[FileReport]) -> dict[str, int]:
    counts = {"files": len(reports), "imported": 0, "unchanged": 0, "rejected": 0}
    for r in reports:
        counts[r.status] += 1
    return counts


def _errors(reports: list[FileReport]) -> list[dict[str, str]]:
    return [{"file": str(r.path), "reason": r.detail} for r in reports if r.status == "rejected"]
