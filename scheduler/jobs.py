"""The daemon's jobs: module-level functions the persisted jobs name by textual reference.

A job's arguments are plain strings (a source name, a digest period); everything else comes from
the daemon running in this process, which registers itself with :func:`bind`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.daemon import Daemon
    from sepwatch.app import App

log = logging.getLogger(__name__)

RELAY_BATCH = 500

_daemon: Daemon | None = None


def bind(daemon: Daemon) -> None:
    global _daemon
    _daemon = daemon


def unbind(daemon: Daemon) -> None:
    global _daemon
    if _daemon is daemon:
        _daemon = None


def current() -> Daemon:
    if _daemon is None:
        raise RuntimeError("no sepwatch daemon runs in this process")
    return _daemon


# --- crawls ----------------------------------------------------------------------------------


def crawl_source(name: str) -> None:
    """Crawl ``name`` in a child process and settle its run in the ledger."""
    daemon = current()
    if daemon.stopping.is_set():
        daemon.defer(f"crawl:{name}")
        return
    if not daemon.claim_source(name):
        log.info("crawl %s: already under way; this run is covered by it", name)
        return
    try:
        _crawl(daemon, name)
    finally:
        daemon.release_source(name)
    daemon.request_pipeline()


def _crawl(daemon: Daemon, name: str) -> None:
    store = daemon.app.store
    try:
        result = daemon.children.run(name, config=daemon.config_path, time_limit_s=daemon.time_limit_s)
    except RuntimeError:  # shutting down: the crawl never started
        daemon.defer(f"crawl:{name}")
        return
    report = result.report
    if report is not None and (result.stopped_by is None or report.get("status") == "succeeded"):
        _log_report(name, report)  # the child recorded its run, whatever stopped it afterwards
        return
    if result.stopped_by == "time limit":
        status, reason = "failed", f"stopped after the time limit of {daemon.time_limit_s:.0f} s"
    elif result.stopped_by == "shutdown":
        status, reason = "interrupted", "stopped by the daemon's shutdown; crawled again at the next start"
    else:  # it died without finishing its run
        last_words = f": {result.stderr_tail[-1][:300]}" if result.stderr_tail else ""
        status, reason = "failed", result.exit_reason + last_words
    changed = store.end_child_runs(result.pid, result.started_at, name, status, reason, also_failed=True)
    if changed:
        log.warning("crawl %s: %s (run %s): %s", name, status, ", ".join(map(str, changed)), reason)


def _log_report(name: str, report: dict[str, Any]) -> None:
    counts = report.get("counts") or {}
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing new"
    status, run = report.get("status"), report.get("run")
    if status == "succeeded":
        log.info("crawl %s: succeeded (run %s): %s", name, run, summary)
        return
    errors = report.get("errors") or []
    first = f"; first error: {errors[0].get('url')}: {errors[0].get('reason')}" if errors else ""
    log.warning("crawl %s: %s (run %s): %s, %d errors%s", name, status, run, summary, len(errors), first)


# --- matching, alerts, delivery ----------------------------------------------------------------


def pipeline() -> None:
    """Match the new versions against the claim maps, then raise and route the alerts they cause.

    A crawl that finishes meanwhile asks for another pass (``pipeline_requested``); while this job
    is busy that request is answered here, not by waking the job, which would be skipped as a
    second instance.
    """
    daemon = current()
    while not daemon.stopping.is_set():
        daemon.pipeline_busy.set()
        try:
            while not daemon.stopping.is_set():
                daemon.pipeline_requested.clear()
                _pass(daemon)
                if not daemon.pipeline_requested.is_set():
                    break
        finally:
            daemon.pipeline_busy.clear()
        if not daemon.pipeline_requested.is_set():  # nothing asked for between the last pass and now
            return


def _pass(daemon: Daemon) -> None:
    _match_new(daemon)
    from alerts.pipeline import evaluate

    report = evaluate(daemon.app)
    if report.alerts or report.errors:
        log.info(
            "%d alerts raised (%s), %d deliveries queued",
            len(report.alerts),
            ", ".join(f"{kind} {n}" for kind, n in sorted(report.kinds.items())),
            report.deliveries,
        )
    for error in report.errors:
        log.warning("alert evaluation: %s", error)
    if report.deliveries:
        daemon.wake("relay")


def _match_new(daemon: Daemon) -> None:
    settings = daemon.app.settings
    folder = settings.matcher.claims_dir
    if folder is None:
        return  # nothing to match against; the change log waits for the first claim maps
    from matcher.claimmap import load_dir
    from matcher.runner import process_new

    maps, errors = load_dir([folder])
    problems = tuple(str(e) for e in errors)
    if problems != daemon.last_map_problems:
        for problem in problems:
            log.warning("claim map not used: %s", problem)
        daemon.last_map_problems = problems
    report = process_new(daemon.app.store, settings, maps)
    if report.versions or report.matches or report.drift:
        log.info(
            "matched %d new versions: %d new matches, %d drift events",
            report.versions,
            len(report.matches),
            len(report.drift),
        )


def relay() -> None:
    """Deliver what is due in the outbox; a full batch asks for another pass at once."""
    daemon = current()
    from alerts.relay import relay_due

    if daemon.channels is None:
        from alerts.channels import build_channels

        daemon.channels = dict(build_channels(daemon.app.settings))
    limit = RELAY_BATCH
    report = relay_due(daemon.app, daemon.channels, limit=limit)
    if report.claimed:
        log.info(
            "relay: %d sent, %d retrying, %d dead, %d deferred",
            report.sent,
            report.retrying,
            report.dead,
            report.deferred,
        )
        for channel, error in report.errors.items():
            log.warning("relay: channel %s: %s", channel, error)
    if report.claimed >= limit:
        daemon.wake("relay")


def reminders() -> None:
    """Deadline and milestone reminders (daily)."""
    from alerts.pipeline import remind

    _ledgered("reminders", remind)


def digest(period: str) -> None:
    """Bundle the held alerts of people who chose a daily or weekly digest."""
    from alerts.digest import build_digests

    _ledgered(f"digest:{period}", lambda app: build_digests(app, period))


def _ledgered(job_id: str, work: Callable[[App], Any]) -> None:
    """Run ``work`` as a run in the ledger, so a crash in the middle is run again at start-up."""
    daemon = current()
    if daemon.stopping.is_set():
        daemon.defer(job_id)
        return
    store = daemon.app.store
    run_id = store.start_run("job", job_id, {})
    try:
        result = work(daemon.app)
    except Exception as exc:
        store.finish_run(run_id, "failed", {}, [{"url": job_id, "reason": f"{type(exc).__name__}: {exc}"}])
        raise
    counts = {"items": result} if isinstance(result, int) else {}
    store.finish_run(run_id, "succeeded", counts, [])
    daemon.wake("relay")
