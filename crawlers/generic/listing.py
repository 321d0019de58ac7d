"""Any HTML listing page (a table or list of documents) described by CSS selectors.

A :class:`ListingSpec` names a row selector and, within a row, selectors for the title, link,
date, number and any extra fields. A selector ending in ``@attr`` takes that attribute instead of
the text (``a@href``; ``@data-id`` alone reads the row's own attribute). :func:`parse_listing`
turns one page into :class:`ListingEntry` rows plus the next page's URL; :func:`entry_document`
makes the :class:`StandardDocument` for an entry, from the listing alone or from the document its
link led to.

When the layout of a page changes, selectors silently stop matching. So a row selector that
matches nothing, or a required field selector (title; number or, without one, link) that matches
in none of the rows, raises :class:`SelectorMatchedNothing` naming the listing, the selector and
the page, instead of returning an empty page that looks like "nothing new".
"""

from __future__ import annotations

import datetime as dt
import re
import string
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import soupsieve
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, UnicodeDammit, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, Tag

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.decode import EMPTY, UNDECODABLE, check_not_binary, check_size
from crawlers.items import Section, StandardDocument

__all__ = [
    "DEFAULT_LISTING_MAX_BYTES",
    "ListingEntry",
    "ListingPage",
    "ListingSpec",
    "SelectorMatchedNothing",
    "entry_document",
    "parse_date",
    "parse_listing",
]

DEFAULT_LISTING_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_LINK = "a@href"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ATTRIBUTE_SUFFIX = re.compile(r"@([A-Za-z_:][-\w:.]*)\s*$")
_WHITESPACE = re.compile(r"\s+")
_LINK_SCHEMES = ("http", "https")
# Elements that do not separate words; any other element boundary counts as a space.
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    ]
)
_SKIPPED = frozenset(["script", "style", "noscript", "template"])

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "janvier", "januar"),
            ("february", "février", "fevrier", "februar"),
            ("march", "mars", "märz", "maerz"),
            ("april", "avril"),
            ("may", "mai"),
            ("june", "juin", "juni"),
            ("july", "juillet", "juli"),
            ("august", "août", "aout"),
            ("september", "septembre"),
            ("october", "octobre", "oktober"),
            ("november", "novembre"),
            ("december", "décembre", "decembre", "dezember"),
        ],
        start=1,
    )
    for name in names
}
_YMD = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    r"(?<![\d\w])(\d{1,2})(?:st|nd|rd|th)?[\s./-]*([^\W\d_]{3,10})\.?[\s./,-]*(\d{4})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(r"(?<!\w)([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?!\d)")
_COMPACT = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*")


class SelectorMatchedNothing(RejectedInput):
    """A selector found nothing: the page layout changed, or the selector is wrong."""

    def __init__(self, listing: str, key: str, selector: str, url: str, rows: int | None = None) -> None:
        where = f"in any of the {rows} rows on" if rows is not None else "on"
        super().__init__(f"listing {listing}: selector {key} {selector!r} matched nothing {where} {url}")
        self.listing = listing
        self.key = key
        self.selector = selector
        self.url = url


@dataclass(frozen=True, slots=True)
class ListingSpec:
    """A configured listing page (the fields of a ``listings:`` item in the configuration).

    ``row`` selects the rows in the page; ``title``, ``link``, ``date``, ``number`` and the values
    of ``extra`` select within a row (first match; ``sel@attr`` takes an attribute). ``link``
    defaults to ``a@href`` and reads ``href`` unless told otherwise. Without ``number`` the number
    is the link without query and fragment. ``number_pattern`` is a regex searched in the number
    text (or in the whole link when ``number`` is None); its one group is the number, or
    ``number_format`` (a ``str.format`` template) builds the number from its groups: ``{1}`` or
    ``{name}``, and a digit-only group given an integer format (``{rev:d}``, ``{dcn:04d}``) is
    formatted as the integer. ``date_format`` is a strptime format; without it common date forms
    are recognised. ``next_page`` selects the "next page" link in the whole page; ``max_pages``
    and ``follow`` (fetch each entry's link and extract the document) are for the spider.
    """

    name: str
    url: str
    row: str
    title: str
    link: str | None = None
    date: str | None = None
    number: str | None = None
    date_format: str | None = None
    next_page: str | None = None
    body: str | None = None
    group: str | None = None
    follow: bool = False
    max_pages: int = 5
    number_pattern: str | None = None
    number_format: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError(f"listing {self.name}: max_pages must be at least 1")
        selectors = {"row": self.row, "title": self.title, "link": self.link, "date": self.date}
        selectors |= {"number": self.number, "next_page": self.next_page}
        selectors |= {f"extra.{key}": value for key, value in self.extra.items()}
        for key, selector in selectors.items():
            if selector is not None:
                _check_selector(self.name, key, selector, allow_attribute=key != "row")
        if self.number_pattern is not None:
            _check_pattern(self.name, self.number_pattern, self.number_format)
        elif self.number_format is not None:
            raise ValueError(f"listing {self.name}: number_format needs a number_pattern")


@dataclass(slots=True)
class ListingEntry:
    number: str
    title: str
    url: str | None
    date: dt.date | None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ListingPage:
    """The entries of one page, the next page's URL (None on the last page), and what was skipped."""

    entries: list[ListingEntry] = field(default_factory=list)
    next_url: str | None = None
    problems: list[str] = field(default_factory=list)


def parse_listing(
    html: bytes | str,
    page_url: str,
    spec: ListingSpec,
    *,
    max_bytes: int = DEFAULT_LISTING_MAX_BYTES,
) -> ListingPage:
    """The entries of the listing page ``html`` fetched from ``page_url``, with absolute URLs.

    Rows without a title or number are skipped and noted in :attr:`ListingPage.problems`, as are
    dates that cannot be read and links that are not http(s) (the entry keeps no date or URL).
    Raises :class:`SelectorMatchedNothing` when the rows, or a required field in every row, are not
    found, and :class:`RejectedInput` for input that is not an HTML page.
    """
    soup = _soup(html, max_bytes)
    base = page_url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag) and isinstance(base_tag.get("href"), str):
        base = urljoin(page_url, str(base_tag["href"]).strip())

    rows = soup.select(spec.row)
    if not rows:
        raise SelectorMatchedNothing(spec.name, "row", spec.row, page_url)

    page = ListingPage()
    found = {"title": 0, "number": 0, "link": 0, "number_pattern": 0}
    for index, row in enumerate(rows, start=1):
        entry = _entry(row, index, spec, base, page.problems, found)
        if entry is not None:
            page.entries.append(entry)

    required = [("title", spec.title)]
    if spec.number is not None:
        required.append(("number", spec.number))
    else:
        required.append(("link", spec.link or DEFAULT_LINK))
    if spec.number_pattern is not None:
        required.append(("number_pattern", spec.number_pattern))
    for key, selector in required:
        if not found[key]:
            raise SelectorMatchedNothing(spec.name, key, selector, page_url, len(rows))

    if spec.next_page is not None:
        page.next_url = _next_url(soup, spec.next_page, base, page_url)
    return page


