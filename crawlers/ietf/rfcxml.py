"""Internet-Drafts and RFCs as xml2rfc XML: the v2 vocabulary (RFC 2629/7749) and RFCXML v3 (RFC 7991).

Sections are numbered the way xml2rfc numbers them, so the sections of a draft's XML and of the
text xml2rfc made from it line up: middle sections 1, 1.1, …; the references after them (v2: one
``N. References`` section, or a parent with ``N.1``, ``N.2`` when there are several ``<references>``;
v3: each ``<references>`` numbered, nested ones as subsections); back-matter sections as appendices
``Appendix A``, ``A.1``…; ``numbered="false"`` sections get no number. The abstract and notes come
first, without number. Text is rendered much like xml2rfc's text output: cross-references become
``Section 2``/``Appendix E.1``/``[RFC3986]``, lists get their bullets, artwork keeps its lines and
table cells are separated by tabs.

Parsing is hostile-input safe: no network, no DTD loading, no entity expansion by the parser. The
DOCTYPE is checked first: the character entities xml2rfc documents use (``&nbsp;``, ``&zwsp;``,
``&nbhy;``, ``&wj;`` and the HTML character names) are mapped here; bibxml reference entities
(``<!ENTITY RFC2119 SYSTEM "https://…/reference.RFC.2119.xml">``, the v2 way of citing) are, like
``xi:include``, never read: the reference name is kept. Any other entity — parameter, external,
or one that expands to more text (billion laughs) — is refused with :class:`RejectedInput`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html.entities
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.decode import DEFAULT_MAX_BYTES, EMPTY, check_size
from crawlers.ietf.names import expiry, month_number, rfc_number, split_draft_name
from crawlers.items import Section

XINCLUDE = "http://www.w3.org/2001/XInclude"

CHARACTER_ENTITIES: dict[str, str] = {
    **{name: chr(code) for name, code in html.entities.name2codepoint.items()},
    "nbsp": "\u00a0",
    "zwsp": "\u200b",
    "nbhy": "\u2011",
    "wj": "\u2060",
}
"""The entities accepted in a DOCTYPE or from xml2rfc's own DTD: name → character."""

# How those characters read in text: xml2rfc prints them as plain space, hyphen or nothing.
_PLAIN = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u200b": None, "\u2060": None})

BIBXML_REFERENCE = re.compile(
    r"https?://[^\s\"'<>]+/(?P<file>reference\.[A-Za-z0-9][A-Za-z0-9._+-]*\.xml)", re.IGNORECASE
)
"""A bibxml citation file (``…/bibxml/reference.RFC.2119.xml``): named, never read."""

_CATEGORY_LABELS = {
    "std": "Standards Track",
    "bcp": "Best Current Practice",
    "info": "Informational",
    "exp": "Experimental",
    "historic": "Historic",
}
_SERIES_LABEL = re.compile(r"(?P<series>RFC|BCP|STD|FYI)\.?0*(?P<n>\d+)$", re.IGNORECASE)
_VSPACE = "\x1e"  # stands for a forced line break until whitespace has been collapsed
_MAX_ENTITY_VALUE = 1


@dataclass(slots=True)
class _Node:
    element: etree._Element
    number: str | None
    heading: str | None


@dataclass(slots=True)
class _Doc:
    version: int
    references: dict[str, str]  # bibxml entity name → reference label
    sort_refs: bool = False
    sym_refs: bool = True
    labels: dict[str, str] = field(default_factory=dict)  # anchor → how an xref reads
    titles: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # figure or table path → its number


def extract(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES, **_other_limits: int) -> Extracted:
    """Title, sections and metadata of an xml2rfc v2 or v3 document.

    ``metadata``: ``docname``, ``name``, ``rev``, ``number`` (RFCs), ``date`` (ISO; ``date_precision``
    ``day``/``month``/``year``), ``expires`` (drafts dated to the day: date + 185 days, as xml2rfc
    prints it), ``category_code`` (``std``…) with ``intended_status`` (drafts) or ``category``
    (RFCs) as printed, ``ipr``, ``submissionType``, ``obsoletes``/``updates`` (``["RFC 1738"]``),
    ``area``, ``workgroup``, ``keywords``, ``authors``, ``references`` (anchors, xi:include names
    included) and ``version`` (2 or 3).
    """
    check_size(data, max_bytes)
    if not data.strip():
        raise RejectedInput(f"{name}: {EMPTY}")
    bibxml = check_doctype(data, name)
    root = _parse(data, name, bibxml)
    if not isinstance(root.tag, str) or root.tag != "rfc":
        tag = root.tag if isinstance(root.tag, str) else "?"
        if tag == "reference":
            raise RejectedInput(f"{name}: a bibxml citation (<reference>), not an RFC XML document")
        raise RejectedInput(f"{name}: not RFC XML: the root element is <{tag}>, not <rfc>")
    doc = _Doc(version=_version(root), references=bibxml)
    _reference_options(root, doc)
    _number_figures(root, doc)
    front = root.find("front")
    metadata = _metadata(root, front, doc)
    nodes = _number_sections(root, doc)
    _label_references(root, doc)
    sections = _front_sections(front, doc)
    for node in nodes:
        sections.append(Section(node.number, node.heading, _section_text(node.element, doc)))
    if not sections:
        raise RejectedInput(f"{name}: no abstract and no sections in the RFC XML")
    title = (
        _collapse(_inline(front.find("title"), doc))
        if front is not None and front.find("title") is not None
        else None
    )
    return Extracted(title=title or None, sections=sections, metadata=metadata)


