"""Markdown: headings from the token stream (not from '#' in code), numbers, front matter, titles."""

from __future__ import annotations

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.markdown import extract
from crawlers.items import Section

DOC = """---
title: "SEP 管理手册 / SEP handbook"
tags: [ipr, 3gpp]
---

Read this first.

# 标准必要专利 SEP handbook

Intro paragraph.

## 5.3.5 RRC reconfiguration

The UE shall apply the configuration.

```bash
# not a heading, a shell comment
echo done
```

## 第一章 总则

本章规定总体要求。

Setext heading
--------------

    # indented code, not a heading

> # quoted, not a section heading

### 一、概述

概述正文。
"""


def test_sections_follow_headings_of_any_level() -> None:
    result = extract(DOC.encode(), "handbook.md")
    assert result.title == "SEP 管理手册 / SEP handbook"
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, None),
        (None, "标准必要专利 SEP handbook"),
        ("5.3.5", "RRC reconfiguration"),
        ("第一章", "总则"),
        (None, "Setext heading"),
        ("一", "概述"),
    ]
    sections = result.sections
    assert sections[0] == Section(None, None, "Read this first.")
    assert sections[1].text == "Intro paragraph."
    assert sections[2].text == (
        "The UE shall apply the configuration.\n\n```bash\n# not a heading, a shell comment\necho done\n```"
    )
    assert "# indented code, not a heading" in sections[4].text
    assert "> # quoted, not a section heading" in sections[4].text
    assert sections[5].text == "概述正文。"
    assert "title:" not in "".join(s.text for s in sections)
    assert result.metadata["headings"] == 5


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("## Second level\n\ntext\n\n# First level\n\ntext", "First level"),
        ("## Only second level\n\ntext", "Only second level"),
        ("No headings at all.\n\nJust paragraphs.", None),
        ("---\ntitle: [unclosed\n---\n# From heading\n", "From heading"),  # bad YAML is ignored
        ("---\ntitle: 2024\n---\n# Heading\n", "2024"),
        ("---\nauthor: x\n---\n# Heading\n", "Heading"),
        ("# **Bold** and `code`\n", "Bold and code"),
    ],
)
def test_title(source: str, title: str | None) -> None:
    assert extract(source.encode(), "a.md").title == title


def test_front_matter_alias_bomb_is_harmless() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
    source = "---\n" + "\n".join(levels) + "\ntitle: Laughs\n---\n# Body heading\n\ntext\n"
    result = extract(source.encode(), "bomb.md")
    assert result.title == "Laughs"
    assert result.sections == [Section(None, "Body heading", "text")]


def test_without_headings_paragraphs_are_chunked() -> None:
    result = extract(b"First paragraph.\n\nSecond paragraph.\n", "notes.md")
    assert result.sections == [Section(None, None, "First paragraph.\n\nSecond paragraph.")]


def test_gb18030_markdown() -> None:
    source = "# 第一章 总则\n\n为了规范管理，制定本手册。\n"
    result = extract(source.encode("gb18030"), "手册.md")
    assert result.sections == [Section("第一章", "总则", "为了规范管理，制定本手册。")]
    assert result.metadata["encoding"] == "gb18030"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"\n  \n", "empty file: no text"), (b"\x00\x01\x02", "binary content, not text")],
)
def test_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        extract(data, "a.md")
    assert info.value.reason == reason


def test_deterministic() -> None:
    assert extract(DOC.encode(), "a.md") == extract(DOC.encode(), "a.md")
