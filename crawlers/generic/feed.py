"""Any RSS 0.9x/1.0/2.0 or Atom feed: one :class:`StandardDocument` per entry.

feedparser does the format work; this module owns what feedparser does not: it never lets
feedparser open anything (a ``bytes`` argument that looks like a path would be read from disk, a
``str`` that looks like a URL would be fetched, so the data always goes in as a stream), it refuses
XML entity declarations before feedparser sees them (feedparser hands literal-valued entities to
expat and to its own loose parser: a 500 kB quadratic-blowup feed had taken ~10 GB of memory and
over a minute when it was stopped), it turns HTML titles and summaries into plain text, and it gives every entry a number
that survives re-publication so the store can tell a re-published entry from a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import feedparser
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, Tag
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import NonXMLContentType

from crawlers.extract import RejectedInput
from crawlers.extract.decode import EMPTY, check_not_binary, check_size, normalise_fragment
from crawlers.items import Section, StandardDocument

__all__ = [
    "DEFAULT_FEED_MAX_BYTES",
    "FeedResult",
    "FeedSpec",
    "clean_url",
    "html_to_text",
    "parse_feed",
]

DEFAULT_FEED_MAX_BYTES = 20 * 1024 * 1024

NOT_A_FEED = "not a feed: no RSS, RDF or Atom root element"
NOT_A_FEED_HTML = "not a feed: this is an HTML page (wrong URL, or an error or login page?)"
ENTITIES_REFUSED = (
    "refused: the feed declares XML entities (<!ENTITY> in its DOCTYPE), "
    "which can expand to gigabytes (billion laughs / quadratic blowup)"
)

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<\w")
_PROLOG_SPACE = re.compile(rb"\s*")
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
# Tags that make a text/plain value (an RSS title, say) really HTML: a plain "<T>" stays text.
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|cite|code|del|div|em|font|h[1-6]|i|img|ins|li|mark|ol|p|"
    r"pre|q|s|script|small|span|strong|style|sub|sup|table|td|th|tr|tt|u|ul)\b[^>]*>",
    re.IGNORECASE,
)
_TRACKING_PARAMS = re.compile(
    r"utm_[a-z0-9_]*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_hsenc|_hsmi",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")

_DROPPED = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "select",
        "button",
        "audio",
        "video",
        "map",
    ]
)
_PARAGRAPHS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dl",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    ]
)
_LINES = frozenset(["caption", "dd", "div", "dt", "figcaption", "li", "summary", "tr"])
_CELLS = frozenset(("td", "th"))


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A configured feed: ``name`` becomes the documents' source, ``body``/``group`` their facets."""

    name: str
    url: str
    body: str | None = None
    group: str | None = None
    kind: str = "feed-entry"


@dataclass(slots=True)
class FeedResult:
    """The entries of one feed document.

    ``problem`` is the parser's complaint when the feed was malformed (what was recovered is still
    in ``documents``), None for a well-formed feed; ``title`` is the feed's own title.
    """

    documents: list[StandardDocument] = field(default_factory=list)
    problem: str | None = None
    title: str | None = None


