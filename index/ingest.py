"""Store any item a spider or an importer produces, by its type; one transaction per item.

Both the crawl pipeline and ``sepwatch import`` call :func:`store_item`, so a crawled item and
the same item imported from a file are stored the same way.
"""

from __future__ import annotations

from typing import Any

from crawlers.items import Declaration, Milestone, PatentEvent, PatentRecord, StandardDocument
from index import milestones, patents
from index.store import IngestResult, Store


def store_item(store: Store, item: Any, run_id: int | None = None) -> tuple[str, IngestResult | None]:
    """Store ``item``; returns a count key for reports (``new_document``, ``events_new``…) and,
    for documents, the ingest result."""
    if isinstance(item, StandardDocument):
        result = store.ingest(item, run_id)
        return result.outcome, result
    if isinstance(item, Milestone):
        return f"milestones_{milestones.upsert(store, item, run_id)}", None
    if isinstance(item, PatentRecord):
        return f"patents_{patents.upsert_patent(store, item)}", None
    if isinstance(item, PatentEvent):
        new = patents.add_events(store, [item], run_id)
        return ("events_new" if new else "events_unchanged"), None
    if isinstance(item, Declaration):
        return f"declarations_{patents.upsert_declaration(store, item)}", None
    raise TypeError(f"unexpected item {type(item).__name__}")