def entry_document(
    entry: ListingEntry, spec: ListingSpec, *, extracted: Extracted | None = None
) -> StandardDocument:
    """The document for ``entry``: the extracted document's sections when its link was followed
    and extracted, else a stand-in section from the listing row (and ``partial=True``)."""
    metadata: dict[str, Any] = {
        "url": entry.url,
        "date": entry.date.isoformat() if entry.date else None,
        "extra": dict(entry.extra),
    }
    if extracted is not None and extracted.sections:
        metadata["extracted"] = dict(extracted.metadata)
        sections = list(extracted.sections)
    else:
        lines = [entry.title, *(f"{key}: {value}" for key, value in entry.extra.items())]
        sections = [Section(None, None, "\n".join(lines))]
        extracted = None
    return StandardDocument(
        source=spec.name,
        number=entry.number,
        kind="listing-entry" if extracted is None else "document",
        title=entry.title,
        sections=sections,
        body=spec.body,
        group=spec.group,
        date=entry.date,
        origin=entry.url,
        metadata=metadata,
        partial=extracted is None,
    )


def parse_date(text: str, date_format: str | None = None) -> dt.date | None:
    """The date in ``text``: by ``date_format`` (strptime, the whole text) when given, else the first
    date in a common form (``2021-10-13``, ``13-Oct-2021 13:03:53 ET``, ``October 13, 2021``,
    ``Wed, 13 Oct 2021``, ``13.10.2021``, ``2021年10月13日``, ``20211013``). Numeric day/month
    orders that cannot be told apart (``03/04/2021``) give None rather than a guess.
    """
    text = " ".join(text.split())
    if not text:
        return None
    if date_format is not None:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    for attempt in (_ymd, _day_month_year, _month_day_year, _numeric, _compact):
        try:
            found = attempt(text)
        except ValueError:  # numbers that are no date (month 13, 31 February)
            continue
        if found is not None:
            return found
    return None


