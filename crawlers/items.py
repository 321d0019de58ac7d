"""Typed items that spiders and importers hand to the pipelines.

Scrapy accepts dataclass items (through itemadapter), so the same classes serve crawls and
``sepwatch import``. Later sources add their own item types (PatentEvent, Milestone, Declaration).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Section:
    """One clause of a document: the unit of search hits, matching and drift.

    ``number`` is the clause number as printed ("5.3.5.1", "A.2", "4") or None when the text has
    no numbering; ``heading`` is the heading without its number; ``text`` is the body text.
    """

    number: str | None
    heading: str | None
    text: str


@dataclass(slots=True)
class StandardDocument:
    """A document as collected: identity (``source`` + ``number``), metadata, and its sections.

    ``kind`` says what it is (``text``, ``markdown``, ``html``, ``pdf``, later ``tdoc``, ``cr``,
    ``spec``, ``draft``, ``rfc``…). The facet fields (body, group, meeting, release, spec, date)
    are filters in search; anything else goes in ``metadata``.
    """

    source: str
    number: str
    kind: str
    title: str | None
    sections: list[Section]
    body: str | None = None
    group: str | None = None
    meeting: str | None = None
    release: str | None = None
    spec: str | None = None
    date: dt.date | None = None
    version_label: str | None = None
    origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
