"""The scheduler of ``sepwatch run``: APScheduler with its jobs persisted in the store of record.

Jobs (ids): ``crawl:<source>`` for every configured source with a schedule, ``reminders``,
``digest:daily`` and ``digest:weekly`` are persisted (table ``apscheduler_jobs``), so a restart
keeps their next run and a machine that slept past one or more runs runs each once on waking
(coalesce, within ``schedule.misfire_grace_s``). ``pipeline`` (match new versions, raise alerts:
every few minutes and after each crawl) and ``relay`` (deliver the outbox) run from start-up on
and are not persisted. Crawls run in their own executor of ``schedule.max_parallel_crawls``
threads, each waiting on its child process, so a long crawl never holds up the relay.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from index.alerts import release_dead_claims
from scheduler import jobs
from scheduler.childrun import KILL_GRACE_S, TIME_LIMIT_MARGIN_S, CrawlChildren
from scheduler.plan import source_schedules, unknown_scheduled_sources
from sepwatch.app import App

if TYPE_CHECKING:
    from alerts.channels import Channel

log = logging.getLogger(__name__)

PERSISTED = "default"  # the job store in the store of record
VOLATILE = "memory"
CRAWLS = "crawls"  # the executor of crawl jobs
OTHER_JOBS = 4  # pipeline, relay, reminders, a digest: the default executor's threads
PIPELINE_INTERVAL_S = 300.0
KILLED_JOBS_WAIT_S = 15.0  # after the crawl children were killed, for the jobs to return
LEDGERED_JOBS = ("reminders", "digest:daily", "digest:weekly")


class AlreadyRunning(RuntimeError):
    """Another daemon of this host uses the same store."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    func: str  # textual reference: the persisted job holds no pickled code
    args: tuple[str, ...]
    trigger: BaseTrigger
    executor: str = "default"


def same_schedule(a: BaseTrigger, b: BaseTrigger) -> bool:
    """Whether two triggers fire at the same times (the stored one keeps its next run time)."""
    if type(a) is not type(b) or str(getattr(a, "timezone", "")) != str(getattr(b, "timezone", "")):
        return False
    if isinstance(a, IntervalTrigger) and isinstance(b, IntervalTrigger):
        return bool(a.interval == b.interval and a.jitter == b.jitter)
    return isinstance(a, CronTrigger) and str(a) == str(b)


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler 3 makes one more pass over due jobs after shutdown(); the executors are gone
    by then, so the pass would move those jobs' next run past them without running them.

    APScheduler catches a failing ``get_due_jobs`` but not a failing ``update_job`` or
    ``get_next_run_time`` in the same pass (the store went away in between, e.g. a PostgreSQL
    restart): the exception would end the scheduler's thread and no job would ever run again."""

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        try:
            wait: float | None = super()._process_jobs()
        except Exception:
            log.exception("the scheduler could not update its job store; trying again shortly")
            return float(self.jobstore_retry_interval)
        return wait


def _at(hhmm: str) -> dict[str, int]:
    hour, minute = hhmm.split(":")
    return {"hour": int(hour), "minute": int(minute)}


