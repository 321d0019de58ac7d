"""rfc-index.xml: the real BCP/FYI/STD excerpt, a fixture in the full entry shape, namespaces and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.ietf.rfcindex import RfcEntry, SubseriesEntry, normalise_doc_id, parse_rfc_index
from tests.conftest import realdata

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ietf" / "rfc-index.xml"


def test_real_excerpt_subseries_entries() -> None:
    index = parse_rfc_index(realdata("ietf", "rfc-index_bcp-entries_excerpt.xml").read_bytes())
    assert index.subseries == [
        SubseriesEntry("BCP 1", None, ()),
        SubseriesEntry("BCP 2", None, ()),
        SubseriesEntry("BCP 3", None, ("RFC 1915",)),
        SubseriesEntry("BCP 4", None, ("RFC 1917",)),
        SubseriesEntry("BCP 5", None, ("RFC 1918",)),
        SubseriesEntry("BCP 6", None, ("RFC 1930", "RFC 6996", "RFC 7300")),
        SubseriesEntry("FYI 2", None, ("RFC 1470",)),
        SubseriesEntry("FYI 3", None, ("RFC 1175",)),
        SubseriesEntry(
            "STD 1",
            '[STD number 1 is retired. It was "Internet Official Protocol Standards". '
            "See BCP 9 / RFC 7100 for more information.]",
            (),
        ),
        SubseriesEntry("STD 2", "[Reserved for Assigned Numbers. See RFC 1700 and RFC 3232.]", ()),
        SubseriesEntry("STD 3", "Requirements for Internet Hosts", ("RFC 1122", "RFC 1123")),
    ]
    assert [r.number for r in index.rfcs] == ["RFC 1918", "RFC 139"]
    rfc1918, rfc139 = index.rfcs
    assert rfc1918.authors == ("Y. Rekhter", "B. Moskowitz", "D. Karrenberg", "G. J. de Groot", "E. Lear")
    assert rfc1918.date == dt.date(1996, 2, 1)
    assert (rfc1918.status, rfc1918.stream, rfc1918.doi) == (
        "BEST CURRENT PRACTICE",
        "IETF",
        "10.17487/RFC1918",
    )
    assert rfc1918.keywords == ("private", "address")
    assert rfc1918.pages is None
    assert rfc139.obsoleted_by == ("RFC 1574", "RFC 1575")
    assert rfc139.is_also == ("BCP 26",)
    assert (rfc139.wg, rfc139.pages, rfc139.formats) == ("osigen", 6, ("ASCII", "HTML"))
    assert rfc139.abstract is not None and rfc139.abstract.startswith("This memo defines an echo function")


def test_fixture_in_the_full_entry_shape() -> None:
    index = parse_rfc_index(FIXTURE.read_bytes())
    by_number = {r.number: r for r in index.rfcs}
    assert list(by_number) == ["RFC 1738", "RFC 8089", "RFC 8179", "RFC 8565"]
    assert by_number["RFC 8089"] == RfcEntry(
        number="RFC 8089",
        title='The "file" URI Scheme',
        authors=("M. Kerwin",),
        date=dt.date(2017, 2, 1),
        status="PROPOSED STANDARD",
        publication_status="PROPOSED STANDARD",
        stream="IETF",
        area="art",
        wg="appsawg",
        draft="draft-ietf-appsawg-file-scheme-16",
        obsoletes=(),
        obsoleted_by=(),
        updates=("RFC 1738",),
        updated_by=(),
        is_also=(),
        see_also=(),
        doi="10.17487/RFC8089",
        abstract=(
            'This document provides a more complete specification of the "file" Uniform Resource Identifier '
            "(URI) scheme and replaces the very brief definition in Section 3.10 of RFC 1738.\n\n"
            "It defines a common syntax that is intended to interoperate across the broad spectrum of existing "
            "usages. At the same time, it notes some other current practices around the use of file URIs."
        ),
        keywords=("file", "URI", "scheme"),
        pages=19,
        formats=("ASCII", "HTML"),
        errata_url=None,
    )
    rfc1738 = by_number["RFC 1738"]
    assert rfc1738.obsoleted_by == ("RFC 4248", "RFC 4266")
    assert rfc1738.updated_by[-1] == "RFC 8089"
    assert (rfc1738.pages, rfc1738.stream, rfc1738.wg) == (25, "Legacy", None)  # page-count inside <format>
    assert rfc1738.errata_url == "http://www.rfc-editor.org/errata_search.php?rfc=1738"
    rfc8179 = by_number["RFC 8179"]
    assert (rfc8179.obsoletes, rfc8179.is_also) == (("RFC 3979", "RFC 4879"), ("BCP 79",))
    assert rfc8179.wg is None  # NON WORKING GROUP
    assert by_number["RFC 8565"].date == dt.date(2019, 4, 1)  # an April 1st RFC carries its day
    assert index.subseries[1] == SubseriesEntry("BCP 79", None, ("RFC 8179",))
    assert index.subseries[-1] == SubseriesEntry(
        "STD 66", "Uniform Resource Identifier (URI): Generic Syntax", ("RFC 3986",)
    )
    assert index.not_issued == ["RFC 26"]


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [("RFC0793", "RFC 793"), ("RFC793", "RFC 793"), ("BCP0079", "BCP 79"), ("std0001", "STD 1"), ("FYI0036", "FYI 36"), ("NIC 1", "NIC 1"), (" RFC8089 ", "RFC 8089"), ("junk!", "junk!")],
)  # fmt: skip
def test_normalise_doc_id(doc_id: str, expected: str) -> None:
    assert normalise_doc_id(doc_id) == expected


ENTRY = (
    "<{p}rfc-entry><{p}doc-id>RFC0001</{p}doc-id><{p}title>Host Software</{p}title>"
    "<{p}author><{p}name>S. Crocker</{p}name></{p}author>"
    "<{p}date><{p}month>April</{p}month><{p}year>1969</{p}year></{p}date>"
    "<{p}see-also><{p}doc-id>RFC0002</{p}doc-id></{p}see-also>"
    "<{p}current-status>UNKNOWN</{p}current-status></{p}rfc-entry>"
)


@pytest.mark.parametrize(
    "document",
    [
        '<rfc-index xmlns="http://www.rfc-editor.org/rfc-index">' + ENTRY.format(p="") + "</rfc-index>",
        '<rfc-index xmlns="https://www.rfc-editor.org/rfc-index">' + ENTRY.format(p="") + "</rfc-index>",
        '<ri:rfc-index xmlns:ri="http://www.rfc-editor.org/rfc-index">'
        + ENTRY.format(p="ri:")
        + "</ri:rfc-index>",
        '<x:rfc-index xmlns:x="https://www.rfc-editor.org/rfc-index">'
        + ENTRY.format(p="x:")
        + "</x:rfc-index>",
    ],
)
def test_entries_are_found_by_namespace_uri_whatever_the_prefix(document: str) -> None:
    (entry,) = parse_rfc_index(document.encode()).rfcs
    assert (entry.number, entry.title, entry.date, entry.see_also) == (
        "RFC 1",
        "Host Software",
        dt.date(1969, 4, 1),
        ("RFC 2",),
    )


def test_entries_in_another_namespace_are_ignored() -> None:
    document = (
        '<rfc-index xmlns="http://www.rfc-editor.org/rfc-index" xmlns:o="urn:other">'
        + ENTRY.format(p="o:")
        + ENTRY.format(p="")
        + "</rfc-index>"
    )
    assert [r.number for r in parse_rfc_index(document.encode()).rfcs] == ["RFC 1"]


def test_a_large_index_streams() -> None:
    entries = "".join(ENTRY.format(p="").replace("RFC0001", f"RFC{n:04d}") for n in range(1, 2001))
    document = f'<rfc-index xmlns="http://www.rfc-editor.org/rfc-index">{entries}</rfc-index>'.encode()
    index = parse_rfc_index(document)
    assert len(index.rfcs) == 2000
    assert index.rfcs[-1].number == "RFC 2000"


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rfc-index [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b'<rfc-index xmlns="http://www.rfc-editor.org/rfc-index"><rfc-entry><doc-id>RFC0001</doc-id>'
    b"<title>&b;</title></rfc-entry></rfc-index>"
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (LAUGHS, "entity declarations in the DOCTYPE are not allowed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rfc-index xmlns="http://www.rfc-editor.org/rfc-index"><rfc-entry><doc-id>RFC0001</doc-id>'
            b"<title>&x;</title></rfc-entry></rfc-index>",
            "entity declarations in the DOCTYPE are not allowed",
        ),
        (
            b'<!DOCTYPE r SYSTEM "rfc-index.dtd"><rfc-index xmlns="http://www.rfc-editor.org/rfc-index">'
            b"<rfc-entry><doc-id>RFC0001</doc-id><title>&x;</title></rfc-entry></rfc-index>",
            "entity references are not allowed",
        ),
        (b'<rfc-index xmlns="http://www.rfc-editor.org/rfc-index"><rfc-entry><doc-id>RFC0', "malformed XML"),
        (b"<rfc-index><rfc-entry><doc-id>RFC0001</doc-id></rfc-entry></rfc-index>", "not an rfc-index.xml"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "not an rfc-index.xml"),
        (b"RFC INDEX\n---------\n0001 Host Software. S. Crocker. April 1969.", "malformed XML"),
        (b"  ", "empty file"),
    ],
)
def test_bad_input_is_rejected_naming_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as err:
        parse_rfc_index(data, name="downloads/rfc-index.xml")
    assert err.value.reason.startswith("downloads/rfc-index.xml: ")
    assert reason in err.value.reason
