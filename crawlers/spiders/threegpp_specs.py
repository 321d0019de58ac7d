"""3GPP specifications followed (``3gpp.specs``): every version in the spec archive, as clauses.

The archive folder ``/ftp/Specs/archive/<NN>_series/<NN.NNN>/`` lists one zip per version
(``38331-i40.zip`` = v18.4.0). Versions are fetched oldest first, one after the other, so the
store's version sequence follows the spec's own; a version whose listing stamp is unchanged since
the last clean crawl is not downloaded again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.spiders.base import SepwatchSpider, rebase
from crawlers.spiders.threegpp_meetings import CANONICAL_HOSTS
from crawlers.spiders.threegpp_tdocs import _stamp
from crawlers.threegpp import build
from crawlers.threegpp.listing import ListingEntry, parse_listing
from crawlers.threegpp.versions import spec_number, version_key


class Spider(SepwatchSpider):
    name = "threegpp_specs"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.threegpp

    async def start(self) -> AsyncIterator[Any]:
        if not self.cfg.specs:
            self.problem(self.name, "no specifications configured (3gpp.specs)")
        for text in self.cfg.specs:
            number = spec_number(text)
            if number is None:
                self.problem(self.name, f"3gpp.specs: {text!r} is not a 3GPP spec number like 38.331")
                continue
            series = number.split(".")[0]
            url = f"{self.cfg.site_url.rstrip('/')}/ftp/Specs/archive/{series}_series/{number}/"
            request = self.fetch(url, self.parse_archive_folder, meta={"spec": number})
            if request is not None:
                yield request

    def parse_archive_folder(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        try:
            entries = parse_listing(response.body, response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        versions: list[tuple[tuple[int, int, int], ListingEntry]] = []
        for entry in entries:
            spec_file = build.spec_file_in(entry.name)
            if entry.is_dir or spec_file is None or spec_file.spec != response.meta["spec"]:
                continue
            if spec_file.release < self.cfg.spec_min_release:
                continue
            versions.append((version_key(spec_file.version), entry))
        versions.sort(key=lambda pair: pair[0])
        self.report.add("spec_versions_listed", len(versions))
        self.seen(response)
        yield from self._next(response.meta["spec"], [entry for _, entry in versions])

    def _next(self, spec: str, queue: list[ListingEntry]) -> Iterator[Any]:
        """Request the oldest version not yet stored; its callback requests the next one."""
        while queue:
            entry, rest = queue[0], queue[1:]
            request = self.fetch(
                rebase(entry.url, CANONICAL_HOSTS, self.cfg.site_url),
                self.parse_spec_archive,
                stamp=_stamp(entry),
                leaf=True,
                meta={"spec": spec, "queue": rest, "file": entry.name},
            )
            if request is not None:
                yield request
                return
            queue = rest

    def parse_spec_archive(self, response: Response) -> Iterator[Any]:
        queue: list[ListingEntry] = response.meta["queue"]
        if not self.unchanged(response):
            name = response.meta["file"]
            spec_file = build.spec_file_in(name)
            try:
                if spec_file is None:
                    raise RejectedInput(f"{name}: not a spec version file name")
                extracted, files = build.extract_archive(response.body, name)
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
            else:
                yield build.spec_version(spec_file, extracted, files, response.url)
                self.seen(response)
        yield from self._next(response.meta["spec"], queue)

    def failed(self, failure: Any) -> Iterator[Any]:  # type: ignore[override]
        super().failed(failure)
        request = getattr(failure, "request", None)
        if request is not None and "queue" in request.meta:
            # One version that cannot be fetched does not stop the versions after it.
            yield from self._next(request.meta["spec"], request.meta["queue"])
