"""ETSI IPR declaration exports (the ISLD database's CSV) as :class:`Declaration` items.

The export (ipr.etsi.org, "export to CSV") has one row per declared patent × specification: a
declaration (``IPRD_ID``, ``IPRD_REFERENCE`` ``ISLD-201107-009``, signed ``IPRD_SIGNATURE_DATE``
by ``COMP_LEGAL_NAME``) lists patent families (``DIPG_ID``), each with its basis patent and family
members (``Patent_Type``), each repeated for every specification the family is declared against.
This module folds the rows of one family of one declaration into one declaration with
``key = "etsi:{IPRD_ID}:{DIPG_ID}"``.

Quirks of the format handled here: ``-1`` (and empty) means null; publications of one application
are separated by `` | `` (``EP1848154 A1 | EP1848154 B1``); priority lists look like
``|JP20050004537|WO2006JP300226|``; countries read ``CN CHINA``; application numbers come in the
epodoc form (``EP20060711571``, ``WO2006JP300226``), which :mod:`crawlers.patents.numbers` turns
into sepwatch's spelling (``EP06711571``, ``WOJP2006300226``), the form as declared staying in
metadata. ETSI's own export is semicolon-separated, copies re-saved by spreadsheets are often
comma-separated, with or without a BOM, in UTF-8 or Windows-1252: all are read.

What a declaration gets:

* ``patents``: the basis patent's publications and application, then each family member's, in
  sepwatch spelling, without duplicates;
* ``specs``: "3GPP TS 25.309" from ``TGPP_NUMBER`` (or the ``Standard`` text), else the 3GPP spec an
  ETSI deliverable of series 121–155 transposes (``125 309`` → 25.309), else the ETSI deliverable
  itself for ETSI's own standards; ``deliverables``: "ETSI TS 125 309" as declared;
* ``licensing`` from the licensing flags. ETSI publishes no data dictionary for the export; the
  reading below follows the column names and the ETSI IPR Licensing Declaration form (ETSI IPR
  Policy, Annex 6, Appendix A), whose undertaking (clause 6.1) "may be made subject to the
  condition that those who seek licences agree to reciprocate":
  ``LICD_DEC_PREP_TO_GRANT_FLAG`` = 1: the declarant is prepared to grant irrevocable licences on
  FRAND terms (clause 6.1); 0: it is not. ``LICD_REC_CONDI_FLAG`` = 1: that undertaking is subject
  to reciprocity. ``DECL_IS_PROP_FLAG`` = 1: the declarant is the proprietor of the IPR (the form
  also lets a member declare someone else's IPR). These readings are UNVERIFIED; the raw flags
  stay in metadata;
* ``metadata``: declaration id and reference, ETSI family ids, title, priority numbers, versions
  and illustrative clauses per spec, project, generation flags (2G–5G), the basis patent and every
  family member with its role (basis patent or family member), country, filing date and the specs
  it was listed under.

Malformed rows (wrong number of fields, no declaration or family id, no declarant, unreadable
dates or flags) are reported in ``problems`` with their row number (the header is row 1) and the
rest is imported; a file without the export's columns is refused naming the headers it has.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from crawlers.extract import RejectedInput
from crawlers.extract.decode import check_not_binary
from crawlers.items import Declaration
from crawlers.patents.numbers import normalise_application, normalise_publication
from crawlers.threegpp.versions import etsi_to_3gpp, spec_number, version_key

SOURCE = "etsi_isld"
MAX_BYTES = 1024 * 1024 * 1024
"""The whole ISLD export is a few GB; exports filtered by declarant or project are far smaller."""

HEAD_BYTES = 4096
"""How much of a file :func:`looks_like_isld` needs."""

_DELIMITERS = (";", ",", "\t")
_REQUIRED = ("IPRD_ID", "DIPG_ID", "COMP_LEGAL_NAME")
_NUMBER_COLUMNS = ("PUBL_NUMBER", "PATT_APPLICATION_NUMBER")
_SPEC_COLUMNS = ("TGPP_NUMBER", "WOIT_ETSI_DELIVERABLE_NUMBER", "STANDARD")
_NULLS = frozenset({"", "-1"})
_MAX_HEADERS_SHOWN = 15
_GENERATIONS = ("2G", "3G", "4G", "5G")
_BASIS = "basis patent"

_STANDARD_3GPP = re.compile(r"3GPP\s+(TS|TR)\s+(\d{2}\.\d{3}(?:-\d{1,2})*)", re.IGNORECASE)
_STANDARD_ETSI = re.compile(r"^\s*(TS|TR|EN|ES|EG|SR|GS|GR)\s+(\d{3}\s?\d{3}(?:-\d{1,2})*)", re.IGNORECASE)
_COUNTRY = re.compile(r"^([A-Z]{2})(?:\s|$)")
_DIGIT = re.compile(r"\d")
_DATE_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


@dataclass(slots=True)
class EtsiImport:
    """What an export gave: one declaration per declared patent family, and row problems."""

    declarations: list[Declaration] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Public API


def parse_isld_export(data: bytes, name: str) -> EtsiImport:
    """Declarations of an ETSI ISLD CSV export; see the module docstring for the mapping.

    Raises :class:`RejectedInput` naming the file when it is empty, too large, binary, not
    decodable as UTF-8 or Windows-1252, or has no ISLD header (the message lists the headers found).
    """
    label = _base_name(name)
    if len(data) > MAX_BYTES:
        raise RejectedInput(f"{label}: too large: {len(data)} bytes (limit {MAX_BYTES})")
    text = _decode(data, label)
    # Split on line ends only (str.splitlines would also split on U+2028 and friends inside values).
    stream = io.StringIO(text, newline="")
    header_row = 0
    for line in stream:
        header_row += 1
        if line.strip():
            break
    else:
        raise RejectedInput(f"{label}: empty file")
    delimiter, header = _header(line, label)
    result = EtsiImport()
    groups: dict[str, _Group] = {}
    reader = csv.reader(stream, delimiter=delimiter)
    row_number = header_row  # rows as a spreadsheet numbers them: the header is row 1
    line_before = 0
    while True:
        row_number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.problems.append(
                f"row {row_number}: malformed CSV ({exc}); the rest of the file was not read"
            )
            break
        spanned, line_before = reader.line_num - line_before, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = _row(cells, header, row_number, result.problems, spanned)
        if row is not None:
            _add(groups, row, result.problems)
    result.declarations = [group.declaration() for group in groups.values()]
    return result


def looks_like_isld(head: bytes) -> bool:
    """True when the first bytes of a file are an ISLD export header (IPRD_ID, DIPG_ID,
    COMP_LEGAL_NAME columns), comma-, semicolon- or tab-separated, in any of the accepted encodings."""
    text = _lenient(head[:HEAD_BYTES])
    if text is None:
        return False
    for line in text.splitlines():
        if line.strip():
            return any(_columns(line, d) is not None for d in _DELIMITERS)
    return False


# ---------------------------------------------------------------------------------------------
# Decoding and header


def _base_name(name: str) -> str:
    return PureWindowsPath(PurePosixPath(name).name).name or name


def _decode(data: bytes, label: str) -> str:
    if not data.strip():
        raise RejectedInput(f"{label}: empty file")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError:
                raise RejectedInput(
                    f"{label}: undecodable: the {encoding} byte-order mark is followed by invalid text"
                ) from None
    try:
        check_not_binary(data)
    except RejectedInput as exc:
        raise RejectedInput(f"{label}: {exc.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise RejectedInput(f"{label}: undecodable: neither UTF-8 nor Windows-1252") from None


def _lenient(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        return None
    return head.decode("utf-8-sig", errors="replace")


def _canonical(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().strip('"').strip().lstrip("\ufeff")).upper()


def _columns(line: str, delimiter: str) -> dict[str, int] | None:
    """Column name → index when ``line`` split by ``delimiter`` is an ISLD header, else None."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    columns: dict[str, int] = {}
    for i, cell in enumerate(cells):
        columns.setdefault(_canonical(cell), i)
    if all(c in columns for c in _REQUIRED) and any(c in columns for c in _NUMBER_COLUMNS):
        return columns
    return None