# --- safety ------------------------------------------------------------------------------------


def check_doctype(data: bytes, name: str, *, entities: bool = True) -> dict[str, str]:
    """Refuse dangerous DOCTYPE declarations before any XML parser sees ``data``.

    With ``entities`` the xml2rfc character entities and bibxml citation entities are accepted;
    without, any entity declaration is refused. Returns the bibxml reference entities: entity
    name → reference label (``RFC2119``).
    """
    return _Scanner(decode_prolog(data), name, entities=entities).doctype_references()


def decode_prolog(data: bytes) -> str:
    """``data`` (or its start) decoded as its BOM or XML declaration says, for scanning the prolog."""
    for bom, encoding in (
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    m = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    return data.decode(encoding, errors="replace")


class _Scanner:
    """A small reader of the prolog and the DOCTYPE internal subset (XML 1.0 §2.8, §4.2)."""

    _NAME = re.compile(r"[^\s\"'<>%&;\[\]]+")
    _QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")

    def __init__(self, text: str, name: str, *, entities: bool = True) -> None:
        self.text = text
        self.pos = 0
        self.name = name
        self.entities = entities

    def reject(self, reason: str) -> RejectedInput:
        return RejectedInput(f"{self.name}: {reason}")

    def doctype_references(self) -> dict[str, str]:
        text = self.text
        while True:
            self._skip_space()
            if text.startswith("<?", self.pos):
                self.pos = self._find("?>") + 2
            elif text.startswith("<!--", self.pos):
                self.pos = self._find("-->") + 3
            elif text.startswith("<!DOCTYPE", self.pos):
                return self._doctype()
            else:
                return {}

    def _find(self, token: str) -> int:
        found = self.text.find(token, self.pos)
        if found < 0:
            raise self.reject(
                f"malformed XML: unterminated markup before the root element ({token!r} missing)"
            )
        return found

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def _doctype(self) -> dict[str, str]:
        self.pos += len("<!DOCTYPE")
        self._skip_space()
        self._name()
        self._skip_space()
        for keyword, literals in (("SYSTEM", 1), ("PUBLIC", 2)):
            if self.text.startswith(keyword, self.pos):
                self.pos += len(keyword)
                for _ in range(literals):
                    self._skip_space()
                    self._quoted()
                self._skip_space()
        references: dict[str, str] = {}
        if self.text.startswith("[", self.pos):
            self.pos += 1
            references = self._internal_subset()
        self._skip_space()
        if not self.text.startswith(">", self.pos):
            raise self.reject("malformed XML: the DOCTYPE declaration is not closed")
        self.pos += 1
        return references

    def _internal_subset(self) -> dict[str, str]:
        references: dict[str, str] = {}
        text = self.text
        while True:
            self._skip_space()
            if self.pos >= len(text):
                raise self.reject("malformed XML: the DOCTYPE internal subset is not closed")
            if text.startswith("]", self.pos):
                self.pos += 1
                return references
            if text.startswith("<!--", self.pos):
                self.pos = self._find("-->") + 3
            elif text.startswith("<?", self.pos):
                self.pos = self._find("?>") + 2
            elif text.startswith("<!ENTITY", self.pos):
                self._entity(references)
            elif text.startswith(("<!ELEMENT", "<!ATTLIST", "<!NOTATION"), self.pos):
                self._skip_declaration()
            elif text.startswith("%", self.pos):
                raise self.reject("parameter entity reference in the DOCTYPE is not allowed")
            else:
                raise self.reject(f"unexpected content in the DOCTYPE: {text[self.pos : self.pos + 30]!r}")

    def _skip_declaration(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] != ">":
            if self.text[self.pos] in "\"'":
                self._quoted()
            else:
                self.pos += 1
        self.pos += 1

    def _name(self) -> str:
        m = self._NAME.match(self.text, self.pos)
        if m is None:
            raise self.reject("malformed XML: a name is missing in the DOCTYPE")
        self.pos = m.end()
        return m.group(0)

    def _quoted(self) -> str:
        m = self._QUOTED.match(self.text, self.pos)
        if m is None:
            raise self.reject("malformed XML: a quoted literal is missing in the DOCTYPE")
        self.pos = m.end()
        return m.group(0)[1:-1]

    def _entity(self, references: dict[str, str]) -> None:
        self.pos += len("<!ENTITY")
        self._skip_space()
        if not self.entities:
            raise self.reject("entity declarations in the DOCTYPE are not allowed in this format")
        if self.text.startswith("%", self.pos):
            self.pos += 1
            self._skip_space()
            raise self.reject(f"parameter entity %{self._name()}; in the DOCTYPE is not allowed")
        entity = self._name()
        self._skip_space()
        if self.text.startswith(("SYSTEM", "PUBLIC"), self.pos):
            public = self.text.startswith("PUBLIC", self.pos)
            self.pos += 6
            self._skip_space()
            url = self._quoted()
            if public:
                self._skip_space()
                url = self._quoted()
            m = BIBXML_REFERENCE.fullmatch(url.strip())
            if m is None:
                raise self.reject(
                    f"external entity &{entity}; (SYSTEM {url!r}) is not allowed: it would be read from "
                    "outside the document; only bibxml citations (…/reference.*.xml) are kept, by name"
                )
            references[entity] = reference_label(m["file"])
        else:
            value = self._quoted()
            self._check_character_entity(entity, value)
        self._skip_declaration()

    def _check_character_entity(self, entity: str, value: str) -> None:
        refs = re.findall(r"&([^;#\s]+);", value)
        if refs:
            raise self.reject(
                f"entity &{entity}; refers to other entities ({', '.join(sorted(set(refs)))}): "
                "entity expansion is not allowed (billion-laughs protection)"
            )
        char = _character_value(value)
        if char is None:
            raise self.reject(
                f"entity &{entity}; expands to text ({len(value)} characters): only single-character "
                "entities like &nbsp; are allowed"
            )
        if CHARACTER_ENTITIES.get(entity) != char:
            raise self.reject(
                f"entity &{entity}; (U+{ord(char):04X}) is not allowed: only the xml2rfc character "
                "entities (nbsp, zwsp, nbhy, wj and the HTML character names) are accepted"
            )


def _character_value(value: str) -> str | None:
    m = re.fullmatch(r"&#(?:x(?P<hex>[0-9A-Fa-f]{1,6})|(?P<dec>\d{1,7}));", value)
    if m:
        code = int(m["hex"], 16) if m["hex"] else int(m["dec"])
        return chr(code) if 0 < code <= 0x10FFFF else None
    return value if len(value) == _MAX_ENTITY_VALUE else None


def reference_label(file_name: str) -> str:
    """``reference.RFC.2119.xml`` → ``RFC2119``; ``reference.I-D.ietf-quic-http.xml`` → ``I-D.ietf-quic-http``."""
    base = file_name.rsplit("/", 1)[-1]
    base = re.sub(r"^reference\.", "", base, flags=re.IGNORECASE)
    base = re.sub(r"\.xml$", "", base, flags=re.IGNORECASE)
    m = _SERIES_LABEL.fullmatch(base)
    return f"{m['series'].upper()}{int(m['n'])}" if m else base


def _parse(data: bytes, name: str, bibxml: dict[str, str]) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=False,
        huge_tree=False,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RejectedInput(f"{name}: malformed XML: {exc.msg}") from None
    except ValueError as exc:
        raise RejectedInput(f"{name}: malformed XML: {exc}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None:
        for decl in dtd.iterentities():
            if decl.name in bibxml:
                continue
            if decl.system_url is not None or CHARACTER_ENTITIES.get(decl.name or "") != decl.content:
                raise RejectedInput(f"{name}: entity &{decl.name}; is not allowed")
    for node in root.iter(etree.Entity):
        entity = node.name or ""
        if entity not in CHARACTER_ENTITIES and entity not in bibxml:
            raise RejectedInput(
                f"{name}: undefined entity &{entity}; (only xml2rfc character entities are known)"
            )
    return root


# --- document structure ------------------------------------------------------------------------


def _version(root: etree._Element) -> int:
    if root.get("version") == "3":
        return 3
    if root.get("version") == "2":
        return 2
    v3_only = ("ul", "ol", "dl", "sourcecode", "table", "blockquote", "aside", "artset")
    if any(root.find(f".//{tag}") is not None for tag in v3_only):
        return 3
    return 3 if root.find(".//section/name") is not None else 2


def _reference_options(root: etree._Element, doc: _Doc) -> None:
    if doc.version == 3:
        doc.sort_refs = root.get("sortRefs", "false").lower() == "true"
        doc.sym_refs = root.get("symRefs", "true").lower() != "false"
    instructions = [*reversed(list(root.itersiblings(preceding=True))), *root]
    for pi in instructions:
        if isinstance(pi, etree._ProcessingInstruction) and pi.target == "rfc":
            for key, value in re.findall(r"(\w+)\s*=\s*[\"']([^\"']*)[\"']", pi.text or ""):
                if key == "sortrefs":
                    doc.sort_refs = value.lower() in ("yes", "true")
                elif key == "symrefs":
                    doc.sym_refs = value.lower() not in ("no", "false")


def _number_figures(root: etree._Element, doc: _Doc) -> None:
    """Figures and tables are counted in document order (v2: only titled or anchored ones)."""
    tree = root.getroottree()
    counters = {"Figure": 0, "Table": 0}
    for element in root.iter("figure", "table", "texttable"):
        kind = "Figure" if element.tag == "figure" else "Table"
        if doc.version == 2 and element.get("title") is None and element.get("anchor") is None:
            continue
        counters[kind] += 1
        doc.numbers[tree.getpath(element)] = counters[kind]
        if element.get("anchor"):
            doc.labels[str(element.get("anchor"))] = f"{kind} {counters[kind]}"


def _caption(element: etree._Element, kind: str, doc: _Doc) -> str | None:
    number = doc.numbers.get(element.getroottree().getpath(element))
    title = _heading(element, doc)
    return f"{kind} {number}: {title}" if number is not None and title else None


def _children(element: etree._Element, *tags: str) -> Iterator[etree._Element]:
    for child in element:
        if isinstance(child.tag, str) and (not tags or child.tag in tags):
            yield child


def _heading(section: etree._Element, doc: _Doc) -> str | None:
    name = section.find("name")
    if name is not None:
        return _collapse(_inline(name, doc)) or None
    title = section.get("title")
    return " ".join(title.split()) if title and title.strip() else None


def _numbered(section: etree._Element) -> bool:
    return section.get("numbered", "true").lower() not in ("false", "no")


def _number_sections(root: etree._Element, doc: _Doc) -> list[_Node]:
    """Every section in document order with the number xml2rfc gives it."""
    nodes: list[_Node] = []
    top = 0
    middle = root.find("middle")
    if middle is not None:
        for section in _children(middle, "section"):
            if _numbered(section):
                top += 1
                _add_section(section, str(top), "Section", doc, nodes)
            else:
                _add_section(section, None, "Section", doc, nodes)
    back = root.find("back")
    if back is None:
        return nodes
    references = list(_children(back, "references"))
    appendix = 0
    grouped = False
    sub = 0
    for child in _children(back, "references", "section"):
        if child.tag == "section":
            if _numbered(child):
                appendix += 1
                letter = _letter(appendix)
                _add_section(child, letter, "Appendix", doc, nodes)
            else:
                _add_section(child, None, "Appendix", doc, nodes)
        elif doc.version == 2 and len(references) > 1:
            if not grouped:
                top += 1
                grouped = True
                nodes.append(_Node(etree.Element("references"), str(top), "References"))
            sub += 1
            number = f"{top}.{sub}"
            heading = _heading(child, doc) or "References"
            nodes.append(_Node(child, number, heading))
            _anchor(child, f"Section {number}", heading, doc)
        else:
            top += 1
            _add_references(child, str(top), doc, nodes)
    return nodes


def _letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _add_section(
    section: etree._Element, number: str | None, kind: str, doc: _Doc, nodes: list[_Node]
) -> None:
    heading = _heading(section, doc)
    if number is None:
        label = f'"{heading}"' if heading else "an unnumbered section"
    elif kind == "Appendix" and "." not in number:
        label = f"Appendix {number}"
    else:
        label = f"{kind} {number}"
    shown = f"Appendix {number}" if kind == "Appendix" and number and "." not in number else number
    nodes.append(_Node(section, shown, heading))
    _anchor(section, label, heading, doc)
    sub = 0
    for child in _children(section, "section"):
        if number is not None and _numbered(child):
            sub += 1
            _add_section(child, f"{number}.{sub}", kind, doc, nodes)
        else:
            _add_section(child, None, kind, doc, nodes)


def _add_references(element: etree._Element, number: str, doc: _Doc, nodes: list[_Node]) -> None:
    heading = _heading(element, doc) or "References"
    nodes.append(_Node(element, number, heading))
    _anchor(element, f"Section {number}", heading, doc)
    for sub, child in enumerate(_children(element, "references"), start=1):
        _add_references(child, f"{number}.{sub}", doc, nodes)


def _anchor(element: etree._Element, label: str, heading: str | None, doc: _Doc) -> None:
    anchor = element.get("anchor")
    if anchor:
        doc.labels[anchor] = label
        if heading:
            doc.titles[anchor] = heading


def _reference_entries(root: etree._Element) -> Iterator[etree._Element | etree._Entity]:
    back = root.find("back")
    if back is None:
        return
    for references in back.iter("references"):
        for child in references:
            if isinstance(child, etree._Entity) or child.tag in (
                "reference",
                "referencegroup",
                f"{{{XINCLUDE}}}include",
            ):
                yield child


def _entry_label(entry: etree._Element | etree._Entity, doc: _Doc) -> str | None:
    if isinstance(entry, etree._Entity):
        return doc.references.get(entry.name or "")
    if entry.tag == f"{{{XINCLUDE}}}include":
        m = re.search(r"(reference\.[^/\s]+\.xml)$", entry.get("href", ""), re.IGNORECASE)
        return reference_label(m.group(1)) if m else None
    anchor = entry.get("anchor")
    return str(anchor) if anchor else None


def _label_references(root: etree._Element, doc: _Doc) -> None:
    display = {d.get("target"): d.get("to") for d in root.iter("displayreference") if d.get("target")}
    for position, entry in enumerate(_reference_entries(root), start=1):
        anchor = _entry_label(entry, doc)
        if not anchor:
            continue
        shown = display.get(anchor) or (anchor if doc.sym_refs else str(position))
        doc.labels.setdefault(anchor, f"[{shown}]")


# --- metadata ----------------------------------------------------------------------------------


def _metadata(root: etree._Element, front: etree._Element | None, doc: _Doc) -> dict[str, Any]:
    metadata: dict[str, Any] = {"version": doc.version}
    number = root.get("number") or _series(front, "RFC")
    docname = root.get("docName") or _series(front, "Internet-Draft")
    if docname:
        docname = docname.split()[0].strip()
    if number and number.strip().isdigit():
        metadata["number"] = f"RFC {int(number)}"
        docname = f"rfc{int(number)}"
    if docname:
        base, rev = split_draft_name(docname)
        metadata["docname"] = docname
        metadata["name"] = base
        if rev:
            metadata["rev"] = rev
        if "number" not in metadata and (found := rfc_number(docname)):
            metadata["number"] = found
    category = (root.get("category") or "").strip()
    if category:
        metadata["category_code"] = category
        label = _CATEGORY_LABELS.get(category.lower(), category)
        metadata["category" if "number" in metadata else "intended_status"] = label
    for attribute in ("ipr", "submissionType"):
        if root.get(attribute):
            metadata[attribute] = root.get(attribute)
    for attribute in ("obsoletes", "updates"):
        numbers = re.findall(r"\d{1,5}", root.get(attribute) or "")
        if numbers:
            metadata[attribute] = [f"RFC {int(n)}" for n in numbers]
    if front is None:
        return metadata
    date = _date(front.find("date"))
    if date is not None:
        metadata["date"], metadata["date_precision"] = date[0].isoformat(), date[1]
        if date[1] == "day" and "number" not in metadata and docname and docname.startswith("draft-"):
            metadata["expires"] = expiry(date[0]).isoformat()
    for tag, key in (("area", "area"), ("workgroup", "workgroup")):
        value = _text_of(front.find(tag))
        if value:
            metadata[key] = value
    keywords = [k for k in (_text_of(e) for e in front.findall("keyword")) if k]
    if keywords:
        metadata["keywords"] = keywords
    authors = [a for a in (_author(e) for e in front.findall("author")) if a]
    if authors:
        metadata["authors"] = authors
    references = [label for entry in _reference_entries(root) if (label := _entry_label(entry, doc))]
    if references:
        metadata["references"] = references
    return metadata


def _series(front: etree._Element | None, series: str) -> str | None:
    if front is None:
        return None
    for info in front.findall("seriesInfo"):
        if info.get("name") == series and info.get("value"):
            return str(info.get("value"))
    return None


def _date(element: etree._Element | None) -> tuple[dt.date, str] | None:
    if element is None:
        return None
    try:
        year = int(element.get("year", ""))
    except ValueError:
        return None
    month = month_number(element.get("month", "")) if element.get("month") else None
    day_text = element.get("day", "")
    try:
        if month is None:
            return dt.date(year, 1, 1), "year"
        if day_text.strip().isdigit():
            return dt.date(year, month, int(day_text)), "day"
        return dt.date(year, month, 1), "month"
    except ValueError:
        return None


def _author(element: etree._Element) -> str | None:
    initials, surname = element.get("initials"), element.get("surname")
    if surname and initials:
        return f"{initials.strip()} {surname.strip()}"
    fullname = element.get("fullname") or surname
    if fullname:
        return " ".join(fullname.split())
    return _text_of(element.find("organization"))


def _text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


# --- text --------------------------------------------------------------------------------------


def _front_sections(front: etree._Element | None, doc: _Doc) -> list[Section]:
    if front is None:
        return []
    sections: list[Section] = []
    abstract = front.find("abstract")
    if abstract is not None:
        sections.append(Section(None, "Abstract", _blocks_text(abstract, doc)))
    for note in front.findall("note"):
        sections.append(Section(None, _heading(note, doc) or "Note", _blocks_text(note, doc)))
    boilerplate = front.find("boilerplate")
    if boilerplate is not None:
        for section in boilerplate.iter("section"):
            sections.append(Section(None, _heading(section, doc), _blocks_text(section, doc)))
    return sections


def _section_text(element: etree._Element, doc: _Doc) -> str:
    if element.tag == "references":
        return "\n\n".join(_reference_text(entry, doc) for entry in _direct_entries(element, doc))
    return _blocks_text(element, doc)


def _direct_entries(element: etree._Element, doc: _Doc) -> list[etree._Element | etree._Entity]:
    entries = [
        child
        for child in element
        if isinstance(child, etree._Entity)
        or child.tag in ("reference", "referencegroup", f"{{{XINCLUDE}}}include")
    ]
    if doc.sort_refs:
        entries.sort(key=lambda e: (doc.labels.get(_entry_label(e, doc) or "", "") or "").lower())
    return entries


def _reference_text(entry: etree._Element | etree._Entity, doc: _Doc) -> str:
    anchor = _entry_label(entry, doc) or "?"
    label = doc.labels.get(anchor, f"[{anchor}]")
    if isinstance(entry, etree._Entity) or entry.tag != "reference":
        if isinstance(entry, etree._Element) and entry.tag == "referencegroup":
            inner = [_reference_text(r, doc).split("  ", 1)[-1] for r in _children(entry, "reference")]
            return f"{label}  " + " ".join(inner)
        return label
    front = entry.find("front")
    parts: list[str] = []
    authors = _citation_authors(front.findall("author") if front is not None else [])
    if authors:
        parts.append(authors)
    title = _text_of(front.find("title")) if front is not None else None
    if title:
        parts.append(f'"{title}"')
    for info in [*entry.findall("seriesInfo"), *(front.findall("seriesInfo") if front is not None else [])]:
        if info.get("name") and info.get("value"):
            parts.append(f"{info.get('name')} {info.get('value')}")
    date = front.find("date") if front is not None else None
    if date is not None:
        when = " ".join(x for x in (date.get("month", ""), date.get("year", "")) if x)
        if when:
            parts.append(when)
    if entry.get("target"):
        parts.append(f"<{entry.get('target')}>")
    annotation = _text_of(entry.find("annotation"))
    text = ", ".join(parts) + "."
    return f"{label}  {text}" + (f" {annotation}" if annotation else "")


def _citation_authors(authors: list[etree._Element]) -> str:
    names: list[str] = []
    for i, author in enumerate(authors):
        initials, surname = author.get("initials", "").strip(), author.get("surname", "").strip()
        editor = ", Ed." if author.get("role") == "editor" else ""
        if surname:
            name = f"{surname}, {initials}" if i == 0 and initials else f"{initials} {surname}".strip()
            if 0 < i < len(authors) - 1 and initials:
                name = f"{surname}, {initials}"
        else:
            name = _text_of(author.find("organization")) or author.get("fullname", "").strip()
        if name:
            names.append(name + editor)
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + f", and {names[-1]}"


def _blocks_text(element: etree._Element, doc: _Doc) -> str:
    return "\n\n".join(b for b in _blocks(element, doc, 1) if b.strip())


_BLOCK_TAGS = frozenset(
    [
        "t",
        "list",
        "figure",
        "artwork",
        "sourcecode",
        "texttable",
        "table",
        "ul",
        "ol",
        "dl",
        "blockquote",
        "aside",
        "artset",
    ]
)


def _blocks(element: etree._Element, doc: _Doc, level: int) -> list[str]:
    """Block-level content of a section, abstract, note, list item…: one string per paragraph."""
    out: list[str] = []
    loose = element.text or ""
    for child in element:
        if isinstance(child, etree._Entity) or not isinstance(child.tag, str):
            loose += _inline_node(child, doc) + (child.tail or "")
            continue
        if child.tag in ("section", "name", "references", "iref", "cref"):
            loose += child.tail or ""
            continue
        if child.tag in _BLOCK_TAGS:
            if _collapse(loose):
                out.append(_collapse(loose))
            loose = child.tail or ""
            out.extend(_block(child, doc, level))
        else:
            loose += _inline_node(child, doc) + (child.tail or "")
    if _collapse(loose):
        out.append(_collapse(loose))
    return out


def _block(element: etree._Element, doc: _Doc, level: int) -> list[str]:
    tag = element.tag
    if tag == "t":
        return _paragraph(element, doc, level)
    if tag == "list":
        return [_v2_list(element, doc, level)]
    if tag in ("ul", "ol", "dl"):
        return [_v3_list(element, doc, level)]
    if tag == "figure":
        return _figure(element, doc, level)
    if tag in ("artwork", "sourcecode"):
        art = _art(element)
        return [art] if art else []
    if tag == "artset":
        return _artset(element)
    if tag == "texttable":
        return _texttable(element, doc)
    if tag == "table":
        return _table(element, doc)
    return [_indent("\n\n".join(_blocks(element, doc, level)), 3)]


def _paragraph(element: etree._Element, doc: _Doc, level: int) -> list[str]:
    """A ``<t>``: text, and in v2 the lists nested in it."""
    if element.find("list") is None:
        text = _collapse(_inline(element, doc))
        return [text] if text else []
    return _blocks(element, doc, level)


def _v2_list(element: etree._Element, doc: _Doc, level: int) -> str:
    style = element.get("style") or _inherited_style(element)
    items: list[str] = []
    for counter, item in enumerate(_children(element, "t"), start=1):
        hang = item.get("hangText")
        body = "\n\n".join(_paragraph(item, doc, level + 1))
        if style == "hanging" or hang is not None:
            head = hang or ""
            if not (item.text or "").strip() and len(item) and getattr(item[0], "tag", None) == "vspace":
                items.append(f"{head}\n{_indent(body, 3)}" if head else _indent(body, 3))
            else:
                items.append(_hang(f"{head}  " if head else "", body, 3))
        elif style == "empty":
            items.append(_indent(body, 3))
        else:
            items.append(_hang(_marker(style, counter, level) + "  ", body))
    return "\n\n".join(items)


def _inherited_style(element: etree._Element) -> str:
    parent = element.getparent()
    while parent is not None:
        if parent.tag == "list" and parent.get("style"):
            return parent.get("style") or "empty"
        parent = parent.getparent()
    return "empty"


def _marker(style: str, counter: int, level: int) -> str:
    if style == "symbols":
        return "o*+-"[(level - 1) % 4]
    if style == "numbers":
        return f"{counter}."
    if style == "letters":
        return f"{_letter(counter).lower()}."
    if style.startswith("format "):
        fmt = style[len("format ") :]
        return (
            fmt.replace("%d", str(counter))
            .replace("%c", _letter(counter).lower())
            .replace("%C", _letter(counter))
            .replace("%i", _roman(counter).lower())
            .replace("%I", _roman(counter))
        )
    return ""


_ROMAN = tuple(
    zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        ["M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"],
        strict=True,
    )
)


def _roman(value: int) -> str:
    out = ""
    for number, letters in _ROMAN:
        while value >= number:
            out += letters
            value -= number
    return out


def _v3_list(element: etree._Element, doc: _Doc, level: int) -> str:
    items: list[str] = []
    if element.tag == "dl":
        newline = element.get("newline", "false").lower() == "true"
        term = ""
        for child in _children(element, "dt", "dd"):
            if child.tag == "dt":
                term = _collapse(_inline(child, doc))
                continue
            body = _item_text(child, doc, level)
            items.append(f"{term}\n{_indent(body, 3)}" if newline else _hang(f"{term}  ", body, 3))
            term = ""
        return "\n\n".join(items)
    start = int(element.get("start", "1")) if element.get("start", "1").isdigit() else 1
    kind = element.get("type", "1")
    for position, item in enumerate(_children(element, "li"), start=start):
        if element.tag == "ul":
            marker = "" if element.get("empty") == "true" else "*"
        elif "%" in kind:
            marker = _marker(f"format {kind}", position, level)
        else:
            marker = {
                "a": f"{_letter(position).lower()}.",
                "A": f"{_letter(position)}.",
                "i": f"{_roman(position).lower()}.",
                "I": f"{_roman(position)}.",
            }.get(kind, f"{position}.")
        body = _item_text(item, doc, level)
        items.append(_hang(f"{marker}  " if marker else "", body, 3 if not marker else None))
    return "\n\n".join(items)


def _item_text(item: etree._Element, doc: _Doc, level: int) -> str:
    if any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in item):
        return "\n\n".join(_blocks(item, doc, level + 1))
    return _collapse(_inline(item, doc))


