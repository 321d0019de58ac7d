""".docx: the real 3GPP CR sample, generated documents, WordprocessingML edge cases, hostile files."""

from __future__ import annotations

import io
import zipfile

import docx as python_docx
import pytest

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.archive import ArchiveLimits
from crawlers.extract.docx import COVER_HEADING, extract
from crawlers.items import Section
from tests.conftest import realdata
from tests.fixtures.word.make_docx import STYLES, W, document, p, package, table

CR_SAMPLE = "CR_S2-2209002_23501_Correction_RedCap.docx"


@pytest.fixture(scope="module")
def cr() -> Extracted:
    path = realdata("3gpp", CR_SAMPLE)
    return extract(path.read_bytes(), CR_SAMPLE)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spec", "23.501"),
        # The form as filled in: the CR number cell says "XXX" and the number went into "rev".
        ("cr", "XXX"),
        ("revision", "3742"),
        ("current_version", "17.6.0"),
        ("title", "Correction of reference for RedCap indication from UE"),
        ("source_to_wg", "Qualcomm Inc."),
        ("source_to_tsg", "SA2"),
        ("work_item", "ARCH_NR_REDCAP / TEI17"),
        ("date", "2022-09-28"),
        ("category", "F"),
        ("release", "Rel-17"),
        (
            "summary",
            "Replace TS 38.331 with the correct reference TS 38.300 for RAN specfiication of UE indication of NR RedCap.",
        ),
        (
            "consequences",
            "Stage 2 specification incorrectly implies UE indication of NR RedCap is in RRC, when as defined in "
            "TS 38.300 and TS 38.321 it is in Random Access. This could potentially lead to incorrect implementations.",
        ),
        ("clauses_affected", "5.41"),
        ("other_specs_affected", "none"),
        ("proposed_change_affects", "ME, Radio Access Network"),
        ("tdoc", "S2-2209002"),
    ],
)
def test_real_cr_cover_fields(cr: Extracted, key: str, value: str) -> None:
    assert cr.metadata["cr"][key] == value


def test_real_cr_cover_reason_keeps_paragraphs(cr: Extracted) -> None:
    reason = cr.metadata["cr"]["reason"]
    lines = reason.split("\n")
    assert lines[0] == "In the context of Rel-17 NR RedCap, the following text was included in clause 5.41:"
    assert lines[3] == "Of 38.300 and 38.321 the more descriptive reference is TS 38.300:"
    assert lines[4] == "“16.13.3 Identification, access and camping restrictions"
    assert lines[-1] == (
        "Therefore, it is proposed to use TS 38.300 as the reference to Stage 3 RAN specifications "
        "for UE indication of NR RedCap."
    )
    assert len(lines) == 7
    assert "other_comments" not in cr.metadata["cr"]


def test_real_cr_sections_and_metadata(cr: Extracted) -> None:
    result = cr
    assert result.title == "Correction of reference for RedCap indication from UE"
    sections = result.sections
    assert [(s.number, s.heading) for s in sections] == [
        (None, COVER_HEADING),
        (None, None),
        ("5.41", "NR RedCap UEs differentiation"),
    ]
    cover = sections[0].text.split("\n")
    assert cover[:5] == [
        "3GPP SA WG2 Meeting #153E\tS2-2209002",
        "10-17 October 2022, Electronic meeting",
        "CR-Form-v12.0",
        "CHANGE REQUEST",
        "23.501 | CR | XXX | rev | 3742 | Current version: | 17.6.0",
    ]
    assert "Category: | F | Release: | Rel-17" in cover
    assert cover[-1] == "This CR's revision history:"
    assert sections[1].text == "***** First change *****"
    clause = sections[2].text
    assert clause.startswith("This functionality is used by the network to identify traffic to/from UEs")
    assert clause.endswith("***** End change *****")
    metadata = {k: v for k, v in result.metadata.items() if k != "cr"}
    assert metadata == {"paragraphs": 20, "tables": 2, "tracked_insertions": 1, "tracked_deletions": 1}