def _ymd(text: str) -> dt.date | None:
    match = _YMD.search(text)
    return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _day_month_year(text: str) -> dt.date | None:
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = _month(match[2])
        if month:
            return dt.date(int(match[3]), month, int(match[1]))
    return None


def _month_day_year(text: str) -> dt.date | None:
    for match in _MONTH_DAY_YEAR.finditer(text):
        month = _month(match[1])
        if month:
            return dt.date(int(match[3]), month, int(match[2]))
    return None


def _numeric(text: str) -> dt.date | None:
    match = _NUMERIC.search(text)
    if not match:
        return None
    first, separator, second, year = int(match[1]), match[2], int(match[3]), int(match[4])
    if separator == "." or first > 12:  # 13.10.2021 and 13/10/2021 are day first
        return dt.date(year, second, first)
    if second > 12 or first == second:
        return dt.date(year, first, second)
    return None


def _compact(text: str) -> dt.date | None:
    match = _COMPACT.fullmatch(text)
    return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _month(word: str) -> int | None:
    word = word.lower()
    if word == "sept":
        return 9
    for name, number in _MONTHS.items():
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _soup(html: bytes | str, max_bytes: int) -> BeautifulSoup:
    if isinstance(html, bytes):
        check_size(html, max_bytes)
        if not html.strip():
            raise RejectedInput(EMPTY)
        if not html.startswith(_BOMS):
            check_not_binary(html)
        markup = UnicodeDammit(html, is_html=True).unicode_markup
        if markup is None:
            raise RejectedInput(UNDECODABLE)
    else:
        if len(html) > max_bytes:
            raise RejectedInput(f"too large: {len(html)} characters (limit {max_bytes})")
        if not html.strip():
            raise RejectedInput(EMPTY)
        markup = html
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def _entry(
    row: Tag, index: int, spec: ListingSpec, base: str, problems: list[str], found: dict[str, int]
) -> ListingEntry | None:
    title = _select(row, spec.title)
    if title:
        found["title"] += 1
    url = None
    link = _select(row, spec.link or DEFAULT_LINK, default_attribute="href")
    if link:
        found["link"] += 1
        url = _absolute(link, base)
        if url is None:
            problems.append(f"row {index}: link {link!r} is not an http(s) URL")
    number = _number(row, index, spec, url, problems, found)
    if not title or not number:
        missing = " and ".join(what for what, value in (("title", title), ("number", number)) if not value)
        problems.append(f"row {index}: skipped, no {missing} ({_row_summary(row)})")
        return None
    date = None
    if spec.date is not None:
        date_text = _select(row, spec.date)
        if date_text:
            date = parse_date(date_text, spec.date_format)
            if date is None:
                problems.append(f"row {index}: date {date_text!r} not understood")
    extra = {key: value for key, selector in spec.extra.items() if (value := _select(row, selector))}
    return ListingEntry(number=number, title=title, url=url, date=date, extra=extra)


def _number(
    row: Tag, index: int, spec: ListingSpec, url: str | None, problems: list[str], found: dict[str, int]
) -> str | None:
    if spec.number is not None:
        source = _select(row, spec.number)
        if source:
            found["number"] += 1
    else:
        source = url
    if not source:
        return None
    if spec.number_pattern is None:
        if spec.number is not None:
            return source
        parts = urlsplit(source)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    match = re.search(spec.number_pattern, source)
    if match is None:
        problems.append(f"row {index}: number_pattern did not match {source!r}")
        return None
    found["number_pattern"] += 1
    if spec.number_format is None:
        value = match.group(1)
    else:
        groups = [match.group(0), *(group or "" for group in match.groups())]
        named = {name: value or "" for name, value in match.groupdict().items()}
        value = _NumberFormatter().format(spec.number_format, *groups, **named)
    return " ".join(value.split()) or None


