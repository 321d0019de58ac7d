"""Embedded search backend: SQLite FTS5 in a file of its own beside the store.

Layout of the index file:
- ``ver``: one row per indexed version with its facets and whether it is its document's latest;
- ``sec``: the original text of every section (for snippets and for FTS5 deletes);
- ``fts``: a contentless FTS5 table over the analysed heading and text (see ``analysis``).
The FTS rowid of a section is ``version_id << 20 | ord``, so hits group by version with no join.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from index.search.analysis import ANALYSIS_VERSION, ParsedQuery, index_text, parse_query, snippet, to_fts5
from index.search.base import (
    FACET_FIELDS,
    DocumentHit,
    IndexUnavailable,
    IndexVersion,
    QueryError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SectionHit,
)

ORD_BITS = 20
MAX_SECTIONS = 1 << ORD_BITS  # per version; 3GPP specs have a few thousand clauses
HEADING_WEIGHT, TEXT_WEIGHT = 3.0, 1.0
_COLUMNS = {
    "source": "source",
    "kind": "kind",
    "body": "body",
    "group": "grp",
    "meeting": "meeting",
    "release": "release",
    "spec": "spec",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ver (
    version_id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    is_latest INTEGER NOT NULL DEFAULT 1, source TEXT NOT NULL, number TEXT NOT NULL, kind TEXT NOT NULL,
    title TEXT, body TEXT, grp TEXT, meeting TEXT, release TEXT, spec TEXT, date TEXT, label TEXT,
    sections INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ver_document ON ver (document_id, seq);
CREATE INDEX IF NOT EXISTS ver_latest ON ver (is_latest, version_id);
CREATE TABLE IF NOT EXISTS sec (
    id INTEGER PRIMARY KEY, number TEXT, heading TEXT, text TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    heading, body, content='', tokenize='porter unicode61 remove_diacritics 2'
);
"""


