"""Keeps the search index in step with the store of record, through the index queue."""

from __future__ import annotations

import logging

from index.faults import checkpoint
from index.search.base import IndexUnavailable, SearchIndex
from index.store import Store

log = logging.getLogger(__name__)


class Indexer:
    def __init__(self, store: Store, search: SearchIndex, batch_versions: int = 200) -> None:
        self.store, self.search, self.batch = store, search, batch_versions

    def drain(self) -> int:
        """Index every queued version; returns how many. Stops, keeping the queue, if the index is down."""
        done = 0
        while entries := self.store.pending_index(self.batch):
            ids = [e.version_id for e in entries]
            try:
                self.search.add(self.store.index_versions(ids))
            except IndexUnavailable as exc:
                self.store.index_failed(ids, str(exc))
                log.warning("search index unavailable, %d versions wait in the queue: %s", len(ids), exc)
                break
            checkpoint("after-index-add")
            self.store.index_done(entries)
            done += len(ids)
        return done

    def rebuild(self) -> int:
        """Drop the index and build it again from the store; returns the versions indexed.

        Everything is queued before the index is cleared: a crash in between leaves work in the
        queue, which the next drain (import or ``sepwatch run``) completes.
        """
        self.store.enqueue_all()
        self.search.clear()
        done = self.drain()
        optimize = getattr(self.search, "optimize", None)
        if callable(optimize):
            optimize()
        return done
