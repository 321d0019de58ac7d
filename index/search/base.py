"""The search index interface: what every backend (embedded FTS5, Elasticsearch) must do.

The index is derived from the store of record and can be rebuilt at any time (``sepwatch
reindex``); it holds versions of documents, each split into sections, and answers ranked,
filtered, faceted queries with HTML snippets that are escaped before they are highlighted.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

FACET_FIELDS = ("source", "kind", "body", "group", "meeting", "release", "spec")


class SearchError(Exception):
    """Base of the search index's errors."""


class QueryError(SearchError):
    """The query cannot be run as written; the message says why, for the user."""


class IndexUnavailable(SearchError):
    """The backend cannot be reached or written now; transient, retry later."""


@dataclass(frozen=True, slots=True)
class IndexSection:
    ord: int
    number: str | None
    heading: str | None
    text: str


@dataclass(slots=True)
class IndexVersion:
    """One version of a document as the index sees it: its facets and its sections."""

    version_id: int
    document_id: int
    seq: int
    source: str
    number: str
    kind: str
    title: str | None
    body: str | None
    group: str | None
    meeting: str | None
    release: str | None
    spec: str | None
    date: dt.date | None
    label: str | None
    sections: list[IndexSection]


@dataclass(slots=True)
class SearchFilters:
    """Filters; within one field any listed value matches, across fields all must match."""

    source: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    meeting: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    spec: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(slots=True)
class SearchQuery:
    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 10
    offset: int = 0
    all_versions: bool = False
    """False: only the latest version of each document is searched; True: every version."""
    facets: bool = False
    sections_per_hit: int = 3
    sort: str = "relevance"  # relevance | date


@dataclass(slots=True)
class SectionHit:
    ord: int
    number: str | None
    heading: str | None
    snippet: str
    """HTML: the section text escaped, then the matches wrapped in ``<mark>``."""
    score: float


@dataclass(slots=True)
class DocumentHit:
    document_id: int
    version_id: int
    source: str
    number: str
    kind: str
    title: str | None
    body: str | None
    group: str | None
    meeting: str | None
    release: str | None
    spec: str | None
    date: dt.date | None
    label: str | None
    score: float
    """Higher is better; the best section's score."""
    matched_sections: int
    sections: list[SectionHit]


@dataclass(slots=True)
class SearchResult:
    total: int
    hits: list[DocumentHit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class SearchIndex(abc.ABC):
    """Contract shared by all backends (tests/index/test_search_contract.py runs it on each).

    - ``add`` is idempotent: adding a version again replaces its entry. The latest version of a
      document is the one with the highest ``seq`` the index has seen.
    - ``search`` ranks documents by their best matching section (BM25), honours every filter,
      returns facet counts (documents per value) when asked, and never returns markup from the
      documents: snippets are escaped, then highlighted.
    - Errors a caller can retry are :class:`IndexUnavailable`.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def add(self, versions: Sequence[IndexVersion]) -> None: ...

    @abc.abstractmethod
    def remove(self, version_ids: Sequence[int]) -> None: ...

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abc.abstractmethod
    def clear(self) -> None:
        """Drop everything (the start of a rebuild)."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """``{"documents": …, "versions": …, "sections": …}`` as indexed."""

    def replace_all(self, batches: Iterable[Sequence[IndexVersion]]) -> int:
        """Replace the whole index with ``batches``; returns how many versions were added.

        This default clears and then adds, so searches meanwhile see a partial index; backends
        that can build the new index beside the old one (a transaction, an alias switch) override
        it so that searches see the old index until the new one is complete.
        """
        self.clear()
        count = 0
        for versions in batches:
            self.add(versions)
            count += len(versions)
        return count

    def needs_rebuild(self) -> str | None:
        """A reason when the index was built by an incompatible analysis and must be rebuilt."""
        return None

    def optimize(self) -> None:  # noqa: B027 - optional hook
        """Compact the index after a rebuild, where the backend can."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
