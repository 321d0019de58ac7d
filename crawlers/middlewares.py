"""Downloader middleware: retries with exponential backoff, honouring Retry-After.

Scrapy's own RetryMiddleware retries at once; a source that is down or throttling us needs time.
A request that still fails after the last retry reaches the spider's errback, which records it
on the run, so an outage is never silent.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import load_object

from crawlers.scrapy_settings import RETRY_HTTP_CODES

log = logging.getLogger(__name__)


class BackoffRetryMiddleware:
    def __init__(
        self,
        retries: int,
        backoff_s: float,
        max_backoff_s: float,
        exceptions: tuple[type[BaseException], ...],
    ) -> None:
        self.exceptions = exceptions
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        s = crawler.settings
        # Scrapy's list of network errors worth retrying (connection refused, lost, timed out…).
        exceptions = tuple(
            x if isinstance(x, type) else load_object(x) for x in s.getlist("RETRY_EXCEPTIONS")
        )
        return cls(
            s.getint("SEPWATCH_RETRIES"),
            s.getfloat("SEPWATCH_BACKOFF_S"),
            s.getfloat("SEPWATCH_MAX_BACKOFF_S"),
            exceptions,
        )

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status not in RETRY_HTTP_CODES or request.meta.get("dont_retry"):
            return response
        retry = await self._retry(request, f"HTTP {response.status}", _retry_after(response))
        return retry or response

    async def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | None:
        if not isinstance(exception, self.exceptions) or request.meta.get("dont_retry"):
            return None
        return await self._retry(request, f"{type(exception).__name__}: {exception}", None)

    async def _retry(self, request: Request, reason: str, retry_after: float | None) -> Request | None:
        attempt = int(request.meta.get("sepwatch_attempt", 0)) + 1
        if attempt > self.retries:
            log.warning("giving up on %s after %d retries: %s", request.url, self.retries, reason)
            request.meta["sepwatch_gave_up"] = reason
            return None
        delay = self.backoff_s * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        delay = min(delay, self.max_backoff_s)
        log.info("retry %d/%d of %s in %.1f s: %s", attempt, self.retries, request.url, delay, reason)
        await asyncio.sleep(delay)
        meta: dict[str, Any] = {**request.meta, "sepwatch_attempt": attempt}
        return request.replace(meta=meta, dont_filter=True)


def _retry_after(response: Response) -> float | None:
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    parsed = email.utils.parsedate_to_datetime(text) if text else None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None