def _header(line: str, label: str) -> tuple[str, _Header]:
    for delimiter in _DELIMITERS:
        columns = _columns(line, delimiter)
        if columns is not None:
            if not any(c in columns for c in _SPEC_COLUMNS):
                raise RejectedInput(
                    f"{label}: an ISLD export without a specification column "
                    f"({', '.join(_SPEC_COLUMNS)}): nothing to link the patents to"
                )
            return delimiter, _Header(columns, len(next(csv.reader([line], delimiter=delimiter))))
    widest = max((next(csv.reader([line], delimiter=d), []) for d in _DELIMITERS), key=len)
    shown = [c.strip() for c in widest[:_MAX_HEADERS_SHOWN] if c.strip()]
    more = f" … ({len(widest)} columns)" if len(widest) > _MAX_HEADERS_SHOWN else ""
    raise RejectedInput(
        f"{label}: not an ETSI IPR declaration (ISLD) export: it needs the columns "
        f"{', '.join(_REQUIRED)} and PUBL_NUMBER or PATT_APPLICATION_NUMBER; "
        f"headers found: {', '.join(shown) or '(none)'}{more}"
    )


@dataclass(frozen=True, slots=True)
class _Header:
    columns: dict[str, int]
    width: int


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(slots=True)
class _Row:
    number: int
    values: dict[str, str | None]

    def get(self, column: str) -> str | None:
        return self.values.get(column)


