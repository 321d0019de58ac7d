"""Markdown: sections at ATX and setext headings.

Headings are found by a line scanner following CommonMark's block rules; a section's text is its
Markdown source (after the heading line) up to the next heading of any level. ``#`` lines inside
fenced or indented code, HTML blocks, block quotes and list items are not section headings; a
setext heading's section starts at the first line of its paragraph. YAML front matter is skipped;
its ``title`` is the title.
"""

from __future__ import annotations

import html
import re
import unicodedata
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


# Block structure. Lines are tab-expanded (tab stops of 4) before these apply, so indentation is spaces.
_SPACES = re.compile(" *")
_ATX = re.compile(r"#{1,6}(?= |$)")
_FENCE_OPEN = re.compile(r"(`{3,})[^`]*$|(~{3,})")  # a backtick fence's info string has no backtick
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,}) *$")
_SETEXT = re.compile(r"(?:=+|-+) *$")
_THEMATIC = re.compile(r"([-*_])(?: *\1){2,} *$")
_MARKER_RUN = {char: re.compile(rf"(?:{re.escape(char)} *)+") for char in "-*"}
_LIST_MARKER = re.compile(r"(?:[-*+]|([0-9]{1,9})[.)])(?= |$)")
_HTML_BLOCK_NAMES = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|"
    "dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|"
    "hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|"
    "search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul"
)
_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?)"""
_OPEN_TAG = rf"<[A-Za-z][A-Za-z0-9-]*{_ATTRIBUTE}*\s*/?>"
_CLOSE_TAG = r"</[A-Za-z][A-Za-z0-9-]*\s*>"
# HTML blocks of kinds 1-5 (CommonMark 4.6): start, and what ends them (on any line, the first too).
_HTML_UNTIL_END = (
    (
        re.compile(r"<(?:script|pre|style|textarea)(?:\s|>|$)", re.IGNORECASE | re.ASCII),
        re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE | re.ASCII),
    ),
    (re.compile(r"<!--"), re.compile(r"-->")),
    (re.compile(r"<\?"), re.compile(r"\?>")),
    (re.compile(r"<![A-Za-z]"), re.compile(r">")),
    (re.compile(r"<!\[CDATA\["), re.compile(r"\]\]>")),
)
# Kinds 6 and 7 end at a blank line; kind 7 (any lone complete tag) cannot interrupt a paragraph.
_HTML_BLOCK_TAG = re.compile(rf"</?(?:{_HTML_BLOCK_NAMES})(?:\s|/?>|$)", re.IGNORECASE | re.ASCII)
_HTML_LONE_TAG = re.compile(rf"(?:{_OPEN_TAG}|{_CLOSE_TAG})\s*$")

# Where a line can be plain paragraph text without a closer look: its first character starts nothing.
_PLAIN_START = frozenset(" \t#`~<>*+-_=0123456789")
_NONE, _PARAGRAPH, _FENCED, _HTML = range(4)  # the open leaf block


def _headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    """(first line, line after the heading, level, plain text) of each top-level heading.

    A line scanner for the CommonMark block rules that decide what is a heading — ATX and setext
    headings, fenced and indented code, HTML blocks, block quotes and list items (with lazy
    continuation lines) — in linear time: a full Markdown parse costs more than everything else on
    the import path put together. Containers are tracked only as far as needed to know where they
    end; link reference definitions are not recognised (they are rare before a setext underline).
    """
    found: list[tuple[int, int, int, str]] = []
    # Open containers, outermost first: [content offset, has content] for a list item, where the
    # offset is counted from the parent's content column; [-1, 1] for a block quote.
    containers: list[list[int]] = []
    leaf = _NONE
    fence = ""  # the opening fence of the open fenced code block
    html_end: re.Pattern[str] | None = None  # what ends the open HTML block; None: a blank line
    paragraph_start = 0  # first line of the open top-level paragraph
    for i, line in enumerate(lines):
        if not containers:  # fast paths for the common top-level lines
            if leaf <= _PARAGRAPH:
                if not line:
                    leaf = _NONE
                    continue
                if line[0] not in _PLAIN_START:
                    if leaf == _NONE:
                        leaf, paragraph_start = _PARAGRAPH, i
                    continue
                if line[0] == "#" and (m := _ATX.match(line)):
                    if heading := _plain(_atx_content(line, m.end())):
                        found.append((i, i + 1, m.end(), heading))
                    leaf = _NONE
                    continue
            elif leaf == _FENCED:
                first = line[:1]
                if first != " " and first != fence[0]:
                    continue
            elif html_end is None:
                if not line:
                    leaf = _NONE
                continue
            else:
                if html_end.search(line):
                    leaf = _NONE
                continue

        text = line.expandtabs(4) if "\t" in line else line
        blank = not text.strip(" ")
        # 1. Which open containers does the line continue? (Deeply nested list items eat one run
        # of spaces: its end is found once, keeping a line's cost linear in its length.)
        col = matched = 0
        p = -1
        for container in containers:
            if col > p:
                p = _nonspace(text, col)
            if container[0] < 0:
                if p - col > 3 or not text.startswith(">", p):
                    break
                col = p + 1 + text.startswith(" ", p + 1)
            elif blank:
                if not container[1]:
                    break  # a list item can begin with at most one blank line
            elif p - col >= container[0]:
                col += container[0]
            else:
                break
            matched += 1
        all_matched = matched == len(containers)
        if all_matched and leaf == _FENCED:
            p = _nonspace(text, col)
            if p - col <= 3 and (m := _FENCE_CLOSE.match(text, p)):
                run = m.group(1)
                if run[0] == fence[0] and len(run) >= len(fence):
                    leaf = _NONE
            continue
        if all_matched and leaf == _HTML:
            if blank if html_end is None else html_end.search(text, col):
                leaf = _NONE
            continue

        # 2. New block quotes and list items.
        in_paragraph = all_matched and leaf == _PARAGRAPH
        opened = False
        not_thematic = 0  # no thematic break starts before this position (of a ``- `` run)
        while True:
            p = _nonspace(text, col) if col > p else p
            if p - col > 3 or p >= len(text):
                break
            char = text[p]
            if char == ">":
                new = [-1, 1]
                col = p + 1 + text.startswith(" ", p + 1)
            elif char in "-*+0123456789" and (m := _LIST_MARKER.match(text, p)):
                if char in "-*" and p >= not_thematic:
                    if _THEMATIC.match(text, p):
                        break
                    # Nested items such as "- - - x" would each rescan the run: skip it instead.
                    run = _MARKER_RUN[char].match(text, p)
                    not_thematic = run.end() if run else p
                if in_paragraph and char == "-" and _SETEXT.match(text, p):
                    break
                after = m.end()
                q = _nonspace(text, after)
                empty = q >= len(text)
                number = m.group(1)
                if in_paragraph and (empty or (number is not None and int(number) != 1)):
                    break  # such an item cannot interrupt a paragraph
                content = after + 1 if empty or q - after > 4 else q
                new = [content - col, 0 if empty else 1]
                col = min(content, len(text))
            else:
                break
            if not opened:
                del containers[matched:]
                opened = True
            if containers and containers[-1][0] >= 0:
                containers[-1][1] = 1
            containers.append(new)
            in_paragraph = False
        if opened:
            leaf = _NONE
        elif not all_matched:
            if leaf == _PARAGRAPH and not _interrupts_paragraph(text, col):
                continue  # a lazy continuation line of the open paragraph
            del containers[matched:]
            leaf = _NONE

        # 3. The leaf block the rest of the line belongs to.
        p = _nonspace(text, col) if col > p else p
        if p >= len(text):
            if leaf == _PARAGRAPH:
                leaf = _NONE
            continue
        if containers and containers[-1][0] >= 0:
            containers[-1][1] = 1
        if p - col > 3:
            if leaf != _PARAGRAPH:
                leaf = _NONE  # indented code
            continue
        char = text[p]
        if char == "#" and (m := _ATX.match(text, p)):
            if not containers and (heading := _plain(_atx_content(text, m.end()))):
                found.append((i, i + 1, m.end() - p, heading))
            leaf = _NONE
            continue
        if char in "`~" and (m := _FENCE_OPEN.match(text, p)):
            fence = m.group(1) or m.group(2)
            leaf = _FENCED
            continue
        if char == "<":
            starts, html_end = _html_block_start(text, p, leaf == _PARAGRAPH)
            if starts:
                leaf = _HTML if html_end is None or not html_end.search(text, p) else _NONE
                continue
        if leaf == _PARAGRAPH and char in "=-" and _SETEXT.match(text, p):
            if not containers and (heading := _plain("\n".join(lines[paragraph_start:i]))):
                found.append((paragraph_start, i + 1, 1 if char == "=" else 2, heading))
            leaf = _NONE
            continue
        if char in "-*_" and _THEMATIC.match(text, p):
            leaf = _NONE
            continue
        if leaf != _PARAGRAPH:
            leaf, paragraph_start = _PARAGRAPH, i
    return found


def _atx_content(text: str, start: int) -> str:
    """An ATX heading's content from ``start``, without the optional closing ``#`` sequence."""
    content = text[start:].strip(" ")
    bare = content.rstrip("#")
    if bare != content and (not bare or bare[-1] == " "):
        return bare.rstrip(" ")
    return content


