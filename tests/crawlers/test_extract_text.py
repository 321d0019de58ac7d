"""Plain text files: English specs, Chinese documents in legacy and Unicode encodings, bad input."""

from __future__ import annotations

import random

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.text import extract
from crawlers.items import Section

SPEC = """3GPP TS 38.331 V18.4.0 (2024-12)
Technical Specification
3rd Generation Partnership Project; NR; Radio Resource Control (RRC) protocol specification

1 Scope
The present document specifies the Radio Resource Control protocol for the radio interface.

5 Procedures
5.3 Connection control
5.3.5 RRC reconfiguration
5.3.5.1 General
The purpose of this procedure is to modify an RRC connection, e.g. to establish, modify or
release RBs.
5.3.5.2 Initiation
The Network may initiate the RRC reconfiguration procedure to a UE in RRC_CONNECTED.
5.3.5.3 Reception of an RRCReconfiguration by the UE
The UE shall perform the following actions upon reception of the RRCReconfiguration:
1> if the RRCReconfiguration includes the fullConfig:
2> perform the full configuration procedure as specified in 5.3.5.11;
"""


def test_3gpp_spec_text_is_split_into_clauses() -> None:
    result = extract(SPEC.encode(), "38331-i40.txt")
    assert result.title == "3GPP TS 38.331 V18.4.0 (2024-12)"
    assert [s.number for s in result.sections] == [
        None,
        "1",
        "5",
        "5.3",
        "5.3.5",
        "5.3.5.1",
        "5.3.5.2",
        "5.3.5.3",
    ]
    reception = result.sections[-1]
    assert reception.heading == "Reception of an RRCReconfiguration by the UE"
    assert reception.text.endswith("2> perform the full configuration procedure as specified in 5.3.5.11;")
    assert result.metadata["encoding"] == "utf-8"


CHINESE = (
    "标准必要专利管理办法\r\n\r\n"
    "第一章 总则\r\n"
    "第一条 为了规范公司标准必要专利的申报、评估和许可工作，制定本办法。\r\n"
    "第二条 本办法适用于公司所有研发部门。\r\n\r\n"
    "第二章 申报与评估\r\n"
    "第三条 研发部门应当在提交标准提案前申报相关专利。\r\n"
)
CHINESE_SECTIONS = [
    Section(None, None, "标准必要专利管理办法"),
    Section("第一章", "总则", ""),
    Section("第一条", None, "为了规范公司标准必要专利的申报、评估和许可工作，制定本办法。"),
    Section("第二条", None, "本办法适用于公司所有研发部门。"),
    Section("第二章", "申报与评估", ""),
    Section("第三条", None, "研发部门应当在提交标准提案前申报相关专利。"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_chinese_document_gives_the_same_sections_in_any_encoding(encoding: str) -> None:
    result = extract(CHINESE.encode(encoding), "办法.txt")
    assert result.title == "标准必要专利管理办法"
    assert result.sections == CHINESE_SECTIONS


def test_traditional_chinese_big5() -> None:
    text = (
        "標準必要專利管理辦法\n\n第一章 總則\n"
        "第一條 為規範本公司對標準必要專利之申報、授權與維護，特訂定本辦法。\n"
    )
    result = extract(text.encode("big5"), "辦法.txt")
    assert result.metadata["encoding"] == "big5"
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, None),
        ("第一章", "總則"),
        ("第一條", None),
    ]


def test_prose_without_numbering_is_chunked_by_paragraphs() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "Some words here. " * 30 for i in range(8))
    result = extract(text.encode("cp1252"), "notes.txt")
    assert len(result.sections) > 1
    assert all(s.number is None and s.heading is None and len(s.text) <= 1500 for s in result.sections)


def test_long_first_line_is_not_a_title() -> None:
    assert extract(("x" * 250 + "\nmore").encode(), "a.txt").title is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \r\n\t\n   \n", "empty file: no text"),
        (random.Random(7).randbytes(2048), "binary content, not text"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(120), "binary content, not text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50), "binary content, not text"),
        (bytes(range(0x80, 0x100)) * 8, "undecodable: not UTF-8 and no reliable text encoding detected"),
    ],
    ids=["empty", "whitespace", "random", "elf", "png", "undecodable"],
)
def test_rejects_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        extract(data, "file.txt")
    assert info.value.reason == reason


def test_size_limit() -> None:
    with pytest.raises(RejectedInput, match=r"too large: 11 bytes \(limit 10\)"):
        extract(b"1 Scope\nxyz", "a.txt", max_bytes=10)


def test_deterministic() -> None:
    data = CHINESE.encode("gb18030")
    assert extract(data, "a.txt") == extract(data, "a.txt")
