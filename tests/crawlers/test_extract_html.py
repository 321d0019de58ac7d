"""HTML: the real Word-exported 3GPP page, headings as sections, tables, hostile markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.html import extract
from crawlers.items import Section

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
TDOCS_BY_AGENDA = REALDATA / "3gpp" / "TdocsByAgenda_SA2-137E_2020-02-24.htm"


def _all_text(sections: list[Section]) -> str:
    return "\n".join(f"{s.number} {s.heading}\n{s.text}" for s in sections)


def test_real_word_exported_tdoc_list() -> None:
    if not TDOCS_BY_AGENDA.exists():
        pytest.skip(
            f"real sample {TDOCS_BY_AGENDA} is absent (../shared/realdata is not beside this checkout)"
        )
    result = extract(TDOCS_BY_AGENDA.read_bytes(), TDOCS_BY_AGENDA.name)
    assert result.title == "Document List for meeting All sessions - Ordered by Agenda Item"
    assert result.metadata["encoding"] == "windows-1252"
    text = _all_text(result.sections)
    # windows-1252 byte 0x85 is an ellipsis; table cells are tab-separated, one row per line,
    # and a long table is chunked between rows
    row = (
        "9.1\tS2-2002003\tWID NEW\tApproval\tNew WID: PLMN-access over SNPN using ePDG.\t"
        "Qualcomm Incorporated, Charter Communications, Ericsson, …\tRel-17"
    )
    assert row in text.split("\n")
    assert "IPR call reminder" in text
    # Word's head, styles and conditional comments (document properties) are not text
    for leftover in ("Maurice Pope", "Chairman's notes", "mso-", "MsoNormal", "<", "&nbsp;"):
        assert leftover not in text
    assert all(s.number is None and len(s.text) <= 1500 for s in result.sections)


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>RRC  protocol
 notes</title><style>p { color: red }</style></head>
<body>
<p>Before any heading.</p>
<h1>3GPP TS 38.331</h1>
<p>Radio Resource Control.</p>
<h2>5.3.5 RRC reconfiguration</h2>
<p>The UE shall<br>apply the <b>new</b> configuration.</p>
<ul><li>first item</li><li>second item</li></ul>
<table><tr><th>Field</th><th>Need</th></tr><tr><td>fullConfig</td><td>OP</td></tr></table>
<h3>第一章 总则</h3>
<div><p>中文正文。</p></div>
<img src="x.png" alt="an alt text" title="a tooltip">
</body></html>
"""


def test_headings_start_sections() -> None:
    result = extract(PAGE.encode(), "notes.html")
    assert result.title == "RRC protocol notes"
    assert result.sections == [
        Section(None, None, "Before any heading."),
        Section(None, "3GPP TS 38.331", "Radio Resource Control."),
        Section(
            "5.3.5",
            "RRC reconfiguration",
            "The UE shall\napply the new configuration.\n\nfirst item\nsecond item\n\n"
            "Field\tNeed\nfullConfig\tOP",
        ),
        Section("第一章", "总则", "中文正文。"),
    ]
    assert result.metadata["headings"] == 3


def test_title_falls_back_to_first_h1() -> None:
    result = extract(b"<h2>Sub</h2><p>x</p><h1>Main title</h1><p>y</p>", "a.html")
    assert result.title == "Main title"


def test_legacy_chinese_page_with_meta_charset() -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    page += (
        "<title>标准必要专利</title></head><body><h1>一、概述</h1><p>本文件规定了申报流程。</p></body></html>"
    )
    result = extract(page.encode("gb2312"), "a.htm")
    assert result.title == "标准必要专利"
    assert result.sections == [Section("一", "概述", "本文件规定了申报流程。")]


def test_utf16_page_with_bom() -> None:
    page = "<html><body><h1>1 Scope</h1><p>Text café.</p></body></html>"
    result = extract(b"\xff\xfe" + page.encode("utf-16-le"), "a.htm")
    assert result.sections == [Section("1", "Scope", "Text café.")]


HOSTILE = """<html><head>
<title>Q3 <script>alert('title')</script> <b>report</b> &amp; more</title>
<script>var secret = 'head script';</script>
</head><body onload="evil('onload')">
<h1 onclick="evil('h1 attr')">Heading<script>alert('in heading')</script></h1>
<p title="attribute text">Visible<script>document.write('body script')</script> text.</p>
<noscript>noscript text</noscript>
<template><p>template text</p></template>
<!-- comment text -->
<iframe src="javascript:alert('iframe')">iframe text</iframe>
<a href="javascript:alert('href')">link text</a>
<svg><text>svg text</text><script>alert('svg')</script></svg>
</body></html>
"""


def test_scripts_comments_and_attributes_are_never_text() -> None:
    result = extract(HOSTILE.encode(), "hostile.html")
    # the title is kept literally, markup and all: never parsed, never run; shown escaped later
    assert result.title == "Q3 <script>alert('title')</script> <b>report</b> & more"
    assert result.sections == [Section(None, "Heading", "Visible text.\n\nlink text")]
    text = _all_text(result.sections)
    for hidden in (
        "script",
        "alert",
        "evil",
        "attribute",
        "noscript",
        "template",
        "comment",
        "iframe",
        "svg",
    ):
        assert hidden not in text


def test_entity_expansion_attempt_does_not_blow_up() -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    page = '<?xml version="1.0"?>\n<!DOCTYPE html [\n' + "\n".join(entities) + "\n]>\n"
    page += "<html><body><h1>Laughs</h1><p>&lol9;</p><p>after</p></body></html>"
    result = extract(page.encode(), "laughs.xhtml")
    text = _all_text(result.sections)
    assert len(text) < 2000
    assert "lollol" not in text
    assert "after" in text


def test_deep_nesting_is_fine() -> None:
    page = "<html><body>" + "<div>" * 20000 + "deep text" + "</div>" * 20000 + "<p>after</p></body></html>"
    result = extract(page.encode(), "deep.html")
    assert result.sections == [Section(None, None, "deep text\n\nafter")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n  ", "no text: the HTML page has no visible text"),
        (
            b"<html><head><title>Only a title</title></head><body><script>x()</script></body></html>",
            "no text: the HTML page has no visible text",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "binary content, not text"),
    ],
    ids=["empty", "whitespace", "no-visible-text", "png"],
)
def test_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        extract(data, "a.html")
    assert info.value.reason == reason


def test_deterministic() -> None:
    assert extract(PAGE.encode(), "a.html") == extract(PAGE.encode(), "a.html")
