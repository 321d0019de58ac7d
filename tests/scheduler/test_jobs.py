"""The daemon in this process (real scheduler, real job store, real crawl children): the children's
configuration and environment, a child that dies mid-run, and jobs kept in step with the configuration."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from config import load_settings
from scheduler.daemon import Daemon
from sepwatch.app import App
from tests.mirror import Mirror
from tests.scheduler.daemons import FEED_PATH, RSS, Deployment, rss, stored_jobs


@pytest.fixture
def process_env(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test's settings in this process's environment: a daemon's children inherit it."""
    monkeypatch.delenv("SEPWATCH_CONFIG", raising=False)
    monkeypatch.delenv("SEPWATCH_FAULTPOINT", raising=False)
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    yield


def test_without_a_configuration_file_children_run_on_the_defaults_and_the_daemons_environment(
    process_env: None, mirror: Mirror, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./sepwatch.yaml, no ~/.config/sepwatch/sepwatch.yaml
    monkeypatch.setenv("SEPWATCH_3GPP__SITE_URL", mirror.url)  # an override only the environment holds
    monkeypatch.setenv("SEPWATCH_CRAWL__OBEY_ROBOTS_TXT", "false")
    settings = load_settings(None)
    assert settings.config_file is None
    with App.open(settings) as app:
        daemon = Daemon(app)
        result = daemon.children.run("threegpp_releases", config=daemon.config_path, time_limit_s=120)
        [run] = app.store.recent_runs()
    assert result.report is not None and result.report["run"] == run.id
    assert run.pid == result.pid != os.getpid()
    assert any(path.startswith("/specifications-technologies/releases") for path in mirror.requested())


def test_a_child_that_dies_in_the_middle_of_its_run_leaves_a_failed_run_with_the_reason(
    deployment: Deployment, mirror: Mirror, process_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror.put(FEED_PATH, rss(("a1", "One", "First entry."), ("a2", "Two", "Second entry.")), RSS)
    deployment.configure({"feeds": [{"name": "testfeed", "url": mirror.url + FEED_PATH}]})
    monkeypatch.setenv(
        "SEPWATCH_FAULTPOINT", "after-store-commit"
    )  # the child is killed, as by the OOM killer
    with App.open(deployment.settings()) as app:
        daemon = Daemon(app)
        daemon.start()  # a new source is crawled at once
        try:
            deadline = time.monotonic() + 60
            while not [r for r in deployment.runs("testfeed") if r.status != "running"]:
                assert time.monotonic() < deadline, "the crawl did not end"
                time.sleep(0.2)
        finally:
            daemon.stop(grace_s=10)
    [run] = deployment.runs("testfeed")
    assert run.status == "failed"
    assert run.errors[-1]["reason"].startswith("the crawl process was killed by SIGKILL")
    assert run.finished_at is not None


def test_jobs_follow_the_configuration_and_keep_their_next_run_when_unchanged(
    deployment: Deployment, process_env: None
) -> None:
    feeds = [{"name": n, "url": f"http://127.0.0.1:9/{n}"} for n in ("feed_a", "feed_b", "feed_c")]
    deployment.configure(
        {
            "feeds": feeds,
            "schedule": {"default": "0 3 * * *", "sources": {"feed_c": "off"}, "reminders_at": "06:15"},
        }
    )

    def run_once() -> None:
        with App.open(deployment.settings()) as app:
            daemon = Daemon(app)
            daemon.start()
            daemon.stop(grace_s=10)

    run_once()
    first = stored_jobs(deployment.settings())
    assert set(first) == {"crawl:feed_a", "crawl:feed_b", "reminders", "digest:daily", "digest:weekly"}
    assert first["reminders"].next_run_time.strftime("%H:%M") == "06:15"
    assert isinstance(first["crawl:feed_a"].trigger, CronTrigger)

    deployment.configure(
        {"feeds": feeds[:2], "schedule": {"default": "0 3 * * *", "sources": {"feed_b": "30 4 * * *"}}}
    )
    run_once()
    second = stored_jobs(deployment.settings())
    assert set(second) == {"crawl:feed_a", "crawl:feed_b", "reminders", "digest:daily", "digest:weekly"}
    assert second["crawl:feed_a"].next_run_time == first["crawl:feed_a"].next_run_time
    assert second["crawl:feed_b"].next_run_time.strftime("%H:%M") == "04:30"  # its new schedule
    assert second["reminders"].next_run_time.strftime("%H:%M") == "07:30"  # back to the default time

    deployment.configure({"feeds": feeds[:1], "schedule": {"default": "0 3 * * *"}})
    run_once()
    assert "crawl:feed_b" not in stored_jobs(deployment.settings())  # no longer configured
    assert deployment.runs() == []  # nothing was due: no crawl ran
