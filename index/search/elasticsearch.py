"""Elasticsearch search backend: one ES document per section, behind a versioned alias.

Layout (schema as code: :class:`IndexRecord`, :func:`index_definition`):
- the index ``<prefix>-sections-v<N>`` is reached through the alias ``<prefix>-sections``; a rebuild
  (:meth:`ElasticsearchIndex.replace_all`, :meth:`~ElasticsearchIndex.clear`) fills generation N+1
  beside the live one and moves the alias in one atomic ``_aliases`` call that also deletes the old
  generation, so searches never see a partial index;
- every section is a document (``record: section``) carrying its version's facets as keywords and a
  ``latest`` flag, so "latest version only" is a filter; every version also has one document of its
  own (``record: version``) so that browsing, counts and versions without sections work like the
  embedded backend's ``ver`` table;
- ``heading`` (section number and heading, boosted 3×) and ``text`` are analysed in English (Porter
  stems, full-width folded, no stop words) with a ``.cjk`` sub-field of CJK bigrams.

Search mirrors the embedded backend: the same query syntax (:func:`analysis.parse_query`), sections
ranked by BM25 and collapsed on ``version_id`` so a document ranks by its best section, facets that
count documents, and snippets escaped then highlighted. The pure functions here (query translation,
bulk retry plan, alias switch plan, snippet assembly) are what ``tests/index/test_elasticsearch_unit.py``
checks without a server; the contract suite checks the whole against one.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import TransportError
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError
from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    Long,
    M,
    MetaField,
    Text,
    analyzer,
    mapped_field,
    token_filter,
)
from elasticsearch.helpers import streaming_bulk

from index.search.analysis import CJK_RUN, WORD, ParsedQuery, Term, parse_query, snippet, snippet_from_spans
from index.search.base import (
    FACET_FIELDS,
    DocumentHit,
    IndexUnavailable,
    IndexVersion,
    QueryError,
    SearchError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SectionHit,
)

log = logging.getLogger(__name__)

# Bump when the mapping or the analysers change: needs_rebuild() then asks for a rebuild.
MAPPING_VERSION = 1

HEADING_BOOST = 3.0
SNIPPET_WIDTH = 240
FACET_SIZE = 50
MAX_SECTIONS_PER_HIT = 100  # index.max_inner_result_window
MAX_RESULT_WINDOW = 10_000  # index.max_result_window: from + size beyond it is refused
# Below this many distinct values the cardinality aggregation counts exactly (HyperLogLog++ keeps
# the hashes themselves); totals and facet counts above it are estimates within a few percent.
CARDINALITY_PRECISION = 40_000
SLOW_TIMEOUT = 600.0  # seconds for bulk and by-query requests
MAX_CHUNK_BYTES = 20 * 1024 * 1024  # bulk request size; ES refuses bodies over http.max_content_length
TERMS_CHUNK = 10_000  # values per terms query (index.max_terms_count is 65 536)
PAGE = 5_000  # version records fetched per request when recomputing latest flags

RETRY_STATUSES = frozenset({429, 503})
"""Per-item bulk statuses that mean "not now": the items are sent again after a backoff."""

_SECTION_SOURCE = ["ord", "section_number", "section_heading", "text"]
_VERSION_SOURCE = [
    "version_id", "document_id", "source", "number", "kind", "title", "body", "group", "meeting",
    "release", "spec", "date", "label",
]  # fmt: skip


# --- schema --------------------------------------------------------------------------------------

# Built from built-in components only (no plugins). The English chain is the ``english`` analyser
# without its stop words (the embedded index keeps them, so "the" and phrases with it match the same)
# and with ``cjk_width``/``asciifolding`` in front, as FTS5's remove_diacritics and the query's NFKC do.
_possessive = token_filter("sepwatch_possessive", "stemmer", language="possessive_english")
ENGLISH = analyzer(
    "sepwatch_english",
    tokenizer="standard",
    filter=["cjk_width", "lowercase", "asciifolding", _possessive, "porter_stem"],
)
# The ``cjk`` analyser's bigrams plus every character on its own (``output_unigrams``): a one-character
# query then finds the character anywhere in a run, as the embedded index does (审 and 求 in 审查请求).
# Unigram i and bigram (i, i+1) share position i, so consecutive bigrams of a query are consecutive
# positions and a query phrase of bigrams matches only the same run of characters.
_bigrams_and_unigrams = token_filter("sepwatch_cjk_bigrams", "cjk_bigram", output_unigrams=True)
CJK = analyzer(
    "sepwatch_cjk",
    tokenizer="standard",
    filter=["cjk_width", "lowercase", "asciifolding", _bigrams_and_unigrams],
)
# Queries are bigrams only (a lone character stays a unigram), matched as phrases against the above.
CJK_SEARCH = analyzer(
    "sepwatch_cjk_search",
    tokenizer="standard",
    filter=["cjk_width", "lowercase", "asciifolding", "cjk_bigram"],
)


def _searchable(*, offsets: bool) -> Text:
    """A text field analysed in English with its CJK sub-field; offsets in the postings for highlighting."""
    options: dict[str, Any] = {"index_options": "offsets"} if offsets else {}
    return Text(
        analyzer=ENGLISH,
        fields={"cjk": Text(analyzer=CJK, search_analyzer=CJK_SEARCH, **options)},
        **options,
    )


def _stored() -> Keyword:
    """Kept in ``_source`` for display only: neither indexed nor in doc values."""
    return Keyword(index=False, doc_values=False)


class IndexRecord(Document):
    """One document of the index: a section (``record: section``) or a version (``record: version``)."""

    record: M[str] = mapped_field(Keyword())
    version_id: M[int] = mapped_field(Long())
    document_id: M[int] = mapped_field(Long())
    seq: M[int] = mapped_field(Long())
    latest: M[bool] = mapped_field(Boolean())
    stamp: M[int] = mapped_field(Long())
    source: M[str] = mapped_field(Keyword())
    kind: M[str] = mapped_field(Keyword())
    body: M[str | None] = mapped_field(Keyword())
    group: M[str | None] = mapped_field(Keyword())
    meeting: M[str | None] = mapped_field(Keyword())
    release: M[str | None] = mapped_field(Keyword())
    spec: M[str | None] = mapped_field(Keyword())
    number: M[str] = mapped_field(Keyword())
    date: M[dt.date | None] = mapped_field(Date(format="strict_date"))
    title: M[str | None] = mapped_field(_stored())
    label: M[str | None] = mapped_field(_stored())
    sections: M[int | None] = mapped_field(Integer())
    ord: M[int | None] = mapped_field(Integer())
    section_number: M[str | None] = mapped_field(_stored())
    section_heading: M[str | None] = mapped_field(_stored())
    heading: M[str | None] = mapped_field(_searchable(offsets=False))
    text: M[str | None] = mapped_field(_searchable(offsets=True))

    class Meta:
        dynamic = MetaField("strict")


def index_definition() -> dict[str, Any]:
    """Settings and mappings of one generation, as ``indices.create`` takes them."""
    ix = Index("sepwatch-sections")
    # One shard: BM25 statistics and the facet/collapse counts are then exact, and a standards corpus
    # (millions of sections, tens of GB) fits one shard comfortably.
    ix.settings(number_of_shards=1)
    ix.document(IndexRecord)
    definition = ix.to_dict()
    definition["mappings"]["_meta"] = {"sepwatch": {"mapping_version": MAPPING_VERSION}}
    return definition


def generation_name(prefix: str, generation: int) -> str:
    return f"{prefix}-sections-v{generation}"


def parse_generation(prefix: str, index_name: str) -> int | None:
    """The N of ``<prefix>-sections-v<N>``, or None for any other name."""
    m = re.fullmatch(re.escape(f"{prefix}-sections-v") + r"([1-9][0-9]*)", index_name)
    return int(m.group(1)) if m else None


def alias_switch_actions(alias: str, new_index: str, old_indices: Iterable[str]) -> list[dict[str, Any]]:
    """The ``_aliases`` actions that point ``alias`` at ``new_index`` and delete the old indices.

    One request, applied atomically: searches go to the old index until the call returns and to the new
    one after it. ``remove_index`` also disposes of a concrete index that holds the alias's name.
    """
    actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": alias}}]
    actions += [{"remove_index": {"index": old}} for old in sorted(set(old_indices)) if old != new_index]
    return actions


# --- documents -----------------------------------------------------------------------------------


def version_doc_id(version_id: int) -> str:
    return f"v{version_id}"


def section_doc_id(version_id: int, ord: int) -> str:
    return f"v{version_id}s{ord}"


def version_of_doc_id(doc_id: str) -> int | None:
    """The version id in a document id made by :func:`version_doc_id` or :func:`section_doc_id`."""
    m = re.fullmatch(r"v([0-9]+)(?:s-?[0-9]+)?", doc_id)
    return int(m.group(1)) if m else None


def version_actions(version: IndexVersion, *, index: str, latest: bool, stamp: int) -> list[dict[str, Any]]:
    """Bulk ``index`` actions for a version: its version record, then one document per section."""
    common: dict[str, Any] = {
        "version_id": version.version_id,
        "document_id": version.document_id,
        "seq": version.seq,
        "latest": latest,
        "stamp": stamp,
        "source": version.source,
        "number": version.number,
        "kind": version.kind,
        "title": version.title,
        "body": version.body,
        "group": version.group,
        "meeting": version.meeting,
        "release": version.release,
        "spec": version.spec,
        "date": version.date.isoformat() if version.date else None,
        "label": version.label,
    }
    actions: list[dict[str, Any]] = [
        {
            "_op_type": "index",
            "_index": index,
            "_id": version_doc_id(version.version_id),
            "_source": {**common, "record": "version", "sections": len(version.sections)},
        }
    ]
    for s in version.sections:
        actions.append(
            {
                "_op_type": "index",
                "_index": index,
                "_id": section_doc_id(version.version_id, s.ord),
                "_source": {
                    **common,
                    "record": "section",
                    "ord": s.ord,
                    "section_number": s.number,
                    "section_heading": s.heading,
                    "heading": " ".join(p for p in (s.number, s.heading) if p) or None,
                    "text": s.text,
                },
            }
        )
    return actions


# --- latest flags --------------------------------------------------------------------------------


def latest_flags(
    existing: Mapping[int, tuple[int, int]], added: Sequence[IndexVersion] = ()
) -> dict[int, bool]:
    """``version_id -> latest`` for every version of the documents involved, after adding ``added``.

    ``existing`` maps the version ids already indexed to ``(document_id, seq)``; an added version with
    an id already there replaces it. The latest versions of a document are those with its highest
    ``seq`` (several, if they tie), as in the embedded backend.
    """
    combined = dict(existing)
    for v in added:
        combined[v.version_id] = (v.document_id, v.seq)
    best: dict[int, int] = {}
    for document_id, seq in combined.values():
        best[document_id] = max(seq, best.get(document_id, seq))
    return {vid: seq == best[document_id] for vid, (document_id, seq) in combined.items()}


@dataclass(slots=True)
class LatestTracker:
    """Latest flags while a new generation is filled batch by batch, without reading it back.

    :meth:`register` every batch as it arrives and write a batch with :meth:`flags` only after the next
    one is registered: a version superseded within that look-ahead (versions of a document are mostly
    stored together) is written as not latest once and never rewritten. A version written as latest
    and superseded later is listed by :meth:`demoted`, to be cleared in one pass at the end.
    """

    _best: dict[int, tuple[int, list[int]]] = field(default_factory=dict)
    _marked: set[int] = field(default_factory=set)

    def register(self, versions: Iterable[IndexVersion]) -> None:
        for v in versions:
            best = self._best.get(v.document_id)
            if best is None or v.seq > best[0]:
                self._best[v.document_id] = (v.seq, [v.version_id])
            elif v.seq == best[0] and v.version_id not in best[1]:
                best[1].append(v.version_id)

    def flags(self, versions: Iterable[IndexVersion]) -> dict[int, bool]:
        """The flags to write for registered ``versions``: latest among all versions registered so far."""
        flags: dict[int, bool] = {}
        for v in versions:
            seq, vids = self._best[v.document_id]
            flags[v.version_id] = latest = v.seq == seq and v.version_id in vids
            if latest:
                self._marked.add(v.version_id)
        return flags

    def demoted(self) -> set[int]:
        final = {vid for _seq, vids in self._best.values() for vid in vids}
        return self._marked - final


# --- bulk policy ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkFailure:
    """One bulk item that did not succeed: the document id, the operation, the status and why."""

    id: str
    op: str
    status: int
    error: str


def retry_plan(items: Iterable[Mapping[str, Any]]) -> tuple[list[BulkFailure], list[BulkFailure]]:
    """Split the per-item results of bulk requests into ``(to_retry, dead_letters)``.

    ``items`` are entries of a bulk response's ``items`` array (``{"index": {"_id": …, "status": …,
    "error": {…}}}``), as ``streaming_bulk(raise_on_error=False)`` also yields them, including the items
    it fails as a whole when a chunk's request is refused. Successes (2xx, and a delete that found
    nothing) are dropped; 429 and 503 are retried; everything else is a dead letter.
    """
    retry: list[BulkFailure] = []
    dead: list[BulkFailure] = []
    for item in items:
        for op, result in item.items():
            status = int(result.get("status", 500))
            if 200 <= status < 300 or (op == "delete" and status == 404):
                continue
            failure = BulkFailure(str(result.get("_id")), op, status, _error_text(result.get("error")))
            (retry if status in RETRY_STATUSES else dead).append(failure)
    return retry, dead


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        kind, reason = error.get("type", "error"), error.get("reason", "")
        cause = error.get("caused_by")
        if isinstance(cause, Mapping) and cause.get("reason"):
            reason = f"{reason}: {cause.get('reason')}"
        return f"{kind}: {reason}" if reason else str(kind)
    return str(error) if error is not None else "unknown error"


def backoff_delay(attempt: int, initial: float = 1.0, maximum: float = 60.0) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): doubling from ``initial``, capped."""
    return float(min(maximum, initial * (2**attempt)))