def parse_feed(
    data: bytes,
    spec: FeedSpec,
    *,
    content_type: str | None = None,
    max_bytes: int = DEFAULT_FEED_MAX_BYTES,
) -> FeedResult:
    """Parse the bytes of a feed fetched from ``spec.url``.

    ``content_type`` is the HTTP Content-Type header, when known (it may name the charset).
    Raises :class:`RejectedInput` for input that is not a feed at all (empty, binary, an HTML page)
    or that declares XML entities; a feed that is merely malformed gives what could be recovered
    and says what was wrong in :attr:`FeedResult.problem`.
    """
    check_size(data, max_bytes)
    if not data.strip():
        raise RejectedInput(EMPTY)
    if not data.startswith(_BOMS):
        check_not_binary(data)
    # No content-location: feedparser would resolve RSS guids against it ("g-1" becoming
    # "https://host/g-1") and the number would change with the feed's URL. Links are resolved here.
    headers = {"content-type": content_type or "application/xml"}
    _refuse_entity_declarations(data, headers)
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    entries: list[Any] = list(parsed.get("entries") or [])
    if not parsed.get("version") and not entries:
        raise RejectedInput(NOT_A_FEED_HTML if _HTML_ROOT.search(data[:4096]) else NOT_A_FEED)

    feed_info: Mapping[str, Any] = parsed.get("feed") or {}
    feed_title = _plain_title(feed_info.get("title_detail"), feed_info.get("title"))
    documents: list[StandardDocument] = []
    seen: set[str] = set()
    for entry in entries:
        document = _document(entry, spec, feed_title)
        if document is None:  # an empty <item/>, or what a truncated feed left of one
            continue
        if document.number in seen:  # the same entry listed twice: the first (newest) one counts
            continue
        seen.add(document.number)
        documents.append(document)
    return FeedResult(documents=documents, problem=_problem(parsed), title=feed_title)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: scripts and styles dropped, paragraphs separated by a
    blank line, list items, table rows and ``<br>`` on lines of their own, cells by a space."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    parts: list[str] = []
    pending = 0  # line breaks owed before the next text: 1 a new line, 2 a blank line
    stack: list[tuple[PageElement, int]] = [(soup, 0)]
    while stack:  # no recursion: hostile nesting depth
        node, closing = stack.pop()
        if closing:
            pending = max(pending, closing)
            continue
        if isinstance(node, NavigableString):
            if type(node) is not NavigableString:  # comments, doctypes, script or style text
                continue
            text = _WHITESPACE.sub(" ", str(node))
            if not text.strip():
                if not pending and parts:
                    parts.append(" ")
                continue
            if pending and parts:
                parts.append("\n" * pending)
            pending = 0
            parts.append(text)
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name.lower()
        if name in _DROPPED:
            continue
        if name == "br":
            pending = max(pending, 1)
            continue
        if name in _CELLS:
            parts.append(" ")
        breaks = 2 if name in _PARAGRAPHS else 1 if name in _LINES else 0
        if breaks:
            pending = max(pending, breaks)
            stack.append((node, breaks))
        stack.extend((child, 0) for child in reversed(node.contents))
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return normalise_fragment("\n".join(lines))