def test_real_cr_tracked_change_result_text(cr: Extracted) -> None:
    clause = cr.sections[2].text
    assert (
        "during RRC Connection Establishment procedure as defined in TS\u00a038.300 [27]." in clause
    )  # "331 [28]" was deleted, "300 [27]" inserted
    assert "331\u00a0[28]" not in clause


def _generated(rows: int, *, nested: bool = False) -> bytes:
    document_ = python_docx.Document()
    document_.core_properties.title = "NR; Radio Resource Control (RRC) protocol specification"
    document_.add_paragraph("Foreword text before any clause.")
    document_.add_heading("5.3.5\tRRC reconfiguration", level=2)
    document_.add_paragraph("The purpose of this procedure is to modify an RRC connection.")
    document_.add_heading("5.3.5.1 General", level=3)
    grid = document_.add_table(rows=rows, cols=3)
    for i, row in enumerate(grid.rows):
        cells = row.cells
        cells[0].text = f"field{i}"
        cells[1].text = ""
        cells[2].text = f"INTEGER (0..{i})"
    if nested:
        inner = grid.rows[0].cells[1].add_table(rows=2, cols=2)
        for r, row in enumerate(inner.rows):
            for c, cell in enumerate(row.cells):
                cell.text = f"n{r}{c}"
    document_.add_paragraph("After the table.")
    document_.add_heading("Annex A (informative):\tChange history", level=8)
    document_.add_paragraph("2024-12 first version")
    out = io.BytesIO()
    document_.save(out)
    return out.getvalue()


def test_generated_headings_and_table() -> None:
    result = extract(_generated(3), "38331.docx")
    assert result.title == "NR; Radio Resource Control (RRC) protocol specification"
    assert result.sections == [
        Section(None, None, "Foreword text before any clause."),
        Section(
            "5.3.5", "RRC reconfiguration", "The purpose of this procedure is to modify an RRC connection."
        ),
        Section(
            "5.3.5.1",
            "General",
            "field0 | INTEGER (0..0)\nfield1 | INTEGER (0..1)\nfield2 | INTEGER (0..2)\nAfter the table.",
        ),
        Section("Annex A", "Change history (informative)", "2024-12 first version"),
    ]
    assert result.metadata == {"paragraphs": 7, "tables": 1, "tracked_insertions": 0, "tracked_deletions": 0}
    assert "cr" not in result.metadata


def test_nested_table_is_flattened_into_its_cell() -> None:
    result = extract(_generated(2, nested=True), "nested.docx")
    assert result.sections[2].text.split("\n")[:2] == [
        "field0 | n00 | n01 n10 | n11 | INTEGER (0..0)",
        "field1 | INTEGER (0..1)",
    ]
    assert result.metadata["tables"] == 2


def test_thousand_row_table_one_line_per_row() -> None:
    result = extract(_generated(1000), "big.docx")
    lines = result.sections[2].text.split("\n")
    assert len(lines) == 1001
    assert lines[999] == "field999 | INTEGER (0..999)"


TRACKED = (
    p("1\tScope", "Heading1") + "<w:p><w:r><w:t>The UE </w:t></w:r>"
    '<w:del w:id="1" w:author="a"><w:r><w:delText>shall not</w:delText></w:r></w:del>'
    '<w:ins w:id="2" w:author="a"><w:r><w:t>shall</w:t></w:r></w:ins>'
    '<w:r><w:t xml:space="preserve"> send it.</w:t></w:r></w:p>'
    # A paragraph whose mark is deleted joins the next one.
    '<w:p><w:pPr><w:rPr><w:del w:id="3" w:author="a"/></w:rPr></w:pPr><w:r><w:t xml:space="preserve">Joined </w:t></w:r></w:p>'
    "<w:p><w:r><w:t>paragraph.</w:t></w:r></w:p>"
    # A paragraph deleted entirely, mark included, disappears.
    '<w:p><w:pPr><w:rPr><w:del w:id="4" w:author="a"/></w:rPr></w:pPr>'
    '<w:del w:id="5" w:author="a"><w:r><w:delText>Gone.</w:delText></w:r></w:del></w:p>'
    '<w:p><w:moveFrom w:id="6" w:author="a"><w:r><w:delText>moved away</w:delText></w:r></w:moveFrom>'
    '<w:r><w:t>Kept</w:t></w:r><w:moveTo w:id="7" w:author="a"><w:r><w:t xml:space="preserve"> moved here</w:t></w:r></w:moveTo></w:p>'
)


