"""Markdown: headings from the token stream (not from '#' in code), numbers, front matter, titles."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.markdown import _headings, extract
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


# --- Headings against CommonMark -----------------------------------------------------------------

try:
    from markdown_it import MarkdownIt
except ImportError:  # markdown-it-py is only a test oracle, never a dependency of the scanner
    MarkdownIt = None

needs_markdown_it = pytest.mark.skipif(
    MarkdownIt is None, reason="markdown-it-py (the CommonMark oracle for these tests) is not installed"
)

# (source, top-level headings as (first line, line after, level, text)); one or more per deviation
# that a review found between the line scanner and CommonMark.
HEADING_CASES = {
    # 1. Emphasis delimiters go, intraword underscores and code span contents stay.
    "intraword underscores": ("# max_idle_timeout parameter", [(0, 1, 1, "max_idle_timeout parameter")]),
    "identifiers": ("## RRC_Reconfiguration and T_310", [(0, 1, 2, "RRC_Reconfiguration and T_310")]),
    "emphasis": ("# _emph_, *emph*, **strong**, ***both***", [(0, 1, 1, "emph, emph, strong, both")]),
    "code spans verbatim": (
        "### `a*b` sets `RRC_Reconfiguration` and ``T_310 ` x``",
        [(0, 1, 3, "a*b sets RRC_Reconfiguration and T_310 ` x")],
    ),
    "unpaired star stays": ("# a*b and 5 * 3", [(0, 1, 1, "a*b and 5 * 3")]),
    "emphasis around code": ("# **`max_idle_timeout`** value", [(0, 1, 1, "max_idle_timeout value")]),
    "escapes, links, tags, entities": (
        r"# \_not\_emph [T_310](https://x.org/a_b_c) <span>R&amp;D</span>",
        [(0, 1, 1, "_not_emph T_310 R&D")],
    ),
    # 2. HTML blocks hide the '#' lines inside them.
    "html comment": ("<!-- draft\n# hidden\n-->\n# Shown", [(3, 4, 1, "Shown")]),
    "html comment on one line": ("<!-- note -->\n# Shown", [(1, 2, 1, "Shown")]),
    "html div until blank line": ('<div align="center">\n# hidden\n\n# Shown', [(3, 4, 1, "Shown")]),
    "html pre across blank lines": ("<pre>\n# hidden\n\n# hidden\n</pre>\n# Shown", [(5, 6, 1, "Shown")]),
    "html script and style": (
        "<script>\n# x\n</script>\n<style>\n# y\n</style>\n## Shown",
        [(6, 7, 2, "Shown")],
    ),
    "html lone tag": ("<custom-tag>\n# hidden\n\n# Shown", [(3, 4, 1, "Shown")]),
    "lone tag cannot interrupt a paragraph": ("Text\n<custom-tag>\n# Shown", [(2, 3, 1, "Shown")]),
    # 3. A backtick fence's info string has no backtick: this is inline code, not a fence.
    "inline triple backticks": ("```inline``` code\n\n# Shown", [(2, 3, 1, "Shown")]),
    "tilde info may hold backticks": ("~~~ `info`\n# hidden\n~~~\n# Shown", [(3, 4, 1, "Shown")]),
    # 4. Closing fences: at most 3 spaces of indentation, same character, at least as long.
    "fence indented 4 does not close": ("```\n    ```\n# hidden\n```\n# Shown", [(4, 5, 1, "Shown")]),
    "fence indented 3 closes": ("```\n   ```\n# Shown", [(2, 3, 1, "Shown")]),
    "shorter fence does not close": ("````\n```\n# hidden\n````\n# Shown", [(4, 5, 1, "Shown")]),
    "other fence character does not close": ("```\n~~~\n# hidden\n```\n# Shown", [(4, 5, 1, "Shown")]),
    "fence closer with info is content": ("```\n``` x\n# hidden\n```\n# Shown", [(4, 5, 1, "Shown")]),
    # 5. Lines inside list items are not top-level headings.
    "bullet item": ("- item\n  # x\n# Shown", [(2, 3, 1, "Shown")]),
    "ordered item": ("1. item\n   ## y\n## Shown", [(2, 3, 2, "Shown")]),
    "blank line keeps the item": ("- item\n\n  # x\n\n# Shown", [(4, 5, 1, "Shown")]),
    "wide item": ("10.  item\n     # x\n    # y\n# Shown", [(3, 4, 1, "Shown")]),
    "nested items": ("- a\n  - b\n    # x\n  # y\n# Shown", [(4, 5, 1, "Shown")]),
    "less indented line ends the item": ("- item\n # Shown", [(1, 2, 1, "Shown")]),
    "code in an item": ("- item\n\n  ```\n  # x\n  ```\n# Shown", [(5, 6, 1, "Shown")]),
    "lazy continuation is no setext": ("- item\nlazy\n===\n# Shown", [(3, 4, 1, "Shown")]),
    "item cannot interrupt a paragraph with 2.": ("Text\n2. two\n---", [(0, 3, 2, "Text 2. two")]),
    # 6. A setext heading's text is its whole paragraph, and its section starts there.
    "setext over two lines": ("Line one\nline two\n===", [(0, 3, 1, "Line one line two")]),
    "setext after a paragraph": ("Intro.\n\nLine one\n*line* two\n---", [(2, 5, 2, "Line one line two")]),
    "setext is not a thematic break": (
        "Title\n---\n\n***\n\n# Next",
        [(0, 2, 2, "Title"), (5, 6, 1, "Next")],
    ),
    # 7. Block quotes.
    "block quote": ("> # x\n# Shown", [(1, 2, 1, "Shown")]),
    "lazy quote is no setext": ("> quote\nlazy\n===\n\n## Shown", [(4, 5, 2, "Shown")]),
    "nested quote in an item": ("- > # x\n  > # y\n# Shown", [(2, 3, 1, "Shown")]),
    # Unchanged CommonMark basics.
    "indented code": ("    # x\n# Shown", [(1, 2, 1, "Shown")]),
    "closing sequence": ("## Shown ##\n# #", [(0, 1, 2, "Shown")]),
    "not ATX": ("#hashtag\n####### seven\n# Shown #x", [(2, 3, 1, "Shown #x")]),
    "tab indentation": ("-\titem\n\t# x\n# Shown", [(2, 3, 1, "Shown")]),
}

REALISTIC_DOCUMENTS = {
    "3gpp": """# 3GPP TS 38.331 V17.0.0 (2022-03)

