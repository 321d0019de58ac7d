"""The item pipeline of every crawl: store each item, keep the search index up to date.

Documents go through :meth:`index.store.Store.ingest` (new document, new version, or unchanged)
and milestones through :func:`index.milestones.upsert`, each in its own transaction. An item the
store refuses is recorded on the run and its URL is fetched again next time; the crawl goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from crawlers.items import StandardDocument
from crawlers.spiders.base import SepwatchSpider
from index.faults import checkpoint
from index.indexer import Indexer
from index.ingest import store_item

log = logging.getLogger(__name__)

# Far above any real document (a 3GPP spec has a few thousand clauses); the index needs a bound.
MAX_SECTIONS = 100_000


class StorePipeline:
    def __init__(self) -> None:
        self.unindexed_sections = 0

    def open_spider(self, spider: SepwatchSpider) -> None:
        self.indexer: Indexer | None = getattr(spider, "indexer", None)

    def process_item(self, item: Any, spider: SepwatchSpider) -> Any:
        try:
            if isinstance(item, StandardDocument):
                self._document(item, spider)
            else:
                key, _ = store_item(spider.store, item, spider.run_id)
                spider.report.add(key)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            spider.problem(_where(item), f"could not be stored: {reason}")
            if isinstance(item, StandardDocument) and item.origin:
                spider.forget(item.origin)
        return item

    def _document(self, doc: StandardDocument, spider: SepwatchSpider) -> None:
        if not doc.sections:
            spider.problem(_where(doc), "no text found")
            return
        if len(doc.sections) > MAX_SECTIONS:
            spider.problem(_where(doc), f"{len(doc.sections)} sections, more than {MAX_SECTIONS}")
            return
        _, result = store_item(spider.store, doc, spider.run_id)
        assert result is not None
        checkpoint("after-store-commit")
        spider.report.add(result.outcome)
        if result.outcome != "unchanged":
            self.unindexed_sections += len(doc.sections)
        if self.indexer and self.unindexed_sections >= spider.config.imports.index_batch_sections:
            self.indexer.drain()
            self.unindexed_sections = 0

    def close_spider(self, spider: SepwatchSpider) -> None:
        if self.indexer:
            self.indexer.drain()


def _where(item: Any) -> str:
    origin = getattr(item, "origin", None)
    number = getattr(item, "number", None) or getattr(item, "key", "?")
    return f"{number} ({origin})" if origin else str(number)
