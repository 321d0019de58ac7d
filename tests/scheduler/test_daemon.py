"""``sepwatch run`` as a real process: crawls on schedule into the ledger, time limits, shutdown,
re-running interrupted crawls, and one catch-up run after missed schedules (real job store)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import time

import pytest

from scheduler.daemon import Daemon
from sepwatch.app import App
from tests.mirror import Mirror
from tests.scheduler.daemons import (
    FEED_PATH,
    RSS,
    Deployment,
    move_next_run,
    pid_alive,
    rss,
    stored_jobs,
)

pytestmark = pytest.mark.slow

ITEMS = [("a1", "Handover", "The UE sends a measurement report."), ("a2", "Paging", "Paging text.")]


def feed_config(url: str, schedule: str, **extra: object) -> dict[str, object]:
    return {
        "feeds": [{"name": "testfeed", "url": url + FEED_PATH}],
        "schedule": {"default": schedule},
        **extra,
    }


def finished(runs: list[object]) -> list[object]:
    return [r for r in runs if getattr(r, "status", None) != "running"]


def test_crawls_run_on_schedule_into_the_ledger_and_sigterm_stops_cleanly(
    deployment: Deployment, mirror: Mirror
) -> None:
    mirror.put(FEED_PATH, rss(*ITEMS), RSS)
    deployment.configure(feed_config(mirror.url, "every 2s"))
    daemon = deployment.daemon()
    runs = daemon.wait_for(
        lambda: len([r for r in deployment.runs("testfeed") if r.status == "succeeded"]) >= 3 or None,
        "three scheduled crawls",
        timeout=120,
    )
    assert daemon.terminate(timeout=60) == 0
    assert "sepwatch stopped" in daemon.log

    runs = deployment.runs("testfeed")
    assert all(r.status != "running" for r in runs), [(r.id, r.status) for r in runs]
    done = [r for r in runs if r.status == "succeeded"]
    assert len(done) >= 3
    assert done[0].counts.get("new_document") == 2  # the first crawl stored the entries
    assert all(r.counts.get("not_modified") == 1 for r in done[1:])  # later ones asked conditionally
    # One crawl of a source at a time: each run began after the one before had finished.
    for before, after in itertools.pairwise(runs):
        assert before.finished_at is not None and after.started_at >= before.finished_at
    # Each crawl is a child process of its own, not the daemon.
    assert len({r.pid for r in done}) == len(done)
    assert daemon.proc is not None and daemon.proc.pid not in {r.pid for r in done}
    # A crawl the shutdown caught is recorded as interrupted, to be run again at the next start.
    assert {r.status for r in runs} <= {"succeeded", "interrupted"}
    assert [r.status for r in runs].count("interrupted") <= 1
    assert len([h for h in mirror.log if h.path == FEED_PATH]) >= 3


def test_sigterm_during_a_crawl_exits_0_and_the_crawl_runs_again_at_the_next_start(
    deployment: Deployment, mirror: Mirror, silent_server: str
) -> None:
    deployment.configure(feed_config(silent_server, "every 1h", crawl={"timeout_s": 600}))
    daemon = deployment.daemon()
    running = daemon.wait_for(
        lambda: [r for r in deployment.runs("testfeed") if r.status == "running"], "the crawl to start"
    )
    child = running[0].pid
    assert daemon.terminate(timeout=60) == 0
    assert not pid_alive(child)
    [run] = deployment.runs("testfeed")
    assert run.status == "interrupted"
    assert "stopped by the daemon's shutdown" in run.errors[-1]["reason"]

    # The source answers again; the restart crawls it once, before its next scheduled time.
    mirror.put(FEED_PATH, rss(*ITEMS), RSS)
    deployment.configure(feed_config(mirror.url, "every 1h", crawl={"timeout_s": 600}))
    next_run = stored_jobs(deployment.settings())["crawl:testfeed"].next_run_time
    assert next_run > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=50)
    daemon = deployment.daemon()
    daemon.wait_for(lambda: len(finished(deployment.runs("testfeed"))) == 2 or None, "the re-run")
    assert "crawl:testfeed was interrupted; running it again now" in daemon.log
    assert daemon.terminate() == 0
    assert [r.status for r in deployment.runs("testfeed")] == ["interrupted", "succeeded"]
    assert stored_jobs(deployment.settings())["crawl:testfeed"].next_run_time == next_run


def test_kill_9_of_the_daemon_takes_its_crawl_down_and_the_restart_runs_it_again(
    deployment: Deployment, mirror: Mirror, silent_server: str
) -> None:
    deployment.configure(feed_config(silent_server, "every 1h", crawl={"timeout_s": 600}))
    daemon = deployment.daemon()
    running = daemon.wait_for(
        lambda: [r for r in deployment.runs("testfeed") if r.status == "running"], "the crawl to start"
    )
    daemon.kill()
    # The child dies with the daemon (parent-death signal): no orphan crawl goes on writing.
    deadline = time.monotonic() + 10
    while pid_alive(running[0].pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(running[0].pid)
    assert [r.status for r in deployment.runs("testfeed")] == ["running"]

    mirror.put(FEED_PATH, rss(*ITEMS), RSS)
    deployment.configure(feed_config(mirror.url, "every 1h", crawl={"timeout_s": 600}))
    daemon = deployment.daemon()
    daemon.wait_for(lambda: len(finished(deployment.runs("testfeed"))) == 2 or None, "the re-run")
    assert daemon.terminate() == 0
    runs = deployment.runs("testfeed")
    assert [r.status for r in runs] == ["interrupted", "succeeded"]
    assert runs[1].counts.get("new_document") == 2


def test_a_restart_keeps_the_schedule_and_missed_runs_make_one_catch_up(
    deployment: Deployment, mirror: Mirror
) -> None:
    mirror.put(FEED_PATH, rss(*ITEMS), RSS)
    deployment.configure(feed_config(mirror.url, "every 1h"))
    daemon = deployment.daemon()  # a new source is crawled at once, then hourly
    daemon.wait_for(lambda: finished(deployment.runs("testfeed")), "the first crawl")
    assert daemon.terminate() == 0
    first_next = stored_jobs(deployment.settings())["crawl:testfeed"].next_run_time

    # A restart neither resets the schedule nor runs the crawl again.
    daemon = deployment.daemon()
    daemon.wait_for_line("sepwatch is running")
    assert daemon.terminate() == 0
    assert len(deployment.runs("testfeed")) == 1
    assert stored_jobs(deployment.settings())["crawl:testfeed"].next_run_time == first_next
    # `sepwatch status` tells when each source is crawled next.
    status = subprocess.run(
        [sys.executable, "-m", "sepwatch", "--config", str(deployment.config), "status", "--json"],
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [testfeed] = [h for h in json.loads(status.stdout)["sources"] if h["source"] == "testfeed"]
    assert dt.datetime.fromisoformat(testfeed["next_crawl"]) == first_next.replace(microsecond=0)

    # Asleep for five hours: five runs missed, one catch-up run on waking.
    move_next_run(deployment.settings(), "crawl:testfeed", dt.datetime.now(dt.UTC) - dt.timedelta(hours=5))
    daemon = deployment.daemon()
    daemon.wait_for(lambda: len(finished(deployment.runs("testfeed"))) == 2 or None, "the catch-up crawl")
    assert daemon.terminate() == 0
    assert [r.status for r in deployment.runs("testfeed")] == ["succeeded", "succeeded"]
    next_run = stored_jobs(deployment.settings())["crawl:testfeed"].next_run_time
    assert dt.datetime.now(dt.UTC) < next_run <= dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def test_a_crawl_past_its_time_limit_is_stopped_and_recorded_failed(
    deployment: Deployment, silent_server: str
) -> None:
    deployment.configure(feed_config(silent_server, "every 1h", crawl={"timeout_s": 600}))
    with App.open(deployment.settings()) as app:
        daemon = Daemon(app, time_limit_s=3, kill_grace_s=5)
        daemon.start()
        try:
            deadline = time.monotonic() + 90
            while not finished(deployment.runs("testfeed")) and time.monotonic() < deadline:
                time.sleep(0.3)
        finally:
            daemon.stop(grace_s=30)
    [run] = deployment.runs("testfeed")
    assert run.status == "failed"
    assert run.errors[-1]["reason"] == "stopped after the time limit of 3 s"
    assert run.finished_at is not None
    assert not pid_alive(run.pid)


def test_a_crawl_waiting_for_a_free_slot_at_shutdown_runs_first_thing_at_the_next_start(
    deployment: Deployment, silent_server: str
) -> None:
    feeds = [{"name": name, "url": f"{silent_server}/{name}.xml"} for name in ("feed_a", "feed_b")]
    deployment.configure(
        {
            "feeds": feeds,
            "schedule": {"default": "every 1h", "max_parallel_crawls": 1},
            "crawl": {"timeout_s": 600},
        }
    )
    daemon = deployment.daemon()  # both are new, both due now; one slot
    [running] = daemon.wait_for(
        lambda: [r for r in deployment.runs() if r.status == "running"], "the first crawl to start"
    )
    assert daemon.terminate() == 0
    waiting = "feed_b" if running.source == "feed_a" else "feed_a"
    assert [(r.source, r.status) for r in deployment.runs()] == [(running.source, "interrupted")]
    jobs = stored_jobs(deployment.settings())
    assert jobs[f"crawl:{waiting}"].next_run_time <= dt.datetime.now(dt.UTC)  # due at once on restart
    assert jobs[f"crawl:{running.source}"].next_run_time > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=50)