def _nonspace(text: str, pos: int) -> int:
    """Position of the first character at or after ``pos`` that is not a space."""
    m = _SPACES.match(text, pos)
    return m.end() if m else pos


def _interrupts_paragraph(text: str, col: int) -> bool:
    """Whether the line from ``col`` is blank or starts a leaf block that ends a paragraph (so it
    is not a lazy continuation line)."""
    p = _nonspace(text, col)
    if p >= len(text):
        return True
    if p - col > 3:
        return False
    char = text[p]
    if char == "#":
        return _ATX.match(text, p) is not None
    if char in "`~":
        return _FENCE_OPEN.match(text, p) is not None
    if char == "<":
        return _html_block_start(text, p, True)[0]
    return char in "-*_" and _THEMATIC.match(text, p) is not None


def _html_block_start(text: str, p: int, in_paragraph: bool) -> tuple[bool, re.Pattern[str] | None]:
    """Whether an HTML block starts at ``p``, and what ends it (None: a blank line)."""
    for start, end in _HTML_UNTIL_END:
        if start.match(text, p):
            return True, end
    if _HTML_BLOCK_TAG.match(text, p) or (not in_paragraph and _HTML_LONE_TAG.match(text, p)):
        return True, None
    return False, None


# Inline markup. Escapes, code spans, autolinks, raw HTML and entities are scanned left to right
# first, then links and images; what they leave as text is set aside behind a placeholder (see
# _Literals) so that emphasis never sees into it.
_MARKUP = re.compile(r"[\\`<&*_~\[]")
_ATOM = re.compile(
    r"\\[!-/:-@\[-`{-~\n]"
    r"|`+"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\x00-\x20]*"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>"
    rf"|{_OPEN_TAG}|{_CLOSE_TAG}"
    r"|<!--|<\?|<!\[CDATA\[|<![A-Za-z]"  # their ends are found with str.find, in linear time
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_HTML_ENDS = {"<!--": "-->", "<?": "?>", "<![CDATA[": "]]>"}  # anything else, a declaration: ">"
_BACKTICKS = re.compile("`+")
_PLACEHOLDER = "\x00"
_FIRST_INDEX, _LAST_INDEX = 0xF0000, 0x10FFFF
_HIDDEN = re.compile("\x00(.)", re.DOTALL)
_IMAGE = re.compile(r"!\[([^[\]]*)\]\([^()[\]]*\)")
_LINK = re.compile(r"\[([^[\]]*)\](?:\([^()[\]]*\)|\[[^[\]]*\](?!\())")  # inline or reference
_DELIMITER_RUN = re.compile(r"\*+|_+|~+")


