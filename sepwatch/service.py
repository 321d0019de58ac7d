"""``sepwatch run``: the long-running service.

Today it recovers what a crash left behind (interrupted runs, unindexed versions) and keeps the
search index caught up with the store until it is told to stop; the scheduler and the web UI
join it here as they are built.
"""

from __future__ import annotations

import logging
import threading

from sepwatch.app import App

log = logging.getLogger(__name__)

INDEX_CATCH_UP_SECONDS = 30.0


def recover(app: App) -> None:
    for run in app.store.mark_interrupted_runs():
        log.warning("run %d (%s %s, pid %s) was interrupted", run.id, run.kind, run.source or "", run.pid)
    if pending := app.store.pending_index_count():
        log.info("indexing %d versions left over from an earlier run", pending)
    app.indexer.drain()


def serve(app: App, stop: threading.Event, poll_seconds: float = INDEX_CATCH_UP_SECONDS) -> None:
    recover(app)
    log.info(
        "sepwatch is running: store %s, search %s; stop with Ctrl-C or SIGTERM",
        app.settings.redacted_store_url(),
        app.search.name,
    )
    while not stop.wait(poll_seconds):
        app.indexer.drain()
    log.info("sepwatch stopped")
