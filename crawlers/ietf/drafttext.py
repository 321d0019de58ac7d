"""Internet-Drafts and RFCs as plain text: the paginated form xml2rfc and the RFC Editor publish.

A page ends with a footer (``Kerwin   Expires June 19, 2017   [Page 3]``, or for RFCs
``Kerwin   Standards Track   [Page 3]``) and a form feed; the next page starts with a header
(``Internet-Draft   file-scheme   December 2016``, ``RFC 8089   The "file" URI Scheme   February 2017``).
Headers, footers and the blank lines around them are removed and a paragraph broken by a page is
joined again; the same works when the form feeds were lost on the way (web copies).

The first page carries a two-column title block (working group, ``Internet-Draft`` or ``Request for
Comments: N``, ``Updates:``, ``Intended status:``/``Category:``, ``Expires:`` on the left; authors,
affiliations and the date on the right), then the centred title and the draft name. The front
matter (Abstract, notes, Status of This Memo, Copyright Notice) becomes leading sections without
number; the table of contents is dropped. In the body every heading starts in column 0 while the
text is indented, which is how numbered (``4.1.  Foo``, ``Appendix A.  Bar``, ``A.1.  Baz``) and
unnumbered (``Author's Address``) headings are found. Text that is not laid out that way falls back
to :func:`crawlers.extract.sections.split_numbered`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_size, decode_with_encoding
from crawlers.extract.sections import split_numbered
from crawlers.ietf.names import expiry, month_number, rfc_number, split_draft_name
from crawlers.items import Section

NOT_IETF = (
    "not an Internet-Draft or RFC in plain text: no IETF title page "
    "('Internet-Draft' or 'Request for Comments:' header) and no page footers ('[Page N]')"
)

_MONTH = r"[A-Z][a-z]{2,8}\.?"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{4}})"
_FOOTER = re.compile(r"\S.*\S\s+\[Page\s+\d+\]")
_DOC_LABEL = r"(?:Internet[- ]Draft|INTERNET[- ]DRAFT|RFC\s+\d{1,5})"
_HEADER_STRONG = re.compile(rf"{_DOC_LABEL}(?:\s{{2,}}.*?)?\s{{2,}}{_DATE}")
_HEADER_AFTER_BREAK = re.compile(rf"\S.*?\s{{2,}}{_DATE}")
_COLUMNS = re.compile(r"\s{3,}")
_DOCNAME = re.compile(r"<?(?P<name>draft-[a-z0-9][a-z0-9._+-]*-\d{2})(?:\.txt)?>?", re.IGNORECASE)
_RFC_LINE = re.compile(r"Request\s+for\s+Comments\s*:\s*(?P<n>\d{1,5})", re.IGNORECASE)
_AUTHOR = re.compile(r"(?:[A-Z][a-z]?\.(?:[ -]?[A-Z][a-z]?\.)*)\s+\S.*")
_RFC_LIST = re.compile(r"\d{1,5}")

_NUMBERED = re.compile(r"(?P<num>\d{1,3}(?:\.\d{1,3}){0,8})\.?\s+(?P<title>\S.*)")
_APPENDIX = re.compile(r"(?:Appendix|APPENDIX)\s+(?P<id>[A-Z])(?:[.:]|\s)\s*(?P<title>\S.*)?")
_LETTERED = re.compile(r"(?P<num>[A-Z](?:\.\d{1,3}){1,8})\.?\s+(?P<title>\S.*)")
_ITEM_START = re.compile(r"(?:[o*+-]|\d{1,3}\.|[a-z]\.|\[[^\]]{1,40}\])\s+")
_TOC_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d+$")

_MAX_HEADING_CHARS = 100
_FLUSH_SHARE = 0.35  # more body lines than this in column 0: not an xml2rfc-style layout

_FRONT_HEADINGS = {
    "abstract": "Abstract",
    "status of this memo": "Status of This Memo",
    "copyright notice": "Copyright Notice",
    "table of contents": "Table of Contents",
}
_LEFT_KEYS = {
    "updates": "updates",
    "obsoletes": "obsoletes",
    "intended status": "intended_status",
    "category": "category",
    "expires": "expires",
}


@dataclass(slots=True)
class _TitlePage:
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)
    title_lines: list[str] = field(default_factory=list)
    docname: str | None = None
    body_start: int = 0


def extract(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Title, sections and metadata of an Internet-Draft or RFC in plain text.

    ``metadata`` holds ``docname`` (``draft-ietf-appsawg-file-scheme-16`` or ``rfc8089``), ``name``
    (without the revision), ``rev``, ``number`` (``RFC 8089``), ``date`` and ``expires`` (ISO dates;
    ``date_precision`` says ``day`` or ``month`` — a month-only date is given as its first day),
    ``intended_status`` or ``category``, ``updates``/``obsoletes`` (``["RFC 1738"]``), ``workgroup``
    (drafts) or ``stream`` (RFCs), ``authors``, ``pages`` and ``encoding``, each only when printed.
    """
    check_size(data, max_bytes)
    try:
        raw, encoding = decode_with_encoding(data)
    except RejectedInput as exc:
        raise RejectedInput(f"{name}: {exc.reason}") from None
    lines, pages, footers = _remove_page_furniture(_split_lines(raw))
    page = _title_page(lines)
    if not _looks_ietf(page, footers):
        raise RejectedInput(f"{name}: {NOT_IETF}")
    metadata: dict[str, Any] = {"encoding": encoding}
    _describe(page, name, metadata)
    if pages:
        metadata["pages"] = pages
    sections = _front_and_body(lines[page.body_start :], chunk_chars)
    if not any(s.text or s.heading for s in sections):
        raise RejectedInput(f"{name}: no text after the title page")
    title = " ".join(" ".join(page.title_lines).split()) or None
    return Extracted(title=title, sections=sections, metadata=metadata)


