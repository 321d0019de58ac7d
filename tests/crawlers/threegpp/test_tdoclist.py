"""The Portal's TDoc list export: both real layouts, every date form, and hostile workbooks."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from functools import cache

import pytest
from openpyxl import Workbook

from crawlers.extract import RejectedInput
from crawlers.threegpp import tdoclist
from crawlers.threegpp.tdoclist import TDocList, TDocRecord, parse_tdoc_list, split_companies
from tests.conftest import realdata

OLD = "TDoc_List_Meeting_RAN1#100.xlsx"
NEW = "TDoc_List_Meeting_RAN1#122-bis.xlsx"


@cache
def _parsed(name: str) -> TDocList:
    return parse_tdoc_list(realdata("3gpp", name).read_bytes(), name)


def _record(name: str, tdoc: str) -> TDocRecord:
    return next(r for r in _parsed(name).records if r.tdoc == tdoc)


def test_old_31_column_export() -> None:
    parsed = _parsed(OLD)
    assert (parsed.meeting, parsed.layout, len(parsed.records), parsed.skipped) == (
        "RAN1#100",
        "31-column",
        146,
        [],
    )
    # RAN1#100 was cancelled as an in-person meeting: every TDoc ended withdrawn
    assert {r.status for r in parsed.records} == {"withdrawn"}
    assert [r.tdoc for r in parsed.records[:3]] == ["R1-2000001", "R1-2000002", "R1-2000003"]
    first = parsed.records[0]
    assert first == TDocRecord(
        tdoc="R1-2000001",
        title="Draft Agenda of RAN1#100 meeting",
        sources=("RAN1 Chair",),
        contact="Patrick Merias",
        type="agenda",
        for_="Approval",
        abstract=None,
        secretary_remarks=None,
        agenda_item="2",
        agenda_description="Approval of Agenda",
        status="withdrawn",
        reservation_date=datetime(2020, 1, 21, 15, 25, 3, 363000),
        uploaded=datetime(2020, 1, 21, 17, 27, 22, 117000),
        is_revision_of=None,
        revised_to=None,
        release=None,
        spec=None,
        version=None,
        related_wis=(),
        cr=None,
        cr_revision=None,
        cr_category=None,
        tsg_cr_pack=None,
        clauses_affected=None,
        columns=first.columns,
    )
    assert len(first.columns) == 31
    assert first.columns["Contact ID"] == "52292"
    assert first.columns["TDoc sort order within agenda item"] == "0"
    assert first.columns["Reservation date"] == "2020-01-21T15:25:03.363000"
    assert "UICC" not in first.columns
    # a TDoc reserved but never uploaded
    assert _record(OLD, "R1-2000003").uploaded is None


def test_new_36_column_export() -> None:
    parsed = _parsed(NEW)
    assert (parsed.meeting, parsed.layout, len(parsed.records), parsed.skipped) == (
        "RAN1#122-bis",
        "36-column",
        1563,
        [],
    )
    first = parsed.records[0]
    assert (first.tdoc, first.title, first.status) == (
        "R1-2506700",
        "Draft Agenda of RAN1#122bis meeting",
        "approved",
    )
    # "12/09/2025 07:45:19" is DD/MM/YYYY: 12 September
    assert first.reservation_date == datetime(2025, 9, 12, 7, 45, 19)
    assert first.uploaded == datetime(2025, 9, 29, 10, 58, 4, 453000)
    assert list(first.columns)[26:31] == ["UICC", "ME", "RAN", "CN", "Clauses Affected"]
    assert first.columns["Reservation date"] == "12/09/2025 07:45:19"
    statuses: dict[str | None, int] = {}
    for record in parsed.records:
        statuses[record.status] = statuses.get(record.status, 0) + 1
    assert statuses == {
        "noted": 1345, "endorsed": 74, "reserved": 45, "not pursued": 28, "withdrawn": 21,
        "approved": 20, "agreed": 17, "revised": 12, "postponed": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("tdoc", "expected"),
    [
        (  # a CR: spec, version, CR number with its leading zeros, category, two related WIs
            "R1-2507891",
            {
                "type": "CR", "status": "withdrawn", "release": "Rel-18", "spec": "38.213", "version": "18.7.0",
                "cr": "0728", "cr_revision": None, "cr_category": "F", "agenda_item": "7",
                "agenda_description": "Pre-Rel-19 NR Maintenance", "sources": ("Ericsson",),
                "related_wis": ("NR_NTN_enh-Core", "NR_mobile_IAB-Core"), "uploaded": None,
                "reservation_date": datetime(2025, 10, 3, 11, 39, 55),
            },
        ),
        (
            "R1-2507728",
            {
                "type": "CR", "spec": "38.901", "version": "19.1.0", "cr": "0030", "cr_category": "F",
                "release": "Rel-19", "related_wis": ("FS_NR_7_24GHz_CHmod",), "status": "withdrawn",
            },
        ),
        (  # revised: points to its successor
            "R1-2506829",
            {
                "status": "revised", "revised_to": "R1-2507948", "is_revision_of": None,
                "sources": ("ZTE Corporation", "Sanechips"), "agenda_item": "11.4.1",
                "uploaded": datetime(2025, 10, 3, 16, 4, 8, 403000), "release": "Rel-20",
            },
        ),
        (  # a revision of a TDoc of the previous meeting
            "R1-2507631",
            {"is_revision_of": "R1-2505807", "revised_to": None, "status": "noted", "sources": ("ROBERT BOSCH GmbH",)},
        ),
    ],
)  # fmt: skip
def test_new_export_rows(tdoc: str, expected: dict[str, object]) -> None:
    record = _record(NEW, tdoc)
    assert {name: getattr(record, name) for name in expected} == expected


def test_companies_with_legal_forms_and_parentheses() -> None:
    sources = {r.columns["Source"]: r.sources for r in _parsed(NEW).records}
    assert sources["Moderators (AT&T, NTT DOCOMO, INC.)"] == ("Moderators (AT&T, NTT DOCOMO, INC.)",)
    assert sources["RAN1, AT&T, NTT DOCOMO, INC."] == ("RAN1", "AT&T", "NTT DOCOMO, INC.")
    assert sources["InterDigital, Inc."] == ("InterDigital, Inc.",)
    assert split_companies("Samsung Electronics Co., Ltd; Huawei ,HiSilicon;;") == (
        "Samsung Electronics Co., Ltd",
        "Huawei",
        "HiSilicon",
    )


def _xlsx(rows: list[list[object]], sheet: str = "TDoc_List", number_format: str | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    if number_format:
        for (cell,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
            cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_three_date_forms_unknown_columns_and_bad_rows() -> None:
    rows: list[list[object]] = [
        ["TDoc", "Title", "Reservation date", "Uploaded", "Brand new column", "TDoc Status", None, "Title"],
        ["R2-2500001", "Serial date", 45923.5, datetime(2025, 9, 25, 1, 5, 47), "x", "Agreed", "note", "T2"],
        ["R2-2500002", "Text date", "25/09/2025 01:05:47", "2025-09-26 08:00:00", "", "noted"],
        ["not a tdoc", "Bad number", None, None, "", ""],
        [None, "No number at all", None, None, "", ""],
        [None, None, None, None, None, None],
        ["R2-2500003", "Unreadable date", "someday", None, "", ""],
    ]
    parsed = parse_tdoc_list(_xlsx(rows, number_format="General"), "TDoc_List_Meeting_RAN2#131.xlsx")
    assert parsed.meeting == "RAN2#131"
    assert parsed.layout == "7-column"
    assert [r.tdoc for r in parsed.records] == ["R2-2500001", "R2-2500002", "R2-2500003"]
    serial, text, unreadable = parsed.records
    assert serial.reservation_date == datetime(2025, 9, 23, 12, 0)
    assert serial.uploaded == datetime(2025, 9, 25, 1, 5, 47)
    assert serial.status == "agreed"
    assert serial.columns["Brand new column"] == "x"
    # nothing is lost: a repeated header is numbered, an unnamed column is named by its letter
    assert (serial.title, serial.columns["Title (2)"], serial.columns["column G"]) == (
        "Serial date",
        "T2",
        "note",
    )
    assert list(text.columns) == [
        "TDoc", "Title", "Reservation date", "Uploaded", "Brand new column", "TDoc Status", "Title (2)",
    ]  # fmt: skip
    assert serial.columns["Reservation date"] == "45923.5"
    assert (text.reservation_date, text.uploaded) == (
        datetime(2025, 9, 25, 1, 5, 47),
        datetime(2025, 9, 26, 8, 0),
    )
    assert unreadable.reservation_date is None and unreadable.columns["Reservation date"] == "someday"
    assert parsed.skipped == ["row 4: 'not a tdoc' is not a TDoc number", "row 5: no TDoc number"]


def test_truncated_workbook() -> None:
    data = realdata("3gpp", NEW).read_bytes()
    with pytest.raises(
        RejectedInput, match=r"^truncated or corrupt zip archive: TDoc_List_Meeting_RAN1#122-bis\.xlsx"
    ):
        parse_tdoc_list(data[: len(data) // 2], NEW)


def test_no_tdoc_column() -> None:
    data = _xlsx([["Number", "Title"], ["R1-2500001", "x"]])
    with pytest.raises(
        RejectedInput,
        match=r"^list\.xlsx: no 'TDoc' column in the TDoc_List sheet \(first row: Number, Title\)",
    ):
        parse_tdoc_list(data, "/downloads/list.xlsx")


def test_empty_tdoc_list_sheet() -> None:
    with pytest.raises(
        RejectedInput, match=r"no 'TDoc' column in the TDoc_List sheet \(first row: the sheet is empty\)"
    ):
        parse_tdoc_list(_xlsx([]), "x.xlsx")


def test_header_only_is_an_empty_list() -> None:
    parsed = parse_tdoc_list(_xlsx([["TDoc", "Title", "Source"]]), "TDoc_List_Meeting_SA2#170.xlsx")
    assert (parsed.meeting, parsed.records, parsed.layout, parsed.skipped) == ("SA2#170", [], "3-column", [])


def test_wrong_sheet() -> None:
    data = _xlsx([["TDoc", "Title"], ["R1-2500001", "x"]], sheet="CR_Packs_List")
    with pytest.raises(RejectedInput, match=r"no 'TDoc_List' sheet \(sheets: CR_Packs_List\)"):
        parse_tdoc_list(data, "x.xlsx")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file: x.xlsx"),
        (
            b"<html><body>Session expired</body></html>",
            r"^x\.xlsx: not an \.xlsx file \(no zip signature; an error page",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            r"not a zip container: x\.xlsx is an OLE compound file \(a legacy Office",
        ),
    ],
)
def test_not_a_workbook(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        parse_tdoc_list(data, "x.xlsx")


def test_zip_that_is_not_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RejectedInput, match=r"not an .xlsx workbook \(no xl/workbook.xml"):
        parse_tdoc_list(out.getvalue(), "x.xlsx")


def test_zip_bomb_is_refused_before_inflating() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(40 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 100_000
    with pytest.raises(
        RejectedInput,
        match=r"^zip bomb refused: bomb\.xlsx/xl/worksheets/sheet1\.xml inflates to more than 200 times",
    ):
        parse_tdoc_list(data, "bomb.xlsx")


def test_limits_on_entries_and_total_size(monkeypatch: pytest.MonkeyPatch) -> None:
    data = realdata("3gpp", OLD).read_bytes()
    monkeypatch.setattr(tdoclist, "MAX_ENTRIES", 10)
    with pytest.raises(
        RejectedInput, match=r"too many entries in zip archive TDoc_List_Meeting_RAN1#100\.xlsx: 15"
    ):
        parse_tdoc_list(data, OLD)
    monkeypatch.setattr(tdoclist, "MAX_ENTRIES", 2000)
    # every member is under the limit, all of them together are not
    monkeypatch.setattr(tdoclist, "MAX_TOTAL_UNCOMPRESSED", 300_000)
    with pytest.raises(
        RejectedInput, match=r"zip bomb suspected: entries expand to 380546 bytes \(limit 300000\)"
    ):
        parse_tdoc_list(data, OLD)


def test_entity_expansion_in_sheet_xml_is_refused() -> None:
    source = io.BytesIO(_xlsx([["TDoc", "Title"], ["R1-2500001", "x"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as attacked:
        for info in original.infolist():
            content = original.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content
                assert b"<t>x</t>" in body
                content = (
                    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                    + body.replace(b"<t>x</t>", b"<t>&c;</t>", 1)
                )
            attacked.writestr(info, content)
    with pytest.raises(
        RejectedInput, match=r"^x\.xlsx: damaged spreadsheet \((EntitiesForbidden|DTDForbidden)"
    ):
        parse_tdoc_list(out.getvalue(), "x.xlsx")


@pytest.mark.parametrize(
    ("name", "meeting"),
    [
        ("TDoc_List_Meeting_SA2#164.xlsx", "SA2#164"),
        ("/tmp/downloads/TDoc_List_Meeting_RAN1#122-bis.xlsx", "RAN1#122-bis"),
        ("C:\\Users\\me\\TDoc_List_Meeting_CT1#155.xlsx", "CT1#155"),
        ("TDoc_List_Meeting_60603.xlsx", None),  # the Portal's meeting id, not a meeting name
        ("TDoc list of R1-122-bis", None),
    ],
)
def test_meeting_from_file_name(name: str, meeting: str | None) -> None:
    assert parse_tdoc_list(_xlsx([["TDoc"], ["R1-2500001"]]), name).meeting == meeting
