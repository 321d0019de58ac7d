"""Internet-Drafts and RFCs as paginated plain text, on the real draft-ietf-appsawg-file-scheme-16.txt."""

from __future__ import annotations

import re

import pytest

from crawlers.extract import Extracted, RejectedInput
from crawlers.ietf.drafttext import extract, is_page_furniture
from tests.conftest import realdata

DRAFT = "draft-ietf-appsawg-file-scheme-16.txt"

FILE_SCHEME_SECTIONS = [
    ("1", "Introduction"),
    ("1.1", "Notational Conventions"),
    ("2", "Syntax"),
    ("3", "Operations Involving file URIs"),
    ("4", "File System Name Encoding"),
    ("5", "Security Considerations"),
    ("6", "IANA Considerations"),
    ("7", "Acknowledgements"),
    ("8", "References"),
    ("8.1", "Normative References"),
    ("8.2", "Informative References"),
    ("Appendix A", "Differences from Previous Specifications"),
    ("Appendix B", "Example URIs"),
    ("Appendix C", "Similar Technologies"),
    ("Appendix D", "System-Specific Operations"),
    ("D.1", "POSIX Systems"),
    ("D.2", "DOS- and Windows-Like Systems"),
    ("D.3", "Mac OS X Systems"),
    ("D.4", "OpenVMS Files-11 Systems"),
    ("Appendix E", "Nonstandard Syntax Variations"),
    ("E.1", "User Information"),
    ("E.2", "DOS and Windows Drive Letters"),
    ("E.2.1", "Relative Resolution"),
    ("E.2.2", "Vertical Line Character"),
    ("E.3", "UNC Strings"),
    ("E.3.1", "file URI with Authority"),
    ("E.3.2", "file URI with UNC Path"),
    ("E.4", "Backslash as Separator"),
    ("Appendix F", "Collected Nonstandard Rules"),
]
"""The numbered sections of draft-ietf-appsawg-file-scheme-16, as its table of contents lists them."""

FRONT = [
    (None, "Abstract"),
    (None, "Note to Readers (To be removed by the RFC Editor)"),
    (None, "Status of This Memo"),
    (None, "Copyright Notice"),
]


def _raw() -> bytes:
    return realdata("ietf", DRAFT).read_bytes()


def _draft() -> Extracted:
    return extract(_raw(), DRAFT)


def _by_number(result: Extracted) -> dict[str | None, str]:
    return {s.number: s.text for s in result.sections if s.number}


def _as_rfc(raw: bytes) -> bytes:
    """The draft dressed as the RFC it became: RFC title block, RFC page headers and footers."""
    text = raw.decode()
    text = text.replace(
        "Applications Area Working Group                                M. Kerwin\n"
        "Internet-Draft                                                       QUT\n"
        "Updates: 1738 (if approved)                            December 16, 2016\n"
        "Intended status: Standards Track\n"
        "Expires: June 19, 2017\n",
        "Internet Engineering Task Force (IETF)                         M. Kerwin\n"
        "Request for Comments: 8089                                           QUT\n"
        "Updates: 1738                                              February 2017\n"
        "Category: Standards Track\n"
        "ISSN: 2070-1721\n",
    )
    text = text.replace("                   draft-ietf-appsawg-file-scheme-16\n", "")
    text = text.replace(
        "Internet-Draft                 file-scheme                 December 2016",
        'RFC 8089                    The "file" URI Scheme                February 2017',
    )
    return re.sub(
        r"Kerwin +Expires June 19, 2017 +\[Page (\d+)\]",
        lambda m: f"Kerwin                       Standards Track                    [Page {m[1]}]",
        text,
    ).encode()


def test_title_and_metadata_of_the_draft() -> None:
    result = _draft()
    assert result.title == "The file URI Scheme"
    assert result.metadata == {
        "encoding": "utf-8",
        "docname": "draft-ietf-appsawg-file-scheme-16",
        "name": "draft-ietf-appsawg-file-scheme",
        "rev": "16",
        "date": "2016-12-16",
        "date_precision": "day",
        "expires": "2017-06-19",
        "intended_status": "Standards Track",
        "updates": ["RFC 1738"],
        "workgroup": "Applications Area Working Group",
        "authors": ["M. Kerwin"],
        "pages": 18,
    }


