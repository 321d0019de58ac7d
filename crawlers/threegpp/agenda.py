"""TDocs-by-Agenda pages: the per-meeting document list some WGs (SA2 foremost) publish as HTML.

The page is an HTML export in windows-1252: a Word-exported preamble (IPR and antitrust reminders
in small tables), then one big table whose header row reads ``AI | TD# | Type | Doc For | Subject |
Source | Rel | Work Item | Comments | Result`` (``Comment`` in newer pages). Rows come in three kinds:

* agenda item rows: ``TD#`` is ``-``, ``Subject`` holds the agenda item's title, ``Comments`` reads
  ``Docs:=21``; the first one (AI ``0``, "All Agenda Items") names the meeting in ``Work Item``;
* topic rows inside an agenda item, also with ``TD#`` ``-`` and the same AI (e.g. "LS with no
  input"); they are grouping only and do not rename the agenda item;
* document rows: ``TD#`` is the TDoc (linked to ``Docs\\<tdoc>.zip`` once uploaded).

Revisions are only told in the free-text Comments: "Revision of S2-2001774.", "Revision of noted
S2-2000264 from S2#136AH.", "Revised to S2-2002313." / "Revised in S2-2002295".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crawlers.extract import RejectedInput
from crawlers.threegpp.groups import TDOC_RE, normalise_tdoc
from crawlers.threegpp.listing import html_document, text_of


@dataclass(frozen=True, slots=True)
class AgendaEntry:
    tdoc: str
    title: str | None
    source: str | None
    type: str | None
    agenda_item: str | None
    agenda_title: str | None
    result: str | None
    comments: str | None
    revision_of: str | None
    revised_to: str | None


@dataclass(frozen=True, slots=True)
class AgendaPage:
    meeting: str | None  # "S2-137E"
    entries: list[AgendaEntry]


NOT_AN_AGENDA = "not a 'TDocs by Agenda' page: no table with 'AI' and 'TD#' columns"

_COLUMNS = {
    "ai": "ai",
    "td#": "tdoc",
    "tdoc": "tdoc",
    "type": "type",
    "doc for": "doc_for",
    "subject": "title",
    "title": "title",
    "source": "source",
    "rel": "release",
    "work item": "work_item",
    "comments": "comments",
    "comment": "comments",
    "result": "result",
    "decision": "result",
}
_TDOC = TDOC_RE.pattern
_REVISION_OF = re.compile(r"\brevision\s+of\s+(?:[a-z]+\s+){0,3}?(" + _TDOC + ")", re.IGNORECASE)
_REVISED_TO = re.compile(r"\brevised\s+(?:to|in|into|as|by)\s+(" + _TDOC + ")", re.IGNORECASE)
_EMPTY = frozenset(["", "-"])


def parse_tdocs_by_agenda(data: bytes) -> AgendaPage:
    """Every document row of a TDocs-by-Agenda page, in page order, with its agenda item's title."""
    found = _document_table(html_document(data))
    if found is None:
        raise RejectedInput(NOT_AN_AGENDA)
    columns, rows = found
    parsed = [_cells(row, columns) for row in rows]
    titles: dict[str, str] = {}
    meeting: str | None = None
    for cells in parsed:
        if cells is None or normalise_tdoc_cell(cells.get("tdoc", "")) is not None:
            continue
        ai, title = cells.get("ai", ""), cells.get("title", "")
        if ai and title and ai not in titles:
            titles[ai] = title
        if (
            meeting is None
            and title.lower() == "all agenda items"
            and cells.get("work_item", "") not in _EMPTY
        ):
            meeting = cells["work_item"]
    entries: list[AgendaEntry] = []
    for cells in parsed:
        if cells is None:
            continue
        tdoc = normalise_tdoc_cell(cells.get("tdoc", ""))
        if tdoc is None:
            continue
        item = cells.get("ai") or None
        comments = _value(cells.get("comments"))
        entries.append(
            AgendaEntry(
                tdoc=tdoc,
                title=_value(cells.get("title")),
                source=_value(cells.get("source")),
                type=_value(cells.get("type")),
                agenda_item=item,
                agenda_title=titles.get(item) if item else None,
                result=_value(cells.get("result")),
                comments=comments,
                revision_of=_tdoc_after(_REVISION_OF, comments),
                revised_to=_tdoc_after(_REVISED_TO, comments),
            )
        )
    return AgendaPage(meeting=meeting, entries=entries)


def normalise_tdoc_cell(text: str) -> str | None:
    """The TDoc number in a TD# cell (" S2-2001774" → "S2-2001774"), None for "-" or anything else."""
    if text in _EMPTY:
        return None
    exact = normalise_tdoc(text)
    if exact is not None:
        return exact
    match = TDOC_RE.search(text)
    return match.group(0) if match else None


def _document_table(document: Any) -> tuple[list[str | None], list[Any]] | None:
    for table in document.iter("table"):
        rows = [row for row in table.iter("tr") if _own_row(row, table)]
        for index, row in enumerate(rows[:5]):
            labels = [text_of(cell).lower() for cell in row if _is_cell(cell)]
            columns = [_COLUMNS.get(label) for label in labels]
            if "ai" in columns and "tdoc" in columns:
                return columns, rows[index + 1 :]
    return None


def _own_row(row: Any, table: Any) -> bool:
    """True when ``row`` belongs to ``table`` itself, not to a table nested in one of its cells."""
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent is table


def _is_cell(element: Any) -> bool:
    return isinstance(element.tag, str) and element.tag in ("td", "th")


def _cells(row: Any, columns: list[str | None]) -> dict[str, str] | None:
    cells = [cell for cell in row if _is_cell(cell)]
    if len(cells) < 2:
        return None
    return {name: text_of(cell) for name, cell in zip(columns, cells, strict=False) if name is not None}


def _value(text: str | None) -> str | None:
    if text is None or text in _EMPTY:
        return None
    return text


def _tdoc_after(pattern: re.Pattern[str], comments: str | None) -> str | None:
    if not comments:
        return None
    match = pattern.search(comments)
    return match.group(1) if match else None
