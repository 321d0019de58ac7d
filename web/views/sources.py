"""Sources: the health of every source, the last runs with their errors, the index and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from config import Settings
from crawlers.sources import available
from index import alerts as alert_store
from index.search.base import SearchError, SearchIndex
from index.store import Store
from scheduler.requests import next_crawls
from web.views.common import aware

RUNS_SHOWN = 30
DEAD_LETTERS_SHOWN = 50


class SourceHealthOut(BaseModel):
    source: str
    state: str = Field(description="healthy | failing | unhealthy | never run | not configured")
    consecutive_failures: int
    last_run: str | None
    last_status: str | None
    last_success: str | None
    last_error: str | None
    next_crawl: dt.datetime | None = Field(
        default=None, description="When the daemon's persisted job crawls it next; None: no such job."
    )


class RunError(BaseModel):
    item: str
    reason: str


class RunOut(BaseModel):
    id: int
    kind: str
    source: str | None
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    seconds: float | None
    counts: dict[str, int]
    errors: list[RunError]


class DeadLetterOut(BaseModel):
    id: int
    alert_id: int | None
    recipient: str
    channel: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime | None


class SourcesPage(BaseModel):
    health: list[SourceHealthOut]
    runs: list[RunOut]
    index_backend: str
    index_counts: dict[str, int]
    index_error: str | None
    index_pending: int
    outbox: dict[str, int]
    dead_letters: list[DeadLetterOut]


def _errors(raw: Any) -> list[RunError]:
    out = []
    for e in raw or []:
        if isinstance(e, dict):
            item = e.get("item") or e.get("url") or e.get("file") or e.get("path") or ""
            out.append(RunError(item=str(item), reason=str(e.get("reason") or e.get("error") or "")))
        else:
            out.append(RunError(item="", reason=str(e)))
    return out


def sources_page(store: Store, search: SearchIndex, settings: Settings) -> SourcesPage:
    health = store.source_health(available(settings), settings.crawl.unhealthy_after_failures)
    scheduled = next_crawls(store)
    runs = []
    for r in store.recent_runs(RUNS_SHOWN):
        started, finished = aware(r.started_at), aware(r.finished_at)
        runs.append(
            RunOut(
                id=r.id,
                kind=r.kind,
                source=r.source,
                status=r.status,
                started_at=started,
                finished_at=finished,
                seconds=round((finished - started).total_seconds(), 1) if started and finished else None,
                counts={str(k): int(v) for k, v in (r.counts or {}).items() if isinstance(v, int)},
                errors=_errors(r.errors),
            )
        )
    try:
        index_counts, index_error = search.counts(), None
    except SearchError as exc:
        index_counts, index_error = {}, str(exc)
    return SourcesPage(
        health=[SourceHealthOut(**h, next_crawl=scheduled.get(h["source"])) for h in health],
        runs=runs,
        index_backend=search.name,
        index_counts=index_counts,
        index_error=index_error,
        index_pending=store.pending_index_count(),
        outbox=alert_store.outbox_counts(store),
        dead_letters=[
            DeadLetterOut(
                id=d.id,
                alert_id=d.alert_id,
                recipient=d.recipient,
                channel=d.channel,
                attempts=d.attempts,
                last_error=d.last_error,
                created_at=aware(d.created_at),
            )
            for d in alert_store.dead_letters(store, DEAD_LETTERS_SHOWN)
        ],
    )
