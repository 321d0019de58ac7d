"""Wiring: builds the store, the search index and the indexer from the settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from config import Settings
from index.indexer import Indexer
from index.search.base import SearchIndex
from index.search.sqlite_fts import SqliteFtsIndex
from index.store import Store

log = logging.getLogger(__name__)


def build_search(settings: Settings) -> SearchIndex:
    if settings.search.backend == "sqlite":
        return SqliteFtsIndex(settings.search_sqlite_path())
    raise ValueError(f"unknown search backend {settings.search.backend!r}")


@dataclass
class App:
    settings: Settings
    store: Store
    search: SearchIndex
    indexer: Indexer

    @classmethod
    def open(cls, settings: Settings) -> App:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.store_url(), auto_migrate=settings.store.auto_migrate)
        search = build_search(settings)
        app = cls(settings, store, search, Indexer(store, search))
        if reason := search.needs_rebuild():
            log.warning("search index must be rebuilt (%s); rebuilding from the store", reason)
            app.indexer.rebuild()
        return app

    def close(self) -> None:
        self.search.close()
        self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
