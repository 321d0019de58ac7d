"""The 3GPP Portal's TDoc list export (``TDoc_List_Meeting_<meeting>.xlsx``).

The workbook has the sheets ``TDoc_List``, ``CR_Packs_List`` and ``Parameters``; only ``TDoc_List``
is read. Its first row names the columns: 31 in older exports (TDoc … TSG CR Pack, Reply to, To, Cc,
Original LS, Reply in), 36 since UICC/ME/RAN/CN/Clauses Affected were added. Columns are matched by
header name, so reordered or added columns do not break the parser, and every column of a row is
also kept as text in :attr:`TDocRecord.columns`.

Dates arrive as real datetimes, as Excel serial numbers (a cell without a date format) or as
``DD/MM/YYYY hh:mm:ss`` strings, depending on the meeting. The exports declare a sheet dimension
of about a million rows and end with an empty row near the bottom of the sheet; empty rows are
skipped.

The file is a zip container: :func:`crawlers.extract.archive.check_container` checks its directory
(entry count, member names, encryption, declared sizes and compression ratios) and the total
declared size is capped before openpyxl inflates anything; openpyxl reads each member only up to its
declared size and parses worksheet XML through defusedxml.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from defusedxml import ElementTree
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from crawlers.extract import RejectedInput
from crawlers.extract.archive import OLE_MAGIC, ArchiveLimits, check_container
from crawlers.threegpp.groups import normalise_tdoc

MAX_ENTRIES = 2_000
MAX_TOTAL_UNCOMPRESSED = 256 * 1024 * 1024
MAX_RATIO = 200.0
MAX_ROWS = 200_000
_HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True, slots=True)
class TDocRecord:
    tdoc: str
    title: str | None
    sources: tuple[str, ...]  # companies, split on "," and ";" (not inside parentheses), trimmed
    contact: str | None
    type: str | None
    for_: str | None
    abstract: str | None
    secretary_remarks: str | None
    agenda_item: str | None
    agenda_description: str | None
    status: str | None  # lower-case, as in the sheet
    reservation_date: datetime | None
    uploaded: datetime | None
    is_revision_of: str | None
    revised_to: str | None
    release: str | None
    spec: str | None
    version: str | None
    related_wis: tuple[str, ...]
    cr: str | None
    cr_revision: str | None
    cr_category: str | None
    tsg_cr_pack: str | None
    clauses_affected: str | None
    columns: dict[str, str]  # every column of the row by its header, as text


@dataclass(frozen=True, slots=True)
class TDocList:
    meeting: str | None  # "RAN1#122-bis", from the export's file name TDoc_List_Meeting_<meeting>.xlsx
    records: list[TDocRecord]
    layout: str  # "31-column" | "36-column" | "<n>-column"
    skipped: list[str] = field(default_factory=list)  # one reason per row that could not be read


# Header (lower-case, single spaces) → TDocRecord field.
_FIELDS = {
    "tdoc": "tdoc",
    "title": "title",
    "source": "sources",
    "contact": "contact",
    "type": "type",
    "for": "for_",
    "abstract": "abstract",
    "secretary remarks": "secretary_remarks",
    "agenda item": "agenda_item",
    "agenda item description": "agenda_description",
    "tdoc status": "status",
    "reservation date": "reservation_date",
    "uploaded": "uploaded",
    "is revision of": "is_revision_of",
    "revised to": "revised_to",
    "release": "release",
    "spec": "spec",
    "version": "version",
    "related wis": "related_wis",
    "cr": "cr",
    "cr revision": "cr_revision",
    "cr category": "cr_category",
    "tsg cr pack": "tsg_cr_pack",
    "clauses affected": "clauses_affected",
}
_DATE_FIELDS = frozenset(["reservation_date", "uploaded"])
_TDOC_FIELDS = frozenset(["is_revision_of", "revised_to", "tsg_cr_pack"])
_TEXT_DATE = re.compile(
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")
# Legal-form words that follow a comma inside one company name: "InterDigital, Inc.", "Co., Ltd".
_LEGAL_FORMS = frozenset(
    ["inc", "ltd", "limited", "co", "corp", "corporation", "llc", "gmbh", "ag", "s.a", "plc"]
)
_MEETING_FROM_NAME = re.compile(r"^tdoc_list_meeting_(?P<meeting>.+)$", re.IGNORECASE)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROW = re.compile(r"<(?:\w+:)?row\b(?P<attributes>[^>]*?)(?:/>|>(?P<body>.*?)</(?:\w+:)?row>)", re.DOTALL)
_ROW_NUMBER = re.compile(r"\br=\"(\d+)\"")
_VALUE = re.compile(r"<(?:\w+:)?(?:v|is)\b")


def parse_tdoc_list(data: bytes, name: str) -> TDocList:
    """Records of a Portal TDoc list export; ``name`` is the file name (it carries the meeting).

    Raises :class:`RejectedInput` naming the file and the reason for anything that is not a
    readable TDoc list: not a zip, a suspicious zip, no ``TDoc_List`` sheet, no ``TDoc`` column,
    truncated or damaged XML. A single unreadable row is skipped and listed in ``skipped``.
    """
    label = _base_name(name)
    _check_container(data, label)
    try:
        return _parse(data, label)
    except RejectedInput:
        raise
    except Exception as exc:  # openpyxl and its XML parsers raise a wide range of errors on bad input
        cause = _root_cause(exc)
        raise RejectedInput(
            f"{label}: damaged spreadsheet ({type(cause).__name__}: {_short(cause)})"
        ) from exc


def _parse(data: bytes, label: str) -> TDocList:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        epoch = workbook.epoch if isinstance(workbook.epoch, datetime) else _EXCEL_EPOCH
        sheet = _tdoc_sheet(workbook, label)
        # The exports end with an empty row near row 1,048,550; reading only up to the last row that
        # holds a value spares a million empty rows.
        rows = sheet.iter_rows(values_only=True, max_row=_last_value_row(data, sheet.title))
        header, header_row = _header(rows, label)
        mapping: dict[int, str] = {}
        for index, key in enumerate(_keys(header)):
            if key in _FIELDS and _FIELDS[key] not in mapping.values():
                mapping[index] = _FIELDS[key]
        names = _column_names(header)
        records: list[TDocRecord] = []
        skipped: list[str] = []
        for number, values in enumerate(rows, start=header_row + 1):
            if not any(values) or not any(v is not None and str(v).strip() for v in values):
                continue
            if len(records) + len(skipped) >= MAX_ROWS:
                raise RejectedInput(f"{label}: more than {MAX_ROWS} rows; not a TDoc list of one meeting")
            record = _record(values, names, mapping, epoch)
            if isinstance(record, str):
                skipped.append(f"row {number}: {record}")
            else:
                records.append(record)
    finally:
        workbook.close()
    named = sum(1 for h in header if h)
    return TDocList(meeting=_meeting(label), records=records, layout=f"{named}-column", skipped=skipped)


def _tdoc_sheet(workbook: Any, label: str) -> Any:
    names: list[str] = list(workbook.sheetnames)
    for sheet_name in names:
        if sheet_name.strip().lower() == "tdoc_list":
            return workbook[sheet_name]
    raise RejectedInput(f"{label}: no 'TDoc_List' sheet (sheets: {', '.join(names) or 'none'})")


def _last_value_row(data: bytes, sheet_title: str) -> int | None:
    """Number of the last row of ``sheet_title`` that has a cell value, None when unsure."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            rel_id = next(
                (
                    s.get(f"{{{_REL_NS}}}id")
                    for s in book.iter(f"{{{_MAIN_NS}}}sheet")
                    if s.get("name") == sheet_title
                ),
                None,
            )
            target = next((r.get("Target") for r in rels if r.get("Id") == rel_id), None)
            if rel_id is None or not target:
                return None
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            xml = archive.read(path).decode("utf-8", errors="replace")
    except Exception:  # only an optimisation: any doubt means reading every row
        return None
    last = 0
    for match in _ROW.finditer(xml):
        number = _ROW_NUMBER.search(match["attributes"])
        if number is None:
            return None
        if _VALUE.search(match["body"] or ""):
            last = max(last, int(number[1]))
    return last or None


