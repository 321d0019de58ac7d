"""CNIPA export import: the CSV and XLSX fixtures (header variants, encodings, separators), name
and date forms, malformed rows reported by row number, non-exports and hostile files refused."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from crawlers.extract import RejectedInput
from crawlers.items import PatentEvent
from crawlers.patents import cnipa
from tests.conftest import REPO, realdata

D = dt.date
FIXTURES = REPO / "tests" / "fixtures" / "cnipa"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def summary(events: list[PatentEvent]) -> list[tuple[str, str, str, D | None, bool, str | None]]:
    return [(e.application, e.kind, e.code, e.date, e.known, e.metadata.get("delivery")) for e in events]


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------------
# Fixtures


def test_utf8_bom_comma_notice_list() -> None:
    result = cnipa.parse_export(fixture("notices_utf8_bom_comma.csv"), "notices_utf8_bom_comma.csv")
    assert result.problems == [
        "row 9: no application number",
        "row 10: unparsable date '2020-02-30' in column 发文日",
        "row 11: 'US16123456' in column 申请号 is not a CN application number",
    ]
    assert summary(result.events) == [
        ("CN201810012345", "notice", "210308", D(2019, 7, 12), True, "electronic"),
        ("CN201810012345", "notice", "210401", D(2020, 3, 18), True, "electronic"),
        ("CN201810012345", "notice", "210403", D(2020, 11, 2), True, "paper"),
        ("CN201810012345", "notice", "210413", D(2021, 6, 15), True, "electronic"),  # ZL… and YYYYMMDD
        ("CN201810012345", "notice", "200602", D(2021, 6, 15), True, "electronic"),
        ("CN201910567890", "notice", "210407", D(2022, 4, 8), True, "electronic"),  # 13 digits, no dot
        ("CN201921234567", "notice", "200021", D(2019, 8, 20), False, "electronic"),  # unknown code kept
    ]
    first = result.events[0]
    assert (first.source, first.office, first.text) == (
        "cnipa_import",
        "CN",
        "发明专利申请公布及进入实质审查阶段通知书",
    )
    assert first.metadata == {
        "delivery": "electronic",
        "dispatch_serial": "2019071200154320",
        "columns": {"序号": "1"},
    }
    assert result.events[-1].text == "费用减缴审批通知书"
    records = {r.application: r for r in result.records}
    assert list(records) == ["CN201810012345", "CN201910567890", "CN201921234567"]
    r = records["CN201810012345"]
    assert (r.source, r.office, r.title, r.applicants, r.filing_date, r.kind, r.status) == (
        "cnipa_import",
        "CN",
        "一种用于无线通信的波束管理方法及装置",
        ["深圳市示例通信技术有限公司"],
        D(2018, 1, 5),
        "invention",
        None,
    )
    # a quoted cell with a comma in it; applicants separated by ";"
    assert records["CN201910567890"].applicants == [
        "深圳市示例通信技术有限公司",
        "Example Networks Co., Ltd.",
    ]
    assert records["CN201921234567"].kind == "utility"  # from the number's type digit


def test_gbk_semicolon_status_list_below_title_lines() -> None:
    result = cnipa.parse_export(fixture("status_gbk_semicolon.csv"), "status_gbk_semicolon.csv")
    assert result.problems == [
        "row 10: unparsable date '2024年13月1日' in column 法律状态日",
        "row 11: 'abc123' in column 申请号（专利号） is not a CN application number",
    ]
    assert summary(result.events) == [
        ("CN202110998877", "status", "公开", D(2021, 12, 3), True, None),
        ("CN202110998877", "notice", "210307", D(2021, 12, 27), True, "electronic"),
        ("CN202110998877", "status", "实质审查的生效", D(2021, 12, 21), True, None),
        ("CN202110998877", "notice", "210401", D(2023, 2, 15), True, "electronic"),
        ("CN202110998877", "notice", "210403", D(2023, 11, 20), True, "paper"),  # 第 3 次审查意见通知书
        ("CN202110998877", "notice", "补正通知书", D(2023, 2, 16), False, None),  # unknown name kept, flagged
        ("CN202110998877", "status", "一通出案待答复", D(2023, 2, 15), False, None),
        ("CN202211445566", "notice", "200022", D(2024, 1, 5), True, "electronic"),
        ("CN202211445566", "status", "发明专利申请公布后的视为撤回", D(2024, 1, 26), True, None),
        ("CN98123456", "notice", "200702", D(2010, 5, 7), True, "paper"),
        ("CN98123456", "status", "专利权的终止", D(2010, 3, 2), True, None),
    ]
    se01 = result.events[2]
    assert (se01.text, se01.metadata) == ("SE01 实质审查的生效", {"gazette_code": "SE01"})
    mapped = result.events[1]
    assert mapped.text == "发明专利申请进入实质审查阶段通知书"
    assert mapped.metadata == {"delivery": "electronic", "code_from_name": True}
    assert result.events[5].metadata == {"delivery": None}
    records = {r.application: r for r in result.records}
    r = records["CN202110998877"]
    assert r.applicants == ["北京示例移动科技有限公司", "示例大学"]  # separated by a full-width ；
    assert (r.filing_date, r.priority_date, r.publications, r.kind) == (
        D(2021, 8, 30),
        D(2020, 9, 1),
        ["CN113765432A"],
        "invention",
    )
    assert (r.status, r.metadata) == ("一通出案待答复", {"status_date": "2023-02-15"})  # the latest status
    assert records["CN202211445566"].status == "发明专利申请公布后的视为撤回"
    old = records["CN98123456"]
    assert (old.kind, old.publications, old.filing_date) == ("invention", ["CN1234567C"], D(1998, 3, 2))


def test_xlsx_with_english_headers() -> None:
    result = cnipa.parse_export(fixture("notices_english.xlsx"), "notices_english.xlsx")
    assert result.problems == [
        "row 5: no application number",
        "row 6: unparsable date 'n/a' in column Dispatch Date",
    ]
    assert summary(result.events) == [
        ("CN202380012345", "notice", "210401", D(2024, 1, 22), True, "electronic"),  # date cell
        ("CN202380012345", "status", "Substantive examination", D(2023, 9, 1), False, None),
        ("CN202380012345", "notice", "210403", D(2024, 6, 7), True, "paper"),  # Excel serial 45450
        (
            "CN202380012345",
            "notice",
            "210413",
            D(2024, 12, 2),
            True,
            "electronic",
        ),  # "2024/12/02", "e-notice"
        ("CN202320554433", "notice", "Notice of correction", D(2023, 7, 3), False, "electronic"),
    ]
    assert result.events[0].text == "Notification of First Office Action"
    assert result.events[0].metadata["columns"] == {"Docket No.": "P23CN001"}
    records = {r.application: r for r in result.records}
    assert records["CN202380012345"].filing_date == D(2023, 3, 6)  # date cell, serial 44991 and text agree
    assert records["CN202380012345"].kind == "invention"
    assert records["CN202320554433"].kind == "utility"  # "Utility Model"
    assert records["CN202380012345"].applicants == ["Example Telecom Co., Ltd."]


def test_xlsx_with_chinese_headers_on_the_second_sheet() -> None:
    result = cnipa.parse_export(
        fixture("notices_chinese_second_sheet.xlsx"), "notices_chinese_second_sheet.xlsx"
    )
    assert result.problems == []
    assert summary(result.events) == [
        ("CN202211445566", "notice", "210401", D(2024, 1, 20), True, "electronic"),  # code cell 210401.0
        ("CN202211445566", "status", "一通出案待答复", None, False, None),
        ("CN202211445566", "notice", "210403", D(2024, 3, 5), True, "paper"),  # 第二次　审查意见通知书
        (
            "CN202211445566",
            "notice",
            "210407",
            D(2024, 4, 18),
            True,
            "electronic",
        ),  # 驳回决定（发明）, serial 45400
        ("CN202211445566", "status", "驳回等复审请求", None, False, None),
    ]
    (record,) = result.records
    assert record.application == "CN202211445566"  # written with full-width digits in row 3
    assert record.status == "驳回等复审请求"


def test_utf16_tab_separated() -> None:
    """Excel's "Unicode text": UTF-16 with BOM, tab-separated."""
    text = fixture("notices_utf8_bom_comma.csv").decode("utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()]
    rows[6] = [*rows[6][:3], "深圳市示例通信技术有限公司;Example Networks Co., Ltd.", *rows[6][5:]]
    data = "\r\n".join("\t".join(cells) for cells in rows).encode("utf-16")
    result = cnipa.parse_export(data, "notices.txt")
    expected = cnipa.parse_export(fixture("notices_utf8_bom_comma.csv"), "notices_utf8_bom_comma.csv")
    assert (result.records, result.events, result.problems) == (
        expected.records,
        expected.events,
        expected.problems,
    )


# ----------------------------------------------------------------------------------------------------
# Value forms


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-01-20", D(2024, 1, 20)),
        ("2024/1/20", D(2024, 1, 20)),
        ("2024.01.20", D(2024, 1, 20)),
        ("20240120", D(2024, 1, 20)),
        ("2024年1月20日", D(2024, 1, 20)),
        ("2024 年 1 月 20 日", D(2024, 1, 20)),
        ("２０２４－０１－２０", D(2024, 1, 20)),
        ("2024/01/20 00:00:00", D(2024, 1, 20)),
        ("45311", D(2024, 1, 20)),
        ("", None),
    ],
)
def test_date_forms(cell: str, expected: D | None) -> None:
    data = f"申请号,通知书编码,发文日\n202110998877.4,210401,{cell}\n".encode()
    result = cnipa.parse_export(data, "d.csv")
    assert result.problems == []
    assert [e.date for e in result.events] == [expected]


