"""CNIPA notice and status exports (CSV or XLSX) as patent records and events.

Users bring what their docketing tool, the CNIPA 专利业务办理系统 (notice lists) or 中国及多国专利审查
信息查询 (case status) let them export: one row per notice or status of one application. Columns
are found by header, in Chinese or English, after folding full-width characters, case, spaces and
punctuation (``申请号（专利号）`` = ``申请号/专利号`` = ``Application No.``); the accepted headers are
listed in ``docs/cnipa_import.md`` and in :data:`COLUMNS`. The header may sit below a few title
lines; a file without an application-number column is not an export and is refused, naming the
headers it has.

Each row gives:

* a ``kind="notice"`` event when it names a notice: ``code`` is the 6-digit notice code
  (通知书编码); when only the notice name is given, a known name is mapped to its code
  (第一次审查意见通知书 → 210401, 第N次… → 210403, …) and an unknown name is kept as the code with
  ``known=False``. ``date`` is the dispatch date (发文日). ``metadata["delivery"]`` says how the
  notice was served, ``"electronic"`` or ``"paper"`` (None when the export does not say), because
  the receipt date depends on it: an e-notice counts as served when it enters the applicant's
  system, a mailed one is presumed received 15 days after dispatch.
* a ``kind="status"`` event when it gives a legal status: ``code`` is the status string (a
  leading gazette code such as ``SE01`` goes to metadata), ``date`` the status date.
* its application's bibliographic data, merged over all its rows into one :class:`PatentRecord`.

A malformed row (no application number, a number that is not a CN application number, a date that
cannot be read) is skipped and reported in ``problems`` with its row number as a spreadsheet shows
it; the other rows import. Dates may be ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``,
``YYYYMMDD``, ``2024年1月20日``, Excel serial numbers or real spreadsheet dates.

CSV is decoded by :mod:`crawlers.extract.decode` (UTF-8 with or without BOM, UTF-16 with BOM,
GB18030/GBK) and may be separated by commas, semicolons or tabs. XLSX is checked as a zip container
before openpyxl reads it in read-only mode; legacy ``.xls`` is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from crawlers.extract import RejectedInput
from crawlers.extract.archive import OLE_MAGIC, ArchiveLimits, check_container
from crawlers.extract.decode import decode_with_encoding
from crawlers.items import PatentEvent, PatentRecord
from crawlers.patents.numbers import normalise_application, normalise_publication

SOURCE = "cnipa_import"
OFFICE = "CN"
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_XLSX_INFLATED = 256 * 1024 * 1024
_HEADER_SEARCH_ROWS = 10
_MAX_EMPTY_RUN = 10_000

KNOWN_NOTICES: dict[str, str] = {
    "210307": "发明专利申请进入实质审查阶段通知书",
    "210308": "发明专利申请公布及进入实质审查阶段通知书",
    "210401": "第一次审查意见通知书",
    "210402": "第一次审查意见通知书",
    "210403": "第N次审查意见通知书",
    "220301": "第N次审查意见通知书",
    "210407": "驳回决定",
    "210408": "驳回决定",
    "210413": "授予发明专利权通知书",
    "210414": "授予发明专利权通知书",
    "200602": "办理登记手续通知书",
    "200022": "视为撤回通知书",
    "200702": "专利权终止通知书",
}
"""Notice codes and names from the fact sheet (FACTS §2.1), the notices that open a window."""

KNOWN_STATUSES: frozenset[str] = frozenset(
    [
        "公开",
        "公布",
        "实质审查的生效",
        "授权",
        "发明专利申请公布后的驳回",
        "发明专利申请公布后的视为撤回",
        "专利权的终止",
        "未缴年费专利权终止",
    ]
)
"""Gazette legal-status strings of FACTS §2.1; other statuses are kept with ``known=False``."""

_GAZETTE_CODES = {"PB01": "公开", "SE01": "实质审查的生效", "GR01": "授权"}

# Notice name (folded) → code; only names the fact sheet pairs with a code.
_NOTICE_NAMES = {
    "发明专利申请进入实质审查阶段通知书": "210307",
    "发明专利申请公布及进入实质审查阶段通知书": "210308",
    "第一次审查意见通知书": "210401",
    "驳回决定": "210407",
    "授予发明专利权通知书": "210413",
    "办理登记手续通知书": "200602",
    "视为撤回通知书": "200022",
    "专利权终止通知书": "200702",
}
_NTH_OPINION = re.compile(r"^第([0-9一二三四五六七八九十]+|n)次审查意见通知书$")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}

COLUMNS: dict[str, tuple[str, ...]] = {
    "application": (
        "申请号",
        "专利申请号",
        "申请号/专利号",
        "专利号/申请号",
        "申请(专利)号",
        "专利号",
        "Application No.",
        "Application Number",
        "Appl. No.",
        "App. No.",
        "Patent Application No.",
        "Application/Patent No.",
        "SHENQINGH",
    ),
    "filing_date": (
        "申请日",
        "申请日期",
        "Filing Date",
        "Application Date",
        "Date of Application",
        "SHENQINGR",
    ),
    "title": (
        "专利名称",
        "发明名称",
        "发明创造名称",
        "名称",
        "Title",
        "Invention Title",
        "Title of Invention",
        "FAMINGMC",
    ),
    "applicant": (
        "申请人",
        "专利权人",
        "申请人/专利权人",
        "申请(专利权)人",
        "Applicant",
        "Applicants",
        "Applicant/Patentee",
        "Patentee",
    ),
    "dispatch_date": (
        "发文日",
        "发文日期",
        "通知书发文日",
        "官方发文日",
        "Dispatch Date",
        "Date of Dispatch",
        "Notice Date",
        "Mailing Date",
        "FAWENR",
    ),
    "notice": (
        "通知书名称",
        "通知书类型",
        "通知书",
        "通知名称",
        "Notice",
        "Notice Name",
        "Notice Type",
        "Notification",
        "TONGZHISMC",
    ),
    "notice_code": (
        "通知书代码",
        "通知书编码",
        "通知书类型代码",
        "类型代码",
        "Notice Code",
        "Notification Code",
        "TONGZHISBM",
    ),
    "legal_status": ("法律状态", "案件状态", "当前法律状态", "Legal Status", "Case Status", "Status"),
    "status_date": (
        "法律状态日",
        "法律状态日期",
        "状态日期",
        "法律状态公告日",
        "Legal Status Date",
        "Status Date",
    ),
    "priority_date": ("优先权日", "最早优先权日", "优先权日期", "Priority Date", "Earliest Priority Date"),
    "delivery": (
        "送达方式",
        "发文方式",
        "发送方式",
        "Delivery",
        "Delivery Method",
        "Service Method",
        "Dispatch Method",
    ),
    "kind": (
        "专利类型",
        "申请类型",
        "专利申请类型",
        "Patent Type",
        "Type",
        "Application Type",
        "Type of Patent",
    ),
    "publication": (
        "公开号",
        "公布号",
        "公开(公告)号",
        "申请公布号",
        "授权公告号",
        "公告号",
        "Publication No.",
        "Publication Number",
        "Grant Publication No.",
    ),
    "grant_date": ("授权公告日", "授权日", "授权日期", "Grant Date", "Date of Grant"),
    "serial": ("发文序号", "发文序列号", "Dispatch Serial No.", "Dispatch No."),
    "deadline": (
        "答复期限",
        "答复截止日",
        "期限届满日",
        "截止日期",
        "官方期限",
        "Deadline",
        "Due Date",
        "Response Deadline",
    ),
}
"""Accepted headers per field (matched folded: full-width, case, spaces and punctuation ignored)."""

_MULTI_COLUMN = frozenset(["publication"])
_DATE_FIELDS = ("filing_date", "dispatch_date", "status_date", "priority_date", "grant_date", "deadline")
_EVENT_FIELDS = frozenset(["notice", "notice_code", "legal_status"])
_KINDS = {
    "发明": "invention",
    "发明专利": "invention",
    "发明专利申请": "invention",
    "发明申请": "invention",
    "invention": "invention",
    "实用新型": "utility",
    "实用新型专利": "utility",
    "utilitymodel": "utility",
    "utility": "utility",
    "外观设计": "design",
    "外观设计专利": "design",
    "design": "design",
}
# Type digit of a CN application number (5th digit since 2003, 3rd before): 1/8 invention (8 via
# PCT), 2/9 utility model (9 via PCT), 3 design.
_KIND_DIGIT = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}
_ELECTRONIC = ("电子", "electronic", "e-notice", "enotice", "online", "e-mail", "email")
_PAPER = ("纸件", "纸质", "邮寄", "挂号", "paper", "mail", "post")
_CN_APPLICATION = re.compile(r"^CN(?:[0-9]{8}|[0-9]{12})$")
_FOLD_DROP = re.compile(r"[\s._\-:/()\[\]【】*#]+")
_YMD = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_SPACES = re.compile(r"\s*([年月日/.\-])\s*")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_GAZETTE_PREFIX = re.compile(r"^([A-Z]{2}\d{2})\s*[:：]?\s*(.*)$")
_SPLIT_APPLICANTS = re.compile(r"\s*[;；\n]\s*")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_DELIMITERS = (",", ";", "\t")
_CN_LOOKING = re.compile(r"^(?:CN|ZL)?(?:[0-9]{12}(?:\.?[0-9X])?|[0-9]{8}\.[0-9X])$")
_CJK = re.compile("[\u4e00-\u9fff]")


@dataclass(slots=True)
class CnipaImport:
    """What an export gave: one record per application, its notice and status events, and one
    line per skipped row (``"row 7: unparsable date '2024-13-01' in column 发文日"``)."""

    records: list[PatentRecord] = field(default_factory=list)
    events: list[PatentEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------
# Public API


def parse_export(data: bytes, name: str) -> CnipaImport:
    """Records, events and problems of a CNIPA export (CSV or XLSX, told apart by content).

    Raises :class:`RejectedInput` naming the file for anything that is not an export: no
    application-number column (the message lists the headers found), undecodable text, a damaged
    or suspicious spreadsheet, a legacy ``.xls``.
    """
    label = _base_name(name)
    if len(data) > MAX_BYTES:
        raise RejectedInput(f"{label}: too large: {len(data)} bytes (limit {MAX_BYTES})")
    if not data.strip():
        raise RejectedInput(f"{label}: empty file")
    if data.startswith(OLE_MAGIC):
        raise RejectedInput(f"{label}: a legacy Excel .xls (or protected) workbook; save it as .xlsx or CSV")
    if data.startswith(b"PK"):
        return _parse_xlsx(data, label)
    return _parse_csv(data, label)


def looks_like_cnipa(head: bytes, name: str) -> bool:
    """True when the first bytes of a file are a CNIPA export: a header with an application-number
    column and a notice, notice-code, legal-status or dispatch-date column, written in Chinese or
    followed by CN application numbers. A spreadsheet is only recognised when ``head`` is the
    whole file (its text sits deep inside the zip)."""
    if head.startswith(b"PK"):
        try:
            with _open_workbook(head, _base_name(name)) as (workbook, _epoch):
                return any(_sniff(list(_head_rows(_sheet_rows(s)))) for s in workbook.worksheets)
        except Exception:  # sniffing only: a damaged or partial workbook is simply not recognised
            return False
    text = _lenient_text(head)
    if text is None:
        return False
    lines = text.splitlines()
    if len(lines) > 1 and not head.endswith((b"\n", b"\r")):
        lines = lines[:-1]  # the last line may be cut off
    lines = lines[: _HEADER_SEARCH_ROWS + 5]
    return any(_sniff(list(enumerate(csv.reader(lines, delimiter=d), start=1))) for d in _DELIMITERS)


def _head_rows(rows: Iterable[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    for number, values in rows:
        if number > _HEADER_SEARCH_ROWS + 5:
            return
        yield number, values


def _sniff(rows: list[tuple[int, Sequence[Any]]]) -> bool:
    header = _find_header(rows, sniff=True)
    if header is None:
        return False
    if any(_CJK.search(name) for name in header.names):
        return True
    column = header.fields["application"][0]
    # Bare 8-digit numbers are as much US as pre-2003 CN: only unmistakable CN numbers count here.
    return any(
        _CN_LOOKING.match("".join(unicodedata.normalize("NFKC", _cell_text(values[column])).upper().split()))
        for number, values in rows
        if number > header.row and column < len(values) and values[column] is not None
    )


# ----------------------------------------------------------------------------------------------------
# Headers


def _fold(text: str) -> str:
    """Header and name key: NFKC (full-width to ASCII), case-folded, no spaces or punctuation."""
    return _FOLD_DROP.sub("", unicodedata.normalize("NFKC", text).casefold())


_ALIASES: dict[str, str] = {_fold(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


@dataclass(slots=True)
class _Header:
    row: int
    names: list[str]  # headers as written (whitespace-normalised)
    fields: dict[str, list[int]]  # field → column indexes


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def _header_of(values: Sequence[Any], row: int) -> _Header | None:
    names = [_cell_text(v) for v in values]
    fields: dict[str, list[int]] = {}
    for index, header in enumerate(names):
        key = _ALIASES.get(_fold(header)) if header else None
        if key is None:
            continue
        if key in _MULTI_COLUMN or key not in fields:
            fields.setdefault(key, []).append(index)
    if "application" not in fields:
        return None
    return _Header(row=row, names=names, fields=fields)


def _find_header(rows: Iterable[tuple[int, Sequence[Any]]], *, sniff: bool = False) -> _Header | None:
    """The header among the first rows: the first row naming an application-number column (when
    sniffing, also a notice, status or dispatch-date column)."""
    for number, values in rows:
        if number > _HEADER_SEARCH_ROWS:
            break
        header = _header_of(values, number)
        if header is None:
            continue
        if not sniff or _EVENT_FIELDS.union(["dispatch_date"]).intersection(header.fields):
            return header
    return None


def _first_row_text(rows: Iterable[tuple[int, Sequence[Any]]]) -> str:
    for number, values in rows:
        if number > _HEADER_SEARCH_ROWS:
            break
        names = [t for t in (_cell_text(v) for v in values) if t]
        if names:
            return ", ".join(names)
    return "no headers (the first rows are empty)"


def _not_an_export(label: str, rows: Iterable[tuple[int, Sequence[Any]]]) -> RejectedInput:
    return RejectedInput(
        f"{label}: not a CNIPA export: no application-number column (申请号 / Application No.) "
        f"in the first {_HEADER_SEARCH_ROWS} rows; headers found: {_first_row_text(rows)}"
    )


# ----------------------------------------------------------------------------------------------------
# CSV


def _parse_csv(data: bytes, label: str) -> CnipaImport:
    try:
        text, _encoding = decode_with_encoding(data)
    except RejectedInput as exc:
        raise RejectedInput(f"{label}: {exc.reason}") from None
    text = text.removeprefix("\ufeff")
    best: tuple[str, _Header] | None = None
    for delimiter in _DELIMITERS:
        header = _find_header(_csv_rows(text, delimiter))
        if header is not None and (best is None or len(header.names) > len(best[1].names)):
            best = (delimiter, header)
    if best is None:
        widest = max(_DELIMITERS, key=lambda d: _first_row_width(text, d))
        raise _not_an_export(label, _csv_rows(text, widest))
    delimiter, header = best
    unreadable: list[str] = []
    result = _build(_csv_rows(text, delimiter, unreadable), header, label, _EXCEL_EPOCH)
    result.problems.extend(unreadable)
    return result


def _first_row_width(text: str, delimiter: str) -> int:
    return next((len(cells) for _n, cells in _csv_rows(text, delimiter) if any(cells)), 0)


def _csv_rows(
    text: str, delimiter: str, problems: list[str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Records with their row number as a spreadsheet shows them (one per record, blank lines
    too). A record the csv module cannot read ends the file; that is reported in ``problems``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        if problems is not None:
            problems.append(
                f"row {number + 1}: unreadable CSV ({exc}); the rows from here on were not imported"
            )


def _lenient_text(head: bytes) -> str | None:
    """The head of a text file decoded for sniffing: BOM, UTF-8 or GB18030, a cut-off last
    character tolerated; None for binary data."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        for cut in range(4):
            try:
                return head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
    return None


