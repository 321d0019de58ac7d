"""The RFC Editor's ``rfc-index.xml``: every RFC with its status and relations, and the subseries.

The file (about 15 MB) is read as a stream with lxml ``iterparse``; each entry is cleared once read.
Elements are matched by namespace URI, never by prefix: the RFC Editor's file declares
``http://www.rfc-editor.org/rfc-index``, the index the Datatracker generates since 2026 (and the
copies made from it) ``https://www.rfc-editor.org/rfc-index``; both are accepted. Document ids are
normalised: ``RFC0793`` and ``RFC793`` both become ``RFC 793``, ``BCP0079`` becomes ``BCP 79``.

Entry shape (``ietf/sync/rfcindex.py`` in ietf-tools/datatracker writes it, ``rfceditor.py`` reads
it): ``rfc-entry`` has ``doc-id``, ``title``, ``author/name`` (``author/title`` = Editor), ``date``
(``month``, ``day`` for April 1st RFCs, ``year``), ``format/file-format``, ``page-count`` (inside
``format`` in older files), ``keywords/kw``, ``abstract/p``, ``draft``, ``is-also``, ``obsoletes``,
``obsoleted-by``, ``updates``, ``updated-by``, ``see-also`` (each a list of ``doc-id``),
``current-status``, ``publication-status``, ``stream``, ``area``, ``wg_acronym``, ``errata-url``,
``doi``. ``bcp-entry``/``fyi-entry``/``std-entry`` have ``doc-id``, an optional ``title`` and
``is-also``; ``rfc-not-issued-entry`` only a ``doc-id``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from lxml import etree

from crawlers.extract import RejectedInput
from crawlers.extract.decode import EMPTY
from crawlers.ietf.names import month_number
from crawlers.ietf.rfcxml import check_doctype

NAMESPACES = ("http://www.rfc-editor.org/rfc-index", "https://www.rfc-editor.org/rfc-index")
NON_WORKING_GROUP = "NON WORKING GROUP"

_DOC_ID = re.compile(r"(?P<series>[A-Za-z]+)[\s-]?0*(?P<n>\d+)")
_SUBSERIES = ("bcp-entry", "fyi-entry", "std-entry")
_PROLOG_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RfcEntry:
    number: str  # "RFC 8089"
    title: str
    authors: tuple[str, ...]
    date: dt.date | None  # the first of the month when only month and year are given
    status: str | None  # current-status, e.g. "PROPOSED STANDARD"
    publication_status: str | None
    stream: str | None
    area: str | None
    wg: str | None  # None for "NON WORKING GROUP"
    draft: str | None  # "draft-ietf-appsawg-file-scheme-16"
    obsoletes: tuple[str, ...]
    obsoleted_by: tuple[str, ...]
    updates: tuple[str, ...]
    updated_by: tuple[str, ...]
    is_also: tuple[str, ...]
    see_also: tuple[str, ...]
    doi: str | None
    abstract: str | None
    keywords: tuple[str, ...]
    pages: int | None
    formats: tuple[str, ...] = ()
    errata_url: str | None = None


@dataclass(frozen=True, slots=True)
class SubseriesEntry:
    number: str  # "BCP 79"
    title: str | None
    is_also: tuple[str, ...]


@dataclass(slots=True)
class RfcIndex:
    rfcs: list[RfcEntry]
    subseries: list[SubseriesEntry]
    not_issued: list[str] = field(default_factory=list)


def normalise_doc_id(doc_id: str) -> str:
    """``RFC0793`` → ``RFC 793``; ``bcp0079`` → ``BCP 79``; text that is not an id comes back stripped."""
    text = " ".join(doc_id.split())
    m = _DOC_ID.fullmatch(text)
    return f"{m['series'].upper()} {int(m['n'])}" if m else text


def parse_rfc_index(data: bytes, *, name: str = "rfc-index.xml") -> RfcIndex:
    """All entries of an ``rfc-index.xml`` (or an excerpt of one), in file order.

    Raises :class:`RejectedInput` naming ``name`` for empty, malformed or foreign XML, and for any
    DOCTYPE entity declaration or entity reference (the real file has none).
    """
    if not data.strip():
        raise RejectedInput(f"{name}: {EMPTY}")
    check_doctype(data[:_PROLOG_BYTES], name, entities=False)
    index = RfcIndex(rfcs=[], subseries=[])
    for kind, entry in _entries(data, name):
        if isinstance(entry, RfcEntry):
            index.rfcs.append(entry)
        elif isinstance(entry, SubseriesEntry):
            index.subseries.append(entry)
        elif kind == "rfc-not-issued-entry":
            index.not_issued.append(entry)
    return index


def _entries(data: bytes, name: str) -> list[tuple[str, RfcEntry | SubseriesEntry | str]]:
    out: list[tuple[str, RfcEntry | SubseriesEntry | str]] = []
    context = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: etree._Element | None = None
    prefix = ""
    try:
        for _event, element in context:
            if root is None:
                root = element.getroottree().getroot()
                prefix = f"{{{_check_root(root, name)}}}"
            if element.getparent() is not root:
                continue
            tag = element.tag
            if isinstance(tag, str) and tag.startswith(prefix):
                if next(element.iter(etree.Entity), None) is not None:
                    raise RejectedInput(f"{name}: entity references are not allowed in rfc-index.xml")
                kind = tag[len(prefix) :]
                parsed = _entry(kind, element, prefix[1:-1])
                if parsed is not None:
                    out.append((kind, parsed))
            element.clear()
            while element.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as exc:
        raise RejectedInput(f"{name}: malformed XML: {exc.msg}") from None
    if root is None:
        raise RejectedInput(f"{name}: no XML root element")
    return out


def _check_root(element: etree._Element, name: str) -> str:
    qname = etree.QName(element)
    if qname.localname != "rfc-index" or qname.namespace not in NAMESPACES:
        raise RejectedInput(
            f"{name}: not an rfc-index.xml: the root element is {{{qname.namespace or ''}}}{qname.localname}, "
            f"expected rfc-index in namespace {NAMESPACES[0]}"
        )
    return str(qname.namespace)


class _Children:
    """An entry's child elements by local name (one pass; ``find`` per field is several times slower)."""

    def __init__(self, element: etree._Element, ns: str) -> None:
        self.prefix = f"{{{ns}}}"
        self.by_name: dict[str, list[etree._Element]] = {}
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag.startswith(self.prefix):
                self.by_name.setdefault(tag[len(self.prefix) :], []).append(child)

    def text(self, name: str) -> str | None:
        found = self.by_name.get(name)
        return _text(found[0]) if found else None

    def texts(self, name: str, inner: str) -> tuple[str, ...]:
        """Texts of the ``inner`` children of every ``name`` child: ``is-also/doc-id``, ``keywords/kw``."""
        tag = self.prefix + inner
        return tuple(
            text
            for outer in self.by_name.get(name, ())
            for item in outer
            if item.tag == tag
            if (text := _text(item))
        )