def _hang(prefix: str, body: str, indent: int | None = None) -> str:
    """``prefix`` before the first line of ``body``, later lines indented under the text."""
    width = len(prefix) if indent is None else indent
    lines = body.split("\n")
    first = f"{prefix}{lines[0]}" if prefix else " " * width + lines[0]
    rest = [(" " * width + line) if line else "" for line in lines[1:]]
    return "\n".join([first.rstrip(), *rest])


def _indent(text: str, width: int) -> str:
    return "\n".join((" " * width + line) if line else "" for line in text.split("\n"))


def _figure(element: etree._Element, doc: _Doc, level: int) -> list[str]:
    out: list[str] = []
    for part in ("preamble",):
        if element.find(part) is not None:
            out.append(_collapse(_inline(element.find(part), doc)))
    for child in _children(element):
        if child.tag in ("artwork", "sourcecode"):
            art = _art(child)
            if art:
                out.append(art)
        elif child.tag == "artset":
            out.extend(_artset(child))
    if element.find("postamble") is not None:
        out.append(_collapse(_inline(element.find("postamble"), doc)))
    caption = _caption(element, "Figure", doc)
    if caption:
        out.append(caption)
    return [b for b in out if b]


def _artset(element: etree._Element) -> list[str]:
    artworks = list(_children(element, "artwork"))
    preferred = [a for a in artworks if a.get("type", "ascii-art") in ("ascii-art", "")] or artworks
    for artwork in preferred:
        art = _art(artwork)
        if art:
            return [art]
    return []


