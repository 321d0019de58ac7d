"""The shared clause splitter: which lines are headings (a table), and how text becomes sections."""

from __future__ import annotations

import pytest

from crawlers.extract.sections import chunk_paragraphs, split_heading_number, split_numbered
from crawlers.items import Section

PREAMBLE = "Some introductory text."
BODY = "Body text of the clause."

# line, expected (number, heading) or None when the line must stay body text
HEADING_RULES: list[tuple[str, tuple[str, str | None] | None]] = [
    ("1 Scope", ("1", "Scope")),
    ("1. Introduction", ("1", "Introduction")),
    (
        "5.3.5.1 Reception of the RRCReconfiguration by the UE",
        ("5.3.5.1", "Reception of the RRCReconfiguration by the UE"),
    ),
    ("5.3.5\tRRC reconfiguration", ("5.3.5", "RRC reconfiguration")),  # Word text export
    ("4.2 5G System architecture", ("4.2", "5G System architecture")),
    ("6.1 gNB-DU functions", ("6.1", "gNB-DU functions")),
    ("A.2 Example", ("A.2", "Example")),
    ("Annex B (informative): Change history", ("Annex B", "Change history (informative)")),
    ("Appendix A. Foo", ("Appendix A", "Foo")),
    ("第一章 总则", ("第一章", "总则")),
    ("第一章总则", ("第一章", "总则")),
    ("第3条", ("第3条", None)),
    ("第二节 申报程序", ("第二节", "申报程序")),
    ("一、概述", ("一", "概述")),
    ("（二）适用范围", ("（二）", "适用范围")),
    ("1 范围", ("1", "范围")),
    # not headings
    ("2024. was a year", None),
    ("1) foo", None),
    ("1. Open the box and press the button.", None),
    ("3 The UE shall then send the message,", None),
    ("3GPP TS 38.331 V18.4.0 (2024-12)", None),
    ("38.331 V18.4.0 (2024-12)", None),
    ("45", None),
    ("1 2 3 4", None),
    ("10 20 30 dB", None),
    ("12.5 % of the UEs", None),
    ("5.3.5 RRC reconfiguration ........................ 45", None),  # table of contents
    ("5.3.5\tRRC reconfiguration\t45", None),
    ("7 " + "Very long line " * 10, None),
    ("2 the second item in lower case", None),
    ("1\tUE1\tgNB1\t30 kHz", None),  # a table row
    ("第三条规定的义务不适用于本节", None),
    ("一、本办法自发布之日起施行。", None),
    ("annex A applies to this case", None),
]


@pytest.mark.parametrize(("line", "expected"), HEADING_RULES, ids=[row[0][:40] for row in HEADING_RULES])
def test_heading_rules(line: str, expected: tuple[str, str | None] | None) -> None:
    sections = split_numbered(f"{PREAMBLE}\n\n{line}\n{BODY}")
    if expected is None:
        assert all(s.number is None for s in sections)
        assert line.strip() in sections[0].text
    else:
        assert sections == [Section(None, None, PREAMBLE), Section(*expected, BODY)]


SPEC = """3GPP TS 38.331 V18.4.0 (2024-12)
Technical Specification

Contents
1 Scope .............................................. 7
5.3.5 RRC reconfiguration ............................ 45

1 Scope
The present document specifies the Radio Resource Control protocol.
2 References
The following documents contain provisions which are referenced:
1. Foo bar
5 Procedures
5.3 Connection control
5.3.5 RRC reconfiguration
5.3.5.1 General
The purpose of this procedure is to modify an RRC connection, the limit being
10 Mbps for the downlink and
the uplink.
5.3.5.2 Initiation
The network may initiate the procedure.
45
3GPP
Annex A (normative):
ASN.1 guidelines
A.1 General
Text of A.1.
Annex B (informative): Change history
Date Meeting TDoc CR
2024-12 RAN#106 RP-243000 1234
"""


def test_3gpp_style_spec_clauses() -> None:
    sections = split_numbered(SPEC)
    assert [(s.number, s.heading) for s in sections] == [
        (None, None),
        ("1", "Scope"),
        ("2", "References"),
        ("5", "Procedures"),
        ("5.3", "Connection control"),
        ("5.3.5", "RRC reconfiguration"),
        ("5.3.5.1", "General"),
        ("5.3.5.2", "Initiation"),
        ("Annex A", "ASN.1 guidelines (normative)"),
        ("A.1", "General"),
        ("Annex B", "Change history (informative)"),
    ]
    by_number = {s.number: s.text for s in sections}
    assert by_number[None].startswith("3GPP TS 38.331 V18.4.0 (2024-12)")
    assert "5.3.5 RRC reconfiguration ....." in by_number[None]  # the contents stay in the preamble
    assert by_number["2"].endswith("1. Foo bar")  # a list item inside clause 2 is not clause 1
    assert "10 Mbps for the downlink and\nthe uplink." in by_number["5.3.5.1"]  # wrapped line
    assert by_number["5.3.5"] == ""
    assert by_number["Annex B"].startswith("Date Meeting TDoc CR")


