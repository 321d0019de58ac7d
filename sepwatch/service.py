"""``sepwatch run``: the long-running service.

It recovers what a crash left behind (interrupted runs, unindexed versions), starts the scheduler
(crawls, matching, alerts, delivery: see :mod:`scheduler.daemon`) and any extra services passed to
:func:`serve` (the web UI), and keeps the search index caught up with the store until it is told
to stop. The first SIGTERM or SIGINT stops it gracefully; a second one ends it at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Sequence
from typing import Protocol

from sepwatch.app import App

log = logging.getLogger(__name__)

INDEX_CATCH_UP_SECONDS = 30.0
SHUTDOWN_GRACE_SECONDS = 20.0


class ExtraService(Protocol):
    """Something that runs beside the scheduler, e.g. the web UI: started after, stopped before it."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def recover_runs(app: App) -> None:
    for run in app.store.mark_interrupted_runs():
        log.warning("run %d (%s %s, pid %s) was interrupted", run.id, run.kind, run.source or "", run.pid)


def catch_up_index(app: App) -> None:
    if pending := app.store.pending_index_count():
        log.info("indexing %d versions left over from an earlier run", pending)
    app.indexer.drain()


def drain_index(app: App) -> None:
    """Index what is queued; a store that is briefly unreachable (a PostgreSQL restart) leaves the
    queue for the next round instead of ending the service."""
    try:
        app.indexer.drain()
    except Exception as exc:
        log.warning("indexing new versions failed, trying again later: %s: %s", type(exc).__name__, exc)


def handle_signals(stop: threading.Event) -> None:
    """First SIGTERM/SIGINT: set ``stop``; a second: exit now (the outbox and ledger survive a crash)."""

    def _on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            logging.shutdown()
            os._exit(128 + signum)
        log.info("%s received: stopping (send it again to exit at once)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def serve(
    app: App,
    stop: threading.Event,
    poll_seconds: float = INDEX_CATCH_UP_SECONDS,
    extras: Sequence[ExtraService] = (),
) -> None:
    from scheduler.daemon import Daemon

    recover_runs(app)
    daemon = Daemon(app)
    daemon.start()  # re-runs what the crash interrupted; alerts flow while the index catches up
    started: list[ExtraService] = []
    try:
        catch_up_index(app)
        for extra in extras:
            extra.start()
            started.append(extra)
        log.info(
            "sepwatch is running: store %s, search %s; stop with Ctrl-C or SIGTERM",
            app.settings.redacted_store_url(),
            app.search.name,
        )
        while not stop.wait(poll_seconds):
            drain_index(app)
    finally:
        for extra in reversed(started):
            extra.stop()
        daemon.stop(SHUTDOWN_GRACE_SECONDS)
    drain_index(app)
    log.info("sepwatch stopped")
