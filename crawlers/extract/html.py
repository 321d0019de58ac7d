"""HTML (including Word-exported pages): visible text in document order, sections at h1–h6.

Encoding comes from the BOM, the meta charset or sniffing (bs4's UnicodeDammit). Scripts, styles,
templates, embedded objects, comments and everything in the head are dropped, never run; attribute
values are never text. Block elements end lines, table cells are separated by tabs and rows by
newlines. Entities are only the HTML ones: lxml does not expand DTD entity declarations.
"""

from __future__ import annotations

import html as html_lib
import re
import warnings
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, UnicodeDammit, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, Tag

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.decode import (
    DEFAULT_MAX_BYTES,
    EMPTY,
    UNDECODABLE,
    check_not_binary,
    check_size,
    normalise_fragment,
)
from crawlers.extract.sections import chunk_paragraphs, split_heading_number
from crawlers.items import Section

NO_TEXT = "no text: the HTML page has no visible text"

_DROPPED = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "applet",
        "frameset",
        "frame",
        "audio",
        "video",
        "source",
        "track",
        "map",
        "area",
        "base",
        "basefont",
        "button",
        "select",
    ]
)
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# Paragraph-like blocks are set off by blank lines (paragraph chunks), line-like ones end a line.
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "header",
        "hgroup",
        "hr",
        "html",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    ]
)
_LINES = frozenset(["caption", "dd", "dt", "figcaption", "li", "summary", "tr"])
_CELLS = frozenset(("td", "th"))
_CLOSERS = {**dict.fromkeys(_BLOCKS, "\n\n"), **dict.fromkeys(_LINES, "\n"), **dict.fromkeys(_CELLS, "\t")}
_PRESERVE = frozenset(("pre", "textarea", "listing", "plaintext", "xmp"))
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r" {2,}")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(slots=True)
class _Segment:
    heading: str | None
    level: int
    parts: list[str] = field(default_factory=list)


def extract(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Title (<title>, else the first h1), sections at h1–h6 (else paragraph chunks), encoding."""
    check_size(data, max_bytes)
    if not data:
        raise RejectedInput(EMPTY)
    if not data.startswith(_BOMS):
        check_not_binary(data)
    dammit = UnicodeDammit(data, is_html=True)
    markup = dammit.unicode_markup
    if markup is None:
        raise RejectedInput(UNDECODABLE)
    with warnings.catch_warnings():  # extractors do not print; XHTML parsed as HTML is intended
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "lxml")
    title = _title(soup)
    segments = _segments(soup)
    sections: list[Section] = []
    headings = 0
    for segment in segments:
        text = _tidy("".join(segment.parts))
        if segment.heading is None:
            if text:
                sections.append(Section(None, None, text))
            continue
        headings += 1
        number, heading = split_heading_number(segment.heading)
        sections.append(Section(number, heading, text))
    if not headings:
        sections = chunk_paragraphs("\n\n".join(s.text for s in sections), chunk_chars)
    if not sections:
        raise RejectedInput(NO_TEXT)
    if title is None:
        title = next((s.heading for s in segments if s.level == 1 and s.heading), None)
    return Extracted(
        title=title,
        sections=sections,
        metadata={"encoding": dammit.original_encoding or "utf-8", "headings": headings},
    )


def _title(soup: BeautifulSoup) -> str | None:
    """The first <title> as literal text: markup inside it is kept as characters, never parsed."""
    tag = soup.find("title")
    if not isinstance(tag, Tag):
        return None
    if all(type(child) is NavigableString for child in tag.contents):
        raw = "".join(str(child) for child in tag.contents)
    else:  # an older libxml2 parsed tags inside <title>: give back their source text
        raw = html_lib.unescape(tag.decode_contents())
    title = " ".join(normalise_fragment(raw).split())
    return title or None


def _segments(soup: BeautifulSoup) -> list[_Segment]:
    """Walk the tree without recursion (hostile nesting depth), cutting a segment at each heading."""
    segments = [_Segment(None, 0)]
    stack: list[tuple[PageElement, bool, bool]] = [(soup, False, False)]  # node, closing, in <pre>
    while stack:
        node, closing, preformatted = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # not comments, CDATA, doctypes, script/style text
                text = str(node)
                segments[-1].parts.append(text if preformatted else _WHITESPACE.sub(" ", text))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name.lower()
        if closing:
            segments[-1].parts.append(_CLOSERS[name])
            continue
        if name in _DROPPED:
            continue
        if name in _HEADINGS:
            heading = _WHITESPACE.sub(" ", _visible_text(node)).strip()
            if heading:
                segments.append(_Segment(heading, int(name[1])))
                continue
        if name == "br":
            segments[-1].parts.append("\n")
            continue
        if name in _BLOCKS:
            segments[-1].parts.append("\n\n")
        if name in _CLOSERS:
            stack.append((node, True, preformatted))
        inner = preformatted or name in _PRESERVE
        stack.extend((child, False, inner) for child in reversed(node.contents))
    return segments


def _visible_text(tag: Tag) -> str:
    """The text of ``tag`` under the same rules as the page text, without line structure."""
    parts: list[str] = []
    stack: list[PageElement] = [tag]
    while stack:
        node = stack.pop()
        if type(node) is NavigableString:
            parts.append(str(node))
        elif isinstance(node, Tag) and (node is tag or node.name.lower() not in _DROPPED):
            if node.name.lower() == "br":
                parts.append(" ")
            stack.extend(reversed(node.contents))
    return " ".join(parts)


def _tidy(text: str) -> str:
    """One line per block, cells tab-separated, no runs of spaces, then the usual normalisation."""
    lines = []
    for line in text.split("\n"):
        cells = (_SPACES.sub(" ", cell).strip() for cell in line.split("\t"))
        lines.append("\t".join(cell for cell in cells if cell))
    return normalise_fragment("\n".join(lines))