def test_numbers_must_plausibly_follow_each_other() -> None:
    text = (
        "5.3 Connection control\nText.\n1. First step\n2. Second step\n"
        "99 Bottles on the wall\n5.4 Release\nMore."
    )
    sections = split_numbered(text)
    assert [s.number for s in sections] == ["5.3", "5.4"]
    assert sections[0].text == "Text.\n1. First step\n2. Second step\n99 Bottles on the wall"


CHINESE = """标准必要专利管理办法

第一章 总则

第一条 为了规范公司标准必要专利的申报、评估和许可工作，制定本办法。

第二条 本办法适用于公司所有研发部门。

第二章 申报
一、申报范围
研发部门应当申报所有可能必要的专利。
（一）无线通信
包括 5G NR 相关技术。
"""


def test_chinese_chapters_articles_and_enumerations() -> None:
    sections = split_numbered(CHINESE)
    assert sections == [
        Section(None, None, "标准必要专利管理办法"),
        Section("第一章", "总则", ""),
        Section("第一条", None, "为了规范公司标准必要专利的申报、评估和许可工作，制定本办法。"),
        Section("第二条", None, "本办法适用于公司所有研发部门。"),
        Section("第二章", "申报", ""),
        Section("一", "申报范围", "研发部门应当申报所有可能必要的专利。"),
        Section("（一）", "无线通信", "包括 5G NR 相关技术。"),
    ]


def test_no_preamble_section_when_the_text_starts_with_a_heading() -> None:
    assert split_numbered("1 Scope\nText.") == [Section("1", "Scope", "Text.")]


def test_without_headings_paragraphs_are_chunked() -> None:
    text = "First paragraph.\n\nSecond paragraph."
    assert split_numbered(text) == [Section(None, None, text)]
    assert split_numbered("") == []


def test_chunks_group_paragraphs_up_to_max_chars() -> None:
    paragraphs = [f"Paragraph {i} " + "x" * 80 for i in range(10)]
    chunks = chunk_paragraphs("\n\n".join(paragraphs), max_chars=300)
    assert all(c.number is None and c.heading is None for c in chunks)
    assert all(len(c.text) <= 300 for c in chunks)
    assert "\n\n".join(c.text for c in chunks) == "\n\n".join(paragraphs)
    assert len(chunks) == 4


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    sentence = "The UE shall apply the new configuration without delay. "
    chunks = chunk_paragraphs(sentence * 60, max_chars=500)
    assert len(chunks) > 1
    assert all(len(c.text) <= 500 and c.text.endswith("delay.") for c in chunks)


def test_long_chinese_paragraph_is_split_at_chinese_sentence_ends() -> None:
    text = "终端应当立即应用新的配置。是否需要确认？需要！" * 40
    chunks = chunk_paragraphs(text, max_chars=200)
    assert len(chunks) > 1
    assert all(len(c.text) <= 200 and c.text[-1] in "。？！" for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_a_sentence_longer_than_max_chars_is_cut() -> None:
    chunks = chunk_paragraphs("word " * 1000, max_chars=100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == ["word"] * 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.3.5 RRC reconfiguration", ("5.3.5", "RRC reconfiguration")),
        ("1. Introduction.", ("1", "Introduction.")),
        ("第一章 总则", ("第一章", "总则")),
        ("Introduction", (None, "Introduction")),
        ("2024 roadmap", (None, "2024 roadmap")),
        ("3 ways to do it", (None, "3 ways to do it")),
        ("5G  NR overview", (None, "5G NR overview")),
    ],
)
def test_split_heading_number_for_known_headings(text: str, expected: tuple[str | None, str]) -> None:
    assert split_heading_number(text) == expected


def test_deterministic() -> None:
    assert split_numbered(SPEC) == split_numbered(SPEC)


def test_long_chinese_article_still_opens_a_section() -> None:
    article = (
        "第十条 "
        + "研发部门应当在提交标准提案前对相关专利进行评估并向知识产权部门申报，" * 6
        + "具体流程另行规定。"
    )
    assert len(article) > 120
    sections = split_numbered(f"第九条 前条规定适用于全体员工。\n{article}")
    assert [s.number for s in sections] == ["第九条", "第十条"]
    assert sections[1].text.endswith("具体流程另行规定。")
