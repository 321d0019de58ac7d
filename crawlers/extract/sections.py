"""Split plain text into numbered clauses, or into paragraph chunks when it has no numbering.

A heading is a line of its own that starts with a clause number: ``1 Scope``, ``1. Introduction``,
``5.3.5.1 Reception of the RRCReconfiguration``, ``A.2 Example``, ``Annex B (informative): Change
history``, ``Appendix A. Foo``, ``第一章 总则``, ``第3条``, ``一、概述``, ``（二）适用范围``.

Text is messy (PDF extraction, wrapped lines, tables, page headers), so a candidate must also look
like a heading: short, not ending like a sentence, a title that starts like a title, no dot leaders
(tables of contents), and a number that plausibly follows the previous clause number (so an
ordered list "1. Foo" inside clause 5.3 stays body text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawlers.items import Section

MAX_HEADING_CHARS = 120
_SPACE = r"[ \t\u3000]"
_NUMERIC = re.compile(
    rf"(?P<num>\d{{1,3}}(?:\.\d{{1,3}}){{0,7}})(?:[.．]?{_SPACE}+|、{_SPACE}*)(?P<title>\S.*)"
)
_LETTERED = re.compile(rf"(?P<num>[A-Z](?:\.\d{{1,3}}){{1,7}})\.?{_SPACE}+(?P<title>\S.*)")
_ANNEX = re.compile(
    r"(?P<kind>Annex|Appendix|ANNEX|APPENDIX)\s+(?P<id>[A-Z](?:\.\d{1,3})*|\d{1,2}|[IVX]{1,5})"
    r"(?!\w|\.\d)\s*(?P<status>\([^()]{1,40}\))?\s*[:：.\-–—]?\s*(?P<title>.*)"
)
_CN_NUM = "[一二三四五六七八九十百千零〇两兩]"
_CN_PART = re.compile(rf"第(?P<n>{_CN_NUM}{{1,6}}|\d{{1,4}})(?P<kind>部分|[编編篇章节節])\s*(?P<title>.*)")
_CN_ARTICLE = re.compile(rf"第(?P<n>{_CN_NUM}{{1,6}}|\d{{1,4}})(?P<kind>[条條款])(?:{_SPACE}+(?P<rest>.*))?")
_CN_ENUM = re.compile(rf"(?P<n>{_CN_NUM}{{1,3}})[、．]{_SPACE}*(?P<title>\S.*)")
_CN_PAREN = re.compile(rf"[（(](?P<n>{_CN_NUM}{{1,3}})[）)]{_SPACE}*(?P<title>\S.*)")

_SENTENCE_END = tuple(".,;:。，；：、")
_TOC = re.compile(r"\.{4,}|…{2,}|(?:\. ){3,}|\t\d+$")
_VERSIONISH = re.compile(r"^[Vv]?\d+\.\d+\.\d+|\(\d{4}-\d{2}(?:-\d{2})?\)")
_DIGIT_WORD = re.compile(r"\d+[^\W\d_]")
_TRAILING_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "is",
        "of",
        "on",
        "or",
        "that",
        "the",
        "to",
        "which",
        "with",
    ]
)
_MAX_STEP = 20
_MAX_CHILD_START = 5


@dataclass(frozen=True, slots=True)
class Heading:
    """A recognised heading line: ``key`` orders clause numbers of one ``family`` for the sequence
    check; ``body`` is text that followed the number on the same line (Chinese articles)."""

    number: str
    title: str | None
    family: str
    key: tuple[int, ...] | None = None
    body: str | None = None
    status: str | None = None


def split_heading_number(text: str) -> tuple[str | None, str]:
    """Split a heading that is already known to be one (Markdown, HTML) into number and title.

    ``"5.3.5 RRC reconfiguration"`` gives ``("5.3.5", "RRC reconfiguration")``; text without a
    plausible number gives ``(None, text)``.
    """
    text = " ".join(text.split())
    found = parse_heading(text, strict=False)
    if found is None:
        return None, text
    title = found.title or found.body
    return found.number, title if title else text


def parse_heading(line: str, *, strict: bool = True) -> Heading | None:
    """Recognise one stripped line as a heading; ``strict`` adds the rules for free-running text
    (length, sentence punctuation, dot leaders, title words) on top of the number rules."""
    article = _chinese_article(line)
    if article is not None:
        return article  # "第三条 …" opens an article however long its first sentence is
    if strict and (len(line) >= MAX_HEADING_CHARS or _TOC.search(line)):
        return None
    for parser in (_annex, _chinese, _lettered, _numeric):
        found = parser(line, strict)
        if found is not None:
            return found
    return None


def _numeric(line: str, strict: bool) -> Heading | None:
    m = _NUMERIC.fullmatch(line)
    if m is None or not _title_ok(m["title"], strict):
        return None
    key = tuple(int(part) for part in m["num"].split("."))
    return Heading(m["num"], m["title"].strip(), "numeric", key)


def _lettered(line: str, strict: bool) -> Heading | None:
    m = _LETTERED.fullmatch(line)
    if m is None or not _title_ok(m["title"], strict):
        return None
    letter, *rest = m["num"].split(".")
    return Heading(m["num"], m["title"].strip(), "letter", (ord(letter), *(int(p) for p in rest)))


def _annex(line: str, strict: bool) -> Heading | None:
    m = _ANNEX.fullmatch(line)
    if m is None:
        return None
    title = m["title"].strip()
    if title and not _title_ok(title, strict):
        return None
    number = f"{m['kind'].capitalize()} {m['id']}"
    if not title:
        return Heading(number, m["status"], "annex", status=m["status"])
    return Heading(number, f"{title} {m['status'] or ''}".strip(), "annex")


def _chinese_article(line: str) -> Heading | None:
    m = _CN_ARTICLE.fullmatch(line)
    if m is None:
        return None
    rest = (m["rest"] or "").strip()
    number = f"第{m['n']}{m['kind']}"
    if not rest:
        return Heading(number, None, "chinese")
    if rest.endswith(_SENTENCE_END + tuple("！？!?")) or len(rest) > 40:
        return Heading(number, None, "chinese", body=rest)
    return Heading(number, rest, "chinese")


def _chinese(line: str, strict: bool) -> Heading | None:
    m = _CN_PART.fullmatch(line)
    if m is not None:
        title = m["title"].strip()
        if title and strict and title.endswith(_SENTENCE_END):
            return None
        return Heading(f"第{m['n']}{m['kind']}", title or None, "chinese")
    for pattern, paren in ((_CN_ENUM, False), (_CN_PAREN, True)):
        m = pattern.fullmatch(line)
        if m is not None:
            title = m["title"].strip()
            if strict and title.endswith(_SENTENCE_END):
                return None
            return Heading(f"（{m['n']}）" if paren else m["n"], title, "chinese")
    return None


def _title_ok(title: str, strict: bool) -> bool:
    """Does the text after a number read like a heading title?"""
    title = title.strip()
    first = title[0]
    first_word = title.split()[0]
    if not (first.isalpha() or first in "(\"“'‘" or _DIGIT_WORD.match(first_word)):
        return False  # "12.5 % of", table rows of numbers
    if first.islower() and first_word.islower():
        return False  # "2024. was a year", wrapped sentences; "eNB" and "gNB" are fine
    if _VERSIONISH.search(title):
        return False  # "38.331 V18.4.0 (2024-12)"
    if not strict:
        return True
    if "\t" in title or title.endswith(_SENTENCE_END):
        return False
    last_word = title.rsplit(None, 1)[-1].lower()
    return last_word not in _TRAILING_FUNCTION_WORDS


def _plausible_next(prev: tuple[int, ...] | None, cand: tuple[int, ...], first_limit: int) -> bool:
    """Could clause ``cand`` follow clause ``prev``: a later sibling of it or of an ancestor
    (a modest step), or a child starting near 1? Without a previous clause, a small number."""
    if prev is None:
        return cand[0] <= first_limit
    for i, (p, c) in enumerate(zip(prev, cand, strict=False)):
        if p != c:
            return p < c <= p + _MAX_STEP and all(part <= _MAX_CHILD_START for part in cand[i + 1 :])
    if len(cand) <= len(prev):
        return False  # the same clause again, or an ancestor of the previous one
    return all(1 <= part <= _MAX_CHILD_START for part in cand[len(prev) :])


def split_numbered(text: str, max_chars: int = 1500) -> list[Section]:
    """Sections at numbered headings, in document order; text before the first heading is a
    section without number or heading. Without any heading: :func:`chunk_paragraphs`."""
    lines = text.split("\n")
    sections: list[Section] = []
    number: str | None = None
    title: str | None = None
    body: list[str] = []
    found = False
    last: dict[str, tuple[int, ...] | None] = {"numeric": None, "letter": None}
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = _heading_at(lines, i, last)
        i += 1
        if heading is None:
            body.append(line)
            continue
        if found or "\n".join(body).strip():
            sections.append(Section(number, title, "\n".join(body).strip()))
        found = True
        if heading.key is not None:
            last[heading.family] = heading.key
        number, title, body = heading.number, heading.title, []
        if heading.body:
            body.append(heading.body)
        if heading.family == "annex" and title == heading.status and i < len(lines):
            # "Annex A (normative):" with the title on the next line, as 3GPP PDFs print it.
            following = lines[i].strip()
            if following and parse_heading(following) is None and _title_ok(following, True):
                title, i = f"{following} {heading.status or ''}".strip(), i + 1
    if not found:
        return chunk_paragraphs(text, max_chars)
    sections.append(Section(number, title, "\n".join(body).strip()))
    return sections


def _heading_at(lines: list[str], i: int, last: dict[str, tuple[int, ...] | None]) -> Heading | None:
    raw = lines[i]
    line = raw.strip()
    if not line or len(raw) - len(raw.lstrip(" ")) > 3:
        return None  # indented lines are list items or code, not headings
    heading = parse_heading(line)
    if heading is None:
        return None
    following = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
    if heading.family in ("numeric", "letter") and following[:1].islower():
        return None  # a wrapped sentence that happens to start with a number
    if heading.key is not None:
        first_limit = 30 if heading.family == "numeric" else ord("Z")
        if not _plausible_next(last[heading.family], heading.key, first_limit):
            return None
    return heading


_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)\s*|[。！？]\s*")
_ROW_BREAK = re.compile(r"\n")


def chunk_paragraphs(text: str, max_chars: int = 1500) -> list[Section]:
    """Group blank-line separated paragraphs into sections of at most about ``max_chars``; a longer
    paragraph is split at sentence ends (also 。！？), a longer sentence at a space or hard."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) > max_chars:
            pieces.extend(_split_long(paragraph, max_chars))
        elif paragraph:
            pieces.append(paragraph)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        if current and size + 2 + len(piece) > max_chars:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece) + (2 if size else 0)
    if current:
        chunks.append("\n\n".join(current))
    return [Section(None, None, chunk) for chunk in chunks]


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    sentences: list[str] = []
    start = 0
    breaks = _ROW_BREAK if "\t" in paragraph else _SENTENCE_BREAK  # tables split between rows
    for m in breaks.finditer(paragraph):
        sentences.append(paragraph[start : m.end()])
        start = m.end()
    if start < len(paragraph):
        sentences.append(paragraph[start:])
    out: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 1, max_chars + 1)
            cut = cut if cut > max_chars // 2 else max_chars
            if current:
                out.append(current.strip())
                current = ""
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:]
        if current and len(current) + len(sentence) > max_chars:
            out.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        out.append(current.strip())
    return [piece for piece in out if piece]
