"""Scrapy settings built from sepwatch's configuration (``crawl`` section)."""

from __future__ import annotations

from typing import Any

from config import Settings

# Codes worth retrying: the server is busy or briefly down. Others are answers, not outages.
RETRY_HTTP_CODES = (408, 425, 429, 500, 502, 503, 504, 522, 524)


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    crawl = settings.crawl
    return {
        "BOT_NAME": "sepwatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "DOWNLOAD_TIMEOUT": crawl.timeout_s,
        "DOWNLOAD_MAXSIZE": settings.imports.max_file_mb * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_DELAY": crawl.delay_s,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_host,
        "AUTOTHROTTLE_ENABLED": crawl.delay_s > 0,
        "AUTOTHROTTLE_START_DELAY": max(crawl.delay_s, 0.01),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_host),
        "CLOSESPIDER_TIMEOUT": float(crawl.time_limit_s),
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO" if settings.logging.level == "DEBUG" else "WARNING",
        "LOG_ENABLED": True,
        # 304 reaches the spider: it means "unchanged since the last crawl".
        "HTTPERROR_ALLOWED_CODES": [304],
        "RETRY_ENABLED": False,  # replaced by BackoffRetryMiddleware
        "SEPWATCH_RETRIES": crawl.retries,
        "SEPWATCH_BACKOFF_S": crawl.backoff_s,
        "SEPWATCH_MAX_BACKOFF_S": crawl.max_backoff_s,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.BackoffRetryMiddleware": 550,
        },
        "ITEM_PIPELINES": {"crawlers.pipelines.StorePipeline": 300},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }
