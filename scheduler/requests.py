"""What other processes (the web UI) ask of the daemon, through the job store it reads.

The daemon need not run in the asking process, nor on the same host: a request is a change to its
persisted jobs (table ``apscheduler_jobs`` in the store of record), which it picks up by itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select

from index.models import SchedulerJob
from index.store import Store
from sepwatch.app import App

CRAWL_PREFIX = "crawl:"


def crawl_job_id(source: str) -> str:
    return f"{CRAWL_PREFIX}{source}"


def _job_store(app: App) -> Any:
    # The same store as scheduler.daemon's PERSISTED one; the table exists (migration 0005).
    store = SQLAlchemyJobStore(engine=app.store.engine, tablename=SchedulerJob.__tablename__)
    store.start(None, "default")
    return store


def crawl_soon(app: App, source: str) -> bool:
    """Make the daemon's job ``crawl:<source>`` due now; False when there is no such persisted job
    (the source is not scheduled, or no daemon has started on this store since it was configured).

    Setting the stored next run time is enough for a running daemon: APScheduler 3's
    ``BackgroundScheduler._process_jobs`` calls ``get_due_jobs(now)`` on every job store (a query
    on this table) each time it wakes up, and it sleeps at most until the earliest next run time of
    all its stores — the in-memory relay job's, every ``schedule.relay_interval_s``. A daemon that
    is down runs the job at its next start (it keeps stored next run times), if that comes within
    ``schedule.misfire_grace_s``. A crawl of the source already under way covers the request.
    """
    store = _job_store(app)
    job = store.lookup_job(crawl_job_id(source))
    if job is None:
        return False
    now = dt.datetime.now(getattr(job.trigger, "timezone", None) or dt.UTC)
    if job.next_run_time is None or job.next_run_time > now:
        # Job.next_run_time is what the daemon runs by; update_job also writes the indexed column.
        job.next_run_time = now
        store.update_job(job)
    return True


def next_crawls(store: Store) -> dict[str, dt.datetime]:
    """The next run time of every persisted crawl job, by source name."""
    with store.session() as s:
        rows = s.execute(
            select(SchedulerJob.id, SchedulerJob.next_run_time).where(
                SchedulerJob.id.startswith(CRAWL_PREFIX)
            )
        ).all()
    return {
        job_id.removeprefix(CRAWL_PREFIX): dt.datetime.fromtimestamp(timestamp, dt.UTC)
        for job_id, timestamp in rows
        if timestamp is not None
    }