# --- query translation ---------------------------------------------------------------------------

_CJK_SPLIT = re.compile(f"({CJK_RUN.pattern})")
_ENGLISH_FIELDS = [f"heading^{HEADING_BOOST:g}", "text"]
_CJK_FIELDS = [f"heading.cjk^{HEADING_BOOST:g}", "text.cjk"]


def _fold(token: str) -> str:
    """A query token as the analysers index it, for the term-level (unanalysed) prefix queries."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", token).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _any_field(queries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _phrase(text: str, fields: list[str], kind: str = "phrase") -> dict[str, Any]:
    # tie_breaker 1: a term in both heading and text scores both, as FTS5's bm25 sums its columns.
    return {"multi_match": {"query": text, "type": kind, "fields": fields, "tie_breaker": 1.0}}


def term_query(term: Term) -> dict[str, Any]:
    """One query term (word, phrase or prefix; the sign is the caller's) as an ES query.

    - Latin words and phrases: a phrase over the English fields (stemmed; one word is a one-term phrase);
    - a prefix ``netw*``: a ``prefix`` query over the unstemmed ``.cjk`` fields (several tokens:
      ``phrase_prefix``);
    - one run of CJK characters: a phrase of its bigrams over the ``.cjk`` fields (one character: the
      character);
    - CJK mixed with other tokens (``5G专利``, ``"专利 5G"``): an ``intervals`` query, see
      :func:`_mixed_intervals`.
    """
    words = WORD.findall(term.text)
    cjk_runs = [w for w in words if CJK_RUN.fullmatch(w)]
    if not cjk_runs:
        if not term.prefix:
            return _phrase(term.text, _ENGLISH_FIELDS)
        if words == [term.text]:
            value = _fold(term.text)
            return _any_field(
                [
                    {"prefix": {"heading.cjk": {"value": value, "boost": HEADING_BOOST}}},
                    {"prefix": {"text.cjk": {"value": value}}},
                ]
            )
        query = _phrase(term.text, _CJK_FIELDS, "phrase_prefix")
        query["multi_match"]["max_expansions"] = 1024
        return query
    if len(words) == 1:
        # A prefix changes nothing here: every character is indexed on its own, so a run's last
        # character already matches wherever it starts a longer run.
        return _phrase(words[0], _CJK_FIELDS)
    rules = _mixed_intervals(term.text, prefix=term.prefix)
    return _any_field(
        [
            {"bool": {"must": [{"intervals": {"heading.cjk": rules}}], "boost": HEADING_BOOST}},
            {"intervals": {"text.cjk": rules}},
        ]
    )


def _mixed_intervals(text: str, *, prefix: bool) -> dict[str, Any]:
    """Intervals rule for a term mixing CJK runs and other tokens: every piece, in order, no gap.

    Each piece is analysed by ES on its own (a CJK run becomes its bigrams, other text its tokens),
    which keeps the positions exact whatever the analyser does at script boundaries. A bigram covers
    one position of the index (its first character), so a run followed by more of the term also
    needs its last character, as the embedded index's phrase does.
    """
    pieces = [p for p in _CJK_SPLIT.split(text) if WORD.search(p)]
    rules: list[dict[str, Any]] = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if CJK_RUN.fullmatch(piece):
            rules.append({"match": {"query": piece, "ordered": True, "max_gaps": 0}})
            if len(piece) > 1 and not last:
                rules.append({"match": {"query": piece[-1]}})
            continue
        if last and prefix:
            tokens = list(WORD.finditer(piece))
            head = piece[: tokens[-1].start()]
            if WORD.search(head):
                rules.append({"match": {"query": head, "ordered": True, "max_gaps": 0}})
            rules.append({"prefix": {"prefix": _fold(tokens[-1].group())}})
            continue
        rules.append({"match": {"query": piece, "ordered": True, "max_gaps": 0}})
    return {"all_of": {"ordered": True, "max_gaps": 0, "intervals": rules}}


def text_query(parsed: ParsedQuery) -> dict[str, Any]:
    """The parsed query as a bool query: OR of the groups, each the AND of its terms minus its NOTs."""
    groups: list[dict[str, Any]] = []
    for group in parsed.groups:
        clauses: dict[str, Any] = {"must": [term_query(t) for t in group if not t.negated]}
        negated = [term_query(t) for t in group if t.negated]
        if negated:
            clauses["must_not"] = negated
        groups.append({"bool": clauses})
    if len(groups) == 1:
        return groups[0]
    return {"bool": {"should": groups, "minimum_should_match": 1}}


def filter_clauses(query: SearchQuery, record: str) -> list[dict[str, Any]]:
    """Filter context for the records of kind ``record``: latest only unless all versions, then facets."""
    clauses: list[dict[str, Any]] = [{"term": {"record": record}}]
    if not query.all_versions:
        clauses.append({"term": {"latest": True}})
    f = query.filters
    for name in FACET_FIELDS:
        values: tuple[str, ...] = getattr(f, name)
        if values:
            clauses.append({"terms": {name: list(values)}})
    dates: dict[str, str] = {}
    if f.date_from:
        dates["gte"] = f.date_from.isoformat()
    if f.date_to:
        dates["lte"] = f.date_to.isoformat()
    if dates:
        clauses.append({"range": {"date": {**dates, "format": "strict_date"}}})
    return clauses


def facet_aggregations() -> dict[str, Any]:
    """One terms aggregation per facet, counting distinct documents, most documents first."""
    return {
        name: {
            "terms": {"field": name, "size": FACET_SIZE, "order": [{"documents": "desc"}, {"_key": "asc"}]},
            "aggs": {
                "documents": {
                    "cardinality": {"field": "document_id", "precision_threshold": CARDINALITY_PRECISION}
                }
            },
        }
        for name in FACET_FIELDS
    }


def highlight_options() -> dict[str, Any]:
    """Highlighting of section text: escaped by ES, matches of both analyses wrapped in ``<mark>``.

    The whole text comes back (``number_of_fragments: 0``) and :func:`snippet_from_highlight` cuts the
    window around the densest matches exactly as the embedded backend's snippets are cut.
    """
    return {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fields": {"text": {"matched_fields": ["text.cjk"], "number_of_fragments": 0}},
        # Postings carry offsets, so nothing is re-analysed; this only caps a fallback re-analysis.
        "max_analyzed_offset": 1_000_000,
    }


def _page(query: SearchQuery) -> tuple[int, int]:
    """``(from, size)`` within the result window ES allows; pages past it are empty."""
    offset, limit = max(0, query.offset), max(0, query.limit)
    if offset >= MAX_RESULT_WINDOW:
        return 0, 0
    return offset, min(limit, MAX_RESULT_WINDOW - offset)


def search_request(parsed: ParsedQuery, query: SearchQuery) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` for a query with words."""
    from_, size = _page(query)
    if query.sort == "date":
        sort: list[Any] = [{"date": {"order": "desc", "missing": "_last"}}, {"_score": "desc"}]
    else:
        sort = [{"_score": "desc"}]
    sort.append({"version_id": "desc"})
    aggs: dict[str, Any] = {
        "versions": {"cardinality": {"field": "version_id", "precision_threshold": CARDINALITY_PRECISION}}
    }
    if query.facets:
        aggs.update(facet_aggregations())
    request: dict[str, Any] = {
        "query": {"bool": {"filter": filter_clauses(query, "section"), "must": [text_query(parsed)]}},
        "from_": from_,
        "size": size,
        "track_total_hits": False,
        "aggs": aggs,
    }
    if size:
        # Sections collapse to their version: its hit is its best section (the sort's first), and the
        # inner hits are its best sections with their highlights.
        request["collapse"] = {
            "field": "version_id",
            "inner_hits": {
                "name": "sections",
                "size": max(1, min(query.sections_per_hit, MAX_SECTIONS_PER_HIT)),
                "_source": {"includes": _SECTION_SOURCE},
                "highlight": highlight_options(),
            },
        }
        request |= {"sort": sort, "source": {"includes": _VERSION_SOURCE}, "track_scores": True}
    return request


def browse_request(query: SearchQuery) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` for no query words: filtered versions, newest first."""
    from_, size = _page(query)
    request: dict[str, Any] = {
        "query": {"bool": {"filter": filter_clauses(query, "version")}},
        "sort": [{"date": {"order": "desc", "missing": "_last"}}, {"version_id": "desc"}],
        "from_": from_,
        "size": size,
        "source": {"includes": _VERSION_SOURCE},
        "track_total_hits": True,
    }
    if query.facets:
        request["aggs"] = facet_aggregations()
    return request


# --- responses -----------------------------------------------------------------------------------

_MARK = re.compile(r"(</?mark>)")


def snippet_from_highlight(fragment: str, width: int = SNIPPET_WIDTH) -> str:
    """The snippet of a section from its whole-text highlight, as ``analysis.snippet`` would cut it.

    ES's html encoder escapes more than Python does (``/`` as ``&#x2F;``, ``'`` as ``&#x27;``), so the
    text between the tags is unescaped and escaped again here: identical output on both backends, and
    still nothing from the document can become markup (the only tags are the ones ES inserted; the
    document's own ``<mark>`` arrives escaped).
    """
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    opened: int | None = None
    for part in _MARK.split(fragment):
        if part == "<mark>":
            opened = pos
        elif part == "</mark>":
            if opened is not None and pos > opened:
                spans.append((opened, pos))
            opened = None
        elif part:
            piece = html.unescape(part)
            plain.append(piece)
            pos += len(piece)
    return window_snippet("".join(plain), _merge(spans), width)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def window_snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_WIDTH) -> str:
    """HTML of ``text`` around the densest cluster of ``spans`` ES found: the embedded backend's window."""
    return snippet_from_spans(text, spans, width)


def document_hit(source: Mapping[str, Any], score: float, matched: int) -> DocumentHit:
    date = source.get("date")
    return DocumentHit(
        document_id=int(source["document_id"]),
        version_id=int(source["version_id"]),
        source=source["source"],
        number=source["number"],
        kind=source["kind"],
        title=source.get("title"),
        body=source.get("body"),
        group=source.get("group"),
        meeting=source.get("meeting"),
        release=source.get("release"),
        spec=source.get("spec"),
        date=dt.date.fromisoformat(date) if date else None,
        label=source.get("label"),
        score=score,
        matched_sections=matched,
        sections=[],
    )


def parse_facets(aggregations: Mapping[str, Any]) -> dict[str, list[tuple[str, int]]]:
    return {
        name: [
            (str(b["key"]), int(b["documents"]["value"]))
            for b in aggregations.get(name, {}).get("buckets", [])
        ]
        for name in FACET_FIELDS
    }


def parse_search_response(
    response: Mapping[str, Any], query: SearchQuery, parsed: ParsedQuery
) -> SearchResult:
    """A collapsed section search (:func:`search_request`) as the :class:`SearchResult` of the contract."""
    aggregations = response.get("aggregations", {})
    hits: list[DocumentHit] = []
    for hit in response["hits"]["hits"]:
        inner = hit.get("inner_hits", {}).get("sections", {}).get("hits", {})
        total = inner.get("total", {})
        matched = int(total.get("value", 0) if isinstance(total, Mapping) else total)
        doc = document_hit(hit["_source"], float(hit.get("_score") or 0.0), matched)
        for section in inner.get("hits", []):
            src = section["_source"]
            fragments = section.get("highlight", {}).get("text")
            doc.sections.append(
                SectionHit(
                    ord=int(src["ord"]),
                    number=src.get("section_number"),
                    heading=src.get("section_heading"),
                    snippet=snippet_from_highlight(fragments[0])
                    if fragments
                    else snippet(src.get("text") or "", parsed.positive_terms, width=SNIPPET_WIDTH),
                    score=float(section.get("_score") or 0.0),
                )
            )
        hits.append(doc)
    total_versions = int(aggregations.get("versions", {}).get("value", 0))
    facets = parse_facets(aggregations) if query.facets else {}
    return SearchResult(total=total_versions, hits=hits, facets=facets)


def parse_browse_response(response: Mapping[str, Any], query: SearchQuery) -> SearchResult:
    total = response["hits"].get("total", {})
    return SearchResult(
        total=int(total.get("value", 0) if isinstance(total, Mapping) else total),
        hits=[document_hit(h["_source"], 0.0, 0) for h in response["hits"]["hits"]],
        facets=parse_facets(response.get("aggregations", {})) if query.facets else {},
    )


def _empty_result(query: SearchQuery) -> SearchResult:
    return SearchResult(total=0, hits=[], facets={name: [] for name in FACET_FIELDS} if query.facets else {})


# --- errors --------------------------------------------------------------------------------------

_TRANSIENT_STATUSES = frozenset({401, 403, 408, 429, 502, 503, 504})


def redact_url(url: str) -> str:
    """The URL without user name and password, for messages and logs."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def api_error_reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        causes = error.get("root_cause")
        if isinstance(causes, list) and causes and isinstance(causes[0], Mapping):
            return _error_text(causes[0])
        return _error_text(error)
    return str(exc.message)


def translate_error(exc: Exception, where: str, action: str) -> SearchError:
    """The contract's error for a client exception: :class:`IndexUnavailable` when retrying later can help.

    Connection failures, timeouts, throttling, unavailable shards and refused credentials keep the
    indexer's queue intact (the indexer retries :class:`IndexUnavailable` later); other refusals are
    :class:`SearchError`.
    """
    if isinstance(exc, ApiError):
        message = f"Elasticsearch at {where}: {action}: HTTP {exc.status_code}: {api_error_reason(exc)}"
        if exc.status_code in _TRANSIENT_STATUSES or exc.status_code >= 500:
            return IndexUnavailable(message)
        return SearchError(message)
    if isinstance(exc, TransportError):
        return IndexUnavailable(f"Elasticsearch at {where}: {action}: {exc}")
    return SearchError(f"Elasticsearch at {where}: {action}: {exc}")


def _chunks(values: Sequence[int], size: int = TERMS_CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


# --- the backend ---------------------------------------------------------------------------------


class ElasticsearchIndex(SearchIndex):
    """The search index on an Elasticsearch 9 cluster; see the module docstring for the layout.

    Creating one does not contact the server: the index and its alias are created by the first write
    (or by :meth:`replace_all`, which ``needs_rebuild`` asks for while the alias is missing). Writes of
    this object are serialised by a lock; two processes must not write the same prefix at once.
    """

    name: ClassVar[str] = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "sepwatch",
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        ca_certs: str | None = None,
        verify_certs: bool = True,
        timeout: float = 30,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 60.0,
        chunk_size: int = 500,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", prefix):
            raise ValueError(f"index prefix {prefix!r}: use lower-case letters, digits, '.', '_' and '-'")
        self.prefix = prefix
        self.alias = f"{prefix}-sections"
        self.where = redact_url(url)
        self.max_retries, self.initial_backoff, self.max_backoff = max_retries, initial_backoff, max_backoff
        self.chunk_size = chunk_size
        self.dead_letters: list[BulkFailure] = []
        """Items the last write could not index (other than throttling), with ES's reason for each."""
        options: dict[str, Any] = {"request_timeout": timeout, "verify_certs": verify_certs}
        if username is not None:
            options["basic_auth"] = (username, password or "")
        if api_key is not None:
            options["api_key"] = api_key
        if ca_certs is not None:
            options["ca_certs"] = ca_certs
        self._es = Elasticsearch(url, retry_on_timeout=True, **options)
        # Bulk requests and by-query updates of many versions may take minutes, not seconds.
        self._slow = self._es.options(request_timeout=max(timeout, SLOW_TIMEOUT))
        self._lock = threading.RLock()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (ApiError, TransportError) as exc:
            raise translate_error(exc, self.where, action) from exc

    def close(self) -> None:
        self._es.close()

    # --- generations -------------------------------------------------------------------------

    def _alias_targets(self) -> list[str] | None:
        """The indices behind the alias; None when there is no alias."""
        try:
            return sorted(self._es.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return None

    def _generations(self) -> list[str]:
        pattern = f"{self.prefix}-sections-v*"
        names = self._es.indices.get_alias(index=pattern, expand_wildcards="all").body
        return [n for n in names if parse_generation(self.prefix, n) is not None]

    def _create_generation(self, *, attach_alias: bool, loading: bool = False) -> str:
        numbers = [parse_generation(self.prefix, n) or 0 for n in self._generations()]
        name = generation_name(self.prefix, max(numbers, default=0) + 1)
        definition = index_definition()
        settings = dict(definition["settings"])
        if loading:
            settings["refresh_interval"] = "-1"
        self._es.indices.create(
            index=name,
            settings=settings,
            mappings=definition["mappings"],
            aliases={self.alias: {}} if attach_alias else None,
        )
        return name

    def _ensure_alias(self) -> None:
        if not self._es.indices.exists_alias(name=self.alias):
            self._create_generation(attach_alias=True)

    def drop(self) -> None:
        """Delete the alias and every generation of this prefix (tests, decommissioning)."""
        with self._lock, self._errors("drop the index"):
            names = set(self._generations()) | set(self._alias_targets() or [])
            if names:
                self._es.indices.delete(index=sorted(names), ignore_unavailable=True)

    # --- writing -----------------------------------------------------------------------------

    def add(self, versions: Sequence[IndexVersion]) -> None:
        unique = list({v.version_id: v for v in versions}.values())
        if not unique:
            return
        with self._lock:
            with self._errors("add versions"):
                self._ensure_alias()
                existing = self._version_records({v.document_id for v in unique})
                flags = latest_flags({vid: (doc, seq) for vid, (doc, seq, _) in existing.items()}, unique)
                stamp = time.time_ns()
                actions = self._actions(unique, flags, index=self.alias, stamp=stamp)
                failures = self._bulk(actions, require_alias=True)
                added = {v.version_id for v in unique}
                readded = sorted(added & existing.keys())
                for chunk in _chunks(readded):
                    # Sections a version had before and no longer has: not overwritten, older stamp.
                    # Sections overwritten just now still look old to this unrefreshed snapshot; their
                    # deletes conflict with the newer document and "proceed" leaves them be.
                    self._slow.delete_by_query(
                        index=self.alias,
                        query={
                            "bool": {
                                "filter": [{"terms": {"version_id": chunk}}],
                                "must_not": [{"term": {"stamp": stamp}}],
                            }
                        },
                        conflicts="proceed",
                    )
                # A document whose new version did not make it keeps its old latest version searchable.
                failed = {version_of_doc_id(f.id) for f in failures}
                kept = {v.document_id for v in unique if v.version_id in failed}
                self._set_latest(
                    self.alias,
                    {
                        vid: flag
                        for vid, flag in flags.items()
                        if vid not in added
                        and existing[vid][2] != flag
                        and (flag or existing[vid][0] not in kept)
                    },
                )
                self._es.indices.refresh(index=self.alias)
            self._report(failures, len(actions))

    def remove(self, version_ids: Sequence[int]) -> None:
        ids = sorted(set(version_ids))
        if not ids:
            return
        with self._lock, self._errors("remove versions"):
            if self._alias_targets() is None:
                return
            documents: set[int] = set()
            for chunk in _chunks(ids):
                found = self._es.mget(
                    index=self.alias, ids=[version_doc_id(i) for i in chunk], source=["document_id"]
                )
                documents |= {int(d["_source"]["document_id"]) for d in found["docs"] if d.get("found")}
                self._slow.delete_by_query(
                    index=self.alias, query={"terms": {"version_id": chunk}}, refresh=True
                )
            existing = self._version_records(documents)
            flags = latest_flags({vid: (doc, seq) for vid, (doc, seq, _) in existing.items()})
            self._set_latest(self.alias, {vid: f for vid, f in flags.items() if existing[vid][2] != f})
            self._es.indices.refresh(index=self.alias)

    def clear(self) -> None:
        """Switch the alias to a new empty generation (with the current mapping) and delete the old one."""
        self._rebuild(())

    def replace_all(self, batches: Iterable[Sequence[IndexVersion]]) -> int:
        """Fill a new generation beside the live one, then switch the alias to it atomically.

        Searches see the old index until the new one is complete. If anything fails before the switch
        the new generation is deleted and the old one stays. Items ES refused outright (not throttling)
        do not stop the switch: they are in :attr:`dead_letters` and a :class:`SearchError` names them
        after the switch, so the queue keeps them.
        """
        return self._rebuild(batches)

    def _rebuild(self, batches: Iterable[Sequence[IndexVersion]]) -> int:
        with self._lock:
            with self._errors("rebuild the index"):
                old = self._alias_targets()
                if old is None:
                    # No alias; a concrete index holding its name (from some earlier tool) goes too.
                    old = [self.alias] if self._es.indices.exists(index=self.alias) else []
                orphans = [n for n in self._generations() if n not in old]
                if orphans:  # left by a rebuild that crashed before its switch
                    self._es.indices.delete(index=orphans, ignore_unavailable=True)
                new = self._create_generation(attach_alias=False, loading=True)
            try:
                with self._errors("rebuild the index"):
                    count, failures, actions = 0, [], 0
                    tracker = LatestTracker()
                    stamp = time.time_ns()
                    pending: Sequence[IndexVersion] = ()
                    for versions in itertools.chain(batches, [()]):  # () flushes the last batch
                        tracker.register(versions)
                        if pending:
                            batch = self._actions(pending, tracker.flags(pending), index=new, stamp=stamp)
                            failures += self._bulk(batch, require_alias=False)
                            actions += len(batch)
                            count += len(pending)
                        pending = versions
                    self._es.indices.refresh(index=new)
                    self._set_latest(new, dict.fromkeys(tracker.demoted(), False))
                    self._es.indices.put_settings(index=new, settings={"index": {"refresh_interval": None}})
                    self._es.indices.refresh(index=new)
                    if failures and all(f.status in RETRY_STATUSES for f in failures):
                        self.dead_letters = failures
                        raise IndexUnavailable(
                            f"Elasticsearch at {self.where}: {len(failures)} of {actions} documents still "
                            f"refused after {self.max_retries} retries (cluster overloaded); rebuild abandoned"
                        )
                    self._es.indices.update_aliases(actions=alias_switch_actions(self.alias, new, old))
            except BaseException:
                try:
                    self._es.indices.delete(index=new, ignore_unavailable=True)
                except (ApiError, TransportError) as exc:
                    log.warning("could not delete the abandoned index %s: %s", new, exc)
                raise
            self._report(failures, actions)
            return count

    @staticmethod
    def _actions(
        versions: Sequence[IndexVersion], flags: Mapping[int, bool], *, index: str, stamp: int
    ) -> list[dict[str, Any]]:
        return [
            action
            for v in versions
            for action in version_actions(v, index=index, latest=flags[v.version_id], stamp=stamp)
        ]

    def _bulk(self, actions: list[dict[str, Any]], *, require_alias: bool) -> list[BulkFailure]:
        """Index ``actions``; retry throttled items with backoff; return the items that still failed.

        Every chunk is sent whatever happened to the ones before; only a connection failure stops it
        (as :class:`IndexUnavailable`, from the caller's error translation).
        """
        pending = actions
        dead: list[BulkFailure] = []
        for attempt in range(self.max_retries + 1):
            results = streaming_bulk(
                self._slow,
                pending,
                chunk_size=self.chunk_size,
                max_chunk_bytes=MAX_CHUNK_BYTES,
                raise_on_error=False,
                raise_on_exception=False,
                max_retries=0,
                yield_ok=False,
                require_alias=require_alias or None,
            )
            retry, failed = retry_plan(item for ok, item in results if not ok)
            dead += failed
            if not retry:
                break
            if attempt == self.max_retries:
                dead += retry
                break
            delay = backoff_delay(attempt, self.initial_backoff, self.max_backoff)
            log.info("Elasticsearch throttled %d documents; retrying in %.1fs", len(retry), delay)
            time.sleep(delay)
            again = {f.id for f in retry}
            pending = [a for a in pending if a["_id"] in again]
        return dead

    def _report(self, failures: list[BulkFailure], attempted: int) -> None:
        self.dead_letters = failures
        if not failures:
            return
        for f in failures[:20]:
            log.warning("Elasticsearch refused %s %s (HTTP %d): %s", f.op, f.id, f.status, f.error)
        message = f"Elasticsearch at {self.where}: {len(failures)} of {attempted} documents were not indexed"
        if all(f.status in RETRY_STATUSES for f in failures):
            raise IndexUnavailable(f"{message}: still throttled after {self.max_retries} retries")
        first = failures[0]
        raise SearchError(f"{message}; first: {first.id}: {first.error} (all in dead_letters)")

    def _version_records(self, document_ids: Iterable[int]) -> dict[int, tuple[int, int, bool]]:
        """``version_id -> (document_id, seq, latest)`` of the indexed versions of these documents."""
        records: dict[int, tuple[int, int, bool]] = {}
        for chunk in _chunks(sorted(set(document_ids))):
            after: list[Any] | None = None
            while True:
                response = self._es.search(
                    index=self.alias,
                    query={
                        "bool": {
                            "filter": [{"term": {"record": "version"}}, {"terms": {"document_id": chunk}}]
                        }
                    },
                    source={"includes": ["version_id", "document_id", "seq", "latest"]},
                    sort=[{"version_id": "asc"}],
                    size=PAGE,
                    search_after=after,
                    track_total_hits=False,
                )
                hits = response["hits"]["hits"]
                for h in hits:
                    s = h["_source"]
                    records[int(s["version_id"])] = (int(s["document_id"]), int(s["seq"]), bool(s["latest"]))
                if len(hits) < PAGE:
                    break
                after = hits[-1]["sort"]
        return records

    def _set_latest(self, index: str, changes: Mapping[int, bool]) -> None:
        """Set the ``latest`` flag of these versions (their record and all their sections)."""
        for flag in (True, False):
            vids = sorted(vid for vid, value in changes.items() if value is flag)
            for chunk in _chunks(vids):
                response = self._slow.update_by_query(
                    index=index,
                    query={"terms": {"version_id": chunk}},
                    script={
                        "source": "ctx._source.latest = params.latest",
                        "lang": "painless",
                        "params": {"latest": flag},
                    },
                )
                if response.get("failures"):
                    raise SearchError(
                        f"Elasticsearch at {self.where}: updating the latest flags failed: {response['failures'][:3]}"
                    )

    def optimize(self) -> None:
        """Expunge the deleted documents a rebuild's flag updates leave behind (runs in the background)."""
        try:
            with self._errors("optimize"):
                self._es.indices.forcemerge(
                    index=self.alias, only_expunge_deletes=True, wait_for_completion=False
                )
        except SearchError as exc:
            log.warning("optimizing the search index failed (harmless): %s", exc)

    # --- reading -----------------------------------------------------------------------------

    def needs_rebuild(self) -> str | None:
        try:
            with self._errors("check the index"):
                targets = self._alias_targets()
                if targets is None:
                    return f"the Elasticsearch index {self.alias} does not exist yet"
                if len(targets) != 1:
                    return f"the alias {self.alias} points to {len(targets)} indices"
                mapping = self._es.indices.get_mapping(index=targets[0])[targets[0]]["mappings"]
        except IndexUnavailable as exc:
            log.warning("cannot check the search index now: %s", exc)
            return None
        version = mapping.get("_meta", {}).get("sepwatch", {}).get("mapping_version")
        if version != MAPPING_VERSION:
            return f"built with index mapping v{version}, this sepwatch uses v{MAPPING_VERSION}"
        return None

    def counts(self) -> dict[str, int]:
        def match(*clauses: dict[str, Any]) -> dict[str, Any]:
            return {"bool": {"filter": list(clauses)}}

        version = {"term": {"record": "version"}}
        buckets = {
            "documents": match(version, {"term": {"latest": True}}),
            "versions": match(version),
            "sections": match({"term": {"record": "section"}}),
        }
        with self._errors("count"):
            try:
                response = self._es.search(
                    index=self.alias,
                    size=0,
                    track_total_hits=False,
                    aggs={"counts": {"filters": {"filters": buckets}}},
                )
            except NotFoundError:
                return dict.fromkeys(buckets, 0)
        found = response["aggregations"]["counts"]["buckets"]
        return {name: int(found[name]["doc_count"]) for name in buckets}

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.text)
        if parsed.is_empty() and query.text.strip():
            raise QueryError(
                f"nothing to search for in {query.text!r}: give at least one word that must match"
            )
        request = browse_request(query) if parsed.is_empty() else search_request(parsed, query)
        with self._errors("search"):
            try:
                response = self._es.search(index=self.alias, **request).body
            except NotFoundError as exc:
                if exc.error == "index_not_found_exception":
                    return _empty_result(query)
                raise
            except BadRequestError as exc:
                raise QueryError(f"cannot search for {query.text!r}: {api_error_reason(exc)}") from exc
        if parsed.is_empty():
            return parse_browse_response(response, query)
        return parse_search_response(response, query, parsed)
