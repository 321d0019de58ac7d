"""www.3gpp.org/ftp listings: both real formats, sizes, empty folders, pages that are not listings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.threegpp.listing import ListingEntry, decode_page, parse_listing, parse_size
from tests.conftest import realdata

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "3gpp"


def _listing(name: str, url: str) -> list[ListingEntry]:
    return parse_listing(realdata("3gpp", name).read_bytes(), url)


def test_iis_specs_latest() -> None:
    entries = _listing("ftp_Specs_latest_listing.htm", "https://www.3gpp.org/ftp/Specs/latest/")
    assert [e.name for e in entries] == [
        "Rel-10", "Rel-11", "Rel-12", "Rel-13", "Rel-14", "Rel-15", "Rel-16", "Rel-17",
        "Rel-4", "Rel-5", "Rel-6", "Rel-7", "Rel-8", "Rel-9",
    ]  # fmt: skip
    assert all(e.is_dir and e.size is None for e in entries)
    assert entries[5] == ListingEntry(
        name="Rel-15",
        url="https://www.3gpp.org/ftp/Specs/latest/Rel-15/",
        is_dir=True,
        modified=datetime(2019, 1, 8, 10, 51),
        size=None,
    )
    assert entries[0].modified == datetime(2018, 12, 18, 16, 14)  # 4:14 PM


def test_iis_release_folder() -> None:
    entries = _listing("ftp_Specs_latest_Rel-16_listing.htm", "https://www.3gpp.org/ftp/Specs/latest/Rel-16/")
    assert len(entries) == 32
    assert entries[0].name == "21_series"
    assert entries[2] == ListingEntry(
        "23_series",
        "https://www.3gpp.org/ftp/Specs/latest/Rel-16/23_series/",
        True,
        datetime(2019, 4, 1, 14, 46),
        None,
    )
    assert entries[-1].name == "OpenAPI"
    assert "[To Parent Directory]" not in [e.name for e in entries]


@pytest.mark.parametrize(
    ("index", "name", "modified", "size"),
    [
        (0, "23041-g00.zip", datetime(2019, 3, 26, 16, 49), 853676),
        (1, "23060-g00.zip", datetime(2019, 3, 25, 15, 3), 5811189),
        (37, "23793-g00.zip", datetime(2018, 12, 19, 16, 33), 3375459),
        (39, "23796-g00.zip", datetime(2019, 3, 27, 15, 26), 1066082),
    ],
)
def test_iis_series_folder_files(index: int, name: str, modified: datetime, size: int) -> None:
    url = "https://www.3gpp.org/ftp/Specs/latest/Rel-16/23_series/"
    entries = _listing("ftp_Specs_latest_Rel-16_23_series_listing.htm", url)
    assert len(entries) == 40
    assert entries[index] == ListingEntry(name, url + name, False, modified, size)


def test_table_style_listing() -> None:
    url = "https://www.3gpp.org/ftp/tsg_sa/WG2_Arch/TSGS2_137e_Electronic/"
    entries = _listing("ftp_server_Tdocs_by_Agenda_2020-02-24.htm", url)
    assert [(e.name, e.is_dir) for e in entries] == [
        ("Agenda", True),
        ("Docs", True),
        ("Inbox", True),
        ("Invitation", True),
        ("Report", True),
        ("S2-137E_Agenda.htm", False),
        ("SA2-137E_Index_2020.zip", False),
        ("TdocsByAgenda.htm", False),
        ("TdocsByAgenda_02-24-0000.doc", False),
    ]
    assert entries[0] == ListingEntry("Agenda", url + "Agenda", True, datetime(2020, 2, 24, 6, 2), None)
    assert entries[2].modified == datetime(2020, 2, 23, 23, 45)
    # "851,3 KB", decimal comma, 1 KB = 1024 bytes
    assert entries[7] == ListingEntry(
        "TdocsByAgenda.htm", url + "TdocsByAgenda.htm", False, datetime(2020, 2, 24, 5, 49), 871731
    )
    assert [e.size for e in entries[5:]] == [20787, 1074074, 871731, 1431040]


def test_table_style_parent_row_sizes_and_encoded_names() -> None:
    url = "https://www.3gpp.org/ftp/tsg_sa/WG2_Arch/TSGS2_164_Maastricht_2024-08/Docs/"
    entries = parse_listing((FIXTURES / "listing_table_sizes.htm").read_text(encoding="utf-8"), url)
    assert entries == [
        ListingEntry("Revisions", url + "Revisions", True, datetime(2024, 8, 23, 17, 41), None),
        ListingEntry("S2-2407386.zip", url + "S2-2407386.zip", False, datetime(2024, 8, 12, 8, 5), 1258291),
        ListingEntry(
            "S2-2407387 rev1.zip", url + "S2-2407387%20rev1.zip", False, datetime(2024, 8, 19, 13, 5), 544768
        ),
        ListingEntry("readme.txt", url + "readme.txt", False, datetime(2024, 8, 1, 0, 0), 0),
    ]


@pytest.mark.parametrize("name", ["listing_iis_empty.htm", "listing_table_empty.htm"])
def test_empty_folder_is_an_empty_list(name: str) -> None:
    assert parse_listing((FIXTURES / name).read_bytes(), "https://www.3gpp.org/ftp/x/") == []


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("853676", 853676),
        ("851,3 KB", 871731),
        ("1397,5 KB", 1431040),
        ("1.2 MB", 1258291),
        ("532 KB", 544768),
        ("1,048.9 KB", 1074074),
        ("1.048,9 KB", 1074074),
        ("1,048 KB", 1073152),
        ("12 bytes", 12),
        ("2 GB", 2 * 1024**3),
        ("", None),
        ("12 parsecs", None),
    ],
)
def test_parse_size(text: str, size: int | None) -> None:
    assert parse_size(text) == size


def test_pages_that_are_not_listings_are_rejected() -> None:
    for page in (realdata("3gpp", "CurDoc.htm"), realdata("3gpp", "meetings_r5_sample.html")):
        with pytest.raises(RejectedInput, match="not a 3GPP directory listing"):
            parse_listing(page.read_bytes(), "https://www.3gpp.org/ftp/")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02PK\x03\x04" * 100, "binary content"),
        (b"<html><body><p>Service unavailable</p></body></html>", "not a 3GPP directory listing"),
    ],
)
def test_broken_input(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        parse_listing(data, "https://www.3gpp.org/ftp/")


def test_decode_page_uses_the_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body>Caf\xe9 \u2026</body></html>'
    assert "Café …" in decode_page(page.encode("cp1252"))
    # latin-1 means windows-1252 in HTML: 0x85 is an ellipsis, not a control character
    assert decode_page(
        b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\x85'
    ).endswith("…")
    # a page that lies about being UTF-8 is still decoded
    assert decode_page(b'<meta charset="utf-8"><p>Caf\xe9 cr\xe8me</p>').endswith("Café crème</p>")
