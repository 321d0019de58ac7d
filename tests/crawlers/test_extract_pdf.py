"""PDF: English and Chinese documents generated with fpdf2, and broken or hostile PDFs."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF

from crawlers.extract import RejectedInput
from crawlers.extract.pdf import extract
from crawlers.items import Section

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

SPEC_PAGES = [
    [
        "3GPP TS 38.331 V18.4.0 (2024-12)",
        "1 Scope",
        "The present document specifies the Radio Resource Control protocol.",
        "5.3.5 RRC reconfiguration",
        "5.3.5.1 General",
        "The purpose of this procedure is to modify an RRC connection.",
    ],
    [
        "5.3.5.2 Initiation",
        "The Network may initiate the RRC reconfiguration procedure to a UE in RRC_CONNECTED.",
        "Annex A (informative): Change history",
        "2024-12 RAN#106 first version",
    ],
]


def _pdf(pages: list[list[str]], *, title: str | None = None, font: Path | None = None) -> FPDF:
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    if font is None:
        pdf.set_font("Helvetica", size=11)
    else:
        pdf.add_font("cjk", fname=str(font))
        pdf.set_font("cjk", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return pdf


@pytest.fixture(scope="module")
def spec_pdf() -> bytes:
    return bytes(_pdf(SPEC_PAGES, title="NR; Radio Resource Control (RRC) protocol specification").output())


def test_english_spec_with_numbered_clauses(spec_pdf: bytes) -> None:
    result = extract(spec_pdf, "38331-i40.pdf")
    assert result.title == "NR; Radio Resource Control (RRC) protocol specification"
    assert result.metadata == {"pages": 2}
    assert result.sections == [
        Section(None, None, "3GPP TS 38.331 V18.4.0 (2024-12)"),
        Section("1", "Scope", "The present document specifies the Radio Resource Control protocol."),
        Section("5.3.5", "RRC reconfiguration", ""),
        Section("5.3.5.1", "General", "The purpose of this procedure is to modify an RRC connection."),
        Section(
            "5.3.5.2",
            "Initiation",
            "The Network may initiate the RRC reconfiguration procedure to a UE in RRC_CONNECTED.",
        ),
        Section("Annex A", "Change history (informative)", "2024-12 RAN#106 first version"),
    ]


@pytest.mark.parametrize(
    "meta_title", [None, "", "untitled", "Microsoft Word - 38331-i40.docx", "38331-i40.doc"]
)
def test_meaningless_metadata_title_falls_back_to_first_line(meta_title: str | None) -> None:
    data = bytes(_pdf(SPEC_PAGES[:1], title=meta_title).output())
    assert extract(data, "a.pdf").title == "3GPP TS 38.331 V18.4.0 (2024-12)"


def test_prose_without_numbering_is_chunked() -> None:
    paragraph = "This contribution discusses the handling of the RRC reconfiguration failure case. " * 40
    data = bytes(_pdf([[paragraph], [paragraph]]).output())
    result = extract(data, "R2-2500001.pdf")
    assert result.metadata["pages"] == 2
    assert len(result.sections) > 1
    assert all(s.number is None and s.heading is None and len(s.text) <= 1500 for s in result.sections)


def test_chinese_pdf_with_cjk_font() -> None:
    if not CJK_FONT.exists():
        pytest.skip(f"CJK font {CJK_FONT} is absent (install the Debian package fonts-wqy-zenhei)")
    lines = [
        "标准必要专利管理办法",
        "第一章 总则",
        "第一条 为了规范标准必要专利的管理，制定本办法。",
        "第二章 申报",
        "第五条 研发部门应当及时申报可能必要的专利。",
    ]
    result = extract(bytes(_pdf([lines], font=CJK_FONT).output()), "办法.pdf")
    assert result.title == "标准必要专利管理办法"
    assert result.sections == [
        Section(None, None, "标准必要专利管理办法"),
        Section("第一章", "总则", ""),
        Section("第一条", None, "为了规范标准必要专利的管理，制定本办法。"),
        Section("第二章", "申报", ""),
        Section("第五条", None, "研发部门应当及时申报可能必要的专利。"),
    ]


def test_owner_password_only_pdf_opens() -> None:
    pdf = _pdf([["1 Scope", "Readable without a password."]])
    pdf.set_encryption(owner_password="owner-secret")
    assert extract(bytes(pdf.output()), "a.pdf").sections == [
        Section("1", "Scope", "Readable without a password.")
    ]


def _raw_pdf(content: bytes, *, flate: bool) -> bytes:
    """A one-page PDF around the given content stream, with a correct xref table."""
    stream_dict = b"<< /Length %d%s >>" % (len(content), b" /Filter /FlateDecode" if flate else b"")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        stream_dict + b"\nstream\n" + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_decompression_bomb_is_rejected_not_decoded() -> None:
    compressor = zlib.compressobj(9)
    megabyte = bytes(1 << 20)
    bomb = b"".join(compressor.compress(megabyte) for _ in range(200)) + compressor.flush()
    assert len(bomb) < 300_000  # 200 MB of zeros once inflated
    with pytest.raises(RejectedInput) as info:
        extract(_raw_pdf(bomb, flate=True), "bomb.pdf")
    assert info.value.reason == "PDF stream too large when decompressed (decompression bomb?)"


def _encrypted() -> bytes:
    pdf = _pdf([["Confidential"]])
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def _scanned() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a drawing, no text: what a scan looks like to a reader
    return bytes(pdf.output())


def _three_pages() -> bytes:
    return bytes(_pdf([["One"], ["Two"], ["Three"]]).output())


@pytest.mark.parametrize(
    ("make", "limits", "reason"),
    [
        (lambda: b"", {}, "not a PDF: missing %PDF- header"),
        (lambda: b"<html><body>not a pdf</body></html>", {}, "not a PDF: missing %PDF- header"),
        (lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), {}, "not a PDF: missing %PDF- header"),
        (lambda: (d := _three_pages())[: len(d) // 2], {}, "truncated PDF: no %%EOF marker"),
        (_encrypted, {}, "encrypted PDF"),
        (_scanned, {}, "PDF has no extractable text (scanned image?)"),
        (_three_pages, {"max_pages": 2}, "too many pages: 3 (limit 2)"),
        (lambda: _raw_pdf(b"BT ET", flate=False) + bytes(10), {"max_bytes": 100}, None),
    ],
    ids=["empty", "html", "png", "truncated", "encrypted", "scanned", "pages", "size"],
)
def test_rejects_broken_and_hostile_pdfs(
    make: Callable[[], bytes], limits: dict[str, int], reason: str | None
) -> None:
    data = make()
    with pytest.raises(RejectedInput) as info:
        extract(data, "document.pdf", **limits)
    expected = reason or f"too large: {len(data)} bytes (limit 100)"
    assert info.value.reason == expected


def test_damaged_pdf_reports_what_pypdf_found() -> None:
    with pytest.raises(RejectedInput) as info:
        extract(b"%PDF-1.7\nthis is not a pdf body\n%%EOF\n", "a.pdf")
    assert info.value.reason.startswith("damaged PDF: ")
    assert len(info.value.reason) <= 140


def test_deterministic(spec_pdf: bytes) -> None:
    assert extract(spec_pdf, "a.pdf") == extract(spec_pdf, "a.pdf")