def test_front_matter_then_numbered_sections_then_authors_address() -> None:
    result = _draft()
    headings = [(s.number, s.heading) for s in result.sections]
    assert headings == [*FRONT, *FILE_SCHEME_SECTIONS, (None, "Author's Address")]
    assert all(s.heading != "Table of Contents" for s in result.sections)
    abstract = result.sections[0].text
    assert abstract.startswith('This document provides a more complete specification of the "file"\n')
    assert abstract.endswith("some other current practices around the use of file URIs.")
    copyright_notice = result.sections[3].text
    # The notice runs over the page break: both halves, no footer, a blank line between paragraphs.
    assert copyright_notice.startswith("Copyright (c) 2016 IETF Trust")
    assert "All rights reserved.\n\nThis document is subject to BCP 78" in copyright_notice
    assert result.sections[-1].text.endswith("Email: matthew.kerwin@qut.edu.au")


def test_no_table_of_contents_line_survives() -> None:
    for section in _draft().sections:
        assert ". . . ." not in section.text


def test_page_headers_and_footers_never_reach_section_text() -> None:
    raw = _raw().decode()
    pages = raw.split("\f")
    assert len(pages) == 18
    furniture = set()
    for page in pages:
        lines = [line.strip() for line in page.split("\n") if line.strip()]
        if page is not pages[-1]:
            furniture.add(lines[-1])  # the footer
        if page is not pages[0]:
            furniture.add(lines[0])  # the header
    assert "Kerwin                    Expires June 19, 2017                 [Page 3]" in furniture
    assert "Internet-Draft                 file-scheme                 December 2016" in furniture
    assert len(furniture) == 18  # 17 distinct footers and one header text
    for section in _draft().sections:
        for line in [section.heading or "", *section.text.split("\n")]:
            assert line.strip() not in furniture, (section.number, line)
            assert not is_page_furniture(line), (section.number, line)
            assert "[Page" not in line


@pytest.mark.parametrize(
    ("number", "joined"),
    [
        # A paragraph split by pages 2/3 continues without a blank line.
        ("1", "The URI can be used in discussions about the file, and if other\nconditions are met"),
        ("2", "only a subset is used in the definition\nof the file URI scheme."),
        ("5", "granting local files directory-\nbased privileges"),
        ("E.2", "drive letters are\ncanonicalized by converting them to uppercase"),
        # A paragraph that ended at the page break stays a paragraph of its own.
        ("2", "file system.\n\nAlso see Appendix E"),
        ("6", "The World-Wide Web library for Perl.\n\nContact:"),
    ],
)
def test_page_breaks_are_joined_like_the_paragraphs_they_cut(number: str, joined: str) -> None:
    assert joined in _by_number(_draft())[number]


def test_section_text_is_dedented_and_keeps_artwork_and_lists() -> None:
    sections = _by_number(_draft())
    assert sections["1"].startswith('A file URI identifies an object (a "file") stored in a structured\n')
    assert '   file-URI       = file-scheme ":" file-hier-part' in sections["2"]
    assert (
        '1.  Initialize the URI with the "file:" scheme identifier.\n\n2.  Append the authority:'
        in sections["E.3.1"]
    )
    assert sections["8"] == ""
    assert sections["8.1"].startswith('[RFC2119]  Bradner, S., "Key words for use in RFCs to Indicate')


def test_the_same_draft_without_form_feeds_or_with_crlf_gives_the_same_sections() -> None:
    reference = [(s.number, s.heading, s.text) for s in _draft().sections]
    raw = _raw()
    for variant in (
        raw.replace(b"\f", b""),
        raw.replace(b"\n", b"\r\n"),
        b"\n\n" + raw.replace(b"\n\f", b"\f"),
    ):
        result = extract(variant, DRAFT)
        assert [(s.number, s.heading, s.text) for s in result.sections] == reference


