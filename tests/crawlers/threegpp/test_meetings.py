"""The dynareport meeting calendar: real RAN5 excerpt, a fuller RAN1 page, links, refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.threegpp.meetings import Meeting, fix_link, parse_meetings, tdoc_list_export_url
from tests.conftest import realdata

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "3gpp"
R5_PAGE = "https://www.3gpp.org/dynareport?code=Meetings-R5.htm"
R1_PAGE = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm"


def test_real_ran5_sample() -> None:
    meetings = parse_meetings(realdata("3gpp", "meetings_r5_sample.html").read_bytes(), R5_PAGE)
    assert meetings == [
        Meeting(
            code="R5--TTCN Workshop#74",
            mtg_id="85434",
            title="3GPPRAN5-TTCN Workshop#74",
            location="Online",
            start=date(2026, 7, 2),
            end=date(2026, 7, 2),
            cancelled=False,
            folder_url="https://www.3gpp.org/ftp/tsg_ran/WG5_Test_ex-T1/Workshop/TSGR5_Workshop_2026/",
            tdoc_list_url="https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=85434",
            tdoc_range="R5w260200 - R5w260201",
        ),
        Meeting(
            code="R5-119",
            mtg_id="85635",
            title="3GPPRAN5#119",
            location="China",
            start=date(2028, 5, 22),
            end=date(2028, 5, 26),
            cancelled=True,
            folder_url=None,
            tdoc_list_url=None,
            tdoc_range=None,
        ),
    ]


def test_ran1_page_with_header_and_variants() -> None:
    meetings = parse_meetings((FIXTURES / "meetings_r1.html").read_bytes(), R1_PAGE)
    assert [(m.code, m.mtg_id, m.cancelled) for m in meetings] == [
        ("R1-124", "60710", False),
        ("R1-123", "60607", False),
        ("R1-122-bis", "60603", False),
        ("R1-AH-e", "60999", True),
        ("R1-121", "60600", False),
    ]
    future, r1_123, r1_122b, cancelled, r1_121 = meetings
    assert (future.location, future.start, future.end) == ("Gothenburg", date(2026, 2, 9), date(2026, 2, 13))
    assert (future.folder_url, future.tdoc_list_url, future.tdoc_range) == (None, None, None)
    assert r1_122b == Meeting(
        code="R1-122-bis",
        mtg_id="60603",
        title="3GPPRAN1#122-bis",
        location="Prague",
        start=date(2025, 10, 13),
        end=date(2025, 10, 17),
        cancelled=False,
        folder_url="https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_122b/",
        tdoc_list_url="https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=60603",
        tdoc_range="R1-2506700 - R1-2508262",
    )
    assert r1_123.tdoc_range == "R1-2508300 - R1-2509718"
    assert (cancelled.title, cancelled.tdoc_range) == ("3GPPRAN1#AH-e", None)
    # links starting with a backslash and doubled backslashes
    assert r1_121.folder_url == "https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_121/"
    assert (r1_121.tdoc_range, r1_121.tdoc_list_url) == ("R1-2503600 - R1-2505099", None)


@pytest.mark.parametrize(
    ("href", "url"),
    [
        (
            "/../../../\\ftp\\tsg_ran\\WG1_RL1\\TSGR1_123\\\\docs\\",
            "https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_123/docs/",
        ),
        (
            "/../../../\\ftp\\\\tsg_sa\\WG3_Security\\TSGS3_125AdHoc-e\\",
            "https://www.3gpp.org/ftp/tsg_sa/WG3_Security/TSGS3_125AdHoc-e/",
        ),
        ("\\ftp\\TSG_SA\\TSG_SA\\", "https://www.3gpp.org/ftp/TSG_SA/TSG_SA/"),
        ("/../../..//Specification-Groups/", "https://www.3gpp.org/Specification-Groups/"),
        (
            "https://portal.3gpp.org/Home.aspx#/meeting?MtgId=85434",
            "https://portal.3gpp.org/Home.aspx#/meeting?MtgId=85434",
        ),
    ],
)
def test_fix_link(href: str, url: str) -> None:
    assert fix_link(href, R1_PAGE) == url


def test_tdoc_list_export_url() -> None:
    assert (
        tdoc_list_export_url("https://portal.3gpp.org", "85635")
        == "https://portal.3gpp.org/ngppapp/GenerateDocumentList.aspx?meetingId=85635"
    )
    assert (
        tdoc_list_export_url("https://portal.3gpp.org/", " 60603 ")
        == "https://portal.3gpp.org/ngppapp/GenerateDocumentList.aspx?meetingId=60603"
    )
    with pytest.raises(ValueError, match="meeting id must be digits"):
        tdoc_list_export_url("https://portal.3gpp.org", "60603&x=1")


def test_empty_calendar_table_is_an_empty_list() -> None:
    page = '<html><body><table class="meetings"><tbody></tbody></table></body></html>'
    assert parse_meetings(page, R1_PAGE) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"<html><body><h1>Page not found</h1></body></html>", "not a 3GPP meeting calendar page"),
    ],
)
def test_broken_input(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        parse_meetings(data, R1_PAGE)


def test_a_listing_is_not_a_calendar() -> None:
    with pytest.raises(RejectedInput, match="not a 3GPP meeting calendar page"):
        parse_meetings(realdata("3gpp", "ftp_Specs_latest_listing.htm").read_bytes(), R1_PAGE)
