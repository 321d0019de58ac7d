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
    search = settings.search
    if search.backend == "sqlite":
        return SqliteFtsIndex(settings.search_sqlite_path(), busy_timeout_s=search.sqlite_busy_timeout_s)
    if search.backend == "elasticsearch":
        from index.search.elasticsearch import ElasticsearchIndex  # the client loads only when used

        return ElasticsearchIndex(
            search.elasticsearch_url,
            prefix=search.elasticsearch_index_prefix,
            username=search.elasticsearch_username,
            password=search.elasticsearch_password.get_secret_value()
            if search.elasticsearch_password
            else None,
            api_key=search.elasticsearch_api_key.get_secret_value() if search.elasticsearch_api_key else None,
            ca_certs=str(search.elasticsearch_ca_certs) if search.elasticsearch_ca_certs else None,
        )
    raise ValueError(f"unknown search backend {search.backend!r}")


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
