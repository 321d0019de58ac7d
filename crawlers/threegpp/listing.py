"""Directory listings of www.3gpp.org/ftp, in both formats the server has used; and page decoding.

* The older IIS listing: one ``<pre>`` block, a ``[To Parent Directory]`` link, then one line per
  entry, ``3/26/2019  4:49 PM       853676 <a href=…>23041-g00.zip</a><br>`` (US month/day/year,
  12-hour clock, ``&lt;dir&gt;`` instead of a size for folders).
* The newer "Directory Listing" page: a table with one row per entry, an icon
  ``/ftp/geticon.axd?file=.zip`` (an empty ``file=`` marks a folder), the name, ``2020/02/24 6:02``
  (24-hour clock, unpadded) and a size such as ``851,3 KB`` (decimal comma) or ``1.2 MB``.

Times are the server's local time, returned as naive datetimes. Sizes in the table style are
rounded by the server; they are converted with 1 KB = 1024 bytes.

:func:`decode_page` and :func:`html_document` are the byte-to-tree steps the other 3GPP page
parsers share.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html

from crawlers.extract import RejectedInput
from crawlers.extract.decode import (
    DEFAULT_MAX_BYTES,
    EMPTY,
    EMPTY_TEXT,
    check_not_binary,
    check_size,
    decode_with_encoding,
)


@dataclass(frozen=True, slots=True)
class ListingEntry:
    name: str
    url: str
    is_dir: bool
    modified: datetime | None
    size: int | None


NOT_A_LISTING = "not a 3GPP directory listing: no IIS <pre> listing and no 'Directory Listing' table"

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
# WHATWG: pages that declare latin-1 or ASCII are decoded as windows-1252 (codec names as Python has them).
_AS_CP1252 = frozenset(["iso8859-1", "ascii"])
_BOM_PREFIXES = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)

_IIS_LINE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AP]M)?"
    r"\s+(?:(?P<dir><dir>)|(?P<size>\d[\d,.]*))\s*$",
    re.IGNORECASE,
)
_TABLE_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SIZE = re.compile(r"^(\d[\d.,\s]*?)\s*(B|BYTES?|KB|KIB|MB|MIB|GB|GIB|TB)?$", re.IGNORECASE)
_UNITS = {"b": 1, "byte": 1, "bytes": 1, "kb": 1024, "kib": 1024, "mb": 1024**2, "mib": 1024**2}
_UNITS.update({"gb": 1024**3, "gib": 1024**3, "tb": 1024**4})
_PARENT_TEXT = re.compile(r"parent\s+directory|^\.\.$|^\[?\s*\.\.\s*\]?$", re.IGNORECASE)


def decode_page(data: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Text of an HTML page: BOM, else the charset its ``<meta>`` declares, else UTF-8 or a guess.

    A declared charset the bytes do not fit (a "UTF-8" page that is really windows-1252) falls back
    to the guess of :mod:`crawlers.extract.decode`, which refuses binary or undecodable input.
    """
    if isinstance(data, str):
        return data
    if not data:
        raise RejectedInput(EMPTY)
    check_size(data, max_bytes)
    if data.startswith(_BOM_PREFIXES):
        return decode_with_encoding(data)[0]
    check_not_binary(data)
    declared = _CHARSET.search(data[:8192])
    if declared:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
            if encoding in _AS_CP1252:
                encoding = "cp1252"
            elif encoding.startswith(("utf-16", "utf-32")):
                encoding = "utf-8"  # WHATWG: a UTF-16 declaration in bytes without a BOM is a mistake
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_with_encoding(data)[0]


def html_document(data: bytes | str) -> Any:
    """``data`` decoded (:func:`decode_page`) and parsed by lxml's forgiving HTML parser.

    lxml never fetches external resources nor expands DTD entities in HTML. Raises
    :class:`RejectedInput` for empty, binary or undecodable input.
    """
    text = _XML_DECLARATION.sub("", decode_page(data), count=1)
    if not text.strip():
        raise RejectedInput(EMPTY_TEXT)
    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise RejectedInput(f"unreadable HTML: {exc}") from exc


def text_of(element: Any) -> str:
    """The text of an element, whitespace (non-breaking spaces included) collapsed."""
    return " ".join(str(element.text_content()).split())


def parse_listing(html: bytes | str, page_url: str) -> list[ListingEntry]:
    """Entries of a 3GPP FTP directory page, parent-directory link excluded.

    Raises :class:`RejectedInput` when the page is not a directory listing at all; an empty
    directory gives ``[]``.
    """
    document = html_document(html)
    table_rows = _table_rows(document)
    if table_rows is not None:
        return _dedupe([e for row in table_rows if (e := _table_entry(row, page_url)) is not None])
    pre = _iis_pre(document)
    if pre is not None:
        return _dedupe(_iis_entries(pre, page_url))
    raise RejectedInput(NOT_A_LISTING)


def _title(document: Any) -> str:
    return " ".join(str(document.findtext(".//title") or "").split())