@pytest.mark.parametrize("cell", ["2024-13-01", "2024-02-30", "n/a", "12", "2024年2月"])
def test_unparsable_dates_are_problems(cell: str) -> None:
    data = (
        f"申请号,通知书编码,发文日\n202110998877.4,210401,{cell}\n202110998877.4,210403,2024-05-06\n".encode()
    )
    result = cnipa.parse_export(data, "d.csv")
    assert result.problems == [f"row 2: unparsable date {cell!r} in column 发文日"]
    assert [e.code for e in result.events] == ["210403"]


@pytest.mark.parametrize(
    ("name", "code", "known"),
    [
        ("第一次审查意见通知书", "210401", True),
        ("第1次审查意见通知书", "210401", True),
        ("第二次审查意见通知书", "210403", True),
        ("第十一次审查意见通知书", "210403", True),
        ("第N次审查意见通知书", "210403", True),
        ("发明专利申请进入实质审查阶段通知书", "210307", True),
        ("发明专利申请公布及进入实质审查阶段通知书", "210308", True),
        ("授予发明专利权通知书", "210413", True),
        ("办理登记手续通知书", "200602", True),
        ("驳回决定", "210407", True),
        ("驳回决定（发明）", "210407", True),
        ("视为撤回通知书", "200022", True),
        ("专利权终止通知书", "200702", True),
        (" 第一次 审查意见通知书 ", "210401", True),
        ("补正通知书", "补正通知书", False),
        ("审查意见通知书", "审查意见通知书", False),
    ],
)
def test_notice_names_without_codes(name: str, code: str, known: bool) -> None:
    data = f"申请号,通知书名称,发文日\n202110998877.4,{name},2024-01-20\n".encode()
    (event,) = cnipa.parse_export(data, "n.csv").events
    assert (event.kind, event.code, event.known) == ("notice", code, known)
    assert event.metadata.get("code_from_name", False) is known