## Foreword

This Technical Specification has been produced by the 3rd Generation Partnership Project (3GPP).

## 1 Scope

The present document specifies the Radio Resource Control protocol for the radio interface.

## 5.3.5 RRC reconfiguration

### 5.3.5.1 General

<!-- Figure 5.3.5.1-1: RRC reconfiguration, successful
# Figure placeholder, not a heading
-->

The purpose of this procedure is to modify an RRC connection, e.g. to establish/modify/release RBs.

### 5.3.5.3 Reception of an *RRCReconfiguration* by the UE

The UE shall perform the following actions upon reception of the `RRCReconfiguration`:

- if the *RRCReconfiguration* includes the *fullConfig*:
  # not a heading: the item goes on
  - perform the full configuration procedure as specified in 5.3.5.11;
- if `max_idle_timeout` is present, start timer T_310;

1. first, the UE shall
   ## also inside the list item
2. then

```asn1
RRCReconfiguration ::= SEQUENCE {
    rrc-TransactionIdentifier   RRC-TransactionIdentifier,
# a comment line in code
}
```

#### 5.3.5.4 Secondary cell group release

    # indented code

> NOTE: # not a heading either
> ## nor this

Annex A (informative):
Guidelines for use of the specification
=======================================

A.1 ASN.1 guidelines
--------------------