class Daemon:
    """Owns the scheduler and the crawl children of one ``sepwatch run`` process."""

    def __init__(
        self,
        app: App,
        *,
        time_limit_s: float | None = None,
        kill_grace_s: float = KILL_GRACE_S,
        pipeline_interval_s: float = PIPELINE_INTERVAL_S,
    ) -> None:
        self.app = app
        settings = app.settings
        schedule = settings.schedule
        # Children read the same file; without one, an empty file: the built-in defaults, with the
        # SEPWATCH_ environment passed through.
        self.config_path: Path = settings.config_file or Path("/dev/null")
        self.time_limit_s = (
            time_limit_s if time_limit_s is not None else settings.crawl.time_limit_s + TIME_LIMIT_MARGIN_S
        )
        self.pipeline_interval_s = pipeline_interval_s
        self.children = CrawlChildren(kill_grace_s=kill_grace_s)
        self.scheduler = _Scheduler(
            jobstores={
                PERSISTED: SQLAlchemyJobStore(engine=app.store.engine, tablename="apscheduler_jobs"),
                VOLATILE: MemoryJobStore(),
            },
            executors={
                "default": ThreadPoolExecutor(OTHER_JOBS),
                CRAWLS: ThreadPoolExecutor(schedule.max_parallel_crawls),
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": schedule.misfire_grace_s,
            },
            timezone=schedule.timezone,
        )
        self.stopping = threading.Event()
        self.pipeline_requested = threading.Event()
        self.pipeline_busy = threading.Event()
        self._lock = threading.Condition()
        self._pending = 0  # jobs submitted to an executor and not yet finished
        self._active_sources: set[str] = set()
        self._deferred: set[str] = set()  # crawl jobs that met the shutdown before they began
        self.channels: dict[str, Channel] | None = None  # built by the first relay, kept until the stop
        self.last_map_problems: tuple[str, ...] = ()
        self.run_id: int | None = None  # this daemon's run in the ledger
        self.scheduler.add_listener(self._count, EVENT_JOB_SUBMITTED)
        self.scheduler.add_listener(self._uncount, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Sync the persisted jobs with the configuration, re-run what a crash interrupted, go."""
        run_id, others = self.app.store.register_daemon()
        if run_id is None:
            raise AlreadyRunning(
                f"another sepwatch run (pid {others[0].pid}) is using this store; stop it first"
            )
        self.run_id = run_id
        for other in others:
            log.warning(
                "the ledger shows a daemon on host %s (pid %s) running on this store since %s; "
                "two daemons crawl and send twice: stop one (or ignore this if that host crashed)",
                other.host,
                other.pid,
                other.started_at,
            )
        if released := release_dead_claims(self.app.store, dt.datetime.now(dt.UTC)):
            log.info("%d deliveries leased by a relay that died are due again", released)
        jobs.bind(self)
        if self.app.settings.logging.level != "DEBUG":
            # "Running job …" every few seconds for the relay says nothing; failures still show.
            logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
        self.scheduler.start(paused=True)
        try:
            self._sync_persisted_jobs()
            self._add_volatile_jobs()
            self._rerun_interrupted()
        except BaseException:
            self.scheduler.shutdown(wait=False)
            jobs.unbind(self)
            self.app.store.finish_run(
                run_id, "failed", {}, [{"url": "", "reason": "the scheduler did not start"}]
            )
            raise
        self.scheduler.resume()
        for job in self.scheduler.get_jobs(PERSISTED):
            log.info("job %s: next run %s", job.id, job.next_run_time)

    def stop(self, grace_s: float = 30.0) -> None:
        """Stop taking new jobs, stop the crawl children, let running jobs finish, shut down."""
        self.stopping.set()
        self.scheduler.pause()
        running = self.children.running()
        if running:
            log.info("stopping the crawls of %s", ", ".join(running))
        self.children.stop_all()
        if not self._wait_idle(grace_s):
            log.warning("jobs still running after %.0f s; killing the crawl processes", grace_s)
            self.children.kill_all()
            # Crawls queued behind the killed ones now get their thread and defer themselves.
            self._wait_idle(KILLED_JOBS_WAIT_S)
        for job_id in sorted(self._deferred):
            # A job that was waiting for a free thread runs first thing at the next start.
            with contextlib.suppress(JobLookupError):
                self.scheduler.modify_job(job_id, PERSISTED, next_run_time=self.now())
        self.scheduler.shutdown(wait=True)
        for channel in (self.channels or {}).values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()
        jobs.unbind(self)
        if self.run_id is not None:
            self.app.store.finish_run(self.run_id, "stopped", {}, [])
        log.info("scheduler stopped")

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.scheduler.timezone)

    # --- the jobs ------------------------------------------------------------------------------

    def _desired_persisted(self) -> list[JobSpec]:
        settings = self.app.settings
        schedule = settings.schedule
        tz = schedule.timezone
        specs = [
            JobSpec(f"crawl:{s.source}", "scheduler.jobs:crawl_source", (s.source,), s.trigger, CRAWLS)
            for s in source_schedules(settings)
            if s.trigger is not None
        ]
        specs.append(
            JobSpec(
                "reminders",
                "scheduler.jobs:reminders",
                (),
                CronTrigger(timezone=tz, **_at(schedule.reminders_at)),
            )
        )
        specs.append(
            JobSpec(
                "digest:daily",
                "scheduler.jobs:digest",
                ("daily",),
                CronTrigger(timezone=tz, **_at(schedule.daily_digest_at)),
            )
        )
        specs.append(
            JobSpec(
                "digest:weekly",
                "scheduler.jobs:digest",
                ("weekly",),
                CronTrigger(
                    day_of_week=schedule.weekly_digest_day, timezone=tz, **_at(schedule.daily_digest_at)
                ),
            )
        )
        return specs

    def _sync_persisted_jobs(self) -> None:
        for name in unknown_scheduled_sources(self.app.settings):
            log.warning("schedule.sources names %r, which is not a configured source; ignored", name)
        desired = {spec.id: spec for spec in self._desired_persisted()}
        stored = {job.id: job for job in self.scheduler.get_jobs(PERSISTED)}
        for job_id in stored.keys() - desired.keys():
            self.scheduler.remove_job(job_id, PERSISTED)
            log.info("job %s removed: no longer configured", job_id)
        for spec in desired.values():
            old = stored.get(spec.id)
            options: dict[str, Any] = {}
            if old is not None and same_schedule(old.trigger, spec.trigger):
                options["next_run_time"] = old.next_run_time  # a restart neither resets nor skips it
            elif old is None and isinstance(spec.trigger, IntervalTrigger):
                options["next_run_time"] = self.now()  # a new source is crawled at once
            elif old is not None:
                log.info("job %s: schedule changed", spec.id)
            self.scheduler.add_job(
                spec.func,
                spec.trigger,
                args=spec.args,
                id=spec.id,
                name=spec.id,
                jobstore=PERSISTED,
                executor=spec.executor,
                replace_existing=True,
                **options,
            )

    def _add_volatile_jobs(self) -> None:
        now = self.now()
        schedule = self.app.settings.schedule
        for job_id, interval in (
            ("pipeline", self.pipeline_interval_s),
            ("relay", schedule.relay_interval_s),
        ):
            self.scheduler.add_job(
                f"scheduler.jobs:{job_id}",
                IntervalTrigger(seconds=interval, timezone=schedule.timezone),
                id=job_id,
                name=job_id,
                jobstore=VOLATILE,
                next_run_time=now,
                replace_existing=True,
            )

    def _rerun_interrupted(self) -> None:
        """A run a crash (or the last shutdown) interrupted is run again once, now."""
        store = self.app.store
        scheduled = [s.source for s in source_schedules(self.app.settings) if s.trigger is not None]
        again: list[tuple[str, str, tuple[str, ...], str]] = [
            (f"crawl:{name}", "scheduler.jobs:crawl_source", (name,), CRAWLS)
            for name, status in store.latest_run_status("crawl", scheduled).items()
            if status == "interrupted"
        ]
        for job_id, status in store.latest_run_status("job", LEDGERED_JOBS).items():
            if status == "interrupted":
                if job_id == "reminders":
                    again.append((job_id, "scheduler.jobs:reminders", (), "default"))
                else:
                    again.append((job_id, "scheduler.jobs:digest", (job_id.split(":", 1)[1],), "default"))
        for job_id, func, args, executor in again:
            log.info("%s was interrupted; running it again now", job_id)
            self.scheduler.add_job(
                func,
                "date",
                run_date=self.now(),
                args=args,
                id=f"rerun:{job_id}",
                name=f"rerun:{job_id}",
                jobstore=VOLATILE,
                executor=executor,
                replace_existing=True,
            )

    def wake(self, job_id: str) -> None:
        """Run a volatile job (pipeline, relay) as soon as possible."""
        if self.stopping.is_set():
            return
        try:
            self.scheduler.modify_job(job_id, VOLATILE, next_run_time=self.now())
        except Exception as exc:  # the scheduler is shutting down under us
            log.debug("cannot wake %s: %s", job_id, exc)

    def request_pipeline(self) -> None:
        self.pipeline_requested.set()
        if not self.pipeline_busy.is_set():
            self.wake("pipeline")

    # --- bookkeeping ---------------------------------------------------------------------------

    def claim_source(self, name: str) -> bool:
        """Whether the caller may crawl ``name`` now (no other crawl of it is under way)."""
        with self._lock:
            if name in self._active_sources:
                return False
            self._active_sources.add(name)
            return True

    def release_source(self, name: str) -> None:
        with self._lock:
            self._active_sources.discard(name)

    def defer(self, job_id: str) -> None:
        with self._lock:
            self._deferred.add(job_id)

    def _count(self, _event: JobEvent) -> None:
        with self._lock:
            self._pending += 1

    def _uncount(self, _event: JobEvent) -> None:
        with self._lock:
            self._pending -= 1
            self._lock.notify_all()

    def _wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True