@pytest.mark.parametrize(
    ("code", "expected", "known"),
    [
        ("210401", "210401", True),
        ("220301", "220301", True),
        ("210401001", "210401", True),
        ("999999", "999999", False),
    ],
)
def test_notice_codes(code: str, expected: str, known: bool) -> None:
    data = f"申请号,通知书编码\n202110998877.4,{code}\n".encode()
    (event,) = cnipa.parse_export(data, "c.csv").events
    assert (event.code, event.known, event.text) == (
        expected,
        known,
        cnipa.KNOWN_NOTICES.get(expected, expected),
    )
    assert event.date is None
    assert ("notice_code_as_given" in event.metadata) is (code != expected)


@pytest.mark.parametrize(
    ("cell", "delivery"),
    [("电子", "electronic"), ("电子发文", "electronic"), ("纸件", "paper"), ("纸件发文", "paper"),
     ("邮寄", "paper"), ("Electronic", "electronic"), ("Paper", "paper"), ("", None), ("其他", None)],
)  # fmt: skip
def test_delivery(cell: str, delivery: str | None) -> None:
    data = f"申请号,通知书编码,送达方式\n202110998877.4,210401,{cell}\n".encode()
    (event,) = cnipa.parse_export(data, "s.csv").events
    assert event.metadata["delivery"] == delivery
    assert event.metadata.get("delivery_as_given") == ("其他" if cell == "其他" else None)