def _table_rows(document: Any) -> list[Any] | None:
    """Rows of the "Directory Listing" table, or None when the page is not in that format."""
    rows: list[Any] = []
    seen: set[int] = set()
    for img in document.iter("img"):
        if "geticon.axd" not in str(img.get("src") or "").lower():
            continue
        row = next(img.iterancestors("tr"), None)
        if row is not None and id(row) not in seen:
            seen.add(id(row))
            rows.append(row)
    if rows:
        return rows
    sort_links = document.xpath("//a[starts-with(@href, '?sortby=')]")
    if (
        _title(document).lower().startswith("directory listing")
        or sort_links
        or document.xpath("//*[@id='FileCount']")
    ):
        return []
    return None


def _table_entry(row: Any, page_url: str) -> ListingEntry | None:
    link = next((a for a in row.iter("a") if a.get("href")), None)
    if link is None:
        return None
    text = text_of(link)
    href = str(link.get("href"))
    if _PARENT_TEXT.search(text):
        return None
    icon = next(
        (str(img.get("src")) for img in row.iter("img") if "geticon" in str(img.get("src") or "").lower()), ""
    )
    extension = icon.partition("file=")[2] if "file=" in icon.lower() else None
    is_dir = extension == "" if extension is not None else href.endswith("/")
    modified: datetime | None = None
    size: int | None = None
    for cell in row.iterchildren("td", "th"):
        value = text_of(cell)
        if not value or next(cell.iter("a"), None) is not None:
            continue
        if modified is None and (when := _TABLE_DATE.match(value)):
            modified = _datetime(*(int(g) if g else 0 for g in when.groups()))
        elif size is None and not is_dir:
            size = parse_size(value)
    return _entry(text, href, page_url, is_dir, modified, size)


def _line_before(link: Any) -> str:
    """The text between the previous element (a ``<br>``) and ``link`` inside a ``<pre>``."""
    previous = link.getprevious()
    text = previous.tail if previous is not None else link.getparent().text
    return str(text or "").replace("\xa0", " ")


def _iis_pre(document: Any) -> Any | None:
    pres = list(document.iter("pre"))
    for pre in pres:
        if "to parent directory" in text_of(pre).lower():
            return pre
        if any(_IIS_LINE.search(_line_before(link)) for link in pre.iter("a")):
            return pre
    if pres and re.match(r"^[\w.-]+ - /", _title(document)):
        return pres[0]
    return None


def _iis_entries(pre: Any, page_url: str) -> list[ListingEntry]:
    entries: list[ListingEntry] = []
    for link in pre.iter("a"):
        href = link.get("href")
        text = text_of(link)
        if not href or _PARENT_TEXT.search(text):
            continue
        match = _IIS_LINE.search(_line_before(link))
        if match is None:
            continue
        hour = int(match["hour"])
        ampm = (match["ampm"] or "").upper()
        if ampm == "PM" and hour < 12:
            hour += 12
        elif ampm == "AM" and hour == 12:
            hour = 0
        modified = _datetime(
            int(match["year"]), int(match["month"]), int(match["day"]), hour, int(match["minute"])
        )
        is_dir = match["dir"] is not None
        size = None if is_dir else int(re.sub(r"[,.]", "", match["size"]))
        entries.append(_entry(text, str(href), page_url, is_dir, modified, size))
    return entries


def _entry(
    text: str, href: str, page_url: str, is_dir: bool, modified: datetime | None, size: int | None
) -> ListingEntry:
    url = urljoin(page_url, href.strip())
    name = unquote(text) if text else unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    return ListingEntry(name=name, url=url, is_dir=is_dir, modified=modified, size=size)


def _dedupe(entries: list[ListingEntry]) -> list[ListingEntry]:
    seen: set[str] = set()
    unique: list[ListingEntry] = []
    for entry in entries:
        if entry.url not in seen:
            seen.add(entry.url)
            unique.append(entry)
    return unique


def _datetime(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_size(text: str) -> int | None:
    """Bytes in a listing size: "853676", "851,3 KB", "1.2 MB", "1,048.9 KB", "532 KB"; None if not a size."""
    match = _SIZE.match(text.strip())
    if match is None:
        return None
    number = re.sub(r"\s", "", match.group(1))
    unit = (match.group(2) or "b").lower()
    if "," in number and "." in number:
        # The later separator is the decimal one: "1,048.9" or "1.048,9".
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        number = number.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in number:
        # "1,048" (three digits after each comma) uses thousands separators; "851,3" a decimal comma.
        groups = number.split(",")
        if all(len(g) == 3 for g in groups[1:]):
            number = number.replace(",", "")
        else:
            number = number.replace(",", ".", 1) if number.count(",") == 1 else number.replace(",", "")
    elif number.count(".") > 1:
        number = number.replace(".", "")
    try:
        value = float(number)
    except ValueError:
        return None
    return round(value * _UNITS[unit])
