"""3GPP release freeze dates (Stage 1/2/3, protocols/ASN.1) → freeze milestones.

Dates come in three layers per (release, stage): the shipped defaults, the dates crawled from the
release pages, and the user's ``3gpp.freeze_overrides``; an override wins over a crawled date,
which wins over a default (:func:`crawlers.threegpp.releases.effective`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.items import Milestone
from crawlers.spiders.base import SepwatchSpider
from crawlers.threegpp.build import BODY, SOURCE
from crawlers.threegpp.releases import Freeze, effective, load_defaults, parse_releases_page
from index import milestones

STAGE_TITLES = {
    "stage1": "Stage 1 freeze",
    "stage2": "Stage 2 freeze",
    "stage3": "Stage 3 freeze",
    "protocols": "Protocols stable (ASN.1/OpenAPI freeze)",
}


class Spider(SepwatchSpider):
    name = "threegpp_releases"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.threegpp
        self.crawled: list[Freeze] = []
        self.pages_failed = 0

    async def start(self) -> AsyncIterator[Any]:
        base = self.cfg.site_url.rstrip("/") + "/specifications-technologies/releases"
        for item in self._next([base, *(f"{base}/release-{n}" for n in self.cfg.releases)]):
            yield item

    def _next(self, urls: list[str]) -> Iterator[Any]:
        """Pages are read one after the other; after the last, the effective dates are stored."""
        if urls:
            request = self.fetch(urls[0], self.parse_release_page, conditional=False, meta={"rest": urls[1:]})
            if request is not None:
                yield request
            return
        yield from self.freeze_milestones()

    def parse_release_page(self, response: Response) -> Iterator[Any]:
        try:
            self.crawled.extend(parse_releases_page(response.body))
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            self.pages_failed += 1
        else:
            self.seen(response)
        yield from self._next(response.meta["rest"])

    def failed(self, failure: Any) -> Iterator[Any]:  # type: ignore[override]
        super().failed(failure)
        self.pages_failed += 1
        request = getattr(failure, "request", None)
        yield from self._next(request.meta["rest"] if request is not None else [])

    def freeze_milestones(self) -> list[Milestone]:
        """The effective dates, once every page was read (called when the crawl goes idle)."""
        overrides = [
            Freeze(
                release=release, stage=stage, date=day, meeting=None, note="user override", origin="override"
            )
            for release, stages in self.cfg.freeze_overrides.items()
            for stage, day in stages.items()
        ]
        crawled_before = set()
        if self.pages_failed:
            # A page that could not be read must not put a default over a date crawled before.
            crawled_before = {
                m.key
                for m in milestones.between(self.store, kinds=["freeze"], source=SOURCE)
                if m.origin == "crawled"
            }
        result = []
        for f in effective(load_defaults(), self.crawled, overrides):
            key = f"3gpp:freeze:{f.release}:{f.stage}"
            if f.origin == "default" and key in crawled_before:
                continue
            result.append(
                Milestone(
                    source=SOURCE,
                    key=key,
                    kind="freeze",
                    title=f"{f.release} {STAGE_TITLES.get(f.stage, f.stage)}",
                    date=f.date,
                    body=BODY,
                    release=f.release,
                    origin=f.origin,
                    metadata={"layer": f.origin, "meeting": f.meeting, "note": f.note, "stage": f.stage},
                )
            )
        return result