def is_page_furniture(line: str) -> bool:
    """Is ``line`` a page footer (``… [Page 3]``) or a page header (``Internet-Draft … December 2016``,
    ``RFC 8089 … February 2017``)? Headers that only a page break identifies are not recognised."""
    return not line.startswith((" ", "\t")) and bool(
        _FOOTER.fullmatch(line.strip()) or _HEADER_STRONG.fullmatch(line.strip())
    )


# --- pages -------------------------------------------------------------------------------------


def _split_lines(raw: str) -> list[str | None]:
    """Lines with ``None`` where a form feed broke the page; NFC, no CR, no trailing spaces."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    out: list[str | None] = []
    for line in text.split("\n"):
        parts = line.split("\f")
        for i, part in enumerate(parts):
            if i:
                out.append(None)
            if part.strip() or len(parts) == 1:
                out.append(part.rstrip().expandtabs(8))
    return out


def _remove_page_furniture(lines: list[str | None]) -> tuple[list[str], int, int]:
    """Drop headers, footers and page breaks, re-join paragraphs split by a page.

    Returns the lines, the number of pages and the number of footers found.
    """
    furniture = [False] * len(lines)
    footers = 0
    headers: set[str] = set()
    after_break = False
    for i, line in enumerate(lines):
        if line is None:
            after_break = True
            continue
        stripped = line.strip()
        if not stripped:
            continue
        flush = not line.startswith(" ")
        if flush and _FOOTER.fullmatch(stripped):
            furniture[i] = True
            footers += 1
            after_break = True
            continue
        if flush and (
            _HEADER_STRONG.fullmatch(stripped) or (after_break and _HEADER_AFTER_BREAK.fullmatch(stripped))
        ):
            furniture[i] = True
            headers.add(" ".join(stripped.split()))
        after_break = False
    for i, line in enumerate(lines):
        if line is not None and not furniture[i] and " ".join(line.split()) in headers:
            furniture[i] = True  # a header repeated where the form feed and footer were lost
    out: list[str] = []
    pending = False
    for i, line in enumerate(lines):
        if line is None or furniture[i]:
            pending = True
            continue
        if pending:
            if not line.strip():
                continue
            while out and not out[-1].strip():
                out.pop()
            if out and not _continues(out[-1], line):
                out.append("")
            pending = False
        out.append(line)
    return out, max(footers, _pages_between_breaks(lines)), footers


def _pages_between_breaks(lines: list[str | None]) -> int:
    """Pages that form feeds delimit and that hold some text (0 without form feeds)."""
    if None not in lines:
        return 0
    pages, text = 0, False
    for line in [*lines, None]:
        if line is None:
            pages += text
            text = False
        elif line.strip():
            text = True
    return pages


def _continues(previous: str, following: str) -> bool:
    """Is ``following`` (first line of a page) the rest of the paragraph ``previous`` ended?"""
    end = previous.rstrip().rstrip(")]\"'")
    if not end or end[-1] in ".:!?;>" or not previous.startswith(" "):
        return False
    if _ITEM_START.match(following.lstrip()):
        return False
    indent = len(following) - len(following.lstrip())
    previous_indent = len(previous) - len(previous.lstrip())
    marker = _ITEM_START.match(previous.lstrip())
    return indent in (previous_indent, previous_indent + (marker.end() if marker else 0))


# --- title page --------------------------------------------------------------------------------


def _title_page(lines: list[str]) -> _TitlePage:
    page = _TitlePage()
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines) and _title_block_line(lines[i]):
        line = lines[i]
        parts = _COLUMNS.split(line.strip())
        if line.startswith(" ") and len(parts) == 1:
            page.right.append(parts[0])
        else:
            page.left.append(parts[0])
            if len(parts) > 1:
                page.right.append(parts[-1])
        i += 1
    while i < len(lines) and not (lines[i] and not lines[i].startswith(" ")):
        stripped = lines[i].strip()
        m = _DOCNAME.fullmatch(stripped)
        if m:
            page.docname = m["name"].lower()
        elif stripped:
            page.title_lines.append(stripped)
        i += 1
    page.body_start = i
    return page


def _title_block_line(line: str) -> bool:
    """A line of the two-column block: flush left, split in columns, or flush right."""
    stripped = line.strip()
    if not stripped:
        return False
    indent = len(line) - len(line.lstrip())
    return indent == 0 or len(_COLUMNS.split(stripped)) > 1 or (indent >= 20 and len(line) >= 65)


def _looks_ietf(page: _TitlePage, footers: int) -> bool:
    if footers:
        return True
    for item in page.left:
        key = item.split(":", 1)[0].strip().lower()
        if key in ("internet-draft", "internet draft", "request for comments", "expires", "intended status"):
            return True
    return page.docname is not None and bool(page.title_lines)


def _describe(page: _TitlePage, name: str, metadata: dict[str, Any]) -> None:
    number: str | None = None
    for position, item in enumerate(page.left):
        m = _RFC_LINE.fullmatch(item.strip())
        if m:
            number = f"RFC {int(m['n'])}"
            continue
        key, _, value = item.partition(":")
        field_name = _LEFT_KEYS.get(key.strip().lower())
        if field_name in ("updates", "obsoletes"):
            metadata[field_name] = [f"RFC {int(n)}" for n in _RFC_LIST.findall(value)]
        elif field_name == "expires":
            parsed = _parse_date(value.strip())
            if parsed:
                metadata["expires"] = parsed[0].isoformat()
        elif field_name:
            metadata[field_name] = " ".join(value.split())
        elif position == 0 and item.strip().lower() not in ("internet-draft", "internet draft"):
            metadata["workgroup"] = item.strip()
    docname = page.docname
    if docname is None and number is not None:
        docname = f"rfc{number.split()[1]}"
    if docname is None:
        docname = _docname_from_file(name)
    if docname is not None:
        base, rev = split_draft_name(docname)
        metadata["docname"] = docname
        metadata["name"] = base
        if rev is not None:
            metadata["rev"] = rev
        number = number or rfc_number(docname)
    if number is not None:
        metadata["number"] = number
        if "workgroup" in metadata:
            metadata["stream"] = metadata.pop("workgroup")
    authors = [a.removesuffix(", Ed.") for a in page.right if _AUTHOR.fullmatch(a)]
    if authors:
        metadata["authors"] = authors
    for item in reversed(page.right):
        parsed = _parse_date(item)
        if parsed:
            metadata["date"] = parsed[0].isoformat()
            metadata["date_precision"] = parsed[1]
            if "expires" not in metadata and number is None and parsed[1] == "day":
                metadata["expires"] = expiry(parsed[0]).isoformat()
            break


def _docname_from_file(name: str) -> str | None:
    base, rev = split_draft_name(name)
    if base.startswith("draft-"):
        return f"{base}-{rev}" if rev else base
    number = rfc_number(name)
    return f"rfc{number.split()[1]}" if number else None


def _parse_date(text: str) -> tuple[dt.date, str] | None:
    """``December 16, 2016`` / ``16 December 2016`` → (date, "day"); ``February 2017`` → (1st, "month")."""
    words = text.replace(",", " ").split()
    try:
        if len(words) == 3 and words[0][:1].isalpha():
            month, day, year = month_number(words[0]), int(words[1]), int(words[2])
        elif len(words) == 3:
            day, month, year = int(words[0]), month_number(words[1]), int(words[2])
        elif len(words) == 2:
            month, day, year = month_number(words[0]), 1, int(words[1])
        else:
            return None
        if month is None:
            return None
        return dt.date(year, month, day), "day" if len(words) == 3 else "month"
    except ValueError:
        return None


# --- sections ----------------------------------------------------------------------------------


def _front_and_body(lines: list[str], chunk_chars: int) -> list[Section]:
    """Front-matter sections, then body sections at column-0 headings (or split_numbered)."""
    blocks = _flush_blocks(lines)
    sections: list[Section] = []
    i = 0
    while i < len(blocks):
        heading, body = blocks[i]
        known = _FRONT_HEADINGS.get(" ".join(heading.split()).lower()) if heading else None
        if _parse_numbered(heading) is not None:
            break
        if known == "Table of Contents":
            i += 1
            break
        sections.append(Section(None, known or heading, _body_text(body)))
        i += 1
    body_lines: list[str] = []
    for heading, body in blocks[i:]:
        if heading is not None:
            body_lines.append(heading)
        body_lines.extend(body)
    if _is_indented_layout(body_lines):
        sections.extend(_body_sections(blocks[i:]))
    else:
        sections.extend(split_numbered(_body_text(body_lines), chunk_chars))
    return [s for s in sections if s.heading is not None or s.text]


def _flush_blocks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """Group lines under the column-0 lines that head them (with wrapped heading lines joined)."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line and not line.startswith(" ") and _heading_like(lines, i):
            heading = line.strip()
            continuation = _title_column(heading)
            while (
                continuation
                and i + 1 < len(lines)
                and lines[i + 1].strip()
                and len(lines[i + 1]) - len(lines[i + 1].lstrip()) == continuation
            ):
                i += 1
                heading = f"{heading} {lines[i].strip()}"
            blocks.append((heading, []))
        else:
            blocks[-1][1].append(line)
        i += 1
    if blocks[0] == (None, []) or not any(x.strip() for x in blocks[0][1]):
        blocks.pop(0)
    return blocks