class SqliteFtsIndex(SearchIndex):
    name: ClassVar[str] = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            return  # an existing index opens without writing, so a running rebuild never blocks it
        with self._tx() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if db.execute("SELECT count(*) FROM meta").fetchone()[0] == 0:
                db.execute("INSERT INTO meta VALUES ('analysis_version', ?)", (ANALYSIS_VERSION,))
                # The ``rank`` column: BM25 with headings weighing more than body text.
                db.execute(
                    f"INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25({HEADING_WEIGHT}, {TEXT_WEIGHT})')"
                )

    # --- connection ------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_s)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA cache_size=-65536")
                db.execute("PRAGMA temp_store=MEMORY")
            except sqlite3.Error as exc:
                raise IndexUnavailable(f"search index {self.path}: {exc}") from exc
            self._local.db = db
        return db

    def _tx(self) -> _Transaction:
        return _Transaction(self._db(), self.path)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- writing -----------------------------------------------------------------------------

    def add(self, versions: Sequence[IndexVersion]) -> None:
        if versions:
            with self._tx() as db:
                self._add(db, versions)

    def replace_all(self, batches: Iterable[Sequence[IndexVersion]]) -> int:
        """Clear and refill in one transaction: searches see the old index until the new one is whole."""
        count = 0
        with self._tx() as db:
            self._clear(db)
            for versions in batches:
                self._add(db, versions)
                count += len(versions)
        return count

    def _add(self, db: sqlite3.Connection, versions: Sequence[IndexVersion]) -> None:
        if not versions:
            return
        self._delete(db, [v.version_id for v in versions])
        db.executemany(
            "INSERT INTO ver VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    v.version_id, v.document_id, v.seq, v.source, v.number, v.kind, v.title, v.body,
                    v.group, v.meeting, v.release, v.spec, v.date.isoformat() if v.date else None,
                    v.label, len(v.sections),
                )
                for v in versions
            ],
        )  # fmt: skip
        sec_rows = [
            ((v.version_id << ORD_BITS) | s.ord, s.number, s.heading, s.text)
            for v in versions
            for s in v.sections
            if s.ord < MAX_SECTIONS
        ]
        db.executemany("INSERT INTO sec VALUES (?,?,?,?)", sec_rows)
        db.executemany(
            "INSERT INTO fts (rowid, heading, body) VALUES (?,?,?)",
            [
                (rowid, _heading(number, heading), index_text(text))
                for rowid, number, heading, text in sec_rows
            ],
        )
        self._update_latest(db, {v.document_id for v in versions})

    def remove(self, version_ids: Sequence[int]) -> None:
        with self._tx() as db:
            docs = self._delete(db, version_ids)
            self._update_latest(db, docs)

    def _delete(self, db: sqlite3.Connection, version_ids: Sequence[int]) -> set[int]:
        docs: set[int] = set()
        for vid in version_ids:
            row = db.execute("SELECT document_id FROM ver WHERE version_id = ?", (vid,)).fetchone()
            if row is None:
                continue
            docs.add(row[0])
            lo, hi = vid << ORD_BITS, ((vid + 1) << ORD_BITS) - 1
            rows = db.execute("SELECT id, number, heading, text FROM sec WHERE id BETWEEN ? AND ?", (lo, hi))
            # A contentless FTS5 table forgets a row only when told the exact values it indexed.
            db.executemany(
                "INSERT INTO fts (fts, rowid, heading, body) VALUES ('delete', ?, ?, ?)",
                [(rid, _heading(num, head), index_text(text)) for rid, num, head, text in rows.fetchall()],
            )
            db.execute("DELETE FROM sec WHERE id BETWEEN ? AND ?", (lo, hi))
            db.execute("DELETE FROM ver WHERE version_id = ?", (vid,))
        return docs

    @staticmethod
    def _update_latest(db: sqlite3.Connection, document_ids: Iterable[int]) -> None:
        db.executemany(
            "UPDATE ver SET is_latest = (seq = (SELECT max(seq) FROM ver v2 WHERE v2.document_id = ?)) "
            "WHERE document_id = ?",
            [(d, d) for d in document_ids],
        )

    def clear(self) -> None:
        with self._tx() as db:
            self._clear(db)

    @staticmethod
    def _clear(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM ver")
        db.execute("DELETE FROM sec")
        db.execute("INSERT INTO fts (fts) VALUES ('delete-all')")
        db.execute("UPDATE meta SET value = ? WHERE key = 'analysis_version'", (ANALYSIS_VERSION,))

    def optimize(self) -> None:
        """Merge the index segments into one (after a rebuild): fewer segments, faster queries."""
        with self._tx() as db:
            db.execute("INSERT INTO fts (fts) VALUES ('optimize')")

    def needs_rebuild(self) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = 'analysis_version'").fetchone()
        if row and row[0] != ANALYSIS_VERSION:
            return f"built with text analysis v{row[0]}, this sepwatch uses v{ANALYSIS_VERSION}"
        return None

    def counts(self) -> dict[str, int]:
        db = self._db()
        documents, versions = db.execute("SELECT count(DISTINCT document_id), count(*) FROM ver").fetchone()
        sections = db.execute("SELECT count(*) FROM sec").fetchone()[0]
        return {"documents": documents, "versions": versions, "sections": sections}

    # --- searching ---------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.text)
        if parsed.is_empty() and query.text.strip():
            raise QueryError(
                f"nothing to search for in {query.text!r}: give at least one word that must match"
            )
        db = self._db()
        where, params = _filter_sql(query)
        try:
            # One read transaction: the statements of a search see one snapshot, even mid-reindex.
            db.execute("BEGIN")
            try:
                if parsed.is_empty():
                    return self._browse(db, query, where, params)
                return self._search(db, query, parsed, to_fts5(parsed), where, params)
            finally:
                db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "syntax" in str(exc):
                raise QueryError(f"cannot search for {query.text!r}: {exc}") from exc
            raise IndexUnavailable(f"search index {self.path}: {exc}") from exc

    def _search(
        self,
        db: sqlite3.Connection,
        query: SearchQuery,
        parsed: ParsedQuery,
        match: str,
        where: str,
        params: list[Any],
    ) -> SearchResult:
        restrict = f"AND (rowid >> {ORD_BITS}) IN (SELECT version_id FROM ver WHERE {where})" if where else ""
        order = "best"
        if query.sort == "date":
            order = "(SELECT date FROM ver WHERE version_id = vid) DESC, best"
        rows = db.execute(
            f"SELECT rowid >> {ORD_BITS} AS vid, min(rank) AS best, rowid, count(*), count(*) OVER () "
            f"FROM fts WHERE fts MATCH ? {restrict} GROUP BY vid ORDER BY {order} LIMIT ? OFFSET ?",
            [match, *params, query.limit, query.offset],
        ).fetchall()
        total = rows[0][4] if rows else 0
        if not rows and query.offset:
            total = self._count(db, match, restrict, params)
        hits = self._hits(db, rows, query, parsed, match)
        facets = self._facets(db, match, where, params) if query.facets else {}
        return SearchResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _count(db: sqlite3.Connection, match: str, restrict: str, params: list[Any]) -> int:
        sql = f"SELECT count(DISTINCT rowid >> {ORD_BITS}) FROM fts WHERE fts MATCH ? {restrict}"
        count: int = db.execute(sql, [match, *params]).fetchone()[0]
        return count

    def _hits(
        self,
        db: sqlite3.Connection,
        rows: list[tuple[Any, ...]],
        query: SearchQuery,
        parsed: ParsedQuery,
        match: str,
    ) -> list[DocumentHit]:
        terms = parsed.positive_terms
        best_sections: dict[int, list[tuple[int, float]]] = {
            vid: [(rowid, best)] for vid, best, rowid, *_ in rows
        }
        more = [vid for vid, _best, _rowid, matched, _total in rows if matched > 1]
        if query.sections_per_hit > 1 and more:
            # One pass over the matches of these versions only: rank is computed just for them.
            for vid, group in itertools.groupby(
                db.execute(
                    f"SELECT rowid >> {ORD_BITS} AS vid, rowid, rank FROM fts WHERE fts MATCH ? "
                    f"AND vid IN ({','.join('?' * len(more))}) ORDER BY vid, rank",
                    [match, *more],
                ),
                key=lambda r: r[0],
            ):
                best_sections[vid] = [(rowid, rank) for _vid, rowid, rank in group][: query.sections_per_hit]
        hits: list[DocumentHit] = []
        for vid, best, _rowid, matched, _total in rows:
            ver = db.execute("SELECT * FROM ver WHERE version_id = ?", (vid,)).fetchone()
            hit = _document_hit(ver, -best, matched)
            for rowid, score in best_sections[vid]:
                number, heading, text = db.execute(
                    "SELECT number, heading, text FROM sec WHERE id = ?", (rowid,)
                ).fetchone()
                hit.sections.append(
                    SectionHit(
                        ord=rowid & (MAX_SECTIONS - 1),
                        number=number,
                        heading=heading,
                        snippet=snippet(text, terms),
                        score=-score,
                    )
                )
            hits.append(hit)
        return hits

    def _facets(
        self, db: sqlite3.Connection, match: str | None, where: str, params: list[Any]
    ) -> dict[str, list[tuple[str, int]]]:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS hit_versions (vid INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM hit_versions")
        if match is None:
            db.execute(f"INSERT INTO hit_versions SELECT version_id FROM ver WHERE {where or '1'}", params)
        else:
            restrict = (
                f"AND (rowid >> {ORD_BITS}) IN (SELECT version_id FROM ver WHERE {where})" if where else ""
            )
            db.execute(
                f"INSERT OR IGNORE INTO hit_versions SELECT rowid >> {ORD_BITS} FROM fts WHERE fts MATCH ? {restrict}",
                [match, *params],
            )
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in FACET_FIELDS:
            col = _COLUMNS[name]
            facets[name] = [
                (value, count)
                for value, count in db.execute(
                    f"SELECT {col}, count(DISTINCT document_id) AS n FROM ver JOIN hit_versions ON vid = version_id "
                    f"WHERE {col} IS NOT NULL GROUP BY {col} ORDER BY n DESC, {col} LIMIT 50"
                )
            ]
        return facets

    def _browse(
        self, db: sqlite3.Connection, query: SearchQuery, where: str, params: list[Any]
    ) -> SearchResult:
        """No query words: the filtered documents, newest first."""
        rows = db.execute(
            f"SELECT *, count(*) OVER () FROM ver WHERE {where or '1'} "
            "ORDER BY date DESC, version_id DESC LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        ).fetchall()
        hits = [_document_hit(row, 0.0, 0) for row in rows]
        total = rows[0][-1] if rows else 0
        facets = self._facets(db, None, where, params) if query.facets else {}
        return SearchResult(total=total, hits=hits, facets=facets)


class _Transaction:
    """``with`` block running one write transaction on the index connection (BEGIN IMMEDIATE)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.path = db, path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise IndexUnavailable(f"search index {self.path}: {exc}") from exc
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as err:
                self.db.execute("ROLLBACK")
                raise IndexUnavailable(f"search index {self.path}: {err}") from err
        else:
            self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise IndexUnavailable(f"search index {self.path}: {exc}") from exc


def _heading(number: str | None, heading: str | None) -> str:
    return index_text(" ".join(p for p in (number, heading) if p))


def _filter_sql(query: SearchQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if not query.all_versions:
        clauses.append("is_latest = 1")
    f = query.filters
    for name in FACET_FIELDS:
        values: tuple[str, ...] = getattr(f, name)
        if values:
            clauses.append(f"{_COLUMNS[name]} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if f.date_from:
        clauses.append("date >= ?")
        params.append(f.date_from.isoformat())
    if f.date_to:
        clauses.append("date <= ?")
        params.append(f.date_to.isoformat())
    return " AND ".join(clauses), params


def _document_hit(ver: tuple[Any, ...], score: float, matched: int) -> DocumentHit:
    (
        vid,
        doc_id,
        _seq,
        _latest,
        source,
        number,
        kind,
        title,
        body,
        grp,
        meeting,
        release,
        spec,
        date,
        label,
    ) = ver[:15]
    return DocumentHit(
        document_id=doc_id,
        version_id=vid,
        source=source,
        number=number,
        kind=kind,
        title=title,
        body=body,
        group=grp,
        meeting=meeting,
        release=release,
        spec=spec,
        date=dt.date.fromisoformat(date) if date else None,
        label=label,
        score=score,
        matched_sections=matched,
        sections=[],
    )