@pytest.mark.parametrize(
    ("cell", "kind"),
    [("发明", "invention"), ("发明专利", "invention"), ("实用新型", "utility"), ("外观设计", "design"),
     ("Invention", "invention"), ("Design", "design")],
)  # fmt: skip
def test_patent_type(cell: str, kind: str) -> None:
    data = f"申请号,专利类型\n202110998877.4,{cell}\n".encode()
    (record,) = cnipa.parse_export(data, "t.csv").records
    assert record.kind == kind


@pytest.mark.parametrize(
    ("number", "kind"),
    [("202110998877.4", "invention"), ("202180012345.6", "invention"), ("202120012345.X", "utility"),
     ("202130012345.1", "design"), ("98123456.9", "invention"), ("99223456.1", "utility")],
)  # fmt: skip
def test_patent_type_from_the_number(number: str, kind: str) -> None:
    (record,) = cnipa.parse_export(f"申请号\n{number}\n".encode(), "t.csv").records
    assert record.kind == kind


def test_header_variants_are_folded() -> None:
    data = (
        "ＡＰＰＬＩＣＡＴＩＯＮ　ＮＯ．;通知书 编码;发文日期：\n202110998877.4;210401;2024-01-20\n".encode()
    )
    (event,) = cnipa.parse_export(data, "h.csv").events
    assert (event.application, event.code, event.date) == ("CN202110998877", "210401", D(2024, 1, 20))


def test_status_only_gazette_code() -> None:
    data = "申请号,法律状态,法律状态日\n202110998877.4,GR01,2024-06-01\n".encode()
    (event,) = cnipa.parse_export(data, "g.csv").events
    assert (event.kind, event.code, event.known, event.metadata) == (
        "status",
        "授权",
        True,
        {"gazette_code": "GR01"},
    )


# ----------------------------------------------------------------------------------------------------
# Not an export, hostile files


def test_etsi_export_is_not_a_cnipa_export() -> None:
    data = realdata("other", "etsi_isld_export_subset_NTT_100rows.csv").read_bytes()
    assert not cnipa.looks_like_cnipa(data[:4096], "etsi.csv")
    with pytest.raises(RejectedInput) as caught:
        cnipa.parse_export(data, "/home/me/etsi.csv")
    reason = caught.value.reason
    assert reason.startswith(
        "etsi.csv: not a CNIPA export: no application-number column (申请号 / Application No.)"
    )
    assert "headers found: IPRD_ID, IPRD_REFERENCE, IPRD_SIGNATURE_DATE" in reason


def test_spreadsheet_without_application_column_is_refused() -> None:
    data = xlsx([["TDoc", "Title", "Source"], ["R1-2001234", "Discussion", "Nokia"]])
    with pytest.raises(
        RejectedInput, match=r"^list\.xlsx: not a CNIPA export: .*headers found: TDoc, Title, Source$"
    ):
        cnipa.parse_export(data, "list.xlsx")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "x: empty file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), r"x: a legacy Excel \.xls"),
        (b"PK\x03\x04" + bytes(100), "truncated or corrupt zip archive: x"),
        (bytes(range(256)) * 4, "x: binary content, not text"),
        (b'{"patentBag": []}', "x: not a CNIPA export"),
        (
            "公开号,标题\nCN113765432A,一种方法\n".encode(),
            "x: not a CNIPA export.*headers found: 公开号, 标题",
        ),
    ],
)
def test_hostile_or_foreign_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        cnipa.parse_export(data, "x")