def _row(cells: list[str], header: _Header, number: int, problems: list[str], lines: int = 1) -> _Row | None:
    while len(cells) > header.width and not cells[-1].strip():
        cells = cells[:-1]  # a trailing delimiter
    if len(cells) != header.width:
        joined = f" (an unbalanced quote joined {lines} lines into it)" if lines > 1 else ""
        fields = f"{len(cells)} field{'' if len(cells) == 1 else 's'}"
        problems.append(f"row {number}: {fields}, the header has {header.width}{joined}; row skipped")
        return None
    values: dict[str, str | None] = {}
    for column, index in header.columns.items():
        value = cells[index].strip()
        values[column] = None if value in _NULLS else value
    row = _Row(number, values)
    for column in ("IPRD_ID", "DIPG_ID"):
        given = row.get(column)
        if given is None:
            problems.append(f"row {number}: no {column}; row skipped")
            return None
        if not given.isdigit():
            problems.append(f"row {number}: {column} {given!r} is not a number; row skipped")
            return None
    if row.get("COMP_LEGAL_NAME") is None:
        problems.append(f"row {number}: no declarant (COMP_LEGAL_NAME); row skipped")
        return None
    return row


def _date(row: _Row, column: str, problems: list[str]) -> dt.date | None:
    value = row.get(column)
    if value is None:
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = _DATE_DMY.match(text.split(" ")[0])
    if match:
        try:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            pass
    problems.append(f"row {row.number}: {column} {value!r} is not a date")
    return None


def _flag(row: _Row, column: str, problems: list[str]) -> bool | None:
    value = row.get(column)
    if value is None:
        return None
    if value in ("1", "0"):
        return value == "1"
    problems.append(f"row {row.number}: {column} {value!r} is not 0, 1 or -1")
    return None


def _split(value: str | None, separator: str) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in value.split(separator) if part.strip() and part.strip() not in _NULLS]


