"""Per-source, per-URL fetch state: what makes crawling incremental.

For every URL a source fetched it keeps the HTTP validators (ETag, Last-Modified) for conditional
requests, the stamp a listing showed for it (date and size), and the hash of the body. A crawl
loads its source's states at the start and saves the ones it confirmed only when it finishes
cleanly, so a crawl that died half-way never marks unprocessed pages as seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from index.db import dialect_insert
from index.models import FetchState, utcnow
from index.store import Store


@dataclass(slots=True)
class State:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    stamp: str | None = None
    content_hash: str | None = None


def load(store: Store, source: str) -> dict[str, State]:
    with store.session() as s:
        return {
            r.url: State(r.url, r.etag, r.last_modified, r.stamp, r.content_hash)
            for r in s.scalars(select(FetchState).where(FetchState.source == source))
        }


def save(store: Store, source: str, states: Iterable[State]) -> int:
    rows = [
        {
            "source": source,
            "url": st.url,
            "etag": st.etag,
            "last_modified": st.last_modified,
            "stamp": st.stamp,
            "content_hash": st.content_hash,
            "fetched_at": utcnow(),
        }
        for st in states
    ]
    if not rows:
        return 0
    with store.session(write=True) as s:
        insert = dialect_insert(s)
        for start in range(0, len(rows), 500):
            stmt = insert(FetchState).values(rows[start : start + 500])
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source", "url"],
                    set_={
                        k: getattr(stmt.excluded, k)
                        for k in ("etag", "last_modified", "stamp", "content_hash", "fetched_at")
                    },
                )
            )
    return len(rows)