def _plain(markdown: str) -> str:
    """Heading text without inline markup: code spans keep their content verbatim, links and images
    keep their text, emphasis delimiters (``*``, ``_`` and ``~~`` runs that CommonMark pairs) and
    HTML tags go, escapes and entities are resolved; intraword ``_`` as in ``max_idle_timeout`` stays.
    """
    if not _MARKUP.search(markdown):
        return " ".join(markdown.split())
    markdown = markdown.replace(_PLACEHOLDER, "")  # never in normalised text; placeholders only
    literals = _Literals()
    out: list[str] = []
    pos = 0
    closers: dict[int, list[int]] | None = None  # backtick runs by length, last first
    unclosed: set[str] = set()  # ends of HTML constructs not found further on
    while m := _ATOM.search(markdown, pos):
        out.append(markdown[pos : m.start()])
        atom, pos = m.group(), m.end()
        first = atom[0]
        if first == "\\":
            out.append(literals.hide(atom[1]))
        elif first == "`":
            if closers is None:
                closers = {}
                for run in _BACKTICKS.finditer(markdown):
                    closers.setdefault(run.end() - run.start(), []).append(run.start())
                for starts in closers.values():
                    starts.reverse()
            starts = closers.get(len(atom), [])
            while starts and starts[-1] < pos:
                starts.pop()
            if not starts:
                out.append(atom)  # a backtick run without a closer is literal text
                continue
            close = starts.pop()
            code = markdown[pos:close].replace("\n", " ")
            if code[:1] == code[-1:] == " " and code.strip(" "):
                code = code[1:-1]
            out.append(literals.hide(code))
            pos = close + len(atom)
        elif first == "&":
            decoded = html.unescape(atom)
            out.append(atom if decoded == atom else literals.hide(decoded))
        elif atom[1] in "!?":  # comment, processing instruction, CDATA or declaration
            if atom == "<!--" and markdown.startswith((">", "->"), pos):
                end = markdown.index(">", pos) + 1
            else:
                closer = _HTML_ENDS.get(atom, ">")
                end = -1 if closer in unclosed else markdown.find(closer, pos)
                if end < 0:
                    unclosed.add(closer)
                    out.append(atom)
                    continue
                end += len(closer)
            out.append(literals.hide(""))
            pos = end
        else:  # an autolink keeps its address, a tag goes
            out.append(literals.hide(m.group("auto") or ""))
    out.append(markdown[pos:])

    def link_text(m: re.Match[str]) -> str:
        return literals.hide(_without_emphasis(m.group(1)))

    text = _LINK.sub(link_text, _IMAGE.sub(link_text, "".join(out)))
    return " ".join(literals.restore(_without_emphasis(text)).split())


