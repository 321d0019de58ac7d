"""What every sepwatch spider shares: incremental fetching, failure records, the run's report.

A spider asks for pages with :meth:`SepwatchSpider.fetch`. It skips a URL whose listing stamp
(date and size shown by a directory listing) is what it was at the last clean crawl, and sends
the validators (ETag, Last-Modified) it kept, so the server can answer 304. A response the spider
has processed is confirmed with :meth:`SepwatchSpider.seen`; the confirmed states are saved when
the crawl closes — listing pages only when nothing under them failed, so a failure is retried by
the next crawl instead of being hidden behind a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from config import Settings
from index import fetchstate
from index.fetchstate import State
from index.indexer import Indexer
from index.store import Store


@dataclass(slots=True)
class CrawlReport:
    """What a crawl did, for the run ledger and the command line."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    failed_requests: int = 0
    incomplete: bool = False  # something listed could not be fetched or read
    not_configured: str | None = None  # why the source cannot run (missing credentials…)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def error(self, where: str, reason: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append({"url": where, "reason": reason})


class SepwatchSpider(scrapy.Spider):
    """Base of all spiders; built by :func:`crawlers.runner.crawl` with the app's settings and store."""

    def __init__(
        self,
        *args: Any,
        settings_obj: Settings,
        store: Store,
        run_id: int,
        full: bool = False,
        indexer: Indexer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indexer = indexer
        self.config = settings_obj
        self.store = store
        self.run_id = run_id
        self.full = full
        self.report = CrawlReport()
        self.states = {} if full else fetchstate.load(store, self.name)
        self._confirmed: dict[str, tuple[State, bool]] = {}

    # --- fetching ---------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        stamp: str | None = None,
        leaf: bool = False,
        meta: dict[str, Any] | None = None,
        priority: int = 0,
        conditional: bool = True,
    ) -> scrapy.Request | None:
        """A request for ``url``, or None when its listing stamp shows it is unchanged.

        ``conditional=False`` always fetches the page in full (pages that must be read every time).
        """
        known = self.states.get(url) if conditional else None
        if stamp is not None and known is not None and known.stamp == stamp:
            self.report.add("unchanged_skipped")
            self._confirmed[url] = (known, leaf)
            return None
        headers: dict[str, str] = {}
        if known is not None and not self.full:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            headers=headers,
            priority=priority,
            meta={**(meta or {}), "sepwatch_stamp": stamp, "sepwatch_leaf": leaf},
        )

    def unchanged(self, response: Response) -> bool:
        """True (and the URL confirmed) when the server said 304 or the body hashes as before."""
        known = self.states.get(response.url)
        if response.status == 304:
            self.report.add("not_modified")
            if known is not None:
                # The body is as before; the listing's stamp and the validators may be new.
                state = State(
                    url=response.url,
                    etag=_header(response, b"ETag") or known.etag,
                    last_modified=_header(response, b"Last-Modified") or known.last_modified,
                    stamp=response.meta.get("sepwatch_stamp") or known.stamp,
                    content_hash=known.content_hash,
                )
                self._confirmed[response.url] = (state, bool(response.meta.get("sepwatch_leaf")))
            return True
        if known is not None and known.content_hash == _digest(response.body) and not self.full:
            self.report.add("unchanged_body")
            self.seen(response)
            return True
        return False

    def seen(self, response: Response) -> None:
        """Confirm that ``response`` was processed, so the next crawl may skip it if unchanged."""
        state = State(
            url=response.url,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            stamp=response.meta.get("sepwatch_stamp"),
            content_hash=_digest(response.body),
        )
        self._confirmed[response.url] = (state, bool(response.meta.get("sepwatch_leaf")))

    def forget(self, url: str) -> None:
        """The document at ``url`` could not be stored: fetch it again next time."""
        self._confirmed.pop(url, None)

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = request.meta.get("sepwatch_gave_up") if request is not None else None
        value = failure.value
        response = getattr(value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
            if response.status in (404, 410):
                # Not there (yet): a meeting folder before the meeting, a withdrawn file. The source
                # answered, so it is not failing; the listings above it are not marked seen.
                self.report.add("not_found")
                self.report.incomplete = True
                self.report.error(url, f"{reason} (not found)")
                return
        self.report.failed_requests += 1
        self.report.error(url, reason or f"{type(value).__name__}: {value}")
        self.logger.warning("could not fetch %s: %s", url, reason or value)

    def not_configured(self, reason: str) -> None:
        """The source lacks what it needs (credentials…): reported as such, not as failing."""
        self.report.not_configured = reason
        self.logger.warning("%s is not configured: %s", self.name, reason)

    def problem(self, where: str, reason: str) -> None:
        """A document or page was refused (broken file, unknown layout); the crawl goes on."""
        self.report.add("rejected")
        self.report.incomplete = True
        self.report.error(where, reason)
        self.logger.warning("%s: %s", where, reason)

    # --- closing ------------------------------------------------------------------------------

    def save_states(self) -> int:
        clean = self.report.failed_requests == 0 and not self.report.incomplete
        keep = [state for state, leaf in self._confirmed.values() if clean or leaf]
        return fetchstate.save(self.store, self.name, keep)


def rebase(url: str, canonical_hosts: tuple[str, ...], base_url: str) -> str:
    """``url`` moved onto the configured base when it points at the body's canonical host.

    Real pages link to their own site (https://www.3gpp.org/ftp/...); a mirror or a test server
    serves those pages as they are, so their links are followed on the configured base instead.
    """
    parts = urlsplit(url)
    if parts.hostname not in canonical_hosts:
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