def test_tracked_changes_give_the_result_text() -> None:
    result = extract(package(TRACKED), "tracked.docx")
    assert result.sections == [
        Section("1", "Scope", "The UE shall send it.\nJoined paragraph.\nKept moved here")
    ]
    assert result.metadata["tracked_insertions"] == 2
    assert result.metadata["tracked_deletions"] == 5


RUNS = (
    p("2\tDefinitions", "Heading2")
    + "<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:cr/><w:t>d</w:t>"
    '<w:noBreakHyphen/><w:t>e</w:t><w:sym w:font="Symbol" w:char="F061"/><w:sym w:font="Symbol" w:char="F0B3"/>'
    '<w:sym w:font="Wingdings" w:char="F0FC"/></w:r></w:p>'
    # Complex field: the code (instrText) is hidden, the result shown; a simple field keeps its result.
    '<w:p><w:r><w:t xml:space="preserve">See clause </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> REF _Ref1 \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    '<w:r><w:t>5.3.5</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    '<w:r><w:t xml:space="preserve"> on page </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>7</w:t></w:r></w:fldSimple></w:p>'
    # A text box in a drawing (mc:Choice) with its VML copy (mc:Fallback): read once.
    '<w:p><w:r><w:t>Figure:</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
    "<w:p><w:r><w:t>Box text</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
    "<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>Box text</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>"
    "</mc:AlternateContent></w:r></w:p>"
    # Tab stops in paragraph properties are not tab characters.
    '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>no tab</w:t></w:r></w:p>'
)


def test_runs_fields_symbols_and_text_boxes() -> None:
    result = extract(package(RUNS), "runs.docx")
    assert result.sections == [
        Section(
            "2",
            "Definitions",
            "a\tb\nc\nd-eα≥\nSee clause 5.3.5 on page 7\nBox text\nFigure:\nno tab",
        )
    ]


HEADINGS = (
    p("Contents", "TOCHeading")
    + p("1\tScope\t5", "TOC1")
    + p("Foreword", "Heading1")
    + p("Some foreword.")
    # The style before a tracked formatting change (pPrChange) is not the paragraph's style.
    + '<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:pPrChange w:id="9" w:author="a"><w:pPr><w:pStyle w:val="Normal"/></w:pPr></w:pPrChange></w:pPr>'
    "<w:r><w:t>1</w:t></w:r><w:r><w:tab/></w:r><w:r><w:t>Sco</w:t></w:r><w:r><w:t>pe</w:t></w:r></w:p>"
    + p("Scope text.")
    + p("4.1.1.1.1.1\tDeep clause", "H6")
    + p("Deep text.")
    + p("4.2\tStyle based on a heading", "Kapitel")
    + '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t xml:space="preserve">4.3 Direct outline level</w:t></w:r></w:p>'
    + '<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>10-17 October 2022, not a clause</w:t></w:r></w:p>'
    + p("", "Heading1")
    + p("Annex B (normative):\tTest cases", "Heading8")
    + table([["Case", "Result"], ["A.1", "pass"]])
)