The field `max_idle_timeout` is in ms.
""",
    "chinese": """# 第一章 总则

第一条 为了规范标准必要专利管理，制定本办法。

## 第二章 许可原则

### 一、概述

> # 引用中的标题

### （二）适用范围

    # 缩进的代码

<div align="center">
# 不是标题
</div>

专利池说明
第二段说明
---

~~~text
# 代码块里的注释
~~~

## 第三章 附则 ##
""",
    "readme": """Project sepwatch
================

A watcher for standard-essential patents.

<!--
## Hidden section
-->

## Install

```bash
# install the package
pip install sepwatch
```

```inline``` code is not a fence

## `max_idle_timeout` and **other** settings

* `RRC_Reconfiguration`: the message
* list item with a heading-like line:

  ### part of the item

<details>
<summary>More</summary>

### Inside details? No: the blank line above ended the HTML block

</details>

## [Links](https://example.org/a_b) and <span>tags</span>
""",
}


def _commonmark_headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    """Top-level headings as markdown-it (CommonMark mode) finds them, with the text the scanner gives."""
    assert MarkdownIt is not None
    tokens = MarkdownIt("commonmark").parse("\n".join(lines))
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map is not None:
            text = " ".join(_inline_text(tokens[i + 1].children or []).split())
            if text:
                found.append((token.map[0], token.map[1], int(token.tag[1]), text))
    return found


def _inline_text(children: list[Any]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


@pytest.mark.parametrize(("source", "expected"), HEADING_CASES.values(), ids=HEADING_CASES.keys())
def test_headings(source: str, expected: list[tuple[int, int, int, str]]) -> None:
    assert _headings(source.split("\n")) == expected


@needs_markdown_it
@pytest.mark.parametrize(
    "source",
    [source for source, _ in HEADING_CASES.values()] + list(REALISTIC_DOCUMENTS.values()),
    ids=[*HEADING_CASES, *REALISTIC_DOCUMENTS],
)
def test_headings_agree_with_commonmark(source: str) -> None:
    lines = source.split("\n")
    assert _headings(lines) == _commonmark_headings(lines)


@needs_markdown_it
def test_headings_agree_with_commonmark_on_random_documents() -> None:
    """Random documents from realistic lines (seeded): block structure and heading text agree."""
    pieces = [
        "# 5.3.5 RRC_Reconfiguration", "## 第一章 总则", "### *Timer* T_310 `a*b`", "Paragraph text",
        "more text", "===", "---", "***", "", "", "    indented", "- item", "* item", "1. first", "2. second",
        "  # in item?", "   ## in item?", "  - nested", "> # quoted", "> quote", ">", "```", "```asn1", "~~~",
        "````", "   ```", "    ```", "```inline``` code", "<!-- comment", "-->", "<!-- one line -->", "<div>",
        "</div>", "<pre>", "</pre>", "<custom-tag>", "\t# tab", "-", "* * *", "#hashtag", "## closing ##",
    ]  # fmt: skip
    rng = random.Random(20240607)
    for _ in range(500):
        lines = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        assert _headings(lines) == _commonmark_headings(lines), "\n".join(lines)


def test_setext_section_starts_at_its_paragraph() -> None:
    result = extract(b"Intro.\n\nLine one\nline two\n===\n\nBody.\n", "a.md")
    assert result.sections == [Section(None, None, "Intro."), Section(None, "Line one line two", "Body.")]


def test_scanner_stays_linear_on_hostile_input() -> None:
    lines = [
        "# " + "<!--" * 20000,
        "# " + "[a](" * 20000,
        "# a" + " " * 50000 + "b",
        "# " + "".join("`" * k + " " for k in range(1, 300)),
        "- " * 20000 + "x - - -",
        "> " * 20000 + "y",
        "# " + "*_" * 20000,
    ]
    start = time.perf_counter()
    _headings(lines)
    assert time.perf_counter() - start < 5