def _application(country: str | None, raw: str | None) -> str | None:
    if raw is None or not _DIGIT.search(raw):
        return None
    office = (raw[:2] if raw[:2].isalpha() else country or "").upper()
    try:
        return normalise_application(office, raw)
    except ValueError:
        return re.sub(r"\s+", "", raw).upper()


def _publication(raw: str) -> str:
    try:
        return normalise_publication(raw)
    except ValueError:
        return re.sub(r"\s+", "", raw).upper()


def _spec(row: _Row) -> tuple[str | None, str | None]:
    """(spec, deliverable) of a row: "3GPP TS 25.309", "ETSI TS 125 309"."""
    standard = row.get("STANDARD") or ""
    etsi_type = (row.get("WI_TYPE") or "").upper()
    deliverable_number = row.get("WOIT_ETSI_DELIVERABLE_NUMBER")
    if not etsi_type and (match := _STANDARD_ETSI.match(standard)):
        etsi_type = match[1].upper()
    if deliverable_number is None and (match := _STANDARD_ETSI.match(standard)):
        deliverable_number = match[2]
    deliverable = None
    if deliverable_number:
        number = re.sub(r"\s+", " ", deliverable_number)
        deliverable = f"ETSI {etsi_type} {number}" if etsi_type else f"ETSI {number}"
    spec_type = (row.get("3GPP_TYPE") or "").upper()
    tgpp = row.get("TGPP_NUMBER")
    number_3gpp = spec_number(tgpp) if tgpp else None
    if number_3gpp is None and (match := _STANDARD_3GPP.search(standard)):
        spec_type, number_3gpp = spec_type or match[1].upper(), match[2]
    if number_3gpp is None and deliverable_number:
        number_3gpp = etsi_to_3gpp(deliverable_number)
    if number_3gpp is not None:
        return f"3GPP {spec_type or etsi_type or 'TS'} {number_3gpp}", deliverable
    return deliverable, deliverable


# ---------------------------------------------------------------------------------------------
# Families


@dataclass(slots=True)
class _Member:
    role: str
    application: str | None
    application_as_declared: str | None
    country: str | None
    publications: list[str] = field(default_factory=list)
    publications_as_declared: list[str] = field(default_factory=list)
    filing_date: dt.date | None = None
    priority_numbers: list[str] = field(default_factory=list)
    title: str | None = None
    original_application: str | None = None
    original_publication: str | None = None
    explicitly_disclosed: bool | None = None
    specs: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "application": self.application,
            "application_as_declared": self.application_as_declared,
            "country": self.country,
            "publications": list(self.publications),
            "publications_as_declared": list(self.publications_as_declared),
            "filing_date": self.filing_date.isoformat() if self.filing_date else None,
            "priority_numbers": list(self.priority_numbers),
            "title": self.title,
            "original_application": self.original_application,
            "original_publication": self.original_publication,
            "explicitly_disclosed": self.explicitly_disclosed,
            "specs": list(self.specs),
        }


def _append(values: list[str], *new: str | None) -> None:
    for value in new:
        if value and value not in values:
            values.append(value)


