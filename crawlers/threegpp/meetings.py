"""The 3GPP meeting calendar (``www.3gpp.org/dynareport?code=Meetings-R1.htm`` and its siblings).

The page is one table, one row per meeting, with the columns Meeting, Title, Town, Start, End,
First & last TDoc (plus a "full document list" link to the Portal), Register, Participants, Files
and two more. Quirks of the real page: dates use non-breaking hyphens (``2026&#8209;07&#8209;02``);
links to the file server are written with backslashes, odd dot segments and doubled slashes
(``/../../../\\ftp\\tsg_ran\\WG5_Test_ex-T1\\…\\\\docs\\``); a cancelled meeting says ``CANCELLED``
inside its title; ``-`` stands for an empty cell; rows may carry a stray ``</span>``.

The Portal's Excel export of a meeting's TDoc list is ``GenerateDocumentList.aspx?meetingId=<id>``
under ``https://portal.3gpp.org/ngppapp/`` (the endpoint that existing 3GPP meeting tools download
TDoc_List_Meeting_*.xlsx files from); :func:`tdoc_list_export_url` builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from crawlers.extract import RejectedInput
from crawlers.threegpp.listing import html_document, text_of

PORTAL_URL = "https://portal.3gpp.org"

NOT_A_CALENDAR = "not a 3GPP meeting calendar page: no table of meetings (Meeting, Title, Town, Start, End…)"


@dataclass(frozen=True, slots=True)
class Meeting:
    code: str  # "R5-119"
    mtg_id: str | None  # the Portal's meeting id, "85635"
    title: str  # "3GPPRAN5#119", without the CANCELLED marker
    location: str | None
    start: date | None
    end: date | None
    cancelled: bool
    folder_url: str | None  # the meeting's folder on the file server
    tdoc_list_url: str | None  # the Portal's TDoc list page for the meeting
    tdoc_range: str | None  # "R1-2508300 - R1-2509718" as printed


# Column order of the page; a header row, when present, overrides it.
_DEFAULT_COLUMNS = ("code", "title", "location", "start", "end", "tdocs", "register", "participants", "files")
_HEADER_KEYS = (
    ("code", re.compile(r"^meeting|^mtg")),
    ("title", re.compile(r"^title")),
    ("location", re.compile(r"^(town|location|venue|place|city)")),
    ("start", re.compile(r"^start")),
    ("end", re.compile(r"^end")),
    ("tdocs", re.compile(r"tdoc|document")),
    ("register", re.compile(r"^regist")),
    ("participants", re.compile(r"^participant")),
    ("files", re.compile(r"^(files|folder)")),
)
_DASHES = str.maketrans(
    {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"}
)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CANCELLED = re.compile(r"[\s\-–(\[]*\bcancell?ed\b[\s)\]]*", re.IGNORECASE)
_ID_PARAMS = ("mtgid", "meetingid", "mid")
_EMPTY = frozenset(["", "-", "–", "—", "n/a", "tbd"])


def tdoc_list_export_url(portal_url: str, mtg_id: str) -> str:
    """URL of the Portal's Excel export of a meeting's TDoc list (``portal_url`` e.g.
    ``https://portal.3gpp.org``)."""
    if not re.fullmatch(r"\d+", mtg_id.strip()):
        raise ValueError(f"meeting id must be digits, got {mtg_id!r}")
    return f"{portal_url.rstrip('/')}/ngppapp/GenerateDocumentList.aspx?meetingId={mtg_id.strip()}"


def fix_link(href: str, page_url: str) -> str:
    """Absolute URL of a calendar link: backslashes become slashes, repeated slashes in the path
    collapse, dot segments resolve against ``page_url``."""
    raw = href.strip()
    href = raw.replace("\\", "/")
    if raw.startswith("\\"):
        # "\\ftp\\…" is a path on the same site, not a protocol-relative "//host/…".
        href = "/" + href.lstrip("/")
    parts = urlsplit(href)
    path = re.sub(r"/{2,}", "/", parts.path)
    href = urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
    return urljoin(page_url, href)


def parse_meetings(html: bytes | str, page_url: str) -> list[Meeting]:
    """Meetings listed on a dynareport calendar page, in page order."""
    document = html_document(html)
    meetings: list[Meeting] = []
    structure_seen = bool(
        document.xpath("//table[contains(concat(' ', normalize-space(@class), ' '), ' meetings ')]")
    )
    columns: tuple[str, ...] = _DEFAULT_COLUMNS
    for row in document.iter("tr"):
        headers = row.findall("th")
        if headers:
            mapped = _header_columns([text_of(h) for h in headers])
            if mapped is not None:
                columns, structure_seen = mapped, True
            continue
        cells = row.findall("td") or row.xpath(".//td")
        meeting = _meeting(cells, columns, page_url)
        if meeting is not None:
            meetings.append(meeting)
    if not meetings and not structure_seen:
        raise RejectedInput(NOT_A_CALENDAR)
    return meetings


def _header_columns(labels: list[str]) -> tuple[str, ...] | None:
    columns: list[str] = []
    for label in labels:
        key = " ".join(label.lower().split())
        columns.append(next((name for name, pattern in _HEADER_KEYS if pattern.search(key)), f"other:{key}"))
    if "code" in columns and "start" in columns:
        return tuple(columns)
    return None


def _meeting(cells: list[Any], columns: tuple[str, ...], page_url: str) -> Meeting | None:
    if len(cells) < 5:
        return None
    by_name = {name: cells[i] for i, name in enumerate(columns) if i < len(cells)}
    code_cell = by_name.get("code")
    if code_cell is None:
        return None
    code = _text(code_cell)
    start = _date(by_name.get("start"))
    end = _date(by_name.get("end"))
    mtg_id = _meeting_id(cells)
    if not code or (mtg_id is None and start is None):
        return None
    raw_title = _text(by_name.get("title"))
    cancelled = bool(_CANCELLED.search(raw_title)) or bool(_CANCELLED.search(code))
    title = " ".join(_CANCELLED.sub(" ", raw_title).split()) if cancelled else raw_title
    tdocs = by_name.get("tdocs")
    tdoc_range: str | None = None
    tdoc_list_url: str | None = None
    if tdocs is not None:
        for link in _links(tdocs):
            url = fix_link(str(link.get("href")), page_url)
            text = _text(link)
            if "tdoclist" in url.lower() or "full document list" in text.lower():
                tdoc_list_url = tdoc_list_url or url
            elif text.lower() not in _EMPTY and tdoc_range is None:
                tdoc_range = text
        if tdoc_range is None and next(tdocs.iter("a"), None) is None:
            tdoc_range = _text(tdocs) or None
    return Meeting(
        code=code,
        mtg_id=mtg_id,
        title=title or code,
        location=_text(by_name.get("location")) or None,
        start=start,
        end=end,
        cancelled=cancelled,
        folder_url=_link(by_name.get("files"), page_url),
        tdoc_list_url=tdoc_list_url,
        tdoc_range=tdoc_range,
    )


def _text(cell: Any | None) -> str:
    if cell is None:
        return ""
    text = text_of(cell).translate(_DASHES)
    return "" if text.lower() in _EMPTY else text


def _links(cell: Any) -> list[Any]:
    return [link for link in cell.iter("a") if link.get("href")]


def _date(cell: Any | None) -> date | None:
    match = _DATE.search(_text(cell))
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _link(cell: Any | None, page_url: str) -> str | None:
    if cell is None:
        return None
    link = next(iter(_links(cell)), None)
    if link is None or not _text(link):
        return None
    return fix_link(str(link.get("href")), page_url)


def _query_id(url: str) -> str | None:
    split = urlsplit(url)
    # The Portal puts the query after a "#/" route: Home.aspx#/meeting?MtgId=85434.
    query = split.query + "&" + split.fragment.partition("?")[2]
    for key, values in parse_qs(query).items():
        if key.lower() in _ID_PARAMS and values and values[0].strip().isdigit():
            return values[0].strip()
    return None


def _meeting_id(cells: list[Any]) -> str | None:
    for cell in cells:
        for link in _links(cell):
            found = _query_id(str(link.get("href")))
            if found is not None:
                return found
    return None