def _header(rows: Iterator[tuple[Any, ...]], label: str) -> tuple[list[str], int]:
    """The header row (the first of the first rows that names a TDoc column) and its number."""
    first: list[str] | None = None
    for number, values in enumerate(rows, start=1):
        header = [_cell_text(v) for v in values]
        if "tdoc" in _keys(header):
            return header, number
        if first is None and any(header):
            first = header
        if number >= _HEADER_SEARCH_ROWS:
            break
    found = ", ".join(h for h in first if h) if first else "the sheet is empty"
    raise RejectedInput(f"{label}: no 'TDoc' column in the TDoc_List sheet (first row: {found})")


def _column_names(header: list[str]) -> list[str]:
    """Keys of :attr:`TDocRecord.columns`: the headers, a repeated one numbered ("Spec (2)"), an
    empty one named after its column letter ("column AK")."""
    names: list[str] = []
    for index, label in enumerate(header):
        name = label or f"column {get_column_letter(index + 1)}"
        count = 1
        while name in names:
            count += 1
            name = f"{label or name} ({count})"
        names.append(name)
    return names


def _keys(header: Iterable[str]) -> list[str]:
    return [" ".join(h.lower().split()) for h in header]


def _record(
    values: tuple[Any, ...], names: list[str], mapping: dict[int, str], epoch: datetime
) -> TDocRecord | str:
    texts = [_cell_text(v) for v in values]
    texts.extend("" for _ in range(len(names) - len(texts)))
    columns = {name: texts[i] for i, name in enumerate(names) if texts[i] or not name.startswith("column ")}
    fields: dict[str, Any] = {}
    for index, name in mapping.items():
        text = texts[index]
        if name in _DATE_FIELDS:
            fields[name] = _datetime(values[index] if index < len(values) else None, epoch)
        elif name == "sources":
            fields[name] = split_companies(text)
        elif name == "related_wis":
            fields[name] = tuple(p.strip() for p in re.split(r"[,;]", text) if p.strip())
        else:
            fields[name] = text or None
    raw_tdoc = fields.get("tdoc")
    if not raw_tdoc:
        return "no TDoc number"
    tdoc = normalise_tdoc(raw_tdoc)
    if tdoc is None:
        return f"{raw_tdoc!r} is not a TDoc number"
    fields["tdoc"] = tdoc
    for name in _TDOC_FIELDS:
        if fields.get(name):
            fields[name] = normalise_tdoc(fields[name]) or fields[name]
    if fields.get("status"):
        fields["status"] = fields["status"].lower()
    return TDocRecord(
        tdoc=tdoc,
        title=fields.get("title"),
        sources=fields.get("sources", ()),
        contact=fields.get("contact"),
        type=fields.get("type"),
        for_=fields.get("for_"),
        abstract=fields.get("abstract"),
        secretary_remarks=fields.get("secretary_remarks"),
        agenda_item=fields.get("agenda_item"),
        agenda_description=fields.get("agenda_description"),
        status=fields.get("status"),
        reservation_date=fields.get("reservation_date"),
        uploaded=fields.get("uploaded"),
        is_revision_of=fields.get("is_revision_of"),
        revised_to=fields.get("revised_to"),
        release=fields.get("release"),
        spec=fields.get("spec"),
        version=fields.get("version"),
        related_wis=fields.get("related_wis", ()),
        cr=fields.get("cr"),
        cr_revision=fields.get("cr_revision"),
        cr_category=fields.get("cr_category"),
        tsg_cr_pack=fields.get("tsg_cr_pack"),
        clauses_affected=fields.get("clauses_affected"),
        columns=columns,
    )


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def _datetime(value: Any, epoch: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial number: days since the workbook's epoch, the fraction is the time of day.
        if not 1 <= value < 2_958_466:
            return None
        moment = from_excel(value, epoch)
        return moment if isinstance(moment, datetime) else None
    text = str(value).strip()
    match = _TEXT_DATE.match(text)
    if match:
        fraction = (match["f"] or "").ljust(6, "0")
        try:
            return datetime(
                int(match["y"]), int(match["m"]), int(match["d"]),
                int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0), int(fraction or 0),
            )  # fmt: skip
        except ValueError:
            return None
    if _ISO_DATE.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def split_companies(text: str) -> tuple[str, ...]:
    """Companies in a Source cell: split on "," and ";" outside parentheses, a legal form after a
    comma ("InterDigital, Inc.") kept with its company."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char in ",;" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    companies: list[str] = []
    for part in (" ".join(p.split()) for p in parts):
        if not part:
            continue
        if companies and part.lower().rstrip(".") in _LEGAL_FORMS:
            companies[-1] = f"{companies[-1]}, {part}"
        else:
            companies.append(part)
    return tuple(companies)


def _meeting(label: str) -> str | None:
    stem = label.rsplit(".", 1)[0] if "." in label else label
    match = _MEETING_FROM_NAME.match(stem.strip())
    if match is None or match["meeting"].strip().isdigit():
        return None  # digits are the Portal's meeting id (TDoc_List_Meeting_60603.xlsx), not a name
    return match["meeting"].strip() or None


def _base_name(name: str) -> str:
    base = PureWindowsPath(PurePosixPath(name).name).name
    return base or name or "TDoc list"


def _root_cause(exc: BaseException) -> BaseException:
    """The original error under openpyxl's generic "Unable to read workbook" wrapper."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else "no detail"


def _check_container(data: bytes, label: str) -> None:
    """Refuse what is not an .xlsx zip, or a zip that would inflate out of proportion, before
    openpyxl inflates anything (it then reads members capped at their declared sizes)."""
    if data and not data.startswith((b"PK", OLE_MAGIC)):
        raise RejectedInput(
            f"{label}: not an .xlsx file (no zip signature; an error page instead of the export?)"
        )
    limits = ArchiveLimits(
        max_total_bytes=MAX_TOTAL_UNCOMPRESSED,
        max_member_bytes=MAX_TOTAL_UNCOMPRESSED,
        max_ratio=MAX_RATIO,
        max_entries=MAX_ENTRIES,
    )
    with check_container(data, label, limits) as container:
        if "xl/workbook.xml" not in container or "[Content_Types].xml" not in container:
            raise RejectedInput(f"{label}: not an .xlsx workbook (no xl/workbook.xml in the zip)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise RejectedInput(
            f"{label}: zip bomb suspected: entries expand to {total} bytes (limit {MAX_TOTAL_UNCOMPRESSED})"
        )