@dataclass(slots=True)
class _Group:
    key: str
    declaration_id: str
    family_id: str
    first_row: int
    declarant: str
    reference: str | None
    date: dt.date | None
    reflected: dt.date | None
    flags: dict[str, bool | None]
    family_display_number: str | None
    family_external_id: str | None
    patent_family_id: str | None
    members: dict[str, _Member] = field(default_factory=dict)
    specs: list[str] = field(default_factory=list)
    deliverables: list[str] = field(default_factory=list)
    versions: dict[str, list[str]] = field(default_factory=dict)
    deliverable_versions: dict[str, list[str]] = field(default_factory=dict)
    clauses: dict[str, list[str]] = field(default_factory=dict)
    priorities: list[str] = field(default_factory=list)
    generations: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    project_names: dict[str, str] = field(default_factory=dict)

    def declaration(self) -> Declaration:
        members = sorted(self.members.values(), key=lambda m: m.role != _BASIS)
        patents: list[str] = []
        for member in members:
            _append(patents, *member.publications, member.application)
        basis = next((m for m in members if m.role == _BASIS), None)
        title = next((m.title for m in members if m.title), None)
        return Declaration(
            source=SOURCE,
            key=self.key,
            declarant=self.declarant,
            patents=patents,
            specs=list(self.specs),
            deliverables=list(self.deliverables),
            family=f"etsi-family:{self.patent_family_id}" if self.patent_family_id else None,
            licensing=_licensing(self.flags),
            date=self.date,
            metadata={
                "declaration_id": int(self.declaration_id),
                "reference": self.reference,
                "family_id": int(self.family_id),
                "family_display_number": self.family_display_number,
                "family_external_id": self.family_external_id,
                "patent_family_id": self.patent_family_id,
                "reflected_date": self.reflected.isoformat() if self.reflected else None,
                "declarant_is_proprietor": self.flags.get("DECL_IS_PROP_FLAG"),
                "licensing_flags": {k: v for k, v in self.flags.items() if k != "DECL_IS_PROP_FLAG"},
                "title": title,
                "priority_numbers": list(self.priorities),
                "versions": {k: sorted(v, key=_version_order) for k, v in self.versions.items()},
                "deliverable_versions": {
                    k: sorted(v, key=_version_order) for k, v in self.deliverable_versions.items()
                },
                "illustrative_clauses": {k: list(v) for k, v in self.clauses.items()},
                "project": self.projects[0] if len(self.projects) == 1 else (list(self.projects) or None),
                "project_names": dict(self.project_names),
                "generations": sorted(self.generations),
                "basis_patent": basis.as_metadata() if basis else None,
                "members": [m.as_metadata() for m in members],
                "first_row": self.first_row,
            },
        )


def _version_order(version: str) -> tuple[int, tuple[int, int, int] | str]:
    try:
        return (0, version_key(version))
    except ValueError:
        return (1, version)


def _licensing(flags: dict[str, bool | None]) -> str | None:
    prepared = flags.get("LICD_DEC_PREP_TO_GRANT_FLAG")
    if prepared is None:
        return None
    if not prepared:
        return "no FRAND undertaking: the declarant is not prepared to grant licences (ETSI IPR Policy clause 6.1)"
    text = "FRAND undertaking (ETSI IPR Policy clause 6.1)"
    if flags.get("LICD_REC_CONDI_FLAG"):
        text += ", subject to reciprocity"
    return text


_GROUP_FLAGS = ("DECL_IS_PROP_FLAG", "LICD_DEC_PREP_TO_GRANT_FLAG", "LICD_REC_CONDI_FLAG")


def _add(groups: dict[str, _Group], row: _Row, problems: list[str]) -> None:
    declaration_id, family_id = row.get("IPRD_ID") or "", row.get("DIPG_ID") or ""
    key = f"etsi:{declaration_id}:{family_id}"
    declarant = row.get("COMP_LEGAL_NAME") or ""
    signed = _date(row, "IPRD_SIGNATURE_DATE", problems)
    flags = {column: _flag(row, column, problems) for column in _GROUP_FLAGS}
    group = groups.get(key)
    if group is None:
        group = groups[key] = _Group(
            key=key,
            declaration_id=declaration_id,
            family_id=family_id,
            first_row=row.number,
            declarant=declarant,
            reference=row.get("IPRD_REFERENCE"),
            date=signed,
            reflected=_date(row, "REFLECTED_DATE", problems),
            flags=flags,
            family_display_number=row.get("DIPG_DISPLAY_NUMBER"),
            family_external_id=row.get("DIPG_EXTERNAL_ID"),
            patent_family_id=row.get("DIPG_PATF_ID"),
        )
    else:
        _consistent(group, row, declarant, signed, flags, problems)
    spec, deliverable = _spec(row)
    if spec is None:
        problems.append(
            f"row {row.number}: no specification (TGPP_NUMBER, WOIT_ETSI_DELIVERABLE_NUMBER, Standard)"
        )
    _append(group.specs, spec)
    _append(group.deliverables, deliverable)
    if spec:
        _append(group.versions.setdefault(spec, []), row.get("TGPV_VERSION") or row.get("WOIT_VERSION"))
        clauses = group.clauses.setdefault(spec, [])
        _append(clauses, *_split(row.get("ILLUSTRATIVE_PART"), ","))
    if deliverable:
        _append(group.deliverable_versions.setdefault(deliverable, []), row.get("WOIT_VERSION"))
    for generation in _GENERATIONS:
        if _flag(row, generation, problems):
            _append(group.generations, generation)
    project = row.get("ETPR_ACRONYM")
    if project:
        acronym, _, project_name = (part.strip() for part in project.partition("|"))
        _append(group.projects, acronym)
        if project_name:
            group.project_names[acronym] = project_name
    priorities = _split(row.get("PBPA_PRIORITY_NUMBERS"), "|")
    _append(group.priorities, *priorities)
    _member(group, row, spec, priorities, problems)


