"""Markdown: sections at ATX and setext headings.

Headings are found by a line scanner following CommonMark's block rules; a section's text is its
Markdown source (after the heading line) up to the next heading of any level. ``#`` lines inside
fenced or indented code, block quotes and list items are not section headings. YAML front matter is skipped; its ``title`` is the title.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from crawlers.extract import Extracted
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_size, decode_with_encoding, normalise
from crawlers.extract.sections import chunk_paragraphs, split_heading_number
from crawlers.items import Section

MAX_FRONT_MATTER_LINES = 200


def extract(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Title (front matter, first level-1 heading, first heading), sections at headings."""
    check_size(data, max_bytes)
    raw, encoding = decode_with_encoding(data)
    lines = normalise(raw).split("\n")
    front_title, lines = _front_matter(lines)
    headings = _headings(lines)
    sections: list[Section] = []
    first = headings[0][0] if headings else len(lines)
    preamble = "\n".join(lines[:first]).strip()
    if not headings:
        sections = chunk_paragraphs(preamble, chunk_chars)
    elif preamble:
        sections.append(Section(None, None, preamble))
    for i, (_start, end, _level, text) in enumerate(headings):
        stop = headings[i + 1][0] if i + 1 < len(headings) else len(lines)
        number, heading = split_heading_number(text)
        sections.append(Section(number, heading, "\n".join(lines[end:stop]).strip()))
    level_one = [text for _s, _e, level, text in headings if level == 1]
    title = front_title or next(iter(level_one or [text for *_rest, text in headings]), None)
    return Extracted(
        title=title,
        sections=sections,
        metadata={"encoding": encoding, "headings": len(headings)},
    )


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r" {0,3}(?:[>*+-]\s|\d{1,9}[.)]\s|[-*_](?:[ \t]*[-*_]){2,}[ \t]*$|<)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_INLINE_MARKS = re.compile(r"(?<!\\)(?:\*{1,3}|_{1,3}(?=\w)|(?<=\w)_{1,3}|`+|~~)")
_TAG = re.compile(r"<[^>]{1,200}>")


def _headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    """(first line, line after the heading, level, plain text) of each top-level heading.

    A line scanner for the CommonMark block rules that decide what is a heading — ATX and setext
    headings, fenced and indented code, block quotes and list items — in linear time: a full
    Markdown parse costs more than everything else on the import path put together.
    """
    found: list[tuple[int, int, int, str]] = []
    fence: str | None = None
    in_paragraph = False
    for i, line in enumerate(lines):
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        if not line.strip():
            in_paragraph = False
            continue
        if not in_paragraph and (line.startswith("    ") or line.startswith("\t")):
            continue  # indented code
        if m := _FENCE.match(line):
            fence = m.group(1)
            in_paragraph = False
            continue
        if m := _ATX.match(line):
            text = _plain(m.group(2) or "")
            if text:
                found.append((i, i + 1, len(m.group(1)), text))
            in_paragraph = False
            continue
        if in_paragraph and (m := _SETEXT.match(line)):
            text = _plain(lines[i - 1])
            if text:
                found.append((i - 1, i + 1, 1 if m.group(1)[0] == "=" else 2, text))
            in_paragraph = False
            continue
        in_paragraph = not _NOT_PARAGRAPH.match(line)
    return found


def _plain(markdown: str) -> str:
    """Heading text without inline markup: links and images keep their text, marks and tags go."""
    text = _IMAGE.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _INLINE_MARKS.sub("", text)
    return " ".join(text.replace("\\", "").split())


def _front_matter(lines: list[str]) -> tuple[str | None, list[str]]:
    """Strip a leading ``---`` … ``---`` block; return its ``title`` (if any) and the rest."""
    if not lines or lines[0].strip() != "---":
        return None, lines
    for end in range(1, min(len(lines), MAX_FRONT_MATTER_LINES + 1)):
        if lines[end].strip() in ("---", "..."):
            return _title_from_yaml("\n".join(lines[1:end])), lines[end + 1 :]
    return None, lines


def _title_from_yaml(source: str) -> str | None:
    try:
        data: Any = yaml.safe_load(source)
    except Exception:  # any malformed front matter is ignored, as promised
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("title")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    title = " ".join(str(value).split())
    return title or None
