"""Admins on the sources page: "crawl now" through the real daemon's persisted job, and dead letters
put back in the outbox. Viewers and editors see no buttons and are refused (403)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger

from config import Settings, load_settings
from index import alerts as alert_store
from index.models import Run, utcnow
from scheduler.daemon import Daemon
from sepwatch.app import App
from tests.mirror import Mirror, serve
from tests.scheduler.daemons import FEED_PATH, RSS, rss
from tests.web.conftest import WebClient
from tests.web.pages_data import visible_text

YEARLY = "0 3 1 1 *"  # the scheduled crawl is far off: every crawl in these tests is one asked for


@pytest.fixture
def feed_server() -> Iterator[Mirror]:
    with serve() as mirror:
        mirror.put(FEED_PATH, rss(("a1", "Handover", "The UE sends a measurement report.")), RSS)
        yield mirror


@pytest.fixture
def web_settings(
    settings_env: dict[str, str], tmp_path: Path, feed_server: Mirror, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Two feeds, one scheduled and one not, in a configuration file the daemon's crawl children
    read too; the test's store in this process's environment, which the children inherit."""
    config = tmp_path / "sepwatch.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "crawl": {"delay_s": 0, "retries": 0, "backoff_s": 0, "obey_robots_txt": False},
                "feeds": [
                    {"name": "testfeed", "url": feed_server.url + FEED_PATH},
                    {"name": "offfeed", "url": feed_server.url + "/off.xml"},
                ],
                "schedule": {"default": YEARLY, "sources": {"offfeed": "off"}, "relay_interval_s": 0.5},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.delenv("SEPWATCH_CONFIG", raising=False)
    monkeypatch.delenv("SEPWATCH_FAULTPOINT", raising=False)
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    return load_settings(config, env=settings_env)


def stored_job(app: App, job_id: str) -> Any:
    store = SQLAlchemyJobStore(engine=app.store.engine, tablename="apscheduler_jobs")
    store.start(None, "default")
    return store.lookup_job(job_id)


def start_and_stop_daemon(app: App) -> None:
    """The real daemon persists its jobs at start (nothing is due: the crawl is yearly)."""
    daemon = Daemon(app)
    daemon.start()
    daemon.stop(grace_s=10)


def finished_crawls(app: App) -> list[Run]:
    return [r for r in app.store.recent_runs(50) if r.kind == "crawl" and r.status != "running"]


def wait_for_crawls(app: App, count: int, timeout: float = 90) -> list[Run]:
    deadline = time.monotonic() + timeout
    while len(runs := finished_crawls(app)) < count:
        assert time.monotonic() < deadline, f"{len(runs)} crawls finished, waited for {count}"
        time.sleep(0.2)
    return runs


def api_post(web: WebClient, path: str, body: dict[str, Any] | None = None) -> Any:
    return web.post(path, json=body or {}, headers={"X-CSRF-Token": web.csrf})