class _Literals:
    """Text set aside from further inline parsing, each piece behind a placeholder: NUL (which
    ``normalise`` has removed from the input) and a private-use character numbering the piece.
    Emphasis takes a placeholder for punctuation, as it does the code span, link or tag it replaces.
    """

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def hide(self, literal: str) -> str:
        if len(self.pieces) > _LAST_INDEX - _FIRST_INDEX:
            return literal  # more pieces than placeholders: leave the rest in place
        self.pieces.append(literal)
        return _PLACEHOLDER + chr(_FIRST_INDEX + len(self.pieces) - 1)

    def restore(self, text: str) -> str:
        if _PLACEHOLDER not in text:
            return text
        return _HIDDEN.sub(lambda m: self.restore(self.pieces[ord(m.group(1)) - _FIRST_INDEX]), text)


def _without_emphasis(text: str) -> str:
    """``text`` without the delimiter characters that CommonMark's emphasis algorithm pairs."""
    runs: list[list[Any]] = []  # [start, end, char, length, remaining, can open, can close]
    for m in _DELIMITER_RUN.finditer(text):
        start, end = m.span()
        char = text[start]
        before = _char_class(text[start - 1]) if start else 0
        after = _char_class(text[end]) if end < len(text) else 0
        left = after != 0 and (after == 2 or before != 2)
        right = before != 0 and (before == 2 or after != 2)
        if char == "_":
            opens, closes = left and (not right or before == 1), right and (not left or after == 1)
        elif char == "~" and end - start != 2:
            opens = closes = False  # strikethrough is ~~text~~
        else:
            opens, closes = left, right
        if opens or closes:
            runs.append([start, end, char, end - start, end - start, opens, closes])
    if not runs:
        return text
    stack: list[int] = []  # indices of runs that may still open
    bottom: dict[tuple[str, bool, int], int] = {}  # no opener for such a closer at or below this
    for k, run in enumerate(runs):
        _start, _end, char, length, _remaining, opens, closes = run
        while closes and run[4]:
            key = (char, opens, length % 3)
            floor = bottom.get(key, -1)
            j = len(stack) - 1
            while j >= 0 and stack[j] > floor:
                opener = runs[stack[j]]
                if opener[2] == char and not (
                    char != "~"
                    and (opener[6] or opens)
                    and (opener[3] + length) % 3 == 0
                    and (opener[3] % 3 or length % 3)
                ):
                    break
                j -= 1
            else:
                bottom[key] = k - 1
                break
            opener = runs[stack[j]]
            use = 2 if opener[4] >= 2 and run[4] >= 2 else 1
            opener[4] -= use
            run[4] -= use
            del stack[j + (1 if opener[4] else 0) :]
        if opens and run[4]:
            stack.append(k)
    pieces: list[str] = []
    pos = 0
    for start, end, char, _length, remaining, _opens, _closes in runs:
        pieces.append(text[pos:start])
        pieces.append(char * remaining)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def _char_class(char: str) -> int:
    """0 for whitespace, 1 for punctuation (placeholders included), 2 for anything else."""
    if char.isspace():
        return 0
    if char == _PLACEHOLDER or char >= chr(_FIRST_INDEX) or unicodedata.category(char)[0] in "PS":
        return 1
    return 2


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