def _entry(kind: str, element: etree._Element, ns: str) -> RfcEntry | SubseriesEntry | str | None:
    children = _Children(element, ns)
    doc_id = children.text("doc-id")
    if not doc_id:
        return None
    number = normalise_doc_id(doc_id)
    if kind in _SUBSERIES:
        return SubseriesEntry(number, children.text("title"), _ids(children, "is-also"))
    if kind == "rfc-not-issued-entry":
        return number
    if kind != "rfc-entry":
        return None
    wg = children.text("wg_acronym")
    pages = children.text("page-count") or next(iter(children.texts("format", "page-count")), None)
    dates = children.by_name.get("date")
    return RfcEntry(
        number=number,
        title=children.text("title") or "",
        authors=children.texts("author", "name"),
        date=_date(_Children(dates[0], ns)) if dates else None,
        status=children.text("current-status"),
        publication_status=children.text("publication-status"),
        stream=children.text("stream"),
        area=children.text("area"),
        wg=None if wg is None or wg.upper() == NON_WORKING_GROUP else wg,
        draft=children.text("draft"),
        obsoletes=_ids(children, "obsoletes"),
        obsoleted_by=_ids(children, "obsoleted-by"),
        updates=_ids(children, "updates"),
        updated_by=_ids(children, "updated-by"),
        is_also=_ids(children, "is-also"),
        see_also=_ids(children, "see-also"),
        doi=children.text("doi"),
        abstract="\n\n".join(children.texts("abstract", "p")) or None,
        keywords=children.texts("keywords", "kw"),
        pages=int(pages) if pages and pages.isdigit() else None,
        formats=children.texts("format", "file-format"),
        errata_url=children.text("errata-url"),
    )


def _text(element: etree._Element) -> str | None:
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _ids(children: _Children, name: str) -> tuple[str, ...]:
    return tuple(normalise_doc_id(t) for t in children.texts(name, "doc-id"))


def _date(date: _Children) -> dt.date | None:
    year, month, day = date.text("year"), date.text("month"), date.text("day")
    number = month_number(month) if month else None
    if not year or not year.isdigit() or number is None:
        return None
    try:
        return dt.date(int(year), number, int(day) if day and day.isdigit() else 1)
    except ValueError:
        return None
