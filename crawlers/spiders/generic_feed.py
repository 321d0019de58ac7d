"""Configured RSS and Atom feeds (``feeds:``): one document per entry, the feed fetched conditionally.

The parsing is :func:`crawlers.generic.feed.parse_feed`; this spider owns the crawl around it. The
feed is asked for with the validators of the last clean crawl, so an unchanged feed costs a 304.
A malformed feed stores what could be recovered and is recorded as a problem (and read again next
time); a URL that answers with something that is not a feed at all (an HTML page after a site
redesign, an error page) is a failure of the source, so the run fails and the source turns unhealthy
instead of quietly collecting nothing; so is a feed URL that answers 404 or 410.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from scrapy.http import Response
from twisted.python.failure import Failure

from config.schema import FeedSource
from crawlers.extract import RejectedInput
from crawlers.generic.feed import FeedSpec, parse_feed
from crawlers.spiders.base import SepwatchSpider


class Spider(SepwatchSpider):
    name = "generic_feed"

    def __init__(self, *args: Any, feed: FeedSource, **kwargs: Any) -> None:
        # The configured name, not the module's: fetch states and run health are kept per source.
        super().__init__(*args, name=feed.name, **kwargs)
        self.feed = feed
        self.spec = FeedSpec(name=feed.name, url=feed.url, body=feed.body, group=feed.group, kind=feed.kind)

    async def start(self) -> AsyncIterator[Any]:
        request = self.fetch(self.feed.url, self.parse_entries)
        if request is not None:
            yield request

    def parse_entries(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        try:
            # Relative links resolve against where the feed was actually fetched (after redirects).
            result = parse_feed(
                response.body,
                replace(self.spec, url=response.url),
                content_type=header(response, b"Content-Type"),
            )
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            self.report.failed_requests += 1
            return
        self.report.add("feed_entries", len(result.documents))
        yield from result.documents
        if result.problem is not None:
            # Not marked seen: the next crawl reads the feed again, fixed or not.
            self.problem(
                response.url,
                f"malformed feed ({len(result.documents)} entries recovered): {result.problem}",
            )
            return
        self.seen(response)

    def failed(self, failure: Failure) -> None:
        super().failed(failure)
        if gone(failure):  # the feed itself is not there: that is the source failing
            self.report.failed_requests += 1


def gone(failure: Failure) -> bool:
    """True when the request failed with 404 or 410 (which the base spider only notes)."""
    response = getattr(failure.value, "response", None)
    return response is not None and response.status in (404, 410)


def header(response: Response, name: bytes) -> str | None:
    """The response header ``name`` as text, None when absent or empty."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