def clean_url(url: str) -> str:
    """``url`` without tracking query parameters (``utm_*``, ``fbclid``…), scheme and host lowered.

    Other parameters keep their order and encoding, so the result is stable for the same link.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return url
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not _TRACKING_PARAMS.fullmatch(unquote_plus(pair.split("=", 1)[0]))
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, "&".join(kept), parts.fragment)
    )


def _refuse_entity_declarations(data: bytes, headers: dict[str, str]) -> None:
    """Raise when the document declares entities where feedparser would honour them.

    Entities can only be declared before the root element. The region checked is the prolog as
    XML defines it (comments, processing instructions and the DOCTYPE with its internal subset
    skipped properly) or, when longer, everything before the first ``<name`` (where feedparser
    itself looks for declarations), so neither of feedparser's two parsers ever sees one.
    The bytes are checked in UTF-8 as feedparser converts them, so UTF-16 cannot hide a declaration.
    """
    try:
        utf8 = convert_to_utf8(dict(headers), data, {})
    except Exception:  # the converter failing means feedparser cannot read it either
        utf8 = data
    if not isinstance(utf8, bytes):
        utf8 = data
    first = _FIRST_ELEMENT.search(utf8)
    end = max(_prolog_end(utf8), first.start() + 1 if first else len(utf8))
    if _ENTITY_DECLARATION.search(utf8, 0, end):
        raise RejectedInput(ENTITIES_REFUSED)


def _prolog_end(data: bytes) -> int:
    """Offset of the root element: XML declaration, PIs, comments and DOCTYPE skipped."""
    position = 0
    size = len(data)
    while position < size:
        match = _PROLOG_SPACE.match(data, position)
        position = match.end() if match else position
        if data.startswith(b"<?", position):
            close = data.find(b"?>", position + 2)
            position = size if close < 0 else close + 2
        elif data.startswith(b"<!--", position):
            close = data.find(b"-->", position + 4)
            position = size if close < 0 else close + 3
        elif data[position : position + 9].upper() == b"<!DOCTYPE":
            position = _doctype_end(data, position + 9)
        else:
            return position
    return size


def _doctype_end(data: bytes, position: int) -> int:
    """Offset after the DOCTYPE that started before ``position``, internal subset included."""
    depth = 0
    quote: int | None = None
    for index in range(position, len(data)):
        byte = data[index]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            depth += 1
        elif byte == ord("]"):
            depth -= 1
        elif byte == ord(">") and depth <= 0:
            return index + 1
    return len(data)


def _problem(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    exception = parsed.get("bozo_exception")
    # The server's Content-Type header is not the feed's fault; the feed parses all the same.
    if exception is None or isinstance(exception, NonXMLContentType):
        return None
    return str(exception) or type(exception).__name__


def _document(entry: Mapping[str, Any], spec: FeedSpec, feed_title: str | None) -> StandardDocument | None:
    title = _plain_title(entry.get("title_detail"), entry.get("title"))
    guid = _text_or_none(_raw(entry, "id"))
    link = _link(_text_or_none(_raw(entry, "link")), guid, bool(_raw(entry, "guidislink")), spec.url)
    text = _entry_text(entry)
    if not (title or link or guid or text):
        return None
    published = _timestamp(_raw(entry, "published_parsed"))
    updated = _timestamp(_raw(entry, "updated_parsed"))
    when = published or updated
    section_text = text or title or (clean_url(link) if link else None) or _number(guid, link, title, text)
    return StandardDocument(
        source=spec.name,
        number=_number(guid, link, title, text),
        kind=spec.kind,
        title=title,
        sections=[Section(None, None, section_text)],
        body=spec.body,
        group=spec.group,
        date=when.date() if when else None,
        origin=clean_url(link) if link else None,
        metadata={
            "link": link,
            "published": published.isoformat() if published else _text_or_none(_raw(entry, "published")),
            "updated": updated.isoformat() if updated else _text_or_none(_raw(entry, "updated")),
            "authors": _authors(entry),
            "tags": _tags(entry.get("tags")),
            "feed_title": feed_title,
            "guid": guid,
        },
    )


def _link(link: str | None, guid: str | None, guid_is_link: bool, feed_url: str) -> str | None:
    """The entry's link made absolute against the feed's URL; None unless http(s).

    An RSS guid is a permalink unless it says otherwise, and feedparser then copies it into the
    link: a guid such as "item-17" is no link.
    """
    if link is None or (guid_is_link and link == guid and not urlsplit(link).scheme):
        return None
    absolute = urljoin(feed_url, link)
    return absolute if urlsplit(absolute).scheme.lower() in ("http", "https") else None


def _number(guid: str | None, link: str | None, title: str | None, text: str) -> str:
    """The entry's identity: its id/guid, else its link without tracking, else a content hash.

    A guid that is an http(s) URL is cleaned like a link: feeds that build the guid from the
    tracked link would otherwise give a new number on every re-publication.
    """
    if guid:
        return clean_url(guid)
    if link:
        return clean_url(link)
    seed = f"{title or ''}\n{text}" if title or text else ""
    return "sha256:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def _entry_text(entry: Mapping[str, Any]) -> str:
    """Plain text of the entry's content (Atom content, RSS content:encoded), else its summary."""
    for content in _raw(entry, "content") or []:
        if isinstance(content, Mapping) and (text := _plain_text(content.get("type"), content.get("value"))):
            return text
    summary = _raw(entry, "summary_detail")
    if isinstance(summary, Mapping):
        return _plain_text(summary.get("type"), summary.get("value"))
    return _plain_text("text/html", _raw(entry, "summary"))


def _plain_text(content_type: object, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    kind = content_type if isinstance(content_type, str) else "text/html"
    if "html" in kind or _HTML_TAG.search(value):
        return html_to_text(value)
    lines = (" ".join(line.split()) for line in value.split("\n"))
    return normalise_fragment("\n".join(lines))


def _plain_title(detail: object, value: object) -> str | None:
    content_type = detail.get("type") if isinstance(detail, Mapping) else None
    title = " ".join(_plain_text(content_type, value).split())
    return title or None


def _timestamp(parsed: object) -> dt.datetime | None:
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    except ValueError:
        return None


def _authors(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        if isinstance(author, Mapping):
            name = _text_or_none(author.get("name")) or _text_or_none(author.get("email"))
            if name and name not in names:
                names.append(name)
    if not names and (single := _text_or_none(entry.get("author"))):
        names.append(single)
    return names


def _tags(tags: Iterable[Any] | None) -> list[str]:
    terms: list[str] = []
    for tag in tags or []:
        if isinstance(tag, Mapping):
            term = _text_or_none(tag.get("label")) or _text_or_none(tag.get("term"))
            if term and term not in terms:
                terms.append(term)
    return terms


def _raw(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]`` without feedparser's key aliases (its ``updated`` falls back to ``published``)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)


def _text_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None
