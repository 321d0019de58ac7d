"""USPTO Open Data Portal: the portfolio's US applications — data, transactions, continuity, documents.

The API key (``uspto.api_key``, from the environment) goes in the ``X-API-KEY`` header. Each
application's record gives its bibliographic data and events; the documents list gives the
mailing dates the reply deadlines run from; continuity links parents and children. Events are
stored once (deduplicated by content), so a daily crawl stores only what is new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.spiders.base import SepwatchSpider

ENDPOINTS = ("", "/transactions", "/continuity", "/documents")


class Spider(SepwatchSpider):
    name = "uspto_odp"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.uspto
        self.base = self.cfg.base_url.rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        if self.cfg.api_key is None:
            self.not_configured("no Open Data Portal API key: set SEPWATCH_USPTO__API_KEY")
            return
        for number in self.config.portfolio.own:
            if not number.startswith("US"):
                continue
            digits = "".join(ch for ch in number[2:] if ch.isdigit())
            for endpoint in ENDPOINTS:
                yield Request(
                    f"{self.base}/api/v1/patent/applications/{digits}{endpoint}",
                    callback=self.parse_odp,
                    errback=self.failed,
                    headers={"X-API-KEY": self.cfg.api_key.get_secret_value(), "Accept": "application/json"},
                    meta={"application": f"US{digits}", "endpoint": endpoint or "/"},
                )

    def parse_odp(self, response: Response) -> Iterator[Any]:
        import crawlers.patents.uspto as uspto

        application: str = response.meta["application"]
        try:
            if response.meta["endpoint"] == "/continuity":
                parents, children = uspto.parse_continuity(response.body, response.url)
                records, events = [], []
                from crawlers.items import PatentRecord

                records.append(
                    PatentRecord(
                        source="uspto_odp",
                        office="US",
                        application=application,
                        parents=parents,
                        children=children,
                        origin=response.url,
                    )
                )
            elif response.meta["endpoint"] == "/documents":
                records, events = [], uspto.parse_documents(response.body, response.url)
            else:
                records, events = uspto.parse_any(response.body, response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        for record in records:
            record.origin = record.origin or response.url
            yield record
        for event in events:
            event.origin = event.origin or response.url
            yield event
        self.report.add("odp_answers")
