"""Keeps the search index in step with the store of record, through the index queue."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from index.faults import checkpoint
from index.search.base import IndexUnavailable, IndexVersion, SearchError, SearchIndex
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
            except (IndexUnavailable, SearchError) as exc:
                # Down, or refusing some documents: they stay queued and are tried again later.
                self.store.index_failed(ids, str(exc))
                log.warning("search index unavailable, %d versions wait in the queue: %s", len(ids), exc)
                break
            checkpoint("after-index-add")
            self.store.index_done(entries)
            done += len(ids)
        return done

    def rebuild(self) -> int:
        """Build the index again from the store; returns the versions indexed.

        Everything is queued first and the queue is cleared only once the new index is complete,
        so a crash at any point leaves work in the queue, which the next drain (an import or
        ``sepwatch run``) completes.
        """
        queued_at = self.store.enqueue_all()

        def batches() -> Iterator[list[IndexVersion]]:
            for ids in self.store.all_version_ids(batch=self.batch):
                yield self.store.index_versions(ids)
                checkpoint("during-index-rebuild")

        count = self.search.replace_all(batches())
        checkpoint("after-index-rebuild")
        # Only the entries queued for this rebuild: versions stored or changed meanwhile stay queued.
        self.store.index_done_queued_at(queued_at)
        self.search.optimize()
        return count
