"""`sepwatch import` of Internet-Drafts and RFCs (plain text, xml2rfc v2 and v3): chosen by content,
built as the IETF spiders build them, and ordinary text and XML files left to other importers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_settings
from crawlers.extract import RejectedInput
from crawlers.importers import ImportContext, choose
from crawlers.importers.ietf import IetfTextImporter, IetfXmlImporter
from crawlers.items import StandardDocument
from sepwatch.app import App
from sepwatch.importing import import_paths
from tests.conftest import realdata

DRAFT = "draft-ietf-appsawg-file-scheme"

RFC_TEXT = b"""\



Internet Engineering Task Force (IETF)                         M. Kerwin
Request for Comments: 8089                                           QUT
Updates: 1738                                              February 2017
Category: Standards Track
ISSN: 2070-1721


                         The "file" URI Scheme

Abstract

   This document provides a more complete specification of the "file"
   Uniform Resource Identifier (URI) scheme and replaces the very brief
   definition in Section 3.10 of RFC 1738.

1.  Introduction

   A file URI identifies an object (a "file") stored in a structured
   object naming and accessing environment on a host (a "file system").
"""

NOTES = b"""\
Internet-Draft reading list

Read the Internet-Draft on file URIs before the meeting.
Expires: whenever the chairs decide.
"""


def parse(name: str, data: bytes) -> tuple[str, StandardDocument]:
    importer = choose(name, data[:4096])
    (doc,) = importer.parse(data, ImportContext(source="local", number=f"/in/{name}", origin=f"/in/{name}"))
    return importer.kind, doc


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        (f"{DRAFT}-16.txt", None, "ietf-text"),
        (f"{DRAFT}-16.v2.xml", None, "ietf-xml"),
        ("draft-rfcxml-general-template-standard-00.v3.xml", None, "ietf-xml"),
        ("rfc8089.txt", RFC_TEXT, "ietf-text"),
        ("whatever.bin", RFC_TEXT, "ietf-text"),  # by content, whatever the name
        ("notes.txt", NOTES, "text"),  # says Internet-Draft, but has no title page
        ("notes.txt", b"Internet-Draft        review notes\n\nNothing else.\n", "text"),
        ("page.html", b"<!DOCTYPE html><html><body><pre>Request for Comments: 8089", "html"),
    ],
)
def test_importer_is_chosen_by_content(name: str, head: bytes | None, kind: str) -> None:
    data = realdata("ietf", name).read_bytes() if head is None else head
    assert choose(name, data[:4096]).kind == kind


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0"?>\n<note><to>Tove</to></note>',
        b'<?xml version="1.0"?>\n<rfcs><rfc/></rfcs>',
        b'<?xml version="1.0"?>\n<rfc-index xmlns="http://www.rfc-editor.org/rfc-index"/>',
        b"<rfcx/>",
        b'<?xml version="1.0"?>\n<!-- never closed <rfc docName="draft-x-00">',
        b'<?xml version="1.0"?>\n<!DOCTYPE note [<!ENTITY a "b">]>\n<note>&a;</note>',
        b"plain text that talks about <rfc> elements",
        "<rfc docName='draft-x-00'>".encode("utf-16-le"),  # no BOM: not an XML document we know
    ],
)
def test_other_xml_is_not_claimed(head: bytes) -> None:
    assert not IetfXmlImporter().sniff(head)
    assert not IetfTextImporter().sniff(head)


def test_rfc_xml_is_recognised_after_any_prolog() -> None:
    comment = b"<!-- " + b"x" * 3000 + b" -->\n"
    assert IetfXmlImporter().sniff(
        b'<?xml version="1.0"?>\n' + comment + b'<?rfc toc="yes"?>\n<rfc docName="d">'
    )
    assert IetfXmlImporter().sniff(b'\xef\xbb\xbf<rfc\n  version="3">')
    assert IetfXmlImporter().sniff('<?xml version="1.0" encoding="UTF-16"?><rfc/>'.encode("utf-16"))
    # A DOCTYPE naming <rfc> as root is enough when its entities fill the first 4 KB.
    entities = b"".join(
        b'<!ENTITY RFC%d SYSTEM "https://bib.ietf.org/public/rfc/bibxml/reference.RFC.%d.xml">\n' % (n, n)
        for n in range(100)
    )
    assert IetfXmlImporter().sniff(
        b'<?xml version="1.0"?>\n<!DOCTYPE rfc SYSTEM "rfc2629.dtd" [\n' + entities
    )


def test_the_real_draft_as_text_and_as_xml_is_one_document() -> None:
    text_kind, text = parse(f"{DRAFT}-16.txt", realdata("ietf", f"{DRAFT}-16.txt").read_bytes())
    xml_kind, xml = parse(f"{DRAFT}-16.v2.xml", realdata("ietf", f"{DRAFT}-16.v2.xml").read_bytes())
    assert (text_kind, xml_kind) == ("ietf-text", "ietf-xml")
    for doc in (text, xml):
        assert (doc.source, doc.number, doc.kind, doc.version_label, doc.body, doc.group) == (
            "ietf",
            DRAFT,
            "draft",
            "16",
            "IETF",
            "appsawg",
        )
        assert doc.title == "The file URI Scheme" and doc.partial is False
        assert doc.metadata["updates"] == ["RFC 1738"] and doc.metadata["authors"] == ["M. Kerwin"]
    assert text.date is not None and text.date.isoformat() == "2016-12-16"
    assert text.metadata["expires"] == "2017-06-19" and text.metadata["pages"] == 18
    assert xml.date is None  # the source says only <date year="2016"/>
    assert text.origin == f"/in/{DRAFT}-16.txt"
    numbered = [(s.number, s.heading) for s in text.sections if s.number]
    assert numbered == [(s.number, s.heading) for s in xml.sections if s.number]
    assert len(text.sections) == 34 and numbered[0] == ("1", "Introduction")


def test_template_v3_and_an_rfc_in_text() -> None:
    name = "draft-rfcxml-general-template-standard-00.v3.xml"
    _, template = parse(name, realdata("ietf", name).read_bytes())
    assert (template.number, template.version_label, template.kind, template.group) == (
        "draft-rfcxml-general-template-standard",
        "00",
        "draft",
        None,
    )
    assert template.metadata["version"] == 3
    kind, rfc = parse("rfc8089.txt", RFC_TEXT)
    assert kind == "ietf-text"
    assert (rfc.source, rfc.number, rfc.kind, rfc.version_label, rfc.title) == (
        "ietf",
        "RFC 8089",
        "rfc",
        None,
        'The "file" URI Scheme',
    )
    assert rfc.date is not None and rfc.date.isoformat() == "2017-02-01"
    assert rfc.metadata["updates"] == ["RFC 1738"] and rfc.metadata["category"] == "Standards Track"
    assert [(s.number, s.heading) for s in rfc.sections] == [(None, "Abstract"), ("1", "Introduction")]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "notes.txt",
            RFC_TEXT.replace(b"Request for Comments: 8089", b"Internet-Draft            "),
            "notes.txt: neither a draft name (draft-…-NN) nor an RFC number on the title page or in the file name",
        ),
        (
            "cut.xml",
            b'<?xml version="1.0"?>\n<rfc docName="draft-x-00"><front><title>T</title>',
            "cut.xml: malformed XML: Premature end of data in tag front line 2, line 2, column 50",
        ),
        (
            "laughs.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE rfc [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
            b'<rfc docName="draft-x-00"><front><title>&b;</title></front></rfc>',
            "laughs.xml: entity &a; expands to text (10 characters): only single-character entities like &nbsp; are allowed",
        ),
        (
            "xxe.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE rfc [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b'<rfc docName="draft-x-00"><front><title>&x;</title></front></rfc>',
            "xxe.xml: external entity &x; (SYSTEM 'file:///etc/passwd') is not allowed: it would be read from "
            "outside the document; only bibxml citations (…/reference.*.xml) are kept, by name",
        ),
    ],
)
def test_broken_and_hostile_files_are_rejected_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        parse(name, data)
    assert caught.value.reason == reason


@pytest.fixture
def app(settings_env: dict[str, str]) -> Iterator[App]:
    with App.open(load_settings(None, env=settings_env)) as application:
        yield application


def test_import_command_files_drafts_under_ietf_and_notes_as_text(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(realdata("ietf", f"{DRAFT}-16.txt"), folder / "a.txt")  # any name: the title page counts
    shutil.copy(realdata("ietf", f"{DRAFT}-16.v2.xml"), folder / "b.xml")
    (folder / "notes.txt").write_bytes(NOTES)
    reports = {r.path.name: r for r in import_paths(app, [folder]).reports}
    assert reports["a.txt"].detail == f"ietf-text, ietf:{DRAFT}, new document, 34 sections"
    assert reports["b.xml"].detail.startswith(f"ietf-xml, ietf:{DRAFT}, new version 2, 31 sections (")
    assert (
        reports["notes.txt"].detail.startswith("text, local:") and reports["notes.txt"].status == "imported"
    )
    records = [r for r in app.store.export_versions() if r["number"] == DRAFT]
    assert [(r["source"], r["version"], r["label"], r["kind"]) for r in records] == [
        ("ietf", 1, "16", "draft"),
        ("ietf", 2, "16", "draft"),
    ]
    assert import_paths(app, [folder / "b.xml"]).reports[0].status == "unchanged"
