"""Plots: contributions per company per meeting (3GPP TDoc sources), documents per group per month."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from index.models import Document, Version
from index.store import Store
from web.views import svg

MEETINGS_SHOWN = 8
COMPANIES_SHOWN = 15
GROUPS_SHOWN = 8
MONTHS_SHOWN = 24


class ContributionRow(BaseModel):
    company: str
    counts: list[int] = Field(
        description="TDocs listing the company as a source, per meeting (columns order)."
    )
    total: int


class ContributionsPlot(BaseModel):
    group: str | None
    groups: list[str]
    meetings: list[str]
    rows: list[ContributionRow]
    tdocs: list[int] = Field(description="TDocs per meeting.")

    def chart(self, title: str) -> Markup:
        return svg.heatmap(
            "contributions",
            title,
            [r.company for r in self.rows],
            self.meetings,
            [r.counts for r in self.rows],
        )


class GroupSeries(BaseModel):
    group: str
    counts: list[int]
    total: int


class DocumentsPlot(BaseModel):
    months: list[str]
    series: list[GroupSeries]

    def chart(self, title: str) -> Markup:
        return svg.line_chart("documents", title, self.months, [(s.group, s.counts) for s in self.series])


def _company(name: str) -> str:
    return " ".join(name.split())


def contributions(
    store: Store, group: str | None = None, meetings: int = MEETINGS_SHOWN, companies: int = COMPANIES_SHOWN
) -> ContributionsPlot:
    """TDocs per source company in the latest ``meetings`` meetings (of ``group``), the
    ``companies`` busiest companies. A TDoc with several sources counts once for each."""
    with store.session() as s:
        groups = sorted(
            g
            for g in s.scalars(
                select(Document.group_name)
                .where(Document.kind == "tdoc", Document.meeting.is_not(None))
                .distinct()
            )
            if g
        )
        latest = (
            select(
                Document.meeting, func.max(Version.doc_date).label("last"), func.count(Document.id.distinct())
            )
            .join(Version, (Version.document_id == Document.id) & (Version.seq == Document.version_count))
            .where(Document.kind == "tdoc", Document.meeting.is_not(None))
            .group_by(Document.meeting)
        )
        if group:
            latest = latest.where(Document.group_name == group)
        found = sorted(
            ((str(m), last, int(n)) for m, last, n in s.execute(latest) if m),
            key=lambda r: (r[1] or dt.date.min, r[0]),
            reverse=True,
        )
        chosen = [r[0] for r in found[:meetings]][::-1]
        tdocs = {r[0]: r[2] for r in found}
        per: dict[str, Counter[str]] = {m: Counter() for m in chosen}
        names: dict[str, str] = {}
        if chosen:
            rows = select(Document.meeting, Document.meta["sources"]).where(
                Document.kind == "tdoc", Document.meeting.in_(chosen)
            )
            if group:
                rows = rows.where(Document.group_name == group)
            for meeting, sources in s.execute(rows):
                if meeting not in per:
                    continue
                for raw in sources if isinstance(sources, list) else []:
                    if not isinstance(raw, str) or not raw.strip():
                        continue
                    name = _company(raw)
                    key = name.casefold()
                    names.setdefault(key, name)
                    per[meeting][key] += 1
    totals: Counter[str] = Counter()
    for counter in per.values():
        totals.update(counter)
    top = [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:companies]]
    return ContributionsPlot(
        group=group,
        groups=groups,
        meetings=chosen,
        rows=[
            ContributionRow(company=names[k], counts=[per[m][k] for m in chosen], total=totals[k])
            for k in top
        ],
        tdocs=[tdocs.get(m, 0) for m in chosen],
    )


def _month_of(s: Session, column: Any, fallback: Any) -> ColumnElement[str]:
    if s.get_bind().dialect.name == "postgresql":
        return func.to_char(func.coalesce(column, func.date(fallback)), "YYYY-MM")
    # SQLite keeps dates and timestamps as ISO text: the month is the first seven characters.
    return func.substr(func.coalesce(column, fallback), 1, 7)


def _months(last: dt.date, count: int) -> list[str]:
    year, month = last.year, last.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def documents_per_group(
    store: Store, today: dt.date, months: int = MONTHS_SHOWN, groups: int = GROUPS_SHOWN
) -> DocumentsPlot:
    """New documents per working group per month (by the date of their first version), the
    ``groups`` busiest groups of the last ``months`` months."""
    labels = _months(today, months)
    first = dt.date.fromisoformat(f"{labels[0]}-01")
    with store.session() as s:
        month = _month_of(s, Version.doc_date, Version.created_at).label("month")
        rows = s.execute(
            select(Document.group_name, month, func.count())
            .join(Version, (Version.document_id == Document.id) & (Version.seq == 1))
            .where(
                Document.group_name.is_not(None),
                or_(
                    Version.doc_date >= first,
                    and_(
                        Version.doc_date.is_(None),
                        Version.created_at >= dt.datetime.combine(first, dt.time(), dt.UTC),
                    ),
                ),
            )
            .group_by(Document.group_name, month)
        ).all()
    wanted = set(labels)
    counts: dict[str, Counter[str]] = {}
    for group_name, month_label, n in rows:
        if group_name and month_label in wanted:
            counts.setdefault(group_name, Counter())[month_label] += int(n)
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:groups]
    return DocumentsPlot(
        months=labels,
        series=[
            GroupSeries(group=g, counts=[c[m] for m in labels], total=sum(c.values())) for g, c in ranked
        ],
    )