@pytest.mark.slow
def test_crawl_now_makes_the_daemons_job_due_and_the_daemon_crawls(
    web_app: App, client: Callable[..., WebClient]
) -> None:
    admin = client("admin")
    never_started = api_post(admin, "/api/v1/sources/testfeed/crawl")
    assert never_started.status_code == 409
    assert "run `sepwatch crawl testfeed` to crawl it now" in never_started.json()["detail"].lower()

    start_and_stop_daemon(web_app)
    job = stored_job(web_app, "crawl:testfeed")
    assert job.next_run_time > dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert stored_job(web_app, "crawl:offfeed") is None
    page = admin.get("/sources").text
    assert 'action="/sources/testfeed/crawl"' in page and "/sources/offfeed/crawl" not in page
    assert visible_text(page).count("Crawl now") == 1

    # The daemon is down: the request waits in its job store.
    before = dt.datetime.now(dt.UTC)
    asked = admin.post("/sources/testfeed/crawl", data={"csrf_token": admin.csrf})
    assert asked.status_code == 303 and asked.headers["location"] == "/sources?crawl=testfeed"
    assert "Crawl of testfeed requested" in visible_text(admin.get(asked.headers["location"]).text)
    job = stored_job(web_app, "crawl:testfeed")
    assert before <= job.next_run_time <= dt.datetime.now(dt.UTC)
    assert isinstance(job.trigger, CronTrigger) and job.args == (
        "testfeed",
    )  # the job is otherwise as it was
    assert finished_crawls(web_app) == []

    # The daemon's next start runs it; while it runs, a request through the API is picked up too.
    daemon = Daemon(web_app)
    daemon.start()
    try:
        [first] = wait_for_crawls(web_app, 1)
        assert first.source == "testfeed" and first.status == "succeeded"
        assert stored_job(web_app, "crawl:testfeed").next_run_time > dt.datetime.now(dt.UTC) + dt.timedelta(
            hours=1
        )
        # The run is settled in the ledger a moment before its job ends; a request in between would
        # be covered by that crawl (one instance of a job at a time), so let the job end first.
        assert daemon._wait_idle(30)
        answer = api_post(admin, "/api/v1/sources/testfeed/crawl")
        assert answer.status_code == 202 and answer.json() == {"source": "testfeed", "requested": True}
        second = wait_for_crawls(web_app, 2)[0]
        assert second.source == "testfeed" and second.status == "succeeded"
    finally:
        daemon.stop(grace_s=30)
    assert [r.source for r in finished_crawls(web_app)] == ["testfeed", "testfeed"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_crawl_now_is_for_admins_known_scheduled_sources_and_needs_the_csrf_token(
    web_app: App, client: Callable[..., WebClient]
) -> None:
    start_and_stop_daemon(web_app)
    scheduled = stored_job(web_app, "crawl:testfeed").next_run_time
    for role in ("viewer", "editor"):
        web = client(role)
        page = web.get("/sources")
        assert page.status_code == 200 and "Crawl now" not in page.text and "/crawl" not in page.text
        assert web.post("/sources/testfeed/crawl", data={"csrf_token": web.csrf}).status_code == 403
        refused = api_post(web, "/api/v1/sources/testfeed/crawl")
        assert refused.status_code == 403 and refused.json() == {"detail": "this needs the admin role"}
    admin = client("admin")
    assert admin.post("/sources/testfeed/crawl", data={}).status_code == 403  # no CSRF token
    assert admin.post("/sources/testfeed/crawl", data={"csrf_token": "forged"}).status_code == 403
    assert stored_job(web_app, "crawl:testfeed").next_run_time == scheduled  # nothing above took effect

    unknown = api_post(admin, "/api/v1/sources/nosuchfeed/crawl")
    assert unknown.status_code == 404 and "nosuchfeed" in unknown.json()["detail"]
    assert admin.post("/sources/nosuchfeed/crawl", data={"csrf_token": admin.csrf}).status_code == 404
    for source in ("offfeed", "ietf_ipr"):  # configured "off"; a built-in nothing configures
        off = api_post(admin, f"/api/v1/sources/{source}/crawl")
        assert off.status_code == 409 and f"sepwatch crawl {source}" in off.json()["detail"]
    page = admin.post("/sources/offfeed/crawl", data={"csrf_token": admin.csrf})
    assert page.status_code == 409 and "Run `sepwatch crawl offfeed` to crawl it now." in page.text
    zh = admin.post(
        "/sources/offfeed/crawl", data={"csrf_token": admin.csrf}, headers={"Accept-Language": "zh-CN"}
    )
    assert zh.status_code == 409 and "请运行 `sepwatch crawl offfeed` 立即抓取" in zh.text
    # Names are only echoed for real sources.
    assert "requested" not in admin.get("/sources", params={"crawl": "<b>evil</b>"}).text


def dead_letters(app: App, n: int) -> tuple[list[int], int]:
    """``n`` deliveries the relay gave up on (claimed, failed for good) and one still pending."""
    now = utcnow()
    with app.store.session(write=True) as s:
        alert_id = alert_store.insert_alert(
            s,
            alert_store.NewAlert("test:dead", "source", "sources", "Source threegpp_tdocs is unhealthy", {}),
            [
                alert_store.Delivery(f"person{i}", "ops-chat", "immediate", "follows sources")
                for i in range(n + 1)
            ],
            now,
        )
    assert alert_id is not None
    rows = alert_store.claim_due(app.store, now, 100, dt.timedelta(minutes=5))
    for row in rows[:n]:
        alert_store.mark_failed(app.store, row.id, "HTTP 404 from webhook", attempts=8, next_attempt_at=None)
    alert_store.release(app.store, [rows[n].id], now)
    return [r.id for r in rows[:n]], rows[n].id


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_admins_put_dead_letters_back_in_the_outbox(web_app: App, client: Callable[..., WebClient]) -> None:
    (first, second, third), pending = dead_letters(web_app, 3)
    for role in ("viewer", "editor"):
        web = client(role)
        page = web.get("/sources").text
        assert "HTTP 404 from webhook" in page and "/sources/retry" not in page and "Retry" not in page
        assert web.post("/sources/retry", data={"csrf_token": web.csrf, "dead": "true"}).status_code == 403
        assert api_post(web, "/api/v1/outbox/retry", {"dead": True}).status_code == 403
    admin = client("admin")
    assert admin.post("/sources/retry", data={"dead": "true"}).status_code == 403  # no CSRF token
    assert alert_store.outbox_counts(web_app.store)["dead"] == 3

    page = admin.get("/sources").text
    assert page.count('name="one"') == 3 and "Retry all failed deliveries (3)" in visible_text(page)
    one = admin.post("/sources/retry", data={"csrf_token": admin.csrf, "one": str(first)})
    assert one.status_code == 303 and one.headers["location"] == "/sources?retried=1"
    assert "1 failed deliveries are back in the outbox." in visible_text(
        admin.get(one.headers["location"]).text
    )
    [row] = alert_store.outbox_rows(web_app.store, [first])
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)

    assert api_post(admin, "/api/v1/outbox/retry", {}).status_code == 422  # neither ids nor dead
    by_id = api_post(admin, "/api/v1/outbox/retry", {"ids": [second, pending, 999_999]})
    assert by_id.status_code == 200 and by_id.json() == {"retried": [second]}  # the others are not dead
    every = admin.post("/sources/retry", data={"csrf_token": admin.csrf, "dead": "true"})
    assert every.headers["location"] == "/sources?retried=1"
    assert alert_store.outbox_counts(web_app.store)["dead"] == 0
    # All are due again now: the relay's next pass claims them.
    due = alert_store.claim_due(web_app.store, utcnow(), 100, dt.timedelta(minutes=5))
    assert sorted(r.id for r in due) == sorted([first, second, third, pending])