def test_rfc_title_page_headers_and_footers() -> None:
    result = extract(_as_rfc(_raw()), "rfc8089.txt")
    assert result.title == "The file URI Scheme"
    assert result.metadata == {
        "encoding": "utf-8",
        "docname": "rfc8089",
        "name": "rfc8089",
        "number": "RFC 8089",
        "date": "2017-02-01",
        "date_precision": "month",
        "category": "Standards Track",
        "updates": ["RFC 1738"],
        "stream": "Internet Engineering Task Force (IETF)",
        "authors": ["M. Kerwin"],
        "pages": 18,
    }
    assert [(s.number, s.heading) for s in result.sections if s.number] == FILE_SCHEME_SECTIONS
    for section in result.sections:
        assert "Standards Track                    [Page" not in section.text
        assert 'RFC 8089                    The "file" URI Scheme' not in section.text


def test_v3_style_dates_on_the_title_page() -> None:
    raw = (
        _raw()
        .decode()
        .replace("December 16, 2016", "16 December 2016")
        .replace("Expires: June 19, 2017", "Expires: 19 June 2017")
        .replace("Expires June 19, 2017", "Expires 19 June 2017")
    )
    result = extract(raw.encode(), DRAFT)
    assert (result.metadata["date"], result.metadata["expires"]) == ("2016-12-16", "2017-06-19")
    assert len([s for s in result.sections if s.number]) == len(FILE_SCHEME_SECTIONS)


def test_expiry_is_computed_when_the_title_page_does_not_print_it() -> None:
    raw = _raw().decode().replace("Expires: June 19, 2017\n", "")
    assert extract(raw.encode(), DRAFT).metadata["expires"] == "2017-06-19"


def test_wrapped_numbered_heading_is_joined() -> None:
    raw = (
        _raw()
        .decode()
        .replace(
            "3.  Operations Involving file URIs\n",
            "3.  Operations Involving file URIs and a Heading Long Enough That\n    xml2rfc Wraps It\n",
        )
    )
    sections = {s.number: s for s in extract(raw.encode(), DRAFT).sections}
    assert (
        sections["3"].heading
        == "Operations Involving file URIs and a Heading Long Enough That xml2rfc Wraps It"
    )
    assert sections["3"].text.startswith("See the POSIX file and directory operations")


OLD_STYLE = b"""Network Working Group                                         J. Postel
Request for Comments: 9999                                           ISI
                                                            January 1980

                        A Flush-Left Old Protocol

1. Introduction

This memo has its text in column 0, as some old RFCs do.
It still has numbered clauses.

2. Protocol

The protocol sends a message.

2.1 Message Format

A message is one octet.

Postel                                                          [Page 1]
\f
RFC 9999                      Old Protocol                  January 1980

3. Security Considerations

None.
"""


def test_text_flush_left_falls_back_to_numbered_clauses() -> None:
    result = extract(OLD_STYLE, "rfc9999.txt")
    assert result.metadata["number"] == "RFC 9999"
    assert result.metadata["date"] == "1980-01-01"
    assert result.title == "A Flush-Left Old Protocol"
    assert [(s.number, s.heading) for s in result.sections] == [
        ("1", "Introduction"),
        ("2", "Protocol"),
        ("2.1", "Message Format"),
        ("3", "Security Considerations"),
    ]
    assert all("[Page" not in s.text and "January 1980" not in s.text for s in result.sections)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02binary\x00" * 50, "binary content"),
        (
            b"3GPP TS 38.331 V18.4.0 (2024-12)\nTechnical Specification\n\n1 Scope\nThe present document...\n",
            "not an Internet-Draft or RFC",
        ),
        (b"Meeting notes\n\n1. Agenda\n\n   Discuss the draft.\n", "not an Internet-Draft or RFC"),
    ],
)
def test_input_that_is_not_a_draft_is_rejected_naming_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as err:
        extract(data, "upload/notes.txt")
    assert err.value.reason.startswith("upload/notes.txt: ")
    assert reason in err.value.reason


def test_title_page_alone_is_rejected() -> None:
    head = _raw().split(b"Abstract")[0]
    with pytest.raises(RejectedInput, match="no text after the title page"):
        extract(head, DRAFT)


def test_page_count_ignores_a_trailing_form_feed() -> None:
    assert extract(_raw() + b"\n\f\n", DRAFT).metadata["pages"] == 18
    assert "pages" not in extract(_raw().replace(b"\f", b"").replace(b"[Page", b"[Pg"), DRAFT).metadata