def _art(element: etree._Element) -> str:
    """Artwork and source code keep their lines; leading and trailing blank lines go."""
    text = "".join(element.itertext())
    lines = [line.rstrip() for line in text.expandtabs(8).split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    if indents and min(indents) > 3:
        cut = min(indents) - 3  # keep xml2rfc's three-space figure indent, not the source's nesting
        lines = [line[cut:] for line in lines]
    return "\n".join(lines)


def _texttable(element: etree._Element, doc: _Doc) -> list[str]:
    out: list[str] = []
    if element.find("preamble") is not None:
        out.append(_collapse(_inline(element.find("preamble"), doc)))
    columns = [_collapse(_inline(c, doc)) for c in element.findall("ttcol")]
    cells = [_collapse(_inline(c, doc)) for c in element.findall("c")]
    rows = ["\t".join(columns)] if any(columns) else []
    width = max(len(columns), 1)
    rows.extend("\t".join(cells[i : i + width]) for i in range(0, len(cells), width))
    if rows:
        out.append("\n".join(rows))
    if element.find("postamble") is not None:
        out.append(_collapse(_inline(element.find("postamble"), doc)))
    caption = _caption(element, "Table", doc)
    if caption:
        out.append(caption)
    return [b for b in out if b]


def _table(element: etree._Element, doc: _Doc) -> list[str]:
    rows = []
    for row in element.iter("tr"):
        cells = [
            _collapse(_item_text(cell, doc, 1)).replace("\n", " ") for cell in _children(row, "th", "td")
        ]
        rows.append("\t".join(cells))
    out = ["\n".join(rows)] if rows else []
    caption = _caption(element, "Table", doc)
    if caption:
        out.append(caption)
    return out


# --- inline ------------------------------------------------------------------------------------


def _inline(element: etree._Element | None, doc: _Doc) -> str:
    if element is None:
        return ""
    out = [(element.text or "")]
    for child in element:
        out.append(_inline_node(child, doc))
        out.append(child.tail or "")
    return "".join(out)


def _inline_node(node: etree._Element, doc: _Doc) -> str:
    if isinstance(node, etree._Entity):
        name = node.name or ""
        if name in doc.references:
            return f"[{doc.references[name]}]"
        return CHARACTER_ENTITIES.get(name, "")
    if not isinstance(node.tag, str):
        return ""
    tag = node.tag
    if tag == "br":
        return _VSPACE
    if tag == "vspace":
        blank = node.get("blankLines", "0")
        return _VSPACE * (1 + min(int(blank) if blank.isdigit() else 0, 5))
    if tag in ("iref", "cref", "name"):
        return ""
    if tag in ("xref", "relref"):
        return _xref(node, doc)
    if tag == "contact":
        return str(node.get("fullname") or node.get("asciiFullname") or _inline(node, doc))
    if tag == "eref":
        content = _collapse(_inline(node, doc))
        target = node.get("target", "")
        return f"{content} <{target}>" if content and content != target else f"<{target}>"
    if tag == "spanx":
        content = _inline(node, doc)
        style = node.get("style", "emph")
        return {"verb": f'"{content}"', "strong": f"*{content}*", "emph": f"_{content}_"}.get(style, content)
    if tag == "em":
        return f"_{_inline(node, doc)}_"
    if tag == "strong":
        return f"*{_inline(node, doc)}*"
    if tag == f"{{{XINCLUDE}}}include":
        label = _entry_label(node, doc)
        return f"[{label}]" if label else ""
    if tag == "list" or tag in _BLOCK_TAGS:
        return _VSPACE + "\n\n".join(_block(node, doc, 1)) + _VSPACE
    return _inline(node, doc)


def _xref(node: etree._Element, doc: _Doc) -> str:
    target = str(node.get("target", ""))
    content = _collapse(_inline(node, doc))
    label = doc.labels.get(target, f"[{target}]" if target else "")
    section = str(node.get("section") or "")
    if section:
        shape = str(node.get("sectionFormat", "of"))
        where = f"Section {section}" if section[:1].isdigit() else f"Appendix {section}"
        return {
            "comma": f"{label}, {where}",
            "parens": f"{label} ({where})",
            "bare": section,
        }.get(shape, f"{where} of {label}")
    if content:
        return content
    style = str(node.get("format", "default"))
    if style == "none":
        return ""
    if style == "title":
        return doc.titles.get(target, label)
    if style == "counter":
        return label.split(" ", 1)[-1].strip("[]")
    return label


def _collapse(text: str) -> str:
    """xml2rfc reflows paragraphs: whitespace runs become one space, forced breaks stay."""
    text = text.translate(_PLAIN)
    lines = [" ".join(part.split()) for part in text.split(_VSPACE)]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