def test_heading_styles_outline_levels_and_toc() -> None:
    result = extract(package(HEADINGS, title="MTG_TITLE"), "headings.docx")
    assert result.title is None  # the 3GPP template's placeholder is not a title
    assert result.sections == [
        Section(None, "Foreword", "Some foreword."),
        Section("1", "Scope", "Scope text."),
        Section("4.1.1.1.1.1", "Deep clause", "Deep text."),
        Section("4.2", "Style based on a heading", ""),
        Section("4.3", "Direct outline level", "10-17 October 2022, not a clause"),
        Section("Annex B", "Test cases (normative)", "Case | Result\nA.1 | pass"),
    ]


def test_strict_ooxml_namespace() -> None:
    strict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
    body = (p("1\tScope", "Heading1") + p("Strict text.")).replace(W, strict)
    main = document(body).replace(W, strict)
    result = extract(package(main=main, styles=STYLES.replace(W, strict)), "strict.docx")
    assert result.sections == [Section("1", "Scope", "Strict text.")]


def test_meaningful_core_title_is_kept() -> None:
    result = extract(package(p("Text."), title="Study on NR RedCap"), "t.docx")
    assert result.title == "Study on NR RedCap"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol3;</w:t></w:r></w:p></w:body></w:document>'
)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("label", "data", "reason"),
    [
        (
            "billion laughs in the main part",
            package(main=BILLION_LAUGHS),
            "XML part laughs.docx:word/main.xml declares a DOCTYPE (an entity expansion attack?)",
        ),
        (
            "DOCTYPE in styles",
            package(
                p("x"), styles='<?xml version="1.0"?><!DOCTYPE s SYSTEM "http://example.invalid/s.dtd"><s/>'
            ),
            "XML part laughs.docx:word/styles.xml declares a DOCTYPE (an entity expansion attack?)",
        ),
        (
            "damaged XML",
            package(main=document(p("x"))[:-30]),
            "damaged XML in laughs.docx:word/main.xml: ",
        ),
        ("not a zip", b"plain text, not a package", "truncated or corrupt zip archive: laughs.docx ("),
        ("truncated zip", package(p("Text."))[:300], "truncated or corrupt zip archive: laughs.docx ("),
        (
            "OLE file (legacy or encrypted)",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
            "not a zip container: laughs.docx is an OLE compound file",
        ),
        (
            "spreadsheet",
            _zip({"xl/workbook.xml": b"<workbook/>"}),
            "not a Word document: laughs.docx is another Office format",
        ),
        (
            "no main part",
            _zip({"[Content_Types].xml": b"<Types/>"}),
            "not a Word document: laughs.docx has no main document part",
        ),
        (
            "main part is not WordprocessingML",
            package(main='<?xml version="1.0"?><html><p>x</p></html>'),
            "not a Word document: laughs.docx:word/main.xml has no w:document element",
        ),
        ("empty body", package(""), "empty document: laughs.docx has no text"),
        ("empty file", b"", "empty file: laughs.docx"),
    ],
)
def test_hostile_and_broken_files_are_refused(label: str, data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        extract(data, "laughs.docx")
    assert caught.value.reason.startswith(reason), label


def test_zip_bomb_in_main_part_is_refused_while_inflating() -> None:
    padding = b" " * (8 * 1024 * 1024)
    main = document(p("x")).encode().replace(b"<w:body>", b"<w:body>" + padding)
    with pytest.raises(RejectedInput) as caught:
        extract(package(main=main), "bomb.docx")
    assert caught.value.reason == (
        "zip bomb refused: bomb.docx/word/main.xml inflates to more than 200 times its compressed size"
    )


def test_main_part_over_the_member_cap_is_refused() -> None:
    data = package(p("A paragraph of text. " * 200))
    with pytest.raises(RejectedInput) as caught:
        extract(data, "big.docx", limits=ArchiveLimits(max_member_bytes=2000))
    assert caught.value.reason == "zip member too large: big.docx/word/main.xml inflates to over 2000 bytes"