def _consistent(
    group: _Group,
    row: _Row,
    declarant: str,
    signed: dt.date | None,
    flags: dict[str, bool | None],
    problems: list[str],
) -> None:
    where = f"row {row.number}"
    said = f"from row {group.first_row} of {group.key}"
    if declarant != group.declarant:
        problems.append(
            f"{where}: declarant {declarant!r} differs {said} ({group.declarant!r}); kept the first"
        )
    if signed is not None and group.date is not None and signed != group.date:
        problems.append(f"{where}: signature date {signed} differs {said} ({group.date}); kept the first")
    group.date = group.date or signed
    for column, value in flags.items():
        known = group.flags.get(column)
        if value is not None and known is not None and value != known:
            problems.append(f"{where}: {column} {int(value)} differs {said} ({int(known)}); kept the first")
        elif known is None:
            group.flags[column] = value


def _member(
    group: _Group, row: _Row, spec: str | None, priorities: Sequence[str], problems: list[str]
) -> None:
    country_text = row.get("COUNTRY_OF_REGISTRATION") or ""
    country = match[1] if (match := _COUNTRY.match(country_text.upper())) else None
    raw_application = row.get("PATT_APPLICATION_NUMBER")
    publications_as_declared = _split(row.get("PUBL_NUMBER"), "|")
    application = _application(country, raw_application)
    publications = [_publication(p) for p in publications_as_declared if _DIGIT.search(p)]
    if application is None and not publications:
        problems.append(f"row {row.number}: no patent number (PATT_APPLICATION_NUMBER, PUBL_NUMBER)")
        return
    identity = raw_application if application and raw_application else publications[0]
    role = _BASIS if (row.get("PATENT_TYPE") or "").strip().lower() == _BASIS else "family member"
    member = group.members.get(identity)
    if member is None:
        member = group.members[identity] = _Member(
            role=role,
            application=application,
            application_as_declared=raw_application,
            country=country,
        )
    elif role == _BASIS:
        member.role = _BASIS
    _append(member.publications, *publications)
    _append(member.publications_as_declared, *publications_as_declared)
    _append(member.priority_numbers, *priorities)
    _append(member.specs, spec)
    member.filing_date = member.filing_date or _date(row, "PBPA_APP_DATE", problems)
    member.title = member.title or row.get("PBPA_TITLEEN")
    member.original_application = member.original_application or row.get("ORIGINAL_APPLICATION_NUMBER")
    member.original_publication = member.original_publication or row.get("ORIGINAL_PUBLICATION_NUMBER")
    disclosed = _flag(row, "EXPLICITELY_DISCLOSED", problems)
    if disclosed is not None:
        member.explicitly_disclosed = bool(member.explicitly_disclosed) or disclosed
