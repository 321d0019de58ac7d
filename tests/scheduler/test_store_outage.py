"""The scheduler and the service outlive a store that is briefly unreachable (a PostgreSQL restart)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from sqlalchemy.exc import OperationalError

from config import Settings
from scheduler.daemon import _Scheduler
from sepwatch.app import App
from sepwatch.service import serve


class StoreGoneAfterReading(MemoryJobStore):  # type: ignore[misc]
    """A job store whose database goes away between reading the due jobs and writing them back."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def update_job(self, job: Any) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("UPDATE apscheduler_jobs", {}, Exception("server closed the connection"))
        super().update_job(job)


def test_a_store_failing_in_the_middle_of_a_pass_does_not_stop_the_scheduler() -> None:
    store = StoreGoneAfterReading(failures=2)
    scheduler = _Scheduler(jobstores={"default": store}, jobstore_retry_interval=0.1)
    runs = threading.Semaphore(0)
    scheduler.add_job(runs.release, "interval", seconds=0.05, id="tick")
    scheduler.start()
    try:
        # The first two passes fail to write the job back; later ones must still run it.
        for _ in range(5):
            assert runs.acquire(timeout=30), "the scheduler stopped running jobs after a store failure"
        assert store.failures == 0
        assert scheduler._thread.is_alive()
    finally:
        scheduler.shutdown(wait=True)


def test_the_service_keeps_running_when_indexing_meets_an_unreachable_store(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    with App.open(settings) as app:
        real_drain = app.indexer.drain
        calls: list[str] = []

        def drain() -> int:
            calls.append("drain")
            if len(calls) == 2:  # the first round of the loop, after the start-up catch-up
                raise OperationalError("SELECT index_queue", {}, Exception("server closed the connection"))
            if len(calls) >= 4:
                stop.set()
            return real_drain()

        monkeypatch.setattr(app.indexer, "drain", drain)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                serve(app, stop, poll_seconds=0.05)
            except BaseException as exc:
                errors.append(exc)

        service = threading.Thread(target=run)
        service.start()
        service.join(timeout=120)
        stop.set()
        service.join(timeout=60)
        assert not errors, f"sepwatch run ended on a store outage: {errors[0]!r}"
        assert len(calls) >= 4
        assert app.store.recent_runs()[0].status == "stopped"
