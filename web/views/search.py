"""Search: the query and filters as the UI and the API take them, run on the configured backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, Field

from index.search.base import FACET_FIELDS, SearchFilters, SearchIndex, SearchQuery
from web.views.common import Pagination, clause_anchor, highlighted, plain

PER_PAGE = 20
MAX_PER_PAGE = 100
# Deep pages cost the backend the whole prefix; nobody reads past result 5,000.
MAX_RESULTS_REACHABLE = 5000
FILTER_FIELDS = ("body", "group", "kind", "spec", "release", "meeting", "source")
SHOWN_FACETS = ("body", "group", "kind", "release", "spec")
Sort = Literal["relevance", "date"]


@dataclass(slots=True)
class SearchParams:
    """A search as asked for: the query text, filters, sort and page."""

    q: str = ""
    body: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    spec: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    meeting: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    all_versions: bool = False

    def filters(self) -> SearchFilters:
        return SearchFilters(
            **{name: tuple(v for v in getattr(self, name) if v) for name in FILTER_FIELDS},
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def pairs(self, **changes: object) -> list[tuple[str, str]]:
        """The query-string pairs of this search with ``changes`` applied (for links)."""
        values: dict[str, object] = {
            "q": self.q,
            **{name: list(getattr(self, name)) for name in FILTER_FIELDS},
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sort": self.sort if self.sort != "relevance" else "",
            "all_versions": "1" if self.all_versions else "",
            "per_page": str(self.per_page) if self.per_page != PER_PAGE else "",
            "page": str(self.page) if self.page != 1 else "",
        }
        values.update(changes)
        out: list[tuple[str, str]] = []
        for key, value in values.items():
            if isinstance(value, list):
                out.extend((key, str(v)) for v in value)
            elif value not in (None, ""):
                out.append((key, str(value)))
        return out

    def toggled(self, name: str, value: str) -> list[tuple[str, str]]:
        """Pairs with the filter value ``name=value`` added, or removed when it is set (page 1)."""
        current: list[str] = list(getattr(self, name))
        new = [v for v in current if v != value] if value in current else [*current, value]
        return self.pairs(**{name: new, "page": ""})

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        return [(name, v) for name in FILTER_FIELDS for v in getattr(self, name)]


class SectionHitOut(BaseModel):
    ord: int
    number: str | None
    heading: str | None
    anchor: str
    snippet: str = Field(description="HTML: the section text escaped, then the matches in <mark>.")
    text: str = Field(description="The snippet as plain text.")
    score: float

    @property
    def snippet_markup(self) -> Markup:
        return highlighted(self.snippet)


class HitOut(BaseModel):
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
    matched_sections: int
    sections: list[SectionHitOut]


class FacetValue(BaseModel):
    value: str
    count: int
    selected: bool = False


class SearchPage(BaseModel):
    q: str
    sort: Sort
    total: int
    pagination: Pagination
    hits: list[HitOut]
    facets: dict[str, list[FacetValue]]
    error: str | None = Field(default=None, description="Why the query could not be run, for the user.")


def run_search(search: SearchIndex, params: SearchParams) -> SearchPage:
    """Run ``params`` on ``search``; a query the backend refuses raises its QueryError."""
    per_page = max(1, min(params.per_page, MAX_PER_PAGE))
    last_page = max(1, MAX_RESULTS_REACHABLE // per_page)
    page = max(1, min(params.page, last_page))
    query = SearchQuery(
        text=params.q.strip(),
        filters=params.filters(),
        limit=per_page,
        offset=(page - 1) * per_page,
        all_versions=params.all_versions,
        facets=True,
        sections_per_hit=3,
        sort=params.sort,
    )
    result = search.search(query)
    hits = [
        HitOut(
            document_id=h.document_id,
            version_id=h.version_id,
            source=h.source,
            number=h.number,
            kind=h.kind,
            title=h.title,
            body=h.body,
            group=h.group,
            meeting=h.meeting,
            release=h.release,
            spec=h.spec,
            date=h.date,
            label=h.label,
            score=round(h.score, 4),
            matched_sections=h.matched_sections,
            sections=[
                SectionHitOut(
                    ord=s.ord,
                    number=s.number,
                    heading=s.heading,
                    anchor=clause_anchor(s.number, s.ord),
                    snippet=str(highlighted(s.snippet)),
                    text=plain(s.snippet),
                    score=round(s.score, 4),
                )
                for s in h.sections
            ],
        )
        for h in result.hits
    ]
    facets = {
        name: [
            FacetValue(value=value, count=count, selected=value in getattr(params, name, []))
            for value, count in result.facets.get(name, [])
        ]
        for name in FACET_FIELDS
    }
    return SearchPage(
        q=params.q,
        sort=params.sort,
        total=result.total,
        pagination=Pagination.of(page, per_page, min(result.total, MAX_RESULTS_REACHABLE)),
        hits=hits,
        facets=facets,
    )


def empty_page(params: SearchParams, error: str | None = None) -> SearchPage:
    return SearchPage(
        q=params.q,
        sort=params.sort,
        total=0,
        pagination=Pagination.of(1, params.per_page, 0),
        hits=[],
        facets={},
        error=error,
    )