def test_truncated_xlsx_is_refused() -> None:
    data = fixture("notices_english.xlsx")
    with pytest.raises(RejectedInput, match=r"^truncated or corrupt zip archive: notices_english\.xlsx"):
        cnipa.parse_export(data[: len(data) // 2], "notices_english.xlsx")


def _with_part(part: str, content: bytes) -> bytes:
    """The English fixture with one part replaced."""
    source = zipfile.ZipFile(io.BytesIO(fixture("notices_english.xlsx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, content if info.filename == part else source.read(info.filename))
    return out.getvalue()


_SHEET_WITH_ENTITIES = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            _SHEET_WITH_ENTITIES,
            r"^evil\.xlsx: unsafe XML inside the spreadsheet refused \(EntitiesForbidden\)$",
        ),
        (b"<worksheet><sheetData><row", r"^evil\.xlsx: damaged spreadsheet \(ExpatError: unclosed token"),
    ],
)
def test_hostile_sheet_xml_is_refused(content: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        cnipa.parse_export(_with_part("xl/worksheets/sheet1.xml", content), "evil.xlsx")


def test_zip_without_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(RejectedInput, match=r"a\.xlsx: a zip but not an \.xlsx workbook"):
        cnipa.parse_export(out.getvalue(), "a.xlsx")


def test_zip_bomb_is_refused_before_openpyxl() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(RejectedInput, match="zip bomb refused"):
        cnipa.parse_export(out.getvalue(), "bomb.xlsx")


def test_unreadable_csv_record_ends_the_import_with_a_problem() -> None:
    huge = "x" * 200_000  # over the csv module's field limit
    data = (
        f'申请号,通知书编码\n202110998877.4,210401\n202110998877.4,"{huge}"\n202110998877.4,210403\n'.encode()
    )
    result = cnipa.parse_export(data, "big.csv")
    assert [e.code for e in result.events] == ["210401"]
    assert result.problems == [
        "row 3: unreadable CSV (field larger than field limit (131072)); the rows from here on were not imported"
    ]


def test_all_rows_bad_still_imports_nothing_and_reports_each() -> None:
    data = "申请号,通知书编码,发文日\n,210401,2024-01-01\nXYZ,210401,2024-01-01\n\n".encode()
    result = cnipa.parse_export(data, "bad.csv")
    assert (result.records, result.events) == ([], [])
    assert result.problems == [
        "row 2: no application number",
        "row 3: 'XYZ' in column 申请号 is not a CN application number",
    ]


# ----------------------------------------------------------------------------------------------------
# Sniffing


@pytest.mark.parametrize("name", ["notices_utf8_bom_comma.csv", "status_gbk_semicolon.csv"])
def test_looks_like_cnipa_on_csv_heads(name: str) -> None:
    data = fixture(name)
    assert cnipa.looks_like_cnipa(data[:4096], name)
    assert cnipa.looks_like_cnipa(data[:200], name)  # cut inside a multi-byte character


@pytest.mark.parametrize("name", ["notices_english.xlsx", "notices_chinese_second_sheet.xlsx"])
def test_looks_like_cnipa_on_whole_spreadsheets_only(name: str) -> None:
    data = fixture(name)
    assert cnipa.looks_like_cnipa(data, name)
    assert not cnipa.looks_like_cnipa(data[:4096], name)


@pytest.mark.parametrize(
    "head",
    [
        b"Application Number,Title,Status\n16123456,Widget,Pending\n",  # US numbers: not CNIPA
        b"\xef\xbb\xbf\xe7\x94\xb3\xe8\xaf\xb7\xe5\x8f\xb7,Title\n",  # 申请号 alone, no notice or status column
        b'{"patentBag": []}',
        b"\x00\x01\x02\x03",
        b"",
    ],
)
def test_looks_like_cnipa_refuses_other_heads(head: bytes) -> None:
    assert not cnipa.looks_like_cnipa(head, "x.csv")


def test_looks_like_cnipa_accepts_english_headers_with_cn_numbers() -> None:
    assert cnipa.looks_like_cnipa(b"Application No.,Notice Code\n202110998877.4,210401\n", "x.csv")


# ----------------------------------------------------------------------------------------------------
# Tables and documentation


def test_known_notices_are_the_fact_sheet_codes() -> None:
    assert set(cnipa.KNOWN_NOTICES) == {
        "210307", "210308", "210401", "210402", "210403", "220301", "210407",
        "210408", "210413", "210414", "200602", "200022", "200702",
    }  # fmt: skip


def test_no_header_alias_belongs_to_two_fields() -> None:
    seen: dict[str, str] = {}
    for key, aliases in cnipa.COLUMNS.items():
        for alias in aliases:
            folded = cnipa._fold(alias)
            assert seen.setdefault(folded, key) == key, alias


def test_docs_list_every_header_and_known_code() -> None:
    doc = Path(REPO / "docs" / "cnipa_import.md").read_text(encoding="utf-8")
    missing = [a for aliases in cnipa.COLUMNS.values() for a in aliases if f"`{a}`" not in doc]
    assert missing == []
    assert [c for c in cnipa.KNOWN_NOTICES if not re.search(rf"\b{c}\b", doc)] == []