# ----------------------------------------------------------------------------------------------------
# XLSX


class _Workbook:
    """A workbook opened read-only after the container checks; a context manager."""

    def __init__(self, data: bytes, label: str) -> None:
        _check_xlsx(data, label)
        try:
            self.workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds of errors on damaged files
            raise _damaged(label, exc) from None
        epoch = getattr(self.workbook, "epoch", None)
        self.epoch = epoch if isinstance(epoch, dt.datetime) else _EXCEL_EPOCH

    def __enter__(self) -> tuple[Any, dt.datetime]:
        return self.workbook, self.epoch

    def __exit__(self, *exc: object) -> None:
        self.workbook.close()


def _open_workbook(data: bytes, label: str) -> _Workbook:
    return _Workbook(data, label)


def _check_xlsx(data: bytes, label: str) -> None:
    limits = ArchiveLimits(max_total_bytes=MAX_XLSX_INFLATED, max_member_bytes=MAX_XLSX_INFLATED)
    with check_container(data, label, limits) as container:
        if "xl/workbook.xml" not in container:
            raise RejectedInput(f"{label}: a zip but not an .xlsx workbook (no xl/workbook.xml)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > MAX_XLSX_INFLATED:
        raise RejectedInput(
            f"{label}: zip bomb suspected: parts expand to {total} bytes (limit {MAX_XLSX_INFLATED})"
        )


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    """Rows with their sheet row numbers; stops after a long run of empty rows (a stray cell far
    below the data would otherwise mean a million empty rows)."""
    sheet.reset_dimensions()  # exporters often write a wrong <dimension>; read what is there
    empty = 0
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        if any(v is not None and v != "" for v in values):
            empty = 0
        else:
            empty += 1
            if empty > _MAX_EMPTY_RUN:
                return
        yield number, values


def _parse_xlsx(data: bytes, label: str) -> CnipaImport:
    try:
        with _open_workbook(data, label) as (workbook, epoch):
            sheets = list(workbook.worksheets)
            for sheet in sheets:
                header = _find_header(_sheet_rows(sheet))
                if header is not None:
                    return _build(_sheet_rows(sheet), header, label, epoch)
            if not sheets:
                raise RejectedInput(f"{label}: the workbook has no worksheet")
            raise _not_an_export(label, _sheet_rows(sheets[0]))
    except RejectedInput:
        raise
    except Exception as exc:  # openpyxl and its XML parsers raise a wide range of errors on bad input
        raise _damaged(label, exc) from None


def _damaged(label: str, exc: BaseException) -> RejectedInput:
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    if isinstance(exc, DefusedXmlException):
        return RejectedInput(f"{label}: unsafe XML inside the spreadsheet refused ({type(exc).__name__})")
    text = " ".join(str(exc).split())[:200]
    return RejectedInput(f"{label}: damaged spreadsheet ({type(exc).__name__}{': ' + text if text else ''})")


# ----------------------------------------------------------------------------------------------------
# Values


class _BadValue(Exception):
    pass


def _date(value: Any, epoch: dt.datetime) -> dt.date | None:
    """A cell's date; None when empty; :class:`_BadValue` when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _BadValue
    if isinstance(value, int | float):
        if isinstance(value, int) or value.is_integer():
            compact = _COMPACT_DATE.match(str(int(value)))
            if compact:
                return _ymd(compact[1], compact[2], compact[3])
        return _excel(float(value), epoch)
    text = _DATE_SPACES.sub(r"\1", " ".join(unicodedata.normalize("NFKC", str(value)).split()))
    if not text:
        return None
    match = _YMD.match(text) or _COMPACT_DATE.match(text)
    if match:
        return _ymd(match[1], match[2], match[3])
    if _SERIAL.match(text):
        return _excel(float(text), epoch)
    raise _BadValue


def _ymd(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise _BadValue from None


def _excel(serial: float, epoch: dt.datetime) -> dt.date:
    # Serials before 1900-03-01 are ambiguous (Excel's fictitious 1900-02-29) and never patent dates.
    if not 61 <= serial < 2_958_466:
        raise _BadValue
    moment = from_excel(serial, epoch)
    if isinstance(moment, dt.datetime):
        return moment.date()
    raise _BadValue


def _application(text: str) -> str | None:
    try:
        number = normalise_application(OFFICE, unicodedata.normalize("NFKC", text))
    except ValueError:
        return None
    return number if _CN_APPLICATION.match(number) else None


def _kind_from_number(application: str) -> str | None:
    digits = application[2:]
    return _KIND_DIGIT.get(digits[4] if len(digits) == 12 else digits[2])


def _kind(text: str) -> str | None:
    return _KINDS.get(_fold(text))


def _delivery(text: str) -> str | None:
    folded = text.casefold()
    if any(word in folded for word in _ELECTRONIC):
        return "electronic"
    if any(word in folded for word in _PAPER):
        return "paper"
    return None


def _notice_code(raw: str) -> str:
    """A notice code as an export writes it: a 6-digit code, possibly followed by a template
    suffix (the first six digits of a notice template code are the notice code)."""
    match = re.match(r"^(\d{6})(?:\d*|[-_.].*)$", raw)
    return match[1] if match else raw


def _code_for_name(name: str) -> str | None:
    """The code of a notice the fact sheet names, from its name as an export writes it (spaces,
    full-width characters, a trailing qualifier in parentheses such as ``（发明）`` tolerated)."""
    bare = re.sub(r"[(（][^()（）]*[)）]$", "", name.strip())
    for candidate in dict.fromkeys((_fold(name), _fold(bare))):
        if candidate in _NOTICE_NAMES:
            return _NOTICE_NAMES[candidate]
        nth = _NTH_OPINION.match(candidate)
        if nth:
            return "210401" if _count(nth[1]) == 1 else "210403"
    return None


def _count(text: str) -> int | None:
    """第…次: Arabic digits or Chinese numerals up to 99; None for the literal N (folded to n)."""
    if text.isdigit():
        return int(text)
    if text == "n":
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text)


def _status(text: str) -> tuple[str, str | None]:
    """The status string and a leading gazette code (``SE01 实质审查的生效``)."""
    match = _GAZETTE_PREFIX.match(text)
    if match is None:
        return text, None
    code, rest = match[1], match[2].strip()
    return (rest or _GAZETTE_CODES.get(code, code)), code


def _publication(text: str) -> str:
    compact = "".join(text.split()).upper()
    candidate = (
        compact if re.match(r"^[A-Z]{2}", compact) and not compact.startswith("ZL") else f"CN{compact}"
    )
    try:
        return normalise_publication(candidate)
    except ValueError:
        return text


# ----------------------------------------------------------------------------------------------------
# Rows to items


@dataclass(slots=True)
class _Application:
    application: str
    title: str | None = None
    applicants: list[str] = field(default_factory=list)
    filing_date: dt.date | None = None
    priority_date: dt.date | None = None
    publications: list[str] = field(default_factory=list)
    grant_date: dt.date | None = None
    kind: str | None = None
    status: str | None = None
    status_date: dt.date | None = None


def _build(
    rows: Iterable[tuple[int, Sequence[Any]]], header: _Header, label: str, epoch: dt.datetime
) -> CnipaImport:
    result = CnipaImport()
    applications: dict[str, _Application] = {}
    mapped = {i for indexes in header.fields.values() for i in indexes}
    count = 0
    for number, values in rows:
        if number <= header.row:
            continue
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise RejectedInput(f"{label}: more than {MAX_ROWS} rows; split the export")
        row = _Row(number, values, cells, header)
        try:
            _read_row(row, header, mapped, epoch, applications, result)
        except _RowProblem as problem:
            result.problems.append(f"row {number}: {problem}")
    for state in applications.values():
        result.records.append(
            PatentRecord(
                source=SOURCE,
                office=OFFICE,
                application=state.application,
                title=state.title,
                applicants=state.applicants,
                filing_date=state.filing_date,
                priority_date=state.priority_date,
                publications=state.publications,
                grant_date=state.grant_date,
                status=state.status,
                kind=state.kind or _kind_from_number(state.application),
                metadata={"status_date": state.status_date.isoformat()} if state.status_date else {},
            )
        )
    return result


class _RowProblem(Exception):
    pass


@dataclass(slots=True)
class _Row:
    number: int
    values: Sequence[Any]
    cells: list[str]
    header: _Header

    def text(self, key: str) -> str:
        indexes = self.header.fields.get(key)
        if not indexes or indexes[0] >= len(self.cells):
            return ""
        return self.cells[indexes[0]]

    def texts(self, key: str) -> list[str]:
        return [
            self.cells[i] for i in self.header.fields.get(key, []) if i < len(self.cells) and self.cells[i]
        ]

    def date(self, key: str, epoch: dt.datetime) -> dt.date | None:
        indexes = self.header.fields.get(key)
        if not indexes or indexes[0] >= len(self.values):
            return None
        value = self.values[indexes[0]]
        try:
            return _date(value, epoch)
        except _BadValue:
            column = self.header.names[indexes[0]]
            raise _RowProblem(f"unparsable date {_cell_text(value)!r} in column {column}") from None


def _read_row(
    row: _Row,
    header: _Header,
    mapped: set[int],
    epoch: dt.datetime,
    applications: dict[str, _Application],
    result: CnipaImport,
) -> None:
    raw = row.text("application")
    if not raw:
        raise _RowProblem("no application number")
    application = _application(raw)
    if application is None:
        column = header.names[header.fields["application"][0]]
        raise _RowProblem(f"{raw!r} in column {column} is not a CN application number")
    dates = {key: row.date(key, epoch) for key in _DATE_FIELDS}

    state = applications.get(application) or _Application(application)
    applications[application] = state
    state.title = state.title or row.text("title") or None
    for name in _SPLIT_APPLICANTS.split(row.text("applicant")):
        if name and name not in state.applicants:
            state.applicants.append(name)
    state.filing_date = state.filing_date or dates["filing_date"]
    if dates["priority_date"] and (
        state.priority_date is None or dates["priority_date"] < state.priority_date
    ):
        state.priority_date = dates["priority_date"]
    state.grant_date = state.grant_date or dates["grant_date"]
    for text in row.texts("publication"):
        publication = _publication(text)
        if publication not in state.publications:
            state.publications.append(publication)
    kind_text = row.text("kind")
    if kind_text and state.kind is None:
        state.kind = _kind(kind_text)

    extra = {
        header.names[i] or f"column {i + 1}": row.cells[i]
        for i in range(len(row.cells))
        if i not in mapped and row.cells[i] and i < len(header.names)
    }
    notice_name, code_text = row.text("notice"), row.text("notice_code")
    if notice_name or code_text:
        delivery_text = row.text("delivery")
        metadata: dict[str, Any] = {"delivery": _delivery(delivery_text) if delivery_text else None}
        if code_text:
            code = _notice_code(code_text)
            known = code in KNOWN_NOTICES
            if code != code_text:
                metadata["notice_code_as_given"] = code_text
        else:
            mapped_code = _code_for_name(notice_name)
            code, known = (mapped_code, True) if mapped_code else (notice_name, False)
            if mapped_code:
                metadata["code_from_name"] = True
        if delivery_text and metadata["delivery"] is None:
            metadata["delivery_as_given"] = delivery_text
        if row.text("serial"):
            metadata["dispatch_serial"] = row.text("serial")
        if dates["deadline"]:
            metadata["deadline_as_given"] = dates["deadline"].isoformat()
        if extra:
            metadata["columns"] = extra
        result.events.append(
            PatentEvent(
                source=SOURCE,
                office=OFFICE,
                application=application,
                code=code,
                date=dates["dispatch_date"],
                text=notice_name or KNOWN_NOTICES.get(code, code),
                kind="notice",
                known=known,
                metadata=metadata,
            )
        )
        extra = {}
    status_text = row.text("legal_status")
    if status_text:
        status, gazette = _status(status_text)
        status_metadata: dict[str, Any] = {"gazette_code": gazette} if gazette else {}
        if extra:
            status_metadata["columns"] = extra
        result.events.append(
            PatentEvent(
                source=SOURCE,
                office=OFFICE,
                application=application,
                code=status,
                date=dates["status_date"],
                text=status_text,
                kind="status",
                known=status in KNOWN_STATUSES,
                metadata=status_metadata,
            )
        )
        when = dates["status_date"]
        if state.status is None or (when or dt.date.min) >= (state.status_date or dt.date.min):
            state.status, state.status_date = status, when


def _base_name(name: str) -> str:
    base = PureWindowsPath(PurePosixPath(name).name).name
    return base or name or "CNIPA export"