def _heading_like(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if len(line) > _MAX_HEADING_CHARS or _TOC_LEADER.search(line):
        return False
    previous = lines[i - 1] if i else ""
    if _parse_numbered(line) is not None:
        return True
    return not previous.strip() and not line.endswith((",", ";"))


def _title_column(heading: str) -> int | None:
    """Column where a numbered heading's title starts: where a wrapped title continues."""
    for pattern in (_NUMBERED, _LETTERED, _APPENDIX):
        m = pattern.fullmatch(heading)
        if m and m.group("title"):
            return m.start("title")
    return None


def _parse_numbered(heading: str | None) -> tuple[str, str | None] | None:
    if heading is None:
        return None
    m = _APPENDIX.fullmatch(heading)
    if m:
        return f"Appendix {m['id']}", _clean_title(m["title"])
    for pattern in (_LETTERED, _NUMBERED):
        m = pattern.fullmatch(heading)
        if m and not m["title"].startswith("."):
            return m["num"], _clean_title(m["title"])
    return None


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    return " ".join(title.split()) or None


def _is_indented_layout(lines: list[str]) -> bool:
    text_lines = [line for line in lines if line.strip()]
    if not text_lines:
        return True
    flush = sum(1 for line in text_lines if not line.startswith(" "))
    return flush <= _FLUSH_SHARE * len(text_lines)


def _body_sections(blocks: list[tuple[str | None, list[str]]]) -> list[Section]:
    sections: list[Section] = []
    for heading, body in blocks:
        numbered = _parse_numbered(heading)
        if numbered is not None:
            sections.append(Section(numbered[0], numbered[1], _body_text(body)))
        else:
            sections.append(Section(None, " ".join(heading.split()) if heading else None, _body_text(body)))
    return sections


def _body_text(lines: list[str]) -> str:
    """Dedent by the common indentation, trim blank lines, at most one blank line in a row."""
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    out: list[str] = []
    for line in lines:
        line = line[cut:].rstrip() if line.strip() else ""
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
