"""TDocs-by-Agenda pages: the real SA2#137E page, the newer page layout, and refusals."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.threegpp.agenda import AgendaEntry, AgendaPage, parse_tdocs_by_agenda
from tests.conftest import realdata

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "3gpp"


@cache
def _sa2_137e() -> AgendaPage:
    return parse_tdocs_by_agenda(realdata("3gpp", "TdocsByAgenda_SA2-137E_2020-02-24.htm").read_bytes())


def _entry(tdoc: str) -> AgendaEntry:
    return next(e for e in _sa2_137e().entries if e.tdoc == tdoc)


def test_real_page_totals() -> None:
    page = _sa2_137e()
    assert page.meeting == "S2-137E"
    # 612 table rows below the header: 51 agenda items, 17 topic rows, 544 documents
    assert len(page.entries) == 544
    assert len({e.tdoc for e in page.entries}) == 544
    assert page.entries[0].tdoc == "S2-2001774"
    assert page.entries[-1].tdoc == "S2-2001923"
    assert sum(1 for e in page.entries if e.revision_of) == 130
    assert sum(1 for e in page.entries if e.revised_to) == 4
    assert sum(1 for e in page.entries if e.result == "Withdrawn") == 27
    assert all(e.agenda_title for e in page.entries)


@pytest.mark.parametrize(
    "expected",
    [
        AgendaEntry(
            tdoc="S2-2001774",
            title="SA WG2 #137 Meeting Agenda",
            source="SA WG2 Chairman",
            type="AGENDA",
            agenda_item="2",
            agenda_title="Agenda",
            result="Revised",
            comments="Revised to S2-2002313.",
            revision_of=None,
            revised_to="S2-2002313",
        ),
        AgendaEntry(  # listed without a link: not uploaded yet
            tdoc="S2-2002313",
            title="SA WG2 #137 Meeting Agenda",
            source="SA WG2 Chairman",
            type="AGENDA",
            agenda_item="2",
            agenda_title="Agenda",
            result=None,
            comments="Revision of S2-2001774.",
            revision_of="S2-2001774",
            revised_to=None,
        ),
        AgendaEntry(  # the topic row "LS with no input" does not rename agenda item 4.1
            tdoc="S2-2001783",
            title="LS from SA WG1: Reply LS on 5G-SRVCC from NG-RAN to UTRAN for emergency calls",
            source="SA WG1 (S1-193593)",
            type="LS In",
            agenda_item="4.1",
            agenda_title="Common issues and Incoming LSs",
            result="Noted",
            comments="Postponed S2-2000047 from S2#136AH. This was discussed at the previous meeting and no response was needed and this was noted.",
            revision_of=None,
            revised_to=None,
        ),
        AgendaEntry(  # revision of a TDoc of the previous meeting, itself revised
            tdoc="S2-2002017",
            title="23.502 CR1848R7 (Rel-16, 'C'): MT-EDT introduction",
            source="Qualcomm Incorporated",
            type="CR",
            agenda_item="7.4",
            agenda_title="Cellular IoT support and evolution for the 5G System (5G_CIoT) + RAN Rel-16 alignment - MT-EDT",
            result="Revised",
            comments="Revision of noted S2-2000264 from S2#136AH. Revised in S2-2002295. Confirm CR Revision - CR states 6!",
            revision_of="S2-2000264",
            revised_to="S2-2002295",
        ),
        AgendaEntry(
            tdoc="S2-2001997",
            title="23.501 CR1749R9 (Rel-16, 'F'): Item#4: Apply StaticFilteringEntry information in 5GS",
            source="NTT DOCOMO",
            type="CR",
            agenda_item="99",
            agenda_title="Withdrawn and reserved documents",
            result="Withdrawn",
            comments="Revision of agreed S2-2001505 from S2#136AH. WITHDRAWN",
            revision_of="S2-2001505",
            revised_to=None,
        ),
        AgendaEntry(
            tdoc="S2-2001981",
            title="23.228 CR1232 (Rel-15, 'F'): Correction on PS Data Off feature support",
            source="Intel",
            type="CR",
            agenda_item="5.4",
            agenda_title="IMS and IMS-Related Maintenance",
            result=None,
            comments=None,
            revision_of=None,
            revised_to=None,
        ),
    ],
    ids=lambda e: e.tdoc,
)
def test_real_page_entries(expected: AgendaEntry) -> None:
    assert _entry(expected.tdoc) == expected


def test_windows_1252_is_decoded() -> None:
    # byte 0x85 in the page is "…" in windows-1252 (a control character in latin-1)
    assert _entry("S2-2002003").source == "Qualcomm Incorporated, Charter Communications, Ericsson, …"


def test_newer_page_layout() -> None:
    page = parse_tdocs_by_agenda((FIXTURES / "tdocs_by_agenda_sa2_164_style.htm").read_bytes())
    assert page.meeting == "S2-164"
    title_81 = "Architecture enhancements for 5G multicast-broadcast services Ph2 (5MBS_Ph2)"
    assert [(e.tdoc, e.agenda_item, e.agenda_title, e.result) for e in page.entries] == [
        ("S2-2407500", "8.1", title_81, "Merged"),
        ("S2-2407777", "8.1", title_81, "Revised"),
        ("S2-2408450", "8.1", title_81, "Agreed"),
        # listed before its agenda item row
        ("S2-2407600", "8.2", "Study on enhanced PDU session handling", None),
        ("S2-2407999", None, None, "Noted"),
    ]
    merged, revised, revision, _, _ = page.entries
    assert (merged.comments, merged.revision_of, merged.revised_to) == ("Merged into S2-2407777", None, None)
    assert (revised.revision_of, revised.revised_to) == ("S2-2407001", "S2-2408450")
    assert (revision.revision_of, revision.revised_to) == ("S2-2407777", None)
    assert revision.title == "23.247 CR0322R1 (Rel-19, 'F'): Multicast session release and UE\u2019s leaving"
    assert revision.source == "Huawei, HiSilicon, Nokia"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "binary content"),
        (
            b"<html><body><table><tr><td>a</td><td>b</td></tr></table></body></html>",
            "not a 'TDocs by Agenda' page",
        ),
    ],
)
def test_broken_input(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        parse_tdocs_by_agenda(data)


def test_current_document_page_is_not_an_agenda() -> None:
    with pytest.raises(RejectedInput, match="not a 'TDocs by Agenda' page"):
        parse_tdocs_by_agenda(realdata("3gpp", "CurDoc.htm").read_bytes())


def test_truncated_page_keeps_the_complete_rows() -> None:
    data = realdata("3gpp", "TdocsByAgenda_SA2-137E_2020-02-24.htm").read_bytes()
    page = parse_tdocs_by_agenda(data[: len(data) // 2])
    assert 0 < len(page.entries) < 544
    assert page.entries[0] == _entry("S2-2001774")
