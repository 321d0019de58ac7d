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


@dataclass(slots=True)
class PatentRecord:
    """One patent application as an office describes it (bibliographic data and current status).

    ``application`` is the normalised application number with its office prefix
    (``EP15150001``, ``US16123456``, ``CN201810012345``); publications are listed as published
    (``EP3000000A1``, ``US10047600B2``, ``CN104968889A``).
    """

    source: str  # epo_ops | uspto_odp | cnipa_import | …
    office: str  # EP | US | CN | JP | KR | WO …
    application: str
    title: str | None = None
    applicants: list[str] = field(default_factory=list)
    filing_date: dt.date | None = None
    priority_date: dt.date | None = None  # earliest priority claimed
    publications: list[str] = field(default_factory=list)
    grant_date: dt.date | None = None
    status: str | None = None  # the office's own status text
    kind: str | None = None  # invention | utility | design | None when not known
    family: str | None = None  # family id (INPADOC/DOCDB) when the office gives one
    parents: list[str] = field(default_factory=list)  # continuity: applications this one continues/divides
    children: list[str] = field(default_factory=list)
    origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PatentEvent:
    """One status event of an application, normalised across offices.

    ``code`` is the office's own code, kept verbatim (``CTNF``, ``210401``, ``RFEE``, ``PG25``);
    ``known`` is False when sepwatch's code tables do not know it — it is stored and flagged,
    never dropped. ``date`` is the date the event counts from (dispatch, mailing, notification).
    """

    source: str
    office: str
    application: str
    code: str
    date: dt.date | None
    text: str
    kind: str  # register-event | procedural-step | legal-event | transaction | document | notice | status
    known: bool = True
    publication: str | None = None
    origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Declaration:
    """A declaration that a patent is (or may be) essential to a specification (ETSI ISLD, IETF IPR)."""

    source: str  # etsi_isld | ietf_ipr | …
    key: str  # stable across imports: declaration id + patent
    declarant: str
    patents: list[str]  # publication or application numbers as declared
    specs: list[str]  # "3GPP TS 36.300", "draft-ietf-quic-transport", "RFC 9000"
    deliverables: list[str] = field(default_factory=list)  # as declared: "ETSI TS 136 300"
    family: str | None = None
    licensing: str | None = None
    date: dt.date | None = None
    origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
