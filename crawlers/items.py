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
    partial: bool = False
    """True for a listing entry (TDoc list row, index entry) that carries metadata only: its
    sections stand in for the text until the document itself is fetched, and it never replaces
    text already stored."""


@dataclass(slots=True)
class Milestone:
    """A dated event for the deadline calendar: a meeting, a release freeze, a draft's expiry.

    ``key`` is stable across crawls (``3gpp:meeting:85434``, ``3gpp:freeze:Rel-19:stage3``,
    ``ietf:expiry:draft-ietf-quic-transport-34``) so a date that slips updates the same milestone.
    ``date`` is the day it happens (the first day for a meeting), ``end`` the last day if any.
    """

    source: str
    key: str
    kind: str  # meeting | freeze | expiry | deadline | …
    title: str
    date: dt.date | None
    end: dt.date | None = None
    body: str | None = None
    group: str | None = None
    release: str | None = None
    status: str | None = None  # e.g. "cancelled"
    origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