def _next_url(soup: BeautifulSoup, selector: str, base: str, page_url: str) -> str | None:
    css, attribute = _split_selector(selector)
    element = soup.select_one(css) if css else None
    if element is None:
        return None
    value = _read(element, attribute, "href")
    url = _absolute(value, base) if value else None
    if url is None or url == page_url:  # a "next" that points at this page ends the walk
        return None
    return url


def _select(row: Tag, selector: str, default_attribute: str | None = None) -> str | None:
    css, attribute = _split_selector(selector)
    element = row.select_one(css) if css else row
    if element is None:
        return None
    return _read(element, attribute, default_attribute)


def _read(element: Tag, attribute: str | None, default_attribute: str | None) -> str | None:
    if attribute is None and default_attribute is not None:
        if element.has_attr(default_attribute):
            attribute = default_attribute
        else:  # "td.actions" for a link: the first anchor inside it
            inner = element.select_one(f"[{soupsieve.escape(default_attribute)}]")
            if isinstance(inner, Tag):
                element, attribute = inner, default_attribute
    if attribute is not None:
        value = element.get(attribute)
        if isinstance(value, list):
            value = " ".join(value)
        return value.strip() or None if isinstance(value, str) else None
    return _text(element) or None


def _text(element: Tag) -> str:
    """The element's text on one line: scripts and comments left out, block boundaries spaced."""
    parts: list[str] = []
    stack: list[Any] = [element]
    while stack:
        node = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:
                parts.append(str(node))
        elif isinstance(node, Tag) and (node is element or node.name.lower() not in _SKIPPED):
            if node.name.lower() not in _INLINE:
                parts.append(" ")
            stack.extend(reversed(node.contents))
    return " ".join("".join(parts).split())


def _absolute(link: str, base: str) -> str | None:
    url = urljoin(base, link.strip())
    return url if urlsplit(url).scheme.lower() in _LINK_SCHEMES else None


def _row_summary(row: Tag) -> str:
    text = _text(row)
    return repr(text[:77] + "…" if len(text) > 80 else text)


def _split_selector(selector: str) -> tuple[str, str | None]:
    """``"td a@href"`` → ``("td a", "href")``; an ``@`` inside ``[...]`` or quotes is CSS."""
    match = _ATTRIBUTE_SUFFIX.search(selector)
    if match is None:
        return selector.strip(), None
    head = selector[: match.start()]
    if head.count("[") != head.count("]") or head.count('"') % 2 or head.count("'") % 2:
        return selector.strip(), None
    return head.strip(), match[1]


def _check_selector(listing: str, key: str, selector: str, *, allow_attribute: bool) -> None:
    css, attribute = _split_selector(selector)
    if attribute is not None and not allow_attribute:
        raise ValueError(f"listing {listing}: selector {key} {selector!r} cannot take an attribute")
    if not css:
        if attribute is None or key == "next_page":
            raise ValueError(f"listing {listing}: selector {key} is empty")
        return
    try:
        soupsieve.compile(css)
    except soupsieve.SelectorSyntaxError as error:
        raise ValueError(
            f"listing {listing}: selector {key} {selector!r} is not valid CSS: {error}"
        ) from None


def _check_pattern(listing: str, pattern: str, number_format: str | None) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"listing {listing}: number_pattern {pattern!r} is not a valid regex: {error}"
        ) from None
    if number_format is None:
        if compiled.groups != 1:
            raise ValueError(
                f"listing {listing}: number_pattern {pattern!r} needs exactly one group "
                f"(it has {compiled.groups}), or a number_format"
            )
        return
    fields: list[str] = []
    try:
        for _literal, name, _spec, _conversion in string.Formatter().parse(number_format):
            if name is not None:
                fields.append(name)
    except ValueError as error:
        raise ValueError(f"listing {listing}: number_format {number_format!r}: {error}") from None
    for name in fields:
        known = name in compiled.groupindex or (name.isdigit() and int(name) <= compiled.groups)
        if not known:
            raise ValueError(
                f"listing {listing}: number_format {number_format!r} names {{{name}}}, "
                f"which is not a group of number_pattern {pattern!r}"
            )


class _NumberFormatter(string.Formatter):
    """``str.format`` where a digit-only group meets an integer format as an integer."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, str) and value.isdigit() and format_spec[-1:] in ("d", "x", "X", "o", "b", "n"):
            value = int(value)
        return super().format_field(value, format_spec)

    def check_unused_args(self, used_args: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        return None
