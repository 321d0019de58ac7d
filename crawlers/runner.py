"""Run one crawl in this process: the code path of ``sepwatch crawl SOURCE``.

The scheduler starts each crawl as a child process running this same code, so a spider that
crashes or leaks cannot take the daemon down. Every crawl is a run in the ledger with its counts
and errors; a run that was interrupted is recorded as such by the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawlers.scrapy_settings import scrapy_settings
from crawlers.sources import resolve
from crawlers.spiders.base import CrawlReport, SepwatchSpider
from sepwatch.app import App

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CrawlResult:
    run_id: int
    source: str
    status: str  # succeeded | failed
    report: CrawlReport
    close_reason: str


def crawl(app: App, name: str, *, full: bool = False) -> CrawlResult:
    """Crawl source ``name`` now; ``full`` ignores what earlier crawls saw (fetches everything)."""
    spec = resolve(app.settings, name)
    for run in app.store.mark_interrupted_runs():
        log.warning(
            "run %d (%s %s) was interrupted; this crawl redoes its work", run.id, run.kind, run.source
        )
    run_id = app.store.start_run("crawl", name, {"full": full})
    app.indexer.drain()
    process = CrawlerProcess(settings={**scrapy_settings(app.settings), "LOG_INSTALL_ROOT_HANDLER": False})
    if app.settings.logging.level != "DEBUG":
        # Scrapy's per-request and statistics lines drown ours; its warnings and errors stay.
        for logger in ("scrapy", "py.warnings", "protego"):
            logging.getLogger(logger).setLevel(logging.WARNING)
    spider_cls = spec.spider_class()
    crawler = process.create_crawler(spider_cls)
    reasons: list[str] = []
    spiders: list[SepwatchSpider] = []

    def closed(spider: SepwatchSpider, reason: str) -> None:
        reasons.append(reason)
        spiders.append(spider)

    from scrapy import signals

    def spider_error(failure: Any, response: Any, spider: SepwatchSpider) -> None:
        # A bug in a callback must show on the run, not only in Scrapy's log.
        spider.report.failed_requests += 1
        spider.report.error(getattr(response, "url", "?"), f"internal error: {failure.getErrorMessage()}")

    crawler.signals.connect(closed, signal=signals.spider_closed)
    crawler.signals.connect(spider_error, signal=signals.spider_error)
    try:
        process.crawl(
            crawler,
            settings_obj=app.settings,
            store=app.store,
            run_id=run_id,
            full=full,
            indexer=app.indexer,
            **spec.kwargs,
        )
        process.start()
    except BaseException as exc:
        app.store.finish_run(run_id, "failed", {}, [{"url": name, "reason": f"{type(exc).__name__}: {exc}"}])
        raise
    spider = spiders[0] if spiders else None
    report = spider.report if spider is not None else CrawlReport()
    reason = reasons[0] if reasons else "not started"
    if spider is not None and reason == "finished":
        report.add("states_saved", spider.save_states())
    if reason != "finished":
        report.error(name, f"crawl stopped: {reason}")
    status = "succeeded" if reason == "finished" and report.failed_requests == 0 else "failed"
    if report.not_configured:
        status = "not configured"
        report.error(name, report.not_configured)
    app.indexer.drain()
    app.store.finish_run(run_id, status, report.counts, report.errors)
    return CrawlResult(run_id, name, status, report, reason)
